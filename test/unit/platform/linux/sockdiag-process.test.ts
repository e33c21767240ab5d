import { spawn } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertSafeToRunAsRoot } from '../../../../main/platform/run-as-root';
import { SockdiagProcess, sockdiagBinaryBeside, sockdiagBinaryPath } from '../../../../main/platform/linux/sockdiag-process';

/**
 * The helper process as the app runs it, with fake helpers: shell scripts passed to the
 * constructor. The one that hangs leaves a descendant behind that holds the helper's stdout and
 * writes to it every 50 ms: it dies of SIGPIPE as soon as our end of the pipe is closed.
 */

const MODULE = fileURLToPath(new URL('../../../../main/platform/linux/sockdiag-process.ts', import.meta.url));
const isRoot = process.getuid?.() === 0;

let dir = '';
let hanging = '';
let answering = '';
const descendants: number[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'idlewatch-sockdiag-process-'));
  hanging = join(dir, 'hanging-helper');
  writeFileSync(
    hanging,
    [
      '#!/bin/sh',
      // A descendant that inherits stdout and stderr, and outlives the helper.
      '( while :; do echo tick || exit 0; sleep 0.05; done ) &',
      'echo $! > "$0.descendant"',
      // Reads commands, never answers.
      'exec cat > /dev/null',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  answering = join(dir, 'answering-helper');
  writeFileSync(
    answering,
    ['#!/bin/sh', 'while read -r command; do', '  printf "H\\tidlewatch-sockdiag/1\\t1\\t2\\t3\\nT\\tsockets=0\\n.\\n"', 'done', ''].join('\n'),
    { mode: 0o755 },
  );
});

afterEach(() => {
  for (const pid of descendants.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The pid the hanging helper wrote, once it has written it. */
async function descendantOf(script: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    if (existsSync(`${script}.descendant`)) {
      const text = readFileSync(`${script}.descendant`, 'utf8').trim();
      if (text) {
        rmSync(`${script}.descendant`);
        descendants.push(Number(text));
        return Number(text);
      }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the fake helper did not start its descendant');
}

function running(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) if (condition()) return true;
  return condition();
}

describe('SockdiagProcess with a helper that never answers', () => {
  it('rejects the request after its timeout and closes the pipes a descendant of the helper still holds', async () => {
    const helper = new SockdiagProcess(hanging, { timeoutMs: 300 });
    const started = Date.now();
    const request = helper.stream(() => undefined);
    const descendant = await descendantOf(hanging);
    await expect(request).rejects.toThrow('idlewatch-sockdiag did not answer within 0.3 s');
    expect(Date.now() - started).toBeLessThan(5_000);
    // Its next write meets a pipe with no reader: SIGPIPE. Were our end still open, it would tick on.
    expect(await waitUntil(() => !running(descendant), 3_000)).toBe(true);
    helper.close();
  });

  it('rejects the request in flight when closed, and lets go of the pipes', async () => {
    const helper = new SockdiagProcess(hanging, { timeoutMs: 60_000 });
    const request = helper.stream(() => undefined);
    const descendant = await descendantOf(hanging);
    helper.close();
    await expect(request).rejects.toThrow('idlewatch-sockdiag was closed');
    expect(await waitUntil(() => !running(descendant), 3_000)).toBe(true);
  });

  it('lets a Node process that used it exit soon after the timeout, though the descendant lives on', async () => {
    const script = join(dir, 'snapshot-once.mts');
    const descendantHolding = join(dir, 'holding-helper');
    // This descendant only holds the pipes (it never writes, so never meets SIGPIPE).
    writeFileSync(descendantHolding, ['#!/bin/sh', 'sleep 30 &', 'echo $! > "$0.descendant"', 'exec cat > /dev/null', ''].join('\n'), { mode: 0o755 });
    writeFileSync(
      script,
      [
        `import { SockdiagProcess } from ${JSON.stringify(pathToFileURL(MODULE).href)};`,
        `const helper = new SockdiagProcess(${JSON.stringify(descendantHolding)}, { timeoutMs: 300 });`,
        "helper.stream(() => undefined).then(() => console.log('answered'), (e) => console.log(`rejected: ${e.message}`));",
        '',
      ].join('\n'),
    );
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d));
    child.stderr.on('data', (d: Buffer) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(killer);
    await descendantOf(descendantHolding);
    expect(output).toContain('rejected: idlewatch-sockdiag did not answer within 0.3 s');
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000); // the descendant sleeps 30 s
  }, 20_000);
});

describe('SockdiagProcess with a helper that answers', () => {
  it('streams the answer up to its closing line', async () => {
    const helper = new SockdiagProcess(answering);
    let text = '';
    await helper.stream((piece) => (text += piece));
    expect(text).toBe('H\tidlewatch-sockdiag/1\t1\t2\t3\nT\tsockets=0\n.\n');
    helper.close();
  });
});

describe('SockdiagProcess writing the next command before an answer ends', () => {
  /** A fake helper (a shell script) beside the others; `body` runs with the commands on stdin. */
  function fake(name: string, body: string[]): string {
    const file = join(dir, name);
    writeFileSync(file, ['#!/bin/sh', ...body, ''].join('\n'), { mode: 0o755 });
    return file;
  }
  const collect = async (sockdiag: SockdiagProcess, tickNs: number) => {
    let text = '';
    await sockdiag.stream((piece) => (text += piece), tickNs);
    return text;
  };

  it('has the second command written while the first is unanswered, and hands each answer to its own request', async () => {
    // Answers only once it has both commands, and both answers in one write: one command at a time would time out.
    const helper = fake('answers-in-pairs', [
      'while read -r first && read -r second; do',
      '  printf "E\\t%s\\n.\\nE\\t%s\\n.\\n" "$first" "$second"',
      'done',
    ]);
    const sockdiag = new SockdiagProcess(helper, { timeoutMs: 5_000 });
    const [a, b] = await Promise.all([collect(sockdiag, 1000), collect(sockdiag, 2000)]);
    expect(a).toBe('E\tsnapshot 1000\n.\n');
    expect(b).toBe('E\tsnapshot 2000\n.\n');
    sockdiag.close();
  });

  it('finds the end of an answer however the pipe cuts it', async () => {
    const helper = fake('answers-byte-by-byte', [
      'while read -r command; do',
      '  answer=$(printf "H\\tidlewatch-sockdiag/1\\t1\\t2\\t3\\nE\\t%s\\n." "$command")',
      // One byte per write, a pause between: every piece ends somewhere inside "\n.\n" in turn.
      '  printf "%s\\n" "$answer" | while IFS= read -r line; do',
      '    printf "%s\\n" "$line" | fold -w1 | while IFS= read -r byte; do printf "%s" "$byte"; sleep 0.001; done',
      '    printf "\\n"',
      '  done',
      'done',
    ]);
    const sockdiag = new SockdiagProcess(helper, { timeoutMs: 10_000 });
    const [a, b, c] = await Promise.all([collect(sockdiag, 1000), collect(sockdiag, 2000), collect(sockdiag, 3000)]);
    expect([a, b, c]).toEqual([1000, 2000, 3000].map((t) => `H\tidlewatch-sockdiag/1\t1\t2\t3\nE\tsnapshot ${t}\n.\n`));
    sockdiag.close();
  }, 20_000);

  it('fails the request whose reader threw, after reading past its answer; the next one gets its own', async () => {
    const helper = fake('echoes', ['while read -r command; do printf "E\\t%s\\n.\\n" "$command"; done']);
    const sockdiag = new SockdiagProcess(helper, { timeoutMs: 5_000 });
    const thrown = sockdiag.stream(() => {
      throw new Error('the reader broke');
    }, 1000);
    const next = collect(sockdiag, 2000);
    await expect(thrown).rejects.toThrow('the reader broke');
    expect(await next).toBe('E\tsnapshot 2000\n.\n');
    sockdiag.close();
  });

  it('when the helper dies answering one request, fails that one and has a new helper answer the one written after it', async () => {
    const helper = fake('dies-once', [
      'while read -r command; do',
      '  if [ "$command" = "snapshot 1000" ] && [ ! -e "$0.died" ]; then : > "$0.died"; exit 3; fi',
      '  printf "E\\t%s\\n.\\n" "$command"',
      'done',
    ]);
    const sockdiag = new SockdiagProcess(helper, { timeoutMs: 5_000 });
    const first = sockdiag.stream(() => undefined, 1000);
    const second = collect(sockdiag, 2000);
    await expect(first).rejects.toThrow('idlewatch-sockdiag exited (3)');
    expect(await second).toBe('E\tsnapshot 2000\n.\n');
    sockdiag.close();
  });

  it('fails every request not yet answered when closed', async () => {
    const sockdiag = new SockdiagProcess(hanging, { timeoutMs: 60_000 });
    const requests = [1000, 2000, 3000].map((t) => sockdiag.stream(() => undefined, t));
    await descendantOf(hanging);
    sockdiag.close();
    for (const request of requests) await expect(request).rejects.toThrow('idlewatch-sockdiag was closed');
  });
});

describe('finding the helper', () => {
  const saved = process.env.IDLEWATCH_SOCKDIAG;
  afterEach(() => {
    if (saved === undefined) delete process.env.IDLEWATCH_SOCKDIAG;
    else process.env.IDLEWATCH_SOCKDIAG = saved;
  });

  it('never takes the helper from an environment variable', () => {
    process.env.IDLEWATCH_SOCKDIAG = answering;
    let found: string | null = null;
    try {
      found = sockdiagBinaryPath();
    } catch (error) {
      expect((error as Error).message).toMatch(/not built/);
    }
    if (found !== null) expect(found).toMatch(/out\/bin\/idlewatch-sockdiag$/);
    expect(found).not.toBe(answering);
  });

  it.each([
    ['the sources of a checkout', '/srv/shared/idlewatch/main/platform/linux', '/srv/shared/idlewatch/out/bin/idlewatch-sockdiag'],
    ['a build bundled into out/main', '/srv/shared/idlewatch/out/main', '/srv/shared/idlewatch/out/bin/idlewatch-sockdiag'],
    ['a chunk of that bundle', '/srv/shared/idlewatch/out/main/chunks', '/srv/shared/idlewatch/out/bin/idlewatch-sockdiag'],
    ['the CLI bundled into out/cli', '/srv/shared/idlewatch/out/cli', '/srv/shared/idlewatch/out/bin/idlewatch-sockdiag'],
    // Electron reads inside app.asar but cannot execute from it: the helpers are unpacked beside it.
    ['the desktop app packed into app.asar', '/opt/Idlewatch/resources/app.asar/out/main', '/opt/Idlewatch/resources/app.asar.unpacked/out/bin/idlewatch-sockdiag'],
    ['the CLI unpacked beside app.asar', '/opt/Idlewatch/resources/app.asar.unpacked/out/cli', '/opt/Idlewatch/resources/app.asar.unpacked/out/bin/idlewatch-sockdiag'],
  ])('looks in one place only, inside the build, for code in %s', (_, moduleDir, helper) => {
    expect(sockdiagBinaryBeside(moduleDir)).toBe(helper);
  });
});

describe.runIf(isRoot)('as root, the helper must be writable by root alone', () => {
  let n = 0;
  /** A copy of the answering helper in a fresh directory, with the given modes and owner. */
  function copy({ dirMode = 0o755, fileMode = 0o755, owner = 0 } = {}): string {
    const where = join(dir, `copy-${++n}`);
    mkdirSync(where);
    const file = join(where, 'idlewatch-sockdiag');
    copyFileSync(answering, file);
    chmodSync(file, fileMode);
    chownSync(file, owner, owner);
    chmodSync(where, dirMode);
    return file;
  }

  it.each([
    ['in a directory every user may write (0777)', { dirMode: 0o777 }, /its directory .*copy-\d+ is writable by every user \(mode 777\)/],
    ['writable by every user (0777)', { fileMode: 0o777 }, /it \(.*idlewatch-sockdiag\) is writable by every user/],
    ['writable by its group (0775)', { fileMode: 0o775 }, /is writable by its group/],
    ['owned by another user', { owner: 65534 }, /is owned by uid 65534, not root/],
    ['in a world-writable directory even with the sticky bit (1777)', { dirMode: 0o1777 }, /its directory .* is writable by every user/],
  ])('refuses a helper %s, naming the path', async (_, modes, message) => {
    const file = copy(modes);
    const helper = new SockdiagProcess(file);
    await expect(helper.stream(() => undefined)).rejects.toThrow(message);
    await expect(helper.stream(() => undefined)).rejects.toThrow(`Refusing to run ${file} as root`);
    helper.close();
  });

  it('refuses a directory higher up that another user may write', () => {
    const file = copy();
    chmodSync(dir, 0o777);
    try {
      expect(() => assertSafeToRunAsRoot(file)).toThrow(/its directory .*idlewatch-sockdiag-process-\w+ is writable by every user/);
    } finally {
      chmodSync(dir, 0o700);
    }
  });

  it('runs a helper that only root can replace, below a sticky /tmp', async () => {
    const file = copy({ fileMode: 0o755, dirMode: 0o755 });
    expect(() => assertSafeToRunAsRoot(file)).not.toThrow();
    const helper = new SockdiagProcess(file);
    await expect(helper.stream(() => undefined)).resolves.toBeUndefined();
    helper.close();
  });
});

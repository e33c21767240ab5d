import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSockdiagOutput } from '../../main/platform/linux/sockdiag-output';
import { compile, SANITIZE, SANITIZER_ENV, SANITIZER_REPORT, sockdiagSources, WARN } from '../native/compile';
import { assertThrowawayNamespace, openPair, sleep, socketInode, type Pair } from './lab';

/**
 * The helper built from the current sources, run against the real kernel in the test
 * namespace: once with AddressSanitizer and UndefinedBehaviorSanitizer, once under a low
 * open-files limit, once with a user name from NSS that tries to break the output.
 */

const TICK_NS = '4000000';
const HOSTILE_USER = 'ev\til\x1b[2J\\x';
const HOSTILE_UID = 4242;

let dir = '';
let sanitized = '';
let plain = '';
const pairs: Pair[] = [];
const children: ChildProcess[] = [];

/** A listener on loopback in a child process running as `uid`; resolves once it listens. */
async function listenerOwnedBy(uid: number): Promise<number> {
  const child = spawn(process.execPath, ['-e', "const s = require('net').createServer().listen(0, '127.0.0.1', () => console.log(s.address().port))"], {
    uid,
    gid: uid,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const port = await new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
  return Number(port);
}

function run(binary: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
  return spawnSync(binary, args, { encoding: 'utf8', maxBuffer: 1 << 28, input: options.input, env: { ...process.env, ...options.env } });
}

beforeAll(async () => {
  assertThrowawayNamespace();
  dir = mkdtempSync(join(tmpdir(), 'idlewatch-sockdiag-helper-'));
  sanitized = join(dir, 'idlewatch-sockdiag-asan');
  plain = join(dir, 'idlewatch-sockdiag');
  const withSanitizers = compile('cc', sanitized, sockdiagSources(), [...SANITIZE, ...WARN], ['-lpthread']);
  if (!withSanitizers.ok) throw new Error(`cannot build the helper with sanitizers:\n${withSanitizers.output}`);
  const asShipped = compile('cc', plain, sockdiagSources(), ['-O2', ...WARN], ['-lpthread']);
  if (!asShipped.ok) throw new Error(`cannot build the helper:\n${asShipped.output}`);

  for (let i = 0; i < 4; i++) pairs.push(await openPair());
  pairs.push(await openPair('::1'));
  pairs[0]!.client.setKeepAlive(true, 60_000); // a keepalive timer: its options are read with pidfd_getfd
  pairs[1]!.client.write('x'.repeat(1000)); // data in flight for a moment
  await listenerOwnedBy(65534);
  await sleep(100);
}, 60_000);

afterAll(() => {
  pairs.forEach((p) => p.close());
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('idlewatch-sockdiag under AddressSanitizer and UndefinedBehaviorSanitizer', () => {
  it('answers --once with no sanitizer report', () => {
    const r = run(sanitized, ['--once', TICK_NS], { env: SANITIZER_ENV });
    expect(r.stderr).not.toMatch(SANITIZER_REPORT);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = parseSockdiagOutput(r.stdout);
    expect(out.malformedLines).toBe(0);
    expect(out.errors).toEqual([]);
    const keepalive = out.sockets.find((s) => s.inode === socketInode(pairs[0]!.client));
    expect(keepalive).toMatchObject({ pid: process.pid, timer: 2, sockopts: { keepalive: true, keepIdleSec: 60 } });
    expect(out.users.get(0)).toBe('root');
    expect(out.users.get(65534)).toBe('nobody');
  });

  it('answers several commands in its long-lived mode, rescans and all, with no sanitizer report', async () => {
    const input = ['snapshot', `snapshot ${TICK_NS}`, 'nonsense', 'snapshot', 'quit', ''].join('\n');
    const first = run(sanitized, [], { input, env: SANITIZER_ENV });
    expect(first.stderr).not.toMatch(SANITIZER_REPORT);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const answers = first.stdout.split(/^\.\n/m).filter(Boolean);
    expect(answers).toHaveLength(4);
    expect(answers[2]).toBe('E\tunknown command\n');
    const stats = [0, 1, 3].map((i) => parseSockdiagOutput(answers[i]!).stats);
    expect(stats.map((s) => s.rescans)).toEqual([1, 0, 0]); // the owner cache holds between polls
  });
});

describe('idlewatch-sockdiag out of file descriptors', () => {
  const holders: ChildProcess[] = [];
  beforeAll(async () => {
    // More processes holding sockets than a limit of 40 open files lets the scan open.
    const server = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as net.AddressInfo).port;
    for (let i = 0; i < 60; i++) {
      const socket = net.connect(port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      holders.push(spawn('sleep', ['120'], { stdio: ['ignore', 'ignore', 'ignore', socket] }));
      socket.destroy();
    }
    server.close();
  });
  afterAll(() => holders.forEach((h) => h.kill('SIGKILL')));

  it('counts the processes it could not scan, and says why', () => {
    const r = run('sh', ['-c', `ulimit -n 40; exec "${plain}" --once`]);
    expect(r.status).toBe(0);
    const out = parseSockdiagOutput(r.stdout);
    expect(out.stats.unscanned).toBeGreaterThan(0);
    expect(out.stats.unscanned! + out.stats.processes! + out.stats.denied!).toBeGreaterThanOrEqual(60);
    expect(out.errors).toContain(`cannot scan ${out.stats.unscanned} processes: Too many open files`);
  });

  it('scans every process when it has the files it needs', () => {
    const out = parseSockdiagOutput(run(plain, ['--once']).stdout);
    expect(out.stats.unscanned).toBe(0);
    expect(out.errors).toEqual([]);
    const owner = new Map(out.sockets.map((s) => [s.inode, s.pid]));
    for (const h of holders) {
      const inode = Number(/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${h.pid}/fd/3`))![1]);
      expect(owner.get(inode)).toBe(h.pid);
    }
  });
});

describe('idlewatch-sockdiag user names', () => {
  it('names socket owners through NSS, escaping a name that tries to break the output', async () => {
    // /etc/passwd with a hostile name, seen only inside a private mount namespace.
    const passwd = join(dir, 'passwd');
    copyFileSync('/etc/passwd', passwd);
    writeFileSync(passwd, `${readFileSync(passwd, 'utf8')}${HOSTILE_USER}:x:${HOSTILE_UID}:${HOSTILE_UID}::/nonexistent:/usr/sbin/nologin\n`);
    await listenerOwnedBy(HOSTILE_UID);
    const r = run('unshare', ['-m', '--', 'sh', '-c', `mount --bind "${passwd}" /etc/passwd && exec "${plain}" --once`]);
    expect(r.stderr).toBe('');
    const out = parseSockdiagOutput(r.stdout);
    expect(out.malformedLines).toBe(0);
    expect(out.users.get(HOSTILE_UID)).toBe(HOSTILE_USER);
    expect(out.users.get(0)).toBe('root');
    expect(r.stdout).toContain(`U\t${HOSTILE_UID}\tev\\x09il\\x1b[2J\\\\x\n`);
    // Only owners of sockets are named, each once, before the first socket.
    const lines = r.stdout.split('\n');
    const uLines = lines.filter((l) => l.startsWith('U\t'));
    expect(new Set(uLines).size).toBe(uLines.length);
    expect(lines.findIndex((l) => l.startsWith('U\t'))).toBeLessThan(lines.findIndex((l) => l.startsWith('S\t')));
    expect(lines.findLastIndex((l) => l.startsWith('U\t'))).toBeLessThan(lines.findIndex((l) => l.startsWith('S\t')));
  });
});

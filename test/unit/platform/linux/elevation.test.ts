/**
 * How the app runs its elevated helper, with stand-ins: a script in a temporary directory plays
 * pkexec (passed through the constructor, as production code takes no path from anywhere but its
 * constants). Real pkexec and polkitd are in test/integration/profiles-pkexec.test.ts; a
 * dismissed dialog (exit 126), which no agent there can produce, is proven here.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  helperArgs,
  helperRootCommand,
  interpretHelperEnd,
  INSTALLED_HELPER,
  KeepaliveElevation,
  type ChildEnd,
  type HelperRequest,
} from '../../../../main/platform/linux/elevation';

const isRoot = process.getuid?.() === 0;
const APPLY: HelperRequest = { verb: 'apply', values: { timeSec: 600, intervalSec: 60, probes: 5 }, persist: true };
const ROOT_COMMAND = 'sudo idlewatch apply server';
const APPLIED = 'B\\t7200\\t75\\t9\\nA\\t600\\t60\\t5\\nD\\t/etc/sysctl.d/99-zz-idlewatch-keepalive.conf\\nOK\\n';

let dir = '';
let installed = '';

/** A stand-in that records its argv and environment, prints `stdout` and exits with `code`. */
function standIn(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, ['#!/bin/sh', 'printf "%s\\n" "$@" > "$0.argv"', 'env > "$0.env"', body, ''].join('\n'), { mode: 0o755 });
  return path;
}
const argvOf = (script: string) => readFileSync(`${script}.argv`, 'utf8').split('\n').slice(0, -1);

function asUser(pkexecPath: string, over: Partial<ConstructorParameters<typeof KeepaliveElevation>[0]> = {}) {
  return new KeepaliveElevation({ uid: 1000, pkexecPath, installedHelperPath: installed, builtHelperPath: join(dir, 'not-built'), ...over });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'idlewatch-elevation-'));
  installed = join(dir, 'idlewatch-keepalive');
  writeFileSync(installed, '#!/bin/sh\nexit 99\n', { mode: 0o755 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the helper’s argv', () => {
  it('is a fixed verb and decimal numbers', () => {
    expect(helperArgs(APPLY)).toEqual(['apply', '600', '60', '5', 'persist']);
    expect(helperArgs({ ...APPLY, persist: false })).toEqual(['apply', '600', '60', '5', 'runtime']);
    expect(helperArgs({ verb: 'undo' })).toEqual(['undo']);
    expect(helperArgs({ verb: 'recover' })).toEqual(['recover']);
    expect(helperRootCommand(APPLY)).toBe(`sudo ${INSTALLED_HELPER} apply 600 60 5 persist`);
  });

  it.each([
    [{ timeSec: 0, intervalSec: 60, probes: 5 }, /time must be from 1–32767 s/],
    [{ timeSec: 600, intervalSec: 32768, probes: 5 }, /interval must be from 1–32767 s/],
    [{ timeSec: 600, intervalSec: 60, probes: 256 }, /probes must be from 1–255/],
    [{ timeSec: 600.5, intervalSec: 60, probes: 5 }, /whole number/],
    [{ timeSec: '600; reboot', intervalSec: 60, probes: 5 }, /whole number/],
  ])('never passes on values out of range: %j', async (values, message) => {
    const pkexec = standIn('pkexec-never', 'exit 0');
    const request = { verb: 'apply', values, persist: true } as unknown as HelperRequest;
    expect(() => helperArgs(request)).toThrow(message);
    expect(() => asUser(pkexec).run(request)).toThrow(message);
    expect(existsSync(`${pkexec}.argv`)).toBe(false);
  });
});

describe('not root: pkexec with the installed helper', () => {
  it('runs `pkexec <installed helper> apply 600 60 5 persist` with a fixed environment, and reads the outcome', async () => {
    const pkexec = standIn('pkexec-applies', `printf '${APPLIED}'; exit 0`);
    process.env.IDLEWATCH_TEST_SECRET = 'leak';
    process.env.PKEXEC_UID = '0';
    try {
      const run = await asUser(pkexec).run(APPLY, ROOT_COMMAND);
      expect(argvOf(pkexec)).toEqual([installed, 'apply', '600', '60', '5', 'persist']);
      expect(run).toMatchObject({ outcome: 'applied', output: { after: { timeSec: 600, intervalSec: 60, probes: 5 } } });
      expect(run.message).toBe('Applied 600/60/5 (was 7200/75/9); persisted in /etc/sysctl.d/99-zz-idlewatch-keepalive.conf.');
      const env = readFileSync(`${pkexec}.env`, 'utf8');
      expect(env).not.toMatch(/IDLEWATCH_TEST_SECRET|PKEXEC_UID/);
      expect(env).toMatch(/^PATH=\/usr\/sbin:\/usr\/bin:\/sbin:\/bin$/m);
    } finally {
      delete process.env.IDLEWATCH_TEST_SECRET;
      delete process.env.PKEXEC_UID;
    }
  });

  it('a dismissed dialog (pkexec exit 126) is refused: nothing changed, and the exact root command', async () => {
    const run = await asUser(standIn('pkexec-dismissed', 'exit 126')).run(APPLY, ROOT_COMMAND);
    expect(run.outcome).toBe('refused');
    expect(run.message).toBe(`The authentication dialog was dismissed. Nothing was changed. To do it as root: ${ROOT_COMMAND}`);
  });

  it('not authorized or no agent (pkexec exit 127) is refused, quoting pkexec, with the root command', async () => {
    const pkexec = standIn('pkexec-unauthorized', 'echo "Error executing command as another user: Not authorized" >&2; echo "" >&2; echo "This incident has been reported." >&2; exit 127');
    const run = await asUser(pkexec).run(APPLY, ROOT_COMMAND);
    expect(run.outcome).toBe('refused');
    expect(run.message).toMatch(/^Not authorized to change keepalive settings: .*\(pkexec: This incident has been reported\.\)\. Nothing was changed\. To do it as root: sudo idlewatch apply server$/);
  });

  it('without a root command from the caller, names the helper’s own', async () => {
    const run = await asUser(standIn('pkexec-dismissed-2', 'exit 126')).run({ ...APPLY, persist: false });
    expect(run.message).toMatch(new RegExp(`To do it as root: sudo ${installed} apply 600 60 5 runtime$`));
  });

  it('pkexec missing is refused before anything runs, with the root command; availability says so', () => {
    const elevation = asUser(join(dir, 'no-such-pkexec'));
    expect(elevation.availability()).toEqual({ available: false, reason: expect.stringMatching(/pkexec is not installed.*apt-get install pkexec.*As root: sudo idlewatch apply PROFILE/) });
    return expect(elevation.run(APPLY, ROOT_COMMAND)).resolves.toMatchObject({
      outcome: 'refused',
      message: expect.stringMatching(/^pkexec is not installed .*Nothing was changed\. To do it as root: sudo idlewatch apply server$/),
    });
  });

  it('pkexec that cannot be executed is refused, naming why', async () => {
    const pkexec = join(dir, 'pkexec-not-executable');
    writeFileSync(pkexec, 'not a program', { mode: 0o644 });
    const run = await asUser(pkexec).run(APPLY, ROOT_COMMAND);
    expect(run).toMatchObject({ outcome: 'refused', message: expect.stringMatching(/could not be started: EACCES\. Nothing was changed\. To do it as root/) });
  });

  it('a helper that is not installed is refused: pkexec needs its fixed path', async () => {
    const pkexec = standIn('pkexec-unused', 'exit 0');
    const elevation = asUser(pkexec, { installedHelperPath: join(dir, 'not-installed') });
    expect(elevation.availability().available).toBe(false);
    const run = await elevation.run(APPLY, ROOT_COMMAND);
    expect(run).toMatchObject({ outcome: 'refused', message: expect.stringMatching(/not installed at .*not-installed.*Nothing was changed\. To do it as root: sudo idlewatch apply server/) });
    expect(existsSync(`${pkexec}.argv`)).toBe(false);
  });

  it.each([
    [1, 'B\\t7200\\t75\\t9\\nA\\t7200\\t75\\t9\\nD\\t-\\nR\\trolled back to 7200/75/9: Read-only file system\\nFAIL\\n', 'rolled-back', /^Apply failed: rolled back to 7200\/75\/9: Read-only file system\. Nothing was changed\.$/],
    [1, 'E\\tnothing to undo: no apply has been recorded in /var/lib/idlewatch\\nFAIL\\n', 'rolled-back', /nothing to undo.*Nothing was changed\./],
    [2, 'E\\tTIME must be 1-32767\\nFAIL\\n', 'refused', /^The helper refused the request: TIME must be 1-32767\. Nothing was changed\.$/],
    [3, 'B\\t7200\\t75\\t9\\nA\\t-\\t-\\t-\\nD\\t-\\nE\\tthe rollback failed too: in force now 600/75/9\\nFAIL\\n', 'failed', /could not be fully rolled back: the rollback failed too: in force now 600\/75\/9$/],
    [0, 'B\\t7200\\t75\\t9\\n', 'failed', /exited 0 without confirming/],
    // E before the final OK is a warning: the change stands.
    [0, 'B\\t7200\\t75\\t9\\nA\\t600\\t60\\t5\\nD\\t-\\nE\\tapplied, but /var/lib/idlewatch could not be synced: EIO\\nOK\\n', 'applied', /^Applied 600\/60\/5 \(was 7200\/75\/9\); runtime only, not persisted\. Warning: applied, but \/var\/lib\/idlewatch could not be synced: EIO\.$/],
    [0, `R\\tthe apply of uid 1000 (7200/75/9 -> 60/10/6) was interrupted and was rolled back\\n${APPLIED}`, 'applied', /^Applied 600\/60\/5 \(was 7200\/75\/9\); persisted in .*\. First, the apply of uid 1000 .* rolled back\.$/],
  ])('helper exit %i through pkexec is mapped to its outcome (%#)', async (code, stdout, outcome, message) => {
    const run = await asUser(standIn(`pkexec-exit-${code}-${Math.random().toString(36).slice(2)}`, `printf '${stdout}'; exit ${code}`)).run(APPLY, ROOT_COMMAND);
    expect(run.outcome).toBe(outcome);
    expect(run.message).toMatch(message);
  });

  it('a helper killed half-way is a failure that says how the interrupted change is rolled back', async () => {
    const run = await asUser(standIn('pkexec-killed', 'kill -9 $$')).run(APPLY, ROOT_COMMAND);
    expect(run).toMatchObject({ outcome: 'failed', message: expect.stringMatching(/killed by SIGKILL.*recover/) });
  });

  it('a run that hangs is stopped after its timeout', async () => {
    const run = await asUser(standIn('pkexec-hangs', 'exec sleep 30'), { pkexecTimeoutMs: 300 }).run(APPLY, ROOT_COMMAND);
    expect(run).toMatchObject({ outcome: 'failed', message: expect.stringMatching(/did not finish in time/) });
  });

  it('runs one helper at a time', async () => {
    const pkexec = standIn('pkexec-slow', `if [ -e "$0.busy" ]; then echo overlap >> "$0.log"; fi; touch "$0.busy"; sleep 0.2; rm "$0.busy"; printf '${APPLIED}'`);
    const elevation = asUser(pkexec);
    const runs = await Promise.all([elevation.run(APPLY), elevation.run({ verb: 'undo' }), elevation.run(APPLY)]);
    expect(runs.map((r) => r.outcome)).toEqual(['applied', 'applied', 'applied']);
    expect(existsSync(`${pkexec}.log`)).toBe(false);
  });
});

describe.runIf(isRoot)('as root: the helper directly, no prompt', () => {
  it('runs the installed helper when there is one, without pkexec', async () => {
    const helper = standIn('installed-helper', `printf '${APPLIED}'`);
    const pkexec = standIn('pkexec-root-unused', 'exit 126');
    const run = await new KeepaliveElevation({ uid: 0, pkexecPath: pkexec, installedHelperPath: helper }).run(APPLY);
    expect(run.outcome).toBe('applied');
    expect(argvOf(helper)).toEqual(['apply', '600', '60', '5', 'persist']);
    expect(existsSync(`${pkexec}.argv`)).toBe(false);
  });

  it('else the build’s helper, once it is writable by root alone', async () => {
    const safeDir = join(dir, 'safe');
    mkdirSync(safeDir, { mode: 0o755 });
    const built = join(safeDir, 'idlewatch-keepalive');
    writeFileSync(built, `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/built.argv"\nprintf '${APPLIED}'\n`, { mode: 0o755 });
    const elevation = new KeepaliveElevation({ uid: 0, installedHelperPath: join(dir, 'not-installed'), builtHelperPath: built });
    expect(elevation.availability()).toEqual({ available: true, reason: null });
    expect((await elevation.run({ verb: 'undo' })).outcome).toBe('applied');
    expect(readFileSync(join(dir, 'built.argv'), 'utf8')).toBe('undo\n');

    chmodSync(safeDir, 0o777);
    expect(elevation.availability()).toEqual({ available: false, reason: expect.stringMatching(/Refusing to run .* writable by every user/) });
    const refused = await elevation.run(APPLY, ROOT_COMMAND);
    expect(refused).toMatchObject({ outcome: 'refused', message: expect.stringMatching(/Refusing to run.*Nothing was changed/) });
    chmodSync(safeDir, 0o755);
  });

  it('with no helper at all, says to build it', () => {
    const elevation = new KeepaliveElevation({ uid: 0, installedHelperPath: join(dir, 'none'), builtHelperPath: join(dir, 'none-either') });
    expect(elevation.availability().reason).toMatch(/neither installed .* nor built .*npm run build/);
  });
});

describe('interpretHelperEnd', () => {
  const end = (over: Partial<ChildEnd>): ChildEnd => ({ code: 0, signal: null, spawnError: null, timedOut: false, stdout: '', stderr: '', ...over });
  const route = { via: 'direct' as const, path: '/usr/libexec/idlewatch/idlewatch-keepalive' };

  it('as root, 126 and 127 are the helper’s own (it never uses them): failures, not refusals', () => {
    expect(interpretHelperEnd(APPLY, route, end({ code: 126 }), ROOT_COMMAND).outcome).toBe('failed');
    expect(interpretHelperEnd(APPLY, route, end({ code: 127 }), ROOT_COMMAND).outcome).toBe('failed');
  });

  it('an undo and a recovery say what they restored', () => {
    const undone = interpretHelperEnd({ verb: 'undo' }, route, end({ stdout: 'B\t600\t60\t5\nA\t7200\t75\t9\nD\t-\nOK\n' }), 'sudo idlewatch undo');
    expect(undone).toMatchObject({ outcome: 'applied', message: 'Restored 7200/75/9 (was 600/60/5).' });
    const recovered = interpretHelperEnd({ verb: 'recover' }, route, end({ stdout: 'R\tthe apply of uid 0 (7200/75/9 -> 600/60/5) … was rolled back\nOK\n' }), '');
    expect(recovered.message).toBe('An interrupted change was rolled back: the apply of uid 0 (7200/75/9 -> 600/60/5) … was rolled back');
  });
});

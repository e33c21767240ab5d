import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseSockdiagOutput } from '../../main/platform/linux/sockdiag-output';
import { PRESETS } from '../../shared/profiles';
import { compile, NATIVE_DIR, SANITIZER_ENV, SANITIZER_REPORT, sockdiagSources, WARN } from '../native/compile';
import {
  buildHelpers,
  DROPIN,
  DROPIN_DIR,
  HISTORY,
  JOURNAL,
  LAST_APPLY,
  parseHelperOutput,
  parseHistory,
  readKeepalive,
  STATE_DIR,
  systemState,
  type Values,
} from '../native/keepalive';
import { assertThrowawayPersistence, openPair, setKeepaliveSysctls, sleep, socketInode, type Pair } from './lab';

/**
 * idlewatch-keepalive against the real kernel, as root, in the test's throwaway network
 * namespace with tmpfs over /etc/sysctl.d and /var/lib/idlewatch (acceptance 1, the helper's
 * part): every preset applies, reads back and persists; runtime writes no drop-in; a socket
 * opened afterwards gets the new timer; a failure injected mid-apply leaves everything as it
 * was; undo; the rollback of an interrupted apply; the audit line in the system log.
 * Failures are injected with mounts inside a child mount namespace of their own
 * (`unshare -m`), so they vanish with that child.
 */

const KERNEL_DEFAULT: Values = { timeSec: 7200, intervalSec: 75, probes: 9 };
const PROBES_FILE = '/proc/sys/net/ipv4/tcp_keepalive_probes';

let dir = '';
let builds: { shipped: string; sanitized: string };
let catcher = '';
let sockdiag = '';
const pairs: Pair[] = [];

function cleanPersistence(): void {
  assertThrowawayPersistence();
  for (const d of [DROPIN_DIR, STATE_DIR]) {
    for (const name of readdirSync(d)) rmSync(join(d, name), { recursive: true, force: true });
    chmodSync(d, 0o755);
    chownSync(d, 0, 0);
  }
}

beforeAll(() => {
  assertThrowawayPersistence();
  dir = mkdtempSync(join(tmpdir(), 'idlewatch-keepalive-helper-'));
  builds = buildHelpers(dir);
  catcher = join(dir, 'syslog-catcher');
  const c = compile('cc', catcher, [join(NATIVE_DIR, 'syslog-catcher.c')], ['-O1', ...WARN]);
  if (!c.ok) throw new Error(`cannot build the syslog catcher:\n${c.output}`);
  sockdiag = join(dir, 'idlewatch-sockdiag');
  const s = compile('cc', sockdiag, sockdiagSources(), ['-O2', ...WARN], ['-lpthread']);
  if (!s.ok) throw new Error(`cannot build idlewatch-sockdiag:\n${s.output}`);
}, 120_000);

beforeEach(() => {
  cleanPersistence();
  setKeepaliveSysctls(KERNEL_DEFAULT);
});

afterAll(() => {
  pairs.forEach((p) => p.close());
  if (dir) rmSync(dir, { recursive: true, force: true });
  cleanPersistence();
  setKeepaliveSysctls(KERNEL_DEFAULT);
});

type Build = 'shipped' | 'sanitized';

interface RunOptions {
  build?: Build;
  /** PKEXEC_UID, as pkexec sets it. */
  uid?: string;
  /** Shell commands run first in a private mount namespace of the helper's own (fixed text). */
  setup?: string;
  /** Run under test/native/syslog-catcher.c, which gives it a /dev/log of its own. */
  catchSyslog?: boolean;
}

function helper(args: string[], { build = 'shipped', uid, setup, catchSyslog }: RunOptions = {}) {
  const binary = builds[build];
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...SANITIZER_ENV, ...(uid === undefined ? {} : { PKEXEC_UID: uid }) };
  let argv = [binary, ...args];
  if (catchSyslog) argv = [catcher, ...argv];
  if (setup) argv = ['unshare', '-m', '--propagation', 'private', '--', 'sh', '-c', `set -e\n${setup}\nexec "$@"`, 'sh', ...argv];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env, timeout: 60_000 });
  expect(r.stderr).not.toMatch(SANITIZER_REPORT);
  expect(r.stderr).toBe('');
  const helperLines = r.stdout.split('\n').filter((l) => !l.startsWith('SYSLOG\t'));
  const syslog = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('SYSLOG\t'))
    .map((l) => l.slice(7).replace(/\\x([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))));
  return { status: r.status, stdout: r.stdout, out: parseHelperOutput(helperLines.join('\n')), syslog };
}

const args = (v: Values) => [String(v.timeSec), String(v.intervalSec), String(v.probes)];

function dropInSettings(): string[] {
  return readFileSync(DROPIN, 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'));
}

const history = () => (existsSync(HISTORY) ? parseHistory(readFileSync(HISTORY, 'utf8')) : []);
const leftovers = () => [...readdirSync(DROPIN_DIR), ...readdirSync(STATE_DIR)].filter((n) => n.endsWith('.tmp') || n === 'apply.journal');

/** The journal a helper writes before it changes anything (keepalive-core.h documents it). */
function journal(v: { verb: string; uid: number; before: Values; after: Values; dropin: boolean; previous: string | null }): string {
  const esc = (s: string) => s.replace(/[\\\x00-\x1f\x7f]/g, (c) => (c === '\\' ? '\\\\' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
  return [
    'idlewatch-keepalive-change/1',
    `verb\t${v.verb}`,
    `uid\t${v.uid}`,
    `started\t${Date.now()}`,
    `before\t${args(v.before).join('\t')}`,
    `after\t${args(v.after).join('\t')}`,
    `dropin\t${v.dropin ? 1 : 0}`,
    v.previous === null ? 'previous\tnone' : `previous\tfile\t${esc(v.previous)}`,
    'end',
    '',
  ].join('\n');
}

describe.each(['shipped', 'sanitized'] as const)('idlewatch-keepalive (%s build)', (build) => {
  describe('apply', () => {
    it.each(PRESETS.map((p) => [p.id, p] as const))('%s: applies, reads back, persists, records', (_, preset) => {
      const start: Values = preset.id === 'kernel-default' ? { timeSec: 600, intervalSec: 60, probes: 5 } : KERNEL_DEFAULT;
      setKeepaliveSysctls(start);
      const target: Values = { timeSec: preset.timeSec, intervalSec: preset.intervalSec, probes: preset.probes };

      const r = helper(['apply', ...args(target), 'persist'], { build, uid: '1000' });

      expect(r.status, r.stdout).toBe(0);
      expect(r.out.lines.map((l) => l[0])).toEqual(['B', 'A', 'D', 'OK']);
      expect(r.out.before).toEqual(start);
      expect(r.out.after).toEqual(target);
      expect(r.out.dropIn).toBe(DROPIN);
      expect(readKeepalive()).toEqual(target);

      const st = statSync(DROPIN);
      expect([st.uid, st.mode & 0o7777]).toEqual([0, 0o644]);
      expect(dropInSettings()).toEqual([
        `net.ipv4.tcp_keepalive_time = ${target.timeSec}`,
        `net.ipv4.tcp_keepalive_intvl = ${target.intervalSec}`,
        `net.ipv4.tcp_keepalive_probes = ${target.probes}`,
      ]);
      expect(readdirSync(DROPIN_DIR)).toEqual(['99-zz-idlewatch-keepalive.conf']);

      expect(history()).toEqual([
        { atMs: expect.any(Number), uid: 1000, action: 'apply', before: start, after: target, persisted: true, outcome: 'applied', message: '' },
      ]);
      expect(Math.abs(history()[0]!.atMs - Date.now())).toBeLessThan(10_000);
      expect(statSync(HISTORY).mode & 0o7777).toBe(0o644);
      expect(statSync(LAST_APPLY).mode & 0o7777).toBe(0o600);
      expect(readFileSync(LAST_APPLY, 'utf8')).toMatch(
        new RegExp(`^idlewatch-keepalive-change/1\nverb\tapply\nuid\t1000\n.*\nbefore\t${args(start).join('\t')}\nafter\t${args(target).join('\t')}\ndropin\t1\nprevious\tnone\nend\n$`, 's'),
      );
      expect(existsSync(JOURNAL)).toBe(false);
      expect(leftovers()).toEqual([]);
    });

    it('runtime sets the values and writes no drop-in', () => {
      const r = helper(['apply', '180', '30', '5', 'runtime'], { build });
      expect(r.status, r.stdout).toBe(0);
      expect(r.out.dropIn).toBe('-');
      expect(readKeepalive()).toEqual({ timeSec: 180, intervalSec: 30, probes: 5 });
      expect(readdirSync(DROPIN_DIR)).toEqual([]);
      expect(history().map((h) => [h.persisted, h.outcome, h.uid])).toEqual([[false, 'applied', 0]]);
    });

    it('runtime leaves an earlier drop-in exactly as it was', () => {
      expect(helper(['apply', '600', '60', '5', 'persist'], { build }).status).toBe(0);
      const before = readFileSync(DROPIN);
      expect(helper(['apply', '60', '10', '6', 'runtime'], { build }).status).toBe(0);
      expect(readFileSync(DROPIN).equals(before)).toBe(true);
      expect(readKeepalive()).toEqual({ timeSec: 60, intervalSec: 10, probes: 6 });
    });

    it('takes PKEXEC_UID only when it is a number', () => {
      helper(['apply', '600', '60', '5', 'runtime'], { build, uid: '1000; rm -rf /' });
      helper(['apply', '900', '60', '5', 'runtime'], { build, uid: '65534' });
      expect(history().map((h) => h.uid)).toEqual([0, 65534]);
    });
  });

  describe('a failure injected mid-apply leaves everything as it was', () => {
    it('the injection works on this kernel: a read-only bind mount makes the write fail', () => {
      const r = spawnSync('unshare', ['-m', '--propagation', 'private', '--', 'sh', '-c', `mount --bind ${PROBES_FILE} ${PROBES_FILE} && mount -o remount,bind,ro ${PROBES_FILE} && echo 5 > ${PROBES_FILE}`], {
        encoding: 'utf8',
      });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/Read-only file system/);
      expect(readKeepalive()).toEqual(KERNEL_DEFAULT);
    });

    it.each([
      ['no drop-in before', null],
      ['our earlier drop-in before', 'earlier'],
    ] as const)('a read-only /proc/sys/…/tcp_keepalive_probes (the last of the three writes), %s', (_, earlier) => {
      if (earlier) {
        expect(helper(['apply', '900', '60', '5', 'persist'], { build }).status).toBe(0);
        rmSync(HISTORY);
      }
      const previous = readKeepalive();
      const state = systemState();
      const lastApply = existsSync(LAST_APPLY) ? readFileSync(LAST_APPLY, 'utf8') : null;

      const r = helper(['apply', '60', '10', '6', 'persist'], {
        build,
        setup: `mount --bind ${PROBES_FILE} ${PROBES_FILE}\nmount -o remount,bind,ro ${PROBES_FILE}`,
      });

      expect(r.status, r.stdout).toBe(1);
      expect(r.out.lines.map((l) => l[0])).toEqual(['B', 'A', 'D', 'R', 'FAIL']);
      expect(r.out.before).toEqual(previous);
      expect(r.out.after).toEqual(previous);
      expect(r.out.dropIn).toBe('-');
      expect(r.out.rolledBack[0]).toMatch(/^rolled back to .*tcp_keepalive_probes.*Read-only file system/);
      // All three previous values (time and interval had been written), no new drop-in, no journal.
      expect(readKeepalive()).toEqual(previous);
      expect(existsSync(JOURNAL)).toBe(false);
      expect(leftovers()).toEqual([]);
      expect(systemState().dropInDir).toEqual(state.dropInDir);
      expect(existsSync(LAST_APPLY) ? readFileSync(LAST_APPLY, 'utf8') : null).toBe(lastApply);
      expect(history()).toEqual([
        expect.objectContaining({ action: 'apply', before: previous, after: { timeSec: 60, intervalSec: 10, probes: 6 }, outcome: 'rolled-back' }),
      ]);
    });

    it('a read-only /etc/sysctl.d (the persist step, after the three values were written)', () => {
      const r = helper(['apply', '60', '10', '6', 'persist'], {
        build,
        setup: `mount --bind ${DROPIN_DIR} ${DROPIN_DIR}\nmount -o remount,bind,ro ${DROPIN_DIR}`,
      });
      expect(r.status, r.stdout).toBe(1);
      expect(r.out.rolledBack[0]).toMatch(/\/etc\/sysctl\.d.*Read-only file system/);
      expect(readKeepalive()).toEqual(KERNEL_DEFAULT);
      expect(readdirSync(DROPIN_DIR)).toEqual([]);
      expect(existsSync(JOURNAL)).toBe(false);
      expect(existsSync(LAST_APPLY)).toBe(false);
    });

    it('a value that does not read back as written', () => {
      // A plain file over tcp_keepalive_probes: the write lands, but "6\n" over "100\n" reads back as "6\n0\n".
      const fake = join(dir, 'probes');
      writeFileSync(fake, '100\n');
      const r = helper(['apply', '60', '10', '6', 'runtime'], { build, setup: `mount --bind ${fake} ${PROBES_FILE}` });
      expect(r.status, r.stdout).toBe(1);
      expect(r.out.rolledBack[0]).toMatch(/cannot read the values back/);
      expect(readFileSync(fake, 'utf8')).toBe('100\n'); // restored as well
      expect(readKeepalive()).toEqual(KERNEL_DEFAULT);
      expect(existsSync(JOURNAL)).toBe(false);
    });
  });

  describe('undo', () => {
    it('restores the values and removes the drop-in that was not there', () => {
      expect(helper(['apply', '600', '60', '5', 'persist'], { build }).status).toBe(0);
      const r = helper(['undo'], { build, uid: '1000' });
      expect(r.status, r.stdout).toBe(0);
      expect(r.out.before).toEqual({ timeSec: 600, intervalSec: 60, probes: 5 });
      expect(r.out.after).toEqual(KERNEL_DEFAULT);
      expect(r.out.dropIn).toBe('-');
      expect(readKeepalive()).toEqual(KERNEL_DEFAULT);
      expect(readdirSync(DROPIN_DIR)).toEqual([]);
      expect(history().at(-1)).toMatchObject({ uid: 1000, action: 'undo', before: { timeSec: 600 }, after: KERNEL_DEFAULT, persisted: true, outcome: 'applied' });
      expect(existsSync(JOURNAL)).toBe(false);
    });

    it('restores a drop-in that was there, byte for byte', () => {
      const admins = '# the admin wrote this by hand\nnet.ipv4.tcp_keepalive_time=1800\n\tnet.ipv4.tcp_keepalive_probes = 3 \\ odd\n';
      writeFileSync(DROPIN, admins, { mode: 0o644 });
      setKeepaliveSysctls({ timeSec: 1800, intervalSec: 75, probes: 3 });
      expect(helper(['apply', '600', '60', '5', 'persist'], { build }).status).toBe(0);
      expect(readFileSync(DROPIN, 'utf8')).not.toBe(admins);
      const r = helper(['undo'], { build });
      expect(r.status, r.stdout).toBe(0);
      expect(r.out.dropIn).toBe(DROPIN);
      expect(readFileSync(DROPIN, 'utf8')).toBe(admins);
      expect(readKeepalive()).toEqual({ timeSec: 1800, intervalSec: 75, probes: 3 });
    });

    it('restores values beyond the profile limits (they came from the kernel, not the caller)', () => {
      setKeepaliveSysctls({ timeSec: 86400, intervalSec: 75, probes: 9 });
      expect(helper(['apply', '600', '60', '5', 'runtime'], { build }).status).toBe(0);
      expect(helper(['undo'], { build }).status).toBe(0);
      expect(readKeepalive()).toEqual({ timeSec: 86400, intervalSec: 75, probes: 9 });
    });

    it('after a runtime apply, leaves the drop-in alone', () => {
      expect(helper(['apply', '600', '60', '5', 'persist'], { build }).status).toBe(0);
      const dropIn = readFileSync(DROPIN);
      expect(helper(['apply', '60', '10', '6', 'runtime'], { build }).status).toBe(0);
      const r = helper(['undo'], { build });
      expect(r.status, r.stdout).toBe(0);
      expect(r.out.dropIn).toBe('-');
      expect(readKeepalive()).toEqual({ timeSec: 600, intervalSec: 60, probes: 5 });
      expect(readFileSync(DROPIN).equals(dropIn)).toBe(true);
    });

    it.each([
      ['when nothing was applied', false],
      ['twice in a row', true],
    ])('has nothing to undo %s: exit 1, nothing changed', (_, applyFirst) => {
      if (applyFirst) {
        expect(helper(['apply', '600', '60', '5', 'persist'], { build }).status).toBe(0);
        expect(helper(['undo'], { build }).status).toBe(0);
      }
      const state = systemState();
      const r = helper(['undo'], { build });
      expect(r.status, r.stdout).toBe(1);
      expect(r.out.errors[0]).toMatch(/^nothing to undo/);
      expect(r.out.last).toBe('FAIL');
      expect(systemState()).toEqual(state);
    });
  });

  describe('an apply interrupted by a crash or power loss', () => {
    // The state a helper killed after its journal and its writes leaves behind, written by hand.
    function interrupted(previous: string | null): void {
      setKeepaliveSysctls({ timeSec: 600, intervalSec: 60, probes: 5 });
      writeFileSync(DROPIN, 'net.ipv4.tcp_keepalive_time = 600\n', { mode: 0o644 });
      writeFileSync(JOURNAL, journal({ verb: 'apply', uid: 1000, before: KERNEL_DEFAULT, after: { timeSec: 600, intervalSec: 60, probes: 5 }, dropin: true, previous }), {
        mode: 0o600,
      });
    }

    it('is rolled back by recover: previous values, no drop-in, no journal', () => {
      interrupted(null);
      const r = helper(['recover'], { build, uid: '0' });
      expect(r.status, r.stdout).toBe(0);
      expect(r.out.lines.map((l) => l[0])).toEqual(['R', 'OK']);
      expect(r.out.rolledBack[0]).toMatch(/apply of uid 1000 .*interrupted.*rolled back/);
      expect(readKeepalive()).toEqual(KERNEL_DEFAULT);
      expect(readdirSync(DROPIN_DIR)).toEqual([]);
      expect(existsSync(JOURNAL)).toBe(false);
      expect(history()).toEqual([expect.objectContaining({ uid: 1000, action: 'apply', before: KERNEL_DEFAULT, outcome: 'rolled-back' })]);
    });

    it('puts back the drop-in that was there', () => {
      const admins = 'net.ipv4.tcp_keepalive_time = 3600\n';
      interrupted(admins);
      expect(helper(['recover'], { build }).status).toBe(0);
      expect(readFileSync(DROPIN, 'utf8')).toBe(admins);
    });

    it('is rolled back first by any verb, which then goes on', () => {
      interrupted(null);
      const r = helper(['apply', '180', '30', '5', 'runtime'], { build });
      expect(r.status, r.stdout).toBe(0);
      expect(r.out.lines.map((l) => l[0])).toEqual(['R', 'B', 'A', 'D', 'OK']);
      expect(r.out.before).toEqual(KERNEL_DEFAULT);
      expect(readKeepalive()).toEqual({ timeSec: 180, intervalSec: 30, probes: 5 });
      expect(readdirSync(DROPIN_DIR)).toEqual([]);
      expect(history().map((h) => h.outcome)).toEqual(['rolled-back', 'applied']);
    });

    it('recover with no journal does nothing', () => {
      const state = systemState();
      const r = helper(['recover'], { build });
      expect(r.status).toBe(0);
      expect(r.out.lines).toEqual([['OK']]);
      expect(systemState()).toEqual(state);
    });

    it('a journal that cannot be read stops everything (exit 3) and is kept', () => {
      setKeepaliveSysctls({ timeSec: 600, intervalSec: 60, probes: 5 });
      writeFileSync(JOURNAL, 'idlewatch-keepalive-change/1\nverb\tapply\n', { mode: 0o600 });
      const state = systemState();
      const r = helper(['apply', '180', '30', '5', 'runtime'], { build });
      expect(r.status, r.stdout).toBe(3);
      expect(r.out.errors[0]).toMatch(/journal that cannot be used.*kept/);
      expect(systemState()).toEqual(state);
    });
  });

  describe('refuses unsafe places to write', () => {
    it.each([
      ['a group-writable state directory', () => chmodSync(STATE_DIR, 0o775), /\/var\/lib\/idlewatch.*mode 775/],
      ['a state directory owned by another user', () => chownSync(STATE_DIR, 65534, 65534), /\/var\/lib\/idlewatch.*owner 65534/],
      ['a world-writable drop-in directory', () => chmodSync(DROPIN_DIR, 0o777), /\/etc\/sysctl\.d.*mode 777/],
    ])('%s: exit 1, nothing changed', (_, arrange, says) => {
      arrange();
      const state = systemState();
      const r = helper(['apply', '600', '60', '5', 'persist'], { build });
      expect(r.status, r.stdout).toBe(1);
      expect(r.out.errors[0]).toMatch(says);
      expect(systemState()).toEqual(state);
    });

    it('a state directory that is a symlink', () => {
      const r = helper(['apply', '600', '60', '5', 'persist'], {
        build,
        setup: `mount -t tmpfs -o mode=0755 idlewatch-test /var/lib\nmkdir /var/lib/elsewhere\nln -s elsewhere ${STATE_DIR}`,
      });
      expect(r.status, r.stdout).toBe(1);
      expect(r.out.errors[0]).toMatch(/\/var\/lib\/idlewatch: it is a symlink/);
      expect(readKeepalive()).toEqual(KERNEL_DEFAULT);
    });

    it('a drop-in that is a symlink', () => {
      spawnSync('ln', ['-s', '/etc/hostname', DROPIN]);
      const state = systemState();
      const r = helper(['apply', '600', '60', '5', 'persist'], { build });
      expect(r.status, r.stdout).toBe(1);
      expect(r.out.errors[0]).toMatch(/99-zz-idlewatch-keepalive\.conf: it is a symlink/);
      expect(systemState()).toEqual(state);
    });
  });

  it('logs each change to the system log with the user, before and after', () => {
    const applied = helper(['apply', '600', '60', '5', 'persist'], { build, uid: '1234', catchSyslog: true });
    expect(applied.status, applied.stdout).toBe(0);
    expect(applied.syslog).toHaveLength(1);
    // <85> = LOG_AUTHPRIV | LOG_NOTICE
    expect(applied.syslog[0]).toMatch(
      /^<85>.* idlewatch-keepalive\[\d+\]: uid=1234 apply 7200\/75\/9 -> 600\/60\/5, drop-in \/etc\/sysctl\.d\/99-zz-idlewatch-keepalive\.conf written: applied$/,
    );

    const undone = helper(['undo'], { build, uid: '1234', catchSyslog: true });
    expect(undone.syslog).toEqual([expect.stringMatching(/<85>.*: uid=1234 undo 600\/60\/5 -> 7200\/75\/9, drop-in \S+ removed: applied$/)]);

    const rolledBack = helper(['apply', '60', '10', '6', 'runtime'], {
      build,
      uid: '1234',
      catchSyslog: true,
      setup: `mount --bind ${PROBES_FILE} ${PROBES_FILE}\nmount -o remount,bind,ro ${PROBES_FILE}`,
    });
    expect(rolledBack.status).toBe(1);
    expect(rolledBack.syslog).toEqual([
      expect.stringMatching(/<85>.*: uid=1234 apply 7200\/75\/9 -> 60\/10\/6, runtime only, drop-in untouched: rolled back \(.*Read-only file system\)$/),
    ]);

    const refused = helper(['apply', '600;reboot', '60', '5', 'persist'], { build, catchSyslog: true });
    expect(refused.status).toBe(2);
    expect(refused.syslog).toEqual([]);
  });
});

describe('the kernel after an apply', () => {
  it('a keepalive socket opened afterwards is armed with the new time; one armed before keeps its expiry', async () => {
    const before = await openPair();
    pairs.push(before);
    before.client.setKeepAlive(true); // no TCP_KEEPIDLE of its own: the namespace's 7200 s
    await sleep(50);

    const r = helper(['apply', '60', '10', '6', 'persist']);
    expect(r.status, r.stdout).toBe(0);

    const after = await openPair();
    pairs.push(after);
    after.client.setKeepAlive(true);
    await sleep(50);

    const d = spawnSync(sockdiag, ['--once'], { encoding: 'utf8' });
    expect(d.status, d.stderr).toBe(0);
    const sockets = parseSockdiagOutput(d.stdout).sockets;
    const fresh = sockets.find((s) => s.inode === socketInode(after.client))!;
    const armed = sockets.find((s) => s.inode === socketInode(before.client))!;
    expect(fresh.timer).toBe(2); // keepalive
    expect(fresh.expiresMs).toBeGreaterThan(58_000);
    expect(fresh.expiresMs).toBeLessThanOrEqual(60_000);
    expect(fresh.sockopts).toMatchObject({ keepalive: true, keepIdleSec: 60, keepIntervalSec: 10, keepCount: 6 });
    // KEEPALIVE.md §1.1: an armed timer keeps its expiry; the new values apply from its next firing.
    expect(armed.timer).toBe(2);
    expect(armed.expiresMs).toBeGreaterThan(7_100_000);
  });

  it('serializes concurrent helpers: the last one wins whole, nothing half-applied', async () => {
    const targets: Values[] = Array.from({ length: 8 }, (_, i) => ({ timeSec: 100 + i, intervalSec: 10 + i, probes: 1 + i }));
    const codes = await Promise.all(
      targets.map(
        (t) =>
          new Promise<number | null>((resolve) => {
            const child = spawn(builds.shipped, ['apply', ...args(t), 'persist'], { stdio: 'ignore', env: {} });
            child.on('exit', resolve);
          }),
      ),
    );
    expect(codes).toEqual(targets.map(() => 0));
    const now = readKeepalive();
    const i = now.timeSec - 100;
    expect(now).toEqual(targets[i]);
    expect(dropInSettings()).toEqual([
      `net.ipv4.tcp_keepalive_time = ${now.timeSec}`,
      `net.ipv4.tcp_keepalive_intvl = ${now.intervalSec}`,
      `net.ipv4.tcp_keepalive_probes = ${now.probes}`,
    ]);
    const h = history();
    expect(h).toHaveLength(8);
    // Each apply saw what the one before it left: one chain from the kernel default to the values in force.
    for (let k = 1; k < h.length; k++) expect(h[k]!.before).toEqual(h[k - 1]!.after);
    expect(h.at(-1)!.after).toEqual(now);
    expect(existsSync(JOURNAL)).toBe(false);
  });
});

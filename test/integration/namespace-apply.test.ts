/**
 * Profiles applied to one network namespace among several (issue 9, acceptance 1, the apply
 * part), against the real kernel, as root, in the test's throwaway namespace with tmpfs over
 * /etc/sysctl.d and /var/lib/idlewatch (test/run-all.mjs): two namespaces held by
 * `unshare -n sleep` processes and one made by `ip netns add`, each with keepalive sysctls of
 * its own. Applying to one — through the elevated helper itself, the adapter (as root, so
 * directly), the core and the built CLI — changes that one only: the others and the test's own
 * read back unchanged. The helper refuses a way in that leads elsewhere (a reused pid, a rebound
 * name, a file that is not a namespace), never persists a namespace, and undo and recovery
 * return to the namespace the change was made in.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createIdlewatchService, type IdlewatchService } from '../../main/core/service';
import { LinuxAdapter } from '../../main/platform/linux/index';
import { compile, NATIVE_DIR, WARN } from '../native/compile';
import { BUILT_HELPER, HISTORY, JOURNAL, LAST_APPLY, parseHelperOutput, parseHistory } from '../native/keepalive';
import { assertThrowawayPersistence, sleep } from './lab';

interface Values {
  timeSec: number;
  intervalSec: number;
  probes: number;
}

/** One namespace of this test: how to run a command in it, its id, its own starting values. */
interface Place {
  name: string;
  inode: string;
  /** argv prefix that runs a command in it ([] for the test's own). */
  exec: string[];
  start: Values;
  pid: number | null;
  netnsName: string | null;
}

const cli = fileURLToPath(new URL('../../main/cli/idlewatch.mjs', import.meta.url));
const KEYS = ['tcp_keepalive_time', 'tcp_keepalive_intvl', 'tcp_keepalive_probes'] as const;
const FILES = KEYS.map((k) => `/proc/sys/net/ipv4/${k}`);
const TARGET: Values = { timeSec: 600, intervalSec: 60, probes: 5 };
const NETNS_NAME = `idlewatch-apply-${randomBytes(4).toString('hex')}`;
const FAKE_NAME = `idlewatch-fake-${randomBytes(4).toString('hex')}`;

const children: ChildProcess[] = [];
let own: Place;
let a: Place;
let b: Place;
let c: Place;
let places: Place[] = [];
let found: Values;
let catcher = '';
let config = '';
let namedCreated = false;

const netnsOf = (pid: number | 'self') => /^net:\[([0-9]+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/net`))![1]!;
const spec = (v: Values) => [String(v.timeSec), String(v.intervalSec), String(v.probes)];

function readIn(place: Place): Values {
  const text = place.exec.length ? execFileSync(place.exec[0]!, [...place.exec.slice(1), 'cat', ...FILES], { encoding: 'utf8' }) : FILES.map((f) => readFileSync(f, 'utf8')).join('');
  const [timeSec, intervalSec, probes] = text.trim().split('\n').map(Number);
  return { timeSec: timeSec!, intervalSec: intervalSec!, probes: probes! };
}

function setIn(place: Place, v: Values): void {
  const script = FILES.map((f, i) => `echo ${spec(v)[i]} > ${f}`).join('; ');
  if (place.exec.length) execFileSync(place.exec[0]!, [...place.exec.slice(1), 'sh', '-c', script]);
  else FILES.forEach((f, i) => writeFileSync(f, spec(v)[i]!));
}

/** Every namespace of the test as it reads now, by name. */
const everywhere = () => Object.fromEntries(places.map((p) => [p.name, readIn(p)]));
/** What every namespace should read: its own start, but `changed` at `to`. */
const expected = (changed: Place | null, to: Values = TARGET) => Object.fromEntries(places.map((p) => [p.name, p === changed ? to : p.start]));

/** A process in a network namespace of its own; waits until it is in it. */
async function unshared(name: string, start: Values): Promise<Place> {
  const child = spawn('unshare', ['-n', 'sleep', '300'], { stdio: 'ignore' });
  children.push(child);
  const self = netnsOf('self');
  for (let i = 0; i < 200 && child.pid !== undefined; i++) {
    try {
      if (netnsOf(child.pid) !== self) {
        return { name, inode: netnsOf(child.pid), exec: ['nsenter', `--net=/proc/${child.pid}/ns/net`], start, pid: child.pid, netnsName: null };
      }
    } catch {
      // not exec'd yet
    }
    await sleep(10);
  }
  throw new Error('unshare -n sleep did not enter a namespace of its own');
}

function helper(args: string[], { uid, catchSyslog }: { uid?: string; catchSyslog?: boolean } = {}) {
  const argv = catchSyslog ? [catcher, BUILT_HELPER, ...args] : [BUILT_HELPER, ...args];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH, ...(uid ? { PKEXEC_UID: uid } : {}) } });
  const lines = r.stdout.split('\n');
  const syslog = lines.filter((l) => l.startsWith('SYSLOG\t')).map((l) => l.slice(7));
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, out: parseHelperOutput(lines.filter((l) => !l.startsWith('SYSLOG\t')).join('\n')), syslog };
}

const netnsArgs = (place: Place, inode = place.inode) => (place.pid !== null ? ['--netns', 'pid', String(place.pid), inode] : ['--netns', 'name', place.netnsName!, inode]);
const history = () => (existsSync(HISTORY) ? parseHistory(readFileSync(HISTORY, 'utf8')) : []);

const idlewatch = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, XDG_CONFIG_HOME: config }, stdio: ['ignore', 'pipe', 'pipe'] });

function clearPersistence(): void {
  for (const dir of ['/etc/sysctl.d', '/var/lib/idlewatch']) for (const name of readdirSync(dir)) rmSync(join(dir, name), { force: true });
}

beforeAll(async () => {
  assertThrowawayPersistence();
  if (process.getuid?.() !== 0) throw new Error('namespace apply tests run as root (npm test does that)');
  for (const built of ['../../out/cli/cli.mjs', '../../out/bin/idlewatch-keepalive']) {
    if (!existsSync(fileURLToPath(new URL(built, import.meta.url)))) throw new Error(`${built.slice(6)} is missing: run \`npm run build\` first (npm test does).`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'idlewatch-namespace-apply-'));
  catcher = join(dir, 'syslog-catcher');
  const built = compile('cc', catcher, [join(NATIVE_DIR, 'syslog-catcher.c')], ['-O1', ...WARN]);
  if (!built.ok) throw new Error(`cannot build the syslog catcher:\n${built.output}`);
  config = join(dir, 'config');
  mkdirSync(join(config, 'idlewatch'), { recursive: true });
  writeFileSync(join(config, 'idlewatch', 'preferences.json'), JSON.stringify({ pollIntervalMs: 2000, rules: [], profiles: [] }));

  own = { name: 'own', inode: netnsOf('self'), exec: [], start: { timeSec: 900, intervalSec: 90, probes: 9 }, pid: null, netnsName: null };
  found = readIn(own);
  a = await unshared('a', { timeSec: 1200, intervalSec: 20, probes: 2 });
  b = await unshared('b', { timeSec: 1300, intervalSec: 30, probes: 3 });
  execFileSync('ip', ['netns', 'add', NETNS_NAME]);
  namedCreated = true;
  c = { name: 'c', inode: String(statSync(`/run/netns/${NETNS_NAME}`).ino), exec: ['ip', 'netns', 'exec', NETNS_NAME], start: { timeSec: 1400, intervalSec: 40, probes: 4 }, pid: null, netnsName: NETNS_NAME };
  places = [own, a, b, c];
  expect(new Set(places.map((p) => p.inode)).size).toBe(4);

  // Real connections in a: a listener and one connection to it, with keepalive on.
  execFileSync('nsenter', [`--net=/proc/${a.pid}/ns/net`, 'ip', 'link', 'set', 'lo', 'up']);
  const script =
    "const net=require('net');const s=net.createServer(()=>{}).listen(7007,'127.0.0.1',()=>{const c=net.connect(7007,'127.0.0.1',()=>{c.setKeepAlive(true);process.stdout.write('up\\n')})});setInterval(()=>{},1e6)";
  const talker = spawn('nsenter', [`--net=/proc/${a.pid}/ns/net`, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(talker);
  await new Promise<void>((resolve, reject) => {
    talker.stdout!.once('data', () => resolve());
    talker.once('exit', (code) => reject(new Error(`the connection in namespace a did not start (exit ${code})`)));
  });
}, 60_000);

beforeEach(() => {
  clearPersistence();
  for (const p of places) setIn(p, p.start);
});

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  if (namedCreated) execFileSync('ip', ['netns', 'delete', NETNS_NAME]);
  rmSync(`/run/netns/${FAKE_NAME}`, { force: true });
  clearPersistence();
  if (found) setIn(own, found);
  if (config) rmSync(join(config, '..'), { recursive: true, force: true });
});

describe('the elevated helper in another namespace', () => {
  it.each([
    ['by a pid in it', () => a],
    ['by its ip netns name', () => c],
  ])('applies to that namespace only, %s: runtime, verified, recorded with the namespace', (_, which) => {
    const target = which();
    const r = helper(['apply', ...spec(TARGET), 'runtime', ...netnsArgs(target)], { uid: '1000' });
    expect(r.stderr).toBe('');
    expect(r.status, r.stdout).toBe(0);
    expect(r.out.lines.map((l) => l[0])).toEqual(['N', 'B', 'A', 'D', 'OK']);
    expect(r.out.lines[0]).toEqual(['N', target.inode]);
    expect(r.out.before).toEqual(target.start);
    expect(r.out.after).toEqual(TARGET);
    expect(r.out.dropIn).toBe('-');
    expect(everywhere()).toEqual(expected(target));
    expect(readdirSync('/etc/sysctl.d')).toEqual([]);
    expect(history()).toEqual([{ atMs: expect.any(Number), uid: 1000, action: 'apply', before: target.start, after: TARGET, persisted: false, outcome: 'applied', message: '', netns: target.inode }]);
    expect(readFileSync(LAST_APPLY, 'utf8')).toContain(`\nnetns\t${target.inode}\t${target.pid !== null ? `pid\t${target.pid}` : `name\t${NETNS_NAME}`}\ndropin\t0\n`);
  });

  it('undo returns to the namespace the last apply changed, by the way in it recorded', () => {
    expect(helper(['apply', ...spec(TARGET), 'runtime', ...netnsArgs(b)]).status).toBe(0);
    const r = helper(['undo']);
    expect(r.status, r.stdout).toBe(0);
    expect(r.out.lines.map((l) => l[0])).toEqual(['N', 'B', 'A', 'D', 'OK']);
    expect(r.out.before).toEqual(TARGET);
    expect(r.out.after).toEqual(b.start);
    expect(everywhere()).toEqual(expected(null));
    expect(history().at(-1)).toMatchObject({ action: 'undo', outcome: 'applied', netns: b.inode, persisted: false });
  });

  it('undo --netns must name the namespace the last apply changed', () => {
    expect(helper(['apply', ...spec(TARGET), 'runtime', ...netnsArgs(a)]).status).toBe(0);
    const wrong = helper(['undo', ...netnsArgs(b)]);
    expect(wrong.status).toBe(1);
    expect(wrong.out.errors[0]).toMatch(new RegExp(`^nothing changed: the last apply changed network namespace ${a.inode} \\(pid ${a.pid}\\), not network namespace ${b.inode}$`));
    expect(everywhere()).toEqual(expected(a));
    const right = helper(['undo', ...netnsArgs(a)]);
    expect(right.status, right.stdout).toBe(0);
    expect(everywhere()).toEqual(expected(null));
  });

  it('logs the change with the namespace and the user who asked', () => {
    const r = helper(['apply', ...spec(TARGET), 'runtime', ...netnsArgs(a)], { uid: '1234', catchSyslog: true });
    expect(r.status, r.stdout).toBe(0);
    expect(r.syslog).toEqual([
      expect.stringMatching(
        new RegExp(`^<85>.*idlewatch-keepalive\\[\\d+\\]: uid=1234 netns=${a.inode} \\(pid ${a.pid}\\) apply 1200/20/2 -> 600/60/5, runtime only, drop-in untouched: applied$`),
      ),
    ]);
  });

  describe('refuses a way in that does not lead to that namespace, changing nothing', () => {
    it.each([
      ['a pid in another namespace (a pid reused)', () => ['--netns', 'pid', String(a.pid), b.inode], /refusing \/proc\/\d+\/ns\/net: it leads to namespace \d+, not to network namespace \d+/],
      ['a name bound to another namespace', () => ['--netns', 'name', NETNS_NAME, a.inode], /refusing \/run\/netns\/.*: it leads to namespace \d+, not to network namespace \d+/],
      ['a process that is not running', () => ['--netns', 'pid', '4194303', a.inode], /cannot open \/proc\/4194303\/ns\/net: no such process/],
      ['an ip netns name that does not exist', () => ['--netns', 'name', 'idlewatch-none', a.inode], /cannot open \/run\/netns\/idlewatch-none: no such ip netns name/],
      [
        'a file under /run/netns that is not a namespace, whatever its inode',
        () => {
          writeFileSync(`/run/netns/${FAKE_NAME}`, '');
          return ['--netns', 'name', FAKE_NAME, String(statSync(`/run/netns/${FAKE_NAME}`).ino)];
        },
        /refusing \/run\/netns\/idlewatch-fake-[0-9a-f]+: it is not a namespace file \(nsfs\)/,
      ],
    ])('%s', (_, netns, says) => {
      const r = helper(['apply', ...spec(TARGET), 'runtime', ...netns()]);
      expect(r.status, r.stdout).toBe(1);
      expect(r.out.lines.map((l) => l[0])).toEqual(['E', 'FAIL']);
      expect(r.out.errors[0]).toMatch(/^nothing changed: cannot apply in network namespace /);
      expect(r.out.errors[0]).toMatch(says);
      expect(everywhere()).toEqual(expected(null));
      expect(history()).toEqual([]);
      expect(existsSync(JOURNAL)).toBe(false);
    });

    it('and never persists another namespace', () => {
      const r = helper(['apply', ...spec(TARGET), 'persist', ...netnsArgs(a)]);
      expect(r.status).toBe(2);
      expect(r.out.errors[0]).toMatch(/never persisted/);
      expect(everywhere()).toEqual(expected(null));
      expect(readdirSync('/etc/sysctl.d')).toEqual([]);
    });
  });

  describe('an interrupted change in another namespace', () => {
    const journal = (inode: string, how: string) =>
      [
        'idlewatch-keepalive-change/1',
        'verb\tapply',
        'uid\t1000',
        `started\t${Date.now()}`,
        `before\t${spec(b.start).join('\t')}`,
        `after\t${spec(TARGET).join('\t')}`,
        `netns\t${inode}\t${how}`,
        'dropin\t0',
        'previous\tnone',
        'end',
        '',
      ].join('\n');

    it('is rolled back in that namespace by recover', () => {
      setIn(b, TARGET);
      writeFileSync(JOURNAL, journal(b.inode, `pid\t${b.pid}`), { mode: 0o600 });
      const r = helper(['recover']);
      expect(r.status, r.stdout).toBe(0);
      expect(r.out.lines.map((l) => l[0])).toEqual(['R', 'OK']);
      expect(r.out.rolledBack[0]).toMatch(new RegExp(`in network namespace ${b.inode} \\(pid ${b.pid}\\) started at .* rolled back`));
      expect(everywhere()).toEqual(expected(null));
      expect(existsSync(JOURNAL)).toBe(false);
      expect(history()).toEqual([expect.objectContaining({ outcome: 'rolled-back', netns: b.inode, before: b.start })]);
    });

    it('whose namespace is gone is dropped with a warning, and the next change goes on', () => {
      writeFileSync(JOURNAL, journal('4026500000', 'pid\t4194303'), { mode: 0o600 });
      const r = helper(['apply', ...spec(TARGET), 'runtime', ...netnsArgs(a)]);
      expect(r.status, r.stdout).toBe(0);
      expect(r.out.lines.map((l) => l[0])).toEqual(['E', 'N', 'B', 'A', 'D', 'OK']);
      expect(r.out.errors[0]).toMatch(/interrupted apply of uid 1000 .* in network namespace 4026500000 \(pid 4194303\) could not be rolled back: cannot open .*no such process.*if this one still exists/);
      expect(existsSync(JOURNAL)).toBe(false);
      expect(everywhere()).toEqual(expected(a));
      expect(history().map((h) => [h.outcome, h.netns])).toEqual([
        ['failed', '4026500000'],
        ['applied', a.inode],
      ]);
    });
  });
});

describe('through the adapter and the core, as root (the helper run directly)', () => {
  let adapter: LinuxAdapter;
  let service: IdlewatchService;
  beforeAll(async () => {
    adapter = new LinuxAdapter();
    service = await createIdlewatchService(adapter, { load: async () => ({ pollIntervalMs: 60_000, rules: [], profiles: [] }), save: async () => undefined });
  });
  afterAll(async () => {
    await service?.close();
  });

  it('applies to one namespace only, at run time, and says which', async () => {
    const change = await adapter.applyKeepalive(TARGET, { persist: false, namespace: b.inode });
    expect(change).toMatchObject({ action: 'apply', outcome: 'applied', persisted: false, before: b.start, after: TARGET, dropIn: null, namespace: b.inode, user: 'root' });
    expect(change.message).toMatch(new RegExp(`^Applied 600/60/5 \\(was 1300/30/3\\) in network namespace ${b.inode} \\(.+\\); runtime only, not persisted\\.$`));
    expect(everywhere()).toEqual(expected(b));
    expect((await adapter.readHistory()).at(-1)).toMatchObject({ action: 'apply', namespace: b.inode, user: 'root' });

    // Undo goes back to it: the history says which namespace the last apply changed.
    const undone = await adapter.undoKeepalive();
    expect(undone).toMatchObject({ action: 'undo', outcome: 'applied', namespace: b.inode, after: b.start });
    expect(everywhere()).toEqual(expected(null));
  });

  it('refuses to persist another namespace, before anything runs', async () => {
    await expect(adapter.applyKeepalive(TARGET, { persist: true, namespace: a.inode })).rejects.toMatchObject({ code: 'bad-request', message: expect.stringMatching(/never persisted/) });
    expect(everywhere()).toEqual(expected(null));
    expect(history()).toEqual([]);
  });

  it('the core previews that namespace and applies to it; the history lists the namespace', async () => {
    const preview = await service.api.previewProfile('600/60/5', { namespace: a.inode });
    expect(preview.changes.map((ch) => [ch.from, ch.to])).toEqual([
      [1200, 600],
      [20, 60],
      [2, 5],
    ]);
    expect(preview.rows.length).toBeGreaterThanOrEqual(2);
    expect(preview.rows.every((row) => row.id.startsWith(`${a.inode}/`))).toBe(true);

    await expect(service.api.applyProfile('600/60/5', { persist: true, namespace: c.inode })).rejects.toMatchObject({
      code: 'bad-request',
      message: expect.stringContaining(`ip netns exec ${NETNS_NAME} sysctl -w net.ipv4.tcp_keepalive_time=600`),
    });
    const { entry, view } = await service.api.applyProfile('600/60/5', { persist: false, namespace: c.inode });
    expect(entry).toMatchObject({ outcome: 'applied', namespace: c.inode, persisted: false });
    expect(everywhere()).toEqual(expected(c));
    expect(view.inForce).toEqual(own.start);
    expect(view.history[0]).toMatchObject({ action: 'apply', namespace: c.inode, outcome: 'applied' });
  });
});

describe('through the built CLI', () => {
  it('`apply 600/60/5 --netns ID --yes` changes that namespace only and prints what persists it instead', () => {
    const run = idlewatch('apply', '600/60/5', '--netns', b.inode, '--yes');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`In network namespace ${b.inode} (`);
    expect(run.stdout).toMatch(/net\.ipv4\.tcp_keepalive_time\s+1300 → 600/);
    expect(run.stdout).toContain('set it where the namespace is made:');
    expect(run.stdout).toMatch(new RegExp(`Applied 600/60/5 \\(was 1300/30/3\\) in network namespace ${b.inode} \\(.+\\); runtime only, not persisted\\.`));
    expect(everywhere()).toEqual(expected(b));
    expect(readdirSync('/etc/sysctl.d')).toEqual([]);

    const listed = idlewatch('history');
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(/^WHEN\s+USER\s+ACTION\s+NETNS\s+PROFILE/);
    expect(listed.stdout).toMatch(new RegExp(`\\sapply\\s+${b.inode}\\s`));
  });

  it('by a pid in it, or its ip netns name', () => {
    expect(idlewatch('apply', '600/60/5', '--netns', String(a.pid), '--yes').status).toBe(0);
    expect(everywhere()).toEqual(expected(a));
    for (const p of places) setIn(p, p.start);
    const named = idlewatch('apply', '600/60/5', '--netns', NETNS_NAME, '--yes');
    expect(named.status, named.stderr).toBe(0);
    expect(named.stdout).toContain(`ip netns exec ${NETNS_NAME} sysctl -w net.ipv4.tcp_keepalive_time=600 net.ipv4.tcp_keepalive_intvl=60 net.ipv4.tcp_keepalive_probes=5`);
    expect(everywhere()).toEqual(expected(c));
  });

  it("--dry-run shows that namespace's connections and settings, and changes nothing", () => {
    const run = idlewatch('apply', '600/60/5', '--netns', a.inode, '--dry-run');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/net\.ipv4\.tcp_keepalive_time\s+1200 → 600/);
    const count = Number(/What it does to the (\d+) connections open now:/.exec(run.stdout)?.[1]);
    expect(count).toBeGreaterThanOrEqual(2);
    expect(run.stdout).toMatch(/Dry run: nothing was changed\.\n$/);
    expect(everywhere()).toEqual(expected(null));
  });

  it('--persist with --netns is bad usage', () => {
    const run = idlewatch('apply', '600/60/5', '--persist', '--netns', a.inode, '--yes');
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--persist cannot be used with --netns/);
    expect(everywhere()).toEqual(expected(null));
  });
});

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeSnapshot } from '../../main/core/snapshot';
import { LinuxAdapter } from '../../main/platform/linux/index';
import { parseSockdiagOutput } from '../../main/platform/linux/sockdiag-output';
import type { Connection, LinuxSettings } from '../../shared/model';
import type { EndWatch, SocketEnd } from '../../shared/platform-adapter';
import { compile, SANITIZE, SANITIZER_ENV, SANITIZER_REPORT, sockdiagSources, WARN } from '../native/compile';
import { startHolder as start, type Holder } from './namespace-lab';
import { assertThrowawayNamespace, readSysctl, setKeepaliveSysctls, sleep } from './lab';

/**
 * Reading other network namespaces with the one collector (issue 9): three namespaces made here,
 * two by `unshare -n` around a process and one by `ip netns add`, each with keepalive sysctls and
 * a number of connections of its own. The adapter reads each one's settings and sockets only,
 * projects them with that namespace's settings, and leaves the test's own namespace as it was;
 * the helper (built with AddressSanitizer and UBSan) refuses an entry that leads elsewhere.
 * Sysctls are only ever set inside namespaces this test made (the holders set their own).
 */



const adapter = new LinuxAdapter();
const holders: Holder[] = [];
const netnsName = `idlewatch-test-${randomBytes(4).toString('hex')}`;
let netnsAdded = false;
let dir = '';
let sanitized = '';
const strays: string[] = [];

const startHolder = (command: string[], settings: LinuxSettings, connections: number) => start(command, settings, connections, holders);

/** Tells a holder to close one of its clients; resolves with that client's port. */
function closeOne(holder: Holder): Promise<number> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (piece: string) => {
      text += piece;
      const match = /CLOSED (\d+)/.exec(text);
      if (match) {
        holder.child.stdout.off('data', onData);
        resolve(Number(match[1]));
      }
    };
    holder.child.stdout.on('data', onData);
    holder.child.stdin.write('close\n');
  });
}

function helper(args: string[], input = '') {
  const r = spawnSync(sanitized, args, { input, encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, ...SANITIZER_ENV } });
  expect(r.stderr).not.toMatch(SANITIZER_REPORT);
  return r;
}

const answers = (stdout: string) => stdout.split(/^\.\n/m).slice(0, -1);
const own = { timeSec: 7200, intervalSec: 75, probes: 9 };
let ownId = '';

let unshared1: Holder;
let unshared2: Holder;
let named: Holder;

beforeAll(async () => {
  assertThrowawayNamespace();
  setKeepaliveSysctls(own);
  ownId = String(statSync('/proc/self/ns/net').ino);
  dir = mkdtempSync(join(tmpdir(), 'idlewatch-namespaces-read-'));
  sanitized = join(dir, 'idlewatch-sockdiag-asan');
  const built = compile('cc', sanitized, sockdiagSources(), [...SANITIZE, ...WARN], ['-lpthread']);
  if (!built.ok) throw new Error(`cannot build the helper with sanitizers:\n${built.output}`);

  unshared1 = await startHolder(['unshare', '-n', '--'], { os: 'linux', timeSec: 41, intervalSec: 7, probes: 3, retries2: 8 }, 3);
  unshared2 = await startHolder(['unshare', '-n', '--'], { os: 'linux', timeSec: 53, intervalSec: 11, probes: 4, retries2: 9 }, 5);
  execFileSync('ip', ['netns', 'add', netnsName]);
  netnsAdded = true;
  named = await startHolder(['ip', 'netns', 'exec', netnsName], { os: 'linux', timeSec: 67, intervalSec: 13, probes: 6, retries2: 10 }, 2);
  expect(new Set([ownId, unshared1.id, unshared2.id, named.id]).size).toBe(4);
  expect(String(statSync(`/run/netns/${netnsName}`).ino)).toBe(named.id);
}, 60_000);

afterAll(() => {
  for (const h of holders) h.child.kill('SIGKILL');
  adapter.close();
  if (netnsAdded) spawnSync('ip', ['netns', 'delete', netnsName]);
  for (const path of strays) rmSync(path, { force: true });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the adapter reading namespaces it does not run in', () => {
  it("reads each namespace's keepalive sysctls exactly, and the test's own as they are", async () => {
    for (const h of holders) expect(await adapter.readSettings(h.id)).toEqual(h.settings);
    expect(await adapter.readSettings('current')).toEqual({ os: 'linux', ...own, retries2: Number(readSysctl('net.ipv4.tcp_retries2')) });
    expect(await adapter.readSettings(ownId)).toEqual(await adapter.readSettings('current'));
  });

  it('verifies settings against the namespace named', async () => {
    expect(await adapter.verifySettings(unshared2.settings, unshared2.id)).toMatchObject({ ok: true, mismatches: [] });
    const wrong = await adapter.verifySettings(unshared2.settings, unshared1.id);
    expect(wrong.ok).toBe(false);
    expect(wrong.read).toEqual(unshared1.settings);
    expect(wrong.mismatches).toContain('net.ipv4.tcp_keepalive_time is 41, expected 53');
  });

  it("lists each namespace's sockets and no other, every id prefixed with its namespace", async () => {
    for (const h of holders) {
      const table = await adapter.listSockets(h.id);
      expect(table.namespace.id).toBe(h.id);
      expect(table.namespace.current).toBe(false);
      // One listener, and both ends of each connection: nothing else lives in these namespaces.
      expect(table.sockets).toHaveLength(1 + 2 * h.connections);
      expect(new Set(table.sockets.map((s) => s.inode))).toEqual(new Set(h.inodes));
      for (const s of table.sockets) {
        expect(s.netns).toBe(h.id);
        expect(s.id.startsWith(`${h.id}/`)).toBe(true);
        // The owner scan and pidfd_getfd reach across namespaces.
        expect(s.pid).toBe(h.pid);
      }
      expect(table.diagnostics.warnings.filter((w) => /namespace|netlink/.test(w))).toEqual([]);
    }
  });

  it("projects each namespace's connections with that namespace's own settings", async () => {
    for (const h of holders) {
      const snapshot = await takeSnapshot(adapter, { rules: [], namespace: h.id });
      expect(snapshot.settings).toEqual(h.settings);
      const clients = snapshot.connections.filter((c) => c.state === 'ESTABLISHED' && h.clientPorts.includes(c.localPort));
      expect(clients).toHaveLength(h.connections);
      for (const c of clients) expectProjectedWith(c, h.settings, snapshot.takenAt);
    }
  });

  it("leaves the test's own namespace as it was: its sockets only, its settings", async () => {
    const table = await adapter.listSockets('current');
    expect(table.namespace.id).toBe(ownId);
    const theirs = new Set(holders.flatMap((h) => h.inodes));
    expect(table.sockets.filter((s) => s.inode !== null && theirs.has(s.inode))).toEqual([]);
    expect(table.sockets.every((s) => s.netns === ownId)).toBe(true);
    expect(readSysctl('net.ipv4.tcp_keepalive_time')).toBe('7200');
    expect(readSysctl('net.ipv4.tcp_keepalive_intvl')).toBe('75');
    expect(readSysctl('net.ipv4.tcp_keepalive_probes')).toBe('9');
  });
});

/**
 * nextProbeAt ≈ lastActivity + timeSec, the drop probes × intvl later. The kernel acts later than
 * it asks by the timer wheel's rounding (KEEPALIVE.md §7), which the projection includes: up to
 * 512 jiffies (2 s at HZ=250) for these 41–67 s timers, 64 jiffies for each 7–13 s interval.
 * The namespaces' times differ by 12 s and more, so a projection with another's settings fails.
 */
function expectProjectedWith(c: Connection, settings: LinuxSettings, takenAt: number): void {
  expect(c.keepalive).toBe(true);
  expect(c.effective).toMatchObject({ timeSec: settings.timeSec, intervalSec: settings.intervalSec, probes: settings.probes, source: 'socket' });
  const lastActivity = takenAt - c.idleMs!;
  const firstProbe = lastActivity + settings.timeSec * 1000;
  expect(c.nextProbeAt! - firstProbe).toBeGreaterThan(-50);
  expect(c.nextProbeAt! - firstProbe).toBeLessThan(2_200);
  const drop = firstProbe + settings.probes * settings.intervalSec * 1000;
  expect(c.dropAt! - drop).toBeGreaterThan(-50);
  expect(c.dropAt! - drop).toBeLessThan(2_200 + settings.probes * 300);
}

describe('idlewatch-sockdiag entering namespaces (AddressSanitizer, UBSan)', () => {
  it('holds one socket per namespace in one process, answering for each in turn', () => {
    // Every namespace by a pid in it, the ip netns one by its name too; the helper's own between.
    const ways = [...holders.map((h) => ({ h, words: `pid ${h.pid} ${h.id}` })), { h: named, words: `name ${netnsName} ${named.id}` }];
    const input = [
      ...ways.map((w) => `sysctls ${w.words}`),
      ...ways.map((w) => `snapshot 4000000 ${w.words}`),
      'snapshot 4000000',
      ...ways.map((w) => `snapshot 4000000 ${w.words}`),
      'quit',
      '',
    ].join('\n');
    const r = helper([], input);
    expect(r.status).toBe(0);
    const all = answers(r.stdout);
    expect(all).toHaveLength(3 * ways.length + 1);
    const { timeSec, intervalSec, probes, retries2 } = named.settings;
    expect(all.slice(0, ways.length)).toEqual(ways.map(({ h: { settings: s } }) => `K\t${s.timeSec}\t${s.intervalSec}\t${s.probes}\t${s.retries2}\n`));
    expect(all[ways.length - 1]).toBe(`K\t${timeSec}\t${intervalSec}\t${probes}\t${retries2}\n`);
    const tables = all.slice(ways.length).map((a) => parseSockdiagOutput(a));
    const inodes = (i: number) => new Set(tables[i]!.sockets.map((s) => s.inode));
    ways.forEach(({ h }, i) => {
      expect(tables[i]!.errors).toEqual([]);
      expect(inodes(i)).toEqual(new Set(h.inodes));
      // The cached socket of each namespace reads it again after the helper's own.
      expect(inodes(ways.length + 1 + i)).toEqual(new Set(h.inodes));
    });
    const theirs = new Set(holders.flatMap((h) => h.inodes));
    expect(tables[ways.length]!.errors).toEqual([]);
    expect([...inodes(ways.length)].some((i) => theirs.has(i))).toBe(false);
  });

  it('refuses an entry that leads to another namespace than the inode it names (a reused pid, a rebound name)', () => {
    const r = helper([], `snapshot 4000000 pid ${unshared1.pid} ${unshared2.id}\nsysctls name ${netnsName} ${unshared1.id}\nquit\n`);
    expect(answers(r.stdout)).toEqual([
      `E\tnamespace pid ${unshared1.pid}: /proc/${unshared1.pid}/ns/net is namespace ${unshared1.id}, not ${unshared2.id} (the pid was reused or the name rebound)\n`,
      `E\tnamespace name ${netnsName}: /run/netns/${netnsName} is namespace ${named.id}, not ${unshared1.id} (the pid was reused or the name rebound)\n`,
    ]);
  });

  it('refuses a name in /run/netns that is not a namespace, or a symlink to one', () => {
    const plain = `${netnsName}-plain`;
    const link = `${netnsName}-link`;
    strays.push(`/run/netns/${plain}`, `/run/netns/${link}`);
    writeFileSync(`/run/netns/${plain}`, '');
    symlinkSync(`/proc/${unshared1.pid}/ns/net`, `/run/netns/${link}`);
    const r = helper([], `sysctls name ${plain} ${unshared1.id}\nsysctls name ${link} ${unshared1.id}\nquit\n`);
    expect(answers(r.stdout)).toEqual([
      `E\tnamespace name ${plain}: /run/netns/${plain} is not a namespace file\n`,
      `E\tnamespace name ${link}: cannot open /run/netns/${link}: Too many levels of symbolic links\n`,
    ]);
  });

  it('watches the ends of a namespace entered before subscribing', async () => {
    const child = spawn(sanitized, ['--events', 'pid', String(unshared2.pid), unshared2.id], { env: { ...process.env, ...SANITIZER_ENV } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    try {
      for (const start = Date.now(); !out.startsWith('H\t') && Date.now() - start < 5000; ) await sleep(10);
      expect(out).toMatch(/^H\tidlewatch-sockdiag-events\/1\t\d+\n/);
      const port = await closeOne(unshared2);
      for (const start = Date.now(); !out.includes(`\t${port}\t`) && Date.now() - start < 5000; ) await sleep(10);
      expect(out).toMatch(new RegExp(`^D\\t\\d+\\t4\\t\\d+\\t127\\.0\\.0\\.1\\t${port}\\t`, 'm'));
    } finally {
      child.stdin.end();
      await new Promise((r) => child.once('exit', r));
    }
    expect(err).not.toMatch(SANITIZER_REPORT);
  });
});

// After the tables above: these close connections.
describe('connection ends of another namespace', () => {
  it("hears the ends of one namespace's connections, and not another's", async () => {
    const seen: SocketEnd[] = [];
    const started = await adapter.watchConnectionEnds({ end: (e) => seen.push(e), failed: () => undefined }, unshared2.id);
    expect(started).toMatchObject({ ok: true });
    const watch = (started as { watch: EndWatch }).watch;
    try {
      const elsewhere = await closeOne(unshared1);
      const here = await closeOne(unshared2);
      for (const start = Date.now(); !seen.some((e) => e.localPort === here) && Date.now() - start < 5000; ) await sleep(10);
      expect(seen.some((e) => e.localPort === here)).toBe(true);
      expect(seen.some((e) => e.localPort === elsewhere || e.remotePort === elsewhere)).toBe(false);
    } finally {
      watch.stop();
    }
  });
});

describe('a namespace whose processes have gone', () => {
  it('is refused, not read as another', async () => {
    const gone = holders.find((h) => h === unshared1)!;
    gone.child.kill('SIGKILL');
    await new Promise((r) => gone.child.once('exit', r));
    await expect(adapter.listSockets(gone.id)).rejects.toThrow(new RegExp(gone.id));
    await expect(adapter.readSettings(gone.id)).rejects.toThrow(new RegExp(gone.id));
    // The others read on, from the same helper.
    expect(await adapter.readSettings(unshared2.id)).toEqual(unshared2.settings);
  });
});

import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection, LinuxSettings, NetworkNamespace } from '../../shared/model';
import { namespaceDrift } from '../../shared/namespace-drift';
import { startHolder as start, type Holder } from './namespace-lab';
import { assertThrowawayNamespace, readSysctl, setKeepaliveSysctls } from './lab';

/**
 * `idlewatch namespaces`, `snapshot --netns` and `snapshot --all-namespaces` on the real kernel
 * (issue 9, acceptance 1): three namespaces made here — two by `unshare -n` around a process, one
 * by `ip netns add` with a process under `ip netns exec` — each with its own keepalive sysctls
 * (set from inside it, by its own process) and its own number of connections. The command as
 * installed lists each with exact values and counts, and snapshots each with projections from its
 * own settings. Nothing here writes a sysctl outside the namespaces this test made.
 */

// The command as installed: the launcher, which runs the build's out/cli/cli.mjs.
const cli = fileURLToPath(new URL('../../main/cli/idlewatch.mjs', import.meta.url));
const idlewatch = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 28 });
const json = (...args: string[]) => {
  const run = idlewatch(...args);
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
};



/** What the test's own namespace is set to: the "host" the others are compared with. */
const OWN = { timeSec: 600, intervalSec: 60, probes: 5 };
const netnsName = `idlewatch-test-${randomBytes(4).toString('hex')}`;
const holders: Holder[] = [];
let netnsAdded = false;
let ownId = '';
let ownSettings: LinuxSettings;
let unshared1: Holder;
let unshared2: Holder;
let named: Holder;

const startHolder = (command: string[], settings: LinuxSettings, connections: number) => start(command, settings, connections, holders);

beforeAll(async () => {
  assertThrowawayNamespace();
  if (!existsSync(fileURLToPath(new URL('../../out/cli/cli.mjs', import.meta.url)))) {
    throw new Error('out/cli/cli.mjs is missing: run `npm run build` first (npm test does).');
  }
  setKeepaliveSysctls(OWN);
  ownId = String(statSync('/proc/self/ns/net').ino);
  ownSettings = { os: 'linux', ...OWN, retries2: Number(readSysctl('net.ipv4.tcp_retries2')) };
  unshared1 = await startHolder(['unshare', '-n', '--'], { os: 'linux', timeSec: 41, intervalSec: 7, probes: 3, retries2: 8 }, 3);
  // The kernel's defaults: what a container gets when only the host was tuned.
  unshared2 = await startHolder(['unshare', '-n', '--'], { os: 'linux', timeSec: 7200, intervalSec: 75, probes: 9, retries2: 15 }, 5);
  execFileSync('ip', ['netns', 'add', netnsName]);
  netnsAdded = true;
  named = await startHolder(['ip', 'netns', 'exec', netnsName], { os: 'linux', timeSec: 67, intervalSec: 13, probes: 6, retries2: 10 }, 2);
  expect(new Set([ownId, unshared1.id, unshared2.id, named.id]).size).toBe(4);
}, 60_000);

afterAll(() => {
  for (const h of holders) h.child.kill('SIGKILL');
  if (netnsAdded) spawnSync('ip', ['netns', 'delete', netnsName]);
});

/**
 * nextProbeAt ≈ last activity + time, the drop probes × interval later, each rounded up by the
 * kernel's timer wheel (KEEPALIVE.md §7; up to 512 jiffies, 2 s at HZ=250, for these timers; for
 * 7200 s up to 131 s). The namespaces' times differ by far more, so a projection made with
 * another namespace's settings fails.
 */
function expectProjectedWith(c: Connection, settings: LinuxSettings, takenAt: number): void {
  expect(c.keepalive).toBe(true);
  expect(c.effective).toMatchObject({ timeSec: settings.timeSec, intervalSec: settings.intervalSec, probes: settings.probes });
  const slackMs = settings.timeSec > 4096 ? 132_000 : 2_200;
  const firstProbe = takenAt - c.idleMs! + settings.timeSec * 1000;
  expect(c.nextProbeAt! - firstProbe).toBeGreaterThan(-50);
  expect(c.nextProbeAt! - firstProbe).toBeLessThan(slackMs);
  const drop = firstProbe + settings.probes * settings.intervalSec * 1000;
  expect(c.dropAt! - drop).toBeGreaterThan(-50);
  // Each interval is rounded up too: by at most an eighth of it (the wheel's levels), 300 ms at the least here.
  expect(c.dropAt! - drop).toBeLessThan(slackMs + settings.probes * Math.max(300, (settings.intervalSec * 1000) / 8));
}

const clientsOf = (h: Holder, connections: Connection[]) =>
  connections.filter((c) => c.netns === h.id && c.state === 'ESTABLISHED' && h.clientPorts.includes(c.localPort));

describe('idlewatch namespaces', () => {
  it('--json lists each namespace with its exact settings, socket count and drift from the host', () => {
    const listed: {
      id: string;
      name: string | null;
      label: string;
      kind: string;
      current: boolean;
      pids: number[];
      settings: Record<string, number> | null;
      sockets: number;
      idle: number;
      atRisk: number;
      differsFromHost: boolean;
      note: string | null;
      error: string | null;
    }[] = json('namespaces', '--json');
    // The test's own namespace comes first: it is the one Idlewatch runs in.
    expect(listed[0]).toMatchObject({ id: ownId, current: true, differsFromHost: false, note: null, error: null });
    expect(listed[0]!.settings).toEqual({ timeSec: OWN.timeSec, intervalSec: OWN.intervalSec, probes: OWN.probes, retries2: ownSettings.retries2 });
    for (const h of holders) {
      const entry = listed.find((n) => n.id === h.id);
      expect(entry, h.id).toBeDefined();
      const drift = namespaceDrift(h.settings, ownSettings);
      expect(entry).toMatchObject({
        current: false,
        settings: { timeSec: h.settings.timeSec, intervalSec: h.settings.intervalSec, probes: h.settings.probes, retries2: h.settings.retries2 },
        // One listener, and both ends of each connection: nothing else lives in these namespaces.
        sockets: 1 + 2 * h.connections,
        // Just opened: none idle for a minute, none at risk without a middlebox.
        idle: 0,
        atRisk: 0,
        differsFromHost: true,
        note: drift.note,
        error: null,
      });
      expect(entry!.pids).toContain(h.pid);
      expect(entry!.label.length).toBeGreaterThan(0);
    }
    expect(listed.find((n) => n.id === unshared2.id)!.note).toBe("kernel defaults 7200/75/9 — the host's 600/60/5 does not reach it");
    expect(listed.find((n) => n.id === unshared1.id)!.note).toBe(`41/7/3 here, 600/60/5 on the host; tcp_retries2 8 here, ${ownSettings.retries2} on the host`);
    expect(listed.find((n) => n.id === named.id)).toMatchObject({ name: netnsName, label: netnsName, kind: 'netns' });
  });

  it('--middlebox-idle counts the connections a middlebox drops before the first probe as at risk', () => {
    const listed: { id: string; atRisk: number }[] = json('namespaces', '--json', '--middlebox-idle', '20');
    // Every connection, both ends: the clients probe after 41 s and more, the accepted ends never.
    for (const h of holders) expect(listed.find((n) => n.id === h.id)!.atRisk).toBe(2 * h.connections);
  });

  it('prints a table with a row per namespace and the drift mark with its sentence', () => {
    const run = idlewatch('namespaces');
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^\s+ID\s+KIND\s+LABEL\s+PIDS\s+KEEPALIVE\s+RETRIES2\s+SOCKETS\s+IDLE\s+AT RISK\s+NOTE$/);
    const row = (h: Holder) => lines.find((l) => l.includes(` ${h.id} `))!;
    expect(row(unshared2)).toMatch(new RegExp(`^\\*\\s+${unshared2.id}\\s.*\\s7200/75/9\\s+15\\s+11\\s+0\\s+0\\s+kernel defaults 7200/75/9 — the host's 600/60/5 does not reach it$`));
    expect(row(named)).toMatch(new RegExp(`^\\*\\s+${named.id}\\s+netns\\s+${netnsName}\\s.*\\s67/13/6\\s+10\\s+5\\s+0\\s+0\\s+67/13/6 here, 600/60/5 on the host`));
  });
});

describe('idlewatch snapshot --netns', () => {
  it("shows one namespace's own connections, projected with its own settings", () => {
    for (const h of holders) {
      const doc = json('snapshot', '--json', '--netns', h.id);
      expect(doc.schema).toBe('idlewatch.snapshot/2');
      expect(doc.namespace).toMatchObject({ id: h.id, current: false });
      expect(doc.settings).toEqual(h.settings);
      expect(doc.namespaces).toEqual([{ namespace: doc.namespace, settings: h.settings }]);
      expect(doc.connections).toHaveLength(1 + 2 * h.connections);
      expect(doc.connections.every((c: Connection) => c.netns === h.id && c.id.startsWith(`${h.id}/`))).toBe(true);
      const clients = clientsOf(h, doc.connections);
      expect(clients).toHaveLength(h.connections);
      for (const c of clients) expectProjectedWith(c, h.settings, doc.takenAt);
    }
  });

  it('finds the same namespace by a pid in it and by its ip netns name', () => {
    const byPid = json('snapshot', '--json', '--netns', String(unshared1.pid));
    expect(byPid.namespace.id).toBe(unshared1.id);
    const byName = json('snapshot', '--json', '--netns', netnsName);
    expect(byName.namespace.id).toBe(named.id);
    expect(clientsOf(named, byName.connections)).toHaveLength(named.connections);
  });

  it('prints the table of another namespace, named in its first line', () => {
    const run = idlewatch('snapshot', '--netns', netnsName, '--state', 'established');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.split('\n')[0]).toMatch(new RegExp(`· netns ${netnsName} \\(${named.id}\\)$`));
    expect(run.stdout.split('\n')[1]).toMatch(/^keepalive 67s \/ 13s × 6 · tcp_retries2 10/);
    expect(run.stdout.split('\n').filter((l) => l.startsWith('ESTABLISHED'))).toHaveLength(2 * named.connections);
  });

  it('an unknown namespace is a usage error naming what was tried', () => {
    const run = idlewatch('snapshot', '--netns', 'idlewatch-no-such-netns');
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--netns idlewatch-no-such-netns: no ip netns is named "idlewatch-no-such-netns"/);
    expect(run.stdout).toBe('');
    const digits = idlewatch('snapshot', '--netns', '4000000');
    expect(digits.status).toBe(2);
    expect(digits.stderr).toMatch(/no namespace has id 4000000, no process 4000000 is running/);
  });

  it('--netns with --all-namespaces is a usage error', () => {
    const run = idlewatch('snapshot', '--netns', named.id, '--all-namespaces');
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/give one of them/);
  });
});

describe('idlewatch snapshot --all-namespaces', () => {
  it("shows every namespace's connections with the right netns, each projected with its own settings", () => {
    const doc = json('snapshot', '--json', '--all-namespaces');
    expect(doc.namespace).toMatchObject({ id: ownId, current: true });
    expect(doc.settings).toEqual(ownSettings);
    const heads = new Map(doc.namespaces.map((n: { namespace: NetworkNamespace; settings: LinuxSettings }) => [n.namespace.id, n.settings]));
    expect(heads.get(ownId)).toEqual(ownSettings);
    for (const h of holders) {
      expect(heads.get(h.id)).toEqual(h.settings);
      expect(doc.connections.filter((c: Connection) => c.netns === h.id)).toHaveLength(1 + 2 * h.connections);
      const clients = clientsOf(h, doc.connections);
      expect(clients).toHaveLength(h.connections);
      for (const c of clients) expectProjectedWith(c, h.settings, doc.takenAt);
    }
    const ids = doc.connections.map((c: Connection) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    // Every connection comes from a namespace the head lists.
    expect(doc.connections.every((c: Connection) => heads.has(c.netns))).toBe(true);
  });

  it('prints a NETNS column with each namespace label', () => {
    const run = idlewatch('snapshot', '--all-namespaces', '--state', 'established');
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines.find((l) => l.startsWith('NETNS'))).toMatch(/^NETNS\s+STATE\s+LOCAL/);
    const ours = lines.filter((l) => l.startsWith(`${netnsName} `));
    expect(ours).toHaveLength(2 * named.connections);
    expect(lines).toContain(`netns ${netnsName} (${named.id}): keepalive 67s / 13s × 6 · tcp_retries2 10 · * 67/13/6 here, 600/60/5 on the host; tcp_retries2 10 here, ${ownSettings.retries2} on the host`);
  });

  it("leaves every namespace's settings as they were: nothing here writes one", () => {
    expect(readSysctl('net.ipv4.tcp_keepalive_time')).toBe(String(OWN.timeSec));
    const doc = json('snapshot', '--json', '--netns', unshared2.id);
    expect(doc.settings).toEqual(unshared2.settings);
  });
});

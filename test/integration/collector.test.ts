import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeSnapshot } from '../../main/core/snapshot';
import { LinuxAdapter } from '../../main/platform/linux/index';
import { parseProcNetTcp } from './proc-net-tcp-reference';
import type { Connection, Snapshot } from '../../shared/model';
import { assertThrowawayNamespace, openPair, setKeepaliveSysctls, silencePeer, sleep, socketInode, type Pair } from './lab';

const adapter = new LinuxAdapter();
const pairs: Pair[] = [];
const ownComm = readFileSync('/proc/self/comm', 'utf8').trim();

async function snapshot(): Promise<Snapshot> {
  return takeSnapshot(adapter, { rules: [] });
}

function find(snap: Snapshot, localPort: number, remotePort: number): Connection {
  const c = snap.connections.find((x) => x.localPort === localPort && x.remotePort === remotePort);
  if (!c) throw new Error(`no connection ${localPort} → ${remotePort} in the snapshot`);
  return c;
}

async function pair(host?: string, options?: { serverReads: boolean }): Promise<Pair> {
  const p = await openPair(host, options);
  pairs.push(p);
  return p;
}

beforeAll(() => {
  assertThrowawayNamespace();
  setKeepaliveSysctls({ timeSec: 7200, intervalSec: 75, probes: 9 });
});

afterAll(() => {
  pairs.forEach((p) => p.close());
  adapter.close();
});

describe('Linux collector against the real kernel', () => {
  it('lists both ends of a loopback connection with state, endpoints, owner, queues, timer and idle time', async () => {
    const p = await pair();
    await sleep(300);
    const snap = await snapshot();
    const client = find(snap, p.client.localPort!, p.serverPort);
    expect(client).toMatchObject({
      family: 'ipv4',
      state: 'ESTABLISHED',
      localAddress: '127.0.0.1',
      remoteAddress: '127.0.0.1',
      remotePort: p.serverPort,
      pid: process.pid,
      process: ownComm,
      uid: process.getuid!(),
      user: 'root',
      inode: socketInode(p.client),
      sendQueue: 0,
      recvQueue: 0,
      timer: 'none',
      timerExpiresAt: null,
      keepalive: false,
      probesSent: 0,
      nextProbeAt: null,
      dropAt: null,
    });
    expect(client.idleMs).toBeGreaterThanOrEqual(250);
    expect(client.idleMs).toBeLessThan(2000);
    const server = find(snap, p.serverPort, p.client.localPort!);
    expect(server).toMatchObject({ pid: process.pid, inode: socketInode(p.server), state: 'ESTABLISHED' });
    const listener = snap.connections.find((c) => c.state === 'LISTEN' && c.localPort === p.serverPort);
    expect(listener).toMatchObject({ pid: process.pid, idleMs: null });
  });

  it('reads the namespace keepalive sysctls and describes the host', async () => {
    const snap = await snapshot();
    // A new namespace starts with the compiled-in defaults, not the host's values (KEEPALIVE.md §1.1).
    expect(snap.settings).toEqual({ os: 'linux', timeSec: 7200, intervalSec: 75, probes: 9, retries2: 15 });
    expect(snap.host.os).toBe('linux');
    expect(snap.host.kernel).toBe(readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
    expect(snap.host.hostname.length).toBeGreaterThan(0);
  });

  it('counts unread data in the receive queue', async () => {
    const p = await pair('127.0.0.1', { serverReads: false });
    p.client.write('x'.repeat(1234));
    await sleep(100);
    expect(find(await snapshot(), p.serverPort, p.client.localPort!).recvQueue).toBe(1234);
  });

  it('lists IPv6 connections', async () => {
    const p = await pair('::1');
    const c = find(await snapshot(), p.client.localPort!, p.serverPort);
    expect(c).toMatchObject({ family: 'ipv6', localAddress: '::1', remoteAddress: '::1', pid: process.pid, state: 'ESTABLISHED' });
  });

  it('a keepalive connection: timer expiry matches /proc/net/tcp within one USER_HZ tick', async () => {
    const p = await pair();
    p.client.setKeepAlive(true);
    await sleep(50);
    const snap = await snapshot();
    const before = Date.now();
    const proc = parseProcNetTcp(readFileSync('/proc/net/tcp', 'utf8'));
    const after = Date.now();
    const inode = socketInode(p.client);
    const row = proc.entries.find((e) => e.inode === inode)!;
    expect(row.timer).toBe(2);
    const c = find(snap, p.client.localPort!, p.serverPort);
    expect(c).toMatchObject({ timer: 'keepalive', keepalive: true, probesSent: 0 });
    // /proc truncates (expires − jiffies) to 10 ms ticks, counted from the jiffy of the read.
    if (snap.clock.kind !== 'tick') throw new Error('Linux timers run on a tick clock');
    const { anchor, hz } = snap.clock;
    expect(anchor).not.toBeNull();
    const msPerJiffy = 1000 / hz;
    const jiffyStart = (epochMs: number) => anchor!.epochMs + Math.floor((epochMs - anchor!.epochMs) / msPerJiffy) * msPerJiffy;
    const earliest = jiffyStart(before) + row.timerTicks * 10;
    const latest = jiffyStart(after) + row.timerTicks * 10 + 10;
    expect(c.timerExpiresAt!).toBeGreaterThanOrEqual(Math.floor(earliest));
    expect(c.timerExpiresAt!).toBeLessThanOrEqual(Math.ceil(latest));
    // 7200 s away, armed when keepalive was switched on
    expect(c.timerExpiresAt! - snap.takenAt).toBeGreaterThan(7_199_000);
  });

  it('a socket with keepalive off is never probed', async () => {
    const p = await pair();
    const c = find(await snapshot(), p.client.localPort!, p.serverPort);
    expect(c.keepalive).toBe(false);
    expect(c.nextProbeAt).toBeNull();
    expect(c.dropReason).toBeNull();
  });

  it('reads a per-socket TCP_KEEPIDLE override from the socket itself and projects with it', async () => {
    const p = await pair();
    p.client.setKeepAlive(true, 5000); // TCP_KEEPIDLE=5 (libuv also sets KEEPINTVL=1, KEEPCNT=10)
    const snap = await snapshot();
    const c = find(snap, p.client.localPort!, p.serverPort);
    expect(c.socketKeepalive).toMatchObject({ timeSec: 5 });
    expect(c.effective).toMatchObject({ timeSec: 5, source: 'socket' });
    expect(snap.settings).toMatchObject({ timeSec: 7200 });
    const lastReceive = snap.takenAt - c.idleMs!;
    // first probe 5 s after the last receipt, rounded up by the wheel (≤256 ms for a 5 s timer)
    expect(c.nextProbeAt! - lastReceive).toBeGreaterThanOrEqual(5000 - 4);
    expect(c.nextProbeAt! - lastReceive).toBeLessThanOrEqual(5000 + 256 + 4);
    expect(c.dropReason).toBe('keepalive');
  });

  it('a connection with unacknowledged data to a silent peer is projected by retransmission', async () => {
    const p = await pair();
    p.client.setKeepAlive(true);
    const undo = silencePeer(p.serverPort);
    try {
      p.client.write('y'.repeat(1000));
      await sleep(700);
      const snap = await snapshot();
      const c = find(snap, p.client.localPort!, p.serverPort);
      expect(c.timer).toBe('retransmit');
      expect(c.sendQueue).toBe(1000);
      expect(c.retransmits).toBeGreaterThanOrEqual(1);
      expect(c.keepalive).toBe(true);
      // Keepalive does not probe with data in flight: what comes next is the next retransmission.
      expect(c.nextProbeAt).toBe(c.probesAt[0]);
      expect(c.nextProbeAt).toBeGreaterThanOrEqual(c.timerExpiresAt!);
      expect(c.dropReason).toBe('retransmit');
      // tcp_retries2 = 15 from a ~200 ms RTO: about 924.6 s after the first retransmission
      expect(c.dropAt! - snap.takenAt).toBeGreaterThan(900_000);
      expect(c.dropAt! - snap.takenAt).toBeLessThan(1_050_000);
    } finally {
      undo();
    }
  });

  it('re-polls without rescanning processes until a socket appears whose owner it has not seen', async () => {
    await snapshot();
    const again = await snapshot();
    expect(again.diagnostics.processesScanned).toBe(0);
    expect(again.connections.filter((c) => c.pid === process.pid).length).toBeGreaterThan(0);

    const p = await pair();
    const afterNew = await snapshot();
    expect(afterNew.diagnostics.processesScanned).toBeGreaterThan(0);
    expect(find(afterNew, p.client.localPort!, p.serverPort).pid).toBe(process.pid);
    expect((await snapshot()).diagnostics.processesScanned).toBe(0);
  });
});

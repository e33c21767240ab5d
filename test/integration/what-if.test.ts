/**
 * Acceptance 2 of issue 7: the what-if against the real kernel. A keepalive connection whose timer
 * is armed far ahead keeps that expiry when tcp_keepalive_time is lowered — exactly as the preview
 * said — while a connection opened after the change uses the new value.
 *
 * The change is made the way the app makes it: the Linux adapter's applyKeepalive, which runs the
 * elevated helper (directly, as the tests run as root), in this test's own network namespace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeSnapshot } from '../../main/core/snapshot';
import { LinuxAdapter } from '../../main/platform/linux/index';
import type { Connection, Snapshot } from '../../shared/model';
import { PRESETS, type KeepaliveProfile } from '../../shared/profiles';
import { previewProfile } from '../../shared/projection/what-if';
import { assertThrowawayPersistence, failure, openPair, readSysctl, setKeepaliveSysctls, silencePeer, sleep, socketInode, type KeepaliveSysctls, type Pair } from './lab';

const adapter = new LinuxAdapter();
const server = PRESETS.find((p) => p.id === 'server')!;
let found: KeepaliveSysctls;
const pairs: Pair[] = [];

beforeAll(() => {
  assertThrowawayPersistence();
  found = {
    timeSec: Number(readSysctl('net.ipv4.tcp_keepalive_time')),
    intervalSec: Number(readSysctl('net.ipv4.tcp_keepalive_intvl')),
    probes: Number(readSysctl('net.ipv4.tcp_keepalive_probes')),
  };
});
afterAll(() => {
  for (const p of pairs) p.close();
  setKeepaliveSysctls(found);
  adapter.close();
});

async function keepalivePair(): Promise<Pair> {
  const pair = await openPair();
  pairs.push(pair);
  pair.client.setKeepAlive(true); // SO_KEEPALIVE: the kernel arms the keepalive timer `time` ahead
  return pair;
}

const find = (snap: Snapshot, pair: Pair): Connection => {
  const inode = socketInode(pair.client);
  const c = snap.connections.find((x) => x.inode === inode);
  if (!c) throw new Error(`the snapshot has no socket with inode ${inode}`);
  return c;
};

const preview = (snap: Snapshot, profile: KeepaliveProfile) =>
  previewProfile({ connections: snap.connections, settings: snap.settings, clock: snap.clock, now: snap.takenAt, projector: adapter.projector, rules: [] }, profile);

const msPerJiffy = (snap: Snapshot) => (snap.clock.kind === 'tick' ? 1000 / snap.clock.hz : 4);

/** Applies values for this run only, through the adapter and the elevated helper; returns the outcome. */
async function applyRuntime(values: KeepaliveSysctls): Promise<string> {
  const { timeSec, intervalSec, probes } = values;
  return (await adapter.applyKeepalive({ timeSec, intervalSec, probes }, { persist: false })).outcome;
}

describe('the what-if against the real kernel', () => {
  it('lowering tcp_keepalive_time 7200 → 600 leaves an armed timer at its expiry, as the preview says; a new connection gets 600 s', async () => {
    setKeepaliveSysctls({ timeSec: 7200, intervalSec: 75, probes: 9 });
    const old = await keepalivePair();
    await sleep(200);

    const before = await takeSnapshot(adapter, { rules: [] });
    const oldConn = find(before, old);
    expect(oldConn).toMatchObject({ keepalive: true, timer: 'keepalive', probesSent: 0 });
    // Armed ~7200 s ahead of its last receipt, which was just now.
    expect(oldConn.timerExpiresAt! - before.takenAt).toBeGreaterThan(7190_000);
    expect(oldConn.timerExpiresAt! - before.takenAt).toBeLessThanOrEqual(7200_000);

    const whatIf = preview(before, server);
    const row = whatIf.rows.find((r) => r.id === oldConn.id)!;
    expect(row.note).toBe('armed-timer');
    // The next probe stays where the armed timer fires, not at last receipt + 600 s.
    expect(row.after.nextProbeAt).toBe(row.now.nextProbeAt);
    expect(row.after.nextProbeAt!).toBeGreaterThan(oldConn.timerExpiresAt!);
    expect(row.after.nextProbeAt! - before.takenAt).toBeGreaterThan(7000_000);
    expect(whatIf.summary.armedTimer).toBeGreaterThanOrEqual(1);
    // The server's end has keepalive off: untouched.
    const serverEnd = before.connections.find((c) => c.localPort === old.serverPort && c.remotePort === old.client.localPort)!;
    expect(whatIf.rows.find((r) => r.id === serverEnd.id)!.note).toBe('unchanged');

    expect(await applyRuntime({ timeSec: 600, intervalSec: 60, probes: 5 })).toBe('applied');
    const fresh = await keepalivePair();
    await sleep(200);
    const after = await takeSnapshot(adapter, { rules: [] });

    // The old connection's timer kept its expiry (within a jiffy: the dump reads it in jiffies).
    const oldAfter = find(after, old);
    expect(Math.abs(oldAfter.timerExpiresAt! - oldConn.timerExpiresAt!)).toBeLessThanOrEqual(msPerJiffy(after) + 1);
    // A bare snapshot, too, projects its next probe at that expiry, not at last receipt + 600 s. (Only
    // the wheel rounding may differ from the preview's: one snapshot cannot tell a timer armed under
    // the old 7200 s from one armed late under 600 s; the poller remembers, poller-armed-timer.test.ts.)
    const lastReceive = before.takenAt - oldConn.idleMs!;
    expect(oldAfter.nextProbeAt!).toBeGreaterThan(oldConn.timerExpiresAt!);
    expect(oldAfter.nextProbeAt! - (lastReceive + 600_000)).toBeGreaterThan(6000_000);

    // The connection opened after the change has its timer ≈ 600 s ahead.
    const freshConn = find(after, fresh);
    expect(freshConn.timerExpiresAt! - after.takenAt).toBeGreaterThan(590_000);
    expect(freshConn.timerExpiresAt! - after.takenAt).toBeLessThanOrEqual(600_000);
  });

  it('a silenced peer is dropped when the preview said: the armed timer first, then the new interval and count', async () => {
    // Short times so the kernel's ETIMEDOUT can be awaited: armed 20 s ahead, then lowered to 2 s.
    // 20 s is on a coarser level of the timer wheel than 2 s (2.048 s granularity at HZ=250
    // against 32 ms): the preview must round the armed timer as armed under 20 s to hit the drop.
    setKeepaliveSysctls({ timeSec: 20, intervalSec: 1, probes: 2 });
    const pair = await keepalivePair();
    await sleep(300);
    const before = await takeSnapshot(adapter, { rules: [] });
    const conn = find(before, pair);
    const profile: KeepaliveProfile = { id: '2/1/2', name: '2/1/2', timeSec: 2, intervalSec: 1, probes: 2, rationale: 'Custom values.', builtIn: false };
    const row = preview(before, profile).rows.find((r) => r.id === conn.id)!;
    expect(row.note).toBe('armed-timer');

    expect(await applyRuntime(profile)).toBe('applied');
    const failed = failure(pair.client);
    const undo = silencePeer(pair.serverPort);
    try {
      const { at, code } = await failed;
      expect(code).toBe('ETIMEDOUT');
      // As the preview said (the kernel acts on time; the error reaches JavaScript a few ms later) …
      expect(Math.abs(at - row.after.dropAt!)).toBeLessThanOrEqual(100);
      // … and not when an unarmed socket would have been dropped: last receipt + 2 + 2 × 1 s.
      const lastReceive = before.takenAt - conn.idleMs!;
      expect(at - (lastReceive + 4000)).toBeGreaterThan(1500);
      console.log(`armed-timer what-if: ETIMEDOUT − preview ${at - row.after.dropAt!} ms; − unarmed textbook ${at - (lastReceive + 4000)} ms`);
    } finally {
      undo();
    }
  });
});

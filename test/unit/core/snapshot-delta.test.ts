import { describe, expect, it } from 'vitest';
import type { SnapshotView } from '../../../shared/api/contract';
import type { Connection } from '../../../shared/model';
import { connection, snapshotView } from '../../fixtures/connection';
import { applyDelta, diffSnapshot, sameConnection, type KnownConnection } from '../../../shared/snapshot-delta';
import { ConnectionSchema } from '../../../shared/model/schemas';

const T0 = 1_800_000_000_000;

function conn(id: string, over: Partial<Connection> = {}): Connection {
  return connection({
    id,
    timerExpiresAt: T0 + 600_000,
    idleMs: 1000,
    lastSendMs: 1000,
    lastDataMs: 1000,
    nextProbeAt: T0 + 600_000,
    dropAt: T0 + 900_000,
    dropWindow: [T0 + 900_000, T0 + 930_000],
    ...over,
  });
}

const view = (seq: number, takenAt: number, connections: Connection[]): SnapshotView => snapshotView(seq, connections, takenAt);

describe('sameConnection', () => {
  it('treats a connection that only aged, with nothing happening, as unchanged', () => {
    // 2 s later the idle time is 2 s longer: the last activity is the same moment
    expect(sameConnection(conn('a'), T0, conn('a', { idleMs: 3000, lastSendMs: 3000, lastDataMs: 3000 }), T0 + 2000)).toBe(true);
  });

  it('sees new activity: the idle time restarted', () => {
    expect(sameConnection(conn('a'), T0, conn('a', { idleMs: 10 }), T0 + 2000)).toBe(false);
  });

  it('ignores a timer placed one jiffy differently, but not a re-armed one', () => {
    expect(sameConnection(conn('a'), T0, conn('a', { timerExpiresAt: T0 + 600_004 }), T0)).toBe(true);
    expect(sameConnection(conn('a'), T0, conn('a', { timerExpiresAt: T0 + 660_000 }), T0)).toBe(false);
  });

  it('sees probes, queues, state and projection changes', () => {
    for (const over of [{ probesSent: 1 }, { sendQueue: 10 }, { state: 'CLOSE_WAIT' as const }, { dropReason: 'middlebox' as const }, { atRisk: true }]) {
      expect(sameConnection(conn('a'), T0, conn('a', over), T0), JSON.stringify(over)).toBe(false);
    }
    expect(sameConnection(conn('a'), T0, conn('a', { effective: { ...conn('a').effective, source: 'socket' } }), T0)).toBe(false);
  });
});

describe('sameConnection is derived from the schema', () => {
  /** Another valid value for a field: the schema decides what is valid. */
  function changed(key: string, value: unknown): unknown {
    const alternatives: Record<string, unknown> = {
      family: 'ipv6',
      state: 'CLOSE_WAIT',
      timer: 'retransmit',
      dropReason: 'middlebox',
      precision: 'exact',
      idleProvenance: 'estimated',
      socketKeepalive: { timeSec: 30, intervalSec: 5, probes: 3, userTimeoutMs: 0 },
      dropBy: 'AWS NAT Gateway',
      probesAt: [T0 + 600_000, T0 + 660_000],
    };
    if (key in alternatives) return alternatives[key];
    if (typeof value === 'number') return value + 1000;
    if (typeof value === 'string') return `${value}x`;
    if (typeof value === 'boolean') return !value;
    if (Array.isArray(value)) return value.map((v) => (typeof v === 'number' ? v + 1000 : v));
    if (value && typeof value === 'object') {
      const [first, inner] = Object.entries(value)[0]!;
      return { ...value, [first]: changed(first, inner) };
    }
    return undefined;
  }

  it.each(Object.keys(ConnectionSchema.shape))('a change of %s reaches the receiver', (key) => {
    const before = conn('a');
    const after = { ...before, [key]: changed(key, before[key as keyof Connection]) } as Connection;
    // The changed value is still a valid connection: the schema itself says what may change.
    expect(ConnectionSchema.safeParse(after).success).toBe(true);
    expect(sameConnection(before, T0, after, T0)).toBe(false);
  });
});

describe('diffSnapshot and applyDelta', () => {
  it('an idle table produces an empty delta', () => {
    const known = new Map<string, KnownConnection>();
    diffSnapshot(known, view(1, T0, [conn('a'), conn('b')]), 0);
    const delta = diffSnapshot(known, view(2, T0 + 2000, [conn('a', { idleMs: 3000, lastSendMs: 3000, lastDataMs: 3000 }), conn('b', { idleMs: 3000, lastSendMs: 3000, lastDataMs: 3000 })]), 1);
    expect(delta.upserts).toEqual([]);
    expect(delta.removed).toEqual([]);
    expect(delta.baseSeq).toBe(1);
  });

  it('sends new and changed connections and the ids of those gone; the receiver ends up with the same table', () => {
    const sender = new Map<string, KnownConnection>();
    const receiver = new Map<string, KnownConnection>();
    const first = diffSnapshot(sender, view(1, T0, [conn('a'), conn('b'), conn('c')]), 0);
    expect(applyDelta(receiver, 0, first)).toBe(true);
    const second = diffSnapshot(sender, view(2, T0 + 2000, [conn('a', { idleMs: 3000, lastSendMs: 3000, lastDataMs: 3000 }), conn('b', { probesSent: 1, idleMs: 3000, lastSendMs: 3000, lastDataMs: 3000 }), conn('d')]), 1);
    expect(second.upserts.map((c) => c.id)).toEqual(['b', 'd']);
    expect(second.removed).toEqual(['c']);
    expect(applyDelta(receiver, 1, second)).toBe(true);
    expect([...receiver.keys()].sort()).toEqual([...sender.keys()].sort());
    expect(receiver.get('b')!.connection.probesSent).toBe(1);
  });

  it('refuses a delta made for another snapshot, so the receiver refetches', () => {
    const receiver = new Map<string, KnownConnection>([['a', { connection: conn('a'), takenAt: T0 }]]);
    const delta = diffSnapshot(new Map(), view(5, T0, [conn('x')]), 4);
    expect(applyDelta(receiver, 2, delta)).toBe(false);
    expect([...receiver.keys()]).toEqual(['a']);
  });
});

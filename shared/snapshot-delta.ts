/**
 * Pushing changes rather than whole tables: the core diffs each poll against the previous one,
 * the renderer applies the difference. Idle times grow every poll without anything happening,
 * so they are compared as the absolute moment of the last activity, not as durations.
 */
import type { SnapshotDelta, SnapshotView } from './api/contract';
import type { Connection } from './model';

/** Fields that change only when something happened. */
const EXACT_KEYS = [
  'state',
  'pid',
  'process',
  'uid',
  'user',
  'sendQueue',
  'recvQueue',
  'timer',
  'probesSent',
  'retransmits',
  'rtoMs',
  'keepalive',
  'dropReason',
  'dropBy',
  'atRisk',
] as const satisfies readonly (keyof Connection)[];

/** Absolute times: equal when within this much (a dump may place a timer one jiffy off). */
const TIME_TOLERANCE_MS = 10;
const TIME_KEYS = ['timerExpiresAt', 'nextProbeAt', 'dropAt'] as const satisfies readonly (keyof Connection)[];
/** Durations before the snapshot's moment, compared as the moment they point to. */
const AGE_KEYS = ['idleMs', 'lastSendMs', 'lastDataMs'] as const satisfies readonly (keyof Connection)[];

function closeEnough(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= TIME_TOLERANCE_MS;
}

function sameShallow(a: object | null, b: object | null): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  const ka = Object.keys(a) as (keyof typeof a)[];
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** Whether the renderer would show `b` (read at `bTakenAt`) differently from `a` (read at `aTakenAt`). */
export function sameConnection(a: Connection, aTakenAt: number, b: Connection, bTakenAt: number): boolean {
  for (const key of EXACT_KEYS) if (a[key] !== b[key]) return false;
  for (const key of TIME_KEYS) if (!closeEnough(a[key], b[key])) return false;
  for (const key of AGE_KEYS) {
    const at = (c: Connection, takenAt: number) => (c[key] === null ? null : takenAt - c[key]!);
    if (!closeEnough(at(a, aTakenAt), at(b, bTakenAt))) return false;
  }
  const [aw, bw] = [a.dropWindow, b.dropWindow];
  if (!(aw === bw || (aw && bw && closeEnough(aw[0], bw[0]) && closeEnough(aw[1], bw[1])))) return false;
  return sameShallow(a.socketKeepalive, b.socketKeepalive) && sameShallow(a.effective, b.effective);
}

/** A connection as last sent, with the moment it was read. */
export interface KnownConnection {
  connection: Connection;
  takenAt: number;
}

/**
 * The difference between what the receiver holds (`previous`) and the new snapshot. `previous`
 * is updated in place to match, so the poller keeps one map and no second copy of the table.
 */
export function diffSnapshot(
  previous: Map<string, KnownConnection>,
  next: Omit<SnapshotView, 'connections'> & { connections: readonly Connection[] },
  baseSeq: number,
): SnapshotDelta {
  const { connections, ...head } = next;
  const upserts: Connection[] = [];
  const seen = new Set<string>();
  for (const c of connections) {
    seen.add(c.id);
    const known = previous.get(c.id);
    if (!known || !sameConnection(known.connection, known.takenAt, c, next.takenAt)) {
      upserts.push(c);
      previous.set(c.id, { connection: c, takenAt: next.takenAt });
    }
  }
  const removed: string[] = [];
  for (const id of previous.keys()) {
    if (!seen.has(id)) {
      removed.push(id);
      previous.delete(id);
    }
  }
  return { ...head, baseSeq, upserts, removed };
}

/** Applies a delta to what a receiver holds; false when it was made for another snapshot (fetch the whole one). */
export function applyDelta(held: Map<string, KnownConnection>, heldSeq: number, delta: SnapshotDelta): boolean {
  if (delta.baseSeq !== heldSeq) return false;
  for (const id of delta.removed) held.delete(id);
  for (const c of delta.upserts) held.set(c.id, { connection: c, takenAt: delta.takenAt });
  return true;
}

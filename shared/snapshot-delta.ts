/**
 * Pushing changes rather than whole tables: the core diffs each poll against the previous one,
 * the renderer applies the difference. How each field is compared is derived from the model's
 * schema (shared/model/schemas.ts): a moment within a few ms, an age as the moment it points to,
 * everything else exactly. A field added to the schema is compared without being listed here.
 */
import type { z } from 'zod';
import type { SnapshotDelta, SnapshotView } from './api/contract';
import type { Connection } from './model';
import { COMPARISON, ConnectionSchema } from './model/schemas';

/** Absolute times: equal when within this much (a dump may place a timer one jiffy off). */
const TIME_TOLERANCE_MS = 10;

/** Compares one field's values of two readings taken at `aAt` and `bAt`. */
type Same = (a: unknown, b: unknown, aAt: number, bAt: number) => boolean;

const exact: Same = (a, b) => a === b;
const sameTime: Same = (a, b) => (a === null || b === null ? a === b : Math.abs((a as number) - (b as number)) <= TIME_TOLERANCE_MS);
const sameAge: Same = (a, b, aAt, bAt) =>
  a === null || b === null ? a === b : Math.abs(aAt - (a as number) - (bAt - (b as number))) <= TIME_TOLERANCE_MS;

/** Builds the comparison a schema calls for, once, at load. */
function comparatorFor(schema: z.core.$ZodType): Same {
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
  const meta = COMPARISON.get(schema as z.ZodType);
  if (meta?.compare === 'time') return sameTime;
  if (meta?.compare === 'age') return sameAge;
  switch (def.type) {
    case 'nullable':
    case 'optional': {
      const inner = comparatorFor(def.innerType as z.core.$ZodType);
      return (a, b, aAt, bAt) => (a === null || b === null || a === undefined || b === undefined ? a === b : inner(a, b, aAt, bAt));
    }
    case 'object': {
      const fields = Object.entries(def.shape as Record<string, z.core.$ZodType>).map(
        ([key, field]) => [key, comparatorFor(field)] as const,
      );
      return (a, b, aAt, bAt) => {
        if (a === b) return true;
        const x = a as Record<string, unknown>;
        const y = b as Record<string, unknown>;
        for (const [key, same] of fields) if (!same(x[key], y[key], aAt, bAt)) return false;
        return true;
      };
    }
    case 'tuple': {
      const items = (def.items as z.core.$ZodType[]).map(comparatorFor);
      return (a, b, aAt, bAt) => {
        if (a === b) return true;
        const x = a as unknown[];
        const y = b as unknown[];
        return items.every((same, i) => same(x[i], y[i], aAt, bAt));
      };
    }
    case 'array': {
      const element = comparatorFor(def.element as z.core.$ZodType);
      return (a, b, aAt, bAt) => {
        if (a === b) return true;
        const x = a as unknown[];
        const y = b as unknown[];
        return x.length === y.length && x.every((v, i) => element(v, y[i], aAt, bAt));
      };
    }
    default:
      return exact;
  }
}

const sameConnectionAt = comparatorFor(ConnectionSchema);

/** Whether the renderer would show `b` (read at `bTakenAt`) differently from `a` (read at `aTakenAt`). */
export function sameConnection(a: Connection, aTakenAt: number, b: Connection, bTakenAt: number): boolean {
  return sameConnectionAt(a, b, aTakenAt, bTakenAt);
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

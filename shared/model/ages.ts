/**
 * Readings carried forward in time: a connection read at one moment, shown as of a later one.
 * Which fields are ages (they grow while a reading is carried) comes from the schema's COMPARISON
 * registry (STYLE.md point 13), so a new age field is aged everywhere without a list to update.
 */
import type { z } from 'zod';
import { COMPARISON, ConnectionSchema, type Connection } from './schemas';

/** The Connection fields registered as ages. */
export const CONNECTION_AGE_FIELDS: readonly (keyof Connection)[] = Object.entries(ConnectionSchema.shape)
  .filter(([, schema]) => {
    let inner = schema as z.core.$ZodType;
    while (inner._zod.def.type === 'nullable' || inner._zod.def.type === 'optional') inner = (inner._zod.def as unknown as { innerType: z.core.$ZodType }).innerType;
    return COMPARISON.get(inner as z.ZodType)?.compare === 'age';
  })
  .map(([key]) => key as keyof Connection);

/** A copy of `c`, read at `readAt`, as it reads at `at`: its ages grown by the time between. */
export function agedTo(c: Connection, readAt: number, at: number): Connection {
  const byMs = at - readAt;
  if (byMs <= 0) return c;
  const aged: Record<string, unknown> = { ...c };
  for (const key of CONNECTION_AGE_FIELDS) if (typeof c[key] === 'number') aged[key] = (c[key] as number) + byMs;
  return aged as Connection;
}

/** Grows the ages of `connections` in place by `byMs` (a whole table read earlier than its neighbours). */
export function ageInPlace(connections: Connection[], byMs: number): void {
  if (byMs <= 0) return;
  for (const c of connections) {
    const record = c as unknown as Record<string, unknown>;
    for (const key of CONNECTION_AGE_FIELDS) if (typeof record[key] === 'number') record[key] = (record[key] as number) + byMs;
  }
}

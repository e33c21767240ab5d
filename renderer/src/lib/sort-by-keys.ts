/**
 * Sorting large tables by a precomputed numeric key per item: comparing strings or reaching into
 * the row objects inside the comparator costs more than the sort itself at 100,000 rows. Items
 * whose key is NaN (no value) go last in either direction; ties keep the order given, so the
 * order holds from one poll to the next.
 */
export function sortByKeys<T>(items: readonly T[], key: Float64Array, direction: 'asc' | 'desc'): T[] {
  const n = items.length;
  const present: number[] = [];
  const missing: number[] = [];
  for (let i = 0; i < n; i++) (Number.isNaN(key[i]!) ? missing : present).push(i);
  const dir = direction === 'asc' ? 1 : -1;
  present.sort((a, b) => {
    const ka = key[a]!;
    const kb = key[b]!;
    return ka < kb ? -dir : ka > kb ? dir : a - b;
  });
  const out = new Array<T>(n);
  let o = 0;
  for (const i of present) out[o++] = items[i]!;
  for (const i of missing) out[o++] = items[i]!;
  return out;
}

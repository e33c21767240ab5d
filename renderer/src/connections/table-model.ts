/**
 * Sorting the connection table (filtering is shared with the CLI: shared/connection-filter.ts):
 * pure functions over KnownConnection, so they run the same in tests as in the UI. Built for 100,000 rows: every key is computed once per
 * connection object (upserts replace the object, so the cache follows the data), and every key
 * is a number that does not change with time — idle time is sorted as the moment of the last
 * packet, countdowns as the absolute moment they count down to — so the 1 s clock never
 * re-sorts the table.
 */
import ipaddr from 'ipaddr.js';
import { dropByLabel, keepaliveLabel, userLabel } from '../../../shared/labels';
import type { Connection } from '../../../shared/model';
import type { KnownConnection } from '../../../shared/snapshot-delta';
import { sortByKeys } from '../lib/sort-by-keys';

export const SORT_COLUMNS = [
  'namespace',
  'state',
  'local',
  'remote',
  'process',
  'user',
  'idle',
  'keepalive',
  'probes',
  'nextProbe',
  'drop',
  'dropBy',
] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];
export type SortDirection = 'asc' | 'desc';

export interface SortSpec {
  column: SortColumn;
  direction: SortDirection;
}

export const DEFAULT_SORT: SortSpec = { column: 'idle', direction: 'desc' };

/**
 * The next keepalive probe as `now` passes the projected ones: the first of `probesAt` still to
 * come (a probe the poll announced has gone out by now, the next one is due an interval later if
 * the peer stays silent); the last one, overdue, once all have passed; null when none is planned.
 */
export function upcomingProbeAt(c: Pick<Connection, 'probesAt'>, now: number): number | null {
  const { probesAt } = c;
  for (const at of probesAt) if (at > now) return at;
  return probesAt.length > 0 ? probesAt[probesAt.length - 1]! : null;
}

/** The direction a first click on a column sorts in: most idle first, soonest countdown first, text A→Z. */
export function firstDirection(column: SortColumn): SortDirection {
  return column === 'idle' || column === 'probes' ? 'desc' : 'asc';
}

/** A header click: the same column flips, another column starts in its natural direction. */
export function nextSort(current: SortSpec, column: SortColumn): SortSpec {
  if (current.column === column) return { column, direction: current.direction === 'asc' ? 'desc' : 'asc' };
  return { column, direction: firstDirection(column) };
}

/** What sorting needs from one connection, computed once. */
interface SortKeys {
  /** IPv4 as a 32-bit number; other addresses as a string that sorts them. */
  localAddress: number | string;
  remoteAddress: number | string;
  process: string | null;
  user: string | null;
  dropBy: string | null;
  /** 1 on, 0 off, NaN not known or meaningless (sorted last). */
  keepalive: number;
}

/**
 * Keys are memoized on the KnownConnection object itself. Each upsert makes a new one
 * (applyDelta), so the memo follows the data; a WeakMap would do the same but its lookups cost
 * more than the sort itself at 100,000 rows.
 */
const SORT_KEYS = Symbol('sortKeys');
type Memo = KnownConnection & { [SORT_KEYS]?: SortKeys };

function rowKeys(known: KnownConnection): SortKeys {
  const memo = known as Memo;
  return (memo[SORT_KEYS] ??= computeSortKeys(known.connection));
}

function computeSortKeys(c: Connection): SortKeys {
  return {
    localAddress: addressSortKey(c.localAddress),
    remoteAddress: addressSortKey(c.remoteAddress),
    process: c.process === null ? null : c.process.toLowerCase(),
    user: userLabel(c)?.toLowerCase() ?? null,
    dropBy: dropByLabel(c)?.toLowerCase() ?? null,
    keepalive: KEEPALIVE_KEY[keepaliveLabel(c)] ?? NaN,
  };
}

const KEEPALIVE_KEY: Record<string, number> = { on: 1, off: 0 };

const IPV4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/i;

/**
 * An address as a key that sorts numerically: IPv4 (also IPv4-mapped IPv6) as its 32-bit
 * value; IPv6 as fixed-width hex, which sorts after every IPv4 (see fillKeys).
 */
export function addressSortKey(address: string): number | string {
  const v4 = IPV4.exec(address);
  if (v4) return ((+v4[1]! << 24) >>> 0) + (+v4[2]! << 16) + (+v4[3]! << 8) + +v4[4]!;
  try {
    return ipaddr
      .parse(address)
      .toByteArray()
      .map((b) => b.toString(16).padStart(2, '0'))
      .join('');
  } catch {
    return `~${address}`;
  }
}

/** Ranks strings once (few distinct values), so the sort itself compares numbers. */
function rankOf(values: readonly string[]): Map<string, number> {
  const distinct = [...new Set(values)].sort();
  return new Map(distinct.map((v, i) => [v, i]));
}

/** What sorting needs beyond the rows: the order of the namespaces (the host first, then by label). */
export interface SortContext {
  /** Namespace id → its position; a namespace not in it sorts last. */
  namespaceRank?: ReadonlyMap<string, number>;
}

/** Fills `key` with each row's sort key; NaN marks a row without a value (sorted last). */
function fillKeys(rows: readonly KnownConnection[], column: SortColumn, key: Float64Array, context: SortContext): void {
  const n = rows.length;
  const get = (i: number) => rows[i]!.connection;
  switch (column) {
    case 'namespace': {
      const rank = context.namespaceRank ?? new Map<string, number>();
      for (let i = 0; i < n; i++) key[i] = rank.get(get(i).netns) ?? NaN;
      return;
    }
    case 'idle':
      // Longer idle = earlier last packet: sort by −lastActivityAt, which stays put as time passes.
      for (let i = 0; i < n; i++) {
        const { idleMs } = get(i);
        key[i] = idleMs === null ? NaN : idleMs - rows[i]!.takenAt;
      }
      return;
    case 'keepalive':
      for (let i = 0; i < n; i++) key[i] = rowKeys(rows[i]!).keepalive;
      return;
    case 'probes':
      for (let i = 0; i < n; i++) key[i] = get(i).probesSent;
      return;
    case 'nextProbe':
      for (let i = 0; i < n; i++) key[i] = get(i).nextProbeAt ?? NaN;
      return;
    case 'drop':
      for (let i = 0; i < n; i++) key[i] = get(i).dropAt ?? NaN;
      return;
    case 'local':
    case 'remote': {
      // IPv4 × 65536 + port stays below 2^48, exact in a double; other addresses are ranked above it.
      const addresses = rows.map((r) => (column === 'local' ? rowKeys(r).localAddress : rowKeys(r).remoteAddress));
      const rank = rankOf(addresses.filter((a): a is string => typeof a === 'string'));
      for (let i = 0; i < n; i++) {
        const c = get(i);
        const address = addresses[i]!;
        const port = column === 'local' ? c.localPort : c.remotePort;
        key[i] = (typeof address === 'number' ? address : 2 ** 48 + rank.get(address)!) * 65_536 + port;
      }
      return;
    }
    case 'process': {
      // command, then pid (< 2^22 on Linux)
      const names = rows.map((r) => rowKeys(r).process);
      const rank = rankOf(names.filter((v): v is string => v !== null));
      for (let i = 0; i < n; i++) {
        const name = names[i];
        key[i] = name == null ? NaN : rank.get(name)! * 4_194_304 + (get(i).pid ?? 0);
      }
      return;
    }
    case 'state':
    case 'user':
    case 'dropBy': {
      const texts = rows.map((r) => (column === 'state' ? r.connection.state.toLowerCase() : rowKeys(r)[column]));
      const rank = rankOf(texts.filter((v): v is string => v !== null));
      for (let i = 0; i < n; i++) {
        const text = texts[i];
        key[i] = text == null ? NaN : rank.get(text)!;
      }
      return;
    }
  }
}

/**
 * The rows most idle first (earliest last packet first), rows without an idle time last, ties
 * in the order given. The table computes this once per data change and sorts from it, so
 * every column's ties come out most-idle first without a second comparison in the sort.
 */
export function idleOrder(rows: readonly KnownConnection[]): KnownConnection[] {
  return sortRows(rows, { column: 'idle', direction: 'desc' });
}

/**
 * The rows in the order of `sort`. Rows without a value (no probe planned, no process known)
 * go last in either direction; ties keep the order given (pass idleOrder's result to break them
 * most-idle first), so the order holds from one poll to the next.
 */
export function sortRows(rows: readonly KnownConnection[], sort: SortSpec, context: SortContext = {}): KnownConnection[] {
  const key = new Float64Array(rows.length);
  fillKeys(rows, sort.column, key, context);
  return sortByKeys(rows, key, sort.direction);
}

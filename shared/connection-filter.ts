/**
 * Which connections to show: one filter for the UI's table and the CLI's `--state` /
 * `--idle-min` (and reports). Built for 100,000 rows: the filter is compiled once per change,
 * non-text conditions allocate nothing per row, and the text a row is searched by is built once
 * per connection object and kept on it (an upsert replaces the object, so the memo follows the
 * data).
 */
import { formatEndpoint } from './format';
import { processLabel, userLabel, visibleControls } from './labels';
import { KEEPALIVE_STATES, type Connection, type TcpState } from './model';
import { keepaliveEnabled } from './projection/project';
import type { KnownConnection } from './snapshot-delta';

export const KEEPALIVE_FILTERS = ['any', 'on', 'off'] as const;
export type KeepaliveFilter = (typeof KEEPALIVE_FILTERS)[number];

export interface FilterSpec {
  /** Words that must all appear in the address, port, pid, process, user or namespace label (case-insensitive). */
  text: string;
  state: TcpState | null;
  /** Only connections idle at least this long; null = any. */
  minIdleSec: number | null;
  /**
   * on: the kernel probes it (a state keepalive runs in, SO_KEEPALIVE on); off: in such a state
   * with SO_KEEPALIVE known to be off. Sockets where keepalive means nothing (LISTEN, TIME_WAIT…)
   * or is not known match neither.
   */
  keepalive: KeepaliveFilter;
  /** Only connections a middlebox or the application closes before the first keepalive probe. */
  atRiskOnly: boolean;
}

export const NO_FILTER: Readonly<FilterSpec> = Object.freeze({ text: '', state: null, minIdleSec: null, keepalive: 'any', atRiskOnly: false });

export function isFiltering(filter: FilterSpec): boolean {
  return (
    filter.text.trim() !== '' ||
    filter.state !== null ||
    filter.minIdleSec !== null ||
    filter.keepalive !== 'any' ||
    filter.atRiskOnly
  );
}

/**
 * What the filter needs beyond the connection itself. `namespaceLabels` (network namespace id →
 * its label, "host", "web-1"): the text filter also finds a connection by the label of the
 * namespace it lives in. Labels are not part of the memoized haystack: they belong to the
 * snapshot, not the connection, and may change while the connection object stays.
 */
export interface FilterContext {
  namespaceLabels?: ReadonlyMap<string, string>;
}

/**
 * Whether a connection passes. `sinceReadMs` is how long ago it was read: its idle time has
 * grown by that much (a UI filters rows read at earlier polls; the CLI passes nothing).
 */
export type ConnectionMatcher = (c: Connection, sinceReadMs?: number) => boolean;

const HAYSTACK = Symbol('filterHaystack');
type Memo = Connection & { [HAYSTACK]?: string };

/** Address, port, pid, process and user, lowercased and printable: what the text filter searches. */
function haystack(c: Connection): string {
  const memo = c as Memo;
  if (memo[HAYSTACK] === undefined) {
    const text = [
      formatEndpoint(c.localAddress, c.localPort),
      formatEndpoint(c.remoteAddress, c.remotePort),
      c.pid ?? '',
      processLabel(c) ?? '',
      userLabel(c) ?? '',
    ]
      .join(' ')
      .toLowerCase();
    // A frozen connection (a test's, a cached one) is searched without the memo.
    if (!Object.isExtensible(c)) return text;
    memo[HAYSTACK] = text;
  }
  return memo[HAYSTACK];
}

/** The filter as one function, built once: run it over every row (not straight into Array.filter, whose index is no age). */
export function connectionMatcher(filter: FilterSpec, context: FilterContext = {}): ConnectionMatcher {
  // Words are searched in the table's printable form: a pasted control character matches its escape.
  const terms = visibleControls(filter.text).toLowerCase().split(/\s+/).filter(Boolean);
  // Per word, the namespaces whose label holds it: a few labels searched once, a Set lookup per row.
  const labels = context.namespaceLabels ? [...context.namespaceLabels] : [];
  const inNamespaces = terms.map(
    (term) => new Set(labels.filter(([, label]) => visibleControls(label).toLowerCase().includes(term)).map(([id]) => id)),
  );
  const { state, atRiskOnly } = filter;
  const minIdleMs = filter.minIdleSec === null ? null : filter.minIdleSec * 1000;
  const wantKeepalive = filter.keepalive === 'any' ? null : filter.keepalive === 'on';
  return (c, sinceReadMs = 0) => {
    if (state !== null && c.state !== state) return false;
    if (atRiskOnly && !c.atRisk) return false;
    if (minIdleMs !== null && (c.idleMs === null || c.idleMs + sinceReadMs < minIdleMs)) return false;
    if (wantKeepalive !== null) {
      if (!KEEPALIVE_STATES.has(c.state)) return false;
      const on = keepaliveEnabled(c);
      if (wantKeepalive ? !on : on || c.keepalive === null) return false;
    }
    if (terms.length > 0) {
      const text = haystack(c);
      for (let i = 0; i < terms.length; i++) if (!text.includes(terms[i]!) && !inNamespaces[i]!.has(c.netns)) return false;
    }
    return true;
  };
}

/**
 * The rows that pass `filter`, keeping their order; the same array when nothing filters. `now`
 * matters only for the minimum idle time (rows cross it as time passes).
 */
export function filterRows(rows: readonly KnownConnection[], filter: FilterSpec, now: number, context?: FilterContext): KnownConnection[] {
  if (!isFiltering(filter)) return rows as KnownConnection[];
  const matches = connectionMatcher(filter, context);
  return rows.filter((known) => matches(known.connection, now - known.takenAt));
}

/** The connections of one reading that pass `filter`, in a new array (the CLI, reports). */
export function filterConnections(connections: readonly Connection[], filter: FilterSpec, context?: FilterContext): Connection[] {
  const matches = connectionMatcher(filter, context);
  return connections.filter((c) => matches(c));
}

/** Idle connections first: longest idle at the top, sockets without an idle time (listeners, TIME_WAIT) last. */
export function byIdleDescending(a: Connection, b: Connection): number {
  return (b.idleMs ?? -1) - (a.idleMs ?? -1);
}

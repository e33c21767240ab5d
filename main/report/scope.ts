/**
 * Which connections a report shows, in which order, and how it says so: the table's own filter
 * (shared/connection-filter.ts), so "what I see is what I export" holds for the app, and the
 * CLI's --state / --idle-min mean what they mean for `idlewatch snapshot`.
 */
import { filterConnections, isFiltering, type FilterSpec } from '../../shared/connection-filter';
import { visibleControls } from '../../shared/labels';
import type { Connection } from '../../shared/model';
import type { ReportInput } from './model';
import { reportLabel } from './text';

export interface ScopedConnections {
  /** The connections shown, in the report's order (./scope.ts byDropSoonest). */
  connections: Connection[];
  /** How many the snapshot holds. */
  total: number;
  /** The filter applied, or null for every connection. */
  filter: FilterSpec | null;
  /** "12 of 340 connections: state ESTABLISHED, idle ≥ 60 s", "All 340 connections". */
  description: string;
}

/**
 * Soonest projected drop first (what a report is read for), then longest idle; connections
 * nothing drops last. One order for every format, so row n of the CSV is row n of the HTML.
 */
export function byDropSoonest(a: Connection, b: Connection): number {
  if (a.dropAt !== b.dropAt) {
    if (a.dropAt === null) return 1;
    if (b.dropAt === null) return -1;
    return a.dropAt - b.dropAt;
  }
  return (b.idleMs ?? -1) - (a.idleMs ?? -1);
}

/** The filter's conditions in words: "state ESTABLISHED, idle ≥ 60 s". */
export function describeFilter(filter: FilterSpec): string {
  const parts: string[] = [];
  const text = filter.text.trim();
  // Typed by a person: shown as the table's filter box shows it (controls visible, backslashes as typed).
  if (text !== '') parts.push(`matching “${reportLabel(visibleControls(text), 200)}”`);
  if (filter.state !== null) parts.push(`state ${filter.state}`);
  if (filter.minIdleSec !== null) parts.push(`idle ≥ ${filter.minIdleSec} s`);
  if (filter.keepalive !== 'any') parts.push(`keepalive ${filter.keepalive}`);
  if (filter.atRiskOnly) parts.push('at risk only');
  return parts.join(', ');
}

const connectionsWord = (n: number) => (n === 1 ? 'connection' : 'connections');

export function scopeOf(input: Pick<ReportInput, 'snapshot' | 'scope'>): ScopedConnections {
  const all = input.snapshot.connections;
  const total = all.length;
  const filter = input.scope.kind === 'filtered' && isFiltering(input.scope.filter) ? input.scope.filter : null;
  // A snapshot of several namespaces: the table's text filter finds a connection by its
  // namespace's label too, and the export must hold the same rows.
  const namespaces = input.snapshot.namespaces ?? [];
  const context = namespaces.length > 1 ? { namespaceLabels: new Map(namespaces.map((n) => [n.namespace.id, n.namespace.label])) } : {};
  const connections = (filter === null ? [...all] : filterConnections(all, filter, context)).sort(byDropSoonest);
  const description =
    filter === null
      ? `All ${total} ${connectionsWord(total)}`
      : `${connections.length} of ${total} ${connectionsWord(total)}: ${describeFilter(filter)}`;
  return { connections, total, filter, description };
}

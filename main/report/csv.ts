/**
 * The report as CSV (RFC 4180 through csv-stringify: CRLF line ends, a field quoted when it holds
 * a comma, a quote or a line end, a header row): one row per connection in the report's scope
 * and order — or, for a post-mortem, one row per connection that ended. Times are ISO 8601 UTC,
 * durations carry their unit in the header, numbers are numbers (a countdown already passed is
 * negative), and every text cell goes through ./spreadsheet-safe.ts.
 *
 * Written in batches, so 100,000 rows never sit in memory as one array of arrays.
 */
import { stringify } from 'csv-stringify/sync';
import { formatEndpoint, printable } from '../../shared/format';
import { dropByLabel, keepaliveLabel, processLabel, userLabel } from '../../shared/labels';
import type { Connection } from '../../shared/model';
import { provenanceOf } from '../../shared/provenance';
import type { EndedConnection, ReportInput } from './model';
import { scopeOf } from './scope';
import { neutralised, spreadsheetText } from './spreadsheet-safe';
import { reportLabel } from './text';

const BATCH_ROWS = 2000;

type Cell = string | number | null;

interface Column<T> {
  header: string;
  cell: (row: T, takenAt: number) => Cell;
}

/** A label that is already printable (shared/labels.ts), or null for an empty cell. */
const label = (text: string | null): string | null => (text === null ? null : neutralised(reportLabel(text)));
const raw = (text: string | null): string | null => (text === null ? null : spreadsheetText(text));
const iso = (at: number | null): string | null => (at === null ? null : new Date(at).toISOString());
const sec = (ms: number | null): number | null => (ms === null ? null : ms / 1000);
const yesNo = (value: boolean): string => (value ? 'yes' : 'no');

/**
 * What a spreadsheet reader needs of each connection. Every field the model has is in the JSON
 * report; each column here costs tens of milliseconds per 100,000 rows in the CSV writer.
 */
const CONNECTION_COLUMNS: Column<Connection>[] = [
  { header: 'state', cell: (c) => c.state },
  { header: 'local address', cell: (c) => raw(c.localAddress) },
  { header: 'local port', cell: (c) => c.localPort },
  { header: 'remote address', cell: (c) => raw(c.remoteAddress) },
  { header: 'remote port', cell: (c) => c.remotePort },
  { header: 'pid', cell: (c) => c.pid },
  { header: 'process', cell: (c) => label(processLabel(c)) },
  { header: 'user', cell: (c) => label(userLabel(c)) },
  { header: 'idle s', cell: (c) => sec(c.idleMs) },
  { header: 'keepalive', cell: (c) => label(keepaliveLabel(c)) },
  { header: 'keepalive time s', cell: (c) => c.effective.timeSec },
  { header: 'keepalive interval s', cell: (c) => c.effective.intervalSec },
  { header: 'keepalive probes', cell: (c) => c.effective.probes },
  { header: 'probes sent', cell: (c) => c.probesSent },
  { header: 'next probe at', cell: (c) => iso(c.nextProbeAt) },
  { header: 'drop at', cell: (c) => iso(c.dropAt) },
  { header: 'drop in s', cell: (c, takenAt) => (c.dropAt === null ? null : (c.dropAt - takenAt) / 1000) },
  { header: 'drop window from', cell: (c) => iso(c.dropWindow?.[0] ?? null) },
  { header: 'drop window to', cell: (c) => iso(c.dropWindow?.[1] ?? null) },
  { header: 'drop reason', cell: (c) => c.dropReason },
  { header: 'dropped by', cell: (c) => label(dropByLabel(c)) },
  { header: 'at risk', cell: (c) => yesNo(c.atRisk) },
  { header: 'precision', cell: (c) => c.precision },
  // Plain words (kernel, assumed, estimated, model); empty where there is no idle time.
  { header: 'idle provenance', cell: (c) => provenanceOf(c).idle },
  { header: 'keepalive provenance', cell: (c) => provenanceOf(c).keepalive },
  { header: 'projection provenance', cell: (c) => provenanceOf(c).projection },
];

const ENDED_COLUMNS: Column<EndedConnection>[] = [
  { header: 'ended at', cell: (e) => iso(e.endedAt) },
  { header: 'ended between', cell: (e) => iso(e.endedWindow?.[0] ?? null) },
  { header: 'ended before', cell: (e) => iso(e.endedWindow?.[1] ?? null) },
  { header: 'end seen by', cell: (e) => e.endSource },
  { header: 'local', cell: (e) => label(formatEndpoint(printable(e.localAddress), e.localPort)) },
  { header: 'remote', cell: (e) => label(formatEndpoint(printable(e.remoteAddress), e.remotePort)) },
  { header: 'process', cell: (e) => raw(e.process) },
  { header: 'pid', cell: (e) => e.pid },
  { header: 'user', cell: (e) => raw(e.user) },
  { header: 'idle at end s', cell: (e) => sec(e.idleAtEndMs) },
  { header: 'projected drop at', cell: (e) => iso(e.projectedDropAt) },
  { header: 'projected drop reason', cell: (e) => e.projectedDropReason },
  { header: 'cause', cell: (e) => e.cause },
  // Our sentences, but they may quote what the system said (a rule's or a process's name).
  { header: 'evidence', cell: (e) => raw(e.evidence.join('; ')) },
  { header: 'states seen', cell: (e) => label(e.statesSeen.join(' → ')) },
];

function* rows<T>(items: readonly T[], columns: readonly Column<T>[], takenAt: number): Generator<string> {
  const options = { header: true, columns: columns.map((c) => c.header), record_delimiter: 'windows' as const };
  if (items.length === 0) {
    yield stringify([], options);
    return;
  }
  for (let i = 0; i < items.length; i += BATCH_ROWS) {
    const batch = items.slice(i, i + BATCH_ROWS).map((item) => columns.map((c) => c.cell(item, takenAt)));
    yield stringify(batch, { ...options, header: i === 0 });
  }
}

/** The CSV in pieces, to write as they come. */
export function csvChunks(input: ReportInput): Generator<string> {
  const takenAt = input.snapshot.takenAt;
  if (input.postMortem) return rows(input.postMortem.ended, ENDED_COLUMNS, takenAt);
  return rows(scopeOf(input).connections, CONNECTION_COLUMNS, takenAt);
}

export const CSV_CONNECTION_HEADERS = CONNECTION_COLUMNS.map((c) => c.header);
export const CSV_ENDED_HEADERS = ENDED_COLUMNS.map((c) => c.header);

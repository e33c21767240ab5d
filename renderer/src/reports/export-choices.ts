/**
 * What the Export dialog and the Record control offer and say, as plain functions of what they
 * are given (the table's filter and counts, the recordings, the recorder's state, `now`), so the
 * words are tested without a page. The components only lay them out.
 */
import type { ExportRequest, RecordingInfo, RecordingState, ReportFormat } from '../../../shared/api/contract';
import { isFiltering, type FilterSpec } from '../../../shared/connection-filter';
import { formatClockTime, formatDurationWords } from '../../../shared/time-format';

export interface FormatChoice {
  format: ReportFormat;
  label: string;
  /** What the format is for, in the user's terms. */
  purpose: string;
}

/** The four formats, in the order the dialog offers them. */
export const FORMAT_CHOICES: readonly FormatChoice[] = [
  { format: 'csv', label: 'CSV', purpose: 'for spreadsheets' },
  { format: 'json', label: 'JSON', purpose: 'for scripts' },
  { format: 'html', label: 'HTML', purpose: 'to read or attach' },
  { format: 'pdf', label: 'PDF', purpose: 'to print' },
];

/**
 * What a report covers: the rows the table shows now, every connection of the current snapshot,
 * or a post-mortem of a recording (what was seen and what ended while it ran).
 */
export type ExportSource = 'filtered' | 'all' | 'recording';

export interface SourceChoice {
  source: ExportSource;
  label: string;
  disabled: boolean;
  /** Why it is disabled, or what it means; null when the label says it all. */
  note: string | null;
}

const count = (n: number) => n.toLocaleString('en-US');

/** "12 of 340": the rows the table shows of all it knows. */
export function shownOfTotal(shown: number, total: number): string {
  return `${count(shown)} of ${count(total)}`;
}

/** "All 340 connections", "All 1 connection". */
export function allConnectionsLabel(total: number): string {
  return `All ${count(total)} ${total === 1 ? 'connection' : 'connections'}`;
}

/**
 * The scopes offered. "What the table shows" only while a filter is active: without one it is the
 * same as everything, and two choices that mean one thing make the user wonder what differs.
 */
export function sourceChoices(options: { filter: FilterSpec; shown: number; total: number; recordings: number }): SourceChoice[] {
  const choices: SourceChoice[] = [];
  if (isFiltering(options.filter)) {
    choices.push({
      source: 'filtered',
      label: `What the table shows (${shownOfTotal(options.shown, options.total)})`,
      disabled: false,
      note: null,
    });
  }
  choices.push({ source: 'all', label: allConnectionsLabel(options.total), disabled: false, note: null });
  choices.push({
    source: 'recording',
    label: 'Post-mortem of a recording',
    disabled: options.recordings === 0,
    note: options.recordings === 0 ? 'No recordings yet: ● Record in the header writes one.' : 'What was seen, and every connection that ended, while it ran.',
  });
  return choices;
}

/** The choice the dialog opens with: what the user is looking at. */
export function defaultSource(filter: FilterSpec): ExportSource {
  return isFiltering(filter) ? 'filtered' : 'all';
}

/** A source that is no longer offered (the filter was cleared, the last recording removed) falls back to all. */
export function effectiveSource(wanted: ExportSource, choices: readonly SourceChoice[]): ExportSource {
  return choices.some((c) => c.source === wanted && !c.disabled) ? wanted : 'all';
}

/** Largest minimum idle time a report's filter carries (FilterSpecSchema). */
const MAX_MIN_IDLE_SEC = 31_536_000;

/**
 * The table's filter as the contract carries it. The table takes a fractional minimum idle time
 * ("1.5s"); the report's is whole seconds, rounded up so it never includes a row the table hides.
 */
export function reportFilter(filter: FilterSpec): FilterSpec {
  return {
    text: filter.text.slice(0, 200),
    state: filter.state,
    minIdleSec: filter.minIdleSec === null ? null : Math.min(MAX_MIN_IDLE_SEC, Math.ceil(filter.minIdleSec)),
    keepalive: filter.keepalive,
    atRiskOnly: filter.atRiskOnly,
  };
}

/** The request for a choice. A post-mortem covers the whole recording; the filter travels along as the contract asks. */
export function exportRequest(options: { format: ReportFormat; source: ExportSource; filter: FilterSpec; recording: string | null }): ExportRequest {
  return {
    format: options.format,
    scope: options.source === 'filtered' ? 'filtered' : 'all',
    filter: reportFilter(options.filter),
    recording: options.source === 'recording' ? options.recording : null,
  };
}

/** "812 B", "12.4 KB", "3.1 MB" (powers of 1024, as file managers on Linux show them). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** Newest first, by start time (a recording whose start is unknown last), then by name, which holds the start too. */
export function newestFirst(recordings: readonly RecordingInfo[]): RecordingInfo[] {
  return [...recordings].sort((a, b) => (b.startedAt ?? -Infinity) - (a.startedAt ?? -Infinity) || b.name.localeCompare(a.name));
}

/**
 * One recording in the list: "2026-11-25 16:45:00 · 15 min · 12.4 KB" (how long it ran, when it
 * was stopped), with "recording now" for the one
 * being written and "cut short" for one that never recorded its stop (the app crashed or was
 * killed: it still reads, up to where it ends).
 */
export function recordingLabel(info: RecordingInfo, activeName: string | null, now: number): string {
  const started = info.startedAt === null ? info.name : formatClockTime(info.startedAt, now);
  const parts = [started];
  if (info.startedAt !== null && info.stoppedAt !== null) parts.push(formatDurationWords(Math.max(0, info.stoppedAt - info.startedAt)));
  parts.push(formatBytes(info.bytes));
  if (info.stoppedAt === null) parts.push(info.name === activeName ? 'recording now' : 'cut short');
  return parts.join(' · ');
}

/** A recording's running time as a stopwatch: "02:31", "1:02:31". */
export function formatStopwatch(ms: number): string {
  const totalSec = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(totalSec / 3600);
  const m = Math.floor((totalSec % 3600) / 60);
  const s = totalSec % 60;
  const mmss = `${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
}

/** "3 ended", "1 ended": the connection ends written so far. */
export function endsLabel(ends: number): string {
  return `${count(ends)} ended`;
}

/** Where the ends of connections come from, in one short phrase for the header. */
export function endSourceShort(state: Pick<RecordingState, 'endSource'>): string | null {
  if (state.endSource === 'kernel-events') return 'ends from kernel events';
  if (state.endSource === 'polls') return 'ends from polls';
  return null;
}

/** The same, in full for the tooltip: what the source means for the times in the post-mortem, and why when it is the lesser one. */
export function endSourceDetail(state: Pick<RecordingState, 'endSource' | 'endSourceNote' | 'intervalMs'>): string {
  const every = state.intervalMs === null ? '' : ` (every ${state.intervalMs / 1000} s)`;
  const base =
    state.endSource === 'kernel-events'
      ? 'Connection ends come from the kernel’s socket events: each one with the moment it happened.'
      : state.endSource === 'polls'
        ? `Connection ends come from the polls${every}: a connection that is gone from one poll to the next ended between the two.`
        : 'Writes what the collector sees to a file in the recordings folder until you stop it.';
  return state.endSourceNote ? `${base} ${state.endSourceNote}` : base;
}

/** What the page says after an export: "Saved to /home/…/idlewatch-….csv." (desktop), "Downloaded idlewatch-….csv." (browser). */
export function savedMessage(fileName: string, where: string | null): string {
  return where === null ? `Downloaded ${fileName}.` : `Saved to ${where}.`;
}

/**
 * How times read to a person, in the UI, the CLI and reports alike. Durations in tables are
 * compact ("4m 12s", from ./format.ts); in sentences they are spelled out ("4 min 12 s").
 * Countdowns and idle times are whole seconds because a UI ticks them once a second. Pure: the
 * moment to count from is always a parameter (`now`); wall-clock times are in the viewer's
 * time zone.
 */
import { formatDuration } from './format';
import type { KnownConnection } from './snapshot-delta';

/** Shown where a value does not exist (no probe planned, idle time unknown). */
export const NONE = '—';

/** Time left until `at`, as the table shows it: "5m 48s", "42s", "overdue" once it has passed. */
export function formatCountdown(at: number | null, now: number): string {
  if (at === null) return NONE;
  const remainingMs = at - now;
  if (remainingMs <= 0) return 'overdue';
  // Rounded up: "1s" until the moment itself, never "0s" before it.
  const sec = Math.ceil(remainingMs / 1000);
  return sec < 60 ? `${sec}s` : formatDuration(sec * 1000);
}

/** An elapsed time in whole seconds: "0s", "42s", "4m 12s", "2h 11m". */
export function formatElapsed(ms: number | null): string {
  if (ms === null) return NONE;
  const sec = Math.max(0, Math.floor(ms / 1000));
  return sec < 60 ? `${sec}s` : formatDuration(sec * 1000);
}

/** A duration for a sentence: "2 h 11 min", "4 min 12 s", "5 min", "45 s", "1.5 s", "120 ms". */
export function formatDurationWords(ms: number): string {
  const abs = Math.abs(ms);
  const sign = ms < 0 ? '-' : '';
  if (abs < 1000) return `${sign}${Math.round(abs)} ms`;
  if (abs < 10_000 && abs % 1000 !== 0) return `${sign}${(abs / 1000).toFixed(1)} s`;
  const totalSec = Math.round(abs / 1000);
  const d = Math.floor(totalSec / 86_400);
  const h = Math.floor((totalSec % 86_400) / 3600);
  const m = Math.floor((totalSec % 3600) / 60);
  const s = totalSec % 60;
  const parts: string[] = [];
  // Two units at most: "2 h 11 min" says enough about a 7875 s wait.
  if (d > 0) parts.push(`${d} d`, ...(h > 0 ? [`${h} h`] : []));
  else if (h > 0) parts.push(`${h} h`, ...(m > 0 ? [`${m} min`] : []));
  else if (m > 0) parts.push(`${m} min`, ...(s > 0 ? [`${s} s`] : []));
  else parts.push(`${s} s`);
  return sign + parts.join(' ');
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * A moment as a wall-clock time in the viewer's time zone: "14:03:21"; with the date in front
 * ("2025-11-25 00:12:03") when it is not on the same day as `now`.
 */
export function formatClockTime(at: number, now: number): string {
  const date = new Date(at);
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  const today = new Date(now);
  const sameDay =
    date.getFullYear() === today.getFullYear() && date.getMonth() === today.getMonth() && date.getDate() === today.getDate();
  return sameDay ? time : `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${time}`;
}

/**
 * A drop window as clock times: "14:03:21 – 14:03:39"; when both ends fall in the same second,
 * "14:03:21 (within 180 ms)" instead of the same time twice.
 */
export function formatWindow(window: readonly [number, number], now: number): string {
  const [from, to] = [formatClockTime(window[0], now), formatClockTime(window[1], now)];
  return from === to ? `${from} (within ${Math.max(1, Math.round(window[1] - window[0]))} ms)` : `${from} – ${to}`;
}

/** "in 5 min 48 s" / "4 min 12 s ago", for labels next to an absolute time. */
export function formatRelative(at: number, now: number): string {
  const ms = at - now;
  if (Math.abs(ms) < 1000) return 'now';
  // Whole seconds, rounded the way the table's countdowns and idle times are: up ahead, down behind.
  if (ms > 0) return `in ${formatDurationWords(Math.ceil(ms / 1000) * 1000)}`;
  return `${formatDurationWords(Math.floor(-ms / 1000) * 1000)} ago`;
}

/** The moment the peer was last heard from; null when the kernel did not say. */
export function lastActivityAt(known: KnownConnection): number | null {
  const { idleMs } = known.connection;
  return idleMs === null ? null : known.takenAt - idleMs;
}

/** Idle time now, grown since the poll that read it: idleMs + (now − takenAt). */
export function idleAt(known: KnownConnection, now: number): number | null {
  const { idleMs } = known.connection;
  return idleMs === null ? null : idleMs + Math.max(0, now - known.takenAt);
}

const UNIT_SEC: Record<string, number> = { s: 1, m: 60, min: 60, h: 3600, d: 86_400 };

/**
 * What an administrator types for a duration, in seconds: "300", "90s", "5m", "1h30m", "1.5h".
 * Empty text is null (no value); anything else that does not read as a duration is NaN.
 */
export function parseDurationInput(text: string): number | null {
  const trimmed = text.trim().toLowerCase().replace(/\s+/g, '');
  if (trimmed === '') return null;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(min|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed) return NaN;
  return parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_SEC[p[2]!]!, 0);
}

/** The text a duration input shows for `sec`: "300" stays "5m", null is empty. */
export function formatDurationInput(sec: number | null): string {
  if (sec === null) return '';
  if (sec > 0 && sec % 3600 === 0) return `${sec / 3600}h`;
  if (sec > 0 && sec % 60 === 0) return `${sec / 60}m`;
  return `${sec}s`;
}

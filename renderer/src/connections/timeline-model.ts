/**
 * The detail pane's timeline: last packet from the peer → keepalive probes → drop, on one time
 * axis. Every time on it comes from the core's projection (`probesAt`, `dropAt`, `dropWindow`);
 * only the probes already sent, which the kernel does not date, are placed one interval apart
 * before the next one.
 */
import { ruleLabel } from '../../../shared/labels';
import type { KnownConnection } from '../../../shared/snapshot-delta';

/** activity: last packet from the peer; sent: a probe already sent, unanswered; probe: one still to come. */
export type MarkKind = 'activity' | 'sent' | 'probe' | 'drop';

export interface TimelineMark {
  kind: MarkKind;
  at: number;
  /** "Last packet from the peer", "Probe 2 of 5", "Reset by keepalive". */
  label: string;
}

export interface TimelineModel {
  start: number;
  end: number;
  marks: TimelineMark[];
  /** Where the timer wheel may place the drop. */
  band: [number, number] | null;
}

/** More probes than this are not drawn one by one (a long TCP_USER_TIMEOUT with short intervals). */
const MAX_PROBE_MARKS = 60;

function dropLabel(known: KnownConnection): string {
  const c = known.connection;
  switch (c.dropReason) {
    case 'keepalive':
      return 'Reset by keepalive';
    case 'user-timeout':
      return 'Reset by TCP_USER_TIMEOUT';
    case 'retransmit':
      return 'Retransmission ends';
    case 'zero-window':
      return 'Zero-window probing ends';
    case 'middlebox':
      return `Forgotten by ${c.dropBy === null ? 'a middlebox' : ruleLabel({ name: c.dropBy })}`;
    case 'application':
      return `Closed by ${c.dropBy === null ? 'the application' : ruleLabel({ name: c.dropBy })}`;
    default:
      return 'Drop';
  }
}

/** The axis and what is on it; `now` is always inside the axis. */
export function timelineModel(known: KnownConnection, now: number): TimelineModel {
  const c = known.connection;
  const marks: TimelineMark[] = [];
  if (c.idleMs !== null) marks.push({ kind: 'activity', at: known.takenAt - c.idleMs, label: 'Peer last heard' });
  const probes = c.probesAt.length > MAX_PROBE_MARKS ? c.probesAt.slice(0, MAX_PROBE_MARKS) : c.probesAt;
  // What probesAt holds depends on the timer: retransmissions of unacknowledged data, zero-window
  // probes, or keepalive probes. Only keepalive probes already sent are dated (one interval apart).
  if (c.timer === 'retransmit' || c.timer === 'probe') {
    const name = c.timer === 'retransmit' ? 'Retransmission' : 'Zero-window probe';
    const done = c.timer === 'retransmit' ? c.retransmits : c.probesSent;
    const total = done + c.probesAt.length;
    probes.forEach((at, i) => marks.push({ kind: 'probe', at, label: `${name} ${done + i + 1} of ${total}` }));
  } else {
    const total = c.probesSent + c.probesAt.length;
    if (c.nextProbeAt !== null && c.probesSent > 0) {
      // Sent `interval` apart before the next one (approximately: each firing was rounded up).
      const intervalMs = c.effective.intervalSec * 1000;
      for (let n = 1; n <= Math.min(c.probesSent, MAX_PROBE_MARKS); n++) {
        const at = c.nextProbeAt - (c.probesSent - n + 1) * intervalMs;
        marks.push({ kind: 'sent', at, label: `Probe ${n}${c.dropReason === 'keepalive' ? ` of ${total}` : ''}, unanswered` });
      }
    }
    probes.forEach((at, i) => {
      const number = c.probesSent + i + 1;
      const of = c.dropReason === 'keepalive' ? ` of ${total}` : '';
      marks.push({ kind: 'probe', at, label: `Probe ${number}${of}` });
    });
  }
  if (c.dropAt !== null) marks.push({ kind: 'drop', at: c.dropAt, label: dropLabel(known) });
  const band = c.dropWindow && c.dropWindow[1] > c.dropWindow[0] ? c.dropWindow : null;
  const times = [now, ...marks.map((m) => m.at), ...(band ?? [])];
  let start = Math.min(...times);
  let end = Math.max(...times);
  // A little room on both sides, so the end marks are not cut by the edge; at least 10 s wide.
  const span = Math.max(end - start, 10_000);
  start -= span * 0.04;
  end = start + span * 1.08;
  return { start, end, marks, band };
}

/** Where `at` falls on the axis, 0…1. */
export function positionOf(model: Pick<TimelineModel, 'start' | 'end'>, at: number): number {
  if (model.end <= model.start) return 0;
  return Math.max(0, Math.min(1, (at - model.start) / (model.end - model.start)));
}

/**
 * The numbers a report is made of, computed once so that every format shows the same ones: the
 * CSV's rows, the JSON's `summary`, the HTML's cards and charts. Pure, and one pass over the
 * connections (100,000 of them must take milliseconds): the moment to count from is the
 * snapshot's takenAt, never a clock.
 */
import { keepaliveLabel } from '../../shared/labels';
import { provenanceOf } from '../../shared/provenance';
import { DROP_REASONS, PROVENANCES, TCP_STATES, type Connection, type DropReason, type Provenance, type TcpState } from '../../shared/model';

/** The timeline covers the hour after the snapshot. */
export const TIMELINE_SPAN_MS = 3_600_000;
/**
 * Drops are counted per minute: the idle timeouts that drop connections (a 4-min load balancer, a
 * 350-s NAT) are minutes apart, and 5-minute bars would put them in one.
 */
export const DROP_BIN_MS = 60_000;
/** Probes are marked per 10 seconds: fine enough to see bursts, at most 360 marks. */
export const PROBE_MARK_MS = 10_000;

/**
 * Idle-time buckets, in seconds, with edges an administrator thinks in: minutes (cloud NATs and
 * load balancers forget idle flows after 4 to 20 min, shared/rules.ts RULE_PRESETS), 2 h (the
 * kernel's default tcp_keepalive_time) and a day.
 */
export const IDLE_BUCKETS: readonly { label: string; fromSec: number; toSec: number | null }[] = [
  { label: '< 10 s', fromSec: 0, toSec: 10 },
  { label: '10 s – 1 min', fromSec: 10, toSec: 60 },
  { label: '1 – 5 min', fromSec: 60, toSec: 300 },
  { label: '5 – 15 min', fromSec: 300, toSec: 900 },
  { label: '15 – 60 min', fromSec: 900, toSec: 3600 },
  { label: '1 – 2 h', fromSec: 3600, toSec: 7200 },
  { label: '2 – 24 h', fromSec: 7200, toSec: 86_400 },
  { label: '≥ 1 d', fromSec: 86_400, toSec: null },
];

export type DropCounts = Record<DropReason, number>;

export interface TimelineBin {
  /** Epoch ms the bin starts at; it lasts DROP_BIN_MS. */
  startAt: number;
  drops: DropCounts;
}

export interface ProbeMark {
  /** Epoch ms the PROBE_MARK_MS slot starts at. */
  at: number;
  /** Keepalive probes projected in that slot. */
  probes: number;
}

export interface Timeline {
  from: number;
  to: number;
  binMs: number;
  bins: TimelineBin[];
  probeMarkMs: number;
  /** Only slots with at least one probe, in time order. */
  probeMarks: ProbeMark[];
}

export interface ReportSummary {
  /** Connections in the report (after the scope's filter). */
  connections: number;
  /** Every TCP state that occurs, in the kernel's order, with its count. */
  byState: { state: TcpState; count: number }[];
  idle: {
    buckets: { label: string; fromSec: number; toSec: number | null; count: number }[];
    /** Sockets with no idle time (listeners, TIME_WAIT, or the kernel did not say). */
    unknown: number;
  };
  /**
   * As the table's KA column says it (shared/labels.ts keepaliveLabel): on, off, unknown (not
   * read and no timer tells), and sockets where keepalive means nothing (LISTEN, TIME_WAIT…).
   */
  keepalive: { on: number; off: number; unknown: number; notApplicable: number };
  /** A middlebox or the application closes them before the kernel's first probe. */
  atRisk: number;
  /**
   * Connections per provenance of each value (shared/provenance.ts provenanceOf): a Linux host
   * reads everything from the kernel but the keepalive values of sockets whose own options it
   * cannot read (assumed); macOS and Windows estimate idle times and model the projection.
   * Idle counts only connections with an idle time (the others are `idle.unknown`).
   */
  provenance: ProvenanceCounts;
  nextHour: {
    from: number;
    to: number;
    /** Connections whose projected drop falls within the hour, and by whom. */
    drops: number;
    dropsByReason: DropCounts;
    /** Keepalive probes projected within the hour, if every peer stays silent. */
    probes: number;
    /** Projected drops that had already passed when the snapshot was taken (the peer probably answered). */
    overdue: number;
  };
  timeline: Timeline;
}

export interface ProvenanceCounts {
  idle: Record<Provenance, number>;
  keepalive: Record<Provenance, number>;
  projection: Record<Provenance, number>;
}

const noProvenance = (): Record<Provenance, number> => Object.fromEntries(PROVENANCES.map((p) => [p, 0])) as Record<Provenance, number>;

const noDrops = (): DropCounts => Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as DropCounts;

function bucketOf(idleMs: number): number {
  const sec = idleMs / 1000;
  for (let i = IDLE_BUCKETS.length - 1; i > 0; i--) if (sec >= IDLE_BUCKETS[i]!.fromSec) return i;
  return 0;
}

/** The summary of `connections` (already scoped), counted from `takenAt`. */
export function summarize(connections: readonly Connection[], takenAt: number): ReportSummary {
  const from = takenAt;
  const to = takenAt + TIMELINE_SPAN_MS;
  const states = new Map<TcpState, number>();
  const buckets = IDLE_BUCKETS.map(() => 0);
  let idleUnknown = 0;
  const keepalive = { on: 0, off: 0, unknown: 0, notApplicable: 0 };
  let atRisk = 0;
  const provenance: ProvenanceCounts = { idle: noProvenance(), keepalive: noProvenance(), projection: noProvenance() };
  const dropsByReason = noDrops();
  let drops = 0;
  let overdue = 0;
  let probes = 0;
  const bins: TimelineBin[] = Array.from({ length: TIMELINE_SPAN_MS / DROP_BIN_MS }, (_, i) => ({ startAt: from + i * DROP_BIN_MS, drops: noDrops() }));
  const marks = new Map<number, number>();
  const markProbe = (at: number) => {
    if (at < from || at >= to) return;
    probes++;
    const slot = Math.floor((at - from) / PROBE_MARK_MS);
    marks.set(slot, (marks.get(slot) ?? 0) + 1);
  };

  for (const c of connections) {
    states.set(c.state, (states.get(c.state) ?? 0) + 1);
    if (c.idleMs === null) idleUnknown++;
    else buckets[bucketOf(c.idleMs)]!++;
    const source = provenanceOf(c);
    if (source.idle !== null) provenance.idle[source.idle]++;
    provenance.keepalive[source.keepalive]++;
    provenance.projection[source.projection]++;
    switch (keepaliveLabel(c)) {
      case 'on':
        keepalive.on++;
        break;
      case 'off':
        keepalive.off++;
        break;
      case '?':
        keepalive.unknown++;
        break;
      default:
        keepalive.notApplicable++;
    }
    if (c.atRisk) atRisk++;
    if (c.dropAt !== null && c.dropReason !== null) {
      if (c.dropAt < from) overdue++;
      else if (c.dropAt < to) {
        drops++;
        dropsByReason[c.dropReason]++;
        bins[Math.floor((c.dropAt - from) / DROP_BIN_MS)]!.drops[c.dropReason]++;
      }
    }
    // probesAt starts with the next probe; an older projection may carry only nextProbeAt.
    if (c.probesAt.length > 0) for (const at of c.probesAt) markProbe(at);
    else if (c.nextProbeAt !== null) markProbe(c.nextProbeAt);
  }

  return {
    connections: connections.length,
    byState: TCP_STATES.filter((s) => states.has(s)).map((state) => ({ state, count: states.get(state)! })),
    idle: { buckets: IDLE_BUCKETS.map((b, i) => ({ ...b, count: buckets[i]! })), unknown: idleUnknown },
    keepalive,
    atRisk,
    provenance,
    nextHour: { from, to, drops, dropsByReason, probes, overdue },
    timeline: {
      from,
      to,
      binMs: DROP_BIN_MS,
      bins,
      probeMarkMs: PROBE_MARK_MS,
      probeMarks: [...marks].sort((a, b) => a[0] - b[0]).map(([slot, n]) => ({ at: from + slot * PROBE_MARK_MS, probes: n })),
    },
  };
}

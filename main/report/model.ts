/**
 * What a report is made of, before it has a format (./csv.ts, ./json.ts, ./html.ts, ./pdf.ts
 * render it). Two kinds share it: a report of one snapshot, and a post-mortem of a recording
 * (./post-mortem.ts), which adds the connections that ended while it ran.
 */
import type { HistoryEntry } from '../../shared/api/schemas';
import type { FilterSpec } from '../../shared/connection-filter';
import type { Connection, DropReason, Snapshot, TcpState } from '../../shared/model';
import type { IdleRule } from '../../shared/rules';

export interface ReportScope {
  /** 'filtered': the connections `filter` lets through; 'all': every connection of the snapshot. */
  kind: 'filtered' | 'all';
  filter: FilterSpec;
}

export interface ReportInput {
  /** The snapshot reported (for a post-mortem: the last one the recording holds). */
  snapshot: Snapshot;
  rules: IdleRule[];
  /** Profile applies and undos, newest first ([] where there are none or they cannot be read). */
  history: HistoryEntry[];
  scope: ReportScope;
  /** Epoch ms the report was made; "the next hour" of the timeline counts from the snapshot's takenAt. */
  generatedAt: number;
  postMortem?: PostMortem;
}

/** Why a connection ended, as far as the evidence shows. */
export const END_CAUSES = [
  /** The kernel's keepalive gave up: within 1 s of the projected drop, or probes out = the limit at destruction. */
  'keepalive',
  /** The kernel gave up retransmitting unacknowledged data (tcp_retries2). */
  'retransmit',
  /** TCP_USER_TIMEOUT expired. */
  'user-timeout',
  /** tcp_retries2 zero-window probes went unanswered (a peer with its receive window closed fell silent). */
  'zero-window',
  /** A FIN exchange was seen (a FIN state, or TIME_WAIT left behind). */
  'closed',
  /** It left an open state with no FIN exchange and no timeout explaining it. */
  'reset',
  /** An idle-timeout rule's middlebox or application, at the rule's moment (within 1 s / the poll window). */
  'middlebox',
  'application',
  /** Nothing recorded says which. */
  'unknown',
] as const;
export type EndCause = (typeof END_CAUSES)[number];

/** One connection that ended while a recording ran. */
export interface EndedConnection {
  /** The connection as last seen by a poll, with its projection; null when only the kernel's announcement saw it. */
  lastSeen: Connection | null;
  /** Identity for the table when lastSeen is null. */
  family: 'ipv4' | 'ipv6';
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  process: string | null;
  pid: number | null;
  user: string | null;
  /** When it ended: exact (kernel announcement), or the last poll that saw it alive / the first that did not. */
  endedAt: number;
  endedWindow: [number, number] | null;
  endSource: 'kernel-event' | 'poll';
  /** How long it had been idle (nothing heard from the peer) when it ended; null when unknown. */
  idleAtEndMs: number | null;
  /** Its last projection before it ended. */
  projectedDropAt: number | null;
  projectedDropReason: DropReason | null;
  cause: EndCause;
  /** Plain sentences: what was seen that makes the cause. */
  evidence: string[];
  /** States polls saw it in, in order, without repeats (e.g. ESTABLISHED → FIN_WAIT2). */
  statesSeen: TcpState[];
}

export interface PostMortem {
  recording: {
    /** File name only: the report never shows where on disk it was. */
    name: string;
    startedAt: number;
    /** When it was stopped; null when it was cut short (crash, kill). */
    stoppedAt: number | null;
    /** The last moment it holds. */
    lastAt: number;
    intervalMs: number;
    endSource: 'kernel-events' | 'polls';
    /** Why kernel events were not used, when they were not. */
    endSourceNote: string | null;
    polls: number;
    /** A last line cut short by a crash was skipped. */
    truncated: boolean;
  };
  ended: EndedConnection[];
  /** Count per cause. */
  byCause: Record<EndCause, number>;
}

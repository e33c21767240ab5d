/**
 * Why one connection ended, from what a recording holds about it: its last projection, the states
 * polls saw it in, what followed it on the same addresses, and the kernel's announcement of its
 * end (final tcp_info) when there was one. Pure: every fact and every clock is a parameter.
 *
 * The rules, first that holds wins (KEEPALIVE.md §1.2 for the kernel's side):
 *  1. user-timeout: TCP_USER_TIMEOUT was set and either its projected drop matches the end, or
 *     the announcement shows probes or unacknowledged data with nothing heard for ≥ the timeout.
 *  2. keepalive: the announcement shows probes out ≥ the socket's probe limit (tcp_keepalive_timer
 *     kills at that count, TCP_USER_TIMEOUT unset, not zero-window probes), or the keepalive
 *     projection matches the end.
 *  3. retransmit: the retransmission projection matches, or the announcement shows no probes and
 *     retransmissions (or backoff) ≥ tcp_retries2.
 *  4. middlebox / application: an idle-timeout rule's projected drop matches the end.
 *  5. closed: a FIN state was seen, or a socket on the same addresses appeared in TIME_WAIT or a
 *     FIN state after it (this end closed first), or the peer's socket on this host did (it did).
 *  6. reset: ESTABLISHED at the last poll and none of the above.
 *  7. unknown.
 * A projection "matches" when the end is within 1 s of its dropAt; when the end is known only
 * as a window between two polls, when dropAt lies inside that window widened by 1 s.
 */
import type { Connection, DropReason, KeepaliveSettings, TcpState } from '../../shared/model';
import type { SocketEnd } from '../../shared/platform-adapter';
import type { EndCause } from './model';

/** How close an end must come to a projected drop to be that drop. */
export const MATCH_TOLERANCE_MS = 1000;

/** States that only follow a FIN sent or received. */
export const FIN_STATES: ReadonlySet<TcpState> = new Set(['FIN_WAIT1', 'FIN_WAIT2', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSING']);

/** A socket on the same addresses that a poll saw after this connection was last seen open. */
export interface Successor {
  state: TcpState;
  firstSeenAt: number;
  /** The peer's socket on this host (addresses reversed) rather than this end's own. */
  mirrored: boolean;
}

export interface EndFacts {
  /** The connection as a poll last read it, with its projection; null when no poll saw it. */
  lastSeen: Connection | null;
  /** When that reading was taken. */
  lastSeenAt: number | null;
  /** The last poll that saw it open (its reading may be older: unchanged connections are not re-sent). */
  lastAliveAt: number | null;
  statesSeen: readonly TcpState[];
  /** The kernel's announcement of its end, when one came. */
  announcement: SocketEnd | null;
  endedAt: number;
  /** [last seen open, first seen gone] when the moment is known only from polls; null when exact. */
  endedWindow: [number, number] | null;
  successor: Successor | null;
  /** The namespace's settings at the last poll (probe limit and tcp_retries2 when the connection's own are unknown). */
  settings: KeepaliveSettings | null;
}

export interface EndVerdict {
  cause: EndCause;
  evidence: string[];
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A moment an administrator can find in logs: "12:00:05.089 UTC", with the date when not on `day`'s. */
export function formatMoment(at: number, day: number): string {
  const date = new Date(at);
  const time = `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)} UTC`;
  return new Date(day).toISOString().slice(0, 10) === date.toISOString().slice(0, 10) ? time : `${date.toISOString().slice(0, 10)} ${time}`;
}

/** Seconds with ms precision for a sentence: "5.102 s". */
const sec = (ms: number) => `${(ms / 1000).toFixed(3).replace(/\.?0+$/, '')} s`;
const signedMs = (ms: number) => `${ms >= 0 ? '+' : '−'}${Math.abs(Math.round(ms))} ms`;

/** Time since anything was heard from the peer, per the announcement (min of last data and last ACK). */
export function announcedIdleMs(end: SocketEnd): number | null {
  const ages = [end.lastDataRecvMs, end.lastAckRecvMs].filter((a): a is number => a !== null);
  return ages.length ? Math.min(...ages) : null;
}

/** How long the connection had been idle when it ended: the announcement's, else the last reading's grown by the time since. */
export function idleAtEnd(facts: Pick<EndFacts, 'announcement' | 'lastSeen' | 'lastSeenAt' | 'endedAt' | 'endedWindow'>): number | null {
  if (facts.announcement && facts.endedWindow === null) {
    const idle = announcedIdleMs(facts.announcement);
    if (idle !== null) return idle;
  }
  if (facts.lastSeen?.idleMs == null || facts.lastSeenAt === null) return null;
  return facts.lastSeen.idleMs + Math.max(0, facts.endedAt - facts.lastSeenAt);
}

/** Whether the end falls where the last projection put the drop, and by how much. */
function projectionMatch(facts: EndFacts): { offsetMs: number } | null {
  const dropAt = facts.lastSeen?.dropAt ?? null;
  if (dropAt === null) return null;
  if (facts.endedWindow === null) {
    const offsetMs = facts.endedAt - dropAt;
    return Math.abs(offsetMs) <= MATCH_TOLERANCE_MS ? { offsetMs } : null;
  }
  const [from, to] = facts.endedWindow;
  return dropAt >= from - MATCH_TOLERANCE_MS && dropAt <= to + MATCH_TOLERANCE_MS ? { offsetMs: facts.endedAt - dropAt } : null;
}

const REASON_WORDS: Record<DropReason, string> = {
  keepalive: 'keepalive drop',
  retransmit: 'drop by retransmission timeout (tcp_retries2)',
  'user-timeout': 'drop by TCP_USER_TIMEOUT',
  'zero-window': 'drop by unanswered zero-window probes (tcp_retries2)',
  middlebox: 'middlebox drop',
  application: 'application close',
};

/** Classifies one end. `day` is the recording's start, for how moments are written. */
export function classifyEnd(facts: EndFacts, day: number): EndVerdict {
  const at = (ms: number) => formatMoment(ms, day);
  const c = facts.lastSeen;
  const end = facts.announcement;
  const evidence: string[] = [];

  // Where the moment comes from: the administrator must know how exact it is.
  if (facts.endedWindow === null && end) {
    evidence.push(`The kernel announced its end at ${at(end.at)} (final state ${end.finalState}).`);
  } else if (facts.endedWindow) {
    const [from, to] = facts.endedWindow;
    evidence.push(`A poll saw it open at ${at(from)}; the next, at ${at(to)}, no longer did (it ended in between).`);
    if (end) {
      evidence.push(
        `The kernel announced its release only at ${at(end.at)}, ${sec(end.at - to)} after polls saw it gone: the application held the dead socket until then.`,
      );
    }
  }

  const projected = c?.dropAt != null && c.dropReason !== null && facts.lastSeenAt !== null ? c : null;
  const match = projected ? projectionMatch(facts) : null;
  const projectionSentence = () => {
    const p = projected!;
    const by = p.dropBy !== null ? ` by “${p.dropBy}”` : '';
    const head = `The poll at ${at(facts.lastSeenAt!)} projected a ${REASON_WORDS[p.dropReason!]}${by} at ${at(p.dropAt!)}`;
    if (facts.endedWindow === null) return `${head}; it ended ${signedMs(match!.offsetMs)} from that (within 1 s).`;
    return `${head}, inside that window (±1 s).`;
  };

  const missedSentence = () =>
    `Its last projection (poll at ${at(facts.lastSeenAt!)}) was a ${REASON_WORDS[projected!.dropReason!]} at ${at(projected!.dropAt!)}: not when it ended.`;

  const effective = c?.effective ?? null;
  const userTimeoutMs = effective?.userTimeoutMs ?? 0;
  const probeLimit = effective?.probes ?? (facts.settings?.os === 'linux' ? facts.settings.probes : null);
  const limitSource = effective ? (effective.source === 'socket' ? 'read from the socket' : 'the system setting') : 'the system setting, assumed';
  const retries2 = facts.settings?.os === 'linux' ? facts.settings.retries2 : null;
  const heardAgoMs = end ? announcedIdleMs(end) : null;
  const ackAgoMs = end?.lastAckRecvMs ?? null;

  // 1. TCP_USER_TIMEOUT replaces both the probe count and tcp_retries2.
  if (userTimeoutMs > 0) {
    if (match && projected!.dropReason === 'user-timeout') {
      evidence.push(projectionSentence());
      return { cause: 'user-timeout', evidence };
    }
    if (end && facts.endedWindow === null && (end.probesSent > 0 || end.unacked > 0) && ackAgoMs !== null && ackAgoMs >= userTimeoutMs) {
      evidence.push(
        `TCP_USER_TIMEOUT was ${userTimeoutMs} ms; at its end nothing had been acknowledged for ${sec(ackAgoMs)}, with ${end.probesSent} probe(s) out and ${end.unacked} segment(s) unacknowledged.`,
      );
      return { cause: 'user-timeout', evidence };
    }
  }

  // 2. Keepalive: the kernel's own counter is the strongest evidence.
  const zeroWindow = c?.timer === 'probe';
  if (end && userTimeoutMs === 0 && probeLimit !== null && probeLimit > 0 && end.probesSent >= probeLimit && !zeroWindow && c?.keepalive !== false) {
    if (match && projected!.dropReason === 'keepalive') evidence.push(projectionSentence());
    else if (projected) evidence.push(missedSentence());
    evidence.push(
      `At its end the kernel reported ${end.probesSent} keepalive probe(s) unanswered, the limit for this socket (${probeLimit}, ${limitSource}): tcp_keepalive_timer drops the connection at that count.`,
    );
    if (heardAgoMs !== null) evidence.push(`Nothing had been heard from the peer for ${sec(heardAgoMs)}.`);
    return { cause: 'keepalive', evidence };
  }
  if (match && projected!.dropReason === 'keepalive') {
    evidence.push(projectionSentence());
    if (end) evidence.push(`At its end the kernel reported ${end.probesSent} keepalive probe(s) unanswered (limit ${probeLimit ?? 'unknown'}).`);
    return { cause: 'keepalive', evidence };
  }

  // 3. Retransmission timeout, or zero-window probes (the same limit, tcp_retries2, on another timer).
  if (match && projected!.dropReason === 'zero-window') {
    evidence.push(projectionSentence());
    if (end) evidence.push(`At its end the kernel reported ${end.probesSent} zero-window probe(s) unanswered; tcp_retries2 is ${retries2 ?? 'unknown'}.`);
    return { cause: 'zero-window', evidence };
  }
  if (match && projected!.dropReason === 'retransmit') {
    evidence.push(projectionSentence());
    return { cause: 'retransmit', evidence };
  }
  // After the error, tcp_write_queue_purge has zeroed tcpi_unacked and tcpi_backoff by the time
  // the socket is freed; tcpi_retransmits (icsk_retransmits) survives it.
  if (end && end.probesSent === 0 && retries2 !== null && retries2 > 0 && Math.max(end.retransmits, end.backoff) >= retries2) {
    const unacked = end.unacked > 0 ? `${end.unacked} segment(s) still unacknowledged, ` : '';
    evidence.push(`At its end the kernel reported ${unacked}${end.retransmits} retransmission(s) of unacknowledged data; tcp_retries2 is ${retries2}.`);
    return { cause: 'retransmit', evidence };
  }

  // 4. An idle-timeout rule on the path or in the server.
  if (match && (projected!.dropReason === 'middlebox' || projected!.dropReason === 'application')) {
    evidence.push(projectionSentence());
    if (facts.successor || facts.statesSeen.some((s) => FIN_STATES.has(s))) evidence.push(closeSentence(facts, at)!);
    return { cause: projected!.dropReason, evidence };
  }

  if (projected && !match) evidence.push(missedSentence());

  // 5. A FIN exchange.
  const closed = closeSentence(facts, at);
  if (closed) {
    evidence.push(closed);
    return { cause: 'closed', evidence };
  }

  // 6. It was open, and then it was not, with no FIN state seen. The announcement's queues tell
  // more: bytes never acknowledged mean no orderly close; nothing left in flight and an ACK just
  // before the free is what the ACK that completes a FIN exchange looks like (tcp_rcv_state_process
  // frees a LAST_ACK socket on it) — a hint, since a reset right after traffic looks the same.
  const lastState = facts.statesSeen.at(-1) ?? null;
  if (c && lastState === 'ESTABLISHED' && end?.unacknowledgedBytes === 0 && end.lastAckRecvMs !== null && end.lastAckRecvMs <= FIN_ACK_HINT_MS) {
    evidence.push(
      `No poll saw a FIN state, but at its end nothing was left unacknowledged and the last ACK had arrived ${Math.round(end.lastAckRecvMs)} ms before the kernel freed it, as the ACK that completes a FIN exchange does: most likely closed by both ends between two polls (a reset right after traffic looks the same).`,
    );
    return { cause: 'closed', evidence };
  }
  if (c && lastState === 'ESTABLISHED') {
    if (end?.unacknowledgedBytes) evidence.push(`At its end ${end.unacknowledgedBytes} byte(s) written had never been acknowledged: not an orderly close.`);
    const quiet = end ? ` The kernel's announcement shows ${end.probesSent} probe(s) out and ${end.unacked} segment(s) unacknowledged: no timeout.` : '';
    evidence.push(
      `It was ESTABLISHED at the last poll (${at(facts.lastAliveAt ?? facts.lastSeenAt!)}) and ended with no FIN state or TIME_WAIT seen and no timeout explaining it: a reset (RST sent or received) or an abort.${quiet}`,
      `A close by both ends within one poll interval, with no TIME_WAIT left on this host (the peer closed first, elsewhere), looks the same.`,
    );
    return { cause: 'reset', evidence };
  }

  if (!c) evidence.push('No poll saw this connection: it opened and ended between two polls; only the kernel announced it.');
  else evidence.push(`Last seen in ${lastState ?? 'an unknown state'}; nothing recorded says why it ended.`);
  return { cause: 'unknown', evidence };
}

/** An ACK this recent at the free looks like the last ACK of a FIN exchange (the kernel events' recordings: 0–4 ms). */
const FIN_ACK_HINT_MS = 50;

/** States a socket is in only when its own side sent the first FIN (RFC 793 active close). */
const ACTIVE_CLOSE_STATES: ReadonlySet<TcpState> = new Set(['FIN_WAIT1', 'FIN_WAIT2', 'CLOSING', 'TIME_WAIT']);

/** The sentence that proves a FIN exchange, or null. */
function closeSentence(facts: EndFacts, at: (ms: number) => string): string | null {
  const fin = facts.statesSeen.find((s) => FIN_STATES.has(s));
  if (fin) return `A poll saw it in ${fin}: a FIN was sent or received, a normal close.`;
  const next = facts.successor;
  if (!next) return null;
  // The socket in an active-close state is the one that sent the first FIN.
  const thisEndFirst = ACTIVE_CLOSE_STATES.has(next.state) !== next.mirrored;
  const who = thisEndFirst ? 'this end closed first' : 'the peer closed first';
  const whose = next.mirrored ? "The peer's socket on this host (the same addresses, reversed)" : 'A socket with the same addresses';
  return `${whose} was in ${next.state} at ${at(next.firstSeenAt)}, after it was last seen open: ${who} and the FIN exchange went on normally.`;
}

import { CONNECTED_STATES, KEEPALIVE_STATES, type SocketFacts, type TickClock } from '../../../shared/model';
import { tcpStateName, timerKind } from './kernel-state';
import type { DiagOutput, DiagSocket, Fill } from './sockdiag-output';

/** Where a dump sits in time: its clocks, and the kernel clock to place timers on the jiffies grid. */
export interface DumpTime {
  /** Epoch ms at which the dump began. */
  takenAt: number;
  clock: TickClock;
  /** CLOCK_MONOTONIC around the whole dump. */
  monotonicNs: bigint;
  monotonicAfterNs: bigint;
  /** jiffies = offset + ⌊CLOCK_MONOTONIC / tick⌋; null when unknown (not root). */
  jiffiesOffset: bigint | null;
}

/**
 * Places a dump in time. Jiffies tick on the CLOCK_MONOTONIC grid (tick_init_jiffy_update
 * aligns them), so with the boot's offset a monotonic moment names its jiffy, and a jiffy its
 * wall-clock moment. Without the offset, relative ms are added to the wall clock.
 */
export function dumpTime(
  output: Pick<DiagOutput, 'realtimeNs' | 'monotonicNs' | 'monotonicAfterNs'>,
  hz: number,
  jiffiesOffset: bigint | null,
): DumpTime {
  const takenAt = Number(output.realtimeNs) / 1e6;
  const anchor = jiffiesOffset === null ? null : { tick: Number(jiffiesOffset), epochMs: takenAt - Number(output.monotonicNs) / 1e6 };
  return { takenAt, clock: { kind: 'tick', hz, anchor }, monotonicNs: output.monotonicNs, monotonicAfterNs: output.monotonicAfterNs, jiffiesOffset };
}

/**
 * The jiffy a record's relative timers count from: the kernel filled it inside its fill
 * window. A window within one tick names
 * the jiffy exactly; a longer one (a busy kernel, a huge table) gives its middle.
 */
function recordJiffies(time: DumpTime, offset: bigint, fill: Fill): number {
  const tickNs = BigInt(Math.round(1e9 / time.clock.hz));
  const first = offset + fill.startNs / tickNs;
  const last = offset + fill.endNs / tickNs;
  return Math.round((Number(first) + Number(last)) / 2);
}

/** Epoch ms of a moment given as jiffies after the kernel filled the record. */
function atJiffiesFromRecord(time: DumpTime, fill: Fill, deltaJiffies: number): number {
  const msPerJiffy = 1000 / time.clock.hz;
  const anchor = time.clock.anchor;
  if (!anchor || time.jiffiesOffset === null) return time.takenAt + deltaJiffies * msPerJiffy;
  return anchor.epochMs + (recordJiffies(time, time.jiffiesOffset, fill) + deltaJiffies - anchor.tick) * msPerJiffy;
}

export interface Names {
  processes: ReadonlyMap<number, string>;
  users: ReadonlyMap<number, string>;
}

/**
 * A socket's id, unique across network namespaces: the namespace, then the inode that names a
 * live socket. TIME_WAIT and request sockets have no inode; their state and endpoints name them
 * (a SYN_RECV request may reuse the 4-tuple of a TIME_WAIT it replaces).
 */
export function socketId(namespaceId: string, s: Pick<DiagSocket, 'inode' | 'state' | 'family' | 'localAddress' | 'localPort' | 'remoteAddress' | 'remotePort'>): string {
  if (s.inode !== 0) return `${namespaceId}/i${s.inode}`;
  return `${namespaceId}/s${s.state}/${s.family}/${s.localAddress}/${s.localPort}/${s.remoteAddress}/${s.remotePort}`;
}

/**
 * How long after the dump began the kernel filled this record. tcp_info ages (lastrcv, …) are
 * counted from that moment; a 100k-socket dump spans hundreds of ms, so without this the same
 * idle connection would seem to move between polls.
 */
function fillDelayMs(time: DumpTime, fill: Fill): number {
  return Math.max(0, Number((fill.startNs + fill.endNs) / 2n - time.monotonicNs) / 1e6);
}

/** An age read at the record's fill, as of the dump's start (`takenAt`). */
function ageAtDumpStart(ageMs: number | null, delayMs: number): number | null {
  return ageMs === null ? null : Math.max(0, Math.round(ageMs - delayMs));
}

export function toSocketFacts(s: DiagSocket, time: DumpTime, names: Names, namespaceId: string): SocketFacts {
  const state = tcpStateName(s.state);
  const timer = timerKind(s.timer);
  const family = s.family === 4 ? 'ipv4' : 'ipv6';
  const msPerJiffy = 1000 / time.clock.hz;
  const connected = CONNECTED_STATES.has(state);
  const hasInfo = connected && s.lastDataRecvMs !== null && s.lastAckRecvMs !== null;
  const delayMs = fillDelayMs(time, s.fill);
  // An established socket with SO_KEEPALIVE always has its keepalive timer armed
  // (tcp_keepalive_timer re-arms itself), so no timer means keepalive is off.
  const inferredKeepalive = KEEPALIVE_STATES.has(state) ? (timer === 'keepalive' ? true : timer === 'none' ? false : null) : null;
  return {
    id: socketId(namespaceId, s),
    netns: namespaceId,
    family,
    state,
    localAddress: s.localAddress,
    localPort: s.localPort,
    remoteAddress: s.remoteAddress,
    remotePort: s.remotePort,
    pid: s.pid,
    process: s.pid === null ? null : (names.processes.get(s.pid) ?? null),
    // TIME_WAIT and request sockets belong to no one; inet_diag reports uid 0 for them.
    uid: s.inode === 0 ? null : s.uid,
    user: s.inode === 0 ? null : (names.users.get(s.uid) ?? null),
    inode: s.inode === 0 ? null : s.inode,
    sendQueue: s.sendQueue,
    recvQueue: s.recvQueue,
    timer,
    timerExpiresAt: timer === 'none' ? null : Math.round(atJiffiesFromRecord(time, s.fill, s.expiresMs / msPerJiffy)),
    probesSent: s.probes ?? (timer === 'keepalive' || timer === 'probe' ? s.retrans : 0),
    retransmits: s.retransmits ?? (timer === 'retransmit' ? s.retrans : 0),
    backoff: s.backoff ?? 0,
    // tcpi_total_rto_time counts every recovery, the current one until the fill: with only one
    // so far, the fill moment minus it is when this one began (tcp_update_rto_stats' rto_stamp).
    rtoRecoveryStartedAt:
      timer === 'retransmit' && (s.retransmits ?? 0) > 0 && s.rtoRecoveries === 1 && s.rtoTimeMs !== null
        ? Math.round(time.takenAt + fillDelayMs(time, s.fill) - s.rtoTimeMs)
        : null,
    rtoMs: connected && s.rtoUs !== null ? s.rtoUs / 1000 : null,
    idleMs: hasInfo ? ageAtDumpStart(Math.min(s.lastDataRecvMs!, s.lastAckRecvMs!), delayMs) : null,
    idleProvenance: hasInfo ? 'kernel' : null,
    lastSendMs: connected ? ageAtDumpStart(s.lastDataSentMs, delayMs) : null,
    lastDataMs: hasInfo && s.lastDataSentMs !== null ? ageAtDumpStart(Math.min(s.lastDataRecvMs!, s.lastDataSentMs), delayMs) : null,
    keepalive: s.sockopts ? s.sockopts.keepalive : inferredKeepalive,
    socketKeepalive: s.sockopts
      ? {
          timeSec: s.sockopts.keepIdleSec,
          intervalSec: s.sockopts.keepIntervalSec,
          probes: s.sockopts.keepCount,
          userTimeoutMs: s.sockopts.userTimeoutMs,
        }
      : null,
  };
}

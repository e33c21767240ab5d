import type { KernelClock, SocketFacts, TcpState } from '../../../shared/model';
import { tcpStateName, timerKind } from './kernel-state';
import type { DiagOutput, DiagSocket } from './sockdiag-output';

/** Where a dump sits in time: its clocks, and the kernel clock to place timers on the jiffies grid. */
export interface DumpTime {
  /** Epoch ms at which the dump began. */
  takenAt: number;
  clock: KernelClock;
  /** Absolute jiffies at the dump (fractional when the phase is unknown). */
  jiffiesNow: number;
}

/**
 * Places a dump in time. With the boot's jiffies offset known (jiffies = offset + ⌊mono / tick⌋)
 * every relative timer becomes an exact jiffy; without it, relative ms are added to the wall clock.
 */
export function dumpTime(output: Pick<DiagOutput, 'realtimeNs' | 'monotonicNs'>, hz: number, jiffiesOffset: bigint | null): DumpTime {
  const takenAt = Number(output.realtimeNs) / 1e6;
  if (jiffiesOffset === null) return { takenAt, clock: { hz, anchor: null }, jiffiesNow: (takenAt * hz) / 1000 };
  const tickNs = BigInt(Math.round(1e9 / hz));
  const monoZeroEpochMs = takenAt - Number(output.monotonicNs) / 1e6;
  return {
    takenAt,
    clock: { hz, anchor: { jiffies: Number(jiffiesOffset), epochMs: monoZeroEpochMs } },
    jiffiesNow: Number(jiffiesOffset + output.monotonicNs / tickNs),
  };
}

/** Epoch ms of a moment given as jiffies from the dump (positive = later). */
function atJiffiesFromDump(time: DumpTime, deltaJiffies: number): number {
  const msPerJiffy = 1000 / time.clock.hz;
  const anchor = time.clock.anchor;
  if (!anchor) return time.takenAt + deltaJiffies * msPerJiffy;
  return anchor.epochMs + (time.jiffiesNow + deltaJiffies - anchor.jiffies) * msPerJiffy;
}

const CONNECTED: ReadonlySet<TcpState> = new Set(['ESTABLISHED', 'CLOSE_WAIT', 'FIN_WAIT1', 'FIN_WAIT2', 'CLOSING', 'LAST_ACK']);
const KEEPALIVE_STATES: ReadonlySet<TcpState> = new Set(['ESTABLISHED', 'CLOSE_WAIT']);

export interface Names {
  processes: ReadonlyMap<number, string>;
  users: ReadonlyMap<number, string>;
}

export function toSocketFacts(s: DiagSocket, time: DumpTime, names: Names): SocketFacts {
  const state = tcpStateName(s.state);
  const timer = timerKind(s.timer);
  const family = s.family === 4 ? 'ipv4' : 'ipv6';
  const msPerJiffy = 1000 / time.clock.hz;
  const connected = CONNECTED.has(state);
  const pid = s.owner?.pid ?? null;
  // An established socket with SO_KEEPALIVE always has its keepalive timer armed
  // (tcp_keepalive_timer re-arms itself), so no timer means keepalive is off.
  const inferredKeepalive = KEEPALIVE_STATES.has(state) ? (timer === 'keepalive' ? true : timer === 'none' ? false : null) : null;
  return {
    id: `${family}|${s.localAddress}|${s.localPort}|${s.remoteAddress}|${s.remotePort}|${s.inode}`,
    family,
    state,
    localAddress: s.localAddress,
    localPort: s.localPort,
    remoteAddress: s.remoteAddress,
    remotePort: s.remotePort,
    pid,
    process: pid === null ? null : (names.processes.get(pid) ?? null),
    // TIME_WAIT and request sockets belong to no one; inet_diag reports uid 0 for them.
    uid: s.inode === 0 ? null : s.uid,
    user: s.inode === 0 ? null : (names.users.get(s.uid) ?? null),
    inode: s.inode === 0 ? null : s.inode,
    sendQueue: s.sendQueue,
    recvQueue: s.recvQueue,
    timer,
    timerExpiresAt: timer === 'none' ? null : Math.round(atJiffiesFromDump(time, s.expiresMs / msPerJiffy)),
    probesSent: s.info?.probes ?? (timer === 'keepalive' || timer === 'probe' ? s.retrans : 0),
    retransmits: s.info?.retransmits ?? (timer === 'retransmit' ? s.retrans : 0),
    rtoMs: s.info && connected ? s.info.rtoUs / 1000 : null,
    idleMs: s.info && connected ? Math.min(s.info.lastDataRecvMs, s.info.lastAckRecvMs) : null,
    lastSendMs: s.info && connected ? s.info.lastDataSentMs : null,
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

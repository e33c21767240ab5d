/**
 * The data model shared by main and renderer. Times are epoch milliseconds unless a
 * name says otherwise; durations carry their unit in the name (`idleMs`, `timeSec`).
 */

/** TCP states as the kernel names them (include/net/tcp_states.h), one enum for every OS. */
export const TCP_STATES = [
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
] as const;
export type TcpState = (typeof TCP_STATES)[number];

/**
 * The timer the kernel reports as armed on a socket. Retransmit and zero-window probe
 * ("probe") take precedence over keepalive in both /proc/net/tcp and inet_diag.
 */
export const TIMER_KINDS = ['keepalive', 'retransmit', 'probe', 'timewait', 'none'] as const;
export type TimerKind = (typeof TIMER_KINDS)[number];

/** Who drops the connection: the kernel (first three), a middlebox on the path, or the server application. */
export const DROP_REASONS = ['keepalive', 'retransmit', 'user-timeout', 'middlebox', 'application'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** The namespace-wide (system) keepalive settings. */
export interface KeepaliveSettings {
  keepaliveTimeSec: number;
  keepaliveIntervalSec: number;
  keepaliveProbes: number;
  /** Retransmissions of unacknowledged data before the kernel gives up (Linux only). */
  tcpRetries2: number;
}

/** The keepalive values that govern one socket. */
export interface EffectiveKeepalive {
  timeSec: number;
  intervalSec: number;
  probes: number;
  /** TCP_USER_TIMEOUT; 0 = off. */
  userTimeoutMs: number;
  /** 'socket' = read from the socket itself; 'assumed' = the namespace's sysctls, per-socket values unknown. */
  source: 'socket' | 'assumed';
}

/**
 * How the kernel's tick clock maps onto wall-clock time. `anchor` says which absolute
 * jiffies value began at which epoch ms; without it the timer wheel's rounding phase is
 * unknown and projections give a window instead of a moment.
 */
export interface KernelClock {
  hz: number;
  anchor: { jiffies: number; epochMs: number } | null;
}

export interface HostInfo {
  hostname: string;
  platform: string;
  distro: string;
  release: string;
  kernel: string;
  arch: string;
}

/** One socket as the platform adapter reports it, before projection. */
export interface SocketFacts {
  /** Stable within a boot: family, endpoints and inode. */
  id: string;
  family: 'ipv4' | 'ipv6';
  state: TcpState;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  pid: number | null;
  process: string | null;
  uid: number | null;
  user: string | null;
  inode: number | null;
  sendQueue: number;
  recvQueue: number;
  timer: TimerKind;
  timerExpiresAt: number | null;
  /** Unanswered keepalive (or zero-window) probes, icsk_probes_out. */
  probesSent: number;
  /** Retransmissions of the current unacknowledged segment, icsk_retransmits. */
  retransmits: number;
  /** Current (backed-off) retransmission timeout, tcpi_rto. */
  rtoMs: number | null;
  /** min(lastrcv, lastack): time since anything was heard from the peer. */
  idleMs: number | null;
  /** Time since data was last sent, tcpi_last_data_sent. */
  lastSendMs: number | null;
  /** Time since data moved either way (ACKs and keepalive probes carry none): what an application's idle timer sees. */
  lastDataMs: number | null;
  /** SO_KEEPALIVE; null when neither the socket nor its timer tells. */
  keepalive: boolean | null;
  /** Per-socket values read from the socket; null = unknown, assume the namespace's sysctls. */
  socketKeepalive: { timeSec: number; intervalSec: number; probes: number; userTimeoutMs: number } | null;
}

export interface Projection {
  nextProbeAt: number | null;
  dropAt: number | null;
  dropWindow: [number, number] | null;
  dropReason: DropReason | null;
  /** The idle-timeout rule that drops it, when dropReason is middlebox or application. */
  dropBy: string | null;
  /** A middlebox or the application closes it before the kernel's first keepalive probe. */
  atRisk: boolean;
  effective: EffectiveKeepalive;
}

export type Connection = SocketFacts & Projection;

export interface Snapshot {
  schema: 'idlewatch.snapshot/1';
  takenAt: number;
  host: HostInfo;
  settings: KeepaliveSettings;
  clock: KernelClock;
  connections: Connection[];
  /** What the collector could not see or parse. */
  diagnostics: SnapshotDiagnostics;
}

export interface SnapshotDiagnostics {
  malformedLines: number;
  /** Processes whose open files we may not read (other users' without root). */
  processesDenied: number;
  /** Sockets whose owning process is unknown. */
  unattributedSockets: number;
  /** Processes whose open files were scanned for this snapshot: 0 when every owner was already known. */
  processesScanned: number;
  warnings: string[];
}

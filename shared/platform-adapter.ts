/**
 * The only code that knows an operating system implements this (DESIGN.md "The data, end to
 * end"; STYLE.md points 4 and 14). main/platform/ picks one implementation per OS; everything
 * else sees this interface, in neutral terms: sockets, settings, clocks, namespaces.
 */
import type {
  Clock,
  HostInfo,
  HostNetwork,
  KeepaliveSettings,
  NetworkNamespace,
  OperatingSystem,
  SnapshotDiagnostics,
  SocketFacts,
  TcpState,
} from './model';
import type { BootSettings } from './api/schemas';
import type { KeepaliveValues } from './profiles';
import type { Projector } from './projection/projector';

/** Which namespace a read is about: its id (NetworkNamespace.id), or the one Idlewatch runs in. */
export type NamespaceRef = string | 'current';

/** One read of the socket table, with the clock needed to place its relative timers in time. */
export interface SocketTable {
  /** Epoch ms at which the table was read. */
  takenAt: number;
  namespace: NetworkNamespace;
  clock: Clock;
  sockets: SocketFacts[];
  diagnostics: SnapshotDiagnostics;
}

/** Where a change of keepalive settings ended. */
export type KeepaliveOutcome =
  /** Done and verified by reading back. */
  | 'applied'
  /** Failed; the previous values (and drop-in) were put back: nothing changed. */
  | 'rolled-back'
  /** Not attempted: elevation refused or unavailable, or the values refused. Nothing changed. */
  | 'refused'
  /** Failed and could not be fully put back; the message says what is left. */
  | 'failed';

/** One apply or undo as the system recorded it (the helper's history), in neutral terms. */
export interface KeepaliveRecord {
  /** Epoch ms. */
  at: number;
  /** Who asked for it (the user behind the elevation), by name where known, else "uid N". */
  user: string;
  action: 'apply' | 'undo';
  /** What was in force before and after, null where the change did not get that far. */
  before: KeepaliveValues | null;
  after: KeepaliveValues | null;
  persisted: boolean;
  outcome: KeepaliveOutcome;
  /** Plain words; on a refusal, how to do it as root. */
  message: string;
  /**
   * The network namespace it changed (NetworkNamespace.id, its inode on Linux); null for the one
   * Idlewatch runs in — and for every record made before namespaces could be chosen.
   */
  namespace: string | null;
}

/** What one apply or undo did, as it returns. */
export interface KeepaliveChange extends KeepaliveRecord {
  /** The persisted file this change left written (a sysctl.d drop-in), or null. */
  dropIn: string | null;
}

export interface ApplyOptions {
  /**
   * Also persist the values for the next boot. Only for the namespace Idlewatch runs in: another
   * one (a container's) has no sysctl files of its own, so persisting it is refused — it is the
   * container engine's sysctl option that keeps values there (shared/container-sysctls.ts).
   */
  persist: boolean;
  /**
   * The network namespace to change: its id (NetworkNamespace.id), or 'current' (the default)
   * for the one Idlewatch runs in. Another one is entered by the elevated helper itself, which
   * checks it is still that namespace before it writes anything.
   */
  namespace?: NamespaceRef;
  /**
   * The command an administrator would run to do the same, named in a refusal
   * (e.g. `sudo idlewatch apply server`). Without it, the helper's own command line is named.
   */
  rootCommand?: string;
}

/** Whether this machine lets this process apply, and if not, why (with what to do instead). */
export interface ApplyAvailability {
  available: boolean;
  reason: string | null;
}

export interface Verification {
  ok: boolean;
  read: KeepaliveSettings;
  /** The fields that differ from what was expected, in the OS's own names. */
  mismatches: string[];
}

/** What this adapter can do on this machine, so UIs offer only what works. */
export interface AdapterCapabilities {
  /** Per-socket keepalive options are read (needs root on Linux for others' sockets). */
  perSocketOptions: boolean;
  /** The kernel's timers are visible (Linux); elsewhere projections are modelled. */
  timers: boolean;
  /** Other network namespaces can be read. */
  namespaces: boolean;
  /**
   * Why they cannot, in plain words for the UI and the CLI ("reading other network namespaces
   * needs root: …"); null when `namespaces` is true.
   */
  namespacesReason: string | null;
  /** Settings can be applied through the elevated helper. */
  apply: boolean;
}

export interface PlatformAdapter {
  readonly os: OperatingSystem;
  readonly capabilities: AdapterCapabilities;
  /** The kernel's behaviour for this OS; the core projects every socket with it. */
  readonly projector: Projector;
  listNamespaces(): Promise<NetworkNamespace[]>;
  listSockets(namespace?: NamespaceRef): Promise<SocketTable>;
  readSettings(namespace?: NamespaceRef): Promise<KeepaliveSettings>;
  /** Fast facts: no shell commands (it is on the CLI's start-up path). */
  describeHost(): Promise<HostInfo>;
  /** Interfaces and default route: slower, called once in the background (reports, middlebox context). */
  describeNetwork(): Promise<HostNetwork>;
  /** Reads the settings back and compares them with what is expected. */
  verifySettings(expected: KeepaliveSettings, namespace?: NamespaceRef): Promise<Verification>;
  /**
   * Whether keepalive settings can be applied from this process: the elevated helper is there
   * and a way to run it as root (already root, or an elevation prompt). Cheap: no prompt, no process.
   */
  applyAvailability(): ApplyAvailability;
  /**
   * Applies the three keepalive values to a namespace (by default the one Idlewatch runs in), and
   * persists them when asked, through the elevated helper: verified by reading back, put back on
   * any failure. A refused or unavailable elevation is an outcome ('refused'), not an error; a
   * namespace that cannot be named (unknown, unreadable here) or `persist` for another namespace
   * is an ApiFailure.
   */
  applyKeepalive(values: KeepaliveValues, options: ApplyOptions): Promise<KeepaliveChange>;
  /**
   * Restores what was in force before the last apply (runtime values and the persisted file), in
   * the namespace that apply changed.
   */
  undoKeepalive(options?: Pick<ApplyOptions, 'rootCommand'>): Promise<KeepaliveChange>;
  /**
   * Puts back an apply that a crash or power loss interrupted, if any and if this process may
   * (it prompts no one). Returns what was put back, or null.
   */
  recoverInterruptedApply(): Promise<KeepaliveChange | null>;
  /** What the settings will be after the next boot, from the files the boot reads, with what overrides ours. */
  readBootSettings(): Promise<BootSettings>;
  /** Every apply and undo the system recorded, oldest first; [] when there is no record or it cannot be read. */
  readHistory(): Promise<KeepaliveRecord[]>;
  /**
   * Every socket's end as the kernel announces it, where the OS allows (Linux: the sock_diag
   * destroy groups need no privilege); absent or { ok: false } elsewhere, and a recording falls
   * back to what disappears between polls.
   */
  watchConnectionEnds?: ConnectionEndsSource['watchConnectionEnds'];
  /** Releases helper processes; the adapter may be used again afterwards. Safe to call more than once. */
  close(): void;
}

/**
 * One TCP socket's end as the kernel announced it (Linux: the sock_diag multicast group
 * SKNLGRP_INET_TCP_DESTROY, what `ss --events` shows), with its last tcp_info. The announcement
 * comes when the kernel frees the socket: for a socket the application still holds, that is
 * when the application closes it after the error (ETIMEDOUT, ECONNRESET) or the FIN; a socket
 * closed first by this end is announced as it enters TIME_WAIT.
 */
export interface SocketEnd {
  /** Epoch ms at which the announcement was read (within a millisecond or so of the free). */
  at: number;
  family: 'ipv4' | 'ipv6';
  /** The state at destruction: CLOSE for almost every socket (tcp_done), kept for what it says otherwise. */
  finalState: TcpState;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** Keepalive (or zero-window) probes out unanswered when it died (tcpi_probes). */
  probesSent: number;
  /** Retransmissions of the unacknowledged segment (tcpi_retransmits) and the backoff exponent. */
  retransmits: number;
  backoff: number;
  /** Segments sent and not acknowledged (tcpi_unacked). */
  unacked: number;
  rtoMs: number | null;
  /** tcp_info ages at destruction: ms since data was received, an ACK was received, data was sent. */
  lastDataRecvMs: number | null;
  lastAckRecvMs: number | null;
  lastDataSentMs: number | null;
  /** Bytes that arrived and the application never read (an unread FIN counts one); null when unknown. */
  unreadBytes: number | null;
  /**
   * Bytes written (and our FIN) the peer never acknowledged; null when unknown. Above 0 the end
   * was not an orderly close, and after an error it is the only trace of data in flight (the
   * kernel purges the write queue, zeroing `unacked` and `backoff`, before it frees the socket).
   */
  unacknowledgedBytes: number | null;
}

/** A running watch for socket ends; stop() releases the helper process. */
export interface EndWatch {
  stop(): void;
}

/** Either a watch, or why ends can only be seen as disappearances between polls. */
export type EndWatchStart = { ok: true; watch: EndWatch } | { ok: false; reason: string };

export interface EndWatchHandlers {
  end(end: SocketEnd): void;
  /** The watch failed after it started (helper died): ends are no longer announced. */
  failed(message: string): void;
}

/** Optional capability: an adapter that can be told of every socket's end (Linux: any user, in its own namespace). */
export interface ConnectionEndsSource {
  watchConnectionEnds(handlers: EndWatchHandlers, namespace?: NamespaceRef): Promise<EndWatchStart>;
}

/**
 * The words of the model that exist at run time: TCP states, timer kinds, drop reasons, and
 * which states the kernel probes. Kept apart from the schemas (./schemas.ts) so that code that
 * needs only these — the CLI's snapshot path, the projection — does not load zod.
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
 * The timer an operating system reports as armed on a socket. Retransmit and zero-window probe
 * ("probe") take precedence over keepalive. 'unknown' where the OS shows no timers (macOS, Windows).
 */
export const TIMER_KINDS = ['keepalive', 'retransmit', 'probe', 'timewait', 'none', 'unknown'] as const;
export type TimerKind = (typeof TIMER_KINDS)[number];

/**
 * Who drops the connection: the kernel (keepalive, retransmission of unacknowledged data,
 * TCP_USER_TIMEOUT, unanswered zero-window probes), a middlebox on the path, or the server application.
 */
export const DROP_REASONS = ['keepalive', 'retransmit', 'user-timeout', 'zero-window', 'middlebox', 'application'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** The drop reasons that are the kernel's own doing. */
export type KernelDropReason = Extract<DropReason, 'keepalive' | 'retransmit' | 'user-timeout' | 'zero-window'>;

/**
 * How far a projection can be trusted: 'exact' names the moment the kernel acts, 'window' gives
 * the span its timer wheel may fire in (clock phase unknown), 'model' follows the OS's documented
 * algorithm without seeing its timers (macOS, Windows).
 */
export const PRECISIONS = ['exact', 'window', 'model'] as const;
export type Precision = (typeof PRECISIONS)[number];

/** The operating systems Idlewatch has an adapter shape for. */
export const OPERATING_SYSTEMS = ['linux', 'darwin', 'win32'] as const;
export type OperatingSystem = (typeof OPERATING_SYSTEMS)[number];

/**
 * States in which a keepalive timer probes (tcp_keepalive_timer skips LISTEN, CLOSE, SYN_SENT;
 * FIN_WAIT2 reuses the timer for its own purpose). The table's keepalive filter and the
 * projection both use this set.
 */
export const KEEPALIVE_STATES: ReadonlySet<TcpState> = new Set(['ESTABLISHED', 'CLOSE_WAIT']);

/** States with data or a FIN the kernel may still be retransmitting. */
export const RETRANSMIT_STATES: ReadonlySet<TcpState> = new Set(['ESTABLISHED', 'CLOSE_WAIT', 'FIN_WAIT1', 'CLOSING', 'LAST_ACK']);

/** States with a peer on the other end (tcp_info carries activity times for these). */
export const CONNECTED_STATES: ReadonlySet<TcpState> = new Set([
  'ESTABLISHED',
  'CLOSE_WAIT',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'CLOSING',
  'LAST_ACK',
]);

/** What a network namespace belongs to (NamespaceSchema.kind). */
export const NAMESPACE_KINDS = ['host', 'netns', 'docker', 'kubernetes', 'container', 'process'] as const;
export type NamespaceKind = (typeof NAMESPACE_KINDS)[number];

/**
 * Where a shown value comes from: `kernel` — read from the OS; `assumed` — the system setting,
 * applied to a socket whose own options are unknown; `estimated` — inferred from what polls saw
 * (e.g. byte counters unchanged since); `model` — computed from the OS's documented algorithm.
 */
export const PROVENANCES = ['kernel', 'assumed', 'estimated', 'model'] as const;
export type Provenance = (typeof PROVENANCES)[number];

/**
 * The model, once: every type that crosses from the core to a UI is `z.infer` of a schema here
 * (STYLE.md point 13), so the runtime check at a transport and the compiler's type cannot drift
 * apart. Times are epoch milliseconds unless a name says otherwise; durations carry their unit
 * in the name (`idleMs`, `timeSec`).
 *
 * Fields whose value is a moment or an age are registered in `COMPARISON` below: the snapshot
 * delta (shared/snapshot-delta.ts) derives how to compare every field from this file, so a new
 * field reaches the UI without anyone remembering to list it.
 */
import { z } from 'zod';
import { DROP_REASONS, NAMESPACE_KINDS, PRECISIONS, TCP_STATES, TIMER_KINDS } from './constants';

/**
 * How the delta compares a field whose value moves without anything happening:
 * - time: a moment (epoch ms); equal within a few ms (a dump may place a timer one jiffy off);
 * - age: a duration before the snapshot's moment, compared as the moment it points to.
 * Every other field is compared exactly.
 */
export const COMPARISON = z.registry<{ compare: 'time' | 'age' }>();

const epochMs = () => z.number().finite().register(COMPARISON, { compare: 'time' });
const ageMs = () => z.number().int().min(0).register(COMPARISON, { compare: 'age' });
const count = z.number().int().min(0);
const port = z.number().int().min(0).max(65535);

export const TcpStateSchema = z.enum(TCP_STATES);
export const TimerKindSchema = z.enum(TIMER_KINDS);
export const DropReasonSchema = z.enum(DROP_REASONS);

/** Per-socket keepalive values read from the socket itself (getsockopt); 0 = the system value applies. */
export const SocketKeepaliveSchema = z.object({ timeSec: count, intervalSec: count, probes: count, userTimeoutMs: count });

/** One socket as a platform adapter reports it, before projection. Neutral: every OS fills what it can see. */
export const SocketFactsSchema = z.object({
  /** Unique across network namespaces; stable while the socket lives. */
  id: z.string().min(1).max(200),
  /** The id of the network namespace it lives in (NetworkNamespace.id). */
  netns: z.string().min(1).max(64),
  family: z.enum(['ipv4', 'ipv6']),
  state: TcpStateSchema,
  localAddress: z.string().max(64),
  localPort: port,
  remoteAddress: z.string().max(64),
  remotePort: port,
  pid: count.nullable(),
  process: z.string().max(256).nullable(),
  uid: count.nullable(),
  user: z.string().max(256).nullable(),
  /** The kernel's identity of the socket (the inode on Linux); null for TIME_WAIT and request sockets. */
  inode: count.nullable(),
  sendQueue: count,
  recvQueue: count,
  timer: TimerKindSchema,
  timerExpiresAt: epochMs().nullable(),
  /** Unanswered keepalive (or zero-window) probes. */
  probesSent: count,
  /** Retransmissions of the current unacknowledged segment. */
  retransmits: count,
  /**
   * How many times the RTO has been doubled (Linux icsk_backoff): what spaces zero-window probes.
   * Absent in documents from before it was recorded: 0.
   */
  backoff: count.default(0),
  /**
   * When the current RTO recovery began, i.e. the first retransmission by the retransmission timer,
   * from which the kernel's retransmission limits count (Linux 6.7+ tcpi_total_rto_time, known when
   * it is the socket's only recovery); null when not shown. Absent in older documents: null.
   */
  rtoRecoveryStartedAt: epochMs().nullable().default(null),
  /** Current (backed-off) retransmission timeout. */
  rtoMs: z.number().min(0).nullable(),
  /** Time since anything (data or ACK) was heard from the peer. */
  idleMs: ageMs().nullable(),
  /**
   * Where idleMs comes from: 'kernel' (Linux tcp_info), 'estimated' (a lower bound: the socket's
   * byte counters unchanged since a poll first saw them so, where the OS shows no idle time);
   * null with idleMs null. Absent in documents from before it was recorded: null.
   */
  idleProvenance: z.enum(['kernel', 'estimated']).nullable().default(null),
  /** Time since data was last sent. */
  lastSendMs: ageMs().nullable(),
  /** Time since data moved either way (ACKs and keepalive probes carry none): what an application's idle timer sees. */
  lastDataMs: ageMs().nullable(),
  /** SO_KEEPALIVE; null when neither the socket nor its timer tells. */
  keepalive: z.boolean().nullable(),
  /** Per-socket values read from the socket; null = unknown, assume the system settings. */
  socketKeepalive: SocketKeepaliveSchema.nullable(),
});

/** The keepalive values that govern one socket. */
export const EffectiveKeepaliveSchema = z.object({
  timeSec: count,
  intervalSec: count,
  probes: count,
  /** TCP_USER_TIMEOUT (or the OS's analogue); 0 = off. */
  userTimeoutMs: count,
  /** 'socket' = read from the socket itself; 'assumed' = the system settings, per-socket values unknown. */
  source: z.enum(['socket', 'assumed']),
});

/** What the projection adds to a socket: when the kernel probes it and when, and by whom, it is dropped. */
export const ProjectionSchema = z.object({
  nextProbeAt: epochMs().nullable(),
  /** Every keepalive probe still to come if the peer stays silent, the next one first. */
  probesAt: z.array(epochMs()).max(512),
  dropAt: epochMs().nullable(),
  /** [earliest, latest] the kernel's timers allow. */
  dropWindow: z.tuple([epochMs(), epochMs()]).nullable(),
  dropReason: DropReasonSchema.nullable(),
  /** The idle-timeout rule that drops it, when dropReason is middlebox or application. */
  dropBy: z.string().max(80).nullable(),
  /** A middlebox or the application closes it before the kernel's first keepalive probe. */
  atRisk: z.boolean(),
  precision: z.enum(PRECISIONS),
  effective: EffectiveKeepaliveSchema,
});

export const ConnectionSchema = SocketFactsSchema.extend(ProjectionSchema.shape);

/** Linux: the sysctls of one network namespace (net.ipv4.tcp_keepalive_*, tcp_retries2). */
export const LinuxSettingsSchema = z.object({
  os: z.literal('linux'),
  timeSec: count,
  intervalSec: count,
  probes: count,
  /** Retransmissions of unacknowledged data before the kernel gives up. */
  retries2: count,
});

/** macOS: net.inet.tcp.keepidle / keepintvl (ms), keepcnt, always_keepalive. */
export const DarwinSettingsSchema = z.object({
  os: z.literal('darwin'),
  keepIdleMs: count,
  keepIntervalMs: count,
  keepCount: count,
  alwaysKeepalive: z.boolean(),
});

/** Windows: KeepAliveTime / KeepAliveInterval (ms) in the registry; the probe count is fixed at 10 since Vista. */
export const Win32SettingsSchema = z.object({
  os: z.literal('win32'),
  keepAliveTimeMs: count,
  keepAliveIntervalMs: count,
  probes: z.literal(10),
});

/** The system-wide keepalive settings, in each OS's own terms. */
export const KeepaliveSettingsSchema = z.discriminatedUnion('os', [LinuxSettingsSchema, DarwinSettingsSchema, Win32SettingsSchema]);

/**
 * The clock an OS's timers run on. 'tick': timers fire on a grid of 1/hz s ticks; with `anchor`
 * (which tick began at which epoch ms) a projection can name the very tick. 'none': the OS shows
 * no timers, projections follow its documented algorithm.
 */
export const ClockSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('tick'),
    hz: z.number().int().positive().max(10_000),
    anchor: z.object({ tick: z.number(), epochMs: z.number().finite() }).nullable(),
  }),
  z.object({ kind: z.literal('none') }),
]);

/**
 * What a namespace belongs to: the host's own stack, an `ip netns` one, a container (Docker,
 * a Kubernetes pod, another engine's), or just some process's.
 */
export const NamespaceKindSchema = z.enum(NAMESPACE_KINDS);

/** A network namespace (Linux) or the one network stack of other OSes. Keepalive settings belong to one. */
export const NamespaceSchema = z.object({
  /** Stable while it exists (the namespace's inode on Linux, "host" elsewhere). */
  id: z.string().min(1).max(64),
  /** Its `ip netns` name, if it has one. */
  name: z.string().max(256).nullable(),
  /** The namespace Idlewatch itself runs in. */
  current: z.boolean(),
  /** How an administrator knows it: "host", the `ip netns` name, the container's name, or "nginx (pid 4242)". */
  label: z.string().max(256),
  kind: NamespaceKindSchema,
  /** A few processes in it (lowest first), by which it can be entered; [] for one no process is in (`ip netns add`). */
  pids: z.array(count).max(8),
});

/** Where the host sits on the network: context for middleboxes (which gateway, which NAT). */
export const HostNetworkSchema = z.object({
  interfaces: z
    .array(z.object({ name: z.string().max(64), addresses: z.array(z.string().max(64)).max(64) }))
    .max(256),
  defaultGateway: z.string().max(64).nullable(),
  defaultInterface: z.string().max(64).nullable(),
});

export const HostSchema = z.object({
  hostname: z.string().max(256),
  os: z.string().max(32),
  /** "Debian GNU/Linux 12 (bookworm)"; null where the OS does not say. */
  distro: z.string().max(256).nullable(),
  kernel: z.string().max(256),
  arch: z.string().max(32),
  /** Interfaces and default route, read once in the background; null until known. */
  network: HostNetworkSchema.nullable(),
});

export const DiagnosticsSchema = z.object({
  malformedLines: count,
  /** Processes whose open files we may not read (other users' without root). */
  processesDenied: count,
  /** Processes that could not be scanned for another reason (e.g. out of file descriptors). */
  processesUnscanned: count,
  /** Sockets whose owning process is unknown. */
  unattributedSockets: count,
  /** Processes whose open files were scanned for this snapshot: 0 when every owner was already known. */
  processesScanned: count,
  warnings: z.array(z.string().max(1000)).max(100),
});

export type SocketKeepalive = z.infer<typeof SocketKeepaliveSchema>;
export type SocketFacts = z.infer<typeof SocketFactsSchema>;
export type EffectiveKeepalive = z.infer<typeof EffectiveKeepaliveSchema>;
export type Projection = z.infer<typeof ProjectionSchema>;
export type Connection = z.infer<typeof ConnectionSchema>;
export type LinuxSettings = z.infer<typeof LinuxSettingsSchema>;
export type DarwinSettings = z.infer<typeof DarwinSettingsSchema>;
export type Win32Settings = z.infer<typeof Win32SettingsSchema>;
export type KeepaliveSettings = z.infer<typeof KeepaliveSettingsSchema>;
export type Clock = z.infer<typeof ClockSchema>;
export type TickClock = Extract<Clock, { kind: 'tick' }>;
export type NetworkNamespace = z.infer<typeof NamespaceSchema>;
export type HostInfo = z.infer<typeof HostSchema>;
export type HostNetwork = z.infer<typeof HostNetworkSchema>;
export type SnapshotDiagnostics = z.infer<typeof DiagnosticsSchema>;

/** A namespace a snapshot holds connections of, with the settings its connections were projected with. */
export const NamespaceSettingsSchema = z.object({ namespace: NamespaceSchema, settings: KeepaliveSettingsSchema });
export type NamespaceSettings = z.infer<typeof NamespaceSettingsSchema>;

/**
 * Every namespace a snapshot holds connections of: one for a snapshot of one namespace, each one
 * read for all of them (a connection's `netns` names its entry). Absent in documents and
 * recordings made before snapshots carried it: read as [].
 */
export const SnapshotNamespacesSchema = z.array(NamespaceSettingsSchema).max(10_000).default([]);

/**
 * One reading of one namespace, or of all of them: what `idlewatch snapshot --json` prints and
 * what every push is made from.
 */
export const SnapshotSchema = z.object({
  schema: z.literal('idlewatch.snapshot/2'),
  takenAt: epochMs(),
  host: HostSchema,
  /** The namespace the sockets and settings were read in; for all of them, the one Idlewatch runs in. */
  namespace: NamespaceSchema,
  /** The settings of that namespace. */
  settings: KeepaliveSettingsSchema,
  /** Every namespace the connections come from, with its settings. */
  namespaces: SnapshotNamespacesSchema,
  clock: ClockSchema,
  connections: z.array(ConnectionSchema),
  /** What the collector could not see or parse. */
  diagnostics: DiagnosticsSchema,
});
export type Snapshot = z.infer<typeof SnapshotSchema>;

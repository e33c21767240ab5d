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
} from './model';
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

/** Settings as they will be after a reboot (sysctl.d files, the registry), with where each came from. */
export interface PersistedSettings {
  settings: KeepaliveSettings | null;
  /** The files or keys read, for the administrator to check. */
  sources: string[];
}

/** What an apply changed, enough to put it back. */
export interface AppliedChange {
  namespace: string;
  before: KeepaliveSettings;
  after: KeepaliveSettings;
  persisted: boolean;
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
  /** What the settings will be after a reboot. */
  readPersistedSettings(): Promise<PersistedSettings>;
  /** Applies settings through the elevated helper, verifying by reading back and restoring on failure. */
  applySettings(settings: KeepaliveSettings, namespace?: NamespaceRef): Promise<AppliedChange>;
  /** Reads the settings back and compares them with what is expected. */
  verifySettings(expected: KeepaliveSettings, namespace?: NamespaceRef): Promise<Verification>;
  /** Puts back what an apply changed. */
  restoreSettings(change: AppliedChange): Promise<void>;
  /** Releases helper processes; the adapter may be used again afterwards. Safe to call more than once. */
  close(): void;
}

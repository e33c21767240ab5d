/**
 * The model's entry point. Types come from the schemas (type-only, so importing this module
 * never loads zod); the run-time words from constants.ts.
 */
export * from './constants';
export type {
  Clock,
  Connection,
  DarwinSettings,
  EffectiveKeepalive,
  HostInfo,
  HostNetwork,
  KeepaliveSettings,
  LinuxSettings,
  NamespaceSettings,
  NetworkNamespace,
  Projection,
  Snapshot,
  SnapshotDiagnostics,
  SocketFacts,
  SocketKeepalive,
  TickClock,
  Win32Settings,
} from './schemas';

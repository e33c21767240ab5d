import type { HostInfo, KeepaliveSettings, KernelClock, SocketFacts, SnapshotDiagnostics } from './model';

/** One read of the socket table, with the clock needed to place its relative timers in time. */
export interface SocketTable {
  /** Epoch ms at which the table was read. */
  takenAt: number;
  clock: KernelClock;
  sockets: SocketFacts[];
  diagnostics: SnapshotDiagnostics;
}

/**
 * The only code that knows an operating system (DESIGN.md "The data, end to end").
 * main/platform/ picks one implementation per OS; everything else sees this interface.
 */
export interface PlatformAdapter {
  readonly platform: string;
  listSockets(): Promise<SocketTable>;
  readSettings(): Promise<KeepaliveSettings>;
  describeHost(): Promise<HostInfo>;
  /** Releases helper processes; the adapter may be used again afterwards. */
  close(): void;
}

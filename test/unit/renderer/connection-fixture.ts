/** Connections for the renderer's tests: a plain established, keepalive-on socket, changed per test. */
import type { SnapshotDelta, SnapshotView } from '../../../shared/api/contract';
import type { Connection, KeepaliveSettings, KernelClock } from '../../../shared/model';
import type { KnownConnection } from '../../../shared/snapshot-delta';

export const NOW = Date.UTC(2025, 10, 24, 12, 0, 0);
export const SETTINGS: KeepaliveSettings = { keepaliveTimeSec: 600, keepaliveIntervalSec: 60, keepaliveProbes: 5, tcpRetries2: 15 };
export const WINDOW_CLOCK: KernelClock = { hz: 250, anchor: null };
export const EXACT_CLOCK: KernelClock = { hz: 250, anchor: { jiffies: 0, epochMs: NOW } };

export function connection(over: Partial<Connection> = {}): Connection {
  return {
    id: 'i1',
    family: 'ipv4',
    state: 'ESTABLISHED',
    localAddress: '10.0.0.1',
    localPort: 40000,
    remoteAddress: '10.0.0.2',
    remotePort: 5432,
    pid: 101,
    process: 'psql',
    uid: 1000,
    user: 'alice',
    inode: 1,
    sendQueue: 0,
    recvQueue: 0,
    timer: 'keepalive',
    timerExpiresAt: NOW + 348_000,
    probesSent: 0,
    retransmits: 0,
    rtoMs: 204,
    idleMs: 252_000,
    lastSendMs: 252_000,
    lastDataMs: 252_000,
    keepalive: true,
    socketKeepalive: null,
    nextProbeAt: NOW + 348_000,
    dropAt: NOW + 648_000,
    dropWindow: [NOW + 639_000, NOW + 657_000],
    dropReason: 'keepalive',
    dropBy: null,
    atRisk: false,
    effective: { timeSec: 600, intervalSec: 60, probes: 5, userTimeoutMs: 0, source: 'assumed' },
    ...over,
  };
}

export function known(over: Partial<Connection> = {}, takenAt = NOW): KnownConnection {
  return { connection: connection(over), takenAt };
}

const HEAD = {
  takenAt: NOW,
  host: { hostname: 'db1', platform: 'linux', distro: 'Debian GNU/Linux 12', release: '12', kernel: '6.1.0', arch: 'x64' },
  settings: SETTINGS,
  clock: WINDOW_CLOCK,
  diagnostics: { malformedLines: 0, processesDenied: 0, unattributedSockets: 0, processesScanned: 0, warnings: [] },
  pollMs: 12,
};

export function snapshotView(seq: number, connections: Connection[], takenAt = NOW): SnapshotView {
  return { ...HEAD, seq, takenAt, connections };
}

export function delta(baseSeq: number, seq: number, over: Partial<SnapshotDelta> = {}): SnapshotDelta {
  return { ...HEAD, seq, baseSeq, takenAt: NOW + seq * 1000, upserts: [], removed: [], ...over };
}

/**
 * A fake adapter with several network namespaces, each with its own settings and sockets, for
 * tests of what the core does with them (the real discovery and helpers are tested on the real
 * kernel in test/integration/).
 */
import type { LinuxSettings, NetworkNamespace, SocketFacts } from '../../../shared/model';
import type { NamespaceRef, PlatformAdapter } from '../../../shared/platform-adapter';
import { fakeAdapter, emptyTable } from '../../fixtures/adapter';
import { connection, NAMESPACE, NOW, SETTINGS } from '../../fixtures/connection';

export interface FakeNamespace {
  namespace: NetworkNamespace;
  settings: LinuxSettings;
  /** Fresh facts per read (the snapshot extends them in place). */
  sockets: () => SocketFacts[];
  /** When the table is read (epoch ms). */
  takenAt?: number;
  /** Reading it fails with this message (it has gone). */
  fails?: string;
}

export const HOST_NS: FakeNamespace = {
  namespace: NAMESPACE,
  settings: SETTINGS,
  sockets: () => [connection({ id: '4026531840/i1' }), connection({ id: '4026531840/i2', inode: 2, localPort: 40001, idleMs: 5_000, lastSendMs: 5_000, lastDataMs: 5_000 })],
};

export const WEB_NS: FakeNamespace = {
  namespace: { id: '4026532512', name: null, current: false, label: 'web-1', kind: 'docker', pids: [4242] },
  settings: { os: 'linux', timeSec: 7200, intervalSec: 75, probes: 9, retries2: 15 },
  sockets: () => [
    connection({ id: '4026532512/i7', netns: '4026532512', inode: 7, timer: 'keepalive', timerExpiresAt: NOW + 6_948_000, idleMs: 252_000 }),
    connection({ id: '4026532512/i8', netns: '4026532512', inode: 8, state: 'LISTEN', idleMs: null, remoteAddress: '0.0.0.0', remotePort: 0 }),
    connection({ id: '4026532512/i9', netns: '4026532512', inode: 9, idleMs: 120_000 }),
  ],
};

export const BLUE_NS: FakeNamespace = {
  namespace: { id: '4026532700', name: 'blue', current: false, label: 'blue', kind: 'netns', pids: [] },
  settings: { os: 'linux', timeSec: 300, intervalSec: 30, probes: 5, retries2: 8 },
  sockets: () => [connection({ id: '4026532700/i3', netns: '4026532700', inode: 3, idleMs: 30_000, timerExpiresAt: NOW + 270_000 })],
};

export function namespacedAdapter(spaces: FakeNamespace[], over: Partial<PlatformAdapter> = {}) {
  const reads: NamespaceRef[] = [];
  let listed = 0;
  const find = (ref: NamespaceRef = 'current') => {
    const space = spaces.find((s) => (ref === 'current' ? s.namespace.current : s.namespace.id === ref));
    if (!space) throw new Error(`no network namespace ${ref}`);
    if (space.fails) throw new Error(space.fails);
    return space;
  };
  const adapter = fakeAdapter({
    capabilities: { perSocketOptions: true, timers: true, namespaces: true, namespacesReason: null, apply: false },
    listNamespaces: async () => {
      listed += 1;
      return spaces.map((s) => s.namespace);
    },
    listSockets: async (ref) => {
      reads.push(ref ?? 'current');
      const space = find(ref);
      return { ...emptyTable(space.takenAt ?? NOW), namespace: space.namespace, sockets: space.sockets() };
    },
    readSettings: async (ref) => find(ref).settings,
    ...over,
  });
  return Object.assign(adapter, { reads, listed: () => listed });
}

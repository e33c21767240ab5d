/**
 * Every network namespace at once: one snapshot merged from all of them (the poller's 'all', the
 * CLI's `--all-namespaces`), and the summary `listNamespaces` and `idlewatch namespaces` show —
 * each namespace's settings beside the host's, its sockets, idle and at-risk connections.
 *
 * The keepalive sysctls are per namespace (KEEPALIVE.md §1.1), so each namespace's connections
 * are projected with its own settings; a namespace that cannot be read (it may have gone between
 * listing and reading) is reported, never the end of the whole read.
 */
import type { NamespacesView, NamespaceSummary } from '../../shared/api/schemas';
import type { Connection, KeepaliveSettings, NetworkNamespace, Snapshot, SnapshotDiagnostics } from '../../shared/model';
import { ageInPlace } from '../../shared/model/ages';
import type { NamespaceSettings } from '../../shared/model/schemas';
import { CONNECTED_STATES } from '../../shared/model/constants';
import { namespaceDrift } from '../../shared/namespace-drift';
import type { PlatformAdapter } from '../../shared/platform-adapter';
import { takeSnapshot, type SnapshotOptions } from './snapshot';

/** Namespaces read at the same time: the sockdiag helper serves them one after another anyway. */
const CONCURRENT_READS = 8;
/** A connection idle this long counts as idle in a summary. */
export const IDLE_THRESHOLD_MS = 60_000;
/** The schema's cap on warnings. */
const MAX_WARNINGS = 100;

/** One namespace's read: its snapshot, or why there is none. */
export type NamespaceRead = { namespace: NetworkNamespace; snapshot: Snapshot; error: null } | { namespace: NetworkNamespace; snapshot: null; error: string };

/** The namespace Idlewatch runs in, first; the others by label (then id). */
function hostFirst(a: NetworkNamespace, b: NetworkNamespace): number {
  if (a.current !== b.current) return a.current ? -1 : 1;
  return a.label.localeCompare(b.label) || a.id.localeCompare(b.id);
}

/** The namespaces in use (as listed, or listed now), host first; the current one is added when the adapter left it out. */
export async function namespacesToRead(adapter: PlatformAdapter, listed?: readonly NetworkNamespace[]): Promise<NetworkNamespace[]> {
  const list = [...(listed ?? (await adapter.listNamespaces()))];
  if (!list.some((n) => n.current)) {
    const table = await adapter.listSockets('current');
    list.push(table.namespace);
  }
  return list.sort(hostFirst);
}

/**
 * Reads every namespace in `namespaces` (a few at a time) with takeSnapshot: the current one as
 * 'current', the others by id. Results are in the order given.
 */
export async function readNamespaces(
  adapter: PlatformAdapter,
  namespaces: readonly NetworkNamespace[],
  options: Omit<SnapshotOptions, 'namespace'>,
): Promise<NamespaceRead[]> {
  const results: NamespaceRead[] = new Array(namespaces.length);
  // Described once for all of them: the host is one.
  const host = options.host ?? (await adapter.describeHost());
  let next = 0;
  const worker = async () => {
    while (next < namespaces.length) {
      const i = next++;
      const namespace = namespaces[i]!;
      try {
        const snapshot = await takeSnapshot(adapter, { ...options, host, namespace: namespace.current ? 'current' : namespace.id });
        results[i] = { namespace, snapshot, error: null };
      } catch (error) {
        results[i] = { namespace, snapshot: null, error: (error as Error).message };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_READS, namespaces.length) }, worker));
  return results;
}

/** "network namespace web-1 (4026532512) could not be read: …" */
export function unreadableWarning(read: { namespace: NetworkNamespace; error: string }): string {
  return `network namespace ${read.namespace.label} (${read.namespace.id}) could not be read (it may have just gone): ${read.error}`.slice(0, 1000);
}


function sumDiagnostics(parts: readonly SnapshotDiagnostics[], warnings: string[]): SnapshotDiagnostics {
  const sum = (key: Exclude<keyof SnapshotDiagnostics, 'warnings'>) => parts.reduce((total, d) => total + d[key], 0);
  return {
    malformedLines: sum('malformedLines'),
    processesDenied: sum('processesDenied'),
    processesUnscanned: sum('processesUnscanned'),
    unattributedSockets: sum('unattributedSockets'),
    processesScanned: sum('processesScanned'),
    warnings: [...warnings, ...parts.flatMap((d) => d.warnings)].slice(0, MAX_WARNINGS),
  };
}

/**
 * One snapshot of the namespaces read: every connection (ids are unique across namespaces, each
 * names its `netns`), projected with its own namespace's settings. The head's namespace, settings,
 * host and clock are the current namespace's; `namespaces` lists each one read with its settings;
 * namespaces that could not be read are warnings. Throws when the current one could not be read:
 * that is the collector failing, not a namespace going away.
 *
 * The snapshot's moment is the latest read's; the connections of earlier reads have their ages
 * grown to it (their absolute times stand), so one `takenAt` holds for every connection.
 */
export function mergeNamespaceReads(reads: readonly NamespaceRead[]): Snapshot {
  const current = reads.find((r) => r.namespace.current);
  if (!current) throw new Error('the current network namespace was not read');
  if (current.snapshot === null) throw new Error(current.error);
  const read = reads.filter((r): r is Extract<NamespaceRead, { error: null }> => r.snapshot !== null);
  const takenAt = Math.max(...read.map((r) => r.snapshot.takenAt));
  const connections: Connection[] = [];
  const namespaces: NamespaceSettings[] = [];
  for (const { snapshot } of read) {
    ageInPlace(snapshot.connections, takenAt - snapshot.takenAt);
    for (const c of snapshot.connections) connections.push(c);
    namespaces.push({ namespace: snapshot.namespace, settings: snapshot.settings });
  }
  const failed = reads.filter((r): r is Extract<NamespaceRead, { snapshot: null }> => r.snapshot === null).map(unreadableWarning);
  return {
    ...current.snapshot,
    takenAt,
    namespaces,
    connections,
    diagnostics: sumDiagnostics(
      read.map((r) => r.snapshot.diagnostics),
      failed,
    ),
  };
}

export interface AllNamespacesOptions extends Omit<SnapshotOptions, 'namespace'> {
  /** The namespaces to read (as adapter.listNamespaces() lists them); listed now when absent. */
  namespaces?: readonly NetworkNamespace[];
}

/** Reads every namespace in use and merges them (mergeNamespaceReads); the reads are returned too, to tell which failed. */
export async function takeAllNamespacesSnapshot(
  adapter: PlatformAdapter,
  options: AllNamespacesOptions,
): Promise<{ snapshot: Snapshot; reads: NamespaceRead[] }> {
  const { namespaces: listed, ...snapshotOptions } = options;
  const reads = await readNamespaces(adapter, await namespacesToRead(adapter, listed), snapshotOptions);
  return { snapshot: mergeNamespaceReads(reads), reads };
}

/** Counts of one namespace's read. */
function counts(snapshot: Snapshot): Pick<NamespaceSummary, 'sockets' | 'idle' | 'atRisk'> {
  let idle = 0;
  let atRisk = 0;
  for (const c of snapshot.connections) {
    if (CONNECTED_STATES.has(c.state) && c.idleMs !== null && c.idleMs >= IDLE_THRESHOLD_MS) idle += 1;
    if (c.atRisk) atRisk += 1;
  }
  return { sockets: snapshot.connections.length, idle, atRisk };
}

/** Reads only the settings of a namespace whose sockets could not be read; null when those fail too. */
async function settingsOnly(adapter: PlatformAdapter, namespace: NetworkNamespace): Promise<KeepaliveSettings | null> {
  try {
    return await adapter.readSettings(namespace.current ? 'current' : namespace.id);
  } catch {
    return null;
  }
}

export interface NamespaceSummaryOptions extends Omit<SnapshotOptions, 'namespace' | 'armedWith'> {}

/**
 * What `listNamespaces` answers: every namespace in use (only the current one where others
 * cannot be read, with the reason), host first then by label, each with its settings, how many
 * sockets, idle (connected, idle ≥ 60 s) and at-risk connections it holds, and whether and how
 * its settings differ from the host's (shared/namespace-drift.ts). Reads each namespace once.
 */
export async function namespaceSummaries(adapter: PlatformAdapter, options: NamespaceSummaryOptions): Promise<NamespacesView> {
  const reads = await readNamespaces(adapter, await namespacesToRead(adapter), options);
  const summaries = await Promise.all(
    reads.map(async (read) => ({
      read,
      settings: read.snapshot?.settings ?? (await settingsOnly(adapter, read.namespace)),
    })),
  );
  const host = summaries.find((s) => s.read.namespace.current)!;
  return {
    available: adapter.capabilities.namespaces,
    reason: adapter.capabilities.namespaces ? null : (adapter.capabilities.namespacesReason ?? 'other network namespaces cannot be read here'),
    host: host.read.namespace.id,
    namespaces: summaries.map(({ read, settings }) => {
      const drift = read.namespace.current ? { differs: false, note: null } : namespaceDrift(settings, host.settings);
      return {
        namespace: read.namespace,
        settings,
        ...(read.snapshot ? counts(read.snapshot) : { sockets: 0, idle: 0, atRisk: 0 }),
        differsFromHost: drift.differs,
        note: drift.note,
        error: read.error,
      };
    }),
  };
}

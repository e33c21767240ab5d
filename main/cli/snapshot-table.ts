import { explainConnection } from '../../shared/explain';
import { formatDuration, formatEndpoint, printable } from '../../shared/format';
import { dropByLabel, keepaliveLabel, pidProcessLabel, userLabel } from '../../shared/labels';
import type { NetworkNamespace, Snapshot } from '../../shared/model';
import { namespaceDrift } from '../../shared/namespace-drift';
import { settingsSummary, silentPeerDropMs } from '../../shared/settings';
import { idleMark, marksIn, projectionMark } from '../../shared/provenance';

/** `mark` ("~" for a modelled moment, ../report/provenance-marks.ts) goes before a moment there is. */
function countdown(at: number | null, now: number, mark = ''): string {
  if (at === null) return '—';
  return `${mark}${at < now ? `${formatDuration(now - at)} ago` : `in ${formatDuration(at - now)}`}`;
}

const COLUMNS = ['STATE', 'LOCAL', 'REMOTE', 'PID/PROCESS', 'USER', 'IDLE', 'KA', 'PROBES', 'NEXT PROBE', 'DROP', 'BY'] as const;

/** A namespace's label in the NETNS column: printable, and cut so one long container name does not widen every row. */
const NETNS_LABEL_MAX = 24;

/** "web-1 (4026532512)": a namespace as the header names it. */
const namespaceName = (n: NetworkNamespace) => `${printable(n.label)} (${n.id})`;

function netnsLabel(n: NetworkNamespace | undefined, id: string): string {
  const label = printable(n?.label ?? id);
  return label.length > NETNS_LABEL_MAX ? `${label.slice(0, NETNS_LABEL_MAX - 1)}…` : label;
}

/** The host line: "db1 · Debian GNU/Linux 12 · kernel 6.1.0 · HZ 250 · netns 4026531840". */
function hostLine(snapshot: Snapshot, allNamespaces: boolean): string {
  const { host, clock, namespace } = snapshot;
  return [
    printable(host.hostname),
    host.distro === null ? null : printable(host.distro),
    `kernel ${printable(host.kernel)}`,
    clock.kind === 'tick' ? `HZ ${clock.hz}` : null,
    allNamespaces
      ? `${snapshot.namespaces.length} network namespaces`
      : namespace.current
        ? `netns ${printable(namespace.name ?? namespace.id)}`
        : `netns ${namespaceName(namespace)}`,
  ]
    .filter((part) => part !== null)
    .join(' · ');
}

/** Under the host's settings, each other namespace's, with how they differ from the host's (shared/namespace-drift.ts). */
function namespaceLines(snapshot: Snapshot): string[] {
  return snapshot.namespaces
    .filter(({ namespace }) => namespace.id !== snapshot.namespace.id)
    .map(({ namespace, settings }) => {
      const drift = namespaceDrift(settings, snapshot.settings);
      return `netns ${namespaceName(namespace)}: ${settingsSummary(settings)}${drift.note === null ? '' : ` · * ${drift.note}`}`;
    });
}

export interface SnapshotTableOptions {
  /** A NETNS column (the namespace's label), and a line per namespace under the host's settings. */
  namespaceColumn?: boolean;
}

/** Past this many, the rest of the connections with unacknowledged data are counted, not explained. */
const IN_FLIGHT_EXPLAINED = 20;

/**
 * Under the table, each connection whose data is unacknowledged or whose peer's window is closed,
 * in words (shared/explain.ts, as the app's detail pane says it): which timer, how many sends are
 * left, when the last goes out, when the kernel gives up. The table's DROP column alone cannot say that.
 */
function inFlightLines(snapshot: Snapshot, now: number, byId: Map<string, NetworkNamespace>): string[] {
  const inFlight = snapshot.connections.filter((c) => (c.timer === 'retransmit' || c.timer === 'probe') && c.dropAt !== null);
  if (inFlight.length === 0) return [];
  const settingsOf = new Map(snapshot.namespaces.map(({ namespace, settings }) => [namespace.id, settings]));
  const lines = ['', 'Unacknowledged data and closed windows:'];
  for (const c of inFlight.slice(0, IN_FLIGHT_EXPLAINED)) {
    const settings = settingsOf.get(c.netns) ?? snapshot.settings;
    const where = byId.has(c.netns) && c.netns !== snapshot.namespace.id ? ` [netns ${netnsLabel(byId.get(c.netns), c.netns)}]` : '';
    const words = explainConnection({ connection: c, takenAt: snapshot.takenAt }, { now, settings, rules: [] });
    lines.push(`  ${formatEndpoint(c.localAddress, c.localPort)} → ${formatEndpoint(c.remoteAddress, c.remotePort)} (${pidProcessLabel(c)})${where}: ${words.join(' ')}`);
  }
  if (inFlight.length > IN_FLIGHT_EXPLAINED) lines.push(`  … and ${inFlight.length - IN_FLIGHT_EXPLAINED} more (idlewatch snapshot --json has them all)`);
  return lines;
}

/** The readable table of `idlewatch snapshot`: a summary line, then one row per connection. */
export function formatSnapshotTable(snapshot: Snapshot, now: number, options: SnapshotTableOptions = {}): string {
  const allNamespaces = options.namespaceColumn ?? false;
  const lines: string[] = [];
  lines.push(
    hostLine(snapshot, allNamespaces),
    `${allNamespaces ? `netns ${namespaceName(snapshot.namespace)}: ` : ''}${settingsSummary(snapshot.settings)} · a silent peer is dropped ${formatDuration(silentPeerDropMs(snapshot.settings))} after its last packet`,
    ...(allNamespaces ? namespaceLines(snapshot) : []),
    '',
  );
  const byId = new Map(snapshot.namespaces.map(({ namespace }) => [namespace.id, namespace]));
  const columns: readonly string[] = allNamespaces ? ['NETNS', ...COLUMNS] : COLUMNS;
  const rows = snapshot.connections.map((c) => [
    ...(allNamespaces ? [netnsLabel(byId.get(c.netns), c.netns)] : []),
    c.state,
    formatEndpoint(c.localAddress, c.localPort),
    formatEndpoint(c.remoteAddress, c.remotePort),
    pidProcessLabel(c),
    userLabel(c) ?? '',
    c.idleMs === null ? '' : `${idleMark(c)?.symbol ?? ''}${formatDuration(c.idleMs)}`,
    keepaliveLabel(c),
    c.keepalive || c.probesSent > 0 ? String(c.probesSent) : '',
    countdown(c.nextProbeAt, now, projectionMark(c)?.symbol ?? ''),
    countdown(c.dropAt, now, projectionMark(c)?.symbol ?? ''),
    dropByLabel(c) ?? '',
  ]);
  const widths = columns.map((h, i) => rows.reduce((width, r) => Math.max(width, r[i]!.length), h.length));
  const format = (cells: readonly string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  lines.push(format(columns), ...rows.map(format));
  const d = snapshot.diagnostics;
  const notes = [
    `${snapshot.connections.length} connections`,
    d.unattributedSockets ? `${d.unattributedSockets} sockets with no visible process` : '',
    d.processesDenied ? `${d.processesDenied} processes not readable (run as root to see them)` : '',
    d.processesUnscanned ? `${d.processesUnscanned} processes could not be scanned` : '',
    d.malformedLines ? `${d.malformedLines} malformed lines skipped` : '',
    // The helper's messages can quote what it read: never print them raw.
    ...d.warnings.map(printable),
  ].filter(Boolean);
  lines.push(...inFlightLines(snapshot, now, byId));
  lines.push('', notes.join(' · '));
  // Only where a value was not read from the OS: a Linux table has no footnote.
  for (const mark of marksIn(snapshot.connections, (c) => c)) lines.push(`${mark.symbol} ${mark.title}`);
  lines.push('');
  return lines.join('\n');
}

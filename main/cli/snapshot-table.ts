import { formatDuration, formatEndpoint, printable } from '../../shared/format';
import { dropByLabel, keepaliveLabel, pidProcessLabel, userLabel } from '../../shared/labels';
import type { Snapshot } from '../../shared/model';
import { settingsSummary, silentPeerDropMs } from '../../shared/settings';

function countdown(at: number | null, now: number): string {
  if (at === null) return '—';
  return at < now ? `${formatDuration(now - at)} ago` : `in ${formatDuration(at - now)}`;
}

const COLUMNS = ['STATE', 'LOCAL', 'REMOTE', 'PID/PROCESS', 'USER', 'IDLE', 'KA', 'PROBES', 'NEXT PROBE', 'DROP', 'BY'] as const;

/** The host line: "db1 · Debian GNU/Linux 12 · kernel 6.1.0 · HZ 250 · netns 4026531840". */
function hostLine(snapshot: Snapshot): string {
  const { host, clock, namespace } = snapshot;
  return [
    printable(host.hostname),
    host.distro === null ? null : printable(host.distro),
    `kernel ${printable(host.kernel)}`,
    clock.kind === 'tick' ? `HZ ${clock.hz}` : null,
    `netns ${printable(namespace.name ?? namespace.id)}`,
  ]
    .filter((part) => part !== null)
    .join(' · ');
}

/** The readable table of `idlewatch snapshot`: a summary line, then one row per connection. */
export function formatSnapshotTable(snapshot: Snapshot, now: number): string {
  const lines: string[] = [];
  lines.push(
    hostLine(snapshot),
    `${settingsSummary(snapshot.settings)} · a silent peer is dropped ${formatDuration(silentPeerDropMs(snapshot.settings))} after its last packet`,
    '',
  );
  const rows = snapshot.connections.map((c) => [
    c.state,
    formatEndpoint(c.localAddress, c.localPort),
    formatEndpoint(c.remoteAddress, c.remotePort),
    pidProcessLabel(c),
    userLabel(c) ?? '',
    c.idleMs === null ? '' : formatDuration(c.idleMs),
    keepaliveLabel(c),
    c.keepalive || c.probesSent > 0 ? String(c.probesSent) : '',
    countdown(c.nextProbeAt, now),
    countdown(c.dropAt, now),
    dropByLabel(c) ?? '',
  ]);
  const widths = COLUMNS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (cells: readonly string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  lines.push(format(COLUMNS), ...rows.map(format));
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
  lines.push('', notes.join(' · '), '');
  return lines.join('\n');
}

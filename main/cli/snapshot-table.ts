import { formatDuration, formatEndpoint, printable } from '../../shared/format';
import type { Connection, Snapshot } from '../../shared/model';

function countdown(at: number | null, now: number): string {
  if (at === null) return '—';
  return at < now ? `${formatDuration(now - at)} ago` : `in ${formatDuration(at - now)}`;
}

function processLabel(c: Connection): string {
  if (c.pid === null) return c.inode === null ? '' : '?';
  return `${c.pid}/${printable(c.process ?? '?')}`;
}

const COLUMNS = ['STATE', 'LOCAL', 'REMOTE', 'PID/PROCESS', 'USER', 'IDLE', 'KA', 'PROBES', 'NEXT PROBE', 'DROP', 'BY'] as const;

/** The readable table of `idlewatch snapshot`: a summary line, then one row per connection. */
export function formatSnapshotTable(snapshot: Snapshot, now: number): string {
  const s = snapshot.settings;
  const lines: string[] = [];
  lines.push(
    `${printable(snapshot.host.hostname)} · ${snapshot.host.distro} ${snapshot.host.release} · kernel ${snapshot.host.kernel} · HZ ${snapshot.clock.hz}`,
    `keepalive ${s.keepaliveTimeSec}s / ${s.keepaliveIntervalSec}s × ${s.keepaliveProbes} · a silent peer is dropped ${formatDuration(
      (s.keepaliveTimeSec + s.keepaliveIntervalSec * s.keepaliveProbes) * 1000,
    )} after its last packet · tcp_retries2 ${s.tcpRetries2}`,
    '',
  );
  const rows = snapshot.connections.map((c) => [
    c.state,
    formatEndpoint(c.localAddress, c.localPort),
    formatEndpoint(c.remoteAddress, c.remotePort),
    processLabel(c),
    c.user === null ? (c.uid === null ? '' : String(c.uid)) : printable(c.user),
    c.idleMs === null ? '' : formatDuration(c.idleMs),
    c.keepalive === null ? '?' : c.keepalive ? 'on' : 'off',
    c.keepalive || c.probesSent > 0 ? String(c.probesSent) : '',
    countdown(c.nextProbeAt, now),
    countdown(c.dropAt, now),
    c.dropBy ?? c.dropReason ?? '',
  ]);
  const widths = COLUMNS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (cells: readonly string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  lines.push(format(COLUMNS), ...rows.map(format));
  const d = snapshot.diagnostics;
  const notes = [
    `${snapshot.connections.length} connections`,
    d.unattributedSockets ? `${d.unattributedSockets} sockets with no visible process` : '',
    d.processesDenied ? `${d.processesDenied} processes not readable (run as root to see them)` : '',
    d.malformedLines ? `${d.malformedLines} malformed lines skipped` : '',
    ...d.warnings,
  ].filter(Boolean);
  lines.push('', notes.join(' · '), '');
  return lines.join('\n');
}

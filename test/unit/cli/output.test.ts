import { describe, expect, it } from 'vitest';
import { snapshotJsonChunks } from '../../../main/cli/snapshot-json';
import { formatSnapshotTable } from '../../../main/cli/snapshot-table';
import { PROVENANCE_WORDS } from '../../../shared/provenance';
import type { Connection, LinuxSettings, NetworkNamespace, Snapshot } from '../../../shared/model';
import { connection as fixture, NAMESPACE, SETTINGS, WINDOW_CLOCK } from '../../fixtures/connection';

const NOW = 1_800_000_000_000;

function connection(i: number, over: Partial<Connection> = {}): Connection {
  return fixture({
    id: `c${i}`,
    localPort: 40000 + i,
    pid: 100 + i,
    inode: 1000 + i,
    timerExpiresAt: NOW + 60_000,
    idleMs: 540_000,
    lastSendMs: 540_000,
    lastDataMs: 540_000,
    nextProbeAt: NOW + 60_000,
    dropAt: NOW + 360_000,
    dropWindow: [NOW + 360_000, NOW + 380_000],
    ...over,
  });
}

function snapshot(connections: Connection[]): Snapshot {
  return {
    schema: 'idlewatch.snapshot/2',
    takenAt: NOW,
    host: { hostname: 'db1', os: 'linux', distro: 'Debian GNU/Linux 12', kernel: '6.1.0', arch: 'x64', network: null },
    namespace: NAMESPACE,
    settings: SETTINGS,
    namespaces: [{ namespace: NAMESPACE, settings: SETTINGS }],
    clock: WINDOW_CLOCK,
    connections,
    diagnostics: { malformedLines: 2, processesDenied: 0, processesUnscanned: 0, unattributedSockets: 0, processesScanned: 0, warnings: [] },
  };
}

describe('snapshot table', () => {
  it('shows countdowns to the next probe and the drop, with its reason', () => {
    const text = formatSnapshotTable(snapshot([connection(1)]), NOW);
    const row = text.split('\n').find((l) => l.startsWith('ESTABLISHED'))!;
    expect(row).toMatch(/10\.0\.0\.1:40001\s+10\.0\.0\.2:5432\s+101\/psql\s+alice\s+9m 00s\s+on\s+0\s+in 1m 00s\s+in 6m 00s\s+keepalive/);
  });

  it('explains under the table a connection whose data is unacknowledged: retransmissions left, the last, the give-up', () => {
    const inFlight = connection(7, {
      process: 'pg\x1b[2Jdump',
      timer: 'retransmit',
      sendQueue: 4096,
      retransmits: 2,
      rtoMs: 816,
      dropReason: 'retransmit',
      probesAt: [NOW + 800, NOW + 2400],
      nextProbeAt: NOW + 800,
      dropAt: NOW + 5600,
      dropWindow: [NOW + 5600, NOW + 5860],
    });
    const text = formatSnapshotTable(snapshot([connection(1), inFlight]), NOW);
    const lines = text.split('\n');
    const at = lines.indexOf('Unacknowledged data and closed windows:');
    expect(at).toBeGreaterThan(0);
    const line = lines[at + 1]!;
    expect(line).toMatch(/^  10\.0\.0\.1:40007 → .* \(107\/pg\\x1b\[2Jdump\): 4096 bytes sent are not acknowledged yet; the retransmission timer has resent them 2 times/);
    expect(line).toContain('tcp_retries2 = 15 retransmissions');
    expect(line).toContain('2 more retransmissions, the last in 3 s');
    expect(line).toContain("then the timer's next firing resets the connection in 6 s");
    // Only connections with data in flight are explained; a quiet table has no such section.
    expect(lines.filter((l) => l.startsWith('  10.0.0.1:'))).toHaveLength(1);
    expect(formatSnapshotTable(snapshot([connection(1)]), NOW)).not.toContain('Unacknowledged data');
  });

  it('explains the kernel settings in plain words', () => {
    expect(formatSnapshotTable(snapshot([]), NOW)).toContain('a silent peer is dropped 15m 00s after its last packet');
  });

  it('prints a hostile process name as visible escapes, never as terminal control codes', () => {
    const text = formatSnapshotTable(snapshot([connection(1, { process: 'ev\til\n\x1b[2J' })]), NOW);
    expect(text).toContain('101/ev\\x09il\\x0a\\x1b[2J');
    expect(text).not.toContain('\x1b');
    expect(text.split('\n').filter((l) => l.startsWith('ESTABLISHED'))).toHaveLength(1);
  });

  it('keeps a name with bidi controls in its place, escaped, so columns stay aligned', () => {
    const text = formatSnapshotTable(
      snapshot([connection(1, { process: '\u202eexe.live' }), connection(2, { process: 'psql' })]),
      NOW,
    );
    expect(text).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
    expect(text).toContain('101/\\u202eexe.live');
    const rows = text.split('\n').filter((l) => l.startsWith('ESTABLISHED'));
    // the USER column starts at the same offset in both rows
    expect(rows[0]!.indexOf('alice')).toBe(rows[1]!.indexOf('alice'));
  });

  it('prints the helper\'s warnings escaped in the footer', () => {
    const snap = snapshot([]);
    snap.diagnostics.warnings.push('cannot scan \x1b[2J\u202eprocess');
    const footer = formatSnapshotTable(snap, NOW).trimEnd().split('\n').at(-1)!;
    expect(footer).toContain('cannot scan \\x1b[2J\\u202eprocess');
    expect(footer).not.toMatch(/[\x1b\u202e]/);
  });

  it('names the host, the kernel clock and the namespace the snapshot was read in', () => {
    const first = formatSnapshotTable(snapshot([]), NOW).split('\n')[0];
    expect(first).toBe('db1 · Debian GNU/Linux 12 · kernel 6.1.0 · HZ 250 · netns 4026531840');
  });

  it('tells how many malformed lines were skipped', () => {
    expect(formatSnapshotTable(snapshot([]), NOW)).toContain('2 malformed lines skipped');
  });

  it('prints a Linux table read from the kernel without marks or a footnote', () => {
    const text = formatSnapshotTable(snapshot([connection(1)]), NOW);
    expect(text).not.toMatch(/[≈~]/);
    expect(text).not.toContain('estimated');
  });

  it('marks an estimated idle time with ≈ and modelled next probe and drop with ~, and explains the marks in a footnote', () => {
    const c = connection(1, {
      idleProvenance: 'estimated',
      precision: 'model',
      effective: { timeSec: 7200, intervalSec: 75, probes: 8, userTimeoutMs: 0, source: 'assumed' },
    });
    const text = formatSnapshotTable(snapshot([c]), NOW);
    const row = text.split('\n').find((line) => line.startsWith('ESTABLISHED'))!;
    expect(row).toContain('≈9m 00s');
    expect(row).toContain('~in 1m 00s');
    expect(row).toContain('~in 6m 00s');
    expect(text).toContain(`≈ estimated: ${PROVENANCE_WORDS.estimated}`);
    expect(text).toContain(`~ model: ${PROVENANCE_WORDS.model}`);
  });

  it('footnotes only the marks in use', () => {
    const text = formatSnapshotTable(snapshot([connection(1, { precision: 'model' })]), NOW);
    expect(text).toContain('~ model:');
    expect(text).not.toContain('≈');
  });
});

describe('snapshot JSON', () => {
  it('streams the same document JSON.stringify would produce, across batches', () => {
    const snap = snapshot(Array.from({ length: 4500 }, (_, i) => connection(i)));
    const parsed = JSON.parse([...snapshotJsonChunks(snap)].join(''));
    expect(parsed).toEqual(JSON.parse(JSON.stringify(snap)));
    expect(parsed.schema).toBe('idlewatch.snapshot/2');
  });

  it('escapes hostile process names', () => {
    const text = [...snapshotJsonChunks(snapshot([connection(1, { process: 'a"\n\x1b' })]))].join('');
    expect(text).not.toContain('\x1b');
    expect(JSON.parse(text).connections[0].process).toBe('a"\n\x1b');
  });

  it('is valid for an empty table', () => {
    expect(JSON.parse([...snapshotJsonChunks(snapshot([]))].join('')).connections).toEqual([]);
  });
});

describe('snapshot table of every namespace', () => {
  const web: NetworkNamespace = { id: '4026532512', name: null, current: false, label: 'web-1', kind: 'docker', pids: [4242] };
  const kernelDefaults: LinuxSettings = { os: 'linux', timeSec: 7200, intervalSec: 75, probes: 9, retries2: 15 };
  const all = (connections: Connection[]): Snapshot => ({
    ...snapshot(connections),
    namespaces: [
      { namespace: NAMESPACE, settings: SETTINGS },
      { namespace: web, settings: kernelDefaults },
    ],
  });

  it('adds a NETNS column with each connection namespace label', () => {
    const text = formatSnapshotTable(all([connection(1), connection(2, { id: '4026532512/i2', netns: web.id })]), NOW, { namespaceColumn: true });
    const lines = text.split('\n');
    const header = lines.find((l) => l.startsWith('NETNS'))!;
    expect(header).toMatch(/^NETNS\s+STATE\s+LOCAL/);
    expect(lines.filter((l) => /^(host|web-1)\s+ESTABLISHED/.test(l)).map((l) => l.split(/\s+/)[0])).toEqual(['host', 'web-1']);
  });

  it('lists each namespace settings under the host ones, marking and explaining drift', () => {
    const lines = formatSnapshotTable(all([]), NOW, { namespaceColumn: true }).split('\n');
    expect(lines[0]).toBe('db1 · Debian GNU/Linux 12 · kernel 6.1.0 · HZ 250 · 2 network namespaces');
    expect(lines[1]).toMatch(/^netns host \(4026531840\): keepalive 600s \/ 60s × 5 · tcp_retries2 15 · a silent peer is dropped 15m 00s/);
    expect(lines[2]).toBe("netns web-1 (4026532512): keepalive 7200s / 75s × 9 · tcp_retries2 15 · * kernel defaults 7200/75/9 — the host's 600/60/5 does not reach it");
  });

  it('escapes and shortens a hostile or long container name in the column', () => {
    const hostile = { ...web, label: `\x1b[2J${'x'.repeat(60)}` };
    const snap = { ...all([connection(1, { id: '4026532512/i1', netns: web.id })]), namespaces: [{ namespace: NAMESPACE, settings: SETTINGS }, { namespace: hostile, settings: SETTINGS }] };
    const text = formatSnapshotTable(snap, NOW, { namespaceColumn: true });
    expect(text).not.toContain('\x1b');
    const row = text.split('\n').find((l) => l.includes('ESTABLISHED'))!;
    expect(row.split(/\s+/)[0]).toBe(`\\x1b[2J${'x'.repeat(16)}…`);
  });

  it('names another namespace by its label and id when reading one with --netns', () => {
    const one: Snapshot = { ...snapshot([]), namespace: web, settings: kernelDefaults, namespaces: [{ namespace: web, settings: kernelDefaults }] };
    expect(formatSnapshotTable(one, NOW).split('\n')[0]).toBe('db1 · Debian GNU/Linux 12 · kernel 6.1.0 · HZ 250 · netns web-1 (4026532512)');
  });

  it('carries every connection namespace and the head namespaces in JSON', () => {
    const snap = all([connection(1), connection(2, { id: '4026532512/i2', netns: web.id })]);
    const parsed = JSON.parse([...snapshotJsonChunks(snap)].join(''));
    expect(parsed.namespaces.map((n: { namespace: NetworkNamespace }) => n.namespace.label)).toEqual(['host', 'web-1']);
    expect(parsed.connections.map((c: Connection) => c.netns)).toEqual([NAMESPACE.id, web.id]);
  });
});

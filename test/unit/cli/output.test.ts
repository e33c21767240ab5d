import { describe, expect, it } from 'vitest';
import { snapshotJsonChunks } from '../../../main/cli/snapshot-json';
import { formatSnapshotTable } from '../../../main/cli/snapshot-table';
import type { Connection, Snapshot } from '../../../shared/model';
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

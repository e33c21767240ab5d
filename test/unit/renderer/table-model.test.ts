import { describe, expect, it } from 'vitest';
import type { KnownConnection } from '../../../shared/snapshot-delta';
import {
  addressSortKey,
  filterRows,
  idleOrder,
  isFiltering,
  nextSort,
  NO_FILTER,
  sortRows,
  type FilterSpec,
} from '../../../renderer/src/lib/table-model';
import { known, NOW } from '../../fixtures/connection';

const ids = (rows: KnownConnection[]) => rows.map((r) => r.connection.id);
const filter = (over: Partial<FilterSpec>): FilterSpec => ({ ...NO_FILTER, ...over });

describe('sortRows', () => {
  it('sorts idle time by the moment of the last packet, so rows read at different polls compare fairly', () => {
    // b was 100 s idle at NOW; a was 90 s idle 20 s later, i.e. 70 s idle at NOW: b is the more idle.
    const a = known({ id: 'a', idleMs: 90_000 }, NOW + 20_000);
    const b = known({ id: 'b', idleMs: 100_000 }, NOW);
    const c = known({ id: 'c', idleMs: null });
    expect(ids(sortRows([a, c, b], { column: 'idle', direction: 'desc' }))).toEqual(['b', 'a', 'c']);
    expect(ids(sortRows([a, c, b], { column: 'idle', direction: 'asc' }))).toEqual(['a', 'b', 'c']);
  });

  it('puts rows without a value last in both directions', () => {
    const rows = [known({ id: 'none', dropAt: null }), known({ id: 'soon', dropAt: NOW + 1 }), known({ id: 'late', dropAt: NOW + 9 })];
    expect(ids(sortRows(rows, { column: 'drop', direction: 'asc' }))).toEqual(['soon', 'late', 'none']);
    expect(ids(sortRows(rows, { column: 'drop', direction: 'desc' }))).toEqual(['late', 'soon', 'none']);
  });

  it('sorts addresses numerically (10.0.0.9 before 10.0.0.10, IPv4 before IPv6), then by port', () => {
    const rows = [
      known({ id: 'v6', remoteAddress: '2001:db8::1', remotePort: 1 }),
      known({ id: 'ten-b', remoteAddress: '10.0.0.10', remotePort: 80 }),
      known({ id: 'ten-a', remoteAddress: '10.0.0.10', remotePort: 22 }),
      known({ id: 'nine', remoteAddress: '10.0.0.9', remotePort: 443 }),
      known({ id: 'mapped', remoteAddress: '::ffff:10.0.0.8', remotePort: 5 }),
    ];
    expect(ids(sortRows(rows, { column: 'remote', direction: 'asc' }))).toEqual(['mapped', 'nine', 'ten-a', 'ten-b', 'v6']);
    expect(addressSortKey('10.0.0.9') < addressSortKey('10.0.0.10')).toBe(true);
  });

  it('sorts processes by name, case-insensitively, then pid; unknown processes last', () => {
    const rows = [
      known({ id: 'unknown', process: null, pid: null }),
      known({ id: 'sshd-2', process: 'sshd', pid: 20 }),
      known({ id: 'Nginx', process: 'Nginx', pid: 5 }),
      known({ id: 'sshd-1', process: 'sshd', pid: 3 }),
    ];
    expect(ids(sortRows(rows, { column: 'process', direction: 'asc' }))).toEqual(['Nginx', 'sshd-1', 'sshd-2', 'unknown']);
    expect(ids(sortRows(rows, { column: 'process', direction: 'desc' }))).toEqual(['sshd-2', 'sshd-1', 'Nginx', 'unknown']);
  });

  it('sorts "dropped by" by the rule name or kernel mechanism', () => {
    const rows = [
      known({ id: 'ka', dropReason: 'keepalive' }),
      known({ id: 'nat', dropReason: 'middlebox', dropBy: 'AWS NAT' }),
      known({ id: 'none', dropReason: null }),
    ];
    expect(ids(sortRows(rows, { column: 'dropBy', direction: 'asc' }))).toEqual(['nat', 'ka', 'none']);
  });

  it('keeps the order given for ties, so sorting from idleOrder breaks them most-idle first in both directions', () => {
    const rows = [known({ id: 'y', idleMs: 5 }), known({ id: 'x', idleMs: 5 }), known({ id: 'z', idleMs: 50 })];
    expect(ids(sortRows(rows, { column: 'keepalive', direction: 'asc' }))).toEqual(['y', 'x', 'z']);
    const base = idleOrder(rows);
    expect(ids(base)).toEqual(['z', 'y', 'x']);
    expect(ids(sortRows(base, { column: 'keepalive', direction: 'asc' }))).toEqual(['z', 'y', 'x']);
    expect(ids(sortRows(base, { column: 'keepalive', direction: 'desc' }))).toEqual(['z', 'y', 'x']);
  });

  it('orders 100,000 rows correctly by a countdown column', () => {
    const rows: KnownConnection[] = [];
    // A deterministic shuffle of drop moments, a tenth without any.
    for (let i = 0; i < 100_000; i++) {
      const v = (i * 7919) % 100_003;
      rows.push(known({ id: `i${i}`, dropAt: i % 10 === 0 ? null : NOW + v * 1000, idleMs: v }));
    }
    const sorted = sortRows(rows, { column: 'drop', direction: 'asc' });
    expect(sorted).toHaveLength(100_000);
    const drops = sorted.map((r) => r.connection.dropAt);
    const firstNull = drops.indexOf(null);
    expect(firstNull).toBe(90_000);
    expect(drops.slice(firstNull).every((d) => d === null)).toBe(true);
    const outOfOrder = drops.slice(1, firstNull).findIndex((d, i) => d! < drops[i]!);
    expect(outOfOrder).toBe(-1);
    expect(new Set(ids(sorted)).size).toBe(100_000);
  });
});

describe('nextSort', () => {
  it('flips the direction of the same column and starts another column in its natural direction', () => {
    expect(nextSort({ column: 'drop', direction: 'asc' }, 'drop')).toEqual({ column: 'drop', direction: 'desc' });
    expect(nextSort({ column: 'drop', direction: 'asc' }, 'idle')).toEqual({ column: 'idle', direction: 'desc' });
    expect(nextSort({ column: 'idle', direction: 'desc' }, 'process')).toEqual({ column: 'process', direction: 'asc' });
  });
});

describe('filterRows', () => {
  const rows = [
    known({ id: 'pg', remoteAddress: '10.0.0.2', remotePort: 5432, process: 'psql', user: 'alice', idleMs: 600_000 }),
    known({ id: 'web', localPort: 443, remoteAddress: '192.0.2.7', remotePort: 51000, process: 'nginx', pid: 812, user: 'www-data', idleMs: 5000 }),
    known({ id: 'ssh', state: 'CLOSE_WAIT', localPort: 22, remotePort: 60000, process: 'sshd', user: 'root', keepalive: false, timer: 'none', atRisk: true, idleMs: 90_000 }),
  ];

  it('matches every word of the text against address, port, pid, process and user, ignoring case', () => {
    expect(ids(filterRows(rows, filter({ text: '5432' }), NOW))).toEqual(['pg']);
    expect(ids(filterRows(rows, filter({ text: 'NGINX 443' }), NOW))).toEqual(['web']);
    expect(ids(filterRows(rows, filter({ text: 'www-data' }), NOW))).toEqual(['web']);
    expect(ids(filterRows(rows, filter({ text: '812' }), NOW))).toEqual(['web']);
    expect(ids(filterRows(rows, filter({ text: 'nginx 5432' }), NOW))).toEqual([]);
  });

  it('filters by state, keepalive and at-risk', () => {
    expect(ids(filterRows(rows, filter({ state: 'CLOSE_WAIT' }), NOW))).toEqual(['ssh']);
    expect(ids(filterRows(rows, filter({ keepalive: 'off' }), NOW))).toEqual(['ssh']);
    expect(ids(filterRows(rows, filter({ keepalive: 'on' }), NOW))).toEqual(['pg', 'web']);
    expect(ids(filterRows(rows, filter({ atRiskOnly: true }), NOW))).toEqual(['ssh']);
  });

  it('applies the minimum idle time at `now`, so rows cross it as time passes', () => {
    const minute = filter({ minIdleSec: 60 });
    expect(ids(filterRows(rows, minute, NOW))).toEqual(['pg', 'ssh']);
    // 55 s later the 5 s-idle connection has been idle 60 s.
    expect(ids(filterRows(rows, minute, NOW + 55_000))).toEqual(['pg', 'web', 'ssh']);
  });

  it('keeps the sorted order and returns the same rows when nothing filters', () => {
    expect(filterRows(rows, NO_FILTER, NOW)).toBe(rows);
    expect(isFiltering(NO_FILTER)).toBe(false);
    expect(isFiltering(filter({ text: '  ' }))).toBe(false);
    expect(isFiltering(filter({ atRiskOnly: true }))).toBe(true);
  });

  it('finds process names with control characters by their printable form', () => {
    const odd = [known({ id: 'odd', process: 'evil\x1b[2J' })];
    expect(ids(filterRows(odd, filter({ text: '\\x1b' }), NOW))).toEqual(['odd']);
  });
});

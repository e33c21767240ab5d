import { describe, expect, it } from 'vitest';
import type { KnownConnection } from '../../../../shared/snapshot-delta';
import { addressSortKey, idleOrder, nextSort, sortRows, upcomingProbeAt } from '../../../../renderer/src/connections/table-model';
import { known, NOW } from '../../../fixtures/connection';

const ids = (rows: KnownConnection[]) => rows.map((r) => r.connection.id);

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

  it('sorts keepalive on before off, and sockets whose keepalive is not known last', () => {
    const rows = [
      known({ id: 'unknown', keepalive: null, timer: 'retransmit' }),
      known({ id: 'off', keepalive: false, timer: 'none' }),
      known({ id: 'on', keepalive: true }),
    ];
    expect(ids(sortRows(rows, { column: 'keepalive', direction: 'desc' }))).toEqual(['on', 'off', 'unknown']);
    expect(ids(sortRows(rows, { column: 'keepalive', direction: 'asc' }))).toEqual(['off', 'on', 'unknown']);
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

describe('upcomingProbeAt', () => {
  const c = { probesAt: [NOW + 1000, NOW + 2000, NOW + 3000] };

  it('counts down to the next projected probe still to come as the earlier ones go out', () => {
    expect(upcomingProbeAt(c, NOW)).toBe(NOW + 1000);
    expect(upcomingProbeAt(c, NOW + 1000)).toBe(NOW + 2000);
    expect(upcomingProbeAt(c, NOW + 2500)).toBe(NOW + 3000);
  });

  it('gives the last one once all have passed, and none when none is planned', () => {
    expect(upcomingProbeAt(c, NOW + 9000)).toBe(NOW + 3000);
    expect(upcomingProbeAt({ probesAt: [] }, NOW)).toBeNull();
  });
});

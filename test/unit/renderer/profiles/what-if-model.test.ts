import { describe, expect, it } from 'vitest';
import type { WhatIfRow } from '../../../../shared/api/schemas';
import type { KnownConnection } from '../../../../shared/snapshot-delta';
import { formatClockTime } from '../../../../shared/time-format';
import {
  changesRow,
  effectOf,
  filterWhatIf,
  joinWhatIf,
  nextWhatIfSort,
  noteText,
  sortWhatIf,
  type WhatIfColumn,
  type WhatIfItem,
} from '../../../../renderer/src/profiles/what-if-model';
import { known, NOW } from '../../../fixtures/connection';

type Side = WhatIfRow['now'];
const side = (over: Partial<Side> = {}): Side => ({ nextProbeAt: NOW + 60_000, dropAt: NOW + 600_000, dropReason: 'keepalive', atRisk: false, ...over });
const row = (id: string, over: { now?: Partial<Side>; after?: Partial<Side>; note?: WhatIfRow['note'] } = {}): WhatIfRow => ({
  id,
  now: side(over.now),
  after: side(over.after),
  note: over.note ?? null,
});
const table = (...rows: KnownConnection[]) => new Map(rows.map((k) => [k.connection.id, k]));
const ids = (items: WhatIfItem[]) => items.map((i) => i.row.id);

describe('effectOf', () => {
  it('tells saved, newly at risk and still at risk apart', () => {
    expect(effectOf(row('a', { now: { atRisk: true }, after: { atRisk: false } }))).toBe('saved');
    expect(effectOf(row('a', { now: { atRisk: false }, after: { atRisk: true } }))).toBe('newly-at-risk');
    expect(effectOf(row('a', { now: { atRisk: true }, after: { atRisk: true } }))).toBe('still-at-risk');
    expect(effectOf(row('a'))).toBe('none');
  });
});

describe('joinWhatIf', () => {
  it('joins each row with its connection by id, and counts the rows the table does not hold', () => {
    const join = joinWhatIf([row('c1'), row('gone')], table(known({ id: 'c1', localAddress: '10.0.0.1', localPort: 40000, pid: 7, process: 'psql' })));
    expect(join.missing).toBe(1);
    const c1 = join.items.find((i) => i.row.id === 'c1')!;
    expect(c1).toMatchObject({ local: '10.0.0.1:40000', remote: '10.0.0.2:5432', process: '7 psql' });
    expect(join.items.find((i) => i.row.id === 'gone')).toMatchObject({ known: null, local: null, process: null });
  });

  it('keeps the items it found when joining again after a poll, and looks up only the missing ones', () => {
    const first = joinWhatIf([row('c1'), row('c2')], table(known({ id: 'c1' })));
    const again = joinWhatIf([row('c1'), row('c2')], table(known({ id: 'c1' }), known({ id: 'c2' })), first);
    expect(again.missing).toBe(0);
    expect(again.items.find((i) => i.row.id === 'c1')).toBe(first.items.find((i) => i.row.id === 'c1'));
  });

  it('makes process names printable', () => {
    const join = joinWhatIf([row('c1')], table(known({ id: 'c1', process: 'evil\u202eexe', pid: 3 })));
    expect(join.items[0]!.process).toBe('3 evil\\u202eexe');
  });
});

describe('sortWhatIf', () => {
  const rows = [
    row('late', { after: { dropAt: NOW + 900_000, nextProbeAt: NOW + 300_000 } }),
    row('saved', { now: { atRisk: true }, after: { dropAt: NOW + 500_000 } }),
    row('none', { after: { dropAt: null, nextProbeAt: null }, note: 'unchanged' }),
    row('risk', { after: { atRisk: true, dropAt: NOW + 100_000 } }),
  ];
  const items = joinWhatIf(rows, new Map()).items;

  it('starts from the soonest drop under the profile, rows without one last', () => {
    expect(ids(items)).toEqual(['risk', 'saved', 'late', 'none']);
  });

  it('sorts by effect with what needs attention first, and by every countdown either way', () => {
    expect(ids(sortWhatIf(items, { column: 'effect', direction: 'asc' }))).toEqual(['risk', 'saved', 'late', 'none']);
    expect(ids(sortWhatIf(items, { column: 'dropAfter', direction: 'desc' }))).toEqual(['late', 'saved', 'risk', 'none']);
    expect(ids(sortWhatIf(items, { column: 'probeAfter', direction: 'desc' }))[0]).toBe('late');
    expect(ids(sortWhatIf(items, { column: 'note', direction: 'asc' }))[0]).toBe('none');
  });

  it('sorts connections by the local address numerically, then the port; rows the table lacks last', () => {
    const joined = joinWhatIf(
      [row('b'), row('a'), row('c'), row('gone')],
      table(
        known({ id: 'a', localAddress: '10.0.0.9', localPort: 1 }),
        known({ id: 'b', localAddress: '10.0.0.10', localPort: 1 }),
        known({ id: 'c', localAddress: '::1', localPort: 1 }),
      ),
    ).items;
    expect(ids(sortWhatIf(joined, { column: 'connection', direction: 'asc' }))).toEqual(['a', 'b', 'c', 'gone']);
    expect(ids(sortWhatIf(joined, { column: 'connection', direction: 'desc' }))).toEqual(['c', 'b', 'a', 'gone']);
  });

  it('joins 100,000 rows and sorts them by four columns in well under a second or two', () => {
    const many = Array.from({ length: 100_000 }, (_, i) => row(`r${i}`, { after: { dropAt: NOW + ((i * 7919) % 100_000) * 1000, atRisk: i % 13 === 0 } }));
    const t0 = performance.now();
    const joined = joinWhatIf(many, new Map()).items;
    const columns: WhatIfColumn[] = ['dropAfter', 'effect', 'probeNow', 'note'];
    for (const column of columns) sortWhatIf(joined, { column, direction: 'asc' });
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('flips the direction on the same column and starts another ascending', () => {
    expect(nextWhatIfSort({ column: 'effect', direction: 'asc' }, 'effect')).toEqual({ column: 'effect', direction: 'desc' });
    expect(nextWhatIfSort({ column: 'effect', direction: 'desc' }, 'dropNow')).toEqual({ column: 'dropNow', direction: 'asc' });
  });
});

describe('noteText', () => {
  it("says when an armed timer fires, from the connection's own timer", () => {
    const k = known({ id: 'c1', timer: 'keepalive', timerExpiresAt: NOW + 3_600_000 });
    expect(noteText({ row: row('c1', { note: 'armed-timer' }), known: k }, NOW)).toBe(
      `keeps its armed timer, new values from its next firing at ${formatClockTime(NOW + 3_600_000, NOW)}`,
    );
    // without the connection: the next probe projected today is when the timer fires
    expect(noteText({ row: row('c1', { note: 'armed-timer', now: { nextProbeAt: NOW + 60_000 } }), known: null }, NOW)).toBe(
      `keeps its armed timer, new values from its next firing at ${formatClockTime(NOW + 60_000, NOW)}`,
    );
  });

  it('says own settings and no keepalive are not affected', () => {
    expect(noteText({ row: row('c', { note: 'own-settings' }), known: null }, NOW)).toBe('has its own keepalive values: not affected');
    expect(noteText({ row: row('c', { note: 'unchanged' }), known: null }, NOW)).toBe('no keepalive probes: not affected');
    expect(noteText({ row: row('c'), known: null }, NOW)).toBe('follows the new values');
  });
});

describe('filterWhatIf', () => {
  const joined = joinWhatIf(
    [row('db', { after: { dropAt: NOW + 1 } }), row('web'), row('gone')],
    table(
      known({ id: 'db', localAddress: '10.0.0.1', localPort: 40000, remoteAddress: '10.0.0.9', remotePort: 5432, pid: 77, process: 'Postgres' }),
      known({ id: 'web', localAddress: '10.0.0.1', localPort: 40001, remoteAddress: '10.0.0.8', remotePort: 443, pid: 12, process: 'nginx' }),
    ),
  ).items;

  it('finds rows by part of an endpoint, a port, a pid or the process, ignoring case', () => {
    expect(ids([...filterWhatIf(joined, { text: ':5432', changedOnly: false })])).toEqual(['db']);
    expect(ids([...filterWhatIf(joined, { text: 'POSTGRES', changedOnly: false })])).toEqual(['db']);
    expect(ids([...filterWhatIf(joined, { text: '10.0.0.8', changedOnly: false })])).toEqual(['web']);
    expect(ids([...filterWhatIf(joined, { text: ' 12 ', changedOnly: false })])).toEqual(['web']);
    expect(filterWhatIf(joined, { text: '  ', changedOnly: false })).toBe(joined);
  });

  it('keeps only the rows the profile changes when asked', () => {
    expect(changesRow(row('x'))).toBe(false);
    expect(changesRow(row('x', { after: { atRisk: true } }))).toBe(true);
    expect(ids([...filterWhatIf(joined, { text: '', changedOnly: true })])).toEqual(['db']);
  });
});

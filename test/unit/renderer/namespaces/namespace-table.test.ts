import { describe, expect, it } from 'vitest';
import { filterRows, NO_FILTER, type FilterSpec } from '../../../../shared/connection-filter';
import type { KnownConnection } from '../../../../shared/snapshot-delta';
import { columnsFor, gridTemplate } from '../../../../renderer/src/connections/columns';
import { sortRows } from '../../../../renderer/src/connections/table-model';
import { known, NOW } from '../../../fixtures/connection';

/** The all-namespaces view: the table sorts and filters by the namespace a connection lives in. */
const HOST = '4026531840';
const WEB = '4026532301';
const LAB = '4026532503';
const labels = new Map([
  [HOST, 'host'],
  [WEB, 'web-1'],
  [LAB, 'Lab'],
]);
const rank = new Map([
  [HOST, 0],
  [LAB, 1],
  [WEB, 2],
]);

const rows = [
  known({ id: `${WEB}/i1`, netns: WEB, process: 'nginx' }),
  known({ id: `${HOST}/i2`, netns: HOST, process: 'sshd' }),
  known({ id: `${LAB}/i3`, netns: LAB, process: 'psql' }),
  known({ id: '99/i4', netns: '99', process: 'gone' }),
  known({ id: `${HOST}/i5`, netns: HOST, process: 'web-proxy' }),
];
const ids = (list: KnownConnection[]) => list.map((r) => r.connection.id);
const filter = (text: string): FilterSpec => ({ ...NO_FILTER, text });

describe('the namespace column', () => {
  it('sorts the host first, then by label; a namespace the snapshot does not name last', () => {
    expect(ids(sortRows(rows, { column: 'namespace', direction: 'asc' }, { namespaceRank: rank }))).toEqual([
      `${HOST}/i2`,
      `${HOST}/i5`,
      `${LAB}/i3`,
      `${WEB}/i1`,
      '99/i4',
    ]);
    expect(ids(sortRows(rows, { column: 'namespace', direction: 'desc' }, { namespaceRank: rank }))[0]).toBe(`${WEB}/i1`);
  });

  it('keeps the order given when there is no namespace order (a single namespace)', () => {
    expect(ids(sortRows(rows, { column: 'namespace', direction: 'asc' }))).toEqual(ids(rows));
  });

  it('finds connections by their namespace label, case-insensitively, together with other words', () => {
    expect(ids(filterRows(rows, filter('WEB-1'), NOW, { namespaceLabels: labels }))).toEqual([`${WEB}/i1`]);
    // A word may be in the label or in the row: "web" is web-1's label and host's web-proxy.
    expect(ids(filterRows(rows, filter('web'), NOW, { namespaceLabels: labels }))).toEqual([`${WEB}/i1`, `${HOST}/i5`]);
    expect(ids(filterRows(rows, filter('lab psql'), NOW, { namespaceLabels: labels }))).toEqual([`${LAB}/i3`]);
    expect(ids(filterRows(rows, filter('lab nginx'), NOW, { namespaceLabels: labels }))).toEqual([]);
  });

  it('does not search labels without them (a single namespace, the CLI)', () => {
    expect(ids(filterRows(rows, filter('web-1'), NOW))).toEqual([]);
  });

  it('is the first column only in the all-namespaces view', () => {
    expect(columnsFor(false).map((c) => c.id)).not.toContain('namespace');
    expect(columnsFor(true)[0]!.id).toBe('namespace');
    expect(gridTemplate(columnsFor(true)).split(' ').length).toBeGreaterThan(gridTemplate(columnsFor(false)).split(' ').length);
  });
});

import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CSV_CONNECTION_HEADERS, CSV_ENDED_HEADERS } from '../../../main/report/csv';
import { renderReport } from '../../../main/report/index';
import { connection, NOW } from '../../fixtures/connection';
import { endedConnection, HOSTILE_NAMES, hostileConnections, postMortem, reportInput } from './report-input';

const MODELLED = {
  idleProvenance: 'estimated',
  precision: 'model',
  effective: { timeSec: 7200, intervalSec: 75, probes: 8, userTimeoutMs: 0, source: 'assumed' },
} as const;

/** What a spreadsheet would read as a formula: the first character of a text cell. */
const FORMULA_START = /^[=+\-@\t\r\n]/;

function parseCsv(text: string): Record<string, string>[] {
  // Strict RFC 4180 reading: every record the same length, quotes only where allowed.
  return parse(text, { columns: true, relax_quotes: false, relax_column_count: false, record_delimiter: '\r\n' });
}

describe('CSV report', () => {
  it('is RFC 4180: a header row, CRLF line ends, one row per connection, parsed back by csv-parse', () => {
    const text = renderReport(reportInput([connection(), connection({ id: 'b', localPort: 40001, process: 'a,b "c"' })]), 'csv');
    expect(text.split('\r\n')[0]).toBe(CSV_CONNECTION_HEADERS.join(','));
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    const rows = parseCsv(text);
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => r.process)).toContain('a,b "c"');
  });

  it('writes times as ISO 8601 UTC and durations as numbers in the unit its header names', () => {
    const [row] = parseCsv(renderReport(reportInput([connection()]), 'csv'));
    expect(row).toMatchObject({
      state: 'ESTABLISHED',
      'local port': '40000',
      'idle s': '252',
      'next probe at': new Date(NOW + 348_000).toISOString(),
      'drop at': new Date(NOW + 648_000).toISOString(),
      'drop window from': new Date(NOW + 639_000).toISOString(),
      'drop reason': 'keepalive',
      'at risk': 'no',
    });
  });

  it('keeps negative numbers negative in numeric columns (an overdue drop), unquoted and unprefixed', () => {
    const text = renderReport(reportInput([connection({ dropAt: NOW - 12_500 })]), 'csv');
    const [row] = parseCsv(text);
    expect(row!['drop in s']).toBe('-12.5');
    expect(text).toContain(',-12.5,');
  });

  it('neutralises every text cell a spreadsheet would run as a formula, whatever the process or user named itself', () => {
    const rows = parseCsv(renderReport(reportInput(hostileConnections()), 'csv'));
    expect(rows).toHaveLength(Object.keys(HOSTILE_NAMES).length);
    for (const row of rows) {
      for (const column of ['process', 'user', 'dropped by']) {
        const cell = row[column]!;
        expect(cell, `${column}: ${cell.slice(0, 40)}`).not.toMatch(FORMULA_START);
        expect(cell).not.toMatch(/[\x00-\x1f\x7f-\x9f\u202e]/);
        expect(cell.length).toBeLessThanOrEqual(1024);
      }
    }
    const byPort = (port: number) => rows.find((r) => r['local port'] === String(port))!;
    const names = Object.keys(HOSTILE_NAMES);
    const row = (key: keyof typeof HOSTILE_NAMES) => byPort(41000 + names.indexOf(key));
    expect(row('equals').process).toBe(`'${HOSTILE_NAMES.equals}`);
    expect(row('plus').process).toBe(`'${HOSTILE_NAMES.plus}`);
    expect(row('minus').process).toBe(`'${HOSTILE_NAMES.minus}`);
    expect(row('at').process).toBe(`'${HOSTILE_NAMES.at}`);
    // printable() shows a leading tab, CR or LF as its escape: the cell starts with a backslash.
    expect(row('tab').process).toBe('\\x09=1+1');
    expect(row('carriageReturn').process).toBe('\\x0d=1+1');
    expect(row('lineFeed').process).toBe('\\x0a=1+1');
    expect(row('controls').process).toBe('evil\\x1b[31m\\x07\\x00name\\x9b');
    expect(row('bidi').process).toBe('\\u202eexe.evil');
    expect(row('long').process).toHaveLength(1024);
    expect(row('long').process!.endsWith('…')).toBe(true);
    expect(row('loneHigh').process).toBe('x\uFFFDy');
    expect(row('loneLow').process).toBe('\uFFFDz');
  });

  it('is a header row alone when no connection is in scope', () => {
    const text = renderReport(reportInput([connection()], { scope: { kind: 'filtered', filter: { text: '', state: 'LISTEN', minIdleSec: null, keepalive: 'any', atRiskOnly: false } } }), 'csv');
    expect(text).toBe(`${CSV_CONNECTION_HEADERS.join(',')}\r\n`);
  });

  it('shows only the scope: the filtered connections', () => {
    const input = reportInput([connection({ idleMs: 5000 }), connection({ id: 'b', localPort: 40001, idleMs: 120_000 })], {
      scope: { kind: 'filtered', filter: { text: '', state: null, minIdleSec: 60, keepalive: 'any', atRiskOnly: false } },
    });
    expect(parseCsv(renderReport(input, 'csv')).map((r) => r['local port'])).toEqual(['40001']);
  });

  it('is the table of ended connections for a post-mortem, hostile names neutralised there too', () => {
    const ended = [
      endedConnection(),
      endedConnection({ process: HOSTILE_NAMES.equals, user: HOSTILE_NAMES.at, cause: 'middlebox', evidence: ['-1 looked odd', 'second'], statesSeen: ['ESTABLISHED', 'FIN_WAIT1'] }),
      endedConnection({ lastSeen: null, process: null, pid: null, user: null, idleAtEndMs: null, projectedDropAt: null, projectedDropReason: null, cause: 'unknown', evidence: [] }),
    ];
    const text = renderReport(reportInput([connection()], { postMortem: postMortem(ended) }), 'csv');
    expect(text.split('\r\n')[0]).toBe(CSV_ENDED_HEADERS.join(','));
    const rows = parseCsv(text);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({
      'ended at': new Date(NOW - 60_000).toISOString(),
      local: '10.0.0.1:40000',
      remote: '10.0.0.2:5432',
      process: 'psql',
      pid: '101',
      'idle at end s': '900',
      'projected drop at': new Date(NOW - 60_200).toISOString(),
      cause: 'keepalive',
      evidence: 'It ended 0.2 s after its projected keepalive drop.; 5 probes were out unanswered when it ended.',
      'states seen': 'ESTABLISHED',
    });
    expect(rows[1]).toMatchObject({ process: `'${HOSTILE_NAMES.equals}`, user: `'${HOSTILE_NAMES.at}`, evidence: "'-1 looked odd; second", 'states seen': 'ESTABLISHED → FIN_WAIT1' });
    expect(rows[2]).toMatchObject({ process: '', pid: '', user: '', 'idle at end s': '', cause: 'unknown', evidence: '' });
  });

  it('says each value’s provenance in plain words: idle, keepalive values, projection', () => {
    const rows = parseCsv(renderReport(reportInput([connection(), connection({ id: 'mac', localPort: 40001, ...MODELLED }), connection({ id: 'l', localPort: 40002, idleMs: null })]), 'csv'));
    expect(CSV_CONNECTION_HEADERS.slice(-3)).toEqual(['idle provenance', 'keepalive provenance', 'projection provenance']);
    const cells = (r: Record<string, string>) => [r['idle provenance'], r['keepalive provenance'], r['projection provenance']];
    expect(rows.map(cells)).toEqual([
      ['kernel', 'assumed', 'kernel'],
      ['estimated', 'assumed', 'model'],
      ['', 'assumed', 'kernel'],
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { ExportRequestSchema, type RecordingInfo } from '../../../../shared/api/schemas';
import { NO_FILTER, type FilterSpec } from '../../../../shared/connection-filter';
import {
  allConnectionsLabel,
  defaultSource,
  effectiveSource,
  endsLabel,
  endSourceDetail,
  endSourceShort,
  exportRequest,
  FORMAT_CHOICES,
  formatBytes,
  formatStopwatch,
  newestFirst,
  recordingLabel,
  reportFilter,
  savedMessage,
  shownOfTotal,
  sourceChoices,
} from '../../../../renderer/src/reports/export-choices';

const nginx: FilterSpec = { ...NO_FILTER, text: 'nginx' };
const at = (iso: string) => new Date(iso).getTime();
const recording = (name: string, startedAt: number | null, stoppedAt: number | null, bytes = 2048): RecordingInfo => ({
  name,
  startedAt,
  stoppedAt,
  bytes,
  endSource: 'polls',
});

describe('the formats offered', () => {
  it('are CSV, JSON, HTML and PDF, each with what it is for', () => {
    expect(FORMAT_CHOICES.map((c) => `${c.label} ${c.purpose}`)).toEqual([
      'CSV for spreadsheets',
      'JSON for scripts',
      'HTML to read or attach',
      'PDF to print',
    ]);
  });
});

describe('what to export', () => {
  it('with a filter on: what the table shows (12 of 340), all 340, or a recording', () => {
    const choices = sourceChoices({ filter: nginx, shown: 12, total: 340, recordings: 2 });
    expect(choices.map((c) => [c.source, c.label, c.disabled])).toEqual([
      ['filtered', 'What the table shows (12 of 340)', false],
      ['all', 'All 340 connections', false],
      ['recording', 'Post-mortem of a recording', false],
    ]);
  });

  it('without a filter, “what the table shows” is not offered: it would be everything again', () => {
    const choices = sourceChoices({ filter: NO_FILTER, shown: 340, total: 340, recordings: 1 });
    expect(choices.map((c) => c.source)).toEqual(['all', 'recording']);
  });

  it.each<[string, FilterSpec]>([
    ['a state', { ...NO_FILTER, state: 'ESTABLISHED' }],
    ['a minimum idle time', { ...NO_FILTER, minIdleSec: 300 }],
    ['keepalive off', { ...NO_FILTER, keepalive: 'off' }],
    ['at risk only', { ...NO_FILTER, atRiskOnly: true }],
  ])('%s counts as a filter', (_name, filter) => {
    expect(sourceChoices({ filter, shown: 1, total: 2, recordings: 0 })[0]!.source).toBe('filtered');
    expect(defaultSource(filter)).toBe('filtered');
  });

  it('a text of spaces alone is no filter', () => {
    expect(defaultSource({ ...NO_FILTER, text: '   ' })).toBe('all');
  });

  it('without recordings, the post-mortem is offered disabled, saying how to make one', () => {
    const post = sourceChoices({ filter: NO_FILTER, shown: 0, total: 0, recordings: 0 }).find((c) => c.source === 'recording')!;
    expect(post.disabled).toBe(true);
    expect(post.note).toMatch(/Record/);
  });

  it('counts read with thousands separators, and one connection is singular', () => {
    expect(shownOfTotal(1234, 100_000)).toBe('1,234 of 100,000');
    expect(allConnectionsLabel(1)).toBe('All 1 connection');
    expect(allConnectionsLabel(0)).toBe('All 0 connections');
  });

  it('opens on what the user is looking at', () => {
    expect(defaultSource(nginx)).toBe('filtered');
    expect(defaultSource(NO_FILTER)).toBe('all');
  });

  it('a choice no longer offered (the filter was cleared, the recordings are gone) falls back to everything', () => {
    const unfiltered = sourceChoices({ filter: NO_FILTER, shown: 5, total: 5, recordings: 0 });
    expect(effectiveSource('filtered', unfiltered)).toBe('all');
    expect(effectiveSource('recording', unfiltered)).toBe('all');
    const filtered = sourceChoices({ filter: nginx, shown: 1, total: 5, recordings: 1 });
    expect(effectiveSource('filtered', filtered)).toBe('filtered');
    expect(effectiveSource('recording', filtered)).toBe('recording');
  });
});

describe('the request sent to exportReport', () => {
  it('what the table shows: scope filtered with the table’s filter', () => {
    const request = exportRequest({ format: 'csv', source: 'filtered', filter: nginx, recording: 'recording-20261125T164500Z.ndjson' });
    expect(request).toEqual({ format: 'csv', scope: 'filtered', filter: nginx, recording: null });
    expect(ExportRequestSchema.safeParse(request).success).toBe(true);
  });

  it('everything: scope all', () => {
    expect(exportRequest({ format: 'json', source: 'all', filter: nginx, recording: null })).toMatchObject({ scope: 'all', recording: null });
  });

  it('a post-mortem: the whole recording, by its name', () => {
    const request = exportRequest({ format: 'html', source: 'recording', filter: nginx, recording: 'recording-20261125T164500Z.ndjson' });
    expect(request).toMatchObject({ format: 'html', scope: 'all', recording: 'recording-20261125T164500Z.ndjson' });
    expect(ExportRequestSchema.safeParse(request).success).toBe(true);
  });

  it('a fractional minimum idle time from the table is rounded up to whole seconds, as the contract takes it', () => {
    expect(reportFilter({ ...NO_FILTER, minIdleSec: 1.5 }).minIdleSec).toBe(2);
    expect(reportFilter({ ...NO_FILTER, minIdleSec: 300 }).minIdleSec).toBe(300);
    const request = exportRequest({ format: 'csv', source: 'filtered', filter: { ...NO_FILTER, minIdleSec: 0.5 }, recording: null });
    expect(ExportRequestSchema.safeParse(request).success).toBe(true);
  });

  it('the table’s filter object is not handed over itself (the request is plain data)', () => {
    const filter = { ...nginx };
    expect(exportRequest({ format: 'csv', source: 'filtered', filter, recording: null }).filter).not.toBe(filter);
  });
});

describe('the recordings list', () => {
  const now = at('2026-11-25T18:00:00');

  it('newest first, one with no known start last', () => {
    const list = newestFirst([
      recording('recording-20261124T100000Z.ndjson', at('2026-11-24T10:00:00Z'), at('2026-11-24T11:00:00Z')),
      recording('recording-20261125T100000Z.ndjson', null, null),
      recording('recording-20261125T160000Z.ndjson', at('2026-11-25T16:00:00Z'), at('2026-11-25T16:30:00Z')),
    ]);
    expect(list.map((r) => r.name)).toEqual([
      'recording-20261125T160000Z.ndjson',
      'recording-20261124T100000Z.ndjson',
      'recording-20261125T100000Z.ndjson',
    ]);
  });

  it('shows when it started, how long it ran and its size', () => {
    expect(recordingLabel(recording('recording-20261125T164500Z.ndjson', at('2026-11-25T16:45:00'), at('2026-11-25T17:00:00'), 12_700), null, now)).toBe(
      '16:45:00 · 15 min · 12 KB',
    );
    expect(recordingLabel(recording('recording-20261124T100000Z.ndjson', at('2026-11-24T10:00:00'), at('2026-11-24T11:00:00'), 800), null, now)).toBe(
      '2026-11-24 10:00:00 · 1 h · 800 B',
    );
  });

  it('one that never recorded its stop was cut short; the one being written is “recording now”', () => {
    const open = recording('recording-20261125T164500Z.ndjson', at('2026-11-25T16:45:00'), null);
    expect(recordingLabel(open, null, now)).toBe('16:45:00 · 2.0 KB · cut short');
    expect(recordingLabel(open, 'recording-20261125T164500Z.ndjson', now)).toBe('16:45:00 · 2.0 KB · recording now');
  });

  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KB'],
    [12_700, '12 KB'],
    [3.1 * 1024 * 1024, '3.1 MB'],
    [5 * 1024 ** 3, '5.0 GB'],
  ])('%d bytes read as %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe('the Record control', () => {
  it.each([
    [0, '00:00'],
    [999, '00:00'],
    [151_000, '02:31'],
    [3_751_000, '1:02:31'],
    [-5000, '00:00'],
  ])('%d ms recorded reads %s', (ms, text) => {
    expect(formatStopwatch(ms)).toBe(text);
  });

  it('counts the ends', () => {
    expect(endsLabel(3)).toBe('3 ended');
    expect(endsLabel(12_345)).toBe('12,345 ended');
  });

  it('says where the ends come from, briefly and in full, with the core’s note on why', () => {
    expect(endSourceShort({ endSource: 'kernel-events' })).toBe('ends from kernel events');
    expect(endSourceShort({ endSource: 'polls' })).toBe('ends from polls');
    expect(endSourceShort({ endSource: null })).toBeNull();
    expect(endSourceDetail({ endSource: 'kernel-events', endSourceNote: null, intervalMs: 2000 })).toMatch(/kernel’s socket events.*moment/);
    expect(endSourceDetail({ endSource: 'polls', endSourceNote: 'Kernel events need root.', intervalMs: 2000 })).toBe(
      'Connection ends come from the polls (every 2 s): a connection that is gone from one poll to the next ended between the two. Kernel events need root.',
    );
  });
});

describe('after an export', () => {
  it('the desktop says where the file went; a browser, that it downloaded it', () => {
    expect(savedMessage('idlewatch-db1.csv', '/home/admin/Documents/idlewatch-db1.csv')).toBe('Saved to /home/admin/Documents/idlewatch-db1.csv.');
    expect(savedMessage('idlewatch-db1.csv', null)).toBe('Downloaded idlewatch-db1.csv.');
  });
});

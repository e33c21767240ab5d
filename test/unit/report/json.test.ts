import { describe, expect, it } from 'vitest';
import { renderReport } from '../../../main/report/index';
import { REPORT_SCHEMA, type ReportDocument } from '../../../main/report/json';
import { SnapshotSchema } from '../../../shared/model/schemas';
import { connection, NOW } from '../../fixtures/connection';
import { historyEntry } from '../../fixtures/profiles';
import { endedConnection, HOSTILE_NAMES, postMortem, reportInput } from './report-input';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const parsed = (text: string) => JSON.parse(text) as ReportDocument;

describe('JSON report', () => {
  it('is one JSON document, schema idlewatch.report/1, with generator, scope, summary, rules and history', () => {
    const input = reportInput([connection(), connection({ id: 'b', state: 'TIME_WAIT', idleMs: null, timer: 'timewait', keepalive: null, dropAt: null, dropReason: null, probesAt: [], nextProbeAt: null })]);
    const doc = parsed(renderReport(input, 'json'));
    expect(doc.schema).toBe(REPORT_SCHEMA);
    expect(doc.generatedAt).toBe(NOW + 1000);
    expect(doc.generator).toEqual({ name: 'idlewatch', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(doc.scope).toEqual({ kind: 'all', filter: null, connections: 2, of: 2, description: 'All 2 connections' });
    expect(doc.summary.byState).toEqual([
      { state: 'ESTABLISHED', count: 1 },
      { state: 'TIME_WAIT', count: 1 },
    ]);
    expect(doc.rules).toEqual(input.rules);
    expect(doc.history).toEqual([historyEntry()]);
    expect(doc.settingsExplained.detection).toMatch(/^A silent peer is detected 15 min after its last packet/);
    expect(doc).not.toHaveProperty('postMortem');
  });

  it('carries a snapshot that SnapshotSchema accepts, holding only the connections in scope', () => {
    const input = reportInput([connection({ idleMs: 5000 }), connection({ id: 'b', localPort: 40001, idleMs: 120_000 })], {
      scope: { kind: 'filtered', filter: { text: '', state: 'ESTABLISHED', minIdleSec: 60, keepalive: 'any', atRiskOnly: false } },
    });
    const doc = parsed(renderReport(input, 'json'));
    const check = SnapshotSchema.safeParse(doc.snapshot);
    expect(check.success, JSON.stringify(check.error?.issues)).toBe(true);
    expect(doc.snapshot.connections.map((c) => c.localPort)).toEqual([40001]);
    expect(doc.scope).toMatchObject({ kind: 'filtered', connections: 1, of: 2, description: '1 of 2 connections: state ESTABLISHED, idle ≥ 60 s' });
  });

  it('keeps the system’s strings as they are (JSON escapes them), with lone surrogates replaced', () => {
    const names = [HOSTILE_NAMES.markup, HOSTILE_NAMES.controls, HOSTILE_NAMES.long, HOSTILE_NAMES.loneHigh, HOSTILE_NAMES.loneLow, HOSTILE_NAMES.equals];
    const text = renderReport(reportInput(names.map((process, i) => connection({ id: `c${i}`, localPort: 41000 + i, process }))), 'json');
    expect(text).not.toMatch(/\\ud[89a-f][0-9a-f]{2}/i);
    const doc = parsed(text);
    const processes = [...doc.snapshot.connections].sort((a, b) => a.localPort - b.localPort).map((c) => c.process);
    expect(processes).toEqual([HOSTILE_NAMES.markup, HOSTILE_NAMES.controls, HOSTILE_NAMES.long, 'x\uFFFDy', '\uFFFDz', HOSTILE_NAMES.equals]);
    for (const p of processes) expect(p).not.toMatch(LONE_SURROGATE);
  });

  it('carries the post-mortem of a recording', () => {
    const pm = postMortem([endedConnection(), endedConnection({ cause: 'reset', process: 'x\udc00' })]);
    const doc = parsed(renderReport(reportInput([connection()], { postMortem: pm }), 'json'));
    expect(doc.postMortem!.byCause).toMatchObject({ keepalive: 1, reset: 1 });
    expect(doc.postMortem!.ended.map((e) => e.process)).toEqual(['psql', 'x\uFFFD']);
    expect(doc.postMortem!.recording.name).toBe('recording-20251124T113000Z.ndjson');
  });

  it('is valid JSON with no connection at all', () => {
    const doc = parsed(renderReport(reportInput([]), 'json'));
    expect(doc.snapshot.connections).toEqual([]);
    expect(SnapshotSchema.safeParse(doc.snapshot).success).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { describeFilter, scopeOf } from '../../../main/report/scope';
import { summarize } from '../../../main/report/summary';
import { NO_FILTER } from '../../../shared/connection-filter';
import { connection, NAMESPACE, NOW, SETTINGS } from '../../fixtures/connection';
import { reportInput } from './report-input';

const MODELLED = {
  idleProvenance: 'estimated',
  precision: 'model',
  effective: { timeSec: 7200, intervalSec: 75, probes: 8, userTimeoutMs: 0, source: 'assumed' },
} as const;

const listener = connection({ id: 'l', state: 'LISTEN', idleMs: null, keepalive: null, timer: 'none', nextProbeAt: null, probesAt: [], dropAt: null, dropReason: null });

describe('report summary', () => {
  it('counts states in the kernel’s order, keepalive as the table’s KA column says it, and connections at risk', () => {
    const s = summarize(
      [
        connection(),
        connection({ id: 'off', keepalive: false, timer: 'none', atRisk: true }),
        connection({ id: 'unknown', keepalive: null, timer: 'none' }),
        connection({ id: 'tw', state: 'TIME_WAIT', keepalive: null, timer: 'timewait', idleMs: null }),
        listener,
      ],
      NOW,
    );
    expect(s.connections).toBe(5);
    expect(s.byState).toEqual([
      { state: 'ESTABLISHED', count: 3 },
      { state: 'TIME_WAIT', count: 1 },
      { state: 'LISTEN', count: 1 },
    ]);
    expect(s.keepalive).toEqual({ on: 1, off: 1, unknown: 1, notApplicable: 2 });
    expect(s.atRisk).toBe(1);
  });

  it('puts each idle time in its bucket, edges included in the upper one, and counts sockets without one apart', () => {
    const idle = [0, 9_999, 10_000, 59_000, 60_000, 299_999, 300_000, 7_200_000, 86_400_000, 200_000_000];
    const s = summarize([...idle.map((idleMs, i) => connection({ id: `c${i}`, idleMs })), listener], NOW);
    expect(s.idle.buckets.map((b) => [b.label, b.count])).toEqual([
      ['< 10 s', 2],
      ['10 s – 1 min', 2],
      ['1 – 5 min', 2],
      ['5 – 15 min', 1],
      ['15 – 60 min', 0],
      ['1 – 2 h', 0],
      ['2 – 24 h', 1],
      ['≥ 1 d', 2],
    ]);
    expect(s.idle.unknown).toBe(1);
  });

  it('counts drops and probes within the hour after the snapshot, per minute and per 10 seconds, and the drops already overdue', () => {
    const s = summarize(
      [
        connection({ dropAt: NOW + 648_000, probesAt: [NOW + 348_000, NOW + 408_000, NOW + 3_600_000] }),
        connection({ id: 'mb', dropAt: NOW + 1000, dropReason: 'middlebox', dropBy: 'NAT', probesAt: [], nextProbeAt: NOW + 5000 }),
        connection({ id: 'late', dropAt: NOW + 3_600_000, probesAt: [] , nextProbeAt: null}),
        connection({ id: 'over', dropAt: NOW - 1, probesAt: [], nextProbeAt: null }),
      ],
      NOW,
    );
    expect(s.nextHour).toMatchObject({ from: NOW, to: NOW + 3_600_000, drops: 2, probes: 3, overdue: 1 });
    expect(s.nextHour.dropsByReason).toEqual({ keepalive: 1, retransmit: 0, 'user-timeout': 0, 'zero-window': 0, middlebox: 1, application: 0 });
    expect(s.timeline.bins).toHaveLength(60);
    expect(s.timeline.bins[0]!.drops.middlebox).toBe(1);
    expect(s.timeline.bins[10]!).toMatchObject({ startAt: NOW + 600_000, drops: { keepalive: 1 } });
    expect(s.timeline.probeMarks).toEqual([
      { at: NOW, probes: 1 },
      { at: NOW + 340_000, probes: 1 },
      { at: NOW + 400_000, probes: 1 },
    ]);
  });

  it('is all zeros for no connection', () => {
    const s = summarize([], NOW);
    expect(s).toMatchObject({ connections: 0, byState: [], atRisk: 0, nextHour: { drops: 0, probes: 0, overdue: 0 } });
    expect(s.timeline.probeMarks).toEqual([]);
  });

  it('counts connections per provenance of idle, keepalive values and projection, idle only where there is one', () => {
    const s = summarize(
      [
        connection(),
        connection({ id: 'socket', effective: { ...connection().effective, source: 'socket' } }),
        connection({ id: 'mac', ...MODELLED }),
        listener,
      ],
      NOW,
    );
    expect(s.provenance).toEqual({
      idle: { kernel: 2, assumed: 0, estimated: 1, model: 0 },
      keepalive: { kernel: 1, assumed: 3, estimated: 0, model: 0 },
      projection: { kernel: 3, assumed: 0, estimated: 0, model: 1 },
    });
  });
});

describe('report scope', () => {
  it('describes every condition of the filter', () => {
    expect(describeFilter({ text: ' psql  ', state: 'ESTABLISHED', minIdleSec: 60, keepalive: 'off', atRiskOnly: true })).toBe(
      'matching “psql”, state ESTABLISHED, idle ≥ 60 s, keepalive off, at risk only',
    );
    expect(describeFilter({ ...NO_FILTER, text: '\u202eevil\\' })).toBe('matching “\\u202eevil\\”');
  });

  it('shows every connection for "all", whatever the filter, soonest drop first and undropped ones last', () => {
    const input = reportInput([listener, connection({ id: 'b', dropAt: NOW + 2000 }), connection({ id: 'a', dropAt: NOW + 1000 })], {
      scope: { kind: 'all', filter: { ...NO_FILTER, state: 'LISTEN' } },
    });
    const scoped = scopeOf(input);
    expect(scoped.connections.map((c) => c.id)).toEqual(['a', 'b', 'l']);
    expect(scoped).toMatchObject({ total: 3, filter: null, description: 'All 3 connections' });
  });

  it('finds connections by their namespace’s label in a report of several namespaces, as the table does', () => {
    const web = { namespace: { ...NAMESPACE, id: '4026532500', current: false, label: 'docker: web-1', kind: 'docker' as const, pids: [4242] }, settings: SETTINGS };
    const input = reportInput([connection({ id: 'h' }), connection({ id: '4026532500/i9', netns: '4026532500' })], {
      scope: { kind: 'filtered', filter: { ...NO_FILTER, text: 'web-1' } },
    });
    input.snapshot.namespaces = [{ namespace: NAMESPACE, settings: SETTINGS }, web];
    expect(scopeOf(input).connections.map((c) => c.id)).toEqual(['4026532500/i9']);
  });

  it('says "of" when a filter leaves some out, and does not touch the snapshot’s own array', () => {
    const input = reportInput([listener, connection()], { scope: { kind: 'filtered', filter: { ...NO_FILTER, state: 'LISTEN' } } });
    const before = [...input.snapshot.connections];
    expect(scopeOf(input).description).toBe('1 of 2 connections: state LISTEN');
    expect(input.snapshot.connections).toEqual(before);
    expect(scopeOf(reportInput([connection()], { scope: { kind: 'filtered', filter: { ...NO_FILTER } } })).description).toBe('All 1 connection');
  });
});

import { describe, expect, it } from 'vitest';
import {
  byIdleDescending,
  connectionMatcher,
  filterConnections,
  filterRows,
  isFiltering,
  NO_FILTER,
  type FilterSpec,
} from '../../../shared/connection-filter';
import type { KnownConnection } from '../../../shared/snapshot-delta';
import { connection, known, NOW } from '../../fixtures/connection';

const ids = (rows: KnownConnection[]) => rows.map((r) => r.connection.id);
const filter = (over: Partial<FilterSpec>): FilterSpec => ({ ...NO_FILTER, ...over });

describe('filterRows (the table)', () => {
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

  it('finds a process named with a bidi override by what the table shows, typed or pasted', () => {
    const odd = [known({ id: 'odd', process: '\u202eevil.exe' }), known({ id: 'plain', process: 'exe.live' })];
    expect(ids(filterRows(odd, filter({ text: '\\u202eevil' }), NOW))).toEqual(['odd']);
    expect(ids(filterRows(odd, filter({ text: '\u202eevil' }), NOW))).toEqual(['odd']);
    // the override does not make "evil.exe" read as "exe.live"
    expect(ids(filterRows(odd, filter({ text: 'exe.live' }), NOW))).toEqual(['plain']);
  });
});

describe('the keepalive filter', () => {
  it('leaves out sockets where keepalive means nothing, and sockets whose keepalive is not known', () => {
    const rows = [
      known({ id: 'listen', state: 'LISTEN', keepalive: false, timer: 'none' }),
      known({ id: 'time-wait', state: 'TIME_WAIT', keepalive: null, timer: 'timewait' }),
      known({ id: 'in-flight', keepalive: null, timer: 'retransmit' }),
      known({ id: 'inferred-on', keepalive: null, timer: 'keepalive' }),
      known({ id: 'off', keepalive: false, timer: 'none' }),
    ];
    expect(ids(filterRows(rows, filter({ keepalive: 'on' }), NOW))).toEqual(['inferred-on']);
    expect(ids(filterRows(rows, filter({ keepalive: 'off' }), NOW))).toEqual(['off']);
  });
});

describe('connectionMatcher', () => {
  it('builds no search text for filters without text, and builds it once per connection for text', () => {
    const c = connection({ id: 'a' });
    expect(connectionMatcher(filter({ state: 'ESTABLISHED', minIdleSec: 1, keepalive: 'on' }))(c)).toBe(true);
    expect(Object.getOwnPropertySymbols(c)).toHaveLength(0);
    expect(connectionMatcher(filter({ text: 'psql' }))(c)).toBe(true);
    expect(Object.getOwnPropertySymbols(c)).toHaveLength(1);
    // the search text is not part of the data that goes on the wire
    expect(JSON.parse(JSON.stringify(c))).toEqual(connection({ id: 'a' }));
  });

  it('works on a frozen connection', () => {
    expect(connectionMatcher(filter({ text: 'alice' }))(Object.freeze(connection()))).toBe(true);
  });
});

describe('filterConnections (the CLI: --state, --idle-min)', () => {
  const connections = [
    connection({ id: 'short', idleMs: 59_999 }),
    connection({ id: 'long', idleMs: 60_000 }),
    connection({ id: 'listen', state: 'LISTEN', idleMs: null }),
  ];

  it('maps --state and --idle-min onto the same filter the table uses', () => {
    expect(filterConnections(connections, filter({ minIdleSec: 60 })).map((c) => c.id)).toEqual(['long']);
    expect(filterConnections(connections, filter({ state: 'LISTEN' })).map((c) => c.id)).toEqual(['listen']);
  });

  it('returns a new array even when nothing filters, so sorting it leaves the snapshot alone', () => {
    const all = filterConnections(connections, NO_FILTER);
    expect(all).not.toBe(connections);
    all.sort(byIdleDescending);
    expect(all.map((c) => c.id)).toEqual(['long', 'short', 'listen']);
    expect(connections.map((c) => c.id)).toEqual(['short', 'long', 'listen']);
  });
});

import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  EVENTS,
  EVENT_NAMES,
  METHODS,
  METHOD_NAMES,
  callChannel,
  eventChannel,
  fromResult,
  parseArgs,
  toResult,
  ApiFailure,
  type IdlewatchApi,
  type MethodArgs,
} from '../../../shared/api/contract';
import type { IdleRule } from '../../../shared/rules';
import type { Connection } from '../../../shared/model';
import { connection as fixture } from '../../fixtures/connection';

const rule: IdleRule = { id: 'nat', name: 'AWS NAT Gateway', kind: 'middlebox', idleTimeoutSec: 350, match: { remoteCidr: '10.0.0.0/8', remotePort: 5432 }, enabled: true };

/** Good and bad arguments for every method: the table must cover all of them. */
const CASES: { [M in keyof typeof METHODS]: { good: unknown[][]; bad: unknown[][] } } = {
  getSnapshot: { good: [[]], bad: [[1], ['x']] },
  getPollState: { good: [[]], bad: [[null]] },
  setPollInterval: { good: [[2000], [500], [60_000]], bad: [[], [499], [60_001], [1.5], ['2000'], [null], [2000, 1]] },
  pausePolling: { good: [[]], bad: [[true]] },
  resumePolling: { good: [[]], bad: [[{}]] },
  getRules: { good: [[]], bad: [[[]]] },
  setRules: {
    good: [[[]], [[rule]], [[rule, { ...rule, id: 'app', kind: 'application', match: {} }]], [[{ ...rule, match: { remoteCidr: '2001:db8::/32' } }]]],
    bad: [
      [],
      [rule],
      [[{ ...rule, kind: 'firewall' }]],
      [[{ ...rule, idleTimeoutSec: 0 }]],
      [[{ ...rule, idleTimeoutSec: 604_801 }]],
      [[{ ...rule, name: '' }]],
      [[{ ...rule, match: { remoteCidr: '10.0.0.0/33' } }]],
      [[{ ...rule, match: { remoteCidr: 'example.com' } }]],
      [[{ ...rule, match: { remotePort: 70000 } }]],
      [[{ ...rule, match: { command: 'rm -rf /' } }]],
      [[{ ...rule, extra: true }]],
      [[rule, rule]],
      [Array.from({ length: 201 }, (_, i) => ({ ...rule, id: `r${i}` }))],
    ],
  },
};

describe('API methods validate their arguments', () => {
  it('the test table covers every method', () => {
    expect(Object.keys(CASES).sort()).toEqual([...METHOD_NAMES].sort());
  });

  for (const method of METHOD_NAMES) {
    it.each(CASES[method].good)(`${method} accepts %j`, (...args) => {
      expect(() => parseArgs(method, args)).not.toThrow();
    });
    it.each(CASES[method].bad)(`${method} rejects %j as a bad request`, (...args) => {
      expect(() => parseArgs(method, args)).toThrow(ApiFailure);
      try {
        parseArgs(method, args);
      } catch (error) {
        expect((error as ApiFailure).code).toBe('bad-request');
        expect((error as ApiFailure).message).toMatch(new RegExp(`^${method}: `));
      }
    });
  }

  it('rejects arguments that are not an array at all', () => {
    expect(() => parseArgs('getRules', { length: 0 })).toThrow(ApiFailure);
  });
});

const connection: Connection = fixture();
const head = {
  seq: 2, takenAt: 1, pollMs: 12,
  host: { hostname: 'h', platform: 'linux', distro: 'Debian', release: '12', kernel: '6.1', arch: 'x64' },
  settings: { keepaliveTimeSec: 600, keepaliveIntervalSec: 60, keepaliveProbes: 5, tcpRetries2: 15 },
  clock: { hz: 250, anchor: null },
  diagnostics: { malformedLines: 0, processesDenied: 0, unattributedSockets: 0, processesScanned: 0, warnings: [] },
};

const EVENT_CASES: { [E in keyof typeof EVENTS]: { good: unknown[]; bad: unknown[] } } = {
  delta: {
    good: [{ ...head, baseSeq: 1, upserts: [connection], removed: ['i9'] }, { ...head, baseSeq: 0, upserts: [], removed: [] }],
    bad: [
      { ...head, baseSeq: 1, upserts: [{ ...connection, state: 'NAPPING' }], removed: [] },
      { ...head, baseSeq: 1, upserts: [{ ...connection, localPort: -1 }], removed: [] },
      { ...head, baseSeq: 1, upserts: [{ ...connection, dropReason: 'gremlins' }], removed: [] },
      { ...head, baseSeq: 1, upserts: [], removed: [7] },
      { ...head, upserts: [], removed: [] },
    ],
  },
  pollState: {
    good: [{ running: true, intervalMs: 2000, lastPollAt: null, lastError: null }],
    bad: [{ running: 'yes', intervalMs: 2000, lastPollAt: null, lastError: null }, { running: true, intervalMs: 10, lastPollAt: null, lastError: null }],
  },
  error: {
    good: [{ code: 'collector', message: 'netlink: Operation not permitted' }],
    bad: [{ code: 'oops', message: 'x' }, { message: 'no code' }],
  },
};

describe('API events validate their payloads', () => {
  it('the test table covers every event', () => {
    expect(Object.keys(EVENT_CASES).sort()).toEqual([...EVENT_NAMES].sort());
  });
  for (const event of EVENT_NAMES) {
    it.each(EVENT_CASES[event].good)(`${event} accepts a good payload (%#)`, (payload) => {
      expect(EVENTS[event].safeParse(payload).success).toBe(true);
    });
    it.each(EVENT_CASES[event].bad)(`${event} rejects a bad payload (%#)`, (payload) => {
      expect(EVENTS[event].safeParse(payload).success).toBe(false);
    });
  }
});

describe('results and channels', () => {
  it('wraps values and failures as results and unwraps them on the other side', async () => {
    expect(await toResult(async () => 5)).toEqual({ ok: true, value: 5 });
    const failed = await toResult(async () => {
      throw new ApiFailure('forbidden', 'no');
    });
    expect(failed).toEqual({ ok: false, error: { code: 'forbidden', message: 'no' } });
    expect(() => fromResult(failed)).toThrow('no');
    expect(await toResult(async () => JSON.parse('{'))).toMatchObject({ ok: false, error: { code: 'internal' } });
  });

  it('derives one distinct channel per method and event', () => {
    const channels = [...METHOD_NAMES.map(callChannel), ...EVENT_NAMES.map(eventChannel)];
    expect(new Set(channels).size).toBe(channels.length);
    expect(callChannel('setRules')).toBe('idlewatch:call:setRules');
  });

  it('types each method by its schema', () => {
    expectTypeOf<MethodArgs<'setPollInterval'>>().toEqualTypeOf<[number]>();
    expectTypeOf<IdlewatchApi['getRules']>().returns.resolves.toEqualTypeOf<IdleRule[]>();
  });
});

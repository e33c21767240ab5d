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
  type MethodResult,
  type NamespacesView,
  type PollState,
  type SnapshotView,
} from '../../../shared/api/contract';
import { PRESETS } from '../../../shared/profiles';
import type { IdleRule } from '../../../shared/rules';
import type { Connection } from '../../../shared/model';
import { connection as fixture } from '../../fixtures/connection';

const custom = { id: 'custom:db', name: 'Database', timeSec: 300, intervalSec: 30, probes: 4, rationale: 'Before the DB proxy forgets.', builtIn: false };

const rule: IdleRule = { id: 'nat', name: 'AWS NAT Gateway', kind: 'middlebox', idleTimeoutSec: 350, match: { remoteCidr: '10.0.0.0/8', remotePort: 5432 }, enabled: true };

const exportRequest = {
  format: 'csv',
  scope: 'all',
  filter: { text: '', state: null, minIdleSec: null, keepalive: 'any', atRiskOnly: false },
  recording: null,
};

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
      [[{ ...rule, name: '\u202eyawetaG TAN SWA' }]],
      [[{ ...rule, name: 'NAT\x1b[2J' }]],
      [[{ ...rule, match: { remoteCidr: '10.0.0.0/33' } }]],
      [[{ ...rule, match: { remoteCidr: 'example.com' } }]],
      [[{ ...rule, match: { remotePort: 70000 } }]],
      [[{ ...rule, match: { command: 'rm -rf /' } }]],
      [[{ ...rule, extra: true }]],
      [[rule, rule]],
      [Array.from({ length: 201 }, (_, i) => ({ ...rule, id: `r${i}` }))],
    ],
  },
  getProfiles: { good: [[]], bad: [['server']] },
  saveProfiles: {
    good: [[[]], [[custom]], [[custom, { ...custom, id: 'custom:web', timeSec: 32767, probes: 255 }]]],
    bad: [
      [],
      [custom],
      [[{ ...PRESETS[1] }]],
      [[{ ...custom, id: 'db' }]],
      [[{ ...custom, id: 'custom:DB; rm -rf /' }]],
      [[{ ...custom, timeSec: 0 }]],
      [[{ ...custom, intervalSec: 32768 }]],
      [[{ ...custom, probes: 256 }]],
      [[{ ...custom, probes: 4.5 }]],
      [[{ ...custom, timeSec: '300' }]],
      [[{ ...custom, name: 'DB\x1b[2J' }]],
      [[{ ...custom, builtIn: true }]],
      [[{ ...custom, script: 'x' }]],
      [[custom, custom]],
      [[custom], 'extra'],
    ],
  },
  // The core resolves a reference and range-checks values ('0/60/5' is its bad-request); the schema bounds its shape.
  previewProfile: {
    good: [['server'], ['custom:db'], ['600/60/5'], ['0/60/5'], ['server', {}], ['server', { namespace: '4026532512' }], ['server', undefined]],
    bad: [
      [], [''], ['   '], ['x'.repeat(65)], [600], [null], ['server', 'extra'],
      ['server', { namespace: 'web-1' }], ['server', { namespace: 4026532512 }], ['server', { namespace: '' }], ['server', { namespace: '1'.repeat(21) }],
      ['server', { namespace: 'current' }], ['server', { namespace: '4026532512', persist: true }], ['server', null], ['server', {}, 'extra'],
    ],
  },
  applyProfile: {
    // Persisting another namespace is well-formed; the core refuses it ('bad-request', naming the container engine's lines).
    good: [['server', { persist: true }], ['600/60/5', { persist: false }], ['0/60/5', { persist: true }], ['server', { persist: false, namespace: '4026532512' }], ['server', { persist: true, namespace: '4026532512' }]],
    bad: [
      ['server', { persist: false, namespace: '/proc/1/ns/net' }],
      ['server', { persist: false, namespace: 'all' }],
      ['server', { persist: false, namespace: null }],
      ['server', { persist: false, namespace: 4026532512 }],
      ['server', { namespace: '4026532512' }],
      ['server'],
      ['server', {}],
      ['server', { persist: 'yes' }],
      ['server', { persist: 1 }],
      ['server', { persist: true, dryRun: true }],
      ['server', { persist: true }, 'extra'],
      [{ persist: true }],
      [600, { persist: true }],
      ['', { persist: true }],
      ['x'.repeat(65), { persist: true }],
      [],
    ],
  },
  undoLastApply: { good: [[]], bad: [[true], ['server']] },
  exportReport: {
    good: [
      [exportRequest],
      [{ ...exportRequest, format: 'pdf', scope: 'filtered', filter: { ...exportRequest.filter, text: 'postgres', state: 'ESTABLISHED', minIdleSec: 60, keepalive: 'off', atRiskOnly: true } }],
      [{ ...exportRequest, recording: 'recording-20261125T164500Z.ndjson' }],
      [{ ...exportRequest, recording: 'recording-20261125T164500Z-2.ndjson' }],
    ],
    bad: [
      [],
      [{ ...exportRequest, format: 'xlsx' }],
      [{ ...exportRequest, scope: 'some' }],
      [{ ...exportRequest, filter: { ...exportRequest.filter, state: 'NAPPING' } }],
      [{ ...exportRequest, filter: { ...exportRequest.filter, minIdleSec: -1 } }],
      [{ ...exportRequest, filter: { ...exportRequest.filter, extra: 1 } }],
      // A recording is named, never pathed: nothing a client sends can reach another file.
      [{ ...exportRequest, recording: '../../etc/shadow' }],
      [{ ...exportRequest, recording: '/root/recording-20261125T164500Z.ndjson' }],
      [{ ...exportRequest, recording: 'recording-20261125T164500Z.ndjson/../x' }],
      [{ ...exportRequest, out: '/tmp/x' }],
      [exportRequest, 'extra'],
    ],
  },
  startRecording: { good: [[{ intervalMs: 2000 }], [{ intervalMs: 500 }]], bad: [[], [{ intervalMs: 100 }], [{ intervalMs: 2000, out: '/etc/passwd' }], [{}]] },
  stopRecording: { good: [[]], bad: [[true]] },
  getRecordingState: { good: [[]], bad: [['x']] },
  listRecordings: { good: [[]], bad: [[{}]] },
  listNamespaces: { good: [[]], bad: [['all'], [{}]] },
  selectNamespace: {
    good: [['current'], ['all'], ['4026532512'], ['1']],
    bad: [[], [''], ['host'], ['4026532512 '], ['-1'], ['40265.32512'], ['../run/netns/x'], ['web-1'], [4026532512], [null], ['1'.repeat(21)], ['all', 'extra']],
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
  host: { hostname: 'h', os: 'linux', distro: 'Debian', kernel: '6.1', arch: 'x64', network: null },
  namespace: { id: '4026531840', name: null, current: true, label: 'host', kind: 'host', pids: [1] },
  settings: { os: 'linux', timeSec: 600, intervalSec: 60, probes: 5, retries2: 15 },
  namespaces: [{ namespace: { id: '4026531840', name: null, current: true, label: 'host', kind: 'host', pids: [1] }, settings: { os: 'linux', timeSec: 600, intervalSec: 60, probes: 5, retries2: 15 } }],
  clock: { kind: 'tick', hz: 250, anchor: null },
  diagnostics: { malformedLines: 0, processesDenied: 0, processesUnscanned: 0, unattributedSockets: 0, processesScanned: 0, warnings: [] },
};
const containerNamespace = { id: '4026532512', name: null, current: false, label: 'web-1', kind: 'docker', pids: [4242] };
const kernelDefaults = { os: 'linux', timeSec: 7200, intervalSec: 75, probes: 9, retries2: 15 };
/** The head of a snapshot of every namespace: the host's namespace and settings, each namespace listed. */
const allHead = { ...head, namespaces: [...head.namespaces, { namespace: containerNamespace, settings: kernelDefaults }] };
const pollState = { running: true, intervalMs: 2000, lastPollAt: null, lastError: null, pollStartedAt: null, late: false, namespace: 'current' };
const darwinSettings = { os: 'darwin', keepIdleMs: 7_200_000, keepIntervalMs: 75_000, keepCount: 8, alwaysKeepalive: false };
const windowsSettings = { os: 'win32', keepAliveTimeMs: 7_200_000, keepAliveIntervalMs: 1000, probes: 10 };
const darwinHead = { ...head, settings: darwinSettings, namespaces: [{ namespace: head.namespace, settings: darwinSettings }], clock: { kind: 'none' } };
const windowsHead = { ...head, settings: windowsSettings, namespaces: [{ namespace: head.namespace, settings: windowsSettings }], clock: { kind: 'none' } };

const values = { timeSec: 600, intervalSec: 60, probes: 5 };
const entry = {
  at: 1_700_000_000_000,
  user: 'nobody',
  action: 'apply',
  profile: 'server',
  before: { timeSec: 7200, intervalSec: 75, probes: 9 },
  after: values,
  persisted: true,
  outcome: 'applied',
  message: 'Applied 600/60/5 (was 7200/75/9); persisted in /etc/sysctl.d/99-zz-idlewatch-keepalive.conf.',
  namespace: null,
};
const profilesView = {
  presets: [...PRESETS],
  custom: [custom],
  inForce: values,
  afterBoot: {
    timeSec: 600,
    intervalSec: null,
    probes: null,
    dropIn: '/etc/sysctl.d/99-zz-idlewatch-keepalive.conf',
    overriddenBy: [{ path: '/etc/sysctl.d/zzz-other.conf', key: 'net.ipv4.tcp_keepalive_time', value: 300 }],
  },
  drift: true,
  apply: { available: false, reason: 'Applying is off in browser mode: start `idlewatch serve --allow-apply` to allow it.' },
  history: [entry, { ...entry, action: 'undo', profile: null, outcome: 'refused', before: null, after: null, persisted: false }],
};

const EVENT_CASES: { [E in keyof typeof EVENTS]: { good: unknown[]; bad: unknown[] } } = {
  delta: {
    good: [
      { ...head, baseSeq: 1, upserts: [connection], removed: ['i9'] },
      { ...head, baseSeq: 0, upserts: [], removed: [] },
      { ...darwinHead, baseSeq: 0, upserts: [{ ...connection, timer: 'unknown', precision: 'model' }], removed: [] },
      { ...windowsHead, baseSeq: 0, upserts: [], removed: [] },
      { ...allHead, baseSeq: 3, upserts: [connection, { ...connection, id: '4026532512/i7', netns: '4026532512' }], removed: [] },
      // Recordings made before heads carried their namespaces still read.
      (({ namespaces: _namespaces, ...old }) => ({ ...old, baseSeq: 0, upserts: [], removed: [] }))(head),
    ],
    bad: [
      { ...head, baseSeq: 0, upserts: [], removed: [], namespaces: [{ namespace: containerNamespace }] },
      { ...head, baseSeq: 0, upserts: [], removed: [], namespaces: [{ namespace: { ...containerNamespace, kind: 'vm' }, settings: kernelDefaults }] },
      { ...head, baseSeq: 0, upserts: [], removed: [], namespaces: head.namespace },
      { ...head, baseSeq: 0, upserts: [], removed: [], settings: { ...head.settings, os: 'darwin' } },
      { ...windowsHead, baseSeq: 0, upserts: [], removed: [], settings: { ...windowsHead.settings, probes: 5 } },
      { ...head, baseSeq: 0, upserts: [], removed: [], settings: { keepaliveTimeSec: 600, keepaliveIntervalSec: 60, keepaliveProbes: 5, tcpRetries2: 15 } },
      { ...head, baseSeq: 1, upserts: [{ ...connection, probesAt: ['soon'] }], removed: [] },
      { ...head, baseSeq: 1, upserts: [{ ...connection, precision: 'vibes' }], removed: [] },
      { ...head, baseSeq: 1, upserts: [{ ...connection, state: 'NAPPING' }], removed: [] },
      { ...head, baseSeq: 1, upserts: [{ ...connection, localPort: -1 }], removed: [] },
      { ...head, baseSeq: 1, upserts: [{ ...connection, dropReason: 'gremlins' }], removed: [] },
      { ...head, baseSeq: 1, upserts: [], removed: [7] },
      { ...head, upserts: [], removed: [] },
    ],
  },
  pollState: {
    good: [
      pollState,
      { ...pollState, lastPollAt: 5, pollStartedAt: 6, late: true },
      { ...pollState, namespace: 'all' },
      { ...pollState, namespace: '4026532512' },
    ],
    bad: [
      { ...pollState, running: 'yes' },
      { ...pollState, intervalMs: 10 },
      { running: true, intervalMs: 2000, lastPollAt: null, lastError: null },
      { ...pollState, namespace: undefined },
      { ...pollState, namespace: 'host' },
      { ...pollState, namespace: 4026532512 },
    ],
  },
  error: {
    good: [{ code: 'collector', message: 'netlink: Operation not permitted' }, { code: 'unsupported', message: 'not on this OS' }],
    bad: [{ code: 'oops', message: 'x' }, { message: 'no code' }],
  },
  profiles: {
    good: [
      profilesView,
      { ...profilesView, inForce: null, afterBoot: null, drift: false, apply: { available: true, reason: null }, history: [] },
      // The kernel takes a sysctl beyond what a profile may set (tcp_keepalive_time in jiffies): what is read is shown as read.
      { ...profilesView, inForce: { timeSec: 86_400, intervalSec: 75, probes: 9 }, history: [{ ...entry, before: { timeSec: 86_400, intervalSec: 75, probes: 9 } }] },
      // An apply to a container's namespace: at run time, the namespace named.
      { ...profilesView, history: [{ ...entry, persisted: false, namespace: '4026532512', message: 'Applied 600/60/5 (was 7200/75/9) in network namespace 4026532512 (web-1); runtime only, not persisted.' }] },
    ],
    bad: [
      { ...profilesView, history: [(({ namespace: _namespace, ...old }) => old)(entry)] },
      { ...profilesView, history: [{ ...entry, namespace: '' }] },
      { ...profilesView, apply: { available: 'no', reason: null } },
      { ...profilesView, history: [{ ...entry, outcome: 'maybe' }] },
      { ...profilesView, history: [{ ...entry, action: 'reboot' }] },
      { ...profilesView, custom: [{ ...custom, id: 'server' }] },
      { ...profilesView, afterBoot: { ...profilesView.afterBoot, overriddenBy: [{ path: '/etc/sysctl.conf' }] } },
      { ...profilesView, inForce: { timeSec: -1, intervalSec: 75, probes: 9 } },
      { ...profilesView, history: Array.from({ length: 201 }, () => entry) },
      { ...profilesView, drift: undefined },
    ],
  },
  recording: {
    good: [
      { active: false, name: null, startedAt: null, intervalMs: null, endSource: null, endSourceNote: null, ends: 0, bytes: 0, error: null },
      { active: true, name: 'recording-20261125T164500Z.ndjson', startedAt: 5, intervalMs: 2000, endSource: 'kernel-events', endSourceNote: null, ends: 3, bytes: 4096, error: null },
      { active: false, name: 'recording-20261125T164500Z.ndjson', startedAt: 5, intervalMs: 2000, endSource: 'polls', endSourceNote: 'needs root', ends: 0, bytes: 10, error: 'ENOSPC: no space left on device' },
    ],
    bad: [
      { active: true, name: '/tmp/evil', startedAt: 5, intervalMs: 2000, endSource: 'polls', endSourceNote: null, ends: 0, bytes: 0, error: null },
      { active: true, name: null, startedAt: 5, intervalMs: 2000, endSource: 'guesswork', endSourceNote: null, ends: 0, bytes: 0, error: null },
      { active: true, name: null, startedAt: 5, intervalMs: 2000, endSource: 'polls', endSourceNote: null, ends: -1, bytes: 0, error: null },
    ],
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
  });

  it('types each method by its schema, arguments and result alike', () => {
    expectTypeOf<MethodArgs<'setPollInterval'>>().toEqualTypeOf<[number]>();
    expectTypeOf<IdlewatchApi['getRules']>().returns.resolves.toEqualTypeOf<IdleRule[]>();
    expectTypeOf<MethodResult<'getSnapshot'>>().toEqualTypeOf<SnapshotView>();
    expectTypeOf<MethodResult<'pausePolling'>>().toEqualTypeOf<PollState>();
    expectTypeOf<MethodResult<'selectNamespace'>>().toEqualTypeOf<PollState>();
    expectTypeOf<MethodResult<'listNamespaces'>>().toEqualTypeOf<NamespacesView>();
    expectTypeOf<MethodArgs<'selectNamespace'>>().toEqualTypeOf<[string]>();
    expectTypeOf<MethodArgs<'previewProfile'>>().toEqualTypeOf<[string, { namespace?: string | undefined }?]>();
    expectTypeOf<MethodArgs<'applyProfile'>>().toEqualTypeOf<[string, { persist: boolean; namespace?: string | undefined }]>();
  });

  it('declares a result schema for every method, and each accepts what the core returns', () => {
    expect(METHODS.getPollState.result.safeParse(pollState).success).toBe(true);
    expect(METHODS.selectNamespace.result.safeParse({ ...pollState, namespace: 'all' }).success).toBe(true);
    expect(METHODS.getSnapshot.result.safeParse({ ...head, connections: [connection] }).success).toBe(true);
    expect(METHODS.getRules.result.safeParse([rule]).success).toBe(true);
    for (const method of METHOD_NAMES) expect(METHODS[method].result).toBeDefined();
  });

  it('keeps the error code through the round trip, unknown codes becoming internal', () => {
    expect(() => fromResult({ ok: false, error: { code: 'unsupported', message: 'no' } })).toThrow(expect.objectContaining({ code: 'unsupported' }));
    expect(() => fromResult({ ok: false, error: { code: 'made-up' as never, message: 'no' } })).toThrow(expect.objectContaining({ code: 'internal' }));
  });
});

describe('listNamespaces results', () => {
  const hostSettings = { os: 'linux', timeSec: 600, intervalSec: 60, probes: 5, retries2: 15 };
  const summary = {
    namespace: { id: '4026531840', name: null, current: true, label: 'host', kind: 'host', pids: [1] },
    settings: hostSettings,
    sockets: 120,
    idle: 40,
    atRisk: 3,
    differsFromHost: false,
    note: null,
    error: null,
  };
  const container = {
    ...summary,
    namespace: { id: '4026532512', name: null, current: false, label: 'web-1', kind: 'docker', pids: [4242, 4250] },
    settings: { ...hostSettings, timeSec: 7200, intervalSec: 75, probes: 9 },
    differsFromHost: true,
    note: "kernel defaults 7200/75/9 — the host's 600/60/5 does not reach it",
  };
  const view = { available: true, reason: null, host: '4026531840', namespaces: [summary, container] };

  it.each([
    ['every namespace with its settings and drift', view],
    ['the current one only, with the reason', { available: false, reason: 'reading other network namespaces needs root', host: '4026531840', namespaces: [summary] }],
    ['a namespace that could not be read', { ...view, namespaces: [summary, { ...container, settings: null, sockets: 0, idle: 0, atRisk: 0, differsFromHost: false, note: null, error: 'gone' }] }],
  ])('accepts %s', (_name, value) => {
    expect(METHODS.listNamespaces.result.safeParse(value).success).toBe(true);
  });

  it.each([
    ['no host', { ...view, host: '' }],
    ['a negative count', { ...view, namespaces: [{ ...summary, atRisk: -1 }] }],
    ['an unknown kind', { ...view, namespaces: [{ ...summary, namespace: { ...summary.namespace, kind: 'vm' } }] }],
    ['settings of no OS', { ...view, namespaces: [{ ...summary, settings: { timeSec: 600 } }] }],
    ['no error field', { ...view, namespaces: [(({ error: _error, ...rest }) => rest)(summary)] }],
  ])('rejects %s', (_name, value) => {
    expect(METHODS.listNamespaces.result.safeParse(value).success).toBe(false);
  });
});

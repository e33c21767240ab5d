import { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { BrowserWindow } from 'electron';
import {
  ApiFailure,
  callChannel,
  EVENT_NAMES,
  eventChannel,
  METHOD_NAMES,
  type EventName,
  type IdlewatchApi,
  type MethodName,
  type NamespacesView,
  type ApplyResult,
  type ExportedFile,
  type ExportRequest,
  type PollState,
  type RecordingInfo,
  type RecordingState,
  type Preview,
  type ProfilesView,
  type SnapshotView,
  type Subscribe,
} from '../../../shared/api/contract';
import { PRESETS } from '../../../shared/profiles';
import type { IdleRule } from '../../../shared/rules';
import { registerIpc } from '../../../main/electron/ipc';
import { createDispatcher, DESKTOP_POLICY } from '../../../main/core/dispatcher';
import { isRendererUrl, resolveRendererLocation } from '../../../main/electron/renderer-location';
import { APP_URL, FakeBrowserWindow, FakeFrame, FakeWebContents, ipcMain, RENDERER_DIR, resetFakes } from './fake-electron';
import { historyEntry } from '../../fixtures/profiles';

vi.mock('electron', async () => await import('./fake-electron'));

const pollState: PollState = { running: true, intervalMs: 2000, lastPollAt: 1_700_000_000_000, lastError: null, pollStartedAt: null, late: false, namespace: 'current' };
const snapshot = { seq: 4, takenAt: 1_700_000_000_000, connections: [] } as unknown as SnapshotView;
const rule: IdleRule = {
  id: 'nlb',
  name: 'AWS NLB',
  kind: 'middlebox',
  idleTimeoutSec: 350,
  match: { remotePort: 443, remoteCidr: '10.0.0.0/8' },
  enabled: true,
};

const profilesView: ProfilesView = {
  presets: [...PRESETS],
  custom: [],
  inForce: { timeSec: 7200, intervalSec: 75, probes: 9 },
  afterBoot: { timeSec: null, intervalSec: null, probes: null, dropIn: null, overriddenBy: [] },
  drift: false,
  apply: { available: true, reason: null },
  history: [],
};
const applied: ApplyResult = {
  entry: historyEntry({ at: 1_700_000_000_000 }),

  view: profilesView,
};
const preview = { profile: PRESETS[1], changes: [], rows: [], summary: {}, explanation: [] } as unknown as Preview;
const exportRequest: ExportRequest = {
  format: 'csv',
  scope: 'filtered',
  filter: { text: 'nginx', state: 'ESTABLISHED', minIdleSec: 60, keepalive: 'any', atRiskOnly: false },
  recording: null,
};
const exported: ExportedFile = { fileName: 'idlewatch-db1-20261125T164500Z.csv', mimeType: 'text/csv', encoding: 'utf8', content: 'state,local\n' };
const recording: RecordingState = {
  active: true,
  name: 'recording-20261125T164500Z.ndjson',
  startedAt: 1_700_000_000_000,
  intervalMs: 2000,
  endSource: 'polls',
  endSourceNote: 'kernel events need root',
  ends: 3,
  bytes: 4096,
  error: null,
};
const namespacesView: NamespacesView = { available: false, reason: 'reading other network namespaces needs root', host: '4026531840', namespaces: [] };
const recordingInfo: RecordingInfo = { name: 'recording-20261125T164500Z.ndjson', startedAt: 1_700_000_000_000, stoppedAt: null, bytes: 4096, endSource: 'polls' };

/** A stand-in core: a plain object implementing the API (these are transport tests). */
function fakeService() {
  const events = new EventEmitter();
  const api = {
    getSnapshot: vi.fn(async () => snapshot),
    getPollState: vi.fn(async () => pollState),
    setPollInterval: vi.fn(async (ms: number) => ({ ...pollState, intervalMs: ms })),
    pausePolling: vi.fn(async () => ({ ...pollState, running: false })),
    resumePolling: vi.fn(async () => pollState),
    getRules: vi.fn(async () => [rule]),
    setRules: vi.fn(async (rules: IdleRule[]) => rules),
    getProfiles: vi.fn(async () => profilesView),
    saveProfiles: vi.fn(async () => profilesView),
    previewProfile: vi.fn(async () => preview),
    applyProfile: vi.fn(async () => applied),
    undoLastApply: vi.fn(async () => ({ ...applied, entry: { ...applied.entry, action: 'undo' as const, profile: null } })),
    exportReport: vi.fn(async () => exported),
    startRecording: vi.fn(async () => recording),
    stopRecording: vi.fn(async () => ({ ...recording, active: false })),
    getRecordingState: vi.fn(async () => recording),
    listRecordings: vi.fn(async () => [recordingInfo]),
    listNamespaces: vi.fn(async () => namespacesView),
    selectNamespace: vi.fn(async (namespace: string) => ({ ...pollState, namespace })),
  } satisfies IdlewatchApi;
  const subscribe: Subscribe = (event, listener) => {
    events.on(event, listener);
    return () => events.off(event, listener);
  };
  return { api, subscribe, events };
}

let service: ReturnType<typeof fakeService>;
let window: FakeBrowserWindow | null;
let dispose: () => void;

beforeEach(() => {
  resetFakes();
  service = fakeService();
  window = new FakeBrowserWindow({});
  dispose = registerIpc({
    dispatch: createDispatcher(service.api, DESKTOP_POLICY),
    subscribe: service.subscribe,
    getWindow: () => window as unknown as BrowserWindow | null,
    // The app's real rule for the built page (renderer-location.ts), as desktop-app.ts passes it.
    isAppUrl: (url) => isRendererUrl(resolveRendererLocation({ rendererDir: RENDERER_DIR, isPackaged: true }), url),
  });
});

/** A call from the app's own page: the main frame of the app's window. */
const fromApp = () => ({ contents: window!.webContents, frame: window!.webContents.mainFrame });
const call = (method: MethodName, ...args: unknown[]) => ipcMain.invoke(callChannel(method), fromApp(), ...args);
const serviceCalls = () => Object.values(service.api).reduce((sum, fn) => sum + fn.mock.calls.length, 0);

describe('IPC handlers', () => {
  it('one handler per method of the contract, on its contract channel, and nothing else', () => {
    expect([...ipcMain.handlers.keys()].sort()).toEqual(METHOD_NAMES.map(callChannel).sort());
  });

  it.each<[MethodName, unknown[], unknown]>([
    ['getSnapshot', [], snapshot],
    ['getPollState', [], pollState],
    ['setPollInterval', [500], { ...pollState, intervalMs: 500 }],
    ['pausePolling', [], { ...pollState, running: false }],
    ['resumePolling', [], pollState],
    ['getRules', [], [rule]],
    ['setRules', [[rule]], [rule]],
    ['getProfiles', [], profilesView],
    ['saveProfiles', [[]], profilesView],
    ['previewProfile', ['server'], preview],
    ['applyProfile', ['600/60/5', { persist: false }], applied],
    ['exportReport', [exportRequest], exported],
    ['exportReport', [{ ...exportRequest, format: 'html', scope: 'all', recording: recordingInfo.name }], exported],
    ['startRecording', [{ intervalMs: 2000 }], recording],
    ['stopRecording', [], { ...recording, active: false }],
    ['getRecordingState', [], recording],
    ['listRecordings', [], [recordingInfo]],
  ])('a good %s call reaches the service and answers { ok: true, value }', async (method, args, value) => {
    await expect(call(method, ...args)).resolves.toEqual({ ok: true, value });
    expect(service.api[method]).toHaveBeenCalledExactlyOnceWith(...args);
  });

  it.each<[string, MethodName, unknown[]]>([
    ["setPollInterval('fast')", 'setPollInterval', ['fast']],
    ['setPollInterval(10), below the fastest poll', 'setPollInterval', [10]],
    ['setPollInterval(600000), above the slowest poll', 'setPollInterval', [600_000]],
    ['setPollInterval(2000.5)', 'setPollInterval', [2000.5]],
    ['setPollInterval(NaN)', 'setPollInterval', [Number.NaN]],
    ['setPollInterval() with no argument', 'setPollInterval', []],
    ['setPollInterval(2000, extra)', 'setPollInterval', [2000, 'extra']],
    ['setRules([{ bogus }])', 'setRules', [[{ bogus: true }]]],
    ['setRules with an unknown field on a rule', 'setRules', [[{ ...rule, script: 'rm -rf /' }]]],
    ['setRules with a CIDR that is not one', 'setRules', [[{ ...rule, match: { remoteCidr: '10.0.0.0/8; reboot' } }]]],
    ['setRules with duplicate ids', 'setRules', [[rule, rule]]],
    ["setRules('all')", 'setRules', ['all']],
    ['getSnapshot(1), an extra argument', 'getSnapshot', [1]],
    ['pausePolling({}), an extra argument', 'pausePolling', [{}]],
    ["applyProfile('server') without its options", 'applyProfile', ['server']],
    ["applyProfile('server', { persist: 'yes' })", 'applyProfile', ['server', { persist: 'yes' }]],
    ["applyProfile('server', { persist: true, path: '/etc/passwd' })", 'applyProfile', ['server', { persist: true, path: '/etc/passwd' }]],
    ['applyProfile(600, …), a number for a profile', 'applyProfile', [600, { persist: true }]],
    ['undoLastApply(1), an extra argument', 'undoLastApply', [1]],
    ['saveProfiles with a preset id', 'saveProfiles', [[{ ...PRESETS[1] }]]],
    ["exportReport in format 'exe'", 'exportReport', [{ ...exportRequest, format: 'exe' }]],
    ['exportReport of a recording named by a path', 'exportReport', [{ ...exportRequest, recording: '../../etc/shadow' }]],
    ['exportReport with an unknown field', 'exportReport', [{ ...exportRequest, outputPath: '/tmp/x.csv' }]],
    ['exportReport without its request', 'exportReport', []],
    ['startRecording({ intervalMs: 10 }), below the fastest poll', 'startRecording', [{ intervalMs: 10 }]],
    ["startRecording({ intervalMs: 2000, dir: '/tmp' })", 'startRecording', [{ intervalMs: 2000, dir: '/tmp' }]],
    ['stopRecording(1), an extra argument', 'stopRecording', [1]],
  ])('%s is refused as bad-request and never reaches the service', async (_name, method, args) => {
    const result = await call(method, ...args);
    expect(result).toMatchObject({ ok: false, error: { code: 'bad-request', message: expect.stringContaining(method) } });
    expect(serviceCalls()).toBe(0);
  });

  it('the service failing comes back as an error Result, with its code kept', async () => {
    service.api.getSnapshot.mockRejectedValueOnce(new ApiFailure('collector', 'sockdiag: permission denied'));
    await expect(call('getSnapshot')).resolves.toEqual({
      ok: false,
      error: { code: 'collector', message: 'sockdiag: permission denied' },
    });
    service.api.getRules.mockRejectedValueOnce(new Error('disk full'));
    await expect(call('getRules')).resolves.toEqual({ ok: false, error: { code: 'internal', message: 'disk full' } });
  });
});

describe('IPC sender check', () => {
  const foreignSenders: [string, () => { contents: FakeWebContents; frame: FakeFrame | null }][] = [
    ['another web contents', () => { const other = new FakeWebContents(); return { contents: other, frame: other.mainFrame }; }],
    ['an iframe inside the app’s page', () => ({ contents: window!.webContents, frame: window!.webContents.subframe() })],
    ['a frame of the window that is not its main frame', () => ({ contents: window!.webContents, frame: new FakeFrame(APP_URL) })],
    ['the window showing another page', () => {
      window!.webContents.mainFrame.url = 'https://attacker.example/';
      return fromApp();
    }],
    ['the window showing another local file', () => {
      window!.webContents.mainFrame.url = 'file:///tmp/evil.html';
      return fromApp();
    }],
    ['the window showing the built page as a file: URL', () => {
      window!.webContents.mainFrame.url = 'file:///opt/idlewatch/out/renderer/index.html';
      return fromApp();
    }],
    ['the window showing another document of the app’s scheme', () => {
      window!.webContents.mainFrame.url = 'app://idlewatch/favicon.svg';
      return fromApp();
    }],
    ['the window showing the app’s scheme on another host', () => {
      window!.webContents.mainFrame.url = 'app://evil/index.html';
      return fromApp();
    }],
    ['a frame that is already gone', () => ({ contents: window!.webContents, frame: null })],
  ];

  it.each(foreignSenders)('a call from %s is refused as forbidden and never reaches the service', async (_name, sender) => {
    for (const method of METHOD_NAMES) {
      const args = method === 'setPollInterval' ? [2000] : method === 'setRules' ? [[rule]] : method === 'exportReport' ? [exportRequest] : [];
      await expect(ipcMain.invoke(callChannel(method), sender(), ...args)).resolves.toMatchObject({
        ok: false,
        error: { code: 'forbidden' },
      });
    }
    expect(serviceCalls()).toBe(0);
  });

  it('the sender is checked before the arguments: a foreign caller learns nothing about the schema', async () => {
    const other = new FakeWebContents();
    await expect(ipcMain.invoke(callChannel('setPollInterval'), { contents: other, frame: other.mainFrame }, 'fast')).resolves.toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
  });

  it.each([`${APP_URL}#/rules`, `${APP_URL}?tab=1`, 'app://idlewatch/'])('the app’s page at %s may still call', async (url) => {
    window!.webContents.mainFrame.url = url;
    await expect(call('getPollState')).resolves.toMatchObject({ ok: true });
  });

  it('calls are refused once the window is closed', async () => {
    const sender = fromApp();
    window = null;
    await expect(ipcMain.invoke(callChannel('getPollState'), sender)).resolves.toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(serviceCalls()).toBe(0);
  });
});

describe('IPC events', () => {
  const payloads: Record<EventName, unknown> = {
    delta: { seq: 5, baseSeq: 4, upserts: [], removed: ['a'] },
    pollState,
    error: { code: 'collector', message: 'sockdiag exited' },
    profiles: profilesView,
    recording,
  };

  it.each(EVENT_NAMES)('%s is forwarded to the window as its payload alone', (event) => {
    service.events.emit(event, payloads[event]);
    expect(window!.webContents.send).toHaveBeenCalledExactlyOnceWith(eventChannel(event), payloads[event]);
  });

  it('nothing is sent to a closed window, a destroyed page, or a page that is not the app', () => {
    window!.webContents.destroyed = true;
    service.events.emit('pollState', pollState);
    window!.webContents.destroyed = false;
    window!.webContents.mainFrame.url = 'https://attacker.example/';
    service.events.emit('pollState', pollState);
    expect(window!.webContents.send).not.toHaveBeenCalled();
    window = null;
    expect(() => service.events.emit('pollState', pollState)).not.toThrow();
  });
});

describe('IPC disposer', () => {
  it('removes every handler and stops forwarding events', async () => {
    dispose();
    expect(ipcMain.handlers.size).toBe(0);
    for (const event of EVENT_NAMES) expect(service.events.listenerCount(event)).toBe(0);
    service.events.emit('pollState', pollState);
    expect(window!.webContents.send).not.toHaveBeenCalled();
  });

  it('lets IPC be registered again afterwards', () => {
    dispose();
    expect(() => registerIpc({ dispatch: createDispatcher(service.api, DESKTOP_POLICY), subscribe: service.subscribe, getWindow: () => null, isAppUrl: () => true })).not.toThrow();
  });
});

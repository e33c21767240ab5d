import { describe, expect, it, vi } from 'vitest';
import { browserPolicy, createDispatcher, DESKTOP_POLICY } from '../../../main/core/dispatcher';
import { CAPABILITIES, METHOD_CAPABILITIES, METHOD_NAMES, type Capability, type MethodName } from '../../../shared/api/channels';
import type { IdlewatchApi } from '../../../shared/api/contract';
import { ApiFailure } from '../../../shared/api/result';

function fakeApi() {
  return Object.fromEntries(METHOD_NAMES.map((m) => [m, vi.fn(async () => `${m} ran`)])) as unknown as IdlewatchApi &
    Record<MethodName, ReturnType<typeof vi.fn>>;
}

/** Good arguments for each method, so only the policy decides. */
const GOOD_ARGS: Record<MethodName, unknown[]> = {
  getSnapshot: [],
  getPollState: [],
  setPollInterval: [2000],
  pausePolling: [],
  resumePolling: [],
  getRules: [],
  setRules: [[]],
  getProfiles: [],
  saveProfiles: [[]],
  previewProfile: ['server'],
  applyProfile: ['server', { persist: true }],
  undoLastApply: [],
  exportReport: [{ format: 'csv', scope: 'all', filter: { text: '', state: null, minIdleSec: null, keepalive: 'any', atRiskOnly: false }, recording: null }],
  startRecording: [{ intervalMs: 2000 }],
  stopRecording: [],
  getRecordingState: [],
  listRecordings: [],
  listNamespaces: [],
  selectNamespace: ['all'],
};

describe('the contract declares a capability for every method', () => {
  it('each method is read, control or privileged', () => {
    for (const method of METHOD_NAMES) expect(CAPABILITIES).toContain(METHOD_CAPABILITIES[method]);
  });

  it('no method that changes anything is declared read', async () => {
    // A read method must be safe to call from anywhere: calling it twice changes nothing.
    const changing: MethodName[] = ['setPollInterval', 'pausePolling', 'resumePolling', 'setRules', 'saveProfiles', 'applyProfile', 'undoLastApply', 'startRecording', 'stopRecording', 'selectNamespace'];
    for (const method of changing) expect(METHOD_CAPABILITIES[method]).not.toBe('read');
  });

  it('the methods that change the system are privileged', () => {
    expect(METHOD_CAPABILITIES.applyProfile).toBe('privileged');
    expect(METHOD_CAPABILITIES.undoLastApply).toBe('privileged');
    expect(METHOD_NAMES.filter((m) => METHOD_CAPABILITIES[m] === 'privileged').sort()).toEqual(['applyProfile', 'undoLastApply']);
  });
});

describe('the dispatcher', () => {
  it('runs a good call and answers { ok: true, value }', async () => {
    const api = fakeApi();
    const dispatch = createDispatcher(api, DESKTOP_POLICY);
    await expect(dispatch('setPollInterval', [2000])).resolves.toEqual({ ok: true, value: 'setPollInterval ran' });
    expect(api.setPollInterval).toHaveBeenCalledExactlyOnceWith(2000);
  });

  it.each([['__proto__'], ['constructor'], ['toString'], [42], [null], ['x'.repeat(10_000)]])(
    'refuses the unknown method %j as bad-request, with a bounded message',
    async (method) => {
      const api = fakeApi();
      const result = await createDispatcher(api, DESKTOP_POLICY)(method, []);
      expect(result).toMatchObject({ ok: false, error: { code: 'bad-request' } });
      expect(result.ok === false && result.error.message.length).toBeLessThan(120);
    },
  );

  it('refuses malformed arguments as bad-request before the core runs', async () => {
    const api = fakeApi();
    const result = await createDispatcher(api, DESKTOP_POLICY)('setPollInterval', ['fast']);
    expect(result).toMatchObject({ ok: false, error: { code: 'bad-request', message: expect.stringMatching(/^setPollInterval: /) } });
    expect(api.setPollInterval).not.toHaveBeenCalled();
  });

  it('keeps the code of a failure the core reports', async () => {
    const api = fakeApi();
    api.getSnapshot.mockRejectedValueOnce(new ApiFailure('collector', 'netlink refused'));
    await expect(createDispatcher(api, DESKTOP_POLICY)('getSnapshot', [])).resolves.toEqual({
      ok: false,
      error: { code: 'collector', message: 'netlink refused' },
    });
  });
});

describe('transport policies with the contract\'s own capabilities', () => {
  it('browser mode without --allow-apply refuses applyProfile and undoLastApply as forbidden, saying how to allow them', async () => {
    const api = fakeApi();
    const dispatch = createDispatcher(api, browserPolicy({ allowApply: false }));
    for (const method of ['applyProfile', 'undoLastApply'] as const) {
      const refused = await dispatch(method, GOOD_ARGS[method]);
      expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden', message: expect.stringContaining('--allow-apply') } });
      expect(api[method]).not.toHaveBeenCalled();
    }
  });

  it('browser mode with --allow-apply runs them', async () => {
    const api = fakeApi();
    const dispatch = createDispatcher(api, browserPolicy({ allowApply: true }));
    await expect(dispatch('applyProfile', ['server', { persist: true }])).resolves.toEqual({ ok: true, value: 'applyProfile ran' });
    expect(api.applyProfile).toHaveBeenCalledExactlyOnceWith('server', { persist: true });
    await expect(dispatch('undoLastApply', [])).resolves.toEqual({ ok: true, value: 'undoLastApply ran' });
  });

  it('browser mode without --allow-apply still reads profiles, previews and saves custom ones', async () => {
    const api = fakeApi();
    const dispatch = createDispatcher(api, browserPolicy({ allowApply: false }));
    for (const method of ['getProfiles', 'previewProfile', 'saveProfiles'] as const) {
      await expect(dispatch(method, GOOD_ARGS[method])).resolves.toMatchObject({ ok: true });
    }
  });

  it('a refused privileged call is refused before its arguments are looked at', async () => {
    const api = fakeApi();
    const result = await createDispatcher(api, browserPolicy({ allowApply: false }))('applyProfile', ['0/60/5; reboot', 'garbage']);
    expect(result).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });
});

describe('transport policies', () => {
  // A table in which a control method is made privileged: the policy is proven on a method of
  // each kind, independently of which ones the contract happens to mark privileged.
  const withPrivileged: Record<MethodName, Capability> = { ...METHOD_CAPABILITIES, setRules: 'privileged' };

  it('browser mode refuses a privileged method unless started with --allow-apply, and says how', async () => {
    const api = fakeApi();
    const refused = await createDispatcher(api, browserPolicy({ allowApply: false }), withPrivileged)('setRules', [[]]);
    expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden', message: expect.stringContaining('--allow-apply') } });
    expect(api.setRules).not.toHaveBeenCalled();
    const allowed = await createDispatcher(api, browserPolicy({ allowApply: true }), withPrivileged)('setRules', [[]]);
    expect(allowed).toEqual({ ok: true, value: 'setRules ran' });
  });

  it('browser mode runs read and control methods', async () => {
    const api = fakeApi();
    const dispatch = createDispatcher(api, browserPolicy({ allowApply: false }), withPrivileged);
    for (const method of METHOD_NAMES.filter((m) => withPrivileged[m] !== 'privileged')) {
      await expect(dispatch(method, GOOD_ARGS[method])).resolves.toMatchObject({ ok: true });
    }
  });

  it('the desktop app grants every capability (elevation asks the administrator itself)', async () => {
    const api = fakeApi();
    await expect(createDispatcher(api, DESKTOP_POLICY, withPrivileged)('setRules', [[]])).resolves.toMatchObject({ ok: true });
  });

  it('a policy is checked before the arguments: a refused caller learns nothing about the schema', async () => {
    const api = fakeApi();
    const result = await createDispatcher(api, browserPolicy({ allowApply: false }), withPrivileged)('setRules', ['garbage']);
    expect(result).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });
});

import type { EventName, EventPayload, IdlewatchApi } from '../../../shared/api/contract';
import type { IdlewatchService } from '../../../main/core/service';

/**
 * A recording stand-in for the core: the serve tests are about the transport in front of it.
 * `snapshot` is what getSnapshot answers (the back-pressure tests pass a large one); with `gate`,
 * every call waits for it before answering.
 */
export function fakeService(options: { snapshot?: unknown; gate?: Promise<void> } = {}) {
  const calls: { method: string; args: unknown[] }[] = [];
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const state = { running: true, intervalMs: 2000, lastPollAt: null, lastError: null };
  const record =
    (method: string, value: unknown) =>
    async (...args: unknown[]) => {
      calls.push({ method, args });
      await options.gate;
      return value;
    };
  const api = {
    getSnapshot: record('getSnapshot', options.snapshot ?? { seq: 1 }),
    getPollState: record('getPollState', state),
    setPollInterval: record('setPollInterval', state),
    pausePolling: record('pausePolling', state),
    resumePolling: record('resumePolling', state),
    getRules: record('getRules', []),
    setRules: record('setRules', []),
  } as unknown as IdlewatchApi;
  const service: IdlewatchService = {
    api,
    subscribe: (event, listener) => {
      const set = listeners.get(event) ?? new Set();
      set.add(listener as (p: unknown) => void);
      listeners.set(event, set);
      return () => void set.delete(listener as (p: unknown) => void);
    },
    close: async () => undefined,
  };
  const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => listeners.get(event)?.forEach((l) => l(payload));
  return { service, calls, state, emit, listenerCount: (e: string) => listeners.get(e)?.size ?? 0 };
}

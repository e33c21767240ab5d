import { EventEmitter } from 'node:events';
import type { EventName, EventPayload, IdlewatchApi, Subscribe } from '../../shared/api/contract';
import type { PlatformAdapter } from '../../shared/platform-adapter';
import type { IdleRule } from '../../shared/rules';
import { Poller } from './poller';

/** What the service remembers between runs (where, the host decides: Electron's userData, or ~/.config). */
export interface Preferences {
  pollIntervalMs: number;
  rules: IdleRule[];
}

export interface PreferencesStore {
  load(): Promise<Preferences | null>;
  save(preferences: Preferences): Promise<void>;
}

export const DEFAULT_PREFERENCES: Preferences = { pollIntervalMs: 2000, rules: [] };

export interface IdlewatchService {
  api: IdlewatchApi;
  subscribe: Subscribe;
  close(): void;
}

/**
 * The core behind every transport: the poller, the rules, and the API methods over them.
 * Transports validate arguments (shared/api/contract.ts parseArgs) before calling `api`.
 */
export async function createIdlewatchService(adapter: PlatformAdapter, store: PreferencesStore): Promise<IdlewatchService> {
  const preferences: Preferences = { ...DEFAULT_PREFERENCES, ...((await store.load().catch(() => null)) ?? {}) };
  const events = new EventEmitter();
  events.setMaxListeners(0);
  // Prefixed: a bare 'error' on an EventEmitter with no listener would throw and end the process.
  const channel = (event: EventName) => `api:${event}`;
  const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => events.emit(channel(event), payload);

  const poller = new Poller(adapter, preferences.pollIntervalMs, preferences.rules, {
    delta: (delta) => emit('delta', delta),
    state: (state) => emit('pollState', state),
    error: (message) => emit('error', { code: 'collector', message }),
  });
  poller.start();

  const remember = () => store.save({ ...preferences }).catch(() => undefined);

  const api: IdlewatchApi = {
    getSnapshot: () => poller.snapshot(),
    getPollState: async () => poller.state(),
    setPollInterval: async (ms) => {
      preferences.pollIntervalMs = ms;
      poller.setIntervalMs(ms);
      await remember();
      return poller.state();
    },
    pausePolling: async () => {
      poller.pause();
      return poller.state();
    },
    resumePolling: async () => {
      poller.start();
      return poller.state();
    },
    getRules: async () => preferences.rules,
    setRules: async (rules) => {
      preferences.rules = rules;
      poller.setRules(rules);
      await remember();
      return rules;
    },
  };

  const subscribe: Subscribe = (event, listener) => {
    events.on(channel(event), listener);
    return () => events.off(channel(event), listener);
  };

  return { api, subscribe, close: () => poller.stop() };
}

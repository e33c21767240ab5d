import { EventEmitter } from 'node:events';
import { METHOD_CAPABILITIES } from '../../shared/api/channels';
import { ApiFailure, type CustomProfile, type EventName, type EventPayload, type IdlewatchApi, type NamespaceSelection, type Subscribe } from '../../shared/api/contract';
import type { HostInfo } from '../../shared/model';
import type { PlatformAdapter } from '../../shared/platform-adapter';
import type { IdleRule } from '../../shared/rules';
import { DESKTOP_POLICY, type TransportPolicy } from './dispatcher';
import { namespaceSummaries } from './namespaces';
import { Poller } from './poller';
import { createProfilesCore } from './profiles';
import { createRecordings } from './recordings';
import { createReports } from './reports';

/** What the service remembers between runs (where, the host decides: Electron's userData, or ~/.config). */
export interface Preferences {
  pollIntervalMs: number;
  rules: IdleRule[];
  /** Saved custom keepalive profiles (presets ship with the code). */
  profiles: CustomProfile[];
}

export interface PreferencesStore {
  /** What was stored; a field missing (a file from an older version) takes its default. */
  load(): Promise<Partial<Preferences> | null>;
  save(preferences: Preferences): Promise<void>;
}

export const DEFAULT_PREFERENCES: Preferences = { pollIntervalMs: 2000, rules: [], profiles: [] };

export interface ServiceOptions {
  /**
   * The policy of the one transport this service serves (DESKTOP_POLICY by default). The
   * dispatcher enforces it; the service only says it, in ProfilesView.apply, so a UI can show
   * why Apply is disabled in results and in pushed events alike.
   */
  policy?: TransportPolicy;
  /**
   * Prints a report's HTML to PDF. The desktop app passes Electron's printToPDF
   * (main/electron/pdf-printer.ts); without it a local Chromium or Chrome is used when one is
   * installed (main/report/pdf.ts), else a PDF export fails 'unsupported' naming what to install.
   */
  pdfPrinter?: (html: string) => Promise<Buffer>;
  /** Where the app's recordings go (default: main/core/recorder.ts recordingsDir()). */
  recordingsDir?: string;
}

/** Why a transport's callers cannot apply, or null: from its policy, in the words shown beside the disabled button. */
export function applyRefusal(policy: TransportPolicy): string | null {
  if (policy.allows.has(METHOD_CAPABILITIES.applyProfile)) return null;
  return `Applying is off in ${policy.name}${policy.privilegedHint ? `: ${policy.privilegedHint}` : ''}.`;
}

/** A burst of changes (a slider dragged, a client calling in a loop) becomes one write. */
export const PREFERENCES_WRITE_DELAY_MS = 500;

export interface IdlewatchService {
  api: IdlewatchApi;
  subscribe: Subscribe;
  /** Stops polling, writes pending preferences, releases the adapter. Safe to call more than once. */
  close(): Promise<void>;
}

/**
 * Writes the latest preferences at most once per `delayMs`, and only when they changed since the
 * last write. `flush` writes what is pending now (on close).
 */
function coalescedWriter(store: PreferencesStore, delayMs: number) {
  let pending: Preferences | null = null;
  let lastWritten: string | null = null;
  let timer: NodeJS.Timeout | null = null;
  let writing: Promise<void> = Promise.resolve();
  const write = () => {
    timer = null;
    const next = pending;
    pending = null;
    if (!next) return writing;
    const text = JSON.stringify(next);
    if (text === lastWritten) return writing;
    lastWritten = text;
    writing = writing.then(() => store.save(next)).catch(() => undefined);
    return writing;
  };
  return {
    save(preferences: Preferences): void {
      pending = { ...preferences };
      timer ??= setTimeout(write, delayMs);
    },
    flush(): Promise<void> {
      if (timer) clearTimeout(timer);
      return write();
    },
    /** Seeds what is on disk, so re-saving the loaded values writes nothing. */
    loaded(preferences: Preferences): void {
      lastWritten = JSON.stringify(preferences);
    },
  };
}

/**
 * The core behind every transport: the poller, the rules, and the API methods over them.
 * Transports reach `api` only through the dispatcher (main/core/dispatcher.ts), which validates
 * arguments and rights first. The service owns the adapter and closes it.
 */
export async function createIdlewatchService(adapter: PlatformAdapter, store: PreferencesStore, options: ServiceOptions = {}): Promise<IdlewatchService> {
  const stored = await store.load().catch(() => null);
  const preferences: Preferences = {
    pollIntervalMs: stored?.pollIntervalMs ?? DEFAULT_PREFERENCES.pollIntervalMs,
    rules: stored?.rules ?? DEFAULT_PREFERENCES.rules,
    profiles: stored?.profiles ?? DEFAULT_PREFERENCES.profiles,
  };
  const writer = coalescedWriter(store, PREFERENCES_WRITE_DELAY_MS);
  if (stored) writer.loaded(preferences);
  const events = new EventEmitter();
  events.setMaxListeners(0);
  // Prefixed: a bare 'error' on an EventEmitter with no listener would throw and end the process.
  const channel = (event: EventName) => `api:${event}`;
  const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => events.emit(channel(event), payload);

  // The host is described once; where it sits on the network (slower: systeminformation runs
  // commands) follows in the background and joins the next poll.
  let host: Promise<HostInfo> = adapter.describeHost();
  void host.then((described) =>
    adapter.describeNetwork().then(
      (network) => (host = Promise.resolve({ ...described, network })),
      () => undefined,
    ),
  );

  const poller = new Poller(
    adapter,
    { intervalMs: preferences.pollIntervalMs, rules: preferences.rules, host: () => host },
    {
      delta: (delta) => {
        emit('delta', delta);
        recordings.delta(delta);
      },
      state: (state) => emit('pollState', state),
      error: (message) => emit('error', { code: 'collector', message }),
    },
  );
  poller.start();

  const profiles = createProfilesCore({
    adapter,
    customProfiles: () => preferences.profiles,
    saveCustomProfiles: (saved) => {
      preferences.profiles = saved;
      writer.save(preferences);
    },
    rules: () => preferences.rules,
    snapshot: () => poller.snapshot(),
    pollNow: () => poller.pollFresh(),
    emit: (view) => emit('profiles', view),
    transportRefusal: applyRefusal(options.policy ?? DESKTOP_POLICY),
  });
  // In the background: start-up does not wait; an apply does (profiles.ts).
  void profiles.recoverAtStart();

  const recordings = createRecordings({
    adapter,
    dir: options.recordingsDir,
    rules: () => preferences.rules,
    snapshot: () => poller.snapshot(),
    // A recording writes once per poll: it records at the poll interval, and polling must run.
    pollAt: (intervalMs) => {
      preferences.pollIntervalMs = intervalMs;
      poller.setIntervalMs(intervalMs);
      poller.start();
      writer.save(preferences);
      emit('pollState', poller.state());
    },
    emit: (state) => emit('recording', state),
  });
  const reports = createReports({
    snapshot: () => poller.snapshot(),
    rules: () => preferences.rules,
    history: async () => (await profiles.getProfiles()).history,
    pdfPrinter: options.pdfPrinter ?? null,
    recordingsDir: recordings.dir,
  });

  /** An id must name a namespace in use; where others cannot be read, only the current one does. */
  const checkSelectable = async (selection: NamespaceSelection): Promise<void> => {
    if (selection === 'current' || selection === 'all') return;
    const found = (await adapter.listNamespaces()).find((n) => n.id === selection);
    if (found) return;
    if (!adapter.capabilities.namespaces) {
      throw new ApiFailure('unsupported', adapter.capabilities.namespacesReason ?? 'other network namespaces cannot be read here');
    }
    throw new ApiFailure('bad-request', `no network namespace ${selection} is in use (it may have just gone)`);
  };

  const api: IdlewatchApi = {
    getSnapshot: () => poller.snapshot(),
    getPollState: async () => poller.state(),
    setPollInterval: async (ms) => {
      preferences.pollIntervalMs = ms;
      poller.setIntervalMs(ms);
      writer.save(preferences);
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
      recordings.setRules(rules);
      writer.save(preferences);
      return rules;
    },
    getProfiles: profiles.getProfiles,
    saveProfiles: profiles.saveProfiles,
    previewProfile: profiles.previewProfile,
    applyProfile: profiles.applyProfile,
    undoLastApply: profiles.undoLastApply,
    exportReport: reports.exportReport,
    startRecording: recordings.start,
    stopRecording: recordings.stop,
    getRecordingState: async () => recordings.state(),
    listRecordings: recordings.list,
    listNamespaces: async () => namespaceSummaries(adapter, { rules: preferences.rules, host: await host }),
    selectNamespace: async (selection) => {
      await checkSelectable(selection);
      poller.select(selection);
      return poller.state();
    },
  };

  const subscribe: Subscribe = (event, listener) => {
    events.on(channel(event), listener);
    return () => events.off(channel(event), listener);
  };

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      await poller.stop();
      await recordings.stop();
      await writer.flush();
    })();
    return closing;
  };

  return { api, subscribe, close };
}

/**
 * The API's names and rights, without its schemas: what the preload bundles (a sandboxed preload
 * carries every byte it imports) and what the dispatcher's policies speak of. The schemas for
 * each name are in ./contract.ts, which the compiler holds to exactly these names.
 */

/**
 * What calling a method may do:
 * - read: looks, changes nothing;
 * - control: changes what Idlewatch itself does (polling, rules, preferences);
 * - privileged: changes the system (kernel settings through the elevated helper).
 * Each transport has one policy over these words (main/core/dispatcher.ts).
 */
export const CAPABILITIES = ['read', 'control', 'privileged'] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** Every method, with the capability it needs. */
export const METHOD_CAPABILITIES = {
  getSnapshot: 'read',
  getPollState: 'read',
  setPollInterval: 'control',
  pausePolling: 'control',
  resumePolling: 'control',
  getRules: 'read',
  setRules: 'control',
  /** Presets, custom profiles, the settings in force now and after the next boot, history. */
  getProfiles: 'read',
  /** Replaces the saved custom profiles. */
  saveProfiles: 'control',
  /** What a profile would do to every live connection; changes nothing. */
  previewProfile: 'read',
  /** Changes the kernel's keepalive settings (through the elevated helper). */
  applyProfile: 'privileged',
  /** Restores what was in force before the last apply. */
  undoLastApply: 'privileged',
  /** A report of the current snapshot (or a post-mortem of a recording) as a file to save. */
  exportReport: 'read',
  /** Starts writing what the collector sees to a new file in the recordings folder. */
  startRecording: 'control',
  stopRecording: 'control',
  getRecordingState: 'read',
  /** The recordings in the recordings folder, newest first. */
  listRecordings: 'read',
  /** Every network namespace in use, its keepalive settings next to the host's, its sockets. */
  listNamespaces: 'read',
  /** Which namespace the poller reads: the current one, one by id, or all of them. */
  selectNamespace: 'control',
} as const satisfies Record<string, Capability>;

export type MethodName = keyof typeof METHOD_CAPABILITIES;
export const METHOD_NAMES = Object.keys(METHOD_CAPABILITIES) as MethodName[];

/** Events the core pushes. */
export const EVENT_NAMES = ['delta', 'pollState', 'error', 'profiles', 'recording'] as const;
export type EventName = (typeof EVENT_NAMES)[number];

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.hasOwn(METHOD_CAPABILITIES, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && (EVENT_NAMES as readonly string[]).includes(name);
}

/** Electron IPC channel names, derived from the tables above; no channel string is written anywhere else. */
export const callChannel = (method: MethodName) => `idlewatch:call:${method}`;
export const eventChannel = (event: EventName) => `idlewatch:event:${event}`;

/**
 * Channels of the desktop shell itself, outside the API: what only a desktop window can do and
 * browser mode does its own way (a save dialog there, a download here). main/electron/ handles
 * them with the same sender check as the API's channels; the preload names each once.
 */
export const DESKTOP_CHANNELS = {
  /** Saves an exported report through the native save dialog (main/electron/save-file.ts). */
  saveFile: 'idlewatch:desktop:save-file',
} as const;

/** What became of a file handed to `saveFile`: not saved when the user cancelled the save dialog. */
export interface SaveOutcome {
  saved: boolean;
  /** The path it was written to (desktop); null for a browser download, whose place the browser decides. */
  where: string | null;
}

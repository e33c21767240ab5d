/**
 * The preload of the sandboxed renderer (STYLE.md point 3). It exposes one object,
 * `window.idlewatch`: one function per API method and `on` for the pushed events, derived from
 * the contract's names (shared/api/channels.ts — names only, so this bundle stays a few kB; the
 * schemas are checked in main by the dispatcher). Checklist #20 "Do not expose Electron APIs to
 * untrusted web content": there is no generic invoke/send, and listeners receive the payload,
 * never the IpcRendererEvent (whose `sender` is the ipcRenderer itself).
 *
 * Besides the API, one desktop-only function: `saveFile`, which hands an exported report to main
 * for the native save dialog (save-file.ts); browser mode downloads the file instead.
 *
 * Methods resolve with the Result itself, `{ ok, value } | { ok, error: { code, message } }`:
 * contextBridge copies a thrown Error's message but drops its code, so the renderer's bridge
 * unwraps the Result on its side (renderer/src/lib/bridge.ts).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { DESKTOP_CHANNELS, METHOD_NAMES, callChannel, eventChannel, isEventName, type EventName, type MethodName } from '../../shared/api/channels';
import type { Result } from '../../shared/api/result';

/** What the page sees as `window.idlewatch`. */
export type PreloadApi = { [M in MethodName]: (...args: unknown[]) => Promise<Result<unknown>> } & {
  on(event: EventName, listener: (payload: unknown) => void): () => void;
  /** Saves an exported report where the user chooses; checked in main like any call. */
  saveFile(file: unknown): Promise<Result<unknown>>;
};

/** The global name the renderer's bridge reads. (Nothing else is exported: the preload is a plain script.) */
const BRIDGE_GLOBAL = 'idlewatch';

function method(name: MethodName) {
  return (...args: unknown[]) => ipcRenderer.invoke(callChannel(name), ...args) as Promise<Result<unknown>>;
}

function on(event: EventName, listener: (payload: unknown) => void): () => void {
  if (!isEventName(event)) throw new TypeError(`idlewatch.on: unknown event '${String(event)}'`);
  if (typeof listener !== 'function') throw new TypeError('idlewatch.on: the listener must be a function');
  const channel = eventChannel(event);
  const receive = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
  ipcRenderer.on(channel, receive);
  return () => {
    ipcRenderer.removeListener(channel, receive);
  };
}

/** One argument only: the page cannot smuggle more to main than the file. */
function saveFile(file: unknown): Promise<Result<unknown>> {
  return ipcRenderer.invoke(DESKTOP_CHANNELS.saveFile, file) as Promise<Result<unknown>>;
}

const bridge = Object.freeze({
  ...Object.fromEntries(METHOD_NAMES.map((name) => [name, method(name)])),
  on,
  saveFile,
}) as PreloadApi;

contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, bridge);

/**
 * The preload of the sandboxed renderer (STYLE.md point 3). It exposes one object,
 * `window.idlewatch`: one function per API method and `on` for the pushed events, all derived
 * from the contract. Checklist #20 "Do not expose Electron APIs to untrusted web content": there
 * is no generic invoke/send, and listeners receive the payload, never the IpcRendererEvent
 * (whose `sender` is the ipcRenderer itself).
 *
 * A sandboxed preload is CommonJS and may require only 'electron' (and a few Node built-ins):
 * electron.config.ts bundles everything else into out/preload/index.cjs.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  callChannel,
  EVENT_NAMES,
  eventChannel,
  fromResult,
  METHOD_NAMES,
  type EventName,
  type IdlewatchApi,
  type MethodName,
  type Result,
  type Subscribe,
} from '../../shared/api/contract';

/** What the page sees as `window.idlewatch`. */
export type IdlewatchBridge = IdlewatchApi & { on: Subscribe };

/** The global name the renderer's bridge reads. (Nothing else is exported: the preload is a plain script.) */
const BRIDGE_GLOBAL = 'idlewatch';

/**
 * A method resolves with its value or rejects with an Error carrying the main process's message
 * (contextBridge copies an Error's message, not its class or extra fields).
 */
function method(name: MethodName) {
  return async (...args: unknown[]) => fromResult((await ipcRenderer.invoke(callChannel(name), ...args)) as Result<unknown>);
}

const on: Subscribe = (event, listener) => {
  if (!(EVENT_NAMES as readonly string[]).includes(event)) throw new TypeError(`idlewatch.on: unknown event '${String(event)}'`);
  if (typeof listener !== 'function') throw new TypeError('idlewatch.on: the listener must be a function');
  const channel = eventChannel(event as EventName);
  const receive = (_event: IpcRendererEvent, payload: unknown) => listener(payload as never);
  ipcRenderer.on(channel, receive);
  return () => {
    ipcRenderer.removeListener(channel, receive);
  };
};

const bridge = Object.freeze({
  ...Object.fromEntries(METHOD_NAMES.map((name) => [name, method(name)])),
  on,
}) as IdlewatchBridge;

contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, bridge);

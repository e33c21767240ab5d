/**
 * The Electron IPC transport of the one API. Each method's channel is handled by the same code:
 * the sender check (this transport's own rule), then the one dispatcher (main/core/dispatcher.ts:
 * capability, arguments, the core), with the outcome as a Result. Channel names come only from
 * callChannel / eventChannel.
 */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { EVENT_NAMES, METHOD_NAMES, callChannel, eventChannel, type EventName } from '../../shared/api/channels';
import type { EventPayload, Subscribe } from '../../shared/api/contract';
import { ApiFailure, type Result } from '../../shared/api/result';
import type { Dispatch } from '../core/dispatcher';

export interface IpcOptions {
  dispatch: Dispatch;
  subscribe: Subscribe;
  /** The one window allowed to call and to be pushed events; null while none is open. */
  getWindow: () => BrowserWindow | null;
  /** True for the app's own page (renderer-location.ts isRendererUrl). */
  isAppUrl: (url: string) => boolean;
}

/** Registers every method and forwards every event; the returned function undoes both. */
export function registerIpc(options: IpcOptions): () => void {
  for (const method of METHOD_NAMES) {
    ipcMain.handle(callChannel(method), (event, ...args: unknown[]): Promise<Result<unknown>> => {
      const refusal = senderRefusal(event, options.getWindow(), options.isAppUrl);
      if (refusal) {
        const error = new ApiFailure('forbidden', `${method}: refused, ${refusal}`);
        return Promise.resolve({ ok: false, error: { code: error.code, message: error.message } });
      }
      return options.dispatch(method, args);
    });
  }
  const unsubscribes = EVENT_NAMES.map((event) => options.subscribe(event, (payload) => forward(options, event, payload)));
  return () => {
    for (const method of METHOD_NAMES) ipcMain.removeHandler(callChannel(method));
    for (const unsubscribe of unsubscribes) unsubscribe();
  };
}

/**
 * Checklist #17 "Validate the sender of all IPC messages": only the main frame of the app's
 * window, showing the app's own page, may call. An iframe, another window or a page the window
 * was somehow navigated to gets 'forbidden'. Returns why a sender is refused, or null.
 */
export function senderRefusal(
  event: IpcMainInvokeEvent,
  window: BrowserWindow | null,
  isAppUrl: (url: string) => boolean,
): string | null {
  if (!window || window.isDestroyed()) return 'the Idlewatch window is not open';
  const contents = window.webContents;
  if (event.sender.id !== contents.id) return 'the caller is not the Idlewatch window';
  // senderFrame is null once the calling frame has navigated away or been destroyed.
  const frame = event.senderFrame;
  if (!frame) return 'the calling frame is gone';
  const mainFrame = contents.mainFrame;
  if (frame.parent !== null || frame.processId !== mainFrame.processId || frame.frameToken !== mainFrame.frameToken) {
    return 'the caller is not the main frame of the Idlewatch window';
  }
  if (!isAppUrl(frame.url)) return 'the caller is not the Idlewatch page';
  return null;
}

/** Pushes only the payload: an event object never crosses to the page. */
function forward<E extends EventName>({ getWindow, isAppUrl }: IpcOptions, event: E, payload: EventPayload<E>): void {
  const window = getWindow();
  if (!window || window.isDestroyed() || window.webContents.isDestroyed()) return;
  if (!isAppUrl(window.webContents.getURL())) return;
  window.webContents.send(eventChannel(event), payload);
}

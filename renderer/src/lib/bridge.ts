/**
 * The renderer's one way to the core. The UI calls `bridge` (IdlewatchApi plus event
 * subscriptions) and does not know the transport: the Electron preload's `window.idlewatch`, or
 * a WebSocket to `idlewatch serve` when the page was opened in a browser.
 */
import type { IdlewatchApi, Subscribe } from '../../../shared/api/contract';
import { WS_PATH } from '../../../shared/api/wire';
import { createWebSocketBridge } from './ws-bridge';

/**
 * The link to the core. Electron's IPC is always 'open'; a WebSocket can drop and is retried:
 * `attempt` counts failed tries since it was last open, `retryAt` is the next try (epoch ms).
 */
export type LinkState =
  | { status: 'connecting'; attempt: number }
  | { status: 'open' }
  | { status: 'closed'; attempt: number; retryAt: number };

export interface Bridge extends IdlewatchApi {
  readonly transport: 'electron' | 'browser';
  on: Subscribe;
  /** Follows the link; the listener is called at once with the current state. */
  onLink(listener: (link: LinkState) => void): () => void;
  /** Tries to connect now instead of waiting for the next retry (browser mode; a no-op in Electron). */
  reconnect(): void;
}

/** What the preload exposes (main/electron/preload.ts): one async function per method, and `on`. */
export type PreloadApi = IdlewatchApi & { on: Subscribe };

function electronBridge(preload: PreloadApi): Bridge {
  const bridge: Bridge = {
    ...preload,
    transport: 'electron',
    on: (event, listener) => preload.on(event, listener),
    onLink(listener) {
      listener({ status: 'open' });
      return () => undefined;
    },
    reconnect: () => undefined,
  };
  return bridge;
}

/** ws://host/api, or wss:// when the page came over https. */
export function webSocketUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${WS_PATH}`;
}

/** Picks the transport once, at start. */
export function createBridge(win: Window = window): Bridge {
  const preload = (win as Window & { idlewatch?: PreloadApi }).idlewatch;
  if (preload) return electronBridge(preload);
  // The page's WebSocket carries the serve token as the HttpOnly cookie set with the page.
  return createWebSocketBridge({ url: webSocketUrl(win.location) });
}

/**
 * The renderer's one way to the core. The UI calls `bridge` (IdlewatchApi plus event
 * subscriptions) and does not know the transport: the Electron preload's `window.idlewatch`, or
 * a WebSocket to `idlewatch serve` when the page was opened in a browser.
 */
import { METHOD_NAMES, type MethodName, type SaveOutcome } from '../../../shared/api/channels';
import type { ExportedFile, IdlewatchApi, Subscribe } from '../../../shared/api/contract';
import { fromResult, type Result } from '../../../shared/api/result';
import { isTokenShaped, TOKEN_FRAGMENT_PARAM, TOKEN_STORAGE_KEY, WS_PATH } from '../../../shared/api/wire';
import { createWebSocketBridge, type TokenStore } from './ws-bridge';

/**
 * The link to the core. Electron's IPC is always 'open'; a WebSocket can drop and is retried:
 * `attempt` counts failed tries since it was last open, `retryAt` is the next try (epoch ms).
 * In browser mode the link is 'unauthorized' when the page has no token (it was not opened from
 * the URL `idlewatch serve` printed) or the server refused it (it restarted with a new one);
 * nothing is retried until a new token arrives. `unauthorizedMessage(reason)` (ws-bridge.ts)
 * says what to do.
 */
export type LinkState =
  | { status: 'connecting'; attempt: number }
  | { status: 'open' }
  | { status: 'closed'; attempt: number; retryAt: number }
  | { status: 'unauthorized'; reason: 'missing' | 'refused' };

export type { SaveOutcome };

export interface Bridge extends IdlewatchApi {
  readonly transport: 'electron' | 'browser';
  on: Subscribe;
  /**
   * Saves a file the core made (an exported report): the desktop app asks where with its save
   * dialog (main/electron/save-file.ts); browser mode downloads it.
   */
  saveFile(file: ExportedFile): Promise<SaveOutcome>;
  /** Follows the link; the listener is called at once with the current state. */
  onLink(listener: (link: LinkState) => void): () => void;
  /** Tries to connect now instead of waiting for the next retry (browser mode; a no-op in Electron). */
  reconnect(): void;
}

/**
 * What the preload exposes (main/electron/preload.ts): one async function per method that
 * resolves with the Result itself — contextBridge would keep only a thrown Error's message and
 * lose its code — `on`, and the desktop's own `saveFile` (main/electron/save-file.ts).
 */
export type PreloadApi = { [M in MethodName]: (...args: unknown[]) => Promise<Result<unknown>> } & {
  on: Subscribe;
  saveFile(file: ExportedFile): Promise<Result<SaveOutcome>>;
};

function electronBridge(preload: PreloadApi): Bridge {
  // Each method unwraps its Result here, on the page's side, into a value or an ApiFailure with its code.
  const methods = Object.fromEntries(
    METHOD_NAMES.map((method) => [method, async (...args: unknown[]) => fromResult(await preload[method](...args))]),
  ) as unknown as IdlewatchApi;
  return {
    ...methods,
    transport: 'electron',
    on: (event, listener) => preload.on(event, listener),
    saveFile: async (file) => fromResult(await preload.saveFile(file)),
    onLink(listener) {
      listener({ status: 'open' });
      return () => undefined;
    },
    reconnect: () => undefined,
  };
}

/** ws://host/api, or wss:// when the page came over https. */
export function webSocketUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${WS_PATH}`;
}

export type PageTokenStore = TokenStore & {
  /**
   * Takes a token out of the address bar (`#token=…`) into sessionStorage; true when there was
   * one. The fragment is removed either way, so it stays out of history and bookmarks.
   */
  takeFromFragment(): boolean;
};

/**
 * The serve token of this page. sessionStorage is scoped to scheme, host and port, so another
 * local service or another `serve` instance cannot read it, and it survives a reload of the tab.
 * Where the page may not use it, the token lives as long as the page.
 */
export function pageTokenStore(win: Pick<Window, 'location' | 'history' | 'sessionStorage'>): PageTokenStore {
  /** The token taken from the fragment by this page, in case sessionStorage refuses it. */
  let kept: string | null = null;
  /** Runs a sessionStorage operation; denied or full storage (a sandboxed frame) gives null. */
  const storage = <T>(run: (s: Storage) => T): T | null => {
    try {
      return run(win.sessionStorage);
    } catch {
      return null;
    }
  };
  return {
    read() {
      const stored = storage((s) => s.getItem(TOKEN_STORAGE_KEY));
      return kept ?? (isTokenShaped(stored) ? stored : null);
    },
    forget(token) {
      if (kept === token) kept = null;
      storage((s) => s.getItem(TOKEN_STORAGE_KEY) === token && s.removeItem(TOKEN_STORAGE_KEY));
    },
    takeFromFragment() {
      const { hash, pathname, search } = win.location;
      const params = new URLSearchParams(hash.slice(1));
      if (!params.has(TOKEN_FRAGMENT_PARAM)) return false;
      win.history.replaceState(win.history.state, '', `${pathname}${search}`);
      const token = params.get(TOKEN_FRAGMENT_PARAM);
      if (!isTokenShaped(token)) return false;
      kept = token;
      storage((s) => s.setItem(TOKEN_STORAGE_KEY, token));
      return true;
    },
  };
}

/** The bytes of a file as the core sent them: text as it is, a PDF from its base64. */
export function fileBytes(file: ExportedFile): string | Uint8Array<ArrayBuffer> {
  if (file.encoding === 'utf8') return file.content;
  const binary = atob(file.content);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** How long a download's blob: URL is kept: revoking it at once can cancel the download in some browsers. */
const DOWNLOAD_URL_LIFETIME_MS = 60_000;

/**
 * Browser mode's saveFile: the browser's own download, as if a link to the file were clicked.
 * Where it lands is the browser's (and the user's) choice, so `where` is null.
 */
export function downloadFile(file: ExportedFile, doc: Document = document): Promise<SaveOutcome> {
  const url = URL.createObjectURL(new Blob([fileBytes(file)], { type: file.mimeType }));
  const link = doc.createElement('a');
  link.href = url;
  link.download = file.fileName;
  link.hidden = true;
  doc.body.append(link);
  try {
    link.click();
  } finally {
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), DOWNLOAD_URL_LIFETIME_MS);
  }
  return Promise.resolve({ saved: true, where: null });
}

/** Picks the transport once, at start. */
export function createBridge(win: Window = window): Bridge {
  const preload = (win as Window & { idlewatch?: PreloadApi }).idlewatch;
  if (preload) return electronBridge(preload);
  const token = pageTokenStore(win);
  token.takeFromFragment();
  const bridge = createWebSocketBridge({ url: webSocketUrl(win.location), token, saveFile: (file) => downloadFile(file, win.document) });
  // Opening the printed URL in a tab that already shows the app changes only the fragment: no reload.
  win.addEventListener('hashchange', () => {
    if (token.takeFromFragment()) bridge.reconnect();
  });
  return bridge;
}

/**
 * Where the window's page comes from: the built renderer folder, served as app://idlewatch/
 * (app-protocol.ts; checklist #18 "Avoid usage of the file:// protocol"), or electron-vite's dev
 * server while developing. The same answer decides which URLs count as "the app" for navigation
 * (security.ts) and for IPC senders (ipc.ts), so the two checks cannot disagree.
 */
export type RendererLocation =
  | { kind: 'app-protocol'; rendererDir: string; url: URL }
  | { kind: 'dev-server'; url: URL };

/**
 * The built page's address: app://idlewatch/index.html. Defined here, not in app-protocol.ts
 * (which re-exports them), so this module stays free of the electron import and stays testable
 * without a fake.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'idlewatch';
/** A string, so no caller can mutate a shared URL object. */
export const APP_PAGE_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The dev server is honoured only in an unpackaged app and only on loopback over http(s): a
 * packaged build must never load a page named by an environment variable (checklist #1 "Only
 * load secure content"; DESIGN.md "no remote content").
 */
export function resolveRendererLocation(options: {
  /** The build's out/renderer folder, which app://idlewatch/ serves. */
  rendererDir: string;
  isPackaged: boolean;
  devServerUrl?: string | undefined;
}): RendererLocation {
  const dev = options.isPackaged ? null : parseDevServerUrl(options.devServerUrl);
  if (dev) return { kind: 'dev-server', url: dev };
  return { kind: 'app-protocol', rendererDir: options.rendererDir, url: new URL(APP_PAGE_URL) };
}

function parseDevServerUrl(text: string | undefined): URL | null {
  if (!text) return null;
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_HOSTS.has(url.hostname) ? url : null;
  } catch {
    return null;
  }
}

/**
 * True for the app's own page.
 *
 * Built app: only the page document, app://idlewatch/index.html or app://idlewatch/ (which
 * serves it), with any query or fragment. Not every path of the scheme: the scripts, styles and
 * icon the page loads from there are subresources, which neither caller of this function sees
 * (will-navigate and a frame's URL are documents; CSP 'self' governs subresources). An SVG or
 * JSON file of the build opened as a document is not the app, so it may neither replace the page
 * (security.ts) nor call the API (ipc.ts) — one strict rule serves both callers.
 *
 * Dev server: any path on its origin (Vite serves modules and HMR from there).
 */
export function isRendererUrl(location: RendererLocation, candidate: string): boolean {
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return false;
  }
  if (location.kind === 'dev-server') return url.origin === location.url.origin;
  // url.host includes any port; a URL with credentials is not the page either.
  return (
    url.protocol === `${APP_SCHEME}:` &&
    url.host === APP_HOST &&
    url.username === '' &&
    url.password === '' &&
    (url.pathname === '' || url.pathname === '/' || url.pathname === location.url.pathname)
  );
}

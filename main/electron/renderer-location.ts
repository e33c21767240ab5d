import { pathToFileURL } from 'node:url';

/**
 * Where the window's page comes from: the built file beside out/main, or electron-vite's dev
 * server while developing. The same answer decides which URLs count as "the app" for navigation
 * (security.ts) and for IPC senders (ipc.ts), so the two checks cannot disagree.
 */
export type RendererLocation =
  | { kind: 'file'; path: string; url: URL }
  | { kind: 'dev-server'; url: URL };

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The dev server is honoured only in an unpackaged app and only on loopback over http(s): a
 * packaged build must never load a page named by an environment variable (checklist #1 "Only
 * load secure content"; DESIGN.md "no remote content").
 */
export function resolveRendererLocation(options: {
  rendererFile: string;
  isPackaged: boolean;
  devServerUrl?: string | undefined;
}): RendererLocation {
  const dev = options.isPackaged ? null : parseDevServerUrl(options.devServerUrl);
  if (dev) return { kind: 'dev-server', url: dev };
  return { kind: 'file', path: options.rendererFile, url: pathToFileURL(options.rendererFile) };
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
 * True for the app's own page: the same file (any query or fragment), or any path on the dev
 * server's origin (Vite serves modules and HMR from there).
 */
export function isRendererUrl(location: RendererLocation, candidate: string): boolean {
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return false;
  }
  if (location.kind === 'dev-server') return url.origin === location.url.origin;
  return url.protocol === 'file:' && url.host === location.url.host && url.pathname === location.url.pathname;
}

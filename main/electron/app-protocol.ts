/**
 * The desktop app's page is served from app://idlewatch/ rather than file:// (Electron security
 * checklist #18 "Avoid usage of the file:// protocol and prefer usage of custom protocols"): a
 * file: page may read, and be navigated to, any file the user can; this scheme answers only
 * for the built renderer folder, only with the file types the build produces, and with the
 * app's Content-Security-Policy on every response.
 *
 * Three parts: registerAppScheme (before 'ready'), the pure resolveAppRequest (URL → file), and
 * the handler that reads the file (createAppProtocolHandler / handleAppProtocol, after 'ready').
 */
import { protocol, type Protocol } from 'electron';
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, isAbsolute, join, relative, sep } from 'node:path';
import { CONTENT_SECURITY_POLICY } from '../../shared/csp';
import { RENDERER_CONTENT_TYPES } from '../serve/content-types';
import { APP_HOST, APP_PAGE_URL, APP_SCHEME } from './renderer-location';

/** 'app', 'idlewatch' and app://idlewatch/index.html (kept in renderer-location.ts, which needs no Electron). */
export { APP_HOST, APP_PAGE_URL, APP_SCHEME };

/**
 * Gives the scheme the privileges of a web origin. Electron accepts this only before the app is
 * ready, and only once, so desktop-app.ts calls it beside applyProcessRules.
 * - standard: the URL has an origin and a path like http(s), so the page's relative URLs
 *   (./assets/…) resolve and CSP 'self' means app://idlewatch; without it neither works.
 * - secure: the origin counts as a secure context, like https, so nothing on it is "mixed content"
 *   and APIs reserved to secure contexts behave as they would over https.
 * - supportFetchAPI: the page may fetch() its own files.
 * Not corsEnabled, bypassCSP or stream: the page needs no cross-origin reads of this scheme, its
 * CSP must apply, and it has no <video>/<audio> to stream.
 */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

export type AppRequestTarget =
  | { ok: true; path: string; contentType: string }
  | { ok: false; status: 400 | 403 | 404 | 405; reason: string };


/**
 * Which file under `rendererDir` an app:// request names, or why none. Pure: it reads nothing,
 * so the handler below adds only the filesystem checks (symlinks, directories, missing files).
 *
 * Chromium canonicalises a standard scheme's URL before it gets here (dot segments, backslashes),
 * and the WHATWG parser does much the same, but the rules below do not rely on either: the path
 * is decoded exactly once and anything that could step out of the folder after decoding is
 * refused outright, then the joined path is checked to be inside the folder as well. (The last
 * two checks are second lines: a WHATWG parser leaves no . or .. segment, %2e forms included.)
 */
export function resolveAppRequest(rendererDir: string, requestUrl: string): AppRequestTarget {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return { ok: false, status: 400, reason: 'not a URL' };
  }
  if (url.protocol !== `${APP_SCHEME}:`) return { ok: false, status: 400, reason: 'not an app: URL' };
  // url.host includes a port; credentials are checked separately. Query and fragment are ignored.
  if (url.host !== APP_HOST || url.username !== '' || url.password !== '') {
    return { ok: false, status: 404, reason: 'no such host' };
  }

  // An encoded slash or backslash would turn into a separator only after decoding: refused
  // before decoding, so "assets/..%2f..%2fsecret" can never become a path of three segments.
  if (/%2f|%5c/i.test(url.pathname)) return { ok: false, status: 403, reason: 'encoded path separator' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(url.pathname);
  } catch {
    return { ok: false, status: 400, reason: 'malformed percent-escape' };
  }
  // NUL ends a path in C, so the OS would see a different name than this check; a backslash is a
  // separator on Windows; a colon names a drive or an NTFS stream there. None is in a build's names.
  if (/[\0\\:]/.test(decoded)) return { ok: false, status: 403, reason: 'forbidden character in path' };

  const segments = decoded === '' || decoded === '/' ? ['index.html'] : decoded.split('/').filter((part) => part !== '');
  if (segments.some((part) => part === '.' || part === '..')) return { ok: false, status: 403, reason: 'dot segment in path' };

  const path = join(rendererDir, ...segments);
  if (!isInside(rendererDir, path)) return { ok: false, status: 403, reason: 'outside the renderer folder' };

  // Only the types the build writes; anything else is refused (404) rather than guessed.
  const contentType = RENDERER_CONTENT_TYPES[extname(path).toLowerCase()];
  if (!contentType) return { ok: false, status: 404, reason: 'not a file type the app serves' };
  return { ok: true, path, contentType };
}

/** True when `path` is `dir` itself or below it (path.relative, so no string-prefix mistakes). */
function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** Sent with every answer, errors included. */
function baseHeaders(): Record<string, string> {
  return {
    // #7 "Define a Content Security Policy": session.webRequest.onHeadersReceived (security.ts)
    // is not documented to see responses of a protocol.handle handler, so the handler sends it.
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
  };
}

const STATUS_TEXT = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed' } as const;

/** A fixed text per status: no path, name or reason of the refusal reaches the page. */
function refusal(status: keyof typeof STATUS_TEXT, method: string, extra: Record<string, string> = {}): Response {
  const text = `${status} ${STATUS_TEXT[status]}`;
  return new Response(method === 'HEAD' ? null : text, {
    status,
    statusText: STATUS_TEXT[status],
    headers: { ...baseHeaders(), 'Content-Type': 'text/plain; charset=utf-8', ...extra },
  });
}

/**
 * The app: scheme's handler: GET and HEAD of the files resolveAppRequest allows. It reads with
 * node:fs/promises, which Electron's main process reads inside app.asar transparently (realpath
 * and stat too), and which also runs under plain Node for the tests.
 */
export function createAppProtocolHandler(rendererDir: string): (request: Request) => Promise<Response> {
  return async (request) => {
    const method = request.method.toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') return refusal(405, method, { Allow: 'GET, HEAD' });

    const target = resolveAppRequest(rendererDir, request.url);
    if (!target.ok) return refusal(target.status, method);

    let body: Buffer;
    try {
      // A symlink inside the folder must not lead out of it: both ends are resolved, and the file
      // is then read by its resolved path, so the name checked is the name read.
      const [root, real] = await Promise.all([realpath(rendererDir), realpath(target.path)]);
      if (!isInside(root, real)) return refusal(403, method);
      if (!(await stat(real)).isFile()) return refusal(404, method);
      body = await readFile(real);
    } catch {
      // Missing, unreadable, or a path through a non-directory: all simply not here.
      return refusal(404, method);
    }
    // A copy into a plain Uint8Array: the fetch types take no Buffer over a shared pool.
    return new Response(method === 'HEAD' ? null : new Uint8Array(body), {
      status: 200,
      headers: { ...baseHeaders(), 'Content-Type': target.contentType },
    });
  };
}

/**
 * Serves app://idlewatch/ from `rendererDir` on `sessionProtocol` (a session's, after 'ready');
 * returns the undo.
 */
export function handleAppProtocol(sessionProtocol: Protocol, rendererDir: string): () => void {
  sessionProtocol.handle(APP_SCHEME, createAppProtocolHandler(rendererDir));
  return () => sessionProtocol.unhandle(APP_SCHEME);
}

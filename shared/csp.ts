/**
 * The renderer's Content-Security-Policy, once (Electron security checklist #7 "Define a
 * Content Security Policy"). The desktop app's app:// handler sends it with every file
 * (main/electron/app-protocol.ts) and the Electron session sets it on every other response
 * (main/electron/security.ts), browser mode sends it with every file (main/serve/), and the
 * build writes it into index.html as a <meta> tag (build/csp-plugin.ts), so the page carries its
 * policy whatever serves it — a header hook that misses a response (as Electron's did for
 * file:// pages, electron/electron#14768) leaves the page no less protected.
 *
 * Inline styles are allowed because Svelte and Vite inject <style> elements; scripts are not.
 */
const DIRECTIVES: readonly (readonly [directive: string, sources: string])[] = [
  ['default-src', "'self'"],
  ['script-src', "'self'"],
  ['style-src', "'self' 'unsafe-inline'"],
  // 'self' covers the WebSocket of browser mode to the same host and port.
  ['connect-src', "'self'"],
  ['img-src', "'self' data:"],
  ['object-src', "'none'"],
  ['base-uri', "'none'"],
  ['form-action', "'none'"],
  ['frame-ancestors', "'none'"],
];

/** Directives a <meta> element cannot carry: browsers ignore them there, with a console warning (CSP3 §3.3). */
const HEADER_ONLY = new Set(['frame-ancestors', 'report-uri', 'sandbox']);

const serialize = (directives: typeof DIRECTIVES) => directives.map(([name, sources]) => `${name} ${sources}`).join('; ');

/** The policy as an HTTP header. */
export const CONTENT_SECURITY_POLICY = serialize(DIRECTIVES);

/** The same policy for index.html's <meta http-equiv>, less what only a header can say. */
export const META_CONTENT_SECURITY_POLICY = serialize(DIRECTIVES.filter(([name]) => !HEADER_ONLY.has(name)));

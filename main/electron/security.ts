/**
 * Every Electron security rule of the desktop app, in one place (STYLE.md point 8). Each rule
 * names the item of the Electron security checklist it implements:
 * https://www.electronjs.org/docs/latest/tutorial/security
 *
 * The IPC sender check (checklist #17) lives with the IPC wrapper in ipc.ts; the preload's narrow
 * surface (checklist #20) is preload.ts.
 */
import { app, shell, type Session, type WebContents, type WebPreferences } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../../shared/csp';

/** The renderer's one policy (shared/csp.ts), re-exported for the session rule below. */
export { CONTENT_SECURITY_POLICY };

/** What every window the app opens has, the app's own and the hidden ones it prints reports in. */
function baseWebPreferences(): WebPreferences {
  return {
    // #3 "Enable Context Isolation": the preload's world and Electron internals stay out of the page's reach.
    contextIsolation: true,
    // #4 "Enable process sandboxing": the renderer has no Node.js, only what the preload exposes.
    sandbox: true,
    // #2 "Do not enable Node.js integration for remote content" (nor for ours), in workers and frames too.
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    // #6 "Do not disable webSecurity".
    webSecurity: true,
    // #8 "Do not enable allowRunningInsecureContent".
    allowRunningInsecureContent: false,
    // #9 "Do not enable experimental features"; #10 "Do not use enableBlinkFeatures" (left unset).
    experimentalFeatures: false,
    // #12 "Verify WebView options before creation": there is no <webview> at all.
    webviewTag: false,
    // #13 "Disable or limit navigation": a file dropped on the window must not replace the app.
    navigateOnDragDrop: false,
  };
}

/** The webPreferences of the app's window. */
export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    ...baseWebPreferences(),
    // A page stuck in a loop of alert() cannot lock the window.
    safeDialogs: true,
  };
}

/**
 * The webPreferences of a hidden window that prints a report to PDF (pdf-printer.ts): no preload,
 * so it has no way to the core, and no JavaScript at all — a report is static HTML, and a process
 * name in it (which any process may set) can then never run as script, whatever escaping missed.
 */
export function printWindowPreferences(): WebPreferences {
  return { ...baseWebPreferences(), javascript: false };
}

/**
 * The print windows open now, by web contents id, each with the one file: URL it was given. The
 * navigation rule below lets such a window show exactly that page — not the app's page, not
 * anything a link in the report points to — and leaves every other contents to `isAppUrl`.
 */
const printPages = new Map<number, string>();

/** Lets the print window `contents` show `fileUrl` (and only it); returns the undo. */
export function allowPrintPage(contents: WebContents, fileUrl: string): () => void {
  const id = contents.id;
  printPages.set(id, fileUrl);
  return () => {
    if (printPages.get(id) === fileUrl) printPages.delete(id);
  };
}

/** #13: where `contents` may go — its report if it is a print window, else the app's own page. */
function navigationAllowed(contents: WebContents, url: string, isAppUrl: (url: string) => boolean): boolean {
  const printPage = printPages.get(contents.id);
  return printPage !== undefined ? url === printPage : isAppUrl(url);
}

/**
 * Rules that must be in place before `app` is ready: #4 "Enable process sandboxing" for every
 * renderer, whatever its webPreferences say (app.enableSandbox is refused after ready).
 */
export function applyProcessRules(): void {
  app.enableSandbox();
}

/** Session-wide rules; call once the app is ready, before any window loads. */
export function applySessionRules(session: Session): void {
  // #7 "Define a Content Security Policy": on every response, replacing whatever the server sent.
  session.webRequest.onHeadersReceived((details, callback) => {
    const responseHeaders = Object.fromEntries(
      Object.entries(details.responseHeaders ?? {}).filter(([name]) => name.toLowerCase() !== 'content-security-policy'),
    );
    callback({ responseHeaders: { ...responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  // #5 "Handle session permission requests from remote content": the app needs no camera,
  // notifications, geolocation, clipboard or anything else a page can ask for.
  session.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

/**
 * Rules for each web contents the app creates (registered through app 'web-contents-created',
 * so a contents nobody planned for gets them too).
 */
export function applyWebContentsRules(contents: WebContents, isAppUrl: (url: string) => boolean): void {
  // #13 "Disable or limit navigation": the page may reload itself, never go elsewhere; a print
  // window stays on its report. (A programmatic loadFile/loadURL does not pass through
  // will-navigate; a link, a form, a meta refresh or a redirect does.) Subframes cannot load
  // anything foreign in the first place: CSP default-src 'self'.
  contents.on('will-navigate', (event) => {
    if (!navigationAllowed(contents, event.url, isAppUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!navigationAllowed(contents, event.url, isAppUrl)) event.preventDefault();
  });
  // #14 "Disable or limit the creation of new windows"; #15 "Do not use shell.openExternal with
  // untrusted content": only https links leave the app, and in the OS browser.
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalLinkAllowed(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  // #12 "Verify WebView options before creation": webviewTag is off; refuse any attempt anyway.
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** #15: an https URL with a host is the only kind handed to the OS (no file:, smb:, custom schemes). */
export function isExternalLinkAllowed(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' && parsed.hostname !== '';
  } catch {
    return false;
  }
}

import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Session, WebContents } from 'electron';
import {
  allowPrintPage,
  applyProcessRules,
  applySessionRules,
  applyWebContentsRules,
  CONTENT_SECURITY_POLICY,
  isExternalLinkAllowed,
  printWindowPreferences,
  secureWebPreferences,
} from '../../../main/electron/security';
import { isRendererUrl, resolveRendererLocation } from '../../../main/electron/renderer-location';
import { APP_URL, app, FakeWebContents, fakeSession, RENDERER_DIR, resetFakes, shell } from './fake-electron';

vi.mock('electron', async () => await import('./fake-electron'));

beforeEach(resetFakes);

// The app's real rule for the built page (renderer-location.ts), so these tests pin what the window may show.
const location = resolveRendererLocation({ rendererDir: RENDERER_DIR, isPackaged: true });
const isAppUrl = (url: string) => isRendererUrl(location, url);

describe('secure webPreferences', () => {
  it('isolate, sandbox and strip Node from the renderer, with nothing loosened', () => {
    expect(secureWebPreferences('/opt/idlewatch/out/preload/index.cjs')).toEqual({
      preload: '/opt/idlewatch/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
    });
  });
});

describe('the webPreferences of a print window', () => {
  it('are the app window’s, less the preload and the dialogs, with JavaScript off', () => {
    const { preload: _preload, safeDialogs: _safeDialogs, ...base } = secureWebPreferences('/unused');
    expect(printWindowPreferences()).toEqual({ ...base, javascript: false });
    expect(printWindowPreferences()).not.toHaveProperty('preload');
  });
});

describe('process rules', () => {
  it('sandbox every renderer, whatever its webPreferences say', () => {
    applyProcessRules();
    expect(app.enableSandbox).toHaveBeenCalledOnce();
  });
});

describe('session rules', () => {
  function installed() {
    const session = fakeSession();
    applySessionRules(session as unknown as Session);
    return session;
  }

  it('the CSP allows scripts from the app only, no plugins, no framing, no foreign base or forms', () => {
    const directives = new Map(CONTENT_SECURITY_POLICY.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('default-src')).toEqual(["'self'"]);
    for (const none of ['object-src', 'base-uri', 'frame-ancestors', 'form-action']) expect(directives.get(none)).toEqual(["'none'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|\*|http:|https:/);
  });

  it('every response carries our CSP, replacing any the server sent and keeping its other headers', () => {
    const listener = installed().webRequest.onHeadersReceived.mock.calls[0]![0];
    const callback = vi.fn();
    listener(
      { responseHeaders: { 'content-security-policy': ["default-src *; script-src 'unsafe-eval'"], 'Content-Type': ['text/html'] } },
      callback,
    );
    expect(callback).toHaveBeenCalledWith({
      responseHeaders: { 'Content-Type': ['text/html'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });

  it('a response without headers still gets the CSP', () => {
    const listener = installed().webRequest.onHeadersReceived.mock.calls[0]![0];
    const callback = vi.fn();
    listener({}, callback);
    expect(callback).toHaveBeenCalledWith({ responseHeaders: { 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });

  it.each(['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fullscreen'])(
    'a page asking for %s is refused',
    (permission) => {
      const session = installed();
      const requestHandler = session.setPermissionRequestHandler.mock.calls[0]![0];
      const callback = vi.fn();
      requestHandler({}, permission, callback, {});
      expect(callback).toHaveBeenCalledExactlyOnceWith(false);
      const checkHandler = session.setPermissionCheckHandler.mock.calls[0]![0];
      expect(checkHandler({}, permission, 'file://', {})).toBe(false);
    },
  );
});

describe('web contents rules', () => {
  function guarded(url = APP_URL) {
    const contents = new FakeWebContents(url);
    applyWebContentsRules(contents as unknown as WebContents, isAppUrl);
    return contents;
  }

  it.each([
    'https://example.com/',
    'http://127.0.0.1:8080/',
    'file:///etc/passwd',
    'file:///opt/idlewatch/out/renderer/index.html',
    'javascript:alert(1)',
    'data:text/html,hi',
    // Other documents of the app's own scheme, or another host of it: not the page (checklist #18).
    'app://idlewatch/favicon.svg',
    'app://idlewatch/assets/index.js',
    'app://evil/index.html',
  ])(
    'navigating or redirecting the window to %s is prevented',
    (url) => {
      const contents = guarded();
      expect(contents.navigate('will-navigate', url)).toBe(true);
      expect(contents.navigate('will-redirect', url)).toBe(true);
    },
  );

  it('the page may reload itself', () => {
    const contents = guarded();
    expect(contents.navigate('will-navigate', APP_URL)).toBe(false);
    expect(contents.navigate('will-navigate', `${APP_URL}#/connections`)).toBe(false);
    expect(contents.navigate('will-navigate', 'app://idlewatch/')).toBe(false);
    expect(contents.navigate('will-redirect', `${APP_URL}?x=1`)).toBe(false);
  });

  it('window.open is always denied; only https links go to the OS browser', () => {
    const contents = guarded();
    const open = (url: string) => contents.windowOpenHandler!({ url });

    expect(open('https://www.kernel.org/doc/Documentation/networking/ip-sysctl.txt')).toEqual({ action: 'deny' });
    expect(shell.openExternal).toHaveBeenCalledExactlyOnceWith('https://www.kernel.org/doc/Documentation/networking/ip-sysctl.txt');

    for (const url of ['http://example.com/', 'file:///etc/shadow', 'smb://host/share', 'javascript:alert(1)', APP_URL, 'not a url']) {
      expect(open(url)).toEqual({ action: 'deny' });
    }
    expect(shell.openExternal).toHaveBeenCalledOnce();
  });

  describe('a print window (pdf-printer.ts)', () => {
    const REPORT = 'file:///tmp/idlewatch-report-x1/report.html';

    it('may show exactly its report file while printing, and not the app’s page', () => {
      const contents = guarded('about:blank');
      const release = allowPrintPage(contents as unknown as WebContents, REPORT);
      expect(contents.navigate('will-navigate', REPORT)).toBe(false);
      expect(contents.navigate('will-redirect', REPORT)).toBe(false);
      for (const url of [APP_URL, `${REPORT}?x=1`, 'file:///tmp/idlewatch-report-x1/other.html', 'https://example.com/']) {
        expect(contents.navigate('will-navigate', url)).toBe(true);
      }
      release();
      expect(contents.navigate('will-navigate', REPORT)).toBe(true);
      expect(contents.navigate('will-navigate', APP_URL)).toBe(false);
    });

    it('its report is no one else’s: the app’s window cannot go there', () => {
      const app = guarded();
      const printer = guarded('about:blank');
      const release = allowPrintPage(printer as unknown as WebContents, REPORT);
      expect(app.navigate('will-navigate', REPORT)).toBe(true);
      expect(app.navigate('will-navigate', APP_URL)).toBe(false);
      release();
    });

    it('opens no windows either', () => {
      const contents = guarded('about:blank');
      const release = allowPrintPage(contents as unknown as WebContents, REPORT);
      expect(contents.windowOpenHandler!({ url: REPORT })).toEqual({ action: 'deny' });
      release();
    });
  });

  it('a <webview> is never attached', () => {
    const contents = guarded();
    const event = { preventDefault: vi.fn() };
    contents.emit('will-attach-webview', event, {}, {});
    expect(event.preventDefault).toHaveBeenCalledOnce();
  });

  it.each([
    ['https://example.com/a?b#c', true],
    ['http://example.com/', false],
    ['https://', false],
    ['file:///tmp/x.html', false],
    ['mailto:root@example.com', false],
    ['', false],
  ])('an external link to %j is allowed: %s', (url, allowed) => {
    expect(isExternalLinkAllowed(url)).toBe(allowed);
  });
});

import { describe, expect, it } from 'vitest';
import { isRendererUrl, resolveRendererLocation, type RendererLocation } from '../../../main/electron/renderer-location';

const rendererDir = '/opt/Idle Watch/out/renderer';
const appLocation = resolveRendererLocation({ rendererDir, isPackaged: true });

describe('where the renderer comes from', () => {
  it('a packaged app loads the built page over app://, whatever ELECTRON_RENDERER_URL says', () => {
    expect(resolveRendererLocation({ rendererDir, isPackaged: true, devServerUrl: 'http://localhost:5173/' })).toEqual({
      kind: 'app-protocol',
      rendererDir,
      url: new URL('app://idlewatch/index.html'),
    });
  });

  it('each answer has its own URL object: changing one does not move the app', () => {
    const first = resolveRendererLocation({ rendererDir, isPackaged: true });
    first.url.pathname = '/evil.html';
    expect(resolveRendererLocation({ rendererDir, isPackaged: true }).url.href).toBe('app://idlewatch/index.html');
  });

  it('an unpackaged app uses electron-vite’s dev server on loopback', () => {
    const location = resolveRendererLocation({ rendererDir, isPackaged: false, devServerUrl: 'http://localhost:5173' });
    expect(location).toEqual({ kind: 'dev-server', url: new URL('http://localhost:5173/') });
  });

  it('an unpackaged app without a dev server loads the built page over app:// too', () => {
    expect(resolveRendererLocation({ rendererDir, isPackaged: false }).kind).toBe('app-protocol');
  });

  it.each(['https://example.com:5173/', 'http://10.0.0.8:5173/', 'file:///tmp/index.html', 'app://idlewatch/index.html', 'not a url', ''])(
    'a dev server URL off loopback or not http(s) (%j) is ignored in favour of the built page',
    (devServerUrl) => {
      expect(resolveRendererLocation({ rendererDir, isPackaged: false, devServerUrl }).kind).toBe('app-protocol');
    },
  );
});

describe('what counts as the app’s own page', () => {
  it.each([
    ['app://idlewatch/index.html', true],
    ['app://idlewatch/index.html#/rules', true],
    ['app://idlewatch/index.html?x=1', true],
    ['app://idlewatch/', true],
    ['app://idlewatch', true],
    ['app://idlewatch/assets/../index.html', true],
    // Documents of the scheme other than the page: not the app (they may not call the API).
    ['app://idlewatch/favicon.svg', false],
    ['app://idlewatch/assets/index.js', false],
    ['app://idlewatch/index.html/', false],
    ['app://idlewatch/other.html', false],
    // Another host, a port, credentials, another scheme: not the app.
    ['app://evil/index.html', false],
    ['app://idlewatch.evil/index.html', false],
    ['app://idlewatch:8080/index.html', false],
    ['app://user@idlewatch/index.html', false],
    ['https://idlewatch/index.html', false],
    ['file:///opt/Idle%20Watch/out/renderer/index.html', false],
    ['garbage', false],
    ['', false],
  ])('built page: %s → %s', (url, expected) => {
    expect(isRendererUrl(appLocation, url)).toBe(expected);
  });

  const dev: RendererLocation = { kind: 'dev-server', url: new URL('http://localhost:5173/') };
  it.each([
    ['http://localhost:5173/', true],
    ['http://localhost:5173/src/main.ts', true],
    ['http://localhost:5174/', false],
    ['http://127.0.0.1:5173/', false],
    ['https://localhost:5173/', false],
    ['app://idlewatch/index.html', false],
    ['file:///opt/Idle%20Watch/out/renderer/index.html', false],
  ])('dev server: %s → %s', (url, expected) => {
    expect(isRendererUrl(dev, url)).toBe(expected);
  });
});

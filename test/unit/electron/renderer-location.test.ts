import { describe, expect, it } from 'vitest';
import { isRendererUrl, resolveRendererLocation, type RendererLocation } from '../../../main/electron/renderer-location';

const rendererFile = '/opt/Idle Watch/out/renderer/index.html';
const fileLocation = resolveRendererLocation({ rendererFile, isPackaged: true });

describe('where the renderer comes from', () => {
  it('a packaged app loads the built file, whatever ELECTRON_RENDERER_URL says', () => {
    expect(resolveRendererLocation({ rendererFile, isPackaged: true, devServerUrl: 'http://localhost:5173/' })).toEqual({
      kind: 'file',
      path: rendererFile,
      url: new URL('file:///opt/Idle%20Watch/out/renderer/index.html'),
    });
  });

  it('an unpackaged app uses electron-vite’s dev server on loopback', () => {
    const location = resolveRendererLocation({ rendererFile, isPackaged: false, devServerUrl: 'http://localhost:5173' });
    expect(location).toEqual({ kind: 'dev-server', url: new URL('http://localhost:5173/') });
  });

  it.each(['https://example.com:5173/', 'http://10.0.0.8:5173/', 'file:///tmp/index.html', 'not a url', ''])(
    'a dev server URL off loopback or not http(s) (%j) is ignored in favour of the file',
    (devServerUrl) => {
      expect(resolveRendererLocation({ rendererFile, isPackaged: false, devServerUrl }).kind).toBe('file');
    },
  );
});

describe('what counts as the app’s own page', () => {
  it.each([
    ['file:///opt/Idle%20Watch/out/renderer/index.html', true],
    ['file:///opt/Idle%20Watch/out/renderer/index.html#/rules', true],
    ['file:///opt/Idle%20Watch/out/renderer/index.html?x=1', true],
    ['file:///opt/Idle%20Watch/out/renderer/../renderer/index.html', true],
    ['file:///opt/Idle%20Watch/out/renderer/other.html', false],
    ['file:///etc/passwd', false],
    ['file://otherhost/opt/Idle%20Watch/out/renderer/index.html', false],
    ['https://opt/Idle%20Watch/out/renderer/index.html', false],
    ['garbage', false],
  ])('built file: %s → %s', (url, expected) => {
    expect(isRendererUrl(fileLocation, url)).toBe(expected);
  });

  const dev: RendererLocation = { kind: 'dev-server', url: new URL('http://localhost:5173/') };
  it.each([
    ['http://localhost:5173/', true],
    ['http://localhost:5173/src/main.ts', true],
    ['http://localhost:5174/', false],
    ['http://127.0.0.1:5173/', false],
    ['https://localhost:5173/', false],
    ['file:///opt/Idle%20Watch/out/renderer/index.html', false],
  ])('dev server: %s → %s', (url, expected) => {
    expect(isRendererUrl(dev, url)).toBe(expected);
  });
});

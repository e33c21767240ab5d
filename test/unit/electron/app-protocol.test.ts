/**
 * app://idlewatch/ (checklist #18 "Avoid usage of the file:// protocol"), against real files in
 * a temporary folder: the handler is plain fetch-API code, so it runs under Node as it does in
 * Electron's main process.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Protocol } from 'electron';
import {
  APP_HOST,
  APP_PAGE_URL,
  APP_SCHEME,
  createAppProtocolHandler,
  handleAppProtocol,
  registerAppScheme,
  resolveAppRequest,
} from '../../../main/electron/app-protocol';
import { CONTENT_SECURITY_POLICY } from '../../../shared/csp';
import { fakeProtocol, protocol, resetFakes } from './fake-electron';

vi.mock('electron', async () => await import('./fake-electron'));
// The real fs, with readFile watched: a refused request must not even read the file it names.
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return { ...real, readFile: vi.fn(real.readFile) };
});

// realpath: on some systems the temp folder itself is behind a symlink (macOS /var → /private/var).
const base = realpathSync(mkdtempSync(join(tmpdir(), 'idlewatch-app-protocol-')));
const rendererDir = join(base, 'renderer');
const secretFile = join(base, 'secret.txt');
const SECRET = 'TOP SECRET: not part of the app';
const INDEX = '<!doctype html><title>Idlewatch</title>';
const SCRIPT = 'console.log("idlewatch");';

mkdirSync(join(rendererDir, 'assets'), { recursive: true });
writeFileSync(join(rendererDir, 'index.html'), INDEX);
writeFileSync(join(rendererDir, 'assets', 'index-abc123.js'), SCRIPT);
writeFileSync(join(rendererDir, 'assets', 'index-abc123.css'), 'body { color: red; }');
writeFileSync(join(rendererDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
writeFileSync(join(rendererDir, 'notes.xyz'), 'an extension the app does not serve');
// A directory whose name looks like a file the app serves.
mkdirSync(join(rendererDir, 'folder.js'));
writeFileSync(secretFile, SECRET);
// Symlinks inside the folder that lead out of it, to a file and to a directory.
symlinkSync(secretFile, join(rendererDir, 'link.txt'));
symlinkSync(base, join(rendererDir, 'outside'));

afterAll(() => rmSync(base, { recursive: true, force: true }));
beforeEach(resetFakes);

const handler = createAppProtocolHandler(rendererDir);
const get = (url: string, method = 'GET') => handler(new Request(url, { method }));

/** Whether readFile was ever asked for anything outside the renderer folder. */
function readOutside(): boolean {
  return vi.mocked(readFile).mock.calls.some(([path]) => {
    const rel = relative(realpathSync(rendererDir), String(path));
    return rel === '..' || rel.startsWith(`..${sep}`) || String(path).includes('secret');
  });
}

describe('the app: scheme', () => {
  it('is app://idlewatch/index.html', () => {
    expect([APP_SCHEME, APP_HOST, APP_PAGE_URL]).toEqual(['app', 'idlewatch', 'app://idlewatch/index.html']);
  });

  it('is registered as a standard, secure, fetch-capable scheme, and nothing more', () => {
    registerAppScheme();
    expect(protocol.registerSchemesAsPrivileged).toHaveBeenCalledExactlyOnceWith([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
  });

  it('is handled on the protocol it is given, and the undo removes the handler', async () => {
    const sessionProtocol = fakeProtocol();
    const unhandle = handleAppProtocol(sessionProtocol as unknown as Protocol, rendererDir);
    expect(sessionProtocol.handle).toHaveBeenCalledExactlyOnceWith('app', expect.any(Function));
    const response = await sessionProtocol.handlers.get('app')!(new Request('app://idlewatch/index.html'));
    expect(await response.text()).toBe(INDEX);
    unhandle();
    expect(sessionProtocol.unhandle).toHaveBeenCalledExactlyOnceWith('app');
    expect(sessionProtocol.handlers.has('app')).toBe(false);
  });
});

describe('serving the built renderer', () => {
  it.each(['app://idlewatch/', 'app://idlewatch', 'app://idlewatch/index.html', 'app://idlewatch/index.html?x=1#/rules'])(
    '%s is index.html, as HTML, with the CSP and nosniff headers',
    async (url) => {
      const response = await get(url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await response.text()).toBe(INDEX);
    },
  );

  it.each([
    ['assets/index-abc123.js', /^text\/javascript\b/, SCRIPT],
    ['assets/index-abc123.css', /^text\/css\b/, 'body { color: red; }'],
    ['favicon.svg', /^image\/svg\+xml$/, '<svg xmlns="http://www.w3.org/2000/svg"/>'],
  ])('%s is served with its own content type', async (path, type, body) => {
    const response = await get(`app://idlewatch/${path}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(type);
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(await response.text()).toBe(body);
  });

  it('HEAD answers with the headers and no body', async () => {
    const response = await get('app://idlewatch/index.html', 'HEAD');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(response.body).toBeNull();
  });

  it.each(['POST', 'PUT', 'DELETE', 'OPTIONS'])('%s is refused with 405, saying what is allowed', async (method) => {
    const response = await get('app://idlewatch/index.html', method);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(await response.text()).not.toContain('<title>');
    expect(readFile).not.toHaveBeenCalled();
  });

  it.each([
    ['a missing file', 'app://idlewatch/missing.html'],
    ['a missing folder', 'app://idlewatch/nowhere/index.js'],
    ['a directory', 'app://idlewatch/assets'],
    ['a directory named like a script', 'app://idlewatch/folder.js'],
    ['a file of a type the app does not serve', 'app://idlewatch/notes.xyz'],
    ['a file below a file', 'app://idlewatch/index.html/x.js'],
  ])('%s is 404, with the CSP, and the body names no path', async (_name, url) => {
    const response = await get(url);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const body = await response.text();
    expect(body).toBe('404 Not Found');
    expect(body).not.toContain(base);
    // Found out before reading: a directory is never handed to readFile (inside app.asar either).
    expect(readFile).not.toHaveBeenCalled();
  });
});

describe('nothing outside the renderer folder is served', () => {
  it.each([
    // The URL parser removes the dot segments (Chromium's does too): what is left is inside.
    ['app://idlewatch/../secret.txt', 404],
    ['app://idlewatch/%2e%2e/secret.txt', 404],
    ['app://idlewatch/%2E%2E/%2e%2e/secret.txt', 404],
    // Encoded separators are refused before decoding.
    ['app://idlewatch/assets/%2e%2e%2f%2e%2e%2fsecret.txt', 403],
    ['app://idlewatch/..%2fsecret.txt', 403],
    ['app://idlewatch/..%5csecret.txt', 403],
    ['app://idlewatch/..%5Csecret.txt', 403],
    // Decoded once only: %252e%252e is a folder literally named "%2e%2e", which does not exist.
    ['app://idlewatch/%252e%252e/secret.txt', 404],
    ['app://idlewatch/..\\secret.txt', 403],
    ['app://idlewatch/%00', 403],
    ['app://idlewatch/index.html%00.txt', 403],
    ['app://idlewatch/%E0%A4%A', 400],
    // Another host of the scheme, a port, credentials.
    ['app://evil/index.html', 404],
    ['app://evil/../secret.txt', 404],
    ['app://idlewatch:8080/index.html', 404],
    // Symlinks inside the folder that point out of it.
    ['app://idlewatch/link.txt', 403],
    ['app://idlewatch/outside/secret.txt', 403],
  ])('%s → %i, without reading the file outside', async (url, status) => {
    const response = await get(url);
    expect(response.status).toBe(status);
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    const body = await response.text();
    expect(body).not.toContain(SECRET);
    expect(body).not.toContain(base);
    expect(readOutside()).toBe(false);
  });

  it('the outside file exists and is readable: the refusals above are the handler’s, not the filesystem’s', async () => {
    expect(await readFile(secretFile, 'utf8')).toBe(SECRET);
  });
});

describe('resolveAppRequest', () => {
  it('maps the page, and files below it, to paths in the folder with their content type', () => {
    expect(resolveAppRequest(rendererDir, 'app://idlewatch/')).toEqual({
      ok: true,
      path: join(rendererDir, 'index.html'),
      contentType: 'text/html; charset=utf-8',
    });
    expect(resolveAppRequest(rendererDir, 'app://idlewatch/assets/a%20b.mjs?v=1#x')).toEqual({
      ok: true,
      path: join(rendererDir, 'assets', 'a b.mjs'),
      contentType: 'text/javascript; charset=utf-8',
    });
  });

  it.each([
    ['.png', 'image/png'],
    ['.ico', 'image/x-icon'],
    ['.woff2', 'font/woff2'],
    ['.json', 'application/json; charset=utf-8'],
    ['.map', 'application/json; charset=utf-8'],
    ['.txt', 'text/plain; charset=utf-8'],
    ['.HTML', 'text/html; charset=utf-8'],
  ])('knows %s as %s', (extension, contentType) => {
    expect(resolveAppRequest(rendererDir, `app://idlewatch/file${extension}`)).toMatchObject({ ok: true, contentType });
  });

  it.each([
    ['not a URL', 'index.html', 400],
    ['another scheme', 'file:///etc/passwd', 400],
    ['https of the same host', 'https://idlewatch/index.html', 400],
    ['another host', 'app://evil/index.html', 404],
    ['credentials', 'app://user:pw@idlewatch/index.html', 404],
    ['no extension', 'app://idlewatch/assets', 404],
    ['an executable', 'app://idlewatch/idlewatch.exe', 404],
    ['a shell script', 'app://idlewatch/run.sh', 404],
    ['an encoded slash', 'app://idlewatch/a%2Fb.js', 403],
    ['a NUL', 'app://idlewatch/a%00.js', 403],
    ['a drive letter', 'app://idlewatch/C:/Windows/win.ini', 403],
  ])('refuses %s (%s) with %i', (_name, url, status) => {
    expect(resolveAppRequest(rendererDir, url)).toMatchObject({ ok: false, status });
  });

  it.each([
    ['app://idlewatch/a%2fb.js', 'encoded path separator'],
    ['app://idlewatch/..%5csecret.txt', 'encoded path separator'],
    ['app://idlewatch/a%5Cb.js', 'encoded path separator'],
    ['app://idlewatch/a%00.js', 'forbidden character in path'],
    ['app://idlewatch/..\\secret.txt', 'forbidden character in path'],
    ['app://idlewatch/C:/x.js', 'forbidden character in path'],
    ['app://idlewatch/%E0%A4%A', 'malformed percent-escape'],
    ['app://idlewatch/run.sh', 'not a file type the app serves'],
  ])('%s is refused because of: %s', (url, reason) => {
    expect(resolveAppRequest(rendererDir, url)).toMatchObject({ ok: false, reason });
  });

  it.each([
    'app://idlewatch/../secret.txt',
    'app://idlewatch/%2e%2e/secret.txt',
    'app://idlewatch/assets/../../secret.txt',
    'app://idlewatch//secret.txt',
    'app://idlewatch/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    'app://idlewatch/..%5csecret.txt',
    'app://idlewatch/..\\secret.txt',
  ])('%s is refused or stays inside the folder', (url) => {
    const target = resolveAppRequest(rendererDir, url);
    if (target.ok) {
      const rel = relative(rendererDir, target.path);
      expect(rel.startsWith('..')).toBe(false);
      expect(target.path.startsWith(rendererDir + sep)).toBe(true);
    }
    expect(target).not.toMatchObject({ ok: true, path: secretFile });
  });

  it('refuses dot segments even from a URL parser that kept them', () => {
    // The WHATWG parser (Node's and Chromium's) removes . and .. segments, %2e forms included, so
    // this rule is a second line; a parser stand-in that keeps them shows it holds on its own.
    class KeepsDotSegments extends URL {
      override get pathname() {
        return '/assets/../../secret.txt';
      }
    }
    vi.stubGlobal('URL', KeepsDotSegments);
    try {
      expect(resolveAppRequest(rendererDir, 'app://idlewatch/x.txt')).toEqual({ ok: false, status: 403, reason: 'dot segment in path' });
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('"..." is a name, not a step up: the dot rule refuses only . and ..', () => {
    expect(resolveAppRequest(rendererDir, 'app://idlewatch/a/%2e%2e%2e/b.js')).toEqual({
      ok: true,
      path: join(rendererDir, 'a', '...', 'b.js'),
      contentType: 'text/javascript; charset=utf-8',
    });
  });
});

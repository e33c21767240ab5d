import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { hostMatcher, startServer, type RunningServer } from '../../../main/serve/server';
import { CLOSE_CODES, WS_PROTOCOL, WS_TOKEN_PROTOCOL_PREFIX } from '../../../shared/api/wire';
import { CONTENT_SECURITY_POLICY } from '../../../shared/csp';
import { fakeService } from './fake-service';
import { callFrame, closeOf, parseFrames, rawUpgrade } from './raw-client';
import { makeRendererDir } from './renderer-dir';

let server: RunningServer;
let fake: ReturnType<typeof fakeService>;
let rendererDir: string;
let outside: string;
const TOKEN = 'test-token-0123456789abcdef';
const scriptSourcesOf = (policy: string) => policy.split('; ').find((d) => d.startsWith('script-src '))?.slice('script-src '.length);

beforeEach(async () => {
  const { parent, dir } = makeRendererDir();
  rendererDir = dir;
  outside = parent;
  fake = fakeService();
  server = await startServer({ host: '127.0.0.1', port: 0, rendererDir: dir, service: fake.service, token: TOKEN });
});
afterEach(() => server.close());

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(path: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<Answer>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const protocols = (token: string) => [WS_PROTOCOL, `${WS_TOKEN_PROTOCOL_PREFIX}${token}`];
const pageOrigin = () => `http://127.0.0.1:${server.port}`;

/** A socket as this server's page opens it: its origin, the token as a subprotocol. */
function openSocket({ token = TOKEN as string | null, origin = pageOrigin() as string | undefined, path = '/api' } = {}) {
  return new WebSocket(`ws://127.0.0.1:${server.port}${path}`, token === null ? [WS_PROTOCOL] : protocols(token), { origin });
}

function connected(ws: WebSocket) {
  return new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function closed(ws: WebSocket) {
  return new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

function nextMessage(ws: WebSocket) {
  return new Promise<Record<string, unknown>>((resolve) => ws.once('message', (data) => resolve(JSON.parse(data.toString()))));
}

describe('idlewatch serve: the credential', () => {
  it('prints a loopback URL with the token in its fragment, which no request carries', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/#token=${TOKEN}`);
    expect(new URL(server.url).search).toBe('');
  });

  it('serves the app shell without the token, and never sets a cookie', async () => {
    for (const path of ['/', `/?token=${TOKEN}`, '/assets/app.js']) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers['set-cookie'], path).toBeUndefined();
    }
    expect((await get('/')).body).toContain('<title>Idlewatch</title>');
  });

  it('opens the API socket with the token as a subprotocol, and selects only the version', async () => {
    const ws = openSocket();
    await connected(ws);
    expect(ws.protocol).toBe(WS_PROTOCOL);
    ws.send(JSON.stringify({ id: 1, method: 'getRules', args: [] }));
    expect(await nextMessage(ws)).toEqual({ id: 1, result: { ok: true, value: [] } });
    ws.close();
  });

  it.each([
    ['a wrong token', 'wrong-token-0123456789abcdef'],
    ['the token with one character changed', `${TOKEN.slice(0, -1)}g`],
    ['a prefix of the token', TOKEN.slice(0, 16)],
  ])('closes a socket with %s (4401) before it reaches the core', async (_, token) => {
    const ws = openSocket({ token });
    const close = closed(ws);
    ws.on('open', () => ws.send(JSON.stringify({ id: 1, method: 'getRules', args: [] })));
    const answers: unknown[] = [];
    ws.on('message', (m) => answers.push(m.toString()));
    expect(await close).toEqual({ code: CLOSE_CODES.unauthorized, reason: expect.stringMatching(/open the URL printed by idlewatch serve/) });
    expect(ws.protocol).not.toBe(WS_PROTOCOL);
    expect(answers).toEqual([]);
    expect(fake.calls).toEqual([]);
    expect(fake.listenerCount('delta')).toBe(0);
  });

  it('closes a socket without the token (4401), and takes it from neither the query nor a cookie', async () => {
    for (const [path, headers] of [
      ['/api', { origin: pageOrigin() }],
      ['/api', { origin: pageOrigin(), 'sec-websocket-protocol': WS_PROTOCOL }],
      [`/api?token=${TOKEN}`, { origin: pageOrigin(), 'sec-websocket-protocol': WS_PROTOCOL }],
      ['/api', { origin: pageOrigin(), 'sec-websocket-protocol': WS_PROTOCOL, cookie: `idlewatch_token=${TOKEN}` }],
      // The token without the version: the server could not say it was let in.
      ['/api', { origin: pageOrigin(), 'sec-websocket-protocol': `${WS_TOKEN_PROTOCOL_PREFIX}${TOKEN}` }],
    ] as const) {
      const raw = await rawUpgrade(server.port, headers, path);
      raw.socket.write(callFrame(1, 'getRules'));
      await expect.poll(() => parseFrames(raw.received).frames).toHaveLength(1);
      expect(closeOf(parseFrames(raw.received).frames)?.code).toBe(CLOSE_CODES.unauthorized);
      raw.socket.destroy();
    }
    expect(fake.calls).toEqual([]);
  });

  it('refuses a WebSocket opened by a page of another origin, even with the token', async () => {
    for (const origin of ['http://evil.example', `http://localhost:${server.port + 1}`, 'null']) {
      await expect(connected(openSocket({ origin })), origin).rejects.toThrow(/403/);
    }
    await expect(connected(openSocket({ path: '/other' }))).rejects.toThrow(/403/);
    expect(fake.listenerCount('delta')).toBe(0);
  });
});

describe('idlewatch serve: the Host header (DNS rebinding)', () => {
  it('refuses a request that names another host, for the page and for the API socket', async () => {
    for (const host of ['evil.example', `evil.example:${server.port}`, `127.0.0.1:${server.port + 1}`, `localhost.evil.example:${server.port}`]) {
      const res = await get('/', { host });
      expect(res.status, host).toBe(421);
      expect(res.body, host).not.toContain('<title>');
      const raw = await rawUpgrade(server.port, { host, origin: `http://${host}`, 'sec-websocket-protocol': protocols(TOKEN).join(', ') });
      expect(raw.status, host).toMatch(/ 421 /);
      raw.socket.destroy();
    }
    expect(fake.listenerCount('delta')).toBe(0);
  });

  it('answers to the printed address, and to localhost when bound to loopback', async () => {
    expect((await get('/', { host: `127.0.0.1:${server.port}` })).status).toBe(200);
    expect((await get('/', { host: `LOCALHOST:${server.port}` })).status).toBe(200);
  });

  it('refuses a request with no Host at all (HTTP/1.0)', async () => {
    const raw = await new Promise<string>((resolve) => {
      const socket = connect(server.port, '127.0.0.1');
      let text = '';
      socket.on('data', (d: Buffer) => (text += d));
      socket.on('end', () => resolve(text));
      socket.write('GET / HTTP/1.0\r\n\r\n');
    });
    expect(raw).toMatch(/^HTTP\/1\.1 421 /);
  });

  it.each([
    ['127.0.0.1', 8787, ['127.0.0.1:8787', 'localhost:8787'], ['127.0.0.2:8787', 'localhost:8788', 'evil.example:8787', '127.0.0.1', '[::1]:8787']],
    ['::1', 8787, ['[::1]:8787', 'localhost:8787'], ['127.0.0.1:8787', '[::2]:8787']],
    ['localhost', 8787, ['localhost:8787', '127.0.0.1:8787', '[::1]:8787'], ['evil.example:8787']],
    ['192.0.2.7', 8787, ['192.0.2.7:8787'], ['localhost:8787', 'box.lan:8787']],
    ['0.0.0.0', 8787, ['192.0.2.7:8787', '[2001:db8::1]:8787', '0.0.0.0:8787'], ['box.lan:8787', 'localhost:8787', '192.0.2.7:80', '192.0.2.7']],
    ['127.0.0.1', 80, ['127.0.0.1', '127.0.0.1:80', 'localhost'], ['evil.example']],
  ])('bound to %s:%i accepts %j and refuses %j', (bound, port, accepted, refused) => {
    const matches = hostMatcher(bound, port);
    for (const host of accepted) expect(matches(host), host).toBe(true);
    for (const host of refused) expect(matches(host), host).toBe(false);
    expect(matches(undefined)).toBe(false);
  });
});

describe('idlewatch serve: files', () => {
  it('serves the app under a strict content security policy', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    // The one policy of shared/csp.ts: the Electron session and the built page use the same constant.
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(scriptSourcesOf(page.headers['content-security-policy'] as string)).toBe("'self'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const script = await get('/assets/app.js');
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
  });

  it('never serves files outside the app, however the path is spelled', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/..%2fsecret.txt', '/%00', '//secret.txt']) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(res.body).not.toContain('outside');
    }
  });

  it('never follows a symbolic link out of the app', async () => {
    symlinkSync(join(outside, 'secret.txt'), join(rendererDir, 'assets/link.js'));
    symlinkSync(outside, join(rendererDir, 'escape'));
    symlinkSync('/etc/passwd', join(rendererDir, 'passwd.txt'));
    for (const path of ['/assets/link.js', '/escape/secret.txt', '/passwd.txt']) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toMatch(/outside|root:/);
    }
  });

  it('follows links that stay inside the app, and a root that is itself a link', async () => {
    symlinkSync(join(rendererDir, 'assets/app.js'), join(rendererDir, 'alias.js'));
    expect((await get('/alias.js')).body).toBe('console.log(1)');
    const linkedRoot = join(outside, 'linked-renderer');
    symlinkSync(rendererDir, linkedRoot);
    const other = await startServer({ host: '127.0.0.1', port: 0, rendererDir: linkedRoot, service: fake.service, token: TOKEN });
    const res = await new Promise<number>((resolve) => request({ host: '127.0.0.1', port: other.port, path: '/assets/app.js' }, (r) => resolve(r.statusCode ?? 0)).end());
    expect(res).toBe(200);
    await other.close();
  });

  it('never answers with a Location, so it cannot redirect to another site', async () => {
    mkdirSync(join(rendererDir, 'evil.example'));
    writeFileSync(join(rendererDir, 'evil.example/index.html'), 'x');
    for (const path of [`/.//evil.example/?token=${TOKEN}`, '//evil.example/', '/\\evil.example/', '/%2f%2fevil.example/', `/?token=${TOKEN}`, '/assets', '/evil.example']) {
      const res = await get(path);
      expect(res.headers.location, path).toBeUndefined();
      expect([200, 404], path).toContain(res.status);
    }
  });

  it('answers only GET and HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) expect((await get('/', {}, method)).status, method).toBe(405);
    const head = await get('/', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });
});

describe('idlewatch serve: the API over the WebSocket', () => {
  it('calls the core with validated arguments and returns its result', async () => {
    const ws = openSocket();
    await connected(ws);
    ws.send(JSON.stringify({ id: 7, method: 'setPollInterval', args: [5000] }));
    expect(await nextMessage(ws)).toEqual({ id: 7, result: { ok: true, value: fake.state } });
    expect(fake.calls).toEqual([{ method: 'setPollInterval', args: [5000] }]);
    ws.close();
  });

  it.each([
    ['a bad argument', { id: 1, method: 'setPollInterval', args: ['fast'] }, /setPollInterval: /],
    ['an out-of-range argument', { id: 2, method: 'setPollInterval', args: [10] }, /setPollInterval: /],
    ['a hostile rule', { id: 3, method: 'setRules', args: [[{ id: 'x', name: 'x', kind: 'middlebox', idleTimeoutSec: 1, match: { cmd: '$(reboot)' }, enabled: true }]] }, /setRules: /],
    ['an unknown method', { id: 4, method: 'eval', args: [] }, /unknown method "eval"/],
    ['a prototype key as method', { id: 5, method: '__proto__', args: [] }, /unknown method "__proto__"/],
    ['a message without args', { id: 6, method: 'getRules' }, /expected \{id, method, args\}/],
  ])('rejects %s as a bad request without calling the core', async (_, message, text) => {
    const ws = openSocket();
    await connected(ws);
    ws.send(JSON.stringify(message));
    const reply = await nextMessage(ws);
    expect(reply).toMatchObject({ id: message.id, result: { ok: false, error: { code: 'bad-request' } } });
    expect((reply.result as { error: { message: string } }).error.message).toMatch(text);
    expect(fake.calls).toEqual([]);
    ws.close();
  });

  it('rejects text that is not JSON, and binary messages', async () => {
    const ws = openSocket();
    await connected(ws);
    ws.send('{not json');
    expect(await nextMessage(ws)).toEqual({ id: -1, result: { ok: false, error: { code: 'bad-request', message: 'not JSON' } } });
    ws.send(Buffer.from('{}'), { binary: true });
    expect(await nextMessage(ws)).toEqual({ id: -1, result: { ok: false, error: { code: 'bad-request', message: 'messages are JSON text' } } });
    ws.close();
  });

  it('pushes events to every connected page, and stops when the page goes', async () => {
    const ws = openSocket();
    await connected(ws);
    const message = nextMessage(ws);
    fake.emit('error', { code: 'collector', message: 'netlink failed' });
    expect(await message).toEqual({ event: 'error', payload: { code: 'collector', message: 'netlink failed' } });
    ws.close();
    await closed(ws);
    await expect.poll(() => fake.listenerCount('error')).toBe(0);
  });
});

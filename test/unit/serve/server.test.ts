import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { EventName, EventPayload, IdlewatchApi, PollState } from '../../../shared/api/contract';
import type { IdlewatchService } from '../../../main/core/service';
import { startServer, type RunningServer } from '../../../main/serve/server';

/** A recording stand-in for the core: these tests are about the transport in front of it. */
function fakeService() {
  const calls: { method: string; args: unknown[] }[] = [];
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const state: PollState = { running: true, intervalMs: 2000, lastPollAt: null, lastError: null };
  const record =
    (method: string, value: unknown) =>
    async (...args: unknown[]) => {
      calls.push({ method, args });
      return value;
    };
  const api = {
    getSnapshot: record('getSnapshot', { seq: 1 }),
    getPollState: record('getPollState', state),
    setPollInterval: record('setPollInterval', state),
    pausePolling: record('pausePolling', state),
    resumePolling: record('resumePolling', state),
    getRules: record('getRules', []),
    setRules: record('setRules', []),
  } as unknown as IdlewatchApi;
  const service: IdlewatchService = {
    api,
    subscribe: (event, listener) => {
      const set = listeners.get(event) ?? new Set();
      set.add(listener as (p: unknown) => void);
      listeners.set(event, set);
      return () => set.delete(listener as (p: unknown) => void);
    },
    close: () => undefined,
  };
  const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => listeners.get(event)?.forEach((l) => l(payload));
  return { service, calls, emit, listenerCount: (e: string) => listeners.get(e)?.size ?? 0 };
}

let server: RunningServer;
let fake: ReturnType<typeof fakeService>;
const TOKEN = 'test-token-0123456789abcdef';

beforeEach(async () => {
  const parent = mkdtempSync(join(tmpdir(), 'idlewatch-serve-'));
  const dir = join(parent, 'renderer');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Idlewatch</title>');
  writeFileSync(join(dir, 'assets/app.js'), 'console.log(1)');
  writeFileSync(join(parent, 'secret.txt'), 'outside');
  fake = fakeService();
  server = await startServer({ host: '127.0.0.1', port: 0, rendererDir: dir, service: fake.service, token: TOKEN });
});
afterEach(() => server.close());

function get(path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const cookie = `idlewatch_token=${TOKEN}`;

function openSocket(headers: Record<string, string> = { cookie, origin: `http://127.0.0.1:${server?.port}` }) {
  return new WebSocket(`ws://127.0.0.1:${server.port}/api`, { headers });
}

function connected(ws: WebSocket) {
  return new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket) {
  return new Promise<Record<string, unknown>>((resolve) => ws.once('message', (data) => resolve(JSON.parse(data.toString()))));
}

describe('idlewatch serve: access', () => {
  it('prints a loopback URL carrying the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${TOKEN}`);
  });

  it('refuses a request without the token', async () => {
    const res = await get('/');
    expect(res.status).toBe(403);
    expect(res.body).toMatch(/needs the token/);
    expect((await get('/assets/app.js')).status).toBe(403);
  });

  it('refuses a wrong token', async () => {
    expect((await get('/?token=nope')).status).toBe(403);
    expect((await get('/', { cookie: 'idlewatch_token=nope' })).status).toBe(403);
  });

  it('trades the token in the URL for an HttpOnly SameSite=Strict cookie and drops it from the address', async () => {
    const res = await get(`/?token=${TOKEN}`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    expect(String(res.headers['set-cookie'])).toMatch(/^idlewatch_token=test-token-0123456789abcdef; HttpOnly; SameSite=Strict; Path=\//);
  });

  it('serves the app with the cookie, under a strict content security policy', async () => {
    const page = await get('/', { cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Idlewatch</title>');
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'; script-src 'self'/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const script = await get('/assets/app.js', { cookie });
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
  });

  it('never serves files outside the app, however the path is spelled', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/..%2fsecret.txt', '/%00']) {
      const res = await get(path, { cookie });
      expect(res.status, path).toBe(404);
      expect(res.body).not.toContain('outside');
    }
  });

  it('answers only GET and HEAD', async () => {
    const res = await new Promise<number>((resolve) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: '/', method: 'POST', headers: { cookie } }, (r) => resolve(r.statusCode ?? 0));
      req.end();
    });
    expect(res).toBe(405);
  });

  it('refuses a WebSocket without the token, and one opened from another site', async () => {
    await expect(connected(openSocket({ origin: `http://127.0.0.1:${server.port}` }))).rejects.toThrow(/403/);
    await expect(connected(openSocket({ cookie, origin: 'http://evil.example' }))).rejects.toThrow(/403/);
    expect(fake.listenerCount('delta')).toBe(0);
  });
});

describe('idlewatch serve: the API over the WebSocket', () => {
  it('calls the core with validated arguments and returns its result', async () => {
    const ws = openSocket();
    await connected(ws);
    ws.send(JSON.stringify({ id: 7, method: 'setPollInterval', args: [5000] }));
    expect(await nextMessage(ws)).toEqual({ id: 7, result: { ok: true, value: { running: true, intervalMs: 2000, lastPollAt: null, lastError: null } } });
    expect(fake.calls).toEqual([{ method: 'setPollInterval', args: [5000] }]);
    ws.close();
  });

  it.each([
    ['a bad argument', { id: 1, method: 'setPollInterval', args: ['fast'] }, /setPollInterval: /],
    ['an out-of-range argument', { id: 2, method: 'setPollInterval', args: [10] }, /setPollInterval: /],
    ['a hostile rule', { id: 3, method: 'setRules', args: [[{ id: 'x', name: 'x', kind: 'middlebox', idleTimeoutSec: 1, match: { cmd: '$(reboot)' }, enabled: true }]] }, /setRules: /],
    ['an unknown method', { id: 4, method: 'eval', args: [] }, /unknown method "eval"/],
    ['a message without args', { id: 5, method: 'getRules' }, /expected \{id, method, args\}/],
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

  it('rejects text that is not JSON', async () => {
    const ws = openSocket();
    await connected(ws);
    ws.send('{not json');
    expect(await nextMessage(ws)).toEqual({ id: -1, result: { ok: false, error: { code: 'bad-request', message: 'not JSON' } } });
    ws.close();
  });

  it('pushes events to every connected page, and stops when the page goes', async () => {
    const ws = openSocket();
    await connected(ws);
    const message = nextMessage(ws);
    fake.emit('error', { code: 'collector', message: 'netlink failed' });
    expect(await message).toEqual({ event: 'error', payload: { code: 'collector', message: 'netlink failed' } });
    ws.close();
    await new Promise((r) => ws.once('close', r));
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.listenerCount('error')).toBe(0);
  });
});

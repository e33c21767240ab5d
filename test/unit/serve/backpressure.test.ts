import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, type RunningServer } from '../../../main/serve/server';
import { DEFAULT_LIMITS } from '../../../main/serve/websocket-api';
import { MAX_CALLS_IN_FLIGHT, WS_PROTOCOL, WS_TOKEN_PROTOCOL_PREFIX } from '../../../shared/api/wire';
import { fakeService } from './fake-service';
import { callFrame, closeOf, credentialHeaders, ended, parseFrames, rawUpgrade } from './raw-client';
import { ask } from './api-client';
import { makeRendererDir } from './renderer-dir';

/**
 * A client holding the token that calls and does not read. The server must not keep its
 * replies: memory stays within the per-client cap, the client is dropped, others go on.
 */
const TOKEN = 'test-token-0123456789abcdef';
const MB = 1024 * 1024;
let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** About 4.4 MB of JSON: what getSnapshot answers at ~6,000 sockets. */
function largeSnapshot() {
  return { seq: 1, connections: Array.from({ length: 6000 }, (_, i) => ({ id: `conn-${i}`, detail: 'x'.repeat(700) })) };
}

async function goodClient(port: number): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api`, [WS_PROTOCOL, `${WS_TOKEN_PROTOCOL_PREFIX}${TOKEN}`], { origin: `http://127.0.0.1:${port}` });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}


const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * What this process holds after a full collection: the JS heap (strings queued on a socket)
 * and Buffers (arrayBuffers, whose memory V8 frees on a background thread: hence the pause).
 */
async function retainedBytes(): Promise<number> {
  gc();
  await sleep(100);
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

describe('idlewatch serve: a client that does not read', () => {
  it('is dropped within the send cap while calling getSnapshot 100 times; memory stays bounded and other clients go on', async () => {
    const { dir } = makeRendererDir();
    const fake = fakeService({ snapshot: largeSnapshot() });
    server = await startServer({ host: '127.0.0.1', port: 0, rendererDir: dir, service: fake.service, token: TOKEN });
    const good = await goodClient(server.port);
    const attacker = await rawUpgrade(server.port, credentialHeaders(server.port, TOKEN));
    expect(attacker.status).toMatch(/ 101 /);
    attacker.socket.pause(); // and never reads again
    expect(fake.listenerCount('delta')).toBe(2);

    const before = { retained: await retainedBytes(), rss: process.memoryUsage().rss };
    for (let id = 1; id <= 100; id++) {
      if (!attacker.socket.destroyed) attacker.socket.write(callFrame(id, 'getSnapshot'));
      await sleep(5);
    }
    const grown = { retained: (await retainedBytes()) - before.retained, rss: process.memoryUsage().rss - before.rss };
    console.log(
      `getSnapshot ×100 by a client that does not read: the core answered ${fake.calls.length}×; ` +
        `retained +${(grown.retained / MB).toFixed(1)} MB, rss +${(grown.rss / MB).toFixed(1)} MB`,
    );
    // The cap, one ~4.4 MB message beyond it, and slack.
    expect(grown.retained).toBeLessThan(DEFAULT_LIMITS.maxBufferedBytes + 5 * MB + 8 * MB);

    // Dropped: its subscriptions are gone, the server holds nothing more for it, and the
    // connection ends (seen once the client reads again).
    await expect.poll(() => fake.listenerCount('delta'), { timeout: 5000 }).toBe(1);
    const afterDrop = (await retainedBytes()) - before.retained;
    console.log(`once it is dropped: retained +${(afterDrop / MB).toFixed(1)} MB`);
    expect(afterDrop).toBeLessThan(4 * MB);
    attacker.socket.resume();
    await ended(attacker.socket);

    expect((await ask(good, 1, 'getRules')).result).toEqual({ ok: true, value: [] });
    const snapshot = await ask(good, 2, 'getSnapshot');
    expect((snapshot.result.value as { connections: unknown[] }).connections).toHaveLength(6000);
    good.close();
  }, 30_000);

  it('is told why with a close code once it reads again', async () => {
    const { dir } = makeRendererDir();
    const snapshot = { seq: 1, blob: 'x'.repeat(300_000) };
    const fake = fakeService({ snapshot });
    const limits = { ...DEFAULT_LIMITS, maxBufferedBytes: 1 * MB };
    server = await startServer({ host: '127.0.0.1', port: 0, rendererDir: dir, service: fake.service, token: TOKEN, limits });
    const slow = await rawUpgrade(server.port, credentialHeaders(server.port, TOKEN));
    slow.socket.pause();
    // More than the kernel's socket buffers and the cap hold together.
    for (let round = 0; round < 10; round++) {
      slow.socket.write(Buffer.concat(Array.from({ length: MAX_CALLS_IN_FLIGHT }, (_, i) => callFrame(round * 100 + i, 'getSnapshot'))));
      await sleep(20);
    }
    await sleep(200);
    slow.socket.resume();
    await ended(slow.socket);
    const frames = parseFrames(slow.received).frames;
    expect(closeOf(frames)).toEqual({ code: 4429, reason: expect.stringMatching(/^too slow: a reply would exceed the send buffer/) });
    // It got whole replies up to the drop, never a partial one.
    const replies = frames.filter((f) => f.opcode === 0x1).map((f) => JSON.parse(f.payload.toString()));
    expect(replies.length).toBeGreaterThan(0);
    expect(replies.length).toBeLessThan(10 * MAX_CALLS_IN_FLIGHT);
  }, 30_000);
});

describe('idlewatch serve: calls in flight', () => {
  it(`answers more than ${MAX_CALLS_IN_FLIGHT} calls at once with a bad-request, without calling the core`, async () => {
    const { dir } = makeRendererDir();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const fake = fakeService({ gate });
    server = await startServer({ host: '127.0.0.1', port: 0, rendererDir: dir, service: fake.service, token: TOKEN });
    const client = await rawUpgrade(server.port, credentialHeaders(server.port, TOKEN));
    const total = MAX_CALLS_IN_FLIGHT + 3;
    client.socket.write(Buffer.concat(Array.from({ length: total }, (_, id) => callFrame(id, 'getRules'))));
    await expect.poll(() => parseFrames(client.received).frames.length).toBe(3);
    const refused = parseFrames(client.received).frames.map((f) => JSON.parse(f.payload.toString()));
    expect(refused.map((r) => r.id)).toEqual([MAX_CALLS_IN_FLIGHT, MAX_CALLS_IN_FLIGHT + 1, MAX_CALLS_IN_FLIGHT + 2]);
    expect(refused[0].result).toEqual({ ok: false, error: { code: 'bad-request', message: `more than ${MAX_CALLS_IN_FLIGHT} calls in flight` } });
    expect(fake.calls).toHaveLength(MAX_CALLS_IN_FLIGHT);
    release();
    await expect.poll(() => parseFrames(client.received).frames.length).toBe(total);
    // Room again: the next call is served.
    client.socket.write(callFrame(99, 'getRules'));
    await expect.poll(() => parseFrames(client.received).frames.length).toBe(total + 1);
    client.socket.destroy();
  });
});

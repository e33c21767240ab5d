import { describe, expect, it, vi } from 'vitest';
import { ApiFailure } from '../../../shared/api/contract';
import type { LinkState } from '../../../renderer/src/lib/bridge';
import { webSocketUrl } from '../../../renderer/src/lib/bridge';
import { createWebSocketBridge, DISCONNECTED_MESSAGE, retryDelayMs, type SocketLike } from '../../../renderer/src/lib/ws-bridge';
import { delta } from '../../fixtures/connection';

class FakeSocket implements SocketLike {
  sent: { id: number; method: string; args: unknown[] }[] = [];
  closed = false;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.closed = true;
  }
  // what the server does
  open() {
    this.onopen?.({});
  }
  reply(id: number, result: unknown) {
    this.onmessage?.({ data: JSON.stringify({ id, result }) });
  }
  push(event: string, payload: unknown) {
    this.onmessage?.({ data: JSON.stringify({ event, payload }) });
  }
  drop() {
    this.onerror?.({});
    this.onclose?.({});
  }
}

function harness() {
  const sockets: FakeSocket[] = [];
  const timers: { run: () => void; ms: number; cleared: boolean }[] = [];
  let clock = 1_000;
  const bridge = createWebSocketBridge({
    url: 'ws://127.0.0.1:8787/api',
    connect: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    setTimer: (run, ms) => {
      const timer = { run, ms, cleared: false };
      timers.push(timer);
      return timer;
    },
    clearTimer: (timer) => ((timer as { cleared: boolean }).cleared = true),
    now: () => clock,
    firstRetryMs: 500,
    maxRetryMs: 4000,
  });
  const links: LinkState[] = [];
  bridge.onLink((link) => links.push(link));
  const last = () => sockets.at(-1)!;
  /** Fires the pending retry timer, as the browser would after its delay. */
  const fireRetry = () => {
    const timer = timers.filter((t) => !t.cleared).at(-1)!;
    timer.cleared = true;
    clock += timer.ms;
    timer.run();
  };
  return { bridge, sockets, timers, links, last, fireRetry };
}

describe('WebSocket bridge', () => {
  it('connects to /api on the page host, wss when the page came over https', () => {
    expect(webSocketUrl({ protocol: 'http:', host: '127.0.0.1:8787' })).toBe('ws://127.0.0.1:8787/api');
    expect(webSocketUrl({ protocol: 'https:', host: 'box:443' })).toBe('wss://box:443/api');
    expect(harness().last().url).toBe('ws://127.0.0.1:8787/api');
  });

  it('pairs each reply with its call by id, whatever order the replies come in', async () => {
    const h = harness();
    h.last().open();
    const rules = h.bridge.getRules();
    const state = h.bridge.pausePolling();
    const [rulesCall, stateCall] = h.last().sent;
    expect(rulesCall).toMatchObject({ method: 'getRules', args: [] });
    expect(stateCall).toMatchObject({ method: 'pausePolling', args: [] });
    expect(rulesCall!.id).not.toBe(stateCall!.id);
    h.last().reply(stateCall!.id, { ok: true, value: { running: false } });
    h.last().reply(rulesCall!.id, { ok: true, value: [] });
    await expect(state).resolves.toEqual({ running: false });
    await expect(rules).resolves.toEqual([]);
  });

  it('sends the arguments as given', () => {
    const h = harness();
    h.last().open();
    void h.bridge.setPollInterval(5000);
    expect(h.last().sent[0]).toMatchObject({ method: 'setPollInterval', args: [5000] });
  });

  it('rejects a call with the error code and message the server answered', async () => {
    const h = harness();
    h.last().open();
    const call = h.bridge.setPollInterval(100);
    h.last().reply(h.last().sent[0]!.id, { ok: false, error: { code: 'bad-request', message: 'setPollInterval: too small' } });
    const error = await call.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiFailure);
    expect(error).toMatchObject({ code: 'bad-request', message: 'setPollInterval: too small' });
  });

  it('sends calls made before the socket opened once it opens', async () => {
    const h = harness();
    const call = h.bridge.getPollState();
    expect(h.last().sent).toEqual([]);
    h.last().open();
    expect(h.last().sent).toHaveLength(1);
    h.last().reply(h.last().sent[0]!.id, { ok: true, value: 'state' });
    await expect(call).resolves.toBe('state');
  });

  it('delivers pushed events to their subscribers until they unsubscribe', () => {
    const h = harness();
    h.last().open();
    const deltas: unknown[] = [];
    const errors: unknown[] = [];
    const stop = h.bridge.on('delta', (d) => deltas.push(d.seq));
    h.bridge.on('error', (e) => errors.push(e.message));
    h.last().push('delta', delta(1, 2));
    h.last().push('error', { code: 'collector', message: 'sockdiag failed' });
    stop();
    h.last().push('delta', delta(2, 3));
    expect(deltas).toEqual([2]);
    expect(errors).toEqual(['sockdiag failed']);
  });

  it('ignores messages that are not JSON, unknown events and replies to no call', () => {
    const h = harness();
    h.last().open();
    const seen = vi.fn();
    h.bridge.on('delta', seen);
    expect(() => {
      h.last().onmessage?.({ data: 'not json' });
      h.last().push('__proto__', {});
      h.last().reply(999, { ok: true, value: 1 });
      h.last().onmessage?.({ data: 'null' });
    }).not.toThrow();
    expect(seen).not.toHaveBeenCalled();
  });

  it('keeps delivering to other subscribers when one throws', () => {
    const h = harness();
    h.last().open();
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const second = vi.fn();
    h.bridge.on('pollState', () => {
      throw new Error('boom');
    });
    h.bridge.on('pollState', second);
    h.last().push('pollState', { running: true });
    expect(second).toHaveBeenCalledOnce();
    spy.mockRestore();
  });

  it('fails the calls in flight when the socket drops, instead of leaving them pending', async () => {
    const h = harness();
    h.last().open();
    const call = h.bridge.getSnapshot();
    h.last().drop();
    await expect(call).rejects.toThrow(DISCONNECTED_MESSAGE);
  });

  it('reports the link, reconnects with growing delays, and resets the delay once connected', () => {
    const h = harness();
    expect(h.links.at(-1)).toEqual({ status: 'connecting', attempt: 0 });
    h.last().open();
    expect(h.links.at(-1)).toEqual({ status: 'open' });

    h.last().drop();
    expect(h.links.at(-1)).toEqual({ status: 'closed', attempt: 1, retryAt: 1000 + 500 });
    h.fireRetry();
    expect(h.sockets).toHaveLength(2);
    expect(h.links.at(-1)).toEqual({ status: 'connecting', attempt: 1 });
    h.last().drop(); // refused again
    expect(h.timers.at(-1)!.ms).toBe(1000);
    h.fireRetry();
    h.last().drop();
    expect(h.timers.at(-1)!.ms).toBe(2000);
    h.fireRetry();
    h.last().open();
    expect(h.links.at(-1)).toEqual({ status: 'open' });

    h.last().drop();
    expect(h.timers.at(-1)!.ms).toBe(500);
  });

  it('keeps subscriptions across a reconnect', () => {
    const h = harness();
    h.last().open();
    const seen = vi.fn();
    h.bridge.on('delta', seen);
    h.last().drop();
    h.fireRetry();
    h.last().open();
    h.last().push('delta', delta(1, 2));
    expect(seen).toHaveBeenCalledOnce();
  });

  it('ignores a stale socket that closes after a new one took over', () => {
    const h = harness();
    h.last().open();
    const old = h.last();
    h.last().drop();
    h.fireRetry();
    h.last().open();
    old.onclose?.({});
    expect(h.links.at(-1)).toEqual({ status: 'open' });
  });

  it('retries at once on reconnect(), cancelling the scheduled retry', () => {
    const h = harness();
    h.last().open();
    h.last().drop();
    const scheduled = h.timers.at(-1)!;
    h.bridge.reconnect();
    expect(scheduled.cleared).toBe(true);
    expect(h.sockets).toHaveLength(2);
  });

  it('stops for good on close(): no retry, calls fail at once', async () => {
    const h = harness();
    h.last().open();
    h.bridge.close();
    expect(h.sockets[0]!.closed).toBe(true);
    expect(h.timers).toHaveLength(0);
    await expect(h.bridge.getRules()).rejects.toThrow(DISCONNECTED_MESSAGE);
  });

  it('caps the retry delay', () => {
    expect([1, 2, 3, 4, 5, 9].map((n) => retryDelayMs(n, 500, 4000))).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
  });
});

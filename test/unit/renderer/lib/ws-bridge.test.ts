import { describe, expect, it, vi } from 'vitest';
import { ApiFailure } from '../../../../shared/api/contract';
import type { LinkState } from '../../../../renderer/src/lib/bridge';
import { pageTokenStore, webSocketUrl } from '../../../../renderer/src/lib/bridge';
import {
  createWebSocketBridge,
  DISCONNECTED_MESSAGE,
  retryDelayMs,
  unauthorizedMessage,
  type SocketLike,
  type TokenStore,
} from '../../../../renderer/src/lib/ws-bridge';
import { CLOSE_CODES, MAX_CALLS_IN_FLIGHT, TOKEN_STORAGE_KEY, WS_PROTOCOL } from '../../../../shared/api/wire';
import { delta } from '../../../fixtures/connection';

const TOKEN = 'page-token-0123456789abcdef';

class FakeSocket implements SocketLike {
  sent: { id: number; method: string; args: unknown[] }[] = [];
  closed = false;
  protocol = '';
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code?: number }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {}
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.closed = true;
  }
  // what the server does
  open(protocol = WS_PROTOCOL) {
    this.protocol = protocol;
    this.onopen?.({});
  }
  reply(id: number, result: unknown) {
    this.onmessage?.({ data: JSON.stringify({ id, result }) });
  }
  push(event: string, payload: unknown) {
    this.onmessage?.({ data: JSON.stringify({ event, payload }) });
  }
  drop(code = 1006) {
    this.onerror?.({});
    this.onclose?.({ code });
  }
  /** Accepts the handshake without the version, then closes: how the server refuses a token. */
  refuse() {
    this.open(this.protocols[1]);
    this.drop(CLOSE_CODES.unauthorized);
  }
}

/** The page's token, as a list of what it held. */
function fakeTokens(initial: string | null = TOKEN) {
  let current = initial;
  const store: TokenStore & { set(token: string | null): void; forgotten: string[] } = {
    forgotten: [],
    read: () => current,
    forget(token) {
      store.forgotten.push(token);
      if (current === token) current = null;
    },
    set: (token) => (current = token),
  };
  return store;
}

function harness(tokens = fakeTokens()) {
  const sockets: FakeSocket[] = [];
  const timers: { run: () => void; ms: number; cleared: boolean }[] = [];
  let clock = 1_000;
  const bridge = createWebSocketBridge({
    url: 'ws://127.0.0.1:8787/api',
    token: tokens,
    connect: (url, protocols) => {
      const socket = new FakeSocket(url, protocols);
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
  return { bridge, sockets, timers, links, last, fireRetry, tokens };
}

describe('WebSocket bridge', () => {
  it('connects to /api on the page host, wss when the page came over https', () => {
    expect(webSocketUrl({ protocol: 'http:', host: '127.0.0.1:8787' })).toBe('ws://127.0.0.1:8787/api');
    expect(webSocketUrl({ protocol: 'https:', host: 'box:443' })).toBe('wss://box:443/api');
    expect(harness().last().url).toBe('ws://127.0.0.1:8787/api');
  });

  it('offers the token as a subprotocol beside the version, and nothing else', () => {
    expect(harness().last().protocols).toEqual([WS_PROTOCOL, `idlewatch.token.${TOKEN}`]);
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

  it(`keeps at most ${MAX_CALLS_IN_FLIGHT} calls in flight, and sends the rest as answers come`, () => {
    const h = harness();
    h.last().open();
    for (let i = 0; i < MAX_CALLS_IN_FLIGHT + 2; i++) void h.bridge.getRules();
    expect(h.last().sent).toHaveLength(MAX_CALLS_IN_FLIGHT);
    h.last().reply(h.last().sent[0]!.id, { ok: true, value: [] });
    expect(h.last().sent).toHaveLength(MAX_CALLS_IN_FLIGHT + 1);
  });

  it('caps the retry delay', () => {
    expect([1, 2, 3, 4, 5, 9].map((n) => retryDelayMs(n, 500, 4000))).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
  });
});

describe('WebSocket bridge: the token', () => {
  it('without a token, opens no socket and reports the link unauthorized; calls fail at once', async () => {
    const h = harness(fakeTokens(null));
    expect(h.sockets).toHaveLength(0);
    expect(h.links.at(-1)).toEqual({ status: 'unauthorized', reason: 'missing' });
    const error = await h.bridge.getRules().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiFailure);
    expect(error).toMatchObject({ code: 'forbidden', message: unauthorizedMessage('missing') });
    expect(unauthorizedMessage('missing')).toMatch(/open the URL printed by idlewatch serve/i);
    expect(h.timers).toHaveLength(0);
  });

  it('when the server refuses the token (4401), forgets it, stops retrying and fails the calls waiting', async () => {
    const h = harness();
    const waiting = h.bridge.getSnapshot();
    h.last().refuse();
    expect(h.links.map((l) => l.status)).toEqual(['connecting', 'unauthorized']);
    expect(h.links.at(-1)).toEqual({ status: 'unauthorized', reason: 'refused' });
    expect(h.tokens.forgotten).toEqual([TOKEN]);
    expect(h.timers).toHaveLength(0);
    await expect(waiting).rejects.toMatchObject({ code: 'forbidden', message: unauthorizedMessage('refused') });
    expect(h.last().sent).toEqual([]); // nothing was sent on the refused socket
  });

  it('does not report open on a socket the server did not accept with the version', () => {
    const h = harness();
    h.last().open('something-else');
    expect(h.links.at(-1)).toEqual({ status: 'connecting', attempt: 0 });
    void h.bridge.getRules();
    expect(h.last().sent).toEqual([]);
  });

  it('connects again with a new token on reconnect()', () => {
    const h = harness(fakeTokens(null));
    h.tokens.set('fresh-token-0123456789abcdef');
    h.bridge.reconnect();
    expect(h.last().protocols).toContain('idlewatch.token.fresh-token-0123456789abcdef');
    h.last().open();
    expect(h.links.at(-1)).toEqual({ status: 'open' });
  });

  it('tries a newer token at once when the old one is refused', () => {
    const h = harness();
    h.tokens.set('newer-token-0123456789abcdef');
    const refused = h.last();
    refused.open(refused.protocols[1]);
    refused.drop(CLOSE_CODES.unauthorized);
    expect(h.tokens.forgotten).toEqual([TOKEN]);
    expect(h.sockets).toHaveLength(2);
    expect(h.last().protocols).toContain('idlewatch.token.newer-token-0123456789abcdef');
  });

  it('retries as usual when a server that was slow to be read drops the socket', () => {
    const h = harness();
    h.last().open();
    h.last().drop(CLOSE_CODES.tooSlow);
    expect(h.links.at(-1)).toMatchObject({ status: 'closed', attempt: 1 });
    expect(h.tokens.forgotten).toEqual([]);
  });
});

describe('the page token store', () => {
  function fakeWindow(href: string, storage: Storage | 'denied' = new MemoryStorage()) {
    const location = new URL(href);
    const history = {
      state: null,
      replaceState: vi.fn((_state: unknown, _title: string, url: string) => {
        const next = new URL(url, location);
        location.hash = next.hash;
        location.pathname = next.pathname;
        location.search = next.search;
      }),
    };
    const win = {
      location,
      history,
      get sessionStorage(): Storage {
        if (storage === 'denied') throw new DOMException('denied', 'SecurityError');
        return storage;
      },
    };
    return win as unknown as Window & { history: typeof history };
  }

  it('takes the token out of the address bar into sessionStorage', () => {
    const storage = new MemoryStorage();
    const win = fakeWindow(`http://127.0.0.1:8787/#token=${TOKEN}`, storage);
    const store = pageTokenStore(win);
    expect(store.takeFromFragment()).toBe(true);
    expect(win.location.href).toBe('http://127.0.0.1:8787/');
    expect(storage.getItem(TOKEN_STORAGE_KEY)).toBe(TOKEN);
    expect(store.read()).toBe(TOKEN);
  });

  it('finds the token again after a reload, from sessionStorage', () => {
    const storage = new MemoryStorage();
    storage.setItem(TOKEN_STORAGE_KEY, TOKEN);
    const store = pageTokenStore(fakeWindow('http://127.0.0.1:8787/', storage));
    expect(store.takeFromFragment()).toBe(false);
    expect(store.read()).toBe(TOKEN);
  });

  it('removes a malformed token from the address bar but does not keep it', () => {
    const win = fakeWindow('http://127.0.0.1:8787/#token=a,b%20c');
    const store = pageTokenStore(win);
    expect(store.takeFromFragment()).toBe(false);
    expect(win.location.hash).toBe('');
    expect(store.read()).toBeNull();
  });

  it('leaves a fragment without a token alone', () => {
    const win = fakeWindow('http://127.0.0.1:8787/#rules');
    expect(pageTokenStore(win).takeFromFragment()).toBe(false);
    expect(win.history.replaceState).not.toHaveBeenCalled();
  });

  it('forgets only the token that was refused', () => {
    const storage = new MemoryStorage();
    const store = pageTokenStore(fakeWindow(`http://127.0.0.1:8787/#token=${TOKEN}`, storage));
    store.takeFromFragment();
    store.forget('another-token-0123456789abcdef');
    expect(store.read()).toBe(TOKEN);
    store.forget(TOKEN);
    expect(store.read()).toBeNull();
    expect(storage.getItem(TOKEN_STORAGE_KEY)).toBeNull();
  });

  it('keeps the token for the life of the page where sessionStorage is denied', () => {
    const store = pageTokenStore(fakeWindow(`http://127.0.0.1:8787/#token=${TOKEN}`, 'denied'));
    expect(store.takeFromFragment()).toBe(true);
    expect(store.read()).toBe(TOKEN);
  });
});

class MemoryStorage implements Storage {
  #items = new Map<string, string>();
  get length() {
    return this.#items.size;
  }
  clear() {
    this.#items.clear();
  }
  getItem(key: string) {
    return this.#items.get(key) ?? null;
  }
  key(index: number) {
    return [...this.#items.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.#items.delete(key);
  }
  setItem(key: string, value: string) {
    this.#items.set(key, value);
  }
}

/**
 * The bridge of browser mode: the API contract over one WebSocket to `idlewatch serve`
 * (shared/api/wire.ts). The socket offers the page's token as a subprotocol; without a token,
 * or once the server refused it, the link is 'unauthorized' and nothing is retried until a new
 * token comes (`reconnect()`). Calls are paired with replies by `id`, at most
 * MAX_CALLS_IN_FLIGHT at a time; events are dispatched to subscribers; a dropped socket is
 * retried with exponential backoff and every subscriber keeps its subscription across
 * reconnects. What a reconnect means for the data (fetch the whole snapshot again) is the
 * store's business: it follows `onLink`.
 */
import {
  ApiFailure,
  isEventName,
  METHOD_NAMES,
  type EventName,
  type EventPayload,
  type ExportedFile,
  type MethodName,
  type Result,
  type Subscribe,
} from '../../../shared/api/contract';
import { CLOSE_CODES, MAX_CALLS_IN_FLIGHT, tokenProtocols, WS_PROTOCOL, type CallMessage } from '../../../shared/api/wire';
import type { Bridge, LinkState, SaveOutcome } from './bridge';

/** The part of the browser's WebSocket the bridge uses; tests pass a fake. */
export interface SocketLike {
  /** The subprotocol the server selected: WS_PROTOCOL only when it accepted the token. */
  readonly protocol: string;
  send(data: string): void;
  close(): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code?: number }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** Where the page keeps its serve token (bridge.ts: the URL fragment, then sessionStorage). */
export interface TokenStore {
  /** The token to offer, or null when the page has none. */
  read(): string | null;
  /** The server refused this token: do not offer it again (a newer one stays). */
  forget(token: string): void;
}

export interface WebSocketBridgeOptions {
  url: string;
  token: TokenStore;
  /** What becomes of an exported file in this page (bridge.ts downloadFile); the socket has no part in it. */
  saveFile?: (file: ExportedFile) => Promise<SaveOutcome>;
  connect?: (url: string, protocols: string[]) => SocketLike;
  setTimer?: (run: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
  now?: () => number;
  /** First retry delay, doubled per failed try up to `maxRetryMs`. */
  firstRetryMs?: number;
  maxRetryMs?: number;
}

export type WebSocketBridge = Bridge & {
  /** Closes the socket for good (page unload, tests). */
  close(): void;
};

/** The message a call fails with when the socket drops before its answer arrives. */
export const DISCONNECTED_MESSAGE = 'disconnected from idlewatch serve';

/** What to tell the user when the link is 'unauthorized' (the UI shows it; calls fail with it). */
export function unauthorizedMessage(reason: 'missing' | 'refused'): string {
  return reason === 'missing'
    ? 'This page has no access token. Open the URL printed by idlewatch serve.'
    : 'idlewatch serve did not accept this page’s token (it may have restarted with a new one). Open the URL it printed.';
}

interface PendingCall {
  message: CallMessage;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** Retry delay before try `attempt` (1-based): first, 2×first, 4×first … capped at max. */
export function retryDelayMs(attempt: number, firstMs: number, maxMs: number): number {
  return Math.min(maxMs, firstMs * 2 ** Math.max(0, attempt - 1));
}

export function createWebSocketBridge(options: WebSocketBridgeOptions): WebSocketBridge {
  const connect = options.connect ?? ((url: string, protocols: string[]) => new WebSocket(url, protocols) as unknown as SocketLike);
  const setTimer = options.setTimer ?? ((run, ms) => setTimeout(run, ms));
  const clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>));
  const now = options.now ?? Date.now;
  const firstRetryMs = options.firstRetryMs ?? 500;
  const maxRetryMs = options.maxRetryMs ?? 10_000;

  let socket: SocketLike | null = null;
  let open = false;
  let closedForGood = false;
  let retryTimer: unknown = null;
  /** Failed tries since the socket was last open. */
  let failures = 0;
  let nextId = 1;
  /** Sent, waiting for the reply. */
  const inFlight = new Map<number, PendingCall>();
  /** Made while the socket was not open, or beyond MAX_CALLS_IN_FLIGHT; sent in order when there is room. */
  const queued: PendingCall[] = [];
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  const linkListeners = new Set<(link: LinkState) => void>();
  let link: LinkState = { status: 'connecting', attempt: 0 };

  function setLink(next: LinkState) {
    link = next;
    for (const listener of linkListeners) listener(link);
  }

  function failAll(message: string, code: 'internal' | 'forbidden' = 'internal') {
    const waiting = [...inFlight.values(), ...queued];
    inFlight.clear();
    queued.length = 0;
    for (const call of waiting) call.reject(new ApiFailure(code, message));
  }

  function dispatch<E extends EventName>(event: E, payload: EventPayload<E>) {
    for (const listener of listeners.get(event) ?? []) {
      try {
        (listener as (p: EventPayload<E>) => void)(payload);
      } catch (error) {
        // One failing subscriber must not stop the others or the socket.
        console.error(`idlewatch: ${event} listener failed`, error);
      }
    }
  }

  function onMessage(data: unknown) {
    if (typeof data !== 'string') return;
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    const m = message as { id?: unknown; result?: Result<unknown>; event?: unknown; payload?: unknown };
    if (typeof m.id === 'number' && typeof m.result === 'object' && m.result !== null) {
      const call = inFlight.get(m.id);
      if (!call) return;
      inFlight.delete(m.id);
      sendQueued();
      if (m.result.ok === true) call.resolve(m.result.value);
      else {
        const error = m.result.error ?? { code: 'internal', message: 'malformed reply' };
        call.reject(new ApiFailure(error.code, error.message));
      }
    } else if (isEventName(m.event)) {
      dispatch(m.event, m.payload as EventPayload<typeof m.event>);
    }
  }

  function send(call: PendingCall) {
    inFlight.set(call.message.id, call);
    socket!.send(JSON.stringify(call.message));
  }

  /** Sends what waits, as far as the server's limit on calls in flight allows. */
  function sendQueued() {
    while (open && queued.length > 0 && inFlight.size < MAX_CALLS_IN_FLIGHT) send(queued.shift()!);
  }

  function unauthorized(reason: 'missing' | 'refused') {
    setLink({ status: 'unauthorized', reason });
    failAll(unauthorizedMessage(reason), 'forbidden');
  }

  function start() {
    if (closedForGood) return;
    retryTimer = null;
    const token = options.token.read();
    if (token === null) return unauthorized('missing');
    setLink({ status: 'connecting', attempt: failures });
    const current = connect(options.url, tokenProtocols(token));
    socket = current;
    current.onopen = () => {
      // Any other subprotocol: the server did not take the token, and closes with 4401 next.
      if (socket !== current || current.protocol !== WS_PROTOCOL) return;
      open = true;
      failures = 0;
      setLink({ status: 'open' });
      sendQueued();
    };
    current.onmessage = (event) => {
      if (socket === current) onMessage(event.data);
    };
    // A failed handshake (another origin, server gone) fires error then close; close alone decides.
    current.onerror = () => undefined;
    current.onclose = (event) => {
      if (socket !== current) return;
      socket = null;
      open = false;
      if (event?.code === CLOSE_CODES.unauthorized) {
        options.token.forget(token);
        failures = 0;
        // A new token may have come while this one was being refused.
        const next = options.token.read();
        return next !== null && next !== token ? start() : unauthorized('refused');
      }
      failAll(DISCONNECTED_MESSAGE);
      if (closedForGood) return;
      failures += 1;
      const delay = retryDelayMs(failures, firstRetryMs, maxRetryMs);
      setLink({ status: 'closed', attempt: failures, retryAt: now() + delay });
      retryTimer = setTimer(start, delay);
    };
  }

  function call(method: MethodName, args: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const pending: PendingCall = { message: { id: nextId++, method, args }, resolve, reject };
      if (closedForGood) reject(new ApiFailure('internal', DISCONNECTED_MESSAGE));
      else if (link.status === 'unauthorized') reject(new ApiFailure('forbidden', unauthorizedMessage(link.reason)));
      else {
        queued.push(pending);
        sendQueued();
      }
    });
  }

  const on: Subscribe = (event, listener) => {
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    const entry = listener as (payload: never) => void;
    set.add(entry);
    return () => void set.delete(entry);
  };

  const methods = Object.fromEntries(METHOD_NAMES.map((method) => [method, (...args: unknown[]) => call(method, args)]));

  const bridge = {
    ...methods,
    transport: 'browser',
    on,
    saveFile: options.saveFile ?? (() => Promise.reject(new ApiFailure('unsupported', 'this page cannot save files'))),
    onLink(listener: (link: LinkState) => void) {
      linkListeners.add(listener);
      listener(link);
      return () => void linkListeners.delete(listener);
    },
    reconnect() {
      if (closedForGood || socket) return;
      if (retryTimer !== null) clearTimer(retryTimer);
      start();
    },
    close() {
      closedForGood = true;
      if (retryTimer !== null) clearTimer(retryTimer);
      const current = socket;
      socket = null;
      open = false;
      failAll(DISCONNECTED_MESSAGE);
      current?.close();
    },
  } as WebSocketBridge;

  start();
  return bridge;
}

/**
 * The bridge of browser mode: the API contract over one WebSocket to `idlewatch serve`
 * (shared/api/wire.ts). Calls are paired with replies by `id`; events are dispatched to
 * subscribers; a dropped socket is retried with exponential backoff and every subscriber
 * keeps its subscription across reconnects. What a reconnect means for the data (fetch the
 * whole snapshot again) is the store's business: it follows `onLink`.
 */
import {
  ApiFailure,
  EVENT_NAMES,
  METHOD_NAMES,
  type EventName,
  type EventPayload,
  type MethodName,
  type Result,
  type Subscribe,
} from '../../../shared/api/contract';
import type { CallMessage } from '../../../shared/api/wire';
import type { Bridge, LinkState } from './bridge';

/** The part of the browser's WebSocket the bridge uses; tests pass a fake. */
export interface SocketLike {
  send(data: string): void;
  close(): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export interface WebSocketBridgeOptions {
  url: string;
  connect?: (url: string) => SocketLike;
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

interface PendingCall {
  message: CallMessage;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** Retry delay before try `attempt` (1-based): first, 2×first, 4×first … capped at max. */
export function retryDelayMs(attempt: number, firstMs: number, maxMs: number): number {
  return Math.min(maxMs, firstMs * 2 ** Math.max(0, attempt - 1));
}

function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && (EVENT_NAMES as string[]).includes(name);
}

export function createWebSocketBridge(options: WebSocketBridgeOptions): WebSocketBridge {
  const connect = options.connect ?? ((url: string) => new WebSocket(url) as unknown as SocketLike);
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
  /** Made while the socket was not open; sent when it opens. */
  const queued: PendingCall[] = [];
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  const linkListeners = new Set<(link: LinkState) => void>();
  let link: LinkState = { status: 'connecting', attempt: 0 };

  function setLink(next: LinkState) {
    link = next;
    for (const listener of linkListeners) listener(link);
  }

  function failAll(message: string) {
    const waiting = [...inFlight.values(), ...queued];
    inFlight.clear();
    queued.length = 0;
    for (const call of waiting) call.reject(new ApiFailure('internal', message));
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

  function start() {
    if (closedForGood) return;
    retryTimer = null;
    setLink({ status: 'connecting', attempt: failures });
    const current = connect(options.url);
    socket = current;
    current.onopen = () => {
      if (socket !== current) return;
      open = true;
      failures = 0;
      setLink({ status: 'open' });
      for (const call of queued.splice(0)) send(call);
    };
    current.onmessage = (event) => {
      if (socket === current) onMessage(event.data);
    };
    // A refused upgrade (bad token, server gone) fires error then close; close alone decides.
    current.onerror = () => undefined;
    current.onclose = () => {
      if (socket !== current) return;
      socket = null;
      open = false;
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
      else if (open) send(pending);
      else queued.push(pending);
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

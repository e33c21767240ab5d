import type { WebSocket } from 'ws';
import { EVENT_NAMES } from '../../shared/api/channels';
import type { Subscribe } from '../../shared/api/contract';
import type { Result } from '../../shared/api/result';
import { CallMessageSchema, CLOSE_CODES, MAX_CALLS_IN_FLIGHT, type ServerMessage } from '../../shared/api/wire';
import type { Dispatch } from '../core/dispatcher';
import { SendBudget } from './send-budget';

export interface SocketLimits {
  /**
   * Bytes one client may have queued and unsent, besides its largest message (send-budget.ts).
   * Past it, deltas are skipped (the client sees the gap in `baseSeq` and fetches the whole
   * snapshot when it catches up); any other message that does not fit drops the client.
   */
  maxBufferedBytes: number;
  /** Calls one client may have waiting for the core; more are answered with a bad-request. */
  maxCallsInFlight: number;
  /** How long a dropped client has to take its close frame before its socket is destroyed. */
  dropGraceMs: number;
}

export const DEFAULT_LIMITS: SocketLimits = {
  maxBufferedBytes: 16 * 1024 * 1024,
  maxCallsInFlight: MAX_CALLS_IN_FLIGHT,
  dropGraceMs: 2000,
};

/** What one API socket needs of the core: the dispatcher with browser mode's policy, and the events. */
export interface SocketCore {
  dispatch: Dispatch;
  subscribe: Subscribe;
}

/**
 * Serves the API over one WebSocket whose token has been checked: calls go to the one dispatcher
 * (main/core/dispatcher.ts: method, capability, arguments), results and events come out, and never
 * more is queued for the client than `limits` allow.
 */
export function serveApiSocket(ws: WebSocket, core: SocketCore, limits: SocketLimits = DEFAULT_LIMITS): void {
  const budget = new SendBudget(limits.maxBufferedBytes);
  let dropping = false;
  let inFlight = 0;

  /** Closes a client that does not read: its replies would otherwise pile up in this process. */
  const drop = (reason: string) => {
    if (dropping) return;
    dropping = true;
    ws.close(CLOSE_CODES.tooSlow, reason);
    // The close frame waits behind everything queued; a client that reads nothing never gets it.
    endWithin(ws, limits.dropGraceMs);
  };

  /**
   * Queues a message if it fits the budget. One that does not is skipped when it is a delta (a
   * skipped delta shows as a gap in baseSeq: the client resyncs from a whole snapshot); any
   * other must arrive, so the client is dropped instead.
   */
  const send = (encoded: () => Buffer, what: string) => {
    if (ws.readyState !== ws.OPEN || dropping) return;
    const data = encoded();
    if (budget.fits(data.length)) {
      budget.add(data.length);
      ws.send(data, { binary: false }, () => budget.release());
    } else if (what !== 'delta') {
      drop(`too slow: ${what} would exceed the send buffer of ${limits.maxBufferedBytes} bytes`);
    }
  };

  const unsubscribes = EVENT_NAMES.map((event) =>
    core.subscribe(event, (payload) => send(() => encode({ event, payload } as ServerMessage), event === 'delta' ? event : `the ${event} event`)),
  );
  ws.on('close', () => unsubscribes.forEach((off) => off()));

  ws.on('message', async (data, isBinary) => {
    if (dropping) return;
    let id = -1;
    const reply = (result: Result<unknown>) => send(() => encodeReply(id, result), 'a reply');
    if (isBinary) return reply({ ok: false, error: { code: 'bad-request', message: 'messages are JSON text' } });
    let raw: unknown;
    try {
      raw = JSON.parse(data.toString());
    } catch {
      return reply({ ok: false, error: { code: 'bad-request', message: 'not JSON' } });
    }
    const call = CallMessageSchema.safeParse(raw);
    if (!call.success) {
      const maybeId = (raw as { id?: unknown } | null)?.id;
      if (typeof maybeId === 'number' && Number.isSafeInteger(maybeId)) id = maybeId;
      return reply({ ok: false, error: { code: 'bad-request', message: 'expected {id, method, args}' } });
    }
    id = call.data.id;
    if (inFlight >= limits.maxCallsInFlight) {
      return reply({ ok: false, error: { code: 'bad-request', message: `more than ${limits.maxCallsInFlight} calls in flight` } });
    }
    inFlight++;
    try {
      reply(await core.dispatch(call.data.method, call.data.args));
    } finally {
      inFlight--;
    }
  });
}

/**
 * Destroys the connection if its closing handshake has not ended within `graceMs`, instead of
 * ws's 30 s: for a client that does not read, or one whose bad frame made ws stop reading.
 */
export function endWithin(ws: WebSocket, graceMs: number): void {
  const timer = setTimeout(() => ws.terminate(), graceMs);
  ws.once('close', () => clearTimeout(timer));
}

const encode = (message: ServerMessage) => Buffer.from(JSON.stringify(message));

function encodeReply(id: number, result: Result<unknown>): Buffer {
  try {
    return encode({ id, result });
  } catch {
    return encode({ id, result: { ok: false, error: { code: 'internal', message: 'the result could not be encoded as JSON' } } });
  }
}

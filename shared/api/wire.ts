/**
 * The WebSocket protocol of browser mode (`idlewatch serve`): the same contract as Electron IPC,
 * as JSON messages.
 *
 * The credential is a random token that never leaves the page's own origin. `serve` prints
 * `http://HOST:PORT/#token=…`: a fragment is never sent in a request, so the token appears in no
 * request line, server log or Referer. The page takes it out of the address bar, keeps it in
 * sessionStorage (scoped to scheme, host and port: no other local service and no other `serve`
 * instance can read it) and presents it only on its own WebSocket to `/api`, as the subprotocol
 * `idlewatch.token.<token>` beside `idlewatch.v1`. There is no cookie: cookies are not scoped by
 * port, so one would be sent to every HTTP service on the same host, and two instances would
 * overwrite each other's. The app shell (HTML, JS, CSS) holds no data and is served to anyone who
 * reaches the right host and port.
 */
import { z } from 'zod';
import type { EventName, EventPayload, MethodName, Result } from './contract';

export const WS_PATH = '/api';
/** The subprotocol the server selects: the version of these messages. */
export const WS_PROTOCOL = 'idlewatch.v1';
/** Offered as `idlewatch.token.<token>`; never selected, so it is not echoed back. */
export const WS_TOKEN_PROTOCOL_PREFIX = 'idlewatch.token.';
/** The fragment parameter of the printed URL: `#token=…`. */
export const TOKEN_FRAGMENT_PARAM = 'token';
/** Where the page keeps the token (sessionStorage: this origin, this tab, survives a reload). */
export const TOKEN_STORAGE_KEY = 'idlewatch.token';

/**
 * What a token looks like (main/serve/token.ts makes 32 base64url characters). Anything else in
 * a fragment is not a token; checking the shape also keeps it a valid subprotocol name.
 */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{16,128}$/;

export function isTokenShaped(value: unknown): value is string {
  return typeof value === 'string' && TOKEN_SHAPE.test(value);
}

/** The printed URL: the app at `origin`, the token in the fragment. */
export function tokenUrl(origin: string, token: string): string {
  return `${origin}/#${TOKEN_FRAGMENT_PARAM}=${token}`;
}

/** The subprotocols a page offers: the version, and the token. */
export function tokenProtocols(token: string): string[] {
  return [WS_PROTOCOL, `${WS_TOKEN_PROTOCOL_PREFIX}${token}`];
}

/**
 * The token among the offered subprotocols (a Sec-WebSocket-Protocol header), or null. Only an
 * offer that includes this version counts: the server must be able to select it.
 */
export function tokenFromProtocols(header: string | undefined): string | null {
  const offered = (header ?? '').split(',').map((name) => name.trim());
  if (!offered.includes(WS_PROTOCOL)) return null;
  const token = offered.find((name) => name.startsWith(WS_TOKEN_PROTOCOL_PREFIX));
  return token === undefined ? null : token.slice(WS_TOKEN_PROTOCOL_PREFIX.length);
}

/**
 * Close codes of the API socket (4000–4999: for applications, RFC 6455 §7.4.2). Malformed frames
 * close with the standard codes (1002 protocol error, 1007 bad UTF-8, 1009 too big).
 */
export const CLOSE_CODES = {
  /** The token was missing or wrong (e.g. the server restarted with a new one): do not retry with it. */
  unauthorized: 4401,
  /** The client did not read its replies fast enough to stay within the server's buffer cap. */
  tooSlow: 4429,
} as const;

/** Client → server: call a method. `id` pairs the answer with the call. */
export const CallMessageSchema = z
  .object({
    id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    method: z.string().max(64),
    args: z.array(z.unknown()).max(8),
  })
  .strict();
export type CallMessage = z.infer<typeof CallMessageSchema>;

/** Server → client: the answer to a call. */
export interface ReplyMessage<M extends MethodName = MethodName> {
  id: number;
  result: Result<unknown> & { method?: M };
}

/** Server → client: a pushed event. */
export interface EventMessage<E extends EventName = EventName> {
  event: E;
  payload: EventPayload<E>;
}

export type ServerMessage = ReplyMessage | EventMessage;

/** Larger client messages are refused: no call needs more than a rules list (200 rules ≈ 60 KB). */
export const MAX_CLIENT_MESSAGE_BYTES = 256 * 1024;

/**
 * Calls one client may have waiting for their answers. The bridge holds further calls back; the
 * server answers any beyond it with a bad-request at once, without calling the core.
 */
export const MAX_CALLS_IN_FLIGHT = 8;

/**
 * The WebSocket protocol of browser mode (`idlewatch serve`): the same contract as Electron IPC,
 * as JSON messages. The page is served at `/?token=…`; the server answers with an HttpOnly,
 * SameSite=Strict cookie, so the page's own requests and its WebSocket to `/api` carry the token
 * without the page's script ever seeing it.
 */
import { z } from 'zod';
import type { EventName, EventPayload, MethodName, Result } from './contract';

export const WS_PATH = '/api';
export const TOKEN_COOKIE = 'idlewatch_token';
export const TOKEN_PARAM = 'token';

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

/**
 * The one API between the core and every UI (STYLE.md points 1–2). Electron IPC, the WebSocket
 * of browser mode and the renderer's bridge are all derived from these two tables; no channel
 * name is written anywhere else.
 */
import { z } from 'zod';
import type { IdleRule } from '../rules';
import {
  ApiErrorSchema,
  IdleRulesSchema,
  PollIntervalMsSchema,
  PollStateSchema,
  SnapshotDeltaSchema,
  SnapshotViewSchema,
} from './schemas';

/** Each method's arguments, as a tuple schema. */
export const METHODS = {
  /** The whole current snapshot; waits for the first poll. */
  getSnapshot: z.tuple([]),
  getPollState: z.tuple([]),
  /** Poll every `ms` milliseconds from now on. */
  setPollInterval: z.tuple([PollIntervalMsSchema]),
  pausePolling: z.tuple([]),
  resumePolling: z.tuple([]),
  getRules: z.tuple([]),
  /** Replaces the idle-timeout rules; the next poll projects with them. */
  setRules: z.tuple([IdleRulesSchema]),
} as const;

/** Events the core pushes, with their payload schemas. */
export const EVENTS = {
  /** What changed since the previous poll. */
  delta: SnapshotDeltaSchema,
  pollState: PollStateSchema,
  /** A poll failed; polling goes on. */
  error: ApiErrorSchema,
} as const;

export type MethodName = keyof typeof METHODS;
export type EventName = keyof typeof EVENTS;

export type SnapshotView = z.infer<typeof SnapshotViewSchema>;
export type SnapshotDelta = z.infer<typeof SnapshotDeltaSchema>;
export type PollState = z.infer<typeof PollStateSchema>;
export type ApiError = z.infer<typeof ApiErrorSchema>;

export interface MethodResults {
  getSnapshot: SnapshotView;
  getPollState: PollState;
  setPollInterval: PollState;
  pausePolling: PollState;
  resumePolling: PollState;
  getRules: IdleRule[];
  setRules: IdleRule[];
}

export type MethodArgs<M extends MethodName> = z.infer<(typeof METHODS)[M]>;
export type EventPayload<E extends EventName> = z.infer<(typeof EVENTS)[E]>;

/** The API as the core implements it and as the renderer calls it. */
export type IdlewatchApi = {
  [M in MethodName]: (...args: MethodArgs<M>) => Promise<MethodResults[M]>;
};

/** Subscribes to an event; returns the unsubscribe function. */
export type Subscribe = <E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void) => () => void;

/** Results cross a transport as a value or an error, never as a thrown exception. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** Electron IPC channel names, derived from the tables above. */
export const callChannel = (method: MethodName) => `idlewatch:call:${method}`;
export const eventChannel = (event: EventName) => `idlewatch:event:${event}`;

export const METHOD_NAMES = Object.keys(METHODS) as MethodName[];
export const EVENT_NAMES = Object.keys(EVENTS) as EventName[];

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.hasOwn(METHODS, name);
}

/** An error that carries its code across a transport. */
export class ApiFailure extends Error {
  constructor(
    readonly code: ApiError['code'],
    message: string,
  ) {
    super(message);
  }
}

/**
 * Parses a method's raw arguments. A transport calls this before the core runs; anything
 * malformed becomes a 'bad-request' failure naming what is wrong.
 */
export function parseArgs<M extends MethodName>(method: M, raw: unknown): MethodArgs<M> {
  const parsed = METHODS[method].safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
    throw new ApiFailure('bad-request', `${method}: ${issue?.message ?? 'invalid arguments'}${where}`);
  }
  return parsed.data as MethodArgs<M>;
}

/** Runs an API method and wraps its outcome as a Result. */
export async function toResult<T>(run: () => Promise<T>): Promise<Result<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    if (error instanceof ApiFailure) return { ok: false, error: { code: error.code, message: error.message } };
    return { ok: false, error: { code: 'internal', message: (error as Error).message ?? String(error) } };
  }
}

/** Unwraps a Result on the calling side, turning errors back into ApiFailure. */
export function fromResult<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw new ApiFailure(result.error.code, result.error.message);
}

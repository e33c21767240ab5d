/**
 * How an outcome crosses a transport: `{ ok: true, value } | { ok: false, error: { code, message } }`,
 * never a thrown exception, so the error code survives Electron's contextBridge (which copies
 * only an Error's message) and JSON alike. Zod-free: the preload bundles it.
 */

/**
 * - bad-request: the arguments did not validate;
 * - forbidden: the caller may not call this (wrong sender frame, capability refused);
 * - unsupported: this platform or build cannot do it;
 * - collector: reading the system failed;
 * - internal: anything else.
 */
export const ERROR_CODES = ['bad-request', 'forbidden', 'unsupported', 'collector', 'internal'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ApiError {
  code: ErrorCode;
  message: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** An error that carries its code across a transport. */
export class ApiFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiFailure';
  }
}

/** Runs an API method and wraps its outcome as a Result. */
export async function toResult<T>(run: () => Promise<T>): Promise<Result<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    if (error instanceof ApiFailure) return { ok: false, error: { code: error.code, message: error.message } };
    return { ok: false, error: { code: 'internal', message: (error as Error)?.message ?? String(error) } };
  }
}

/** Unwraps a Result on the calling side, turning errors back into ApiFailure with their code. */
export function fromResult<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  const code = (ERROR_CODES as readonly string[]).includes(result.error?.code) ? result.error.code : 'internal';
  throw new ApiFailure(code, result.error?.message ?? 'malformed result');
}

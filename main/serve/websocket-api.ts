import type { WebSocket } from 'ws';
import { EVENT_NAMES, isMethodName, parseArgs, toResult, type MethodName, type Result } from '../../shared/api/contract';
import { CallMessageSchema, type ServerMessage } from '../../shared/api/wire';
import type { IdlewatchService } from '../core/service';

/**
 * A client that cannot keep up (a browser tab in the background, a slow link) would make the
 * server buffer every delta. Past this much unsent data, deltas are skipped; the client sees the
 * gap in `baseSeq` and fetches the whole snapshot when it catches up.
 */
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;

/** Serves the API over one WebSocket: validated calls in, results and events out. */
export function serveApiSocket(ws: WebSocket, service: IdlewatchService): void {
  const send = (message: ServerMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };

  const unsubscribes = EVENT_NAMES.map((event) =>
    service.subscribe(event, (payload) => {
      if (event === 'delta' && ws.bufferedAmount > MAX_BUFFERED_BYTES) return;
      send({ event, payload } as ServerMessage);
    }),
  );
  ws.on('close', () => unsubscribes.forEach((off) => off()));

  ws.on('message', async (data, isBinary) => {
    let id = -1;
    const reply = (result: Result<unknown>) => send({ id, result });
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
    const { method, args } = call.data;
    if (!isMethodName(method)) return reply({ ok: false, error: { code: 'bad-request', message: `unknown method "${method.slice(0, 64)}"` } });
    reply(await toResult(() => run(service, method, args)));
  });
}

/** Validates the arguments, then calls the core. */
function run(service: IdlewatchService, method: MethodName, raw: unknown[]): Promise<unknown> {
  const args = parseArgs(method, raw);
  const call = service.api[method] as (...a: unknown[]) => Promise<unknown>;
  return call(...(args as unknown[]));
}

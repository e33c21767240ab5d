/** A well-behaved client of the API socket, for tests that need one beside a hostile one. */
import type WebSocket from 'ws';

export interface Reply {
  id: number;
  result: { ok: boolean; value?: unknown; error?: { code: string; message: string } };
}

/** Calls `method` with no arguments and resolves with the reply that carries `id`. */
export function ask(ws: WebSocket, id: number, method: string, timeoutMs = 10_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer to ${method}`)), timeoutMs);
    ws.on('message', function onMessage(data) {
      const message = JSON.parse(data.toString()) as Reply;
      if (message.id !== id) return;
      clearTimeout(timer);
      ws.off('message', onMessage);
      resolve(message);
    });
    ws.send(JSON.stringify({ id, method, args: [] }));
  });
}

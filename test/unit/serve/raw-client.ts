/**
 * A WebSocket client written by hand over a TCP socket, for what a real client library would
 * never send: malformed frames, and a client that stops reading.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { WS_PROTOCOL, WS_TOKEN_PROTOCOL_PREFIX } from '../../../shared/api/wire';

/** The headers a page of this server sends with its token. */
export function credentialHeaders(port: number, token: string): Record<string, string> {
  return { origin: `http://127.0.0.1:${port}`, 'sec-websocket-protocol': `${WS_PROTOCOL}, ${WS_TOKEN_PROTOCOL_PREFIX}${token}` };
}

export interface RawClient {
  socket: Socket;
  /** The status line of the handshake's answer, e.g. "HTTP/1.1 101 Switching Protocols". */
  status: string;
  headers: Record<string, string>;
  /** Bytes that came after the handshake. */
  readonly received: Buffer;
  /** Set when the connection failed (e.g. written to after the server let go). */
  error: Error | null;
}

/** Performs the opening handshake on /api (`headers` add to or replace the usual ones) and returns the socket, still flowing into `received`. */
export function rawUpgrade(port: number, headers: Record<string, string>, path = '/api'): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buffer = Buffer.alloc(0);
    const all: Record<string, string> = {
      host: `127.0.0.1:${port}`,
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-key': randomBytes(16).toString('base64'),
      'sec-websocket-version': '13',
      ...Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])),
    };
    const lines = [`GET ${path} HTTP/1.1`, ...Object.entries(all).map(([name, value]) => `${name}: ${value}`)];
    socket.on('error', (error) => {
      if (client) client.error = error;
      else reject(error);
    });
    let client: RawClient | undefined;
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      const [status, ...rest] = buffer.subarray(0, end).toString('latin1').split('\r\n');
      const chunks: Buffer[] = [buffer.subarray(end + 4)];
      client = {
        socket,
        error: null,
        status: status!,
        headers: Object.fromEntries(rest.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()])),
        get received() {
          if (chunks.length > 1) chunks.splice(0, chunks.length, Buffer.concat(chunks));
          return chunks[0]!;
        },
      };
      socket.on('data', (more: Buffer) => chunks.push(more));
      resolve(client);
    };
    socket.on('data', onData);
  });
}

export interface FrameOptions {
  opcode?: number;
  fin?: boolean;
  /** RSV1..3 as the top bits of the first byte (0x40, 0x20, 0x10). */
  rsv?: number;
  /** Clients must mask; false sends the payload in the clear. */
  masked?: boolean;
}

/** One WebSocket frame, as RFC 6455 §5.2 lays it out. */
export function frame(payload: Buffer | string, { opcode = 1, fin = true, rsv = 0, masked = true }: FrameOptions = {}): Buffer {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const head = [(fin ? 0x80 : 0) | rsv | opcode];
  const maskBit = masked ? 0x80 : 0;
  if (data.length < 126) head.push(maskBit | data.length);
  else if (data.length < 65_536) head.push(maskBit | 126, data.length >> 8, data.length & 0xff);
  else {
    head.push(maskBit | 127, 0, 0, 0, 0);
    head.push((data.length >>> 24) & 0xff, (data.length >>> 16) & 0xff, (data.length >>> 8) & 0xff, data.length & 0xff);
  }
  if (!masked) return Buffer.concat([Buffer.from(head), data]);
  const mask = randomBytes(4);
  const body = Buffer.from(data.map((byte, i) => byte ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from(head), mask, body]);
}

/** A call, framed as a page would send it. */
export function callFrame(id: number, method: string, args: unknown[] = []): Buffer {
  return frame(JSON.stringify({ id, method, args }));
}

export interface ServerFrame {
  opcode: number;
  payload: Buffer;
}

/** The complete (unmasked) frames at the start of `data`, and how many bytes they took. */
export function parseFrames(data: Buffer): { frames: ServerFrame[]; used: number } {
  const frames: ServerFrame[] = [];
  let at = 0;
  while (data.length - at >= 2) {
    let length = data[at + 1]! & 0x7f;
    let start = at + 2;
    if (length === 126) {
      if (data.length < start + 2) break;
      length = data.readUInt16BE(start);
      start += 2;
    } else if (length === 127) {
      if (data.length < start + 8) break;
      length = Number(data.readBigUInt64BE(start));
      start += 8;
    }
    if (data.length < start + length) break;
    frames.push({ opcode: data[at]! & 0x0f, payload: data.subarray(start, start + length) });
    at = start + length;
  }
  return { frames, used: at };
}

/** The close frame's code and reason, if one is among `frames`. */
export function closeOf(frames: ServerFrame[]): { code: number; reason: string } | null {
  const close = frames.find((f) => f.opcode === 0x8);
  if (!close) return null;
  return { code: close.payload.length >= 2 ? close.payload.readUInt16BE(0) : 1005, reason: close.payload.subarray(2).toString() };
}

/** Resolves when the peer has closed the TCP connection (or reset it); rejects after `timeoutMs`. */
export function ended(socket: Socket, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return resolve();
    const timer = setTimeout(() => reject(new Error(`the server did not close the connection within ${timeoutMs} ms`)), timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

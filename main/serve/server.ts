/**
 * Browser mode (`idlewatch serve`): the built renderer over HTTP and the one API over a
 * WebSocket, for headless servers and for end-to-end tests in Chromium.
 *
 * Access control (shared/api/wire.ts tells the whole story): the printed URL carries a random
 * token in its fragment; the page presents it only as a subprotocol of its WebSocket to `/api`,
 * which is checked in constant time. No cookie is ever set, so the token reaches no other service
 * on the host and no other instance. The app shell is public (it holds no data). Every request
 * must name this server in its Host header (against DNS rebinding), and the WebSocket must come
 * from this server's own page (Origin, against cross-site WebSocket hijacking).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { CONTENT_SECURITY_POLICY } from '../../shared/csp';
import {
  CLOSE_CODES,
  MAX_CLIENT_MESSAGE_BYTES,
  tokenFromProtocols,
  tokenUrl,
  WS_PATH,
  WS_PROTOCOL,
  WS_TOKEN_PROTOCOL_PREFIX,
} from '../../shared/api/wire';
import type { IdlewatchService } from '../core/service';
import { readStaticFile } from './static-files';
import { browserPolicy, createDispatcher } from '../core/dispatcher';
import { newToken, tokenMatches } from './token';
import { DEFAULT_LIMITS, endWithin, serveApiSocket, type SocketLimits } from './websocket-api';

export interface ServeOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  service: IdlewatchService;
  /** Tests pass their own; otherwise a fresh random one. */
  token?: string;
  /** Per-client limits of the API socket; tests lower them. */
  limits?: SocketLimits;
  /** Lets token holders call privileged methods (apply settings); off unless `--allow-apply`. */
  allowApply?: boolean;
}

export interface RunningServer {
  /** The URL to open: the token is in its fragment. */
  url: string;
  origin: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const UNAUTHORIZED_REASON = 'unauthorized: open the URL printed by idlewatch serve';

function refuse(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`Idlewatch: ${message}\n`);
}

/** Answers and lets go at once: the HTTP server allows half-open sockets, and would wait for the client's end. */
function refuseUpgrade(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
}

/** The path of a request target, without its query: never parsed as a URL that could name another host. */
const pathOf = (req: IncomingMessage) => (req.url ?? '/').split(/[?#]/, 1)[0]!;

/** Whether a bind address is reachable from this machine only. */
export const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
const isUnspecified = (host: string) => host === '0.0.0.0' || host === '::';
const bracketed = (host: string) => (host.includes(':') ? `[${host}]` : host);

/**
 * Which Host headers name this server, against DNS rebinding: a page of `evil.example` that
 * resolves to 127.0.0.1 still says `Host: evil.example`. Accepted: the bound address with the
 * port, and `localhost` with the port when bound to loopback. Bound to every address (0.0.0.0,
 * ::), any IP literal with the port — a literal cannot be rebound — but no name.
 */
export function hostMatcher(boundHost: string, port: number): (header: string | undefined) => boolean {
  const names = new Set([`${bracketed(boundHost)}:${port}`]);
  if (isLoopback(boundHost)) names.add(`localhost:${port}`);
  if (boundHost === 'localhost') ['127.0.0.1', '[::1]'].forEach((address) => names.add(`${address}:${port}`));
  if (port === 80) for (const name of [...names]) names.add(name.slice(0, -':80'.length));
  return (header) => {
    if (header === undefined) return false;
    const host = header.toLowerCase();
    if (names.has(host)) return true;
    if (!isUnspecified(boundHost)) return false;
    const literal = /^\[([0-9a-f:.]+)\]:(\d+)$/.exec(host) ?? /^([0-9.]+):(\d+)$/.exec(host);
    return literal !== null && isIP(literal[1]!) !== 0 && Number(literal[2]) === port;
  };
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  // One dispatcher for every client: browser mode's policy refuses privileged methods unless allowed.
  const core = {
    dispatch: createDispatcher(options.service.api, browserPolicy({ allowApply: options.allowApply ?? false })),
    subscribe: options.service.subscribe,
  };
  const token = options.token ?? newToken();
  const limits = options.limits ?? DEFAULT_LIMITS;
  // Set once listening, when the port is known; nothing is served before.
  let hostAllowed: (header: string | undefined) => boolean = () => false;

  const server = createServer(async (req, res) => {
    if (!hostAllowed(req.headers.host)) return refuse(res, 421, 'this server answers only to the address it printed.');
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'only GET is served.');
    // The app shell is public; the data is only on the WebSocket, behind the token.
    const path = pathOf(req);
    const file = await readStaticFile(options.rendererDir, path);
    if (!file) return refuse(res, 404, 'not found.');
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': file.contentType,
      'Cache-Control': file.contentType.startsWith('text/html') ? 'no-store' : 'private, max-age=3600',
    });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  });

  /** Upgrades whose token matched, between the check and the handshake. */
  const authorized = new WeakSet<IncomingMessage>();
  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_MESSAGE_BYTES,
    // No compression: RSV1 stays reserved, and a frame that sets it is a protocol error.
    perMessageDeflate: false,
    // `idlewatch.v1` is selected only with the right token: a page whose socket opens with any
    // other subprotocol knows it was not let in, before the 4401 close arrives. A browser fails a
    // handshake that selects none of its offers, so a refused page gets its own offer back.
    handleProtocols: (offered, req) =>
      authorized.has(req) ? WS_PROTOCOL : ([...offered].find((name) => name.startsWith(WS_TOKEN_PROTOCOL_PREFIX)) ?? false),
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node hands the socket over without an error listener: a client resetting now must not end the process.
    socket.on('error', () => socket.destroy());
    if (!hostAllowed(req.headers.host)) return refuseUpgrade(socket, '421 Misdirected Request');
    // Browsers always send Origin on WebSocket requests; it must be this server's own page.
    const origin = req.headers.origin;
    const sameOrigin = origin === undefined || origin === `http://${req.headers.host!.toLowerCase()}`;
    if (pathOf(req) !== WS_PATH || !sameOrigin) return refuseUpgrade(socket, '403 Forbidden');
    const accepted = tokenMatches(token, tokenFromProtocols(req.headers['sec-websocket-protocol']));
    if (accepted) authorized.add(req);
    sockets.handleUpgrade(req, socket, head, (ws) => {
      // A malformed frame (too big, bad UTF-8, unmasked, reserved bits or opcode) makes ws emit
      // 'error', send a close frame with the matching code and stop reading. Without a listener
      // the error would be thrown, and end the server for every client.
      ws.on('error', () => endWithin(ws, limits.dropGraceMs));
      // A refused token is said with a close code rather than an HTTP status, which a page
      // cannot read: the page then stops retrying and asks for the printed URL. Nothing it
      // sends is read.
      if (!accepted) {
        ws.close(CLOSE_CODES.unauthorized, UNAUTHORIZED_REASON);
        return endWithin(ws, limits.dropGraceMs);
      }
      serveApiSocket(ws, core, limits);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  hostAllowed = hostMatcher(options.host, port);
  const origin = `http://${bracketed(options.host)}:${port}`;
  return {
    url: tokenUrl(origin, token),
    origin,
    port,
    token,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

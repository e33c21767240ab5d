/**
 * Browser mode (`idlewatch serve`): the built renderer over HTTP and the one API over a
 * WebSocket, for headless servers and for end-to-end tests in Chromium.
 *
 * Access control: the printed URL carries a random token. Loading it sets an HttpOnly,
 * SameSite=Strict cookie and redirects to the bare URL, so the token leaves the address bar;
 * every later request — files and the WebSocket — must carry the cookie (or the token).
 * The WebSocket also checks Origin, against cross-site WebSocket hijacking.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { TOKEN_COOKIE, TOKEN_PARAM, WS_PATH, MAX_CLIENT_MESSAGE_BYTES } from '../../shared/api/wire';
import type { IdlewatchService } from '../core/service';
import { readStaticFile } from './static-files';
import { cookieValue, newToken, tokenMatches } from './token';
import { serveApiSocket } from './websocket-api';

export interface ServeOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  service: IdlewatchService;
  /** Tests pass their own; otherwise a fresh random one. */
  token?: string;
}

export interface RunningServer {
  /** The URL to open, with the token. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/** The same policy as the Electron window's (main/electron/security.ts). */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

function requestToken(req: IncomingMessage): { fromQuery: string | null; fromCookie: string | null } {
  const url = new URL(req.url ?? '/', 'http://localhost');
  return { fromQuery: url.searchParams.get(TOKEN_PARAM), fromCookie: cookieValue(req.headers.cookie, TOKEN_COOKIE) };
}

function refuse(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`Idlewatch: ${message}\n`);
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const token = options.token ?? newToken();
  const authorized = (req: IncomingMessage) => {
    const { fromQuery, fromCookie } = requestToken(req);
    return tokenMatches(token, fromQuery) || tokenMatches(token, fromCookie);
  };

  const server = createServer(async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'only GET is served.');
    if (!authorized(req)) return refuse(res, 403, 'this address needs the token printed by `idlewatch serve`.');
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.searchParams.has(TOKEN_PARAM)) {
      // Trade the token in the URL for a cookie, and take it out of the address bar and history.
      res.writeHead(303, {
        ...SECURITY_HEADERS,
        'Set-Cookie': `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        Location: url.pathname,
        'Cache-Control': 'no-store',
      });
      return res.end();
    }
    const file = await readStaticFile(options.rendererDir, url.pathname);
    if (!file) return refuse(res, 404, `${url.pathname} not found.`);
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': file.contentType,
      'Cache-Control': file.contentType.startsWith('text/html') ? 'no-store' : 'private, max-age=3600',
    });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  });

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const origin = req.headers.origin;
    // Browsers always send Origin on WebSocket requests; it must be this server's own page.
    const sameOrigin = origin === undefined || origin === `http://${req.headers.host}`;
    if (url.pathname !== WS_PATH || !authorized(req) || !sameOrigin) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => serveApiSocket(ws, options.service));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${shownHost}:${port}/?${TOKEN_PARAM}=${token}`,
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

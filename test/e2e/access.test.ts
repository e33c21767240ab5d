import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, serve, type Served } from './browser-lab';

/**
 * The credential of browser mode in the real renderer and Chromium: the token travels in the
 * printed URL's fragment, lives in the tab's sessionStorage and goes only on the page's own
 * WebSocket. It must never reach another service on the same host, nor another instance.
 */
let served: Served;
let browser: Browser;

beforeAll(async () => {
  served = await serve();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

const ROWS = '[role="rowgroup"] [role="row"]';

/** The app reached the API: the table shows the sockets of this namespace (at least the page's own). */
async function tableLoaded(page: Page): Promise<void> {
  await page.getByRole('grid', { name: 'TCP connections' }).waitFor();
  await expect.poll(() => page.locator(ROWS).count(), { timeout: 15_000 }).toBeGreaterThan(0);
}

/** Everything an HTTP request says, to search for the token. */
interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
}

/**
 * Another web service on the same host, as a browser meets it: its page fetches with
 * credentials, loads an image and opens a WebSocket, all to itself; every request is recorded.
 */
async function otherService(): Promise<{ server: Server; origin: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const page = `<!doctype html><title>other</title><script>
    fetch('/fetch', { credentials: 'include' });
    new Image().src = '/image';
    new WebSocket('ws://' + location.host + '/socket');
  </script>`;
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(page);
  });
  server.on('upgrade', (req, socket) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** What a page's own WebSocket to /api gets with these subprotocols: the selected one and the close code. */
function tryApiSocket(page: Page, wsUrl: string, protocols: string[]) {
  return page.evaluate(
    ({ wsUrl, protocols }) =>
      new Promise<{ opened: string | null; closeCode: number }>((resolve) => {
        const ws = new WebSocket(wsUrl, protocols);
        let opened: string | null = null;
        ws.onopen = () => (opened = ws.protocol);
        ws.onmessage = () => (opened = `${opened} and answered`);
        ws.onclose = (event) => resolve({ opened, closeCode: event.code });
      }),
    { wsUrl, protocols },
  );
}

const apiUrl = (s: Served) => `${s.origin.replace('http', 'ws')}/api`;

describe('browser mode access', () => {
  let context: BrowserContext;
  afterAll(() => context?.close());

  it('opens the app from the printed URL; the token leaves the address bar, no cookie is set, and a reload still works', async () => {
    context = await browser.newContext();
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', async (request) => requests.push(`${request.url()} ${JSON.stringify(await request.allHeaders())}`));
    const response = await page.goto(served.url);
    expect(response?.status()).toBe(200);
    await tableLoaded(page);
    expect(page.url()).toBe(`${served.origin}/`);
    expect(await context.cookies()).toEqual([]);
    expect(await page.evaluate(() => sessionStorage.getItem('idlewatch.token'))).toBe(served.token);

    await page.reload();
    await tableLoaded(page);
    expect(page.url()).toBe(`${served.origin}/`);
    expect(await context.cookies()).toEqual([]);
    // No HTTP request carried the token: the page and its files are public.
    expect(requests.length).toBeGreaterThan(2);
    for (const request of requests) expect(request).not.toContain(served.token);
  });

  it('sends no Idlewatch credential to another service on the same host', async () => {
    const other = await otherService();
    try {
      const app = await context.newPage();
      await app.goto(served.url);
      await tableLoaded(app);
      // The other service, opened beside the app and from it, by address and by name.
      const page = await context.newPage();
      await page.goto(`${other.origin}/`);
      await page.goto(`${other.origin.replace('127.0.0.1', 'localhost')}/`);
      await app.goto(`${other.origin}/from-the-app`);
      await expect.poll(() => other.seen.filter((s) => s.url === '/socket').length, { timeout: 10_000 }).toBe(3);
      expect(other.seen.map((s) => s.url)).toEqual(expect.arrayContaining(['/', '/fetch', '/image', '/socket', '/from-the-app']));
      for (const request of other.seen) {
        const said = JSON.stringify(request);
        expect(said, request.url).not.toContain(served.token);
        expect(said.toLowerCase(), request.url).not.toContain('idlewatch');
      }
    } finally {
      other.server.closeAllConnections();
      other.server.close();
    }
  });

  it('refuses the API socket to a page of another origin, even one that knows the token', async () => {
    const other = await otherService();
    try {
      const page = await context.newPage();
      await page.goto(`${other.origin}/`);
      const outcome = await tryApiSocket(page, apiUrl(served), ['idlewatch.v1', `idlewatch.token.${served.token}`]);
      expect(outcome.opened).toBeNull();
      const blank = await context.newPage();
      await blank.goto('about:blank');
      expect((await tryApiSocket(blank, apiUrl(served), ['idlewatch.v1', `idlewatch.token.${served.token}`])).opened).toBeNull();
    } finally {
      other.server.closeAllConnections();
      other.server.close();
    }
  });

  it('keeps two instances in one browser apart: both keep working, before and after a reload', async () => {
    const second = await serve();
    try {
      const first = await context.newPage();
      const other = await context.newPage();
      await first.goto(served.url);
      await tableLoaded(first);
      await other.goto(second.url);
      await tableLoaded(other);
      await first.reload();
      await tableLoaded(first);
      await other.reload();
      await tableLoaded(other);
      expect(await first.evaluate(() => sessionStorage.getItem('idlewatch.token'))).toBe(served.token);
      expect(await other.evaluate(() => sessionStorage.getItem('idlewatch.token'))).toBe(second.token);
      expect(await context.cookies()).toEqual([]);
    } finally {
      await second.stop();
    }
  });

  it('serves a page without the token, which cannot reach the API', async () => {
    const fresh = await browser.newContext();
    try {
      const page = await fresh.newPage();
      const sockets: string[] = [];
      page.on('websocket', (ws) => sockets.push(ws.url()));
      const response = await page.goto(`${served.origin}/`);
      expect(response?.status()).toBe(200);
      expect(await page.title()).toMatch(/Idlewatch/);
      await page.waitForTimeout(1000);
      expect(sockets).toEqual([]); // the bridge does not even try
      expect(await page.locator(ROWS).count()).toBe(0);
      // Nor can the page's script get in by itself, with no token or a guessed one.
      expect(await tryApiSocket(page, apiUrl(served), ['idlewatch.v1'])).toEqual({ opened: null, closeCode: 1006 });
      expect(await tryApiSocket(page, apiUrl(served), ['idlewatch.v1', 'idlewatch.token.guessed-0123456789abcdef'])).toEqual({
        opened: 'idlewatch.token.guessed-0123456789abcdef',
        closeCode: 4401,
      });
    } finally {
      await fresh.close();
    }
  });

  it('tells a page without the token to open the printed URL', async () => {
    const fresh = await browser.newContext();
    try {
      const page = await fresh.newPage();
      await page.goto(`${served.origin}/`);
      await page.getByText(/open the URL printed by .?idlewatch serve/i).first().waitFor({ timeout: 10_000 });
    } finally {
      await fresh.close();
    }
  });

  it('connects, without a reload, when the printed URL is then opened in the same tab', async () => {
    const fresh = await browser.newContext();
    try {
      const page = await fresh.newPage();
      await page.goto(`${served.origin}/`);
      await page.goto(served.url); // only the fragment changes: the same document
      await tableLoaded(page);
      expect(page.url()).toBe(`${served.origin}/`);
    } finally {
      await fresh.close();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, serve, type Served } from './browser-lab';

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

describe('browser mode access', () => {
  it('refuses the page without the token', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${served.origin}/`);
    expect(response?.status()).toBe(403);
    expect(await page.textContent('body')).toMatch(/needs the token printed by `idlewatch serve`/);
    await page.close();
  });

  it('opens the app from the printed URL and takes the token out of the address bar', async () => {
    const page = await browser.newPage();
    const response = await page.goto(served.url);
    expect(response?.status()).toBe(200);
    expect(page.url()).toBe(`${served.origin}/`);
    expect(await page.title()).toMatch(/Idlewatch/);
    await page.close();
  });

  it('refuses the API socket to a page of another origin, even in the same browser', async () => {
    const context = await browser.newContext();
    const app = await context.newPage();
    await app.goto(served.url); // this context now holds the cookie
    const other = await context.newPage();
    await other.goto('about:blank');
    const outcome = await other.evaluate(
      (wsUrl) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(wsUrl);
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('refused');
        }),
      `${served.origin.replace('http', 'ws')}/api`,
    );
    expect(outcome).toBe('refused');
    await context.close();
  });
});

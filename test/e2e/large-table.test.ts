import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { planSockets, startHolders, type RunningHolders } from '../bench/holders';
import { assertThrowawayNamespace } from '../integration/lab';
import { launchChromium, screenshotPath, serve, type Served } from './browser-lab';

/**
 * 100,000 real sockets, held by several processes in this namespace (at most 20,000 open files
 * a process), shown by the real renderer: it must list them all while keeping only a window of
 * rows in the page.
 */
const SOCKETS = 100_000;
let holders: RunningHolders;
let served: Served;
let browser: Browser;

beforeAll(async () => {
  assertThrowawayNamespace();
  holders = await startHolders(planSockets(SOCKETS));
  served = await serve({ pollIntervalMs: 2000 });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  holders?.stop();
});

async function openLoaded(colorScheme: 'light' | 'dark'): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 860 }, colorScheme });
  await page.goto(served.url);
  const count = page.getByRole('search', { name: 'Filter connections' }).getByRole('status');
  await expect
    .poll(async () => Number((await count.innerText().catch(() => '0')).replace(/\D/g, '')), { timeout: 60_000, interval: 500 })
    .toBeGreaterThanOrEqual(SOCKETS);
  return page;
}

describe('the connection view with 100,000 connections', () => {
  it('lists every socket but renders only the rows in view', async () => {
    const page = await openLoaded('light');
    const grid = page.getByRole('grid', { name: 'TCP connections' });
    expect(Number(await grid.getAttribute('aria-rowcount'))).toBeGreaterThanOrEqual(SOCKETS + 1);
    const rendered = await page.locator('[role="rowgroup"] [role="row"]').count();
    expect(rendered).toBeGreaterThan(10);
    expect(rendered).toBeLessThan(200);
    await page.screenshot({ path: screenshotPath('connections-100k-light') });

    // Scrolled to the end, the last rows are there.
    await page.evaluate(`(() => {
      const scroller = [...document.querySelectorAll('*')].sort((a, b) => b.scrollHeight - a.scrollHeight)[0];
      scroller.scrollTop = scroller.scrollHeight;
    })()`);
    await expect
      .poll(async () => Number(await page.locator('[role="rowgroup"] [role="row"]').last().getAttribute('aria-rowindex')))
      .toBeGreaterThanOrEqual(SOCKETS);
    await page.close();
  });

  it('in the dark theme too', async () => {
    const page = await openLoaded('dark');
    await page.screenshot({ path: screenshotPath('connections-100k-dark') });
    await page.close();
  });
});

import { readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { assertThrowawayNamespace, failure, openPair, setKeepaliveSysctls, setTcpRetries2, silencePeer, type Pair } from '../integration/lab';
import { launchChromium, screenshotPath, serve, type Served } from './browser-lab';

/**
 * The real renderer in Chromium against `idlewatch serve`, inside this test's namespace, with
 * real idle connections opened by the test process. Keepalive is 2 s / 1 s × 3 here, so a
 * silenced peer is dropped by the kernel within seconds.
 */
let served: Served;
let browser: Browser;
const pairs: Pair[] = [];

beforeAll(async () => {
  assertThrowawayNamespace();
  setKeepaliveSysctls({ timeSec: 2, intervalSec: 1, probes: 3 });
  for (let i = 0; i < 5; i++) {
    const p = await openPair(i % 2 ? '::1' : '127.0.0.1');
    if (i % 2 === 0) p.client.setKeepAlive(true);
    pairs.push(p);
  }
  served = await serve({ pollIntervalMs: 500 });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  pairs.forEach((p) => p.close());
});

const endpoint = (address: string, port: number) => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);

const ROWS = '[role="rowgroup"] [role="row"]';
const LOCAL_CELL = '[role="gridcell"]:nth-child(2)';

/** The row whose Local cell is exactly this endpoint (its peer's row shows it as Remote). */
function rowOf(page: Page, local: string) {
  const exactly = new RegExp(`^${local.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  return page.locator(ROWS).filter({ has: page.locator(LOCAL_CELL, { hasText: exactly }) });
}

/** How the table orders Local: IPv4 numerically, then IPv6, then the port. */
function localOrder(text: string): number {
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+):(\d+)$/.exec(text);
  if (v4) return (((+v4[1]! * 256 + +v4[2]!) * 256 + +v4[3]!) * 256 + +v4[4]!) * 65_536 + +v4[5]!;
  return 2 ** 48 * 65_536 + Number(text.slice(text.lastIndexOf(':') + 1));
}

async function openApp(colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 860 }, colorScheme });
  await page.goto(served.url);
  await page.getByRole('grid', { name: 'TCP connections' }).waitFor();
  return page;
}

describe('the connection view in Chromium', () => {
  it('lists the real idle connections with their process and keepalive state', async () => {
    const page = await openApp();
    for (const p of pairs) {
      const local = endpoint(p.client.localAddress!, p.client.localPort!);
      const row = rowOf(page, local);
      await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
      await expect.poll(async () => (await row.innerText()).includes(`${process.pid}`)).toBe(true);
    }
    const keepaliveRow = rowOf(page, endpoint('127.0.0.1', pairs[0]!.client.localPort!));
    expect(await keepaliveRow.getByRole('gridcell').nth(6).innerText()).toBe('on');
    const plainRow = rowOf(page, endpoint('::1', pairs[1]!.client.localPort!));
    expect(await plainRow.getByRole('gridcell').nth(6).innerText()).toBe('off');
    await page.screenshot({ path: screenshotPath('connections-10-light') });
    await page.close();
  });

  it('looks right in the dark theme', async () => {
    const page = await openApp('dark');
    await expect.poll(() => page.getByRole('row').count(), { timeout: 10_000 }).toBeGreaterThan(5);
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    // a dark page: every channel well below the middle
    const channels = background.match(/\d+/g)!.slice(0, 3).map(Number);
    expect(Math.max(...channels)).toBeLessThan(80);
    await page.screenshot({ path: screenshotPath('connections-10-dark') });
    await page.close();
  });

  it('shows a silenced keepalive peer counting down to its drop, then removes it when the kernel drops it', async () => {
    const p = await openPair();
    p.client.setKeepAlive(true);
    const failed = failure(p.client);
    const undo = silencePeer(p.serverPort);
    try {
      const page = await openApp();
      const row = rowOf(page, endpoint('127.0.0.1', p.client.localPort!));
      await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
      const dropCell = row.getByRole('gridcell').nth(9);
      // A countdown such as "4.2s", ticking down between pushes, with the kernel named as the dropper.
      await expect.poll(() => dropCell.innerText(), { timeout: 5000 }).toMatch(/^\d+(\.\d)?s$/);
      const first = parseFloat(await dropCell.innerText());
      // it ticks between pushes (each second, rounded up)
      await expect.poll(async () => parseFloat(await dropCell.innerText()), { timeout: 3000 }).toBeLessThan(first);
      expect(await row.getByRole('gridcell').nth(10).innerText()).toMatch(/keepalive/i);
      await page.screenshot({ path: screenshotPath('silenced-peer-counting-down') });
      const { code } = await failed;
      expect(code).toBe('ETIMEDOUT');
      // gone within a couple of polls after the kernel reset it
      await expect.poll(() => row.count(), { timeout: 5000 }).toBe(0);
      await page.close();
    } finally {
      undo();
      p.close();
    }
  });

  it('sorts by a column and filters by text, and keeps both across a reload', async () => {
    const page = await openApp();
    await expect.poll(() => page.getByRole('row').count(), { timeout: 10_000 }).toBeGreaterThan(5);
    const localHeader = page.getByRole('columnheader', { name: 'Local' });
    await localHeader.getByRole('button').click();
    await expect.poll(() => localHeader.getAttribute('aria-sort')).toMatch(/ascending|descending/);
    const direction = await localHeader.getAttribute('aria-sort');
    const keys = (await page.locator(`${ROWS} ${LOCAL_CELL}`).allInnerTexts()).map(localOrder);
    expect(keys.length).toBeGreaterThan(5);
    const sorted = [...keys].sort((a, b) => (direction === 'ascending' ? a - b : b - a));
    expect(keys).toEqual(sorted);

    const port = String(pairs[0]!.client.localPort);
    // Both of the pair's ports: every word must match, so a socket another test left (TIME_WAIT)
    // whose address merely contains one of them as a substring does not count.
    const search = `${port} ${pairs[0]!.serverPort}`;
    await page.getByRole('searchbox').fill(search);
    await expect.poll(() => page.locator(ROWS).count()).toBe(2); // both ends
    for (const text of await page.locator(ROWS).allInnerTexts()) expect(text).toContain(port);
    const count = page.getByRole('search', { name: 'Filter connections' }).getByRole('status');
    await expect(count.innerText()).resolves.toMatch(/^2 of \d+/);

    await page.reload();
    await page.getByRole('grid', { name: 'TCP connections' }).waitFor();
    expect(await page.getByRole('searchbox').inputValue()).toBe(search);
    expect(await page.getByRole('columnheader', { name: 'Local' }).getAttribute('aria-sort')).toBe(direction);
    await expect.poll(() => page.locator(ROWS).count(), { timeout: 10_000 }).toBe(2);
    await page.getByRole('button', { name: 'clear filters' }).click();
    await page.close();
  });

  it.each(['light', 'dark'] as const)('opens the detail pane with the timeline, the reasons and the precision (%s)', async (scheme) => {
    const page = await openApp(scheme);
    const row = rowOf(page, endpoint('127.0.0.1', pairs[0]!.client.localPort!));
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    await row.click();
    await page.keyboard.press('Enter');
    const pane = page.getByRole('complementary', { name: 'Details' });
    await pane.waitFor();
    const text = await pane.innerText();
    expect(text).toMatch(/keepalive/i);
    expect(text).toMatch(/2 s|2s/);
    // The timeline lists each probe the core projected, and the drop.
    await expect.poll(() => pane.locator('.events').innerText(), { timeout: 5000 }).toMatch(/Probe 1 of 3[\s\S]*Reset by keepalive/);
    // Run as root, the clock is known: the times are exact.
    expect(text).toMatch(/Precision\s+Exact: the kernel clock is known/);
    await page.screenshot({ path: screenshotPath(scheme === 'light' ? 'detail-pane' : 'detail-pane-dark') });
    await page.keyboard.press('Escape');
    await expect.poll(() => pane.count()).toBe(0);
    await page.close();
  });

  it('explains a connection whose data the peer never acknowledges: which timer, retransmissions left, the last, the give-up', async () => {
    // tcp_retries2 = 8: about 100 s from the first retransmission, so it stays listed throughout.
    setTcpRetries2(8);
    const p = await openPair();
    const undo = silencePeer(p.serverPort);
    try {
      p.client.write(Buffer.alloc(4000, 1));
      const page = await openApp();
      const row = rowOf(page, endpoint('127.0.0.1', p.client.localPort!));
      await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
      // After two retransmissions the projection has something to say about those still to come.
      await expect.poll(async () => (await row.innerText()).includes('retransmit'), { timeout: 10_000 }).toBe(true);
      await row.click();
      await page.keyboard.press('Enter');
      const pane = page.getByRole('complementary', { name: 'Details' });
      await pane.waitFor();
      await expect.poll(() => pane.innerText(), { timeout: 10_000 }).toMatch(/the retransmission timer has resent them [1-9]\d* times?/);
      const text = await pane.innerText();
      expect(text).toMatch(/bytes sent are not acknowledged yet/);
      expect(text).toMatch(/tcp_retries2 = 8 retransmissions take from the minimum timeout \(1 min 42 s\)/);
      expect(text).toMatch(/\d+ more retransmissions?, the last (in|now)/);
      expect(text).toMatch(/then the timer's next firing resets the connection in/);
      await expect.poll(() => pane.locator('.events').innerText(), { timeout: 5000 }).toMatch(/Retransmission \d+ of 8[\s\S]*more retransmissions[\s\S]*Retransmission ends/);
      await page.screenshot({ path: screenshotPath('detail-pane-retransmit') });
      await page.close();
    } finally {
      undo();
      p.close();
      setTcpRetries2(15);
    }
  });

  it.each(['light', 'dark'] as const)('explains the kernel settings in plain words, with their sysctl names and the namespace (%s)', async (scheme) => {
    const page = await openApp(scheme);
    await page.getByRole('button', { name: 'Kernel settings' }).click();
    const pane = page.getByRole('complementary', { name: 'Details' });
    await expect.poll(() => pane.innerText(), { timeout: 10_000 }).toMatch(/A silent peer is detected 5 s after its last packet/);
    const text = await pane.innerText();
    for (const name of ['tcp_keepalive_time', 'tcp_keepalive_intvl', 'tcp_keepalive_probes', 'tcp_retries2']) expect(text).toContain(name);
    // This test's namespace, by its inode (what /proc/self/ns/net links to).
    const netns = /net:\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/net'))![1]!;
    expect(text).toContain(`network namespace ${netns}`);
    await page.screenshot({ path: screenshotPath(`kernel-pane-${scheme}`) });
    // Further down: the host, its default route (read in the background, so it may come a poll later) and its interfaces.
    await expect.poll(() => pane.innerText(), { timeout: 10_000 }).toMatch(/Interfaces\s+lo\b/);
    await page.locator('#pane-body').evaluate((body) => body.scrollTo(0, body.scrollHeight));
    await page.screenshot({ path: screenshotPath(`kernel-pane-host-${scheme}`) });
    await page.close();
  });
});

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { assertThrowawayNamespace, openPair, sleep, type Pair } from '../integration/lab';
import { launchChromium, screenshotPath, serve, type Served } from './browser-lab';

/**
 * A poll that overruns its interval: the core says so at once (pollState.late) and the page
 * must say the data is late while the poll is under way, and stop saying it when it finishes:
 * the poll controls at once, the banner a second later.
 * The poll is held up for real by stopping the socket-table helper (idlewatch-sockdiag) that
 * `serve` reads through.
 */
let served: Served;
let browser: Browser;
let pair: Pair;

beforeAll(async () => {
  assertThrowawayNamespace();
  pair = await openPair();
  served = await serve({ pollIntervalMs: 1000 });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  pair?.close();
});

/** The pids of the children of `parent` whose executable is named `name`. */
function childrenNamed(parent: number, name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent && readlinkSync(`/proc/${entry}/exe`).endsWith(`/${name}`)) pids.push(Number(entry));
    } catch {
      // gone while we looked
    }
  }
  return pids;
}

async function openApp(colorScheme: 'light' | 'dark'): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 860 }, colorScheme });
  await page.goto(served.url);
  await page.getByRole('grid', { name: 'TCP connections' }).waitFor();
  await expect.poll(() => page.locator('[role="rowgroup"] [role="row"]').count(), { timeout: 10_000 }).toBeGreaterThan(0);
  return page;
}

describe('late data in Chromium', () => {
  it.each(['light', 'dark'] as const)('says the data is late while a poll overruns, and stops when it finishes (%s)', async (scheme) => {
    const page = await openApp(scheme);
    const late = page.getByRole('status').filter({ hasText: 'Data is late' });
    expect(await late.count()).toBe(0);

    // Wait for a helper to exist (it starts with the first poll and stays for the next ones).
    let helpers: number[] = [];
    await expect.poll(() => (helpers = childrenNamed(served.process.pid!, 'idlewatch-sockdiag')).length, { timeout: 10_000 }).toBeGreaterThan(0);
    for (const pid of helpers) process.kill(pid, 'SIGSTOP');
    try {
      await expect.poll(() => late.count(), { timeout: 5000 }).toBe(1);
      await expect.poll(() => late.innerText(), { timeout: 5000 }).toMatch(/^Data is late:\s+the poll started \d+ s ago and has not finished\./);
      // The poll controls say it too (at once, before the banner's grace second).
      await expect.poll(() => page.getByRole('group', { name: 'Polling' }).innerText()).toMatch(/late · polling for \d+s…/);
      await sleep(1500);
      await page.screenshot({ path: screenshotPath(`late-poll-${scheme}`) });
    } finally {
      for (const pid of helpers) process.kill(pid, 'SIGCONT');
    }
    await expect.poll(() => late.count(), { timeout: 10_000 }).toBe(0);
    expect(await page.getByRole('group', { name: 'Polling' }).innerText()).not.toContain('polling for');
    await page.close();
  });
});

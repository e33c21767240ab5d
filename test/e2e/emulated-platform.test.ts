/**
 * The whole app on macOS without a Mac (issue 10, acceptance 3): `idlewatch serve` with
 * IDLEWATCH_PLATFORM=darwin and stand-ins printing recorded netstat/sysctl/ps output
 * (test/fixtures/stand-in-commands.ts), the real renderer in Chromium. Idle times become
 * estimates from the second poll on, and the table marks them, and the modelled projections.
 */
import { rmSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { standInCommands } from '../fixtures/stand-in-commands';
import { launchChromium, screenshotPath, serve, type Served } from './browser-lab';

let served: Served;
let browser: Browser;
let dir = '';
const saved = { platform: process.env.IDLEWATCH_PLATFORM, path: process.env.PATH };

beforeAll(async () => {
  const standIns = standInCommands('darwin');
  dir = standIns.dir;
  // serve() passes this process's environment on.
  process.env.IDLEWATCH_PLATFORM = 'darwin';
  process.env.PATH = standIns.env.PATH;
  served = await serve({ pollIntervalMs: 1000 });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  if (saved.platform === undefined) delete process.env.IDLEWATCH_PLATFORM;
  else process.env.IDLEWATCH_PLATFORM = saved.platform;
  process.env.PATH = saved.path;
  rmSync(dir, { recursive: true, force: true });
});

describe('the app on macOS, emulated', () => {
  it('shows the recorded sockets with estimated idle times and modelled projections, marked, with the macOS settings', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(served.url);
    await page.getByRole('grid', { name: 'TCP connections' }).waitFor();
    // From the second poll on, unchanged byte counters give an idle time's lower bound.
    await expect.poll(() => page.getByText('≈ estimated').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.locator('[role="rowgroup"] [role="row"]').count()).toBeGreaterThan(3);
    const kernelLine = await page.locator('.kernel-line').innerText();
    expect(kernelLine).toMatch(/keepidle|7200/);
    expect(kernelLine).toMatch(/modelled|model/i);
    await page.screenshot({ path: screenshotPath('emulated-darwin-light') });
    await page.close();
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Download, Locator, Page } from 'playwright-core';
import { recordingsDir } from '../../main/core/recorder';
import { assertThrowawayPersistence, openPair, sleep, type Pair } from '../integration/lab';
import { launchChromium, screenshotPath, serve, type Served } from './browser-lab';

/**
 * Export and Record in Chromium against `idlewatch serve`, in this test's namespace: the table
 * filtered to one listener's connections exports as CSV holding exactly those rows (a browser
 * download); a recording started and stopped from the header is listed in the Export dialog and
 * its post-mortem downloads as HTML. Recordings go to a data folder of this test's own.
 */
let served: Served;
let browser: Browser;
/** serve runs as root: its recordings go to root's folder, a tmpfs of this test's namespace (test/run-all.mjs). */
const recordings = recordingsDir();
/** The connections the CSV must hold (one listener's), and others it must not. */
let wanted: Pair;
const others: Pair[] = [];

beforeAll(async () => {
  assertThrowawayPersistence(['/etc/sysctl.d', '/var/lib/idlewatch', dirname(recordings)]);
  wanted = await openPair();
  for (let i = 0; i < 3; i++) others.push(await openPair());
  served = await serve({ pollIntervalMs: 1000 });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  [wanted, ...others].forEach((p) => p?.close());
});

const ROWS = '[role="rowgroup"] [role="row"]';

async function openApp(colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 860 }, colorScheme, acceptDownloads: true });
  await page.goto(served.url);
  await page.getByRole('grid', { name: 'TCP connections' }).waitFor();
  return page;
}

async function openExport(page: Page): Promise<Locator> {
  await page.getByRole('button', { name: 'Export…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export a report' });
  await dialog.waitFor();
  return dialog;
}

/** Clicks Export in the dialog and waits for the browser's download. */
async function exportAndDownload(page: Page, dialog: Locator, format: string): Promise<{ download: Download; text: string }> {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), dialog.getByRole('button', { name: `Export ${format}` }).click()]);
  const path = await download.path();
  return { download, text: readFileSync(path, 'utf8') };
}

/** "local → remote" of every row the table shows. */
async function tableRows(page: Page): Promise<string[]> {
  const rows = await page.locator(ROWS).evaluateAll((elements) =>
    elements.map((row) => {
      const cells = row.querySelectorAll('[role="gridcell"]');
      return `${cells[1]?.textContent?.trim()} → ${cells[2]?.textContent?.trim()}`;
    }),
  );
  return rows.sort();
}

describe('Export in browser mode', () => {
  it('downloads exactly the rows the filtered table shows, as CSV', async () => {
    const page = await openApp();
    const port = String(wanted.serverPort);
    await page.getByRole('searchbox').fill(`127.0.0.1:${port}`);
    // The listener, the client's end (remote) and the server's end (local).
    await expect.poll(() => page.locator(ROWS).count(), { timeout: 10_000 }).toBe(3);
    const shown = await tableRows(page);
    const count = await page.getByRole('search', { name: 'Filter connections' }).getByRole('status').innerText();
    const [, of] = /^(\d+) of ([\d,]+)/.exec(count)!;

    const dialog = await openExport(page);
    // The total moves with every poll (sockets other processes open and close); what the filter shows does not.
    const filtered = dialog.getByRole('radio', { name: new RegExp(`^What the table shows \\(${of} of [\\d,]+\\)$`) });
    expect(await filtered.isChecked()).toBe(true);
    expect(await dialog.getByRole('radio', { name: /^CSV/ }).isChecked()).toBe(true);
    expect(await dialog.getByRole('radio', { name: /^All [\d,]+ connections$/ }).isChecked()).toBe(false);
    await page.screenshot({ path: screenshotPath('export-dialog-light') });

    const { download, text } = await exportAndDownload(page, dialog, 'CSV');
    expect(download.suggestedFilename()).toMatch(/^idlewatch-[A-Za-z0-9._-]+\.csv$/);
    const records = parse(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
    const exported = records.map((r) => `${r['local address']}:${r['local port']} → ${r['remote address']}:${r['remote port']}`).sort();
    expect(exported).toEqual(shown);
    expect(exported.every((row) => row.includes(`127.0.0.1:${port}`))).toBe(true);
    for (const other of others) expect(text).not.toContain(`,${other.serverPort},`);

    // The dialog closed on success, focus went back to the button, and the page says what happened.
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Export…');
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Downloaded' }).innerText()).toContain(`Downloaded ${download.suggestedFilename()}.`);
    await page.screenshot({ path: screenshotPath('export-downloaded-light') });
    await page.close();
  });

  it('without a filter offers everything, and Escape closes the dialog back to its button', async () => {
    const page = await openApp('dark');
    const dialog = await openExport(page);
    expect(await dialog.getByRole('radio', { name: /^What the table shows/ }).count()).toBe(0);
    expect(await dialog.getByRole('radio', { name: /^All [\d,]+ connections$/ }).isChecked()).toBe(true);
    // The format radios are where focus starts.
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.value)).toBe('csv');
    await page.screenshot({ path: screenshotPath('export-dialog-dark') });
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Export…');
    await page.close();
  });

  it('a PDF of every connection downloads as a PDF (serve prints with the local Chromium), or says in words why not', async () => {
    const page = await openApp();
    const dialog = await openExport(page);
    await dialog.getByRole('radio', { name: /^PDF/ }).check();
    const download = page.waitForEvent('download', { timeout: 60_000 }).then(
      (d) => d,
      () => null,
    );
    await dialog.getByRole('button', { name: 'Export PDF' }).click();
    const alert = dialog.getByRole('alert');
    const outcome = await Promise.race([download, alert.waitFor({ timeout: 60_000 }).then(() => 'alert' as const)]);
    if (outcome === 'alert') {
      // Where no printer is installed the core says what to install; the dialog shows its words.
      expect(await alert.innerText()).toMatch(/^The report was not exported\.\s+\S/);
      await page.screenshot({ path: screenshotPath('export-dialog-pdf-error') });
    } else {
      expect(outcome).not.toBeNull();
      expect(readFileSync(await outcome!.path()).subarray(0, 5).toString()).toBe('%PDF-');
      expect(outcome!.suggestedFilename()).toMatch(/\.pdf$/);
    }
    await page.close();
  });
});

describe('Record in browser mode', () => {
  it('records from the header, counts what ended, and the recording’s post-mortem exports as HTML', async () => {
    const page = await openApp();
    const header = page.locator('header.top');
    await page.getByRole('button', { name: /Record$/ }).click();
    const stop = page.getByRole('button', { name: /^Stop · \d\d:\d\d · \d+ ended$/ });
    await stop.waitFor({ timeout: 10_000 });
    expect(await page.getByRole('group', { name: 'Recording' }).innerText()).toMatch(/ends from (kernel events|polls)/);

    // A connection that ends while recording.
    await sleep(2500);
    const ended = others.pop()!;
    ended.close();
    await expect.poll(async () => Number(/(\d+) ended/.exec(await stop.innerText())?.[1] ?? 0), { timeout: 15_000 }).toBeGreaterThan(0);
    // The stopwatch runs on the page's clock between pushes.
    await expect.poll(async () => /· (\d\d:\d\d) ·/.exec(await stop.innerText())?.[1], { timeout: 5000 }).not.toBe('00:00');
    await header.screenshot({ path: screenshotPath('header-recording-light') });
    await stop.click();
    await page.getByRole('button', { name: /Record$/ }).waitFor({ timeout: 10_000 });

    const files = readdirSync(recordings).filter((name) => name.endsWith('.ndjson'));
    expect(files).toHaveLength(1);

    const dialog = await openExport(page);
    const postMortem = dialog.getByRole('radio', { name: 'Post-mortem of a recording' });
    await expect.poll(() => postMortem.isEnabled(), { timeout: 10_000 }).toBe(true);
    await postMortem.check();
    const select = dialog.getByRole('combobox', { name: 'Recording' });
    expect(await select.inputValue()).toBe(files[0]);
    // When it started, how long it ran and its size; it was stopped, so it is not cut short.
    const option = await select.locator('option').first().innerText();
    expect(option).toMatch(/^\d\d:\d\d:\d\d · [\d.]+ (ms|s|min)( \d+ s)? · [\d.]+ (B|KB|MB)$/);
    await dialog.getByRole('radio', { name: /^HTML/ }).check();
    await page.screenshot({ path: screenshotPath('export-dialog-post-mortem-light') });

    const { download, text } = await exportAndDownload(page, dialog, 'HTML');
    expect(download.suggestedFilename()).toMatch(/\.html$/);
    expect(text).toMatch(/^<!doctype html>/i);
    expect(text).toContain(String(ended.serverPort));
    await page.close();
  });

  it.each(['dark'] as const)('looks right while recording (%s)', async (scheme) => {
    const page = await openApp(scheme);
    await page.getByRole('button', { name: /Record$/ }).click();
    const stop = page.getByRole('button', { name: /^Stop · / });
    await stop.waitFor({ timeout: 10_000 });
    await sleep(1500);
    await page.locator('header.top').screenshot({ path: screenshotPath(`header-recording-${scheme}`) });
    await page.screenshot({ path: screenshotPath(`app-recording-${scheme}`) });
    await stop.click();
    await page.getByRole('button', { name: /Record$/ }).waitFor({ timeout: 10_000 });
    await page.close();
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { assertThrowawayNamespace } from '../integration/lab';
import { launchChromium, screenshotPath, serve, type Served } from './browser-lab';

/**
 * A process may name itself anything but NUL: here one names itself "\u202eevil" (a
 * right-to-left override, which would show what follows reversed and drag the rest of the line
 * with it). The real renderer in Chromium must show it escaped — in the table, the detail pane,
 * the filter — and so must a rule named the same way, in the rules list, the table's "Dropped
 * by" column and the timeline.
 */
const HOSTILE = '\u202eevil';
const SHOWN = '\\u202eevil';
/** Bidirectional controls printable() escapes (shared/format.ts). */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

let served: Served;
let browser: Browser;
let listener: net.Server;
let child: ChildProcess;
let childPort = 0;
let listenPort = 0;

/** A node child that renames itself through /proc/self/comm, then holds one idle connection. */
async function startHostileProcess(port: number): Promise<{ process: ChildProcess; localPort: number }> {
  const script = `
    require('node:fs').writeFileSync('/proc/self/comm', ${JSON.stringify(HOSTILE)});
    const s = require('node:net').connect(${port}, '127.0.0.1', () => process.stdout.write(s.localPort + '\\n'));
    s.on('error', () => process.exit(1));
    setInterval(() => {}, 1 << 30);
  `;
  const proc = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const localPort = await new Promise<number>((resolve, reject) => {
    proc.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    proc.once('exit', (code) => reject(new Error(`the renamed child exited (${code})`)));
  });
  return { process: proc, localPort };
}

beforeAll(async () => {
  assertThrowawayNamespace();
  listener = net.createServer((s) => s.on('error', () => undefined));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  listenPort = (listener.address() as net.AddressInfo).port;
  const started = await startHostileProcess(listenPort);
  child = started.process;
  childPort = started.localPort;
  served = await serve({ pollIntervalMs: 1000 });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  child?.kill('SIGKILL');
  listener?.close();
});

async function openApp(colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 860 }, colorScheme });
  await page.goto(served.url);
  await page.getByRole('grid', { name: 'TCP connections' }).waitFor();
  return page;
}

/** The child's row: its Local cell is exactly its endpoint. */
function childRow(page: Page) {
  return page
    .locator('[role="rowgroup"] [role="row"]')
    .filter({ has: page.locator('[role="gridcell"]:nth-child(2)', { hasText: new RegExp(`^127\\.0\\.0\\.1:${childPort}$`) }) });
}

/** No bidirectional control anywhere in the page's text or its attributes. */
async function expectNoBidiControls(page: Page) {
  const found = await page.evaluate((source) => {
    const bidi = new RegExp(source);
    const hits: string[] = [];
    if (bidi.test(document.body.innerText)) hits.push('text');
    for (const el of document.querySelectorAll('*')) {
      for (const attr of el.attributes) if (bidi.test(attr.value)) hits.push(`${el.tagName}[${attr.name}]`);
      if (el instanceof HTMLInputElement && bidi.test(el.value)) hits.push(`${el.tagName}.value`);
    }
    return hits;
  }, BIDI.source);
  expect(found).toEqual([]);
}

describe('names with bidirectional controls in Chromium', () => {
  it('shows a process named "\\u202eevil" escaped in the table and the detail pane', async () => {
    const page = await openApp();
    const row = childRow(page);
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    const processCell = row.getByRole('gridcell').nth(3);
    await expect.poll(() => processCell.innerText(), { timeout: 10_000 }).toBe(`${child.pid} ${SHOWN}`);
    expect(await processCell.getAttribute('title')).toBe(`${child.pid} ${SHOWN}`);

    await row.click();
    const pane = page.getByRole('complementary', { name: 'Details' });
    await pane.waitFor();
    await expect.poll(() => pane.locator('.summary').innerText()).toContain(`${child.pid} ${SHOWN}`);
    await expectNoBidiControls(page);
    await page.screenshot({ path: screenshotPath('hostile-process-name') });
    await page.close();
  });

  it('turns a pasted override in the filter into its escape, which finds the process', async () => {
    const page = await openApp();
    const search = page.getByRole('searchbox');
    await search.focus();
    await page.keyboard.insertText(HOSTILE);
    await expect.poll(() => search.inputValue()).toBe(SHOWN);
    await expect.poll(() => page.locator('[role="rowgroup"] [role="row"]').count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => childRow(page).count()).toBe(1);
    await expectNoBidiControls(page);
    await page.getByRole('button', { name: 'clear filters' }).click();
    await page.close();
  });

  it('turns an override typed into a rule name into its escape, and shows the rule escaped in the list, the table and the timeline', async () => {
    const page = await openApp('dark');
    await page.getByRole('button', { name: /^Rules/ }).click();
    await page.getByRole('button', { name: 'Add a rule…' }).click();
    const form = page.getByRole('form', { name: 'New rule' });
    await form.getByLabel('Name').focus();
    await page.keyboard.insertText('\u202eNAT');
    // The field never holds the control itself: it holds the six characters of its escape.
    expect(await form.getByLabel('Name').inputValue()).toBe('\\u202eNAT');
    await form.getByLabel('Idle timeout (seconds)').fill('3600');
    await form.getByLabel('Remote port').fill(String(listenPort));
    await form.getByRole('button', { name: 'Add rule' }).click();
    // Shown as the field holds it: the schema refuses control characters in rule names, so the
    // escape the form made is shown once, not escaped again.
    const shown = '\\u202eNAT';
    const listed = page.locator('.list .name');
    await expect.poll(() => listed.allInnerTexts(), { timeout: 10_000 }).toEqual([shown]);

    // The next poll projects with the rule: the child's connection is forgotten by it.
    const row = childRow(page);
    await expect.poll(() => row.getByRole('gridcell').nth(10).innerText(), { timeout: 10_000 }).toContain(shown);
    await row.click();
    const pane = page.getByRole('complementary', { name: 'Details' });
    await expect.poll(() => pane.locator('.events').innerText(), { timeout: 10_000 }).toContain(`Forgotten by ${shown}`);
    await expect.poll(() => pane.locator('.why').innerText()).toContain(`“${shown}” is a middlebox`);
    await expectNoBidiControls(page);
    await page.screenshot({ path: screenshotPath('hostile-rule-name-dark') });
    await page.close();
  });
});

/**
 * PDF reports in the desktop app: Chromium's own printToPDF on the report's HTML, in a hidden
 * window, so the desktop app needs no Chromium or Chrome installed beside it (the CLI and browser
 * mode look for one: main/report/). The core calls this through ServiceOptions.pdfPrinter.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow } from 'electron';
import { allowPrintPage, printWindowPreferences } from './security';

/** A report that takes longer than this to load and print is not coming; the window is closed. */
export const PRINT_TIMEOUT_MS = 60_000;

/**
 * Returns the printer. Each call writes the HTML to a fresh private folder (mkdtemp makes it 0700:
 * the report names every connection, its process and user), loads it in a hidden, sandboxed window
 * without JavaScript, prints it with the page size the report's CSS asks for, and removes the
 * window and the folder whatever happened.
 */
export function createElectronPdfPrinter({ timeoutMs = PRINT_TIMEOUT_MS } = {}): (html: string) => Promise<Buffer> {
  return async (html) => {
    const dir = await mkdtemp(join(app.getPath('temp'), 'idlewatch-report-'));
    let window: BrowserWindow | null = null;
    let release: (() => void) | null = null;
    try {
      const file = join(dir, 'report.html');
      await writeFile(file, html, { mode: 0o600 });
      window = new BrowserWindow({ show: false, webPreferences: printWindowPreferences() });
      // The navigation rules (security.ts) let this window show its report and nothing else.
      release = allowPrintPage(window.webContents, pathToFileURL(file).href);
      const printing = window
        .loadFile(file)
        .then(() => window!.webContents.printToPDF({ preferCSSPageSize: true, printBackground: true }));
      return await withTimeout(printing, timeoutMs);
    } finally {
      release?.();
      if (window && !window.isDestroyed()) window.destroy();
      await rm(dir, { recursive: true, force: true });
    }
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`printing the report to PDF took longer than ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { WebContents } from 'electron';
import { createElectronPdfPrinter } from '../../../main/electron/pdf-printer';
import { applyWebContentsRules, printWindowPreferences } from '../../../main/electron/security';
import { APP_URL, app, FakeBrowserWindow, FakeWebContents, resetFakes } from './fake-electron';

vi.mock('electron', async () => await import('./fake-electron'));

const HTML = '<!doctype html><html><head><style>@page { size: A4 landscape }</style></head><body><h1>Idlewatch report</h1></body></html>';
let temp: string;

beforeEach(() => {
  resetFakes();
  temp = mkdtempSync(join(tmpdir(), 'idlewatch-pdf-test-'));
  app.getPath.mockImplementation((name: string) => (name === 'temp' ? temp : '/home/admin/.config/Idlewatch'));
  // As desktop-app.ts does: every contents gets the app's navigation rules when it is created.
  app.on('web-contents-created', (_event: unknown, contents: WebContents) => applyWebContentsRules(contents, (url) => url === APP_URL));
});

/** The one print window the printer opened. */
function printWindow(): FakeBrowserWindow {
  expect(FakeBrowserWindow.instances).toHaveLength(1);
  return FakeBrowserWindow.instances[0]!;
}

describe('printing a report to PDF in the desktop app', () => {
  it('returns what printToPDF made, with the page size the report’s CSS asks for and its backgrounds', async () => {
    const pdf = await createElectronPdfPrinter()(HTML);
    expect(pdf.toString()).toBe('%PDF-1.7 fake');
    expect(printWindow().webContents.printToPDF).toHaveBeenCalledExactlyOnceWith({ preferCSSPageSize: true, printBackground: true });
  });

  it('prints in a hidden, sandboxed, isolated window without JavaScript, Node or a preload', async () => {
    await createElectronPdfPrinter()(HTML);
    const options = printWindow().options as { show: boolean; webPreferences: Record<string, unknown> };
    expect(options.show).toBe(false);
    expect(options.webPreferences).toEqual(printWindowPreferences());
    expect(options.webPreferences).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      javascript: false,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
    });
    expect(options.webPreferences).not.toHaveProperty('preload');
  });

  it('loads the HTML from a file in a fresh folder only its user can read', async () => {
    let seen: { html: string; dirMode: number; fileMode: number } | null = null;
    FakeBrowserWindow.loadOutcome = async () => {
      const file = FakeBrowserWindow.instances[0]!.loadFile.mock.calls[0]![0];
      seen = { html: readFileSync(file, 'utf8'), dirMode: statSync(dirname(file)).mode & 0o777, fileMode: statSync(file).mode & 0o777 };
      return undefined;
    };
    await createElectronPdfPrinter()(HTML);
    const file = printWindow().loadFile.mock.calls[0]![0];
    expect(dirname(dirname(file))).toBe(temp);
    expect(seen).toEqual({ html: HTML, dirMode: 0o700, fileMode: 0o600 });
  });

  it('destroys the window and removes the folder once printed', async () => {
    await createElectronPdfPrinter()(HTML);
    expect(printWindow().destroy).toHaveBeenCalledOnce();
    expect(readdirSync(temp)).toEqual([]);
  });

  it.each([
    ['the page fails to load', () => (FakeBrowserWindow.loadOutcome = async () => Promise.reject(new Error('ERR_FILE_NOT_FOUND'))), 'ERR_FILE_NOT_FOUND'],
    ['printing fails', () => (FakeWebContents.printOutcome = async () => Promise.reject(new Error('Printing failed'))), 'Printing failed'],
  ])('when %s: the error comes back, and the window and the folder are gone all the same', async (_name, fail, message) => {
    fail();
    await expect(createElectronPdfPrinter()(HTML)).rejects.toThrow(message);
    expect(printWindow().destroy).toHaveBeenCalledOnce();
    expect(readdirSync(temp)).toEqual([]);
  });

  it('gives up on a page that never loads, and cleans up', async () => {
    FakeBrowserWindow.loadOutcome = () => new Promise(() => undefined);
    await expect(createElectronPdfPrinter({ timeoutMs: 50 })(HTML)).rejects.toThrow(/took longer than/);
    expect(printWindow().destroy).toHaveBeenCalledOnce();
    expect(readdirSync(temp)).toEqual([]);
  });

  it('while printing, the window may show its report and nothing else: not the app’s page, not a link', async () => {
    const attempts: Record<string, boolean> = {};
    FakeBrowserWindow.loadOutcome = async () => {
      const window = FakeBrowserWindow.instances[0]!;
      const own = pathToFileURL(window.loadFile.mock.calls[0]![0]).href;
      for (const url of [own, APP_URL, 'https://www.kernel.org/', 'file:///etc/passwd']) {
        attempts[url === own ? 'own report' : url] = window.webContents.navigate('will-navigate', url);
      }
      return undefined;
    };
    await createElectronPdfPrinter()(HTML);
    expect(attempts).toEqual({ 'own report': false, [APP_URL]: true, 'https://www.kernel.org/': true, 'file:///etc/passwd': true });
  });
});

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { BrowserWindow } from 'electron';
import { DESKTOP_CHANNELS } from '../../../shared/api/channels';
import type { ExportedFile } from '../../../shared/api/contract';
import { readExportFolder, registerSaveFile } from '../../../main/electron/save-file';
import { APP_URL, app, dialog, FakeBrowserWindow, FakeFrame, FakeWebContents, ipcMain, resetFakes } from './fake-electron';

vi.mock('electron', async () => await import('./fake-electron'));

const csv: ExportedFile = {
  fileName: 'idlewatch-db1-20261125T164500Z.csv',
  mimeType: 'text/csv',
  encoding: 'utf8',
  content: 'state,local,remote\nESTABLISHED,10.0.0.5:5432,10.0.0.9:41822\n',
};
const pdfBytes = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x37, 0x0a, 0x00, 0xff, 0xfe]);
const pdf: ExportedFile = {
  fileName: 'idlewatch-db1-20261125T164500Z.pdf',
  mimeType: 'application/pdf',
  encoding: 'base64',
  content: pdfBytes.toString('base64'),
};

let window: FakeBrowserWindow | null;
let documents: string;
let userData: string;
let elsewhere: string;
let dispose: () => void;

function register(maxBytes?: number) {
  return registerSaveFile({
    getWindow: () => window as unknown as BrowserWindow | null,
    isAppUrl: (url) => url.split(/[?#]/)[0] === APP_URL,
    folderStatePath: join(userData, 'export-folder.json'),
    ...(maxBytes === undefined ? {} : { maxBytes }),
  });
}

beforeEach(() => {
  resetFakes();
  const root = mkdtempSync(join(tmpdir(), 'idlewatch-save-'));
  documents = join(root, 'Documents');
  userData = join(root, 'config');
  elsewhere = join(root, 'reports');
  mkdirSync(documents);
  mkdirSync(elsewhere);
  app.getPath.mockImplementation((name: string) => (name === 'documents' ? documents : userData));
  window = new FakeBrowserWindow({});
  dispose = register();
});

const fromApp = () => ({ contents: window!.webContents, frame: window!.webContents.mainFrame });
const save = (...args: unknown[]) => ipcMain.invoke(DESKTOP_CHANNELS.saveFile, fromApp(), ...args);
/** The user picks `path` in the save dialog. */
const userPicks = (path: string) => dialog.showSaveDialog.mockResolvedValueOnce({ canceled: false, filePath: path });
const dialogOptions = (call = 0) => dialog.showSaveDialog.mock.calls[call]![1] as { defaultPath: string; filters: { extensions: string[] }[] };

describe('the save channel', () => {
  it('is one handler on the channel named in the contract, removed by its disposer', () => {
    expect([...ipcMain.handlers.keys()]).toEqual([DESKTOP_CHANNELS.saveFile]);
    dispose();
    expect(ipcMain.handlers.size).toBe(0);
  });
});

describe('saving a report', () => {
  it('asks where, in Documents the first time, with the file’s name and format, on the app’s window, and writes it there', async () => {
    const target = join(documents, 'report.csv');
    userPicks(target);
    await expect(save(csv)).resolves.toEqual({ ok: true, value: { saved: true, where: target } });
    expect(dialog.showSaveDialog).toHaveBeenCalledOnce();
    expect(dialog.showSaveDialog.mock.calls[0]![0]).toBe(window);
    expect(dialogOptions().defaultPath).toBe(join(documents, csv.fileName));
    expect(dialogOptions().filters).toEqual([{ name: expect.stringContaining('CSV'), extensions: ['csv'] }]);
    expect(readFileSync(target, 'utf8')).toBe(csv.content);
  });

  it('writes a PDF as the bytes its base64 carries', async () => {
    const target = join(documents, 'report.pdf');
    userPicks(target);
    await expect(save(pdf)).resolves.toMatchObject({ ok: true, value: { saved: true } });
    expect(readFileSync(target)).toEqual(pdfBytes);
    expect(dialogOptions().filters).toEqual([{ name: expect.stringContaining('PDF'), extensions: ['pdf'] }]);
  });

  it('a cancelled dialog writes nothing and remembers nothing', async () => {
    await expect(save(csv)).resolves.toEqual({ ok: true, value: { saved: false, where: null } });
    expect(readdirSync(documents)).toEqual([]);
    expect(existsSync(join(userData, 'export-folder.json'))).toBe(false);
  });

  it('opens next time in the folder of the last save, also after a restart', async () => {
    userPicks(join(elsewhere, 'first.csv'));
    await save(csv);
    await save(csv); // cancelled
    expect(dialogOptions(1).defaultPath).toBe(join(elsewhere, csv.fileName));
    expect(readExportFolder(join(userData, 'export-folder.json'))).toBe(elsewhere);

    // A new process reads the folder from userData.
    dispose();
    resetFakes();
    app.getPath.mockImplementation((name: string) => (name === 'documents' ? documents : userData));
    window = new FakeBrowserWindow({});
    register();
    await save(pdf);
    expect(dialogOptions().defaultPath).toBe(join(elsewhere, pdf.fileName));
  });

  it('a remembered folder that is gone, or a state file that is not ours, falls back to Documents', async () => {
    userPicks(join(elsewhere, 'first.csv'));
    await save(csv);
    rmSync(elsewhere, { recursive: true });
    await save(csv);
    expect(dialogOptions(1).defaultPath).toBe(join(documents, csv.fileName));

    for (const text of ['{"folder":"relative/dir"}', '{"folder":42}', 'not json']) {
      writeFileSync(join(userData, 'export-folder.json'), text);
      expect(readExportFolder(join(userData, 'export-folder.json'))).toBeNull();
    }
  });

  it('a file that cannot be written is an error naming the path, and remembers nothing', async () => {
    const target = join(elsewhere, 'missing-dir', 'report.csv');
    userPicks(target);
    await expect(save(csv)).resolves.toEqual({
      ok: false,
      error: { code: 'internal', message: expect.stringContaining(`The report was not saved to ${target}`) },
    });
    expect(existsSync(join(userData, 'export-folder.json'))).toBe(false);
  });
});

describe('what the page sends is checked in main', () => {
  it.each<[string, unknown[]]>([
    ['a name with a directory', [{ ...csv, fileName: '../../.bashrc' }]],
    ['a name with a slash', [{ ...csv, fileName: 'reports/x.csv' }]],
    ['the parent directory', [{ ...csv, fileName: '..' }]],
    ['a hidden file', [{ ...csv, fileName: '.profile.csv' }]],
    ['a name with a space or a control character', [{ ...csv, fileName: 'a b\u0007.csv' }]],
    ['an empty name', [{ ...csv, fileName: '' }]],
    ['a name that is no report format', [{ ...csv, fileName: 'idlewatch.desktop' }]],
    ['an executable', [{ ...csv, fileName: 'report.sh' }]],
    ['an unknown encoding', [{ ...csv, encoding: 'hex' }]],
    ['base64 that is not', [{ ...pdf, content: 'JVBERi0x*g==' }]],
    ['base64 of a wrong length', [{ ...pdf, content: 'JVBERi0' }]],
    ['content that is not text', [{ ...csv, content: [1, 2, 3] }]],
    ['no file at all', []],
    ['a string instead of a file', ['report.csv']],
    ['null', [null]],
    ['a second argument', [csv, '/etc/passwd']],
  ])('%s is refused as bad-request, before any dialog', async (_name, args) => {
    const result = await save(...args);
    expect(result).toMatchObject({ ok: false, error: { code: 'bad-request', message: expect.stringContaining('saveFile') } });
    expect(dialog.showSaveDialog).not.toHaveBeenCalled();
  });

  it('a file over the size cap is refused, counted in bytes for text and decoded bytes for base64', async () => {
    dispose();
    register(12);
    await expect(save({ ...csv, content: 'x'.repeat(13) })).resolves.toMatchObject({ ok: false, error: { code: 'bad-request', message: expect.stringContaining('larger than 12 bytes') } });
    // 7 characters, 14 bytes in UTF-8
    await expect(save({ ...csv, content: 'ééééééé' })).resolves.toMatchObject({ ok: false, error: { code: 'bad-request' } });
    await expect(save({ ...pdf, content: Buffer.alloc(13).toString('base64') })).resolves.toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(dialog.showSaveDialog).not.toHaveBeenCalled();
    // exactly at the cap is fine
    await expect(save({ ...pdf, content: Buffer.alloc(12).toString('base64') })).resolves.toMatchObject({ ok: true, value: { saved: false } });
    await expect(save({ ...csv, content: 'x'.repeat(12) })).resolves.toMatchObject({ ok: true });
  });
});

describe('the sender check', () => {
  const foreignSenders: [string, () => { contents: FakeWebContents; frame: FakeFrame | null }][] = [
    ['another web contents', () => { const other = new FakeWebContents(); return { contents: other, frame: other.mainFrame }; }],
    ['an iframe inside the app’s page', () => ({ contents: window!.webContents, frame: window!.webContents.subframe() })],
    ['the window showing another page', () => {
      window!.webContents.mainFrame.url = 'https://attacker.example/';
      return fromApp();
    }],
    ['the window showing another local file', () => {
      window!.webContents.mainFrame.url = 'file:///tmp/report.html';
      return fromApp();
    }],
    ['a frame that is already gone', () => ({ contents: window!.webContents, frame: null })],
  ];

  it.each(foreignSenders)('a save from %s is refused as forbidden, with no dialog and nothing written', async (_name, sender) => {
    userPicks(join(documents, 'report.csv'));
    await expect(ipcMain.invoke(DESKTOP_CHANNELS.saveFile, sender(), csv)).resolves.toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(dialog.showSaveDialog).not.toHaveBeenCalled();
    expect(readdirSync(documents)).toEqual([]);
  });

  it('is checked before the file: a foreign caller learns nothing about the schema', async () => {
    const other = new FakeWebContents();
    await expect(ipcMain.invoke(DESKTOP_CHANNELS.saveFile, { contents: other, frame: other.mainFrame }, { fileName: '..' })).resolves.toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
  });

  it('a save is refused once the window is closed', async () => {
    const sender = fromApp();
    window = null;
    await expect(ipcMain.invoke(DESKTOP_CHANNELS.saveFile, sender, csv)).resolves.toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(dialog.showSaveDialog).not.toHaveBeenCalled();
  });
});

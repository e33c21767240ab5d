/**
 * Saving an exported report from the desktop app: the page hands over the file the core made
 * (exportReport), main asks the user where through the native save dialog and writes it there.
 * Browser mode downloads the same file instead (renderer/src/lib/bridge.ts). The page never names
 * a path: it proposes a plain file name, the user picks the folder, and the folder is remembered
 * for next time in userData/export-folder.json.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { app, dialog, ipcMain, type BrowserWindow, type FileFilter, type IpcMainInvokeEvent, type SaveDialogOptions } from 'electron';
import { z } from 'zod';
import { DESKTOP_CHANNELS, type SaveOutcome } from '../../shared/api/channels';
import { ApiFailure, toResult, type Result } from '../../shared/api/result';
import { ExportedFileSchema, type ExportedFile } from '../../shared/api/schemas';
import { senderRefusal } from './ipc';


/** The largest report written: a PDF of 100,000 connections is far below; anything bigger is not one of ours. */
export const MAX_SAVE_BYTES = 256 * 1024 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The four report formats, by the extension the core gives their file names. */
const FILTERS: Record<string, FileFilter> = {
  csv: { name: 'CSV (spreadsheets)', extensions: ['csv'] },
  json: { name: 'JSON (scripts)', extensions: ['json'] },
  html: { name: 'HTML report', extensions: ['html'] },
  pdf: { name: 'PDF document', extensions: ['pdf'] },
};

export interface SaveFileOptions {
  /** The one window allowed to save; null while none is open. */
  getWindow: () => BrowserWindow | null;
  /** True for the app's own page (renderer-location.ts isRendererUrl). */
  isAppUrl: (url: string) => boolean;
  /** userData/export-folder.json: the folder of the last save. */
  folderStatePath: string;
  /** The size cap; MAX_SAVE_BYTES unless a test asks for less. */
  maxBytes?: number;
}

/** Handles the save channel; the returned function removes the handler. */
export function registerSaveFile(options: SaveFileOptions): () => void {
  ipcMain.handle(DESKTOP_CHANNELS.saveFile, (event: IpcMainInvokeEvent, ...args: unknown[]): Promise<Result<SaveOutcome>> => {
    // Checklist #17 "Validate the sender of all IPC messages": the same rule as every API call.
    const refusal = senderRefusal(event, options.getWindow(), options.isAppUrl);
    if (refusal) return Promise.resolve({ ok: false, error: { code: 'forbidden', message: `saveFile: refused, ${refusal}` } });
    return toResult(() => saveFile(options, args));
  });
  return () => ipcMain.removeHandler(DESKTOP_CHANNELS.saveFile);
}

async function saveFile(options: SaveFileOptions, args: unknown[]): Promise<SaveOutcome> {
  const file = parseFile(args, options.maxBytes ?? MAX_SAVE_BYTES);
  const window = options.getWindow();
  const extension = extensionOf(file.fileName)!;
  const folder = readExportFolder(options.folderStatePath) ?? app.getPath('documents');
  const dialogOptions: SaveDialogOptions = {
    title: 'Save the report',
    defaultPath: join(folder, file.fileName),
    filters: [FILTERS[extension]!],
    properties: ['createDirectory', 'showOverwriteConfirmation'],
  };
  const choice = window && !window.isDestroyed() ? await dialog.showSaveDialog(window, dialogOptions) : await dialog.showSaveDialog(dialogOptions);
  if (choice.canceled || !choice.filePath) return { saved: false, where: null };

  const bytes = file.encoding === 'base64' ? Buffer.from(file.content, 'base64') : Buffer.from(file.content, 'utf8');
  try {
    await writeFile(choice.filePath, bytes);
  } catch (error) {
    throw new ApiFailure('internal', `The report was not saved to ${choice.filePath}: ${(error as Error).message}`);
  }
  // Remembering the folder is a convenience: failing to is no reason to report the save as failed.
  try {
    writeExportFolder(options.folderStatePath, dirname(choice.filePath));
  } catch {
    // next time the dialog opens in the last folder that was remembered, or Documents
  }
  return { saved: true, where: choice.filePath };
}

/**
 * The file as the page sent it, checked the way the API checks arguments: the contract's schema,
 * a size cap, a name that is one of our report names and nothing a path could be made of.
 */
function parseFile(args: unknown[], maxBytes: number): ExportedFile {
  if (args.length !== 1) throw new ApiFailure('bad-request', `saveFile: expected one file, got ${args.length} arguments`);
  const tooLarge = () => new ApiFailure('bad-request', `saveFile: the file is larger than ${formatMiB(maxBytes)}`);
  // Base64 carries 3 bytes in 4 characters, UTF-8 at least one per character: checked before
  // parsing, so an oversized payload costs no more work.
  const raw = args[0] as { content?: unknown } | null;
  if (typeof raw?.content === 'string' && raw.content.length > Math.ceil(maxBytes / 3) * 4) throw tooLarge();
  const parsed = ExportedFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
    throw new ApiFailure('bad-request', `saveFile: ${issue?.message ?? 'not a file'}${where}`);
  }
  const file = parsed.data;
  // The schema allows dots anywhere: '.', '..' or a hidden name is no report's name.
  if (file.fileName.startsWith('.')) throw new ApiFailure('bad-request', 'saveFile: a file name may not start with a dot');
  const extension = extensionOf(file.fileName);
  if (extension === null) throw new ApiFailure('bad-request', `saveFile: ${file.fileName} is not a .csv, .json, .html or .pdf report`);
  if (file.encoding === 'base64' && (file.content.length % 4 !== 0 || !BASE64.test(file.content))) {
    throw new ApiFailure('bad-request', 'saveFile: the content is not base64');
  }
  const padding = file.content.endsWith('==') ? 2 : file.content.endsWith('=') ? 1 : 0;
  const bytes = file.encoding === 'base64' ? (file.content.length / 4) * 3 - padding : Buffer.byteLength(file.content, 'utf8');
  if (bytes > maxBytes) throw tooLarge();
  return file;
}

const formatMiB = (bytes: number) => (bytes >= 1024 * 1024 ? `${bytes / 1024 / 1024} MiB` : `${bytes} bytes`);

function extensionOf(fileName: string): string | null {
  const extension = /\.([a-z]+)$/.exec(fileName)?.[1];
  return extension !== undefined && Object.hasOwn(FILTERS, extension) ? extension : null;
}

const ExportFolderSchema = z.object({ folder: z.string().min(1).max(4096).refine(isAbsolute) });

/** The folder of the last save, while it still is one; null when none was remembered. */
export function readExportFolder(path: string): string | null {
  try {
    const parsed = ExportFolderSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (!parsed.success) return null;
    const { folder } = parsed.data;
    return existsSync(folder) && statSync(folder).isDirectory() ? folder : null;
  } catch {
    return null;
  }
}

/** Temporary file then rename, as window-state.ts does: a crash never leaves half a file. */
function writeExportFolder(path: string, folder: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ folder })}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

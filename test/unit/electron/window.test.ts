import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { resolveRendererLocation } from '../../../main/electron/renderer-location';
import { secureWebPreferences } from '../../../main/electron/security';
import { BACKGROUND_COLOR, createMainWindow, MIN_SIZE } from '../../../main/electron/window';
import { APP_URL, FakeBrowserWindow, nativeTheme, OUT_DIR, RENDERER_DIR, resetFakes, screen } from './fake-electron';

vi.mock('electron', async () => await import('./fake-electron'));

const preloadPath = `${OUT_DIR}/preload/index.cjs`;
const appLocation = resolveRendererLocation({ rendererDir: RENDERER_DIR, isPackaged: true });
let statePath: string;

beforeEach(() => {
  resetFakes();
  statePath = join(mkdtempSync(join(tmpdir(), 'idlewatch-window-')), 'window-state.json');
});

function open(location = appLocation) {
  createMainWindow({ preloadPath, location, statePath });
  expect(FakeBrowserWindow.instances).toHaveLength(1);
  return FakeBrowserWindow.instances[0]!;
}

describe('the main window', () => {
  it('is created with exactly the secure webPreferences and the preload from the build', () => {
    // security.test.ts pins the values themselves; here: the window takes them as they are.
    expect(open().options.webPreferences).toEqual(secureWebPreferences(preloadPath));
  });

  it('is titled Idlewatch, has a minimum size, and starts hidden at the default size', () => {
    expect(open().options).toMatchObject({
      title: 'Idlewatch',
      minWidth: MIN_SIZE.width,
      minHeight: MIN_SIZE.height,
      width: 1280,
      height: 800,
      show: false,
    });
  });

  it('paints the background of the OS theme before the page does', () => {
    nativeTheme.shouldUseDarkColors = true;
    expect(open().options.backgroundColor).toBe(BACKGROUND_COLOR.dark);
    resetFakes();
    expect(open().options.backgroundColor).toBe(BACKGROUND_COLOR.light);
  });

  it('is shown once the page is ready to show, not before', () => {
    const window = open();
    expect(window.show).not.toHaveBeenCalled();
    window.emit('ready-to-show');
    expect(window.show).toHaveBeenCalledOnce();
  });

  it('loads the built renderer over app:// in production, never as a file: URL (checklist #18)', () => {
    const window = open();
    expect(window.loadURL).toHaveBeenCalledExactlyOnceWith(APP_URL);
    expect(window.loadFile).not.toHaveBeenCalled();
  });

  it('loads the dev server URL while developing', () => {
    const window = open(resolveRendererLocation({ rendererDir: RENDERER_DIR, isPackaged: false, devServerUrl: 'http://localhost:5173' }));
    expect(window.loadURL).toHaveBeenCalledExactlyOnceWith('http://localhost:5173/');
    expect(window.loadFile).not.toHaveBeenCalled();
  });

  it('is shown anyway if the page fails to load, with the failure logged', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    FakeBrowserWindow.loadOutcome = async () => {
      throw new Error('ERR_FILE_NOT_FOUND');
    };
    const window = open();
    await vi.waitFor(() => expect(window.show).toHaveBeenCalledOnce());
    expect(log).toHaveBeenCalledWith(expect.stringContaining('ERR_FILE_NOT_FOUND'));
    log.mockRestore();
  });
});

describe('the main window remembers where it was', () => {
  it('reopens with the saved bounds, maximized again after it is shown', () => {
    writeFileSync(statePath, JSON.stringify({ bounds: { x: 200, y: 100, width: 1400, height: 900 }, maximized: true }));
    const window = open();
    expect(window.options).toMatchObject({ x: 200, y: 100, width: 1400, height: 900 });
    window.emit('ready-to-show');
    expect(window.maximize).toHaveBeenCalledOnce();
  });

  it('moves saved bounds from a monitor that is gone back onto an attached display', () => {
    writeFileSync(statePath, JSON.stringify({ bounds: { x: 3000, y: 100, width: 1400, height: 900 }, maximized: false }));
    screen.getAllDisplays.mockReturnValueOnce([{ workArea: { x: 0, y: 0, width: 1366, height: 728 } }]);
    const options = open().options;
    expect(options).toMatchObject({ width: 1366, height: 728 });
    expect(options).not.toHaveProperty('x');
    expect(options).not.toHaveProperty('y');
  });

  it('ignores a corrupt state file', () => {
    writeFileSync(statePath, '{"bounds": "everywhere"}');
    expect(open().options).toMatchObject({ width: 1280, height: 800 });
  });

  it('saves its normal bounds and maximized flag when it closes', () => {
    const window = open();
    window.maximized = true;
    window.emit('close');
    expect(JSON.parse(readFileSync(statePath, 'utf8'))).toEqual({ bounds: { x: 40, y: 30, width: 1000, height: 700 }, maximized: true });
  });
});

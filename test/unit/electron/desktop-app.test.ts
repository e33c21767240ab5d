import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DESKTOP_CHANNELS } from '../../../shared/api/channels';
import { callChannel, METHOD_NAMES } from '../../../shared/api/contract';
import { startDesktopApp } from '../../../main/electron/desktop-app';
import { createIdlewatchService } from '../../../main/core/service';
import { preferencesFile } from '../../../main/core/preferences-file';
import { createPlatformAdapter } from '../../../main/platform/index';
import { handleAppProtocol } from '../../../main/electron/app-protocol';
import { app, APP_URL, dialog, FakeBrowserWindow, ipcMain, Menu, OUT_DIR, protocol, RENDERER_DIR, resetFakes, session } from './fake-electron';

vi.mock('electron', async () => await import('./fake-electron'));
// The real module, with handleAppProtocol watched: which folder it serves is what matters here
// (app-protocol.test.ts tests the serving itself).
vi.mock('../../../main/electron/app-protocol', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../main/electron/app-protocol')>();
  return { ...real, handleAppProtocol: vi.fn(real.handleAppProtocol) };
});

const adapter = { platform: 'linux', close: vi.fn() };
const service = { api: {}, subscribe: vi.fn(() => () => undefined), close: vi.fn(async () => undefined) };
vi.mock('../../../main/platform/index', () => ({ createPlatformAdapter: vi.fn(() => adapter) }));
vi.mock('../../../main/core/service', () => ({ createIdlewatchService: vi.fn(async () => service) }));
vi.mock('../../../main/core/preferences-file', () => ({ preferencesFile: vi.fn((path: string) => ({ path })) }));

const rendererUrlBefore = process.env.ELECTRON_RENDERER_URL;
afterAll(() => {
  if (rendererUrlBefore === undefined) delete process.env.ELECTRON_RENDERER_URL;
  else process.env.ELECTRON_RENDERER_URL = rendererUrlBefore;
});

beforeEach(() => {
  resetFakes();
  vi.mocked(createPlatformAdapter).mockImplementation(() => adapter as never);
  delete process.env.ELECTRON_RENDERER_URL;
});

async function started() {
  startDesktopApp({ outDir: OUT_DIR });
  await vi.waitFor(() => expect(FakeBrowserWindow.instances).toHaveLength(1));
  return FakeBrowserWindow.instances[0]!;
}

describe('starting the desktop app', () => {
  it('sandboxes every renderer before the app is ready', () => {
    startDesktopApp({ outDir: OUT_DIR });
    expect(app.enableSandbox).toHaveBeenCalledOnce();
    expect(app.enableSandbox.mock.invocationCallOrder[0]).toBeLessThan(app.whenReady.mock.invocationCallOrder[0]!);
  });

  it('makes app:// a standard, secure scheme before the app is ready (checklist #18)', () => {
    startDesktopApp({ outDir: OUT_DIR });
    expect(protocol.registerSchemesAsPrivileged).toHaveBeenCalledExactlyOnceWith([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
    expect(protocol.registerSchemesAsPrivileged.mock.invocationCallOrder[0]).toBeLessThan(app.whenReady.mock.invocationCallOrder[0]!);
  });

  it('serves app:// from out/renderer on the default session before the window loads it', async () => {
    const window = await started();
    const sessionProtocol = session.defaultSession.protocol;
    expect(handleAppProtocol).toHaveBeenCalledExactlyOnceWith(sessionProtocol, RENDERER_DIR);
    expect(sessionProtocol.handle).toHaveBeenCalledExactlyOnceWith('app', expect.any(Function));
    expect(sessionProtocol.handle.mock.invocationCallOrder[0]).toBeLessThan(window.loadURL.mock.invocationCallOrder[0]!);
  });

  it('the app:// handler it installs answers for the build folder only', async () => {
    await started();
    const handler = session.defaultSession.protocol.handlers.get('app')!;
    // The fake build folder does not exist: the page is simply not found, and nothing leaks.
    const missing = await handler(new Request('app://idlewatch/index.html'));
    expect(missing.status).toBe(404);
    expect(await missing.text()).not.toContain(OUT_DIR);
    expect((await handler(new Request('app://evil/index.html'))).status).toBe(404);
  });

  it('a second instance quits without opening anything', async () => {
    app.requestSingleInstanceLock.mockImplementation(() => false);
    startDesktopApp({ outDir: OUT_DIR });
    expect(app.quit).toHaveBeenCalledOnce();
    expect(app.whenReady).not.toHaveBeenCalled();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(FakeBrowserWindow.instances).toHaveLength(0);
    expect(createIdlewatchService).not.toHaveBeenCalled();
  });

  it('the first instance is brought forward when a second one starts', async () => {
    const window = await started();
    window.minimized = true;
    app.emit('second-instance');
    expect(window.restore).toHaveBeenCalledOnce();
    expect(window.focus).toHaveBeenCalledOnce();
  });

  it('runs the core on this platform’s adapter, with preferences in userData', async () => {
    await started();
    expect(preferencesFile).toHaveBeenCalledWith('/home/admin/.config/Idlewatch/preferences.json');
    expect(createIdlewatchService).toHaveBeenCalledWith(adapter, { path: '/home/admin/.config/Idlewatch/preferences.json' }, {
      pdfPrinter: expect.any(Function),
    });
  });

  it('serves every API method, and the desktop’s save, over IPC before the window exists', async () => {
    const window = await started();
    expect([...ipcMain.handlers.keys()].sort()).toEqual([...METHOD_NAMES.map(callChannel), DESKTOP_CHANNELS.saveFile].sort());
    expect(ipcMain.handle.mock.invocationCallOrder.at(-1)).toBeLessThan(window.loadURL.mock.invocationCallOrder[0]!);
  });

  it('installs the CSP and permission rules on the session before the window is created', async () => {
    const window = await started();
    const { webRequest, setPermissionRequestHandler } = session.defaultSession;
    expect(webRequest.onHeadersReceived).toHaveBeenCalledOnce();
    expect(setPermissionRequestHandler).toHaveBeenCalledOnce();
    expect(webRequest.onHeadersReceived.mock.invocationCallOrder[0]).toBeLessThan(window.loadURL.mock.invocationCallOrder[0]!);
  });

  it('the window’s contents get the navigation and window-open rules', async () => {
    const window = await started();
    expect(window.webContents.navigate('will-navigate', 'https://example.com/')).toBe(true);
    expect(window.webContents.navigate('will-navigate', 'app://idlewatch/favicon.svg')).toBe(true);
    expect(window.webContents.navigate('will-navigate', `${APP_URL}#/rules`)).toBe(false);
    expect(window.webContents.windowOpenHandler!({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
  });

  it('opens the built renderer over app:// with the built CommonJS preload in a packaged app', async () => {
    process.env.ELECTRON_RENDERER_URL = 'http://localhost:5173';
    const window = await started();
    expect(window.loadURL).toHaveBeenCalledExactlyOnceWith(APP_URL);
    expect(window.loadFile).not.toHaveBeenCalled();
    expect(window.options.webPreferences).toMatchObject({ preload: `${OUT_DIR}/preload/index.cjs` });
  });

  it('uses the dev server electron-vite names in an unpackaged app, and offers reload', async () => {
    app.isPackaged = false;
    process.env.ELECTRON_RENDERER_URL = 'http://localhost:5173';
    const window = await started();
    expect(window.loadURL).toHaveBeenCalledExactlyOnceWith('http://localhost:5173/');
    const view = Menu.buildFromTemplate.mock.calls[0]![0] as { label?: string; submenu?: { role?: string }[] }[];
    expect(view.find((item) => item.label === '&View')!.submenu!.map((item) => item.role)).toContain('reload');
  });

  it('quitting removes the IPC handlers, closes the core (which owns the adapter) once, then quits', async () => {
    await started();
    const quitting = { preventDefault: vi.fn() };
    app.emit('will-quit', quitting);
    // The quit waits for the core to write pending preferences and end its helper process.
    expect(quitting.preventDefault).toHaveBeenCalledOnce();
    expect(ipcMain.handlers.size).toBe(0);
    expect(service.close).toHaveBeenCalledOnce();
    await vi.waitFor(() => expect(app.quit).toHaveBeenCalledOnce());
    const again = { preventDefault: vi.fn() };
    app.emit('will-quit', again);
    expect(again.preventDefault).not.toHaveBeenCalled();
    expect(service.close).toHaveBeenCalledOnce();
    // The adapter is closed by the service, not a second time by the shell.
    expect(adapter.close).not.toHaveBeenCalled();
  });

  it('quits when its window is closed', async () => {
    await started();
    app.emit('window-all-closed');
    expect(app.quit).toHaveBeenCalledOnce();
  });

  it('on a platform it cannot read, says why and exits', async () => {
    vi.mocked(createPlatformAdapter).mockImplementation(() => {
      throw new Error('Idlewatch cannot read the socket table on darwin yet; Linux is supported.');
    });
    startDesktopApp({ outDir: OUT_DIR });
    await vi.waitFor(() => expect(app.exit).toHaveBeenCalledWith(1));
    expect(dialog.showErrorBox).toHaveBeenCalledWith('Idlewatch cannot start', expect.stringContaining('darwin'));
    expect(FakeBrowserWindow.instances).toHaveLength(0);
  });
});

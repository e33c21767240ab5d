/**
 * The desktop app's lifecycle: one instance, the security rules, the core service behind IPC,
 * the window, and a clean shutdown. main.ts only says where the built files are.
 */
import { app, dialog, session, type BrowserWindow } from 'electron';
import { join } from 'node:path';
import { preferencesFile } from '../core/preferences-file';
import { createIdlewatchService } from '../core/service';
import { createPlatformAdapter } from '../platform/index';
import { createDispatcher, DESKTOP_POLICY } from '../core/dispatcher';
import { handleAppProtocol, registerAppScheme } from './app-protocol';
import { registerIpc } from './ipc';
import { installAppMenu } from './menu';
import { createElectronPdfPrinter } from './pdf-printer';
import { isRendererUrl, resolveRendererLocation } from './renderer-location';
import { registerSaveFile } from './save-file';
import { applyProcessRules, applySessionRules, applyWebContentsRules } from './security';
import { createMainWindow } from './window';

export interface DesktopAppOptions {
  /** The build's out/ directory: main/, preload/ and renderer/ sit side by side in it. */
  outDir: string;
}

export function startDesktopApp({ outDir }: DesktopAppOptions): void {
  applyProcessRules();
  // app:// must be privileged before 'ready' (Electron refuses it later); served after it, below.
  registerAppScheme();

  // A second launch hands over to the first ('second-instance' below) instead of polling the
  // kernel twice and racing on the preference and window-state files.
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }

  const rendererDir = join(outDir, 'renderer');
  const location = resolveRendererLocation({
    rendererDir,
    isPackaged: app.isPackaged,
    // Set by `electron-vite dev`; ignored in a packaged app (renderer-location.ts).
    devServerUrl: process.env.ELECTRON_RENDERER_URL,
  });
  const isAppUrl = (url: string) => isRendererUrl(location, url);
  let window: BrowserWindow | null = null;
  const getWindow = () => window;

  // Fires inside `new BrowserWindow(...)`, before anything loads, and for any other contents too.
  app.on('web-contents-created', (_event, contents) => applyWebContentsRules(contents, isAppUrl));
  app.on('second-instance', () => {
    if (!window || window.isDestroyed()) return;
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  });
  // Without its window the app has nothing to show; it does not keep polling in the background.
  app.on('window-all-closed', () => app.quit());

  app
    .whenReady()
    .then(async () => {
      applySessionRules(session.defaultSession);
      // Before any window exists, so the page's first request finds it. Also served while the dev
      // server is in use: harmless (it only reads out/renderer), and the scheme is never left
      // privileged but unanswered.
      handleAppProtocol(session.defaultSession.protocol, rendererDir);
      installAppMenu({ development: !app.isPackaged, getWindow });

      const userData = app.getPath('userData');
      const adapter = createPlatformAdapter();
      // PDF reports print in a hidden window of this app: no Chromium needs to be installed beside it.
      const service = await createIdlewatchService(adapter, preferencesFile(join(userData, 'preferences.json')), {
        pdfPrinter: createElectronPdfPrinter(),
      });
      const dispatch = createDispatcher(service.api, DESKTOP_POLICY);
      const disposeApi = registerIpc({ dispatch, subscribe: service.subscribe, getWindow, isAppUrl });
      const disposeSave = registerSaveFile({ getWindow, isAppUrl, folderStatePath: join(userData, 'export-folder.json') });
      const disposeIpc = () => {
        disposeApi();
        disposeSave();
      };
      // Ends polling and the adapter's helper processes (the service owns the adapter) and
      // writes pending preferences before the app exits.
      let closed = false;
      app.on('will-quit', (event) => {
        if (closed) return;
        event.preventDefault();
        disposeIpc();
        void service.close().finally(() => {
          closed = true;
          app.quit();
        });
      });

      window = createMainWindow({
        preloadPath: join(outDir, 'preload', 'index.cjs'),
        location,
        statePath: join(userData, 'window-state.json'),
      });
      window.on('closed', () => {
        window = null;
      });
    })
    .catch((error: unknown) => {
      dialog.showErrorBox('Idlewatch cannot start', (error as Error).message ?? String(error));
      app.exit(1);
    });
}

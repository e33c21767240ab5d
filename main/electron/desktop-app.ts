/**
 * The desktop app's lifecycle: one instance, the security rules, the core service behind IPC,
 * the window, and a clean shutdown. main.ts only says where the built files are.
 */
import { app, dialog, session, type BrowserWindow } from 'electron';
import { join } from 'node:path';
import { preferencesFile } from '../core/preferences-file';
import { createIdlewatchService } from '../core/service';
import { createPlatformAdapter } from '../platform/index';
import { registerIpc } from './ipc';
import { installAppMenu } from './menu';
import { isRendererUrl, resolveRendererLocation } from './renderer-location';
import { applyProcessRules, applySessionRules, applyWebContentsRules } from './security';
import { createMainWindow } from './window';

export interface DesktopAppOptions {
  /** The build's out/ directory: main/, preload/ and renderer/ sit side by side in it. */
  outDir: string;
}

export function startDesktopApp({ outDir }: DesktopAppOptions): void {
  applyProcessRules();

  // A second launch hands over to the first ('second-instance' below) instead of polling the
  // kernel twice and racing on the preference and window-state files.
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }

  const location = resolveRendererLocation({
    rendererFile: join(outDir, 'renderer', 'index.html'),
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
      installAppMenu({ development: !app.isPackaged, version: app.getVersion(), getWindow });

      const userData = app.getPath('userData');
      const adapter = createPlatformAdapter();
      const service = await createIdlewatchService(adapter, preferencesFile(join(userData, 'preferences.json')));
      const disposeIpc = registerIpc({ api: service.api, subscribe: service.subscribe, getWindow, isAppUrl });
      app.once('will-quit', () => {
        disposeIpc();
        service.close();
        // The sockdiag helper is a child process: end it rather than leave it to the OS.
        adapter.close();
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

import { app, BrowserWindow } from 'electron';
import { join } from 'node:path';

/**
 * The desktop shell. It opens one locked-down window on the renderer; the typed API over IPC
 * arrives with the desktop-app issue (#3).
 */
function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    title: 'Idlewatch',
    webPreferences: {
      preload: join(__dirname, '../preload/index.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    },
  });
  void window.loadFile(join(__dirname, '../renderer/index.html'));
  return window;
}

void app.whenReady().then(createWindow);
app.on('window-all-closed', () => app.quit());

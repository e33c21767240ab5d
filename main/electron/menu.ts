import { dialog, Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';

export interface MenuOptions {
  /** Reload and developer tools only while developing: a reload drops the page's state. */
  development: boolean;
  version: string;
  getWindow: () => BrowserWindow | null;
}

/**
 * The application menu. Roles give each item its platform accelerator and behaviour; the one
 * item with our own code is About, a message box (Linux has no native About panel to fill).
 */
export function appMenuTemplate({ development, version, getWindow }: MenuOptions): MenuItemConstructorOptions[] {
  const developmentItems: MenuItemConstructorOptions[] = development
    ? [{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, { type: 'separator' }]
    : [];
  return [
    { label: '&File', submenu: [{ role: 'quit' }] },
    {
      label: '&View',
      submenu: [
        ...developmentItems,
        { role: 'togglefullscreen' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [{ label: 'About Idlewatch', click: () => void showAbout(version, getWindow()) }],
    },
  ];
}

function showAbout(version: string, window: BrowserWindow | null) {
  const options = {
    type: 'info' as const,
    title: 'About Idlewatch',
    message: `Idlewatch ${version}`,
    detail: 'Idle TCP connections, and when keepalive or a middlebox will probe and drop them.',
    buttons: ['OK'],
  };
  return window && !window.isDestroyed() ? dialog.showMessageBox(window, options) : dialog.showMessageBox(options);
}

export function installAppMenu(options: MenuOptions): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(appMenuTemplate(options)));
}

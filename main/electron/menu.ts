import { dialog, Menu, shell, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';
import { ABOUT, aboutLines, type About } from '../../shared/about';
import { isExternalLinkAllowed } from './security';

export interface MenuOptions {
  /** Reload and developer tools only while developing: a reload drops the page's state. */
  development: boolean;
  /**
   * What Help › About tells: Idlewatch's own (shared/about.ts, from package.json, which is also
   * where Electron's app.getVersion() reads it) unless given.
   */
  about?: About;
  getWindow: () => BrowserWindow | null;
}

/**
 * The application menu. Roles give each item its platform accelerator and behaviour; the one
 * item with our own code is About, a message box (Linux has no native About panel to fill).
 */
export function appMenuTemplate({ development, about = ABOUT, getWindow }: MenuOptions): MenuItemConstructorOptions[] {
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
      submenu: [{ label: 'About Idlewatch', click: () => void showAbout(about, getWindow()) }],
    },
  ];
}

/** The About box's buttons: OK first (Enter and Escape both close the box). */
export const ABOUT_BUTTONS = ['OK', 'Open home page'] as const;

/**
 * The About box: name and version, what Idlewatch does, its license and home page. "Open home
 * page" hands the home page to the OS browser only if it is an https URL (security.ts, #15).
 */
export async function showAbout(about: About, window: BrowserWindow | null): Promise<void> {
  const [title = '', ...detail] = aboutLines(about);
  const options = {
    type: 'info' as const,
    title: `About ${about.productName}`,
    message: title,
    detail: detail.join('\n'),
    buttons: [...ABOUT_BUTTONS],
    defaultId: 0,
    cancelId: 0,
    noLink: true,
  };
  const { response } = window && !window.isDestroyed() ? await dialog.showMessageBox(window, options) : await dialog.showMessageBox(options);
  if (ABOUT_BUTTONS[response] === 'Open home page' && isExternalLinkAllowed(about.homepage)) {
    await shell.openExternal(about.homepage).catch(() => undefined);
  }
}

export function installAppMenu(options: MenuOptions): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(appMenuTemplate(options)));
}

import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { BrowserWindow, MenuItemConstructorOptions } from 'electron';
import { appMenuTemplate, installAppMenu } from '../../../main/electron/menu';
import { dialog, FakeBrowserWindow, Menu, resetFakes } from './fake-electron';

vi.mock('electron', async () => await import('./fake-electron'));

beforeEach(resetFakes);

const template = (development: boolean, window: FakeBrowserWindow | null = null) =>
  appMenuTemplate({ development, version: '1.2.3', getWindow: () => window as unknown as BrowserWindow | null });
const submenu = (items: MenuItemConstructorOptions[], label: string) =>
  items.find((item) => item.label === label || item.role === label)!.submenu as MenuItemConstructorOptions[];
const roles = (items: MenuItemConstructorOptions[]) => items.map((item) => item.role).filter(Boolean);

describe('application menu', () => {
  it('has File, View, Window and Help, in that order', () => {
    expect(template(false).map((item) => item.label ?? item.role)).toEqual(['&File', '&View', 'windowMenu', 'help']);
  });

  it('File quits', () => {
    expect(roles(submenu(template(false), '&File'))).toEqual(['quit']);
  });

  it('View has full screen and zoom, and no reload or devtools in a production build', () => {
    expect(roles(submenu(template(false), '&View'))).toEqual(['togglefullscreen', 'resetZoom', 'zoomIn', 'zoomOut']);
  });

  it('View adds reload and devtools while developing', () => {
    expect(roles(submenu(template(true), '&View'))).toEqual([
      'reload',
      'forceReload',
      'toggleDevTools',
      'togglefullscreen',
      'resetZoom',
      'zoomIn',
      'zoomOut',
    ]);
  });

  it('Help › About shows the version, attached to the window', () => {
    const window = new FakeBrowserWindow({});
    const about = submenu(template(false, window), 'help')[0]!;
    expect(about.label).toBe('About Idlewatch');
    (about.click as () => void)();
    expect(dialog.showMessageBox).toHaveBeenCalledExactlyOnceWith(window, expect.objectContaining({ message: 'Idlewatch 1.2.3' }));
  });

  it('Help › About still works with no window open', () => {
    (submenu(template(false), 'help')[0]!.click as () => void)();
    expect(dialog.showMessageBox).toHaveBeenCalledExactlyOnceWith(expect.objectContaining({ message: 'Idlewatch 1.2.3' }));
  });

  it('is installed as the application menu', () => {
    installAppMenu({ development: false, version: '1.2.3', getWindow: () => null });
    expect(Menu.setApplicationMenu).toHaveBeenCalledExactlyOnceWith({ template: expect.any(Array) });
  });
});

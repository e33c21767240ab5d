import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { BrowserWindow, MenuItemConstructorOptions } from 'electron';
import pkg from '../../../package.json';
import { appMenuTemplate, installAppMenu, showAbout } from '../../../main/electron/menu';
import { ABOUT } from '../../../shared/about';
import { dialog, FakeBrowserWindow, Menu, resetFakes, shell } from './fake-electron';

vi.mock('electron', async () => await import('./fake-electron'));

beforeEach(resetFakes);

const template = (development: boolean, window: FakeBrowserWindow | null = null) =>
  appMenuTemplate({ development, getWindow: () => window as unknown as BrowserWindow | null });
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

  it('Help › About shows the name, version, license and home page, attached to the window', () => {
    const window = new FakeBrowserWindow({});
    const about = submenu(template(false, window), 'help')[0]!;
    expect(about.label).toBe('About Idlewatch');
    (about.click as () => void)();
    expect(dialog.showMessageBox).toHaveBeenCalledExactlyOnceWith(
      window,
      expect.objectContaining({ title: 'About Idlewatch', message: `Idlewatch ${pkg.version}`, buttons: ['OK', 'Open home page'], defaultId: 0, cancelId: 0 }),
    );
    const [, { detail }] = dialog.showMessageBox.mock.calls[0] as unknown as [unknown, { detail: string }];
    expect(detail.split('\n')).toEqual([pkg.description, 'License: Proprietary — all rights reserved (UNLICENSED)', `Home: ${pkg.homepage}`]);
    expect(pkg.license).toBe('UNLICENSED');
    expect(pkg.homepage).toMatch(/^https:\/\//);
  });

  it('Help › About still works with no window open', () => {
    (submenu(template(false), 'help')[0]!.click as () => void)();
    expect(dialog.showMessageBox).toHaveBeenCalledExactlyOnceWith(expect.objectContaining({ message: `Idlewatch ${pkg.version}` }));
  });

  it('Help › About tells what it is given (another build\'s about)', () => {
    const items = appMenuTemplate({ development: false, about: { ...ABOUT, version: '9.8.7' }, getWindow: () => null });
    (submenu(items, 'help')[0]!.click as () => void)();
    expect(dialog.showMessageBox).toHaveBeenCalledExactlyOnceWith(expect.objectContaining({ message: 'Idlewatch 9.8.7' }));
  });

  it('"Open home page" opens exactly the https home page, and nothing else', async () => {
    dialog.showMessageBox.mockResolvedValueOnce({ response: 1, checkboxChecked: false });
    await showAbout(ABOUT, null);
    expect(shell.openExternal).toHaveBeenCalledExactlyOnceWith(pkg.homepage);
  });

  it('"Open home page" from the menu item opens the home page once the box answers', async () => {
    dialog.showMessageBox.mockResolvedValueOnce({ response: 1, checkboxChecked: false });
    (submenu(template(false), 'help')[0]!.click as () => void)();
    await vi.waitFor(() => expect(shell.openExternal).toHaveBeenCalledExactlyOnceWith(pkg.homepage));
  });

  it('OK (or Escape) opens nothing', async () => {
    await showAbout(ABOUT, null);
    expect(shell.openExternal).not.toHaveBeenCalled();
  });

  it.each(['http://idlewatch.invalid', 'file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'not a url', ''])(
    '"Open home page" refuses a home page that is not https: %j',
    async (homepage) => {
      dialog.showMessageBox.mockResolvedValueOnce({ response: 1, checkboxChecked: false });
      await showAbout({ ...ABOUT, homepage }, null);
      expect(shell.openExternal).not.toHaveBeenCalled();
    },
  );

  it('a failure to open the browser is not an unhandled rejection', async () => {
    dialog.showMessageBox.mockResolvedValueOnce({ response: 1, checkboxChecked: false });
    shell.openExternal.mockRejectedValueOnce(new Error('no browser'));
    await expect(showAbout(ABOUT, null)).resolves.toBeUndefined();
  });

  it('is installed as the application menu', () => {
    installAppMenu({ development: false, getWindow: () => null });
    expect(Menu.setApplicationMenu).toHaveBeenCalledExactlyOnceWith({ template: expect.any(Array) });
  });
});

import { BrowserWindow, nativeTheme, screen } from 'electron';
import type { RendererLocation } from './renderer-location';
import { secureWebPreferences } from './security';
import { fitToDisplays, readWindowState, rememberWindowState } from './window-state';

export const WINDOW_TITLE = 'Idlewatch';
const DEFAULT_SIZE = { width: 1280, height: 800 };
/** Below this the connection table cannot show address, state and the two countdowns side by side. */
export const MIN_SIZE = { width: 900, height: 560 };
/**
 * Painted before the page's first frame, so opening the window does not flash white in a dark
 * theme. Keep in step with the renderer's page background.
 */
/** The page's --bg in renderer/src/app.css, so the window shows no flash of another colour while loading. */
export const BACKGROUND_COLOR = { dark: '#121418', light: '#f4f5f7' };

export interface MainWindowOptions {
  preloadPath: string;
  location: RendererLocation;
  /** userData/window-state.json */
  statePath: string;
}

/**
 * The app's one window, with the secure webPreferences of security.ts, where it was last time.
 * It stays hidden until the page has painted ('ready-to-show').
 */
export function createMainWindow({ preloadPath, location, statePath }: MainWindowOptions): BrowserWindow {
  const saved = readWindowState(statePath);
  const placement = saved
    ? fitToDisplays(saved.bounds, screen.getAllDisplays().map((display) => display.workArea))
    : DEFAULT_SIZE;

  const window = new BrowserWindow({
    ...placement,
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    title: WINDOW_TITLE,
    show: false,
    backgroundColor: nativeTheme.shouldUseDarkColors ? BACKGROUND_COLOR.dark : BACKGROUND_COLOR.light,
    webPreferences: secureWebPreferences(preloadPath),
  });

  rememberWindowState(window, statePath);
  window.once('ready-to-show', () => {
    if (saved?.maximized) window.maximize();
    window.show();
  });

  // Both kinds are URLs: the built page is app://idlewatch/index.html (app-protocol.ts), never a
  // file: URL (checklist #18 "Avoid usage of the file:// protocol").
  window.loadURL(location.url.href).catch((error: unknown) => {
    // A page that fails to load may never become ready-to-show; an empty window beats an invisible app.
    console.error(`Idlewatch could not load ${location.url.href}: ${(error as Error).message ?? String(error)}`);
    if (!window.isDestroyed()) window.show();
  });
  return window;
}

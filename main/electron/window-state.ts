/**
 * The window's size, position and maximized flag, kept across runs in userData/window-state.json.
 * A file that does not parse is ignored; a position on a display that is no longer attached
 * is moved back onto one that is.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BrowserWindow, Rectangle } from 'electron';
import { z } from 'zod';

export interface WindowState {
  /** The restored (not maximized) bounds, in screen DIPs. */
  bounds: Rectangle;
  maximized: boolean;
}

const WindowStateSchema = z
  .object({
    bounds: z.object({
      x: z.number().int().min(-100_000).max(100_000),
      y: z.number().int().min(-100_000).max(100_000),
      width: z.number().int().min(1).max(100_000),
      height: z.number().int().min(1).max(100_000),
    }),
    maximized: z.boolean(),
  });

/** The saved state, or null when there is none or it is not one we wrote. */
export function readWindowState(path: string): WindowState | null {
  try {
    const parsed = WindowStateSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Written synchronously: it runs from the window's 'close' event, just before the process may
 * exit. Temporary file then rename, so a crash never leaves half a file.
 */
export function writeWindowState(path: string, state: WindowState): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

/** Least amount of the window that must lie on a display for it to be reachable (a title bar's worth). */
const MIN_VISIBLE = { width: 120, height: 40 };

/**
 * Places saved bounds on the displays attached now (their work areas, from
 * screen.getAllDisplays()). The window goes on the display it overlaps most, shrunk to fit and
 * moved fully inside; if it overlaps none enough, only its size is kept (fitted to the first
 * display) and the position is left to the window manager.
 */
export function fitToDisplays(bounds: Rectangle, workAreas: readonly Rectangle[]): Partial<Rectangle> & Pick<Rectangle, 'width' | 'height'> {
  const best = workAreas
    .map((area) => ({ area, overlap: intersection(bounds, area) }))
    .filter(({ overlap }) => overlap.width >= MIN_VISIBLE.width && overlap.height >= MIN_VISIBLE.height)
    .sort((a, b) => b.overlap.width * b.overlap.height - a.overlap.width * a.overlap.height)[0];
  if (!best) {
    const first = workAreas[0];
    return first
      ? { width: Math.min(bounds.width, first.width), height: Math.min(bounds.height, first.height) }
      : { width: bounds.width, height: bounds.height };
  }
  const { area } = best;
  const width = Math.min(bounds.width, area.width);
  const height = Math.min(bounds.height, area.height);
  return {
    x: clamp(bounds.x, area.x, area.x + area.width - width),
    y: clamp(bounds.y, area.y, area.y + area.height - height),
    width,
    height,
  };
}

function intersection(a: Rectangle, b: Rectangle): { width: number; height: number } {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return { width: Math.max(0, width), height: Math.max(0, height) };
}

const clamp = (value: number, min: number, max: number) => Math.min(Math.max(value, min), max);

/** Saves the window's state when it closes. getNormalBounds keeps the size it restores to, not the maximized one. */
export function rememberWindowState(window: BrowserWindow, path: string): void {
  window.on('close', () => {
    try {
      writeWindowState(path, { bounds: window.getNormalBounds(), maximized: window.isMaximized() });
    } catch {
      // Not remembering the window is no reason to stop the app from closing.
    }
  });
}

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitToDisplays, readWindowState, writeWindowState } from '../../../main/electron/window-state';

const laptop = { x: 0, y: 0, width: 1920, height: 1040 };
const rightMonitor = { x: 1920, y: 0, width: 2560, height: 1400 };

describe('keeping the window on a display that is attached now', () => {
  it('bounds inside a display are kept as they are', () => {
    expect(fitToDisplays({ x: 100, y: 50, width: 1200, height: 800 }, [laptop])).toEqual({ x: 100, y: 50, width: 1200, height: 800 });
  });

  it('a window left on a monitor that is gone keeps its size and lets the window manager place it', () => {
    expect(fitToDisplays({ x: 2200, y: 100, width: 1400, height: 900 }, [laptop])).toEqual({ width: 1400, height: 900 });
  });

  it('a window hanging off the edge is moved fully inside', () => {
    expect(fitToDisplays({ x: 1500, y: 900, width: 1000, height: 700 }, [laptop])).toEqual({ x: 920, y: 340, width: 1000, height: 700 });
  });

  it('a window larger than its display is shrunk to it', () => {
    expect(fitToDisplays({ x: 0, y: 0, width: 2560, height: 1400 }, [laptop])).toEqual({ x: 0, y: 0, width: 1920, height: 1040 });
  });

  it('a window across two displays goes to the one it overlaps most', () => {
    expect(fitToDisplays({ x: 1800, y: 100, width: 1200, height: 800 }, [laptop, rightMonitor])).toEqual({
      x: 1920,
      y: 100,
      width: 1200,
      height: 800,
    });
  });

  it('a sliver on screen smaller than a title bar does not count as visible', () => {
    expect(fitToDisplays({ x: 1900, y: 100, width: 800, height: 600 }, [laptop])).toEqual({ width: 800, height: 600 });
  });

  it('a window that fits nowhere and a display smaller than it is sized to the first display', () => {
    expect(fitToDisplays({ x: -5000, y: 0, width: 3000, height: 2000 }, [laptop])).toEqual({ width: 1920, height: 1040 });
  });
});

describe('window-state.json', () => {
  const dir = mkdtempSync(join(tmpdir(), 'idlewatch-window-state-'));

  it('round-trips what was written', () => {
    const path = join(dir, 'nested', 'window-state.json');
    const state = { bounds: { x: -20, y: 10, width: 1300, height: 820 }, maximized: true };
    writeWindowState(path, state);
    expect(readWindowState(path)).toEqual(state);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(state);
  });

  it('a missing file means no saved state', () => {
    expect(readWindowState(join(dir, 'absent.json'))).toBeNull();
  });

  it.each([
    ['not JSON', '{"bounds":'],
    ['the wrong shape', '{"x":1,"y":2}'],
    ['a zero width', '{"bounds":{"x":0,"y":0,"width":0,"height":600},"maximized":false}'],
    ['a fractional size', '{"bounds":{"x":0,"y":0,"width":800.5,"height":600},"maximized":false}'],
    ['a string for maximized', '{"bounds":{"x":0,"y":0,"width":800,"height":600},"maximized":"yes"}'],
    ['absurd coordinates', '{"bounds":{"x":1e12,"y":0,"width":800,"height":600},"maximized":false}'],
  ])('a file with %s is ignored', (_what, text) => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, text);
    expect(readWindowState(path)).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { moveIndex, pageRows, rowWindow, scrollToReveal } from '../../../../renderer/src/connections/virtual-window';

const base = { rowHeight: 28, viewportHeight: 560, overscan: 5 };

describe('rowWindow', () => {
  it('renders the rows in view plus the overscan on both sides, not all 100,000', () => {
    const w = rowWindow({ ...base, scrollTop: 28 * 1000, rowCount: 100_000 });
    expect(w).toEqual({ start: 995, end: 1025, totalHeight: 2_800_000 });
  });

  it('starts at 0 at the top and stops at the last row at the bottom', () => {
    expect(rowWindow({ ...base, scrollTop: 0, rowCount: 100_000 })).toMatchObject({ start: 0, end: 25 });
    expect(rowWindow({ ...base, scrollTop: 2_800_000 - 560, rowCount: 100_000 })).toMatchObject({ start: 99_975, end: 100_000 });
  });

  it('includes a row that is only partly visible', () => {
    const w = rowWindow({ ...base, overscan: 0, scrollTop: 14, rowCount: 100 });
    expect(w).toMatchObject({ start: 0, end: 21 }); // rows 0…20: 0 and 20 are each half in view
  });

  it('shows the last page when rows were removed under the scroll position', () => {
    const w = rowWindow({ ...base, overscan: 0, scrollTop: 28 * 5000, rowCount: 50 });
    expect(w).toMatchObject({ start: 30, end: 50 });
  });

  it('is empty for no rows', () => {
    expect(rowWindow({ ...base, scrollTop: 100, rowCount: 0 })).toEqual({ start: 0, end: 0, totalHeight: 0 });
  });
});

describe('scrollToReveal', () => {
  it('does not move when the row is in view', () => {
    expect(scrollToReveal(10, 0, 560, 28)).toBe(0);
  });
  it('scrolls up to put a row above the view at the top', () => {
    expect(scrollToReveal(3, 280, 560, 28)).toBe(84);
  });
  it('scrolls down just enough to put a row below the view at the bottom', () => {
    expect(scrollToReveal(30, 0, 560, 28)).toBe(31 * 28 - 560);
  });
});

describe('moveIndex', () => {
  it('moves by one, by a page and to the ends, staying inside the rows', () => {
    expect(moveIndex('ArrowDown', 4, 10, 5)).toBe(5);
    expect(moveIndex('ArrowUp', 0, 10, 5)).toBe(0);
    expect(moveIndex('ArrowDown', 9, 10, 5)).toBe(9);
    expect(moveIndex('PageDown', 7, 10, 5)).toBe(9);
    expect(moveIndex('PageUp', 3, 10, 5)).toBe(0);
    expect(moveIndex('Home', 5, 10, 5)).toBe(0);
    expect(moveIndex('End', 5, 10, 5)).toBe(9);
  });
  it('starts at the first row when nothing is selected, and ignores other keys', () => {
    expect(moveIndex('ArrowDown', -1, 10, 5)).toBe(0);
    expect(moveIndex('ArrowUp', -1, 10, 5)).toBe(0);
    expect(moveIndex('a', 3, 10, 5)).toBeNull();
    expect(moveIndex('ArrowDown', -1, 0, 5)).toBeNull();
  });
  it('pages by a screenful less one row of context', () => {
    expect(pageRows(560, 28)).toBe(19);
    expect(pageRows(10, 28)).toBe(1);
  });
});

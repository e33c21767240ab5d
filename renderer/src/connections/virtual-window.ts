/**
 * Which rows of a fixed-row-height list to render. The table renders only the rows that meet
 * the viewport plus `overscan` on either side, each positioned at `index × rowHeight`, inside one
 * spacer as tall as all rows: 100,000 rows cost ~40 DOM rows.
 *
 * All heights here are of the rows' area, without the sticky header: the caller passes the
 * scroll container's clientHeight minus the header's height.
 */

export interface WindowInput {
  scrollTop: number;
  viewportHeight: number;
  rowHeight: number;
  rowCount: number;
  overscan: number;
}

export interface RowWindow {
  /** First row to render. */
  start: number;
  /** One past the last row to render. */
  end: number;
  /** Height of all rows together (the spacer). */
  totalHeight: number;
}

export function rowWindow({ scrollTop, viewportHeight, rowHeight, rowCount, overscan }: WindowInput): RowWindow {
  const totalHeight = rowCount * rowHeight;
  if (rowCount === 0 || rowHeight <= 0) return { start: 0, end: 0, totalHeight };
  // A scroll position past the end (rows removed under it) shows the last page, not nothing.
  const top = Math.max(0, Math.min(scrollTop, totalHeight - Math.max(viewportHeight, 0)));
  const first = Math.floor(top / rowHeight);
  const last = Math.ceil((top + Math.max(viewportHeight, 0)) / rowHeight);
  return {
    start: Math.max(0, first - overscan),
    end: Math.min(rowCount, Math.max(last, first + 1) + overscan),
    totalHeight,
  };
}

/** The scrollTop that brings row `index` fully into view, moving as little as possible. */
export function scrollToReveal(index: number, scrollTop: number, viewportHeight: number, rowHeight: number): number {
  const rowTop = index * rowHeight;
  const rowBottom = rowTop + rowHeight;
  if (rowTop < scrollTop) return rowTop;
  if (rowBottom > scrollTop + viewportHeight) return Math.max(0, rowBottom - viewportHeight);
  return scrollTop;
}

/** How many rows PageUp/PageDown move: one screenful, less one row of context, at least one. */
export function pageRows(viewportHeight: number, rowHeight: number): number {
  return Math.max(1, Math.floor(viewportHeight / rowHeight) - 1);
}

/** The index a key moves the selection to; null for keys that do not move it. */
export function moveIndex(key: string, current: number, rowCount: number, page: number): number | null {
  if (rowCount === 0) return null;
  const from = current < 0 ? -1 : current;
  const clamp = (i: number) => Math.max(0, Math.min(rowCount - 1, i));
  switch (key) {
    case 'ArrowDown':
      return clamp(from + 1);
    case 'ArrowUp':
      return clamp(from < 0 ? 0 : from - 1);
    case 'PageDown':
      return clamp(from + page);
    case 'PageUp':
      return clamp(from - page);
    case 'Home':
      return 0;
    case 'End':
      return rowCount - 1;
    default:
      return null;
  }
}

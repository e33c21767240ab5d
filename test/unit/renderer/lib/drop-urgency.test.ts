import { describe, expect, it } from 'vitest';
import { dropOverdue, dropSoon, SOON_MS } from '../../../../renderer/src/lib/drop-urgency';

describe('how near a projected drop is', () => {
  const now = 1_000_000;
  it('is soon within the next minute, not at its edges outside it', () => {
    expect(dropSoon(now + 1, now)).toBe(true);
    expect(dropSoon(now + SOON_MS, now)).toBe(true);
    expect(dropSoon(now + SOON_MS + 1, now)).toBe(false);
    expect(dropSoon(now, now)).toBe(false);
    expect(dropSoon(null, now)).toBe(false);
  });
  it('is overdue from its moment on, never when there is none', () => {
    expect(dropOverdue(now, now)).toBe(true);
    expect(dropOverdue(now - 5000, now)).toBe(true);
    expect(dropOverdue(now + 1, now)).toBe(false);
    expect(dropOverdue(null, now)).toBe(false);
  });
});

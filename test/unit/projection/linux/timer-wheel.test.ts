import { describe, expect, it } from 'vitest';
import { granularityFor, wheelFiresAt, wheelLevel } from '../../../../shared/projection/linux/timer-wheel';

describe('timer wheel levels (KEEPALIVE.md §7 table)', () => {
  it.each([
    [62, 0, 1],
    [63, 1, 8],
    [503, 1, 8],
    [504, 2, 64],
    [4031, 2, 64],
    [4032, 3, 512],
    [32_255, 3, 512],
    [32_256, 4, 4096],
    [258_048, 5, 32_768],
  ])('a timer armed %i jiffies ahead is filed at level %i, rounded to %i jiffies', (distance, level, gran) => {
    expect(wheelLevel(distance, 250)).toBe(level);
    expect(granularityFor(distance, 250)).toBe(gran);
  });

  it('rounds the default 7200 s keepalive timer at HZ=250 to 131 s (32768 jiffies)', () => {
    expect(granularityFor(7200 * 250, 250) * 4).toBe(131_072);
  });

  it('rounds a 3 s timer at HZ=250 to 256 ms', () => {
    expect(granularityFor(3 * 250, 250) * 4).toBe(256);
  });
});

describe('wheelFiresAt', () => {
  it('fires one jiffy late at level 0, never early', () => {
    expect(wheelFiresAt(1000, 10, 250)).toBe(1001);
  });

  it('rounds up to the next multiple of the level granularity in absolute jiffies', () => {
    // 500 jiffies ahead → level 1, granularity 8
    expect(wheelFiresAt(1000, 500, 250)).toBe(1008);
    expect(wheelFiresAt(1007, 500, 250)).toBe(1008);
    expect(wheelFiresAt(1008, 500, 250)).toBe(1016);
  });

  it('never fires more than one granularity late', () => {
    for (let expires = 10_000; expires < 10_200; expires++) {
      const fired = wheelFiresAt(expires, 1500, 250);
      expect(fired - expires).toBeGreaterThan(0);
      expect(fired - expires).toBeLessThanOrEqual(64);
    }
  });
});

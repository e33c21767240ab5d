import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inferHz, jiffiesOffset, parseKernelConfigHz, parseTimerList } from '../../../../main/platform/linux/kernel-clock';

const timerList = readFileSync(new URL('../../../fixtures/linux/timer-list-excerpt.txt', import.meta.url), 'utf8');

describe('kernel clock', () => {
  it('reads the monotonic time and jiffies from /proc/timer_list', () => {
    expect(parseTimerList(timerList)).toEqual({ nowNs: 842002650302n, jiffies: 4295102735n });
  });

  it('derives the boot-constant jiffies offset on the 4 ms tick grid (HZ=250)', () => {
    const reading = parseTimerList(timerList)!;
    // Measured on the same boot at other moments: the offset never changed.
    expect(jiffiesOffset(reading, 250)).toBe(4294892235n);
  });

  it('returns null for text that is not a timer list', () => {
    expect(parseTimerList('hello')).toBeNull();
  });

  it('reads CONFIG_HZ from a kernel config and ignores the choice lines', () => {
    expect(parseKernelConfigHz('# CONFIG_HZ_100 is not set\nCONFIG_HZ_250=y\nCONFIG_HZ=250\n')).toBe(250);
    expect(parseKernelConfigHz('CONFIG_HZ_1000=y\n')).toBeNull();
  });

  it('infers HZ from two readings and refuses nonsense', () => {
    const a = { nowNs: 1_000_000_000n, jiffies: 1000n };
    expect(inferHz(a, { nowNs: 1_100_000_000n, jiffies: 1025n })).toBe(250);
    expect(inferHz(a, { nowNs: 1_100_000_000n, jiffies: 1100n })).toBe(1000);
    expect(inferHz(a, { nowNs: 1_100_000_000n, jiffies: 1060n })).toBeNull();
    expect(inferHz(a, a)).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { ClockOffset } from '../../../../renderer/src/lib/clock-offset';

const T = 1_800_000_000_000;

describe('ClockOffset', () => {
  it('is zero before any delta and while the clocks agree within two seconds', () => {
    const offset = new ClockOffset();
    expect(offset.offsetMs).toBe(0);
    offset.observe(T, 40, T + 300); // delivery and poll time on the same clock
    offset.observe(T + 2000, 40, T + 2000 - 900); // a page clock slightly behind
    expect(offset.offsetMs).toBe(0);
  });

  it('finds a page clock that runs a minute ahead, from the fastest delivery', () => {
    const offset = new ClockOffset();
    offset.observe(T, 100, T + 60_000 + 50 + 400); // a slow delivery
    offset.observe(T + 2000, 100, T + 2000 + 60_000 + 50 + 20);
    expect(offset.offsetMs).toBe(60_020);
  });

  it('finds a page clock that runs behind', () => {
    const offset = new ClockOffset();
    offset.observe(T, 0, T - 30_000 + 10);
    expect(offset.offsetMs).toBe(-29_990);
  });

  it('follows a clock that was corrected, forgetting old samples', () => {
    const offset = new ClockOffset();
    for (let i = 0; i < 10; i++) offset.observe(T + i * 2000, 0, T + i * 2000 - 30_000);
    expect(offset.offsetMs).toBe(-30_000);
    for (let i = 10; i < 20; i++) offset.observe(T + i * 2000, 0, T + i * 2000 + 5);
    expect(offset.offsetMs).toBe(0);
  });
});

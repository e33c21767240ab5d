import { describe, expect, it } from 'vitest';
import { SendBudget } from '../../../main/serve/send-budget';

describe('the send budget of one client', () => {
  it('lets one message of any size go to a client that has caught up', () => {
    const budget = new SendBudget(100);
    expect(budget.fits(10_000)).toBe(true);
  });

  it('lets small messages queue behind a large one, up to the cap', () => {
    const budget = new SendBudget(100);
    budget.add(10_000);
    expect(budget.fits(60)).toBe(true);
    budget.add(60);
    expect(budget.fits(40)).toBe(true);
    expect(budget.fits(41)).toBe(false);
  });

  it('refuses a second large message while the first is queued', () => {
    const budget = new SendBudget(100);
    budget.add(10_000);
    expect(budget.fits(5_000)).toBe(false);
    budget.release();
    expect(budget.fits(5_000)).toBe(true);
  });

  it('counts what is written: the largest outstanding message follows the queue', () => {
    const budget = new SendBudget(100);
    for (const bytes of [50, 10_000, 30, 7_000, 20]) budget.add(bytes);
    expect(budget.outstandingBytes).toBe(17_100);
    expect(budget.fits(0)).toBe(false); // 7,000 beside the 10,000
    budget.release(); // 50
    budget.release(); // 10,000: now 7,000 is the largest
    expect(budget.outstandingBytes).toBe(7_050);
    expect(budget.fits(50)).toBe(true);
    expect(budget.fits(51)).toBe(false);
    budget.release();
    budget.release();
    budget.release();
    expect(budget.outstandingBytes).toBe(0);
    budget.release(); // nothing left: no effect
    expect(budget.outstandingBytes).toBe(0);
  });

  it('keeps its bookkeeping exact over many messages', () => {
    const budget = new SendBudget(1_000);
    const queue: number[] = [];
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let step = 0; step < 20_000; step++) {
      if (queue.length > 0 && random() < 0.5) {
        budget.release();
        queue.shift();
      } else {
        const bytes = Math.floor(random() * 2_000);
        const sum = queue.reduce((a, b) => a + b, 0) + bytes;
        expect(budget.fits(bytes)).toBe(sum - Math.max(bytes, ...queue) <= 1_000);
        budget.add(bytes);
        queue.push(bytes);
      }
    }
  });
});

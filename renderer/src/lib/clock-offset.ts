/**
 * How far the page's clock is from the core's. Every time Idlewatch shows is an absolute moment
 * taken on the core's machine; in browser mode the page may run on another machine whose clock
 * is off, and every countdown would be off by as much. Each delta is sent right after its poll,
 * so `received − takenAt` is the skew plus a little delivery time; the smallest of the recent
 * samples is the best estimate. Skews under SAME_CLOCK_MS are treated as none: the same machine,
 * or clocks in sync by NTP, where correcting would only add jitter.
 */

/** Below this, the two clocks are taken to agree. */
export const SAME_CLOCK_MS = 2000;
const SAMPLES = 10;

export class ClockOffset {
  private samples: number[] = [];

  /** A delta read at `takenAt` (core's clock) after a poll of `pollMs` arrived at `receivedAt` (page's clock). */
  observe(takenAt: number, pollMs: number, receivedAt: number): void {
    // The poll ran on for part of pollMs after the dump's moment; half is the middle guess.
    this.samples.push(receivedAt - takenAt - pollMs / 2);
    if (this.samples.length > SAMPLES) this.samples.shift();
  }

  /** Page time − core time, in ms; 0 when the clocks agree. */
  get offsetMs(): number {
    if (this.samples.length === 0) return 0;
    const estimate = Math.min(...this.samples);
    return Math.abs(estimate) < SAME_CLOCK_MS ? 0 : Math.round(estimate);
  }

  reset(): void {
    this.samples = [];
  }
}

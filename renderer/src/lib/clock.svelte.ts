/**
 * The one clock every countdown reads. It ticks on each whole second, so all countdowns on
 * screen change together, and it is a single timer for the whole page, not one per row.
 * It tells the core's time: the page's clock corrected by the skew measured from the deltas
 * (clock-offset.ts), so a browser on another machine counts down to the right moments.
 */
class Clock {
  /** Epoch ms on the core's clock, updated once a second while started. */
  now = $state(Date.now());
  /** Page clock − core clock (ms). */
  #offsetMs = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;

  /** Sets the measured skew; the clock moves to it at once. */
  setOffset(offsetMs: number) {
    if (offsetMs === this.#offsetMs) return;
    this.#offsetMs = offsetMs;
    this.now = Date.now() - offsetMs;
  }

  /** Starts ticking; returns the stop function (fits `$effect`). */
  start(): () => void {
    const tick = () => {
      this.now = Date.now() - this.#offsetMs;
      // Aim just past the next whole second: timers fire late, never early.
      this.#timer = setTimeout(tick, 1000 - (this.now % 1000) + 5);
    };
    if (this.#timer === null) tick();
    return () => {
      if (this.#timer !== null) clearTimeout(this.#timer);
      this.#timer = null;
    };
  }
}

export const clock = new Clock();

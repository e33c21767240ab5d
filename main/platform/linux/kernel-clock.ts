/**
 * The kernel's tick clock: HZ and which absolute jiffies value began when. The timer
 * wheel rounds every timer to multiples of 8^level jiffies in absolute terms, so
 * projecting the moment a timer really fires needs the jiffies phase (KEEPALIVE.md §7).
 */

/** CONFIG_HZ from a kernel config (/proc/config.gz, /boot/config-<release>). */
export function parseKernelConfigHz(configText: string): number | null {
  const match = /^CONFIG_HZ=(\d+)$/m.exec(configText);
  return match ? Number(match[1]) : null;
}

export interface TimerListReading {
  /** ktime_get(), i.e. CLOCK_MONOTONIC, in ns. */
  nowNs: bigint;
  /** The 64-bit jiffies counter at about the same moment. */
  jiffies: bigint;
}

/** The first "now at N nsecs" and "jiffies: J" of /proc/timer_list (root only). */
export function parseTimerList(text: string): TimerListReading | null {
  const now = /^now at (\d+) nsecs$/m.exec(text);
  const jiffies = /^jiffies: (\d+)$/m.exec(text);
  if (!now || !jiffies) return null;
  return { nowNs: BigInt(now[1]!), jiffies: BigInt(jiffies[1]!) };
}

/**
 * Jiffies tick on a grid of CLOCK_MONOTONIC multiples of the tick period
 * (tick_init_jiffy_update aligns tick_next_period), so jiffies = offset + ⌊mono / tick⌋
 * with a constant offset for the whole boot. This returns that offset.
 */
export function jiffiesOffset(reading: TimerListReading, hz: number): bigint {
  const tickNs = BigInt(Math.round(1e9 / hz));
  return reading.jiffies - reading.nowNs / tickNs;
}

/** HZ from two timer_list readings, snapped to the values Kconfig offers. */
export function inferHz(first: TimerListReading, second: TimerListReading): number | null {
  const elapsedNs = Number(second.nowNs - first.nowNs);
  if (elapsedNs <= 0) return null;
  const measured = (Number(second.jiffies - first.jiffies) * 1e9) / elapsedNs;
  const candidates = [100, 250, 300, 1000];
  const nearest = candidates.reduce((a, b) => (Math.abs(b - measured) < Math.abs(a - measured) ? b : a));
  return Math.abs(nearest - measured) / nearest < 0.2 ? nearest : null;
}

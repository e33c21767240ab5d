/**
 * The Linux timer wheel's rounding (kernel/time/timer.c). A timer is filed in a level
 * chosen by how far away it is when armed; its expiry is rounded up to that level's
 * granularity in absolute jiffies, so it fires late by something in (0, granularity]
 * and never early. See KEEPALIVE.md §7.
 */

const LVL_CLK_SHIFT = 3;
const LVL_SIZE = 64;

/** LVL_START(n): the distance (jiffies) from which level n is used; index n. */
const LEVEL_START = Array.from({ length: 10 }, (_, n) => (n === 0 ? 0 : (LVL_SIZE - 1) * 2 ** (LVL_CLK_SHIFT * (n - 1))));

/** LVL_DEPTH: 9 levels above HZ=100, 8 at HZ=100. */
function levelDepth(hz: number): number {
  return hz > 100 ? 9 : 8;
}

/** calc_wheel_index: the level a timer armed `distanceJiffies` ahead is filed in. */
export function wheelLevel(distanceJiffies: number, hz: number): number {
  const depth = levelDepth(hz);
  for (let level = 0; level < depth - 1; level++) {
    if (distanceJiffies < LEVEL_START[level + 1]!) return level;
  }
  return depth - 1;
}

const LEVEL_GRANULARITY = Array.from({ length: 10 }, (_, level) => 2 ** (LVL_CLK_SHIFT * level));

/** LVL_GRAN(level) in jiffies. */
function levelGranularity(level: number): number {
  return LEVEL_GRANULARITY[level]!;
}

/** The granularity (jiffies) a timer armed `distanceJiffies` ahead is rounded to. */
export function granularityFor(distanceJiffies: number, hz: number): number {
  return levelGranularity(wheelLevel(distanceJiffies, hz));
}

/**
 * calc_index: the jiffy at which a timer requested for `expiresJiffies` (absolute), armed
 * `distanceJiffies` ahead, really fires: (⌊expires / gran⌋ + 1) × gran.
 */
export function wheelFiresAt(expiresJiffies: number, distanceJiffies: number, hz: number): number {
  const gran = granularityFor(distanceJiffies, hz);
  return (Math.floor(expiresJiffies / gran) + 1) * gran;
}

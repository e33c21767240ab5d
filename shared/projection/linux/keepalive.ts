/**
 * What tcp_keepalive_timer (net/ipv4/tcp_timer.c) will do to a connection whose peer
 * stays silent from now on, firing by firing, in jiffies. KEEPALIVE.md §1.2 and §7.
 */
import { granularityFor, wheelFiresAt } from './timer-wheel';

/**
 * How each timer firing is placed inside its wheel bucket:
 * - exact: the absolute jiffies are known, so the bucket is too;
 * - earliest / latest: the bounds over every possible phase, (expires, expires + granularity];
 * - expected: the middle of those bounds, the best guess when the phase is unknown.
 */
export type Rounding = 'exact' | 'earliest' | 'latest' | 'expected';

export function firesAt(expiresJiffies: number, distanceJiffies: number, hz: number, rounding: Rounding): number {
  switch (rounding) {
    case 'exact':
      return wheelFiresAt(Math.round(expiresJiffies), distanceJiffies, hz);
    case 'earliest':
      return expiresJiffies + 1;
    case 'latest':
      return expiresJiffies + granularityFor(distanceJiffies, hz);
    case 'expected':
      return expiresJiffies + (granularityFor(distanceJiffies, hz) + 1) / 2;
  }
}

export interface KeepaliveInputs {
  /** The keepalive timer's requested expiry (absolute jiffies). */
  timerExpiresJiffies: number;
  /** How far ahead that timer was armed; decides its wheel level. */
  timerArmedDistanceJiffies: number;
  /** icsk_probes_out: probes already sent and unanswered. */
  probesSent: number;
  /** The last moment anything (data or ACK) arrived from the peer (absolute jiffies). */
  lastReceiveJiffies: number;
  timeJiffies: number;
  intervalJiffies: number;
  probes: number;
  /** TCP_USER_TIMEOUT in jiffies; 0 = off. */
  userTimeoutJiffies: number;
  hz: number;
}

export interface KeepaliveTimeline {
  /** Every probe the kernel will send before it gives up (absolute jiffies). */
  probesAt: number[];
  /** The firing at which the kernel resets the connection (absolute jiffies). */
  dropAt: number;
  reason: 'keepalive' | 'user-timeout';
}

/** A user timeout of hours with 1 s probes would loop thousands of times; past this, extrapolate. */
const MAX_FIRINGS = 512;

export function keepaliveTimeline(input: KeepaliveInputs, rounding: Rounding): KeepaliveTimeline {
  const { hz, timeJiffies, intervalJiffies, probes, userTimeoutJiffies, lastReceiveJiffies } = input;
  const reason = userTimeoutJiffies > 0 ? 'user-timeout' : 'keepalive';
  const probesAt: number[] = [];
  let probesOut = input.probesSent;
  let at = firesAt(input.timerExpiresJiffies, input.timerArmedDistanceJiffies, hz, rounding);
  for (let firing = 0; firing < MAX_FIRINGS; firing++) {
    const elapsed = at - lastReceiveJiffies;
    if (elapsed < timeJiffies) {
      // Fired before the connection was idle for `time`: re-arm for the rest.
      const rest = timeJiffies - elapsed;
      at = firesAt(at + rest, rest, hz, rounding);
      continue;
    }
    // The kill check runs before a probe is sent.
    const killed =
      userTimeoutJiffies > 0 ? elapsed >= userTimeoutJiffies && probesOut > 0 : probesOut >= probes;
    if (killed) return { probesAt, dropAt: at, reason };
    probesAt.push(at);
    probesOut++;
    at = firesAt(at + intervalJiffies, intervalJiffies, hz, rounding);
  }
  // Only reachable with a long TCP_USER_TIMEOUT: the kill lands on the first interval past it.
  const remaining = lastReceiveJiffies + userTimeoutJiffies - at;
  const dropAt = at + Math.max(0, Math.ceil(remaining / intervalJiffies)) * intervalJiffies;
  return { probesAt, dropAt, reason };
}

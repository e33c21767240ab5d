/**
 * When the kernel gives up on unacknowledged data (tcp_write_timeout, net/ipv4/tcp_timer.c).
 * Keepalive does not probe while data is in flight; retransmission owns the connection.
 */

/** TCP_RTO_MIN and TCP_RTO_MAX (include/net/tcp.h). */
export const RTO_MIN_MS = 200;
export const RTO_MAX_MS = 120_000;

/**
 * tcp_model_timeout: how long after the first transmission `retries` exponential-backoff
 * retransmissions take from an RTO of TCP_RTO_MIN. tcp_retries2 = 15 gives 924.6 s.
 */
export function retransmitTimeoutMs(retries: number, rtoBaseMs = RTO_MIN_MS): number {
  const threshold = Math.floor(Math.log2(RTO_MAX_MS / rtoBaseMs));
  if (retries <= threshold) return (2 ** (retries + 1) - 1) * rtoBaseMs;
  return (2 ** (threshold + 1) - 1) * rtoBaseMs + (retries - threshold) * RTO_MAX_MS;
}

export interface RetransmitInputs {
  /** The retransmission timer's expiry (epoch ms). */
  timerExpiresAt: number;
  /** Current, already backed-off RTO. */
  rtoMs: number;
  /** Retransmissions already made of the head segment. */
  retransmits: number;
  tcpRetries2: number;
  /** TCP_USER_TIMEOUT; 0 = off. */
  userTimeoutMs: number;
}

export interface RetransmitDrop {
  dropAt: number;
  /** How far ahead the timer that drops it was armed: decides how late the wheel may fire it. */
  lastGapMs: number;
  reason: 'retransmit' | 'user-timeout';
}

/** RTO gaps since the first transmission, oldest first, assuming plain doubling from the first RTO. */
function backoffGaps(rtoMs: number, retransmits: number): number[] {
  const firstRto = rtoMs >= RTO_MAX_MS ? RTO_MIN_MS : rtoMs / 2 ** retransmits;
  return Array.from({ length: retransmits + 1 }, (_, i) => Math.min(firstRto * 2 ** i, RTO_MAX_MS));
}

export function retransmitDrop(input: RetransmitInputs): RetransmitDrop {
  const { timerExpiresAt, rtoMs, retransmits, userTimeoutMs } = input;
  // retrans_stamp: when the head segment was first sent, reconstructed from the backoff so far.
  const firstSentAt = timerExpiresAt - backoffGaps(rtoMs, retransmits).reduce((a, b) => a + b, 0);
  if (userTimeoutMs > 0) {
    // tcp_clamp_rto_to_user_timeout shortens the last RTO so the check lands on the deadline.
    return { dropAt: Math.max(timerExpiresAt, firstSentAt + userTimeoutMs), lastGapMs: rtoMs, reason: 'user-timeout' };
  }
  const deadline = firstSentAt + retransmitTimeoutMs(input.tcpRetries2);
  // Each firing checks the deadline before retransmitting and doubling the RTO.
  let firing = timerExpiresAt;
  let rto = rtoMs;
  while (firing < deadline) {
    rto = Math.min(rto * 2, RTO_MAX_MS);
    firing += rto;
  }
  return { dropAt: firing, lastGapMs: rto, reason: 'retransmit' };
}

/**
 * What the kernel does to data the peer never acknowledges, firing by firing, in jiffies: the
 * retransmission timer (tcp_retransmit_timer → tcp_write_timeout → retransmits_timed_out,
 * net/ipv4/tcp_timer.c) and, when the peer's receive window is closed, the zero-window probe
 * timer (tcp_probe_timer → tcp_send_probe0, net/ipv4/tcp_output.c). Each rule below names the
 * kernel function it follows; each re-arm goes through the timer wheel's rounding (./timer-wheel.ts)
 * exactly as keepalive's does. Keepalive never probes while data is in flight: these own the
 * connection then.
 */
import { firesAt, type Rounding } from './keepalive';

/** TCP_RTO_MIN and TCP_RTO_MAX (include/net/tcp.h), ms. */
export const RTO_MIN_MS = 200;
export const RTO_MAX_MS = 120_000;

/** msecs_to_jiffies: rounds up. */
export function msToJiffies(ms: number, hz: number): number {
  return Math.ceil((ms * hz) / 1000 - 1e-9);
}

/**
 * tcp_model_timeout: how long after retrans_stamp `boundary` retransmissions take with an RTO
 * doubling from `rtoBaseMs` (TCP_RTO_MIN) up to TCP_RTO_MAX, then linear. tcp_retries2 = 15
 * gives 924.6 s. The kernel computes it in jiffies and returns ms (jiffies_to_msecs), which is the
 * same number for these values.
 */
export function tcpModelTimeoutMs(boundary: number, rtoBaseMs = RTO_MIN_MS): number {
  const linearBackoffThresh = Math.floor(Math.log2(RTO_MAX_MS / rtoBaseMs));
  if (boundary <= linearBackoffThresh) return ((2 << boundary) - 1) * rtoBaseMs;
  return ((2 << linearBackoffThresh) - 1) * rtoBaseMs + (boundary - linearBackoffThresh) * RTO_MAX_MS;
}

/**
 * retransmits_timed_out, as tcp_write_timeout calls it: never before the first retransmission;
 * with TCP_USER_TIMEOUT that alone is the limit (tcp_retries2 is not consulted); otherwise the
 * modelled time of tcp_retries2 retransmissions from TCP_RTO_MIN. Both measured from retrans_stamp.
 */
export function retransmitsTimedOut(input: { retransmits: number; elapsedMs: number; retries2: number; userTimeoutMs: number }): boolean {
  if (input.retransmits === 0) return false;
  const timeout = input.userTimeoutMs > 0 ? input.userTimeoutMs : tcpModelTimeoutMs(input.retries2);
  return input.elapsedMs >= timeout;
}

/**
 * tcp_clamp_rto_to_user_timeout: with TCP_USER_TIMEOUT the next RTO is cut short so the timer
 * fires when the user timeout runs out (1 jiffy if it already has).
 */
export function clampRtoToUserTimeout(rtoJiffies: number, input: { userTimeoutMs: number; elapsedMs: number; hz: number }): number {
  if (input.userTimeoutMs <= 0) return rtoJiffies;
  const remaining = input.userTimeoutMs - input.elapsedMs;
  if (remaining <= 0) return 1;
  return Math.min(rtoJiffies, msToJiffies(remaining, input.hz));
}

/** The exponential backoff of tcp_retransmit_timer: icsk_rto = min(icsk_rto << 1, TCP_RTO_MAX). */
export function backedOffRto(rtoJiffies: number, hz: number): number {
  return Math.min(rtoJiffies * 2, msToJiffies(RTO_MAX_MS, hz));
}

export interface RetransmitInputs {
  /** The retransmission timer's requested expiry, icsk_timeout (absolute jiffies). */
  timerExpiresJiffies: number;
  /** How far ahead that timer was armed (jiffies): its wheel level. */
  timerArmedDistanceJiffies: number;
  /** icsk_rto now (jiffies): the backed-off RTO. */
  rtoJiffies: number;
  /** icsk_retransmits: retransmissions of the head segment so far. */
  retransmits: number;
  /**
   * tp->retrans_stamp (absolute jiffies, fractional): the first retransmission by this timer.
   * tcp_retransmit_skb saves it after retransmitting ("stamp of the first (attempted) retransmit"),
   * so it is not the original send, and a tail loss probe (__tcp_retransmit_skb) does not set it.
   * null before the first retransmission: the next firing sets it.
   */
  retransStampJiffies: number | null;
  retries2: number;
  /** TCP_USER_TIMEOUT; 0 = off. */
  userTimeoutMs: number;
  hz: number;
}

export interface UnackedTimeline {
  /** The retransmissions (or zero-window probes) still to come, in absolute jiffies, the next first. */
  sendsAt: number[];
  /** The firing at which the kernel gives up (absolute jiffies). */
  dropAt: number;
  reason: 'retransmit' | 'user-timeout' | 'zero-window';
}

/** Far more firings than any limit allows (tcp_retries2 ≤ 255 in practice; a user timeout of hours at 120 s RTOs). */
const MAX_FIRINGS = 4096;

/**
 * tcp_retransmit_timer, firing by firing, for a peer that acknowledges nothing from now on: at
 * each firing tcp_write_timeout checks the limit before anything is sent; if it holds, the head
 * is retransmitted, the RTO doubles, and the timer is re-armed (clamped to the user timeout).
 */
export function retransmitTimeline(input: RetransmitInputs, rounding: Rounding): UnackedTimeline {
  const { hz, retries2, userTimeoutMs } = input;
  const msPerJiffy = 1000 / hz;
  const reason = userTimeoutMs > 0 ? 'user-timeout' : 'retransmit';
  const sendsAt: number[] = [];
  let retransmits = input.retransmits;
  let rto = input.rtoJiffies;
  let stamp = input.retransStampJiffies;
  let at = firesAt(input.timerExpiresJiffies, input.timerArmedDistanceJiffies, hz, rounding);
  for (let firing = 0; firing < MAX_FIRINGS; firing++) {
    const elapsedMs = stamp === null ? 0 : (at - stamp) * msPerJiffy;
    if (retransmitsTimedOut({ retransmits, elapsedMs, retries2, userTimeoutMs })) return { sendsAt, dropAt: at, reason };
    sendsAt.push(at);
    if (stamp === null) stamp = at;
    retransmits++;
    rto = backedOffRto(rto, hz);
    const when = clampRtoToUserTimeout(rto, { userTimeoutMs, elapsedMs: (at - stamp) * msPerJiffy, hz });
    at = firesAt(at + when, when, hz, rounding);
  }
  return { sendsAt, dropAt: at, reason };
}

/**
 * The RTOs that armed each firing so far, oldest first: icsk_rto before the k-th doubling. With
 * the RTO at TCP_RTO_MAX the earlier ones are not known; they are taken to have doubled up from
 * TCP_RTO_MIN, the kernel's floor.
 */
export function pastRtos(rtoJiffies: number, retransmits: number, hz: number): number[] {
  const min = msToJiffies(RTO_MIN_MS, hz);
  const max = msToJiffies(RTO_MAX_MS, hz);
  const rtos: number[] = [];
  for (let k = 0; k <= retransmits; k++) {
    const fromNow = rtoJiffies < max ? rtoJiffies / 2 ** (retransmits - k) : min * 2 ** k;
    rtos.push(Math.min(Math.max(Math.round(fromNow), min), max));
  }
  return rtos;
}

/* ---------------------------------------------------------------------------------------------
 * Zero-window probes. A peer whose receive window is closed is probed by the persist timer; ACKs
 * to the probes keep the connection alive indefinitely (RFC 1122 4.2.2.17). Once the peer falls
 * silent the unanswered probes count up and tcp_retries2 of them end it.
 * ------------------------------------------------------------------------------------------- */

/** ilog2(TCP_RTO_MAX / TCP_RTO_MIN) + 1: tcp_probe0_when's cap on the backoff shift. */
const PROBE0_MAX_SHIFT = Math.floor(Math.log2(RTO_MAX_MS / RTO_MIN_MS)) + 1;

/** tcp_probe0_base: max(icsk_rto, TCP_RTO_MIN). */
export function probe0Base(rtoJiffies: number, hz: number): number {
  return Math.max(rtoJiffies, msToJiffies(RTO_MIN_MS, hz));
}

/** tcp_probe0_when: base << min(backoff, cap), at most TCP_RTO_MAX. */
export function probe0When(rtoJiffies: number, backoff: number, hz: number): number {
  return Math.min(probe0Base(rtoJiffies, hz) * 2 ** Math.min(backoff, PROBE0_MAX_SHIFT), msToJiffies(RTO_MAX_MS, hz));
}

/**
 * tcp_clamp_probe0_to_user_timeout: with TCP_USER_TIMEOUT and the first probe's time known, the
 * next probe comes no later than the user timeout's end (at least TCP_TIMEOUT_MIN, 2 jiffies).
 */
export function clampProbe0ToUserTimeout(whenJiffies: number, input: { userTimeoutMs: number; elapsedJiffies: number | null; hz: number }): number {
  if (input.userTimeoutMs <= 0 || input.elapsedJiffies === null) return whenJiffies;
  const remaining = Math.max(msToJiffies(input.userTimeoutMs, input.hz) - Math.max(0, input.elapsedJiffies), 2);
  return Math.min(remaining, whenJiffies);
}

export interface ZeroWindowInputs {
  /** The probe timer's requested expiry (absolute jiffies). */
  timerExpiresJiffies: number;
  timerArmedDistanceJiffies: number;
  /** icsk_rto (jiffies): the probes' base. */
  rtoJiffies: number;
  /** icsk_backoff. */
  backoff: number;
  /** icsk_probes_out: probes unanswered so far. */
  probesOut: number;
  /** icsk_probes_tstamp: the first probe firing (absolute jiffies); null before it. */
  probesStampJiffies: number | null;
  retries2: number;
  userTimeoutMs: number;
  hz: number;
}

/**
 * tcp_probe_timer, firing by firing, for a peer that answers nothing from now on: the user
 * timeout is checked once the first probe's time is known, then the count of unanswered probes
 * against tcp_retries2; otherwise tcp_send_probe0 sends one, backs off (up to tcp_retries2) and
 * re-arms at tcp_probe0_when, clamped to the user timeout.
 */
export function zeroWindowTimeline(input: ZeroWindowInputs, rounding: Rounding): UnackedTimeline {
  const { hz, retries2, userTimeoutMs } = input;
  const sendsAt: number[] = [];
  let probesOut = input.probesOut;
  let backoff = input.backoff;
  let stamp = input.probesStampJiffies;
  let at = firesAt(input.timerExpiresJiffies, input.timerArmedDistanceJiffies, hz, rounding);
  for (let firing = 0; firing < MAX_FIRINGS; firing++) {
    if (stamp === null) stamp = at;
    else if (userTimeoutMs > 0 && at - stamp >= msToJiffies(userTimeoutMs, hz)) return { sendsAt, dropAt: at, reason: 'user-timeout' };
    if (probesOut >= retries2) return { sendsAt, dropAt: at, reason: 'zero-window' };
    sendsAt.push(at);
    probesOut++;
    if (backoff < retries2) backoff++;
    const when = clampProbe0ToUserTimeout(probe0When(input.rtoJiffies, backoff, hz), { userTimeoutMs, elapsedJiffies: at - stamp, hz });
    at = firesAt(at + when, when, hz, rounding);
  }
  return { sendsAt, dropAt: at, reason: 'zero-window' };
}

/**
 * The rules of ./shared/projection/linux/retransmit.ts, one kernel function each (net/ipv4/
 * tcp_timer.c, tcp_output.c, include/net/tcp.h), at HZ=250: 1 jiffy = 4 ms, an RTO of 204 ms =
 * 51 jiffies (a loopback RTO: TCP_RTO_MIN plus a little RTT, rounded up to a jiffy).
 */
import { describe, expect, it } from 'vitest';
import {
  backedOffRto,
  clampProbe0ToUserTimeout,
  clampRtoToUserTimeout,
  msToJiffies,
  pastRtos,
  probe0Base,
  probe0When,
  retransmitsTimedOut,
  retransmitTimeline,
  tcpModelTimeoutMs,
  zeroWindowTimeline,
  type RetransmitInputs,
  type ZeroWindowInputs,
} from '../../../../shared/projection/linux/retransmit';

const HZ = 250;

describe('tcp_model_timeout', () => {
  it('doubles from TCP_RTO_MIN up to ilog2(TCP_RTO_MAX / TCP_RTO_MIN) = 9 retries, then adds TCP_RTO_MAX per retry', () => {
    expect([3, 4, 5, 6].map((r) => tcpModelTimeoutMs(r))).toEqual([3000, 6200, 12_600, 25_400]);
    expect(tcpModelTimeoutMs(9)).toBe(204_600);
    expect(tcpModelTimeoutMs(10)).toBe(204_600 + 120_000);
    expect(tcpModelTimeoutMs(15)).toBe(924_600);
  });
});

describe('retransmits_timed_out (as tcp_write_timeout calls it)', () => {
  it('is never true before the first retransmission, however long ago the data went out', () => {
    expect(retransmitsTimedOut({ retransmits: 0, elapsedMs: 10_000_000, retries2: 3, userTimeoutMs: 0 })).toBe(false);
  });

  it('measures from retrans_stamp against the modelled time of tcp_retries2 retransmissions', () => {
    expect(retransmitsTimedOut({ retransmits: 3, elapsedMs: 2999, retries2: 3, userTimeoutMs: 0 })).toBe(false);
    expect(retransmitsTimedOut({ retransmits: 3, elapsedMs: 3000, retries2: 3, userTimeoutMs: 0 })).toBe(true);
  });

  it('with TCP_USER_TIMEOUT uses only that: tcp_retries2 is not consulted', () => {
    expect(retransmitsTimedOut({ retransmits: 9, elapsedMs: 5000, retries2: 3, userTimeoutMs: 7000 })).toBe(false);
    expect(retransmitsTimedOut({ retransmits: 1, elapsedMs: 7000, retries2: 15, userTimeoutMs: 7000 })).toBe(true);
  });
});

describe('tcp_clamp_rto_to_user_timeout', () => {
  it('leaves the RTO alone without a user timeout', () => {
    expect(clampRtoToUserTimeout(400, { userTimeoutMs: 0, elapsedMs: 1e9, hz: HZ })).toBe(400);
  });

  it('cuts it to what is left of the user timeout, rounded up to a jiffy, and to 1 jiffy once it has passed', () => {
    expect(clampRtoToUserTimeout(400, { userTimeoutMs: 7000, elapsedMs: 6001, hz: HZ })).toBe(250); // 999 ms → 249.75 → 250
    expect(clampRtoToUserTimeout(100, { userTimeoutMs: 7000, elapsedMs: 1000, hz: HZ })).toBe(100);
    expect(clampRtoToUserTimeout(400, { userTimeoutMs: 7000, elapsedMs: 7000, hz: HZ })).toBe(1);
  });
});

describe('tcp_retransmit_timer backoff', () => {
  it('doubles icsk_rto up to TCP_RTO_MAX', () => {
    expect(backedOffRto(51, HZ)).toBe(102);
    expect(backedOffRto(20_000, HZ)).toBe(30_000); // 120 s
  });

  it('reconstructs the RTOs of the firings so far by halving, from TCP_RTO_MIN once at TCP_RTO_MAX', () => {
    expect(pastRtos(408, 3, HZ)).toEqual([51, 102, 204, 408]);
    expect(pastRtos(30_000, 2, HZ)).toEqual([50, 100, 200]);
  });
});

describe('retransmitTimeline (tcp_retransmit_timer, firing by firing)', () => {
  // Sent at jiffy 0; the first RTO timer armed then, 51 jiffies ahead; tcp_retries2 = 3. No
  // retransmission yet, so no retrans_stamp: the first one sets it.
  const fresh: RetransmitInputs = {
    timerExpiresJiffies: 51,
    timerArmedDistanceJiffies: 51,
    rtoJiffies: 51,
    retransmits: 0,
    retransStampJiffies: null,
    retries2: 3,
    userTimeoutMs: 0,
    hz: HZ,
  };

  it('measures the limit from the first retransmission, each re-arm rounded up by its wheel level', () => {
    const t = retransmitTimeline(fresh, 'exact');
    // 51 → 52 (level 0, +1), the first retransmission: retrans_stamp. 52+102=154 → 160 (gran 8);
    // 160+204=364 → 368; 368+408=776 → 784, where 2928 ms have passed since 52, under 3000: a
    // fourth retransmission; 784+816=1600 → 1664 (level 2, gran 64), past 3000 ms: it gives up.
    expect(t.sendsAt).toEqual([52, 160, 368, 784]);
    expect(t.dropAt).toBe(1664);
    expect(t.reason).toBe('retransmit');
    // The textbook, first send + 15 × 204 ms = 3060 ms (jiffy 765), is 3.6 s early here.
    expect((t.dropAt - 765) * 4).toBe(3596);
  });

  it('gives the same answer from a later moment, with the retransmissions made so far and their stamp', () => {
    const later = retransmitTimeline({ ...fresh, timerExpiresJiffies: 364, timerArmedDistanceJiffies: 204, rtoJiffies: 204, retransmits: 2, retransStampJiffies: 52 }, 'exact');
    expect(later.sendsAt).toEqual([368, 784]);
    expect(later.dropAt).toBe(1664);
  });

  it('gives up after fewer retransmissions when the RTO started above TCP_RTO_MIN: the limit is a time, not a count', () => {
    // RTO 1 s (level 1, gran 8): retransmissions at 256 and 760; at 1792 more than 3000 ms have passed since 256.
    const t = retransmitTimeline({ ...fresh, timerExpiresJiffies: 250, timerArmedDistanceJiffies: 250, rtoJiffies: 250 }, 'exact');
    expect(t.sendsAt).toEqual([256, 760]);
    expect(t.dropAt).toBe(1792);
  });

  it('with TCP_USER_TIMEOUT the clamped last timer fires at the timeout, rounded by its level, and that firing drops it', () => {
    const t = retransmitTimeline({ ...fresh, retries2: 15, userTimeoutMs: 7000 }, 'exact');
    expect(t.reason).toBe('user-timeout');
    // Firings 52 (the stamp), 160, 368, 784, 1664. There 552 ms are left of the 7000: the clamped
    // timer goes 138 jiffies ahead to 1802 (level 1, gran 8) and fires at 1808, 7024 ms after the stamp.
    expect(t.sendsAt).toEqual([52, 160, 368, 784, 1664]);
    expect(t.dropAt).toBe(1808);
  });

  it('the earliest and latest roundings bracket the exact one', () => {
    const [earliest, exact, latest] = (['earliest', 'exact', 'latest'] as const).map((r) => retransmitTimeline(fresh, r).dropAt);
    expect(earliest).toBeLessThanOrEqual(exact!);
    expect(latest).toBeGreaterThanOrEqual(exact!);
  });
});

describe('zero-window probes (tcp_probe_timer, tcp_send_probe0)', () => {
  it('tcp_probe0_base is the RTO, at least TCP_RTO_MIN; tcp_probe0_when shifts it by the backoff, up to TCP_RTO_MAX', () => {
    expect(probe0Base(20, HZ)).toBe(50);
    expect(probe0Base(51, HZ)).toBe(51);
    expect([0, 1, 2, 3].map((b) => probe0When(51, b, HZ))).toEqual([51, 102, 204, 408]);
    expect(probe0When(51, 15, HZ)).toBe(30_000);
  });

  it('tcp_clamp_probe0_to_user_timeout: no later than the user timeout, and not sooner than 2 jiffies', () => {
    expect(clampProbe0ToUserTimeout(400, { userTimeoutMs: 3000, elapsedJiffies: null, hz: HZ })).toBe(400);
    expect(clampProbe0ToUserTimeout(400, { userTimeoutMs: 3000, elapsedJiffies: 600, hz: HZ })).toBe(150);
    expect(clampProbe0ToUserTimeout(400, { userTimeoutMs: 3000, elapsedJiffies: 900, hz: HZ })).toBe(2);
    expect(msToJiffies(3000, HZ)).toBe(750);
  });

  const probing: ZeroWindowInputs = {
    timerExpiresJiffies: 51,
    timerArmedDistanceJiffies: 51,
    rtoJiffies: 51,
    backoff: 0,
    probesOut: 0,
    probesStampJiffies: null,
    retries2: 3,
    userTimeoutMs: 0,
    hz: HZ,
  };

  it('sends tcp_retries2 unanswered probes, backing off, and drops at the next firing', () => {
    const t = zeroWindowTimeline(probing, 'exact');
    // 51 → 52; +102 → 160; +204 → 368; +408 → 784
    expect(t.sendsAt).toEqual([52, 160, 368]);
    expect(t.dropAt).toBe(784);
    expect(t.reason).toBe('zero-window');
  });

  it('after probes a live peer answered (probes out back at 0), the backoff stays and the count starts again', () => {
    const t = zeroWindowTimeline({ ...probing, backoff: 3, probesOut: 0, probesStampJiffies: 0, timerExpiresJiffies: 1000, timerArmedDistanceJiffies: 408 }, 'exact');
    expect(t.sendsAt).toHaveLength(3);
    expect(t.reason).toBe('zero-window');
  });

  it('with TCP_USER_TIMEOUT, ends once that long has passed since the first probe', () => {
    const t = zeroWindowTimeline({ ...probing, retries2: 15, userTimeoutMs: 3000 }, 'exact');
    expect(t.reason).toBe('user-timeout');
    expect(t.dropAt - 52).toBeGreaterThanOrEqual(750);
    expect(t.dropAt - 52).toBeLessThan(750 + 64);
  });
});

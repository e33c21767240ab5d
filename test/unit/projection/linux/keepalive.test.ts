import { describe, expect, it } from 'vitest';
import { keepaliveTimeline, type KeepaliveInputs } from '../../../../shared/projection/linux/keepalive';

/** time=2 s, intvl=1 s, probes=3 at HZ=250; last receipt at jiffy 0, timer armed at receipt. */
const fresh: KeepaliveInputs = {
  timerExpiresJiffies: 500,
  timerArmedDistanceJiffies: 500,
  probesSent: 0,
  lastReceiveJiffies: 0,
  timeJiffies: 500,
  intervalJiffies: 250,
  probes: 3,
  userTimeoutJiffies: 0,
  hz: 250,
};

describe('keepaliveTimeline', () => {
  it('probes `probes` times, `intvl` apart, and drops at time + probes × intvl (earliest rounding)', () => {
    const t = keepaliveTimeline(fresh, 'earliest');
    expect(t.probesAt).toEqual([501, 752, 1003]);
    expect(t.dropAt).toBe(1254);
    expect(t.reason).toBe('keepalive');
  });

  it('places every firing on the wheel bucket when the phase is known', () => {
    const t = keepaliveTimeline(fresh, 'exact');
    // 500 → 504 (gran 8); 504+250=754 → 760; 1010 → 1016; 1266 → 1272
    expect(t.probesAt).toEqual([504, 760, 1016]);
    expect(t.dropAt).toBe(1272);
  });

  it('counts probes already sent: 2 of 3 sent leaves one more probe, then the drop', () => {
    const t = keepaliveTimeline({ ...fresh, timerExpiresJiffies: 1000, timerArmedDistanceJiffies: 250, probesSent: 2 }, 'earliest');
    expect(t.probesAt).toEqual([1001]);
    expect(t.dropAt).toBe(1252);
  });

  it('drops at the next firing when all probes are already out', () => {
    const t = keepaliveTimeline({ ...fresh, timerExpiresJiffies: 1250, timerArmedDistanceJiffies: 250, probesSent: 3 }, 'earliest');
    expect(t.probesAt).toEqual([]);
    expect(t.dropAt).toBe(1251);
  });

  it('re-arms for the rest of `time` when the timer fires before the connection was idle that long', () => {
    // Timer armed at jiffy 0 for 500, but data arrived at jiffy 300: it re-arms to 300 + 500.
    const t = keepaliveTimeline({ ...fresh, lastReceiveJiffies: 300 }, 'earliest');
    expect(t.probesAt[0]).toBe(801);
    expect(t.dropAt).toBe(801 + 3 * 251);
  });

  it('with TCP_USER_TIMEOUT kills at the first firing past the timeout once a probe went out, ignoring the count', () => {
    // U = 3.5 s (875 jiffies): probes at 501, 752, kill check at 1003 (idle 1003 ≥ 875).
    const t = keepaliveTimeline({ ...fresh, probes: 9, userTimeoutJiffies: 875 }, 'earliest');
    expect(t.probesAt).toEqual([501, 752]);
    expect(t.dropAt).toBe(1003);
    expect(t.reason).toBe('user-timeout');
  });

  it('with a user timeout shorter than `time` still sends one probe before killing', () => {
    const t = keepaliveTimeline({ ...fresh, userTimeoutJiffies: 100 }, 'earliest');
    expect(t.probesAt).toEqual([501]);
    expect(t.dropAt).toBe(752);
  });

  it('extrapolates a very long user timeout instead of looping forever', () => {
    const t = keepaliveTimeline({ ...fresh, probes: 9, userTimeoutJiffies: 250 * 86_400 }, 'earliest');
    expect(t.dropAt).toBeGreaterThanOrEqual(250 * 86_400);
    expect(t.dropAt).toBeLessThan(250 * 86_400 + 2 * 251);
  });
});

import { describe, expect, it } from 'vitest';
import { explainClock, explainConnection, explainPrecision, explainSettings, type ExplainContext } from '../../../shared/explain';
import { formatClockTime } from '../../../shared/time-format';
import { EXACT_CLOCK, known, NOW, SETTINGS, WINDOW_CLOCK } from '../../fixtures/connection';

const ctx = (over: Partial<ExplainContext> = {}): ExplainContext => ({ now: NOW, settings: SETTINGS, rules: [], ...over });
const t = (offsetMs: number) => formatClockTime(NOW + offsetMs, NOW);

describe('explainSettings', () => {
  it('says when a silent peer is detected with the Linux defaults, naming the sysctls', () => {
    const words = explainSettings({ os: 'linux', timeSec: 7200, intervalSec: 75, probes: 9, retries2: 15 });
    expect(words.detection).toBe('A silent peer is detected 2 h 11 min after its last packet (7200 s idle, then 9 probes 75 s apart).');
    expect(words.settings.map((s) => [s.name, s.value])).toEqual([
      ['tcp_keepalive_time', '7200 s'],
      ['tcp_keepalive_intvl', '75 s'],
      ['tcp_keepalive_probes', '9'],
      ['tcp_retries2', '15'],
    ]);
    const retries = words.settings[3]!.meaning;
    expect(retries).toContain('retransmitted 15 times');
    expect(retries).toContain('about 15 min 25 s');
    expect(words.scope).toContain('network namespace');
  });

  it('says "probe" for a single probe', () => {
    expect(explainSettings({ ...SETTINGS, probes: 1 }).detection).toContain('then 1 probe 60 s apart');
  });

  it('names the macOS sysctls in their own unit, and what always_keepalive does', () => {
    const words = explainSettings({ os: 'darwin', keepIdleMs: 7_200_000, keepIntervalMs: 75_000, keepCount: 8, alwaysKeepalive: false });
    expect(words.detection).toBe('A silent peer is detected 2 h 10 min after its last packet (7200 s idle, then 8 probes 75 s apart).');
    expect(words.settings.map((s) => [s.name, s.value])).toEqual([
      ['net.inet.tcp.keepidle', '7,200,000 ms'],
      ['net.inet.tcp.keepintvl', '75,000 ms'],
      ['net.inet.tcp.keepcnt', '8'],
      ['net.inet.tcp.always_keepalive', 'off'],
    ]);
    expect(words.settings.map((s) => s.name).join()).not.toContain('tcp_retries2');
  });

  it('names the Windows registry values and the fixed probe count', () => {
    const words = explainSettings({ os: 'win32', keepAliveTimeMs: 7_200_000, keepAliveIntervalMs: 1000, probes: 10 });
    expect(words.detection).toBe('A silent peer is detected 2 h after its last packet (7200 s idle, then 10 probes 1 s apart).');
    expect(words.settings.map((s) => [s.name, s.value])).toEqual([
      ['KeepAliveTime', '7,200,000 ms'],
      ['KeepAliveInterval', '1,000 ms'],
      ['Probes', '10 (fixed)'],
    ]);
    expect(words.scope).toContain('registry');
  });
});

describe('explainClock and explainPrecision', () => {
  it('tells exact projections from windows, and how to get exact ones', () => {
    expect(explainClock(EXACT_CLOCK)).toMatchObject({ headline: 'Exact times.' });
    expect(explainClock(EXACT_CLOCK).text).toContain('known');
    expect(explainClock(WINDOW_CLOCK).text).toContain('Run as root for exact times.');
  });

  it('says a system without visible timers gets modelled times', () => {
    expect(explainClock({ kind: 'none' })).toMatchObject({ headline: 'Modelled times.' });
    expect(explainPrecision('model')).toMatch(/^Modelled/);
    expect(explainPrecision('exact')).toMatch(/^Exact/);
    expect(explainPrecision('window')).toMatch(/^A window/);
  });
});

describe('explainConnection', () => {
  it('walks a fresh idle keepalive connection from its last packet to the reset window', () => {
    const lines = explainConnection(known({ effective: { timeSec: 600, intervalSec: 60, probes: 5, userTimeoutMs: 0, source: 'socket' } }), ctx());
    expect(lines).toEqual([
      'Keepalive is on with 600 s / 60 s × 5 (read from the socket). No packet from the peer for 4 min 12 s.',
      `The kernel sends the first probe in 5 min 48 s (${t(348_000)}) and, if none is answered, resets the connection 5 min after that (${t(648_000)}).`,
      `The timer wheel rounds each firing up, so the reset lands between ${t(639_000)} and ${t(657_000)}.`,
    ]);
  });

  it('says when the values are assumed from the sysctls rather than read from the socket', () => {
    expect(explainConnection(known(), ctx())[0]).toContain("assumed from the system settings; run as root to read the socket's own");
  });

  it('names the one moment when the projection is exact', () => {
    const lines = explainConnection(known({ precision: 'exact' }), ctx());
    expect(lines[2]).toContain(`the reset lands at ${t(648_000)}`);
  });

  it('gives a sub-second window as one moment and how much the wheel may add', () => {
    const lines = explainConnection(known({ dropAt: NOW + 5000, nextProbeAt: NOW + 2000, dropWindow: [NOW + 5000, NOW + 5180] }), ctx());
    expect(lines[2]).toBe(`The timer wheel rounds each firing up, here by at most 180 ms: the reset lands at ${t(5000)}.`);
  });

  it('says a peer heard within the last second was heard just now, not "0 ms" ago', () => {
    expect(explainConnection(known({ idleMs: 300 }), ctx())[0]).toContain('The peer was heard from less than a second ago.');
  });

  it('counts the time since the poll into the idle time', () => {
    expect(explainConnection(known(), ctx({ now: NOW + 8000 }))[0]).toContain('No packet from the peer for 4 min 20 s.');
  });

  it('counts unanswered probes and gives the next one and the reset', () => {
    const lines = explainConnection(known({ probesSent: 2, nextProbeAt: NOW + 30_000, dropAt: NOW + 210_000 }), ctx());
    expect(lines[1]).toBe(
      `2 probes went unanswered so far. The next goes out in 30 s (${t(30_000)}); if the peer stays silent the kernel resets the connection in 3 min 30 s (${t(210_000)}).`,
    );
  });

  it('explains that a connection without keepalive is never probed, and suggests a rule', () => {
    const lines = explainConnection(
      known({ keepalive: false, timer: 'none', nextProbeAt: null, dropAt: null, dropWindow: null, dropReason: null }),
      ctx(),
    );
    expect(lines[0]).toMatch(/^Keepalive is off: the kernel never probes this connection/);
    expect(lines[1]).toContain('add a rule');
  });

  it('names the middlebox rule, its timeout, and why the connection is at risk', () => {
    const lines = explainConnection(
      known({ dropReason: 'middlebox', dropBy: 'AWS NAT Gateway', dropAt: NOW + 98_000, dropWindow: [NOW + 98_000, NOW + 98_000], nextProbeAt: null, atRisk: true }),
      ctx({ rules: [{ id: 'r', name: 'AWS NAT Gateway', kind: 'middlebox', idleTimeoutSec: 350, match: {}, enabled: true }] }),
    );
    expect(lines[1]).toBe(`“AWS NAT Gateway” is a middlebox on the path that forgets a flow idle after 5 min 50 s. It forgets this one in 1 min 38 s (${t(98_000)}).`);
    expect(lines[2]).toContain('before the first keepalive probe');
    expect(lines).toHaveLength(3); // no timer-wheel window for a rule's drop
  });

  it('says what an overdue middlebox drop means for the next packet', () => {
    const lines = explainConnection(known({ dropReason: 'middlebox', dropBy: 'NAT', dropAt: NOW - 5000, nextProbeAt: null, atRisk: true }), ctx());
    expect(lines[1]).toContain('the next packet either way is lost or answered with a reset');
  });

  it('explains that keepalive does not help against an application idle timeout', () => {
    const lines = explainConnection(known({ dropReason: 'application', dropBy: 'nginx', dropAt: NOW + 20_000, atRisk: true }), ctx());
    expect(lines.at(-1)).toBe('Keepalive probes carry no data, so they do not keep it open.');
  });

  it('hands a connection with unacknowledged data to retransmission: retransmissions left, the last one, the give-up', () => {
    const lines = explainConnection(
      known({
        timer: 'retransmit',
        sendQueue: 1448,
        retransmits: 3,
        rtoMs: 1600,
        dropReason: 'retransmit',
        probesAt: [NOW + 1600, NOW + 4800, NOW + 11_200],
        nextProbeAt: NOW + 1600,
        dropAt: NOW + 24_000,
        dropWindow: [NOW + 23_900, NOW + 24_300],
      }),
      ctx(),
    );
    expect(lines[0]).toBe(
      '1448 bytes sent are not acknowledged yet; the retransmission timer has resent them 3 times and now waits 1.6 s between tries, doubling each time. Keepalive does not probe while data is in flight: retransmission decides.',
    );
    expect(lines[1]).toBe(
      'If nothing is acknowledged, the kernel gives up once the time tcp_retries2 = 15 retransmissions take from the minimum timeout (15 min 25 s) has passed since the data was first sent: ' +
        `3 more retransmissions, the last in 12 s (${t(11_200)}), then the timer's next firing resets the connection in 24 s (${t(24_000)}).`,
    );
    expect(lines[2]).toBe(
      `The timer wheel rounds each firing up, and the moment the kernel counts from is not known to the jiffy: the drop may land between ${t(23_900)} and ${t(24_300)}.`,
    );
  });

  it('says when no retransmission is left, and that TCP_USER_TIMEOUT replaces tcp_retries2', () => {
    const effective = { timeSec: 7200, intervalSec: 75, probes: 9, userTimeoutMs: 7000, source: 'socket' as const };
    const lines = explainConnection(
      known({ timer: 'retransmit', sendQueue: 10, retransmits: 5, rtoMs: 6400, dropReason: 'user-timeout', probesAt: [], nextProbeAt: null, dropAt: NOW + 800, dropWindow: null, effective }),
      ctx(),
    );
    expect(lines[1]).toBe(
      `TCP_USER_TIMEOUT (7 s) ends it first, counted from when the data was first sent (it replaces tcp_retries2): if nothing is acknowledged, no retransmission is left: the timer's next firing resets the connection now (${t(800)}).`,
    );
  });

  it('explains zero-window probing: a live peer keeps it open, a silent one gets tcp_retries2 probes', () => {
    const lines = explainConnection(
      known({ timer: 'probe', sendQueue: 65_536, probesSent: 1, dropReason: 'zero-window', probesAt: [NOW + 800, NOW + 2400], nextProbeAt: NOW + 800, dropAt: NOW + 5600, dropWindow: null }),
      ctx(),
    );
    expect(lines[0]).toBe(
      "The peer's receive window is closed: the zero-window probe timer probes it (1 probe unanswered so far) instead of keepalive. While the peer answers, the connection stays open however long its window stays shut.",
    );
    expect(lines[1]).toBe(
      `If the peer falls silent the kernel gives up after tcp_retries2 = 15 unanswered probes: 2 more probes, the last in 3 s (${t(2400)}), then the timer's next firing resets the connection in 6 s (${t(5600)}).`,
    );
  });

  it('says a modelled reset is expected, not fired by a timer wheel', () => {
    const lines = explainConnection(known({ precision: 'model' }), ctx());
    expect(lines[2]).toBe(`The reset follows the system's documented algorithm, not its timers: expect it between ${t(639_000)} and ${t(657_000)}.`);
  });

  it('names no Linux sysctl for the retransmission limit of another system', () => {
    const lines = explainConnection(
      known({ timer: 'retransmit', sendQueue: 10, dropReason: 'retransmit', dropAt: NOW + 60_000, nextProbeAt: null }),
      ctx({ settings: { os: 'darwin', keepIdleMs: 7_200_000, keepIntervalMs: 75_000, keepCount: 8, alwaysKeepalive: false } }),
    );
    expect(lines[1]).toBe(`If nothing is acknowledged, the kernel gives up after its limit of retransmissions, in 1 min (${t(60_000)}).`);
  });

  it('shows a rule named with a bidi override escaped, so it cannot reverse the sentence', () => {
    const lines = explainConnection(
      known({ dropReason: 'middlebox', dropBy: '\u202eevil.exe', dropAt: NOW + 98_000, dropWindow: [NOW + 98_000, NOW + 98_000], nextProbeAt: null, atRisk: true }),
      ctx(),
    );
    expect(lines[1]).toMatch(/^“\\u202eevil\.exe” is a middlebox/);
    expect(lines.join('')).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
  });

  it('says a listening socket has nothing to probe', () => {
    expect(explainConnection(known({ state: 'LISTEN' }), ctx())).toEqual(['A listening socket has no peer: there is nothing to probe and nothing to drop.']);
  });
});

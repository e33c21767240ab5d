import { describe, expect, it } from 'vitest';
import type { Clock, LinuxSettings, SocketFacts } from '../../../shared/model';
import { linuxProjector } from '../../../shared/projection/linux/linux-projector';
import { projectConnection, type ProjectionContext } from '../../../shared/projection/project';
import { tcpModelTimeoutMs } from '../../../shared/projection/linux/retransmit';
import { compileRules, everyConnectionRule, type IdleRule } from '../../../shared/rules';
import { connection } from '../../fixtures/connection';

const NOW = 1_800_000_000_000;
/** HZ=250 with jiffy 0 beginning exactly at NOW: jiffy j begins at NOW + 4j ms. */
const CLOCK: Clock = { kind: 'tick', hz: 250, anchor: { tick: 0, epochMs: NOW } };
const SETTINGS: LinuxSettings = { os: 'linux', timeSec: 600, intervalSec: 60, probes: 5, retries2: 15 };

function ctx(over: Partial<ProjectionContext> = {}): ProjectionContext {
  return { now: NOW, settings: SETTINGS, clock: CLOCK, projector: linuxProjector, rules: [], ...over };
}

/** A middlebox that forgets every flow idle for `sec`. */
const middlebox = (sec: number) => compileRules([everyConnectionRule('middlebox', sec, `NAT ${sec}s`)]);

/** An established, keepalive-on connection last heard from `idleMs` ago, its timer armed at that moment. */
function facts(over: Partial<SocketFacts> = {}): SocketFacts {
  const idleMs = over.idleMs ?? 1000;
  // The shared fixture without its projection: what the adapter hands to the projector.
  const { nextProbeAt: _n, probesAt: _p, dropAt: _d, dropWindow: _w, dropReason: _r, dropBy: _b, atRisk: _a, precision: _c, effective: _e, ...base } = connection({
    timerExpiresAt: NOW - idleMs + SETTINGS.timeSec * 1000,
    idleMs,
    lastSendMs: idleMs,
    lastDataMs: idleMs,
  });
  return { ...base, ...over };
}

const textbookDrop = (lastRx: number, s = SETTINGS) =>
  lastRx + (s.timeSec + s.probes * s.intervalSec) * 1000;

describe('projectConnection: keepalive', () => {
  it('a fresh idle connection is probed `time` after its last activity and dropped probes × intvl later', () => {
    const p = projectConnection(facts(), ctx());
    const lastRx = NOW - 1000;
    expect(p.dropReason).toBe('keepalive');
    // The wheel rounds each firing up: the 600 s timer by ≤16.4 s, each 60 s interval by ≤2 s.
    expect(p.nextProbeAt! - (lastRx + 600_000)).toBeGreaterThan(0);
    expect(p.nextProbeAt! - (lastRx + 600_000)).toBeLessThanOrEqual(16_384);
    expect(p.dropAt! - textbookDrop(lastRx)).toBeGreaterThan(0);
    expect(p.dropAt! - textbookDrop(lastRx)).toBeLessThanOrEqual(16_384 + 5 * 2048);
  });

  it('carries every probe still to come, an interval apart, before the drop', () => {
    const p = projectConnection(facts(), ctx());
    expect(p.probesAt).toHaveLength(5);
    expect(p.probesAt[0]).toBe(p.nextProbeAt);
    for (let i = 1; i < 5; i++) {
      const gap = p.probesAt[i]! - p.probesAt[i - 1]!;
      // 60 s apart, each firing rounded up by at most the 60 s timer's 2.048 s granularity
      expect(gap).toBeGreaterThan(60_000 - 2048);
      expect(gap).toBeLessThanOrEqual(60_000 + 2048);
    }
    expect(p.probesAt[4]!).toBeLessThan(p.dropAt!);
  });

  it('says whether the moment is exact (clock phase known) or a window', () => {
    expect(projectConnection(facts(), ctx()).precision).toBe('exact');
    expect(projectConnection(facts(), ctx({ clock: { kind: 'tick', hz: 250, anchor: null } })).precision).toBe('window');
  });

  it('gives a window that holds the projected moment and spans the wheel rounding', () => {
    const p = projectConnection(facts(), ctx());
    const [earliest, latest] = p.dropWindow!;
    expect(earliest).toBeLessThanOrEqual(p.dropAt!);
    expect(latest).toBeGreaterThanOrEqual(p.dropAt!);
    expect(earliest - textbookDrop(NOW - 1000)).toBeLessThanOrEqual(4 * 6);
  });

  it('without the jiffies phase still projects a moment, inside a window around the textbook time', () => {
    const p = projectConnection(facts(), ctx({ clock: { kind: 'tick', hz: 250, anchor: null } }));
    const textbook = textbookDrop(NOW - 1000);
    expect(p.dropWindow![0]).toBeGreaterThanOrEqual(textbook);
    expect(p.dropWindow![1]).toBeGreaterThan(p.dropAt!);
    expect(p.dropAt!).toBeGreaterThan(p.dropWindow![0]);
  });

  it('with probes already sent, the drop is (probes − sent) intervals after the armed timer', () => {
    // 3 of 5 probes out; the interval timer fires at exactly jiffy 2500 (a multiple of its 512-jiffy granularity minus one).
    const timerExpiresAt = NOW + 2047 * 4;
    const p = projectConnection(
      facts({ probesSent: 3, timerExpiresAt, idleMs: 600_000 + 3 * 60_000 }),
      ctx(),
    );
    // firing 1 (probe 4) at bucket(2047)=2048; probe 5 one ~60 s interval later; then the drop.
    expect(p.nextProbeAt).toBe(NOW + 2048 * 4);
    expect(p.dropAt! - p.nextProbeAt!).toBeGreaterThanOrEqual(2 * 60_000);
    expect(p.dropAt! - p.nextProbeAt!).toBeLessThanOrEqual(2 * 62_048);
  });

  it('a socket with keepalive off is never probed and, without a middlebox, never dropped', () => {
    const p = projectConnection(facts({ keepalive: false, timer: 'none', timerExpiresAt: null }), ctx());
    expect(p.nextProbeAt).toBeNull();
    expect(p.dropAt).toBeNull();
    expect(p.dropReason).toBeNull();
  });

  it('infers keepalive from the armed timer when the socket could not be read', () => {
    const on = projectConnection(facts({ keepalive: null }), ctx());
    expect(on.nextProbeAt).not.toBeNull();
    const off = projectConnection(facts({ keepalive: null, timer: 'none', timerExpiresAt: null }), ctx());
    expect(off.nextProbeAt).toBeNull();
  });

  it('says it assumed the namespace sysctls when per-socket values are unknown', () => {
    expect(projectConnection(facts(), ctx()).effective).toEqual({
      timeSec: 600,
      intervalSec: 60,
      probes: 5,
      userTimeoutMs: 0,
      source: 'assumed',
    });
  });

  it('uses per-socket TCP_KEEPIDLE / KEEPINTVL / KEEPCNT when the socket was read', () => {
    const socketKeepalive = { timeSec: 30, intervalSec: 1, probes: 10, userTimeoutMs: 0 };
    const p = projectConnection(
      facts({ socketKeepalive, timerExpiresAt: NOW - 1000 + 30_000 }),
      ctx(),
    );
    expect(p.effective.source).toBe('socket');
    expect(p.dropAt! - (NOW - 1000 + 40_000)).toBeGreaterThan(0);
    expect(p.dropAt! - (NOW - 1000 + 40_000)).toBeLessThan(2048 + 10 * 32 + 100);
  });

  it('with TCP_USER_TIMEOUT the kill comes at the first firing past it, whatever the probe count', () => {
    const socketKeepalive = { timeSec: 600, intervalSec: 60, probes: 9, userTimeoutMs: 700_000 };
    const p = projectConnection(facts({ socketKeepalive }), ctx());
    expect(p.dropReason).toBe('user-timeout');
    // probes at ~600 s and ~660 s; at ~720 s idle ≥ 700 s → killed, not after 9 probes.
    expect(p.dropAt! - (NOW - 1000)).toBeGreaterThan(720_000);
    expect(p.dropAt! - (NOW - 1000)).toBeLessThan(740_000);
  });

  it('does not project keepalive for listeners and TIME_WAIT sockets', () => {
    for (const state of ['LISTEN', 'TIME_WAIT', 'SYN_SENT'] as const) {
      const p = projectConnection(facts({ state }), ctx());
      expect(p.nextProbeAt).toBeNull();
      expect(p.dropAt).toBeNull();
    }
  });
});

describe('projectConnection: unacknowledged data', () => {
  it('is governed by retransmission (tcp_retries2), not keepalive', () => {
    const p = projectConnection(
      facts({ timer: 'retransmit', timerExpiresAt: NOW + 204, retransmits: 0, sendQueue: 1000, rtoMs: 204 }),
      ctx(),
    );
    expect(p.dropReason).toBe('retransmit');
    // What comes next is a retransmission, not a keepalive probe: 15 of them before the kernel gives up.
    expect(p.nextProbeAt).toBeGreaterThanOrEqual(NOW + 204);
    expect(p.probesAt).toHaveLength(15);
    // first sent at NOW; 15 retries from a ~200 ms RTO take about 924.6 s
    expect(p.dropAt! - NOW).toBeGreaterThan(900_000);
    expect(p.dropAt! - NOW).toBeLessThan(960_000);
  });

  it('models tcp_retries2 = 15 as 924.6 s and small retry counts as plain doubling', () => {
    expect(tcpModelTimeoutMs(15)).toBe(924_600);
    expect(tcpModelTimeoutMs(3)).toBe(3000);
  });

  it('with TCP_USER_TIMEOUT the drop comes that long after the first transmission', () => {
    const socketKeepalive = { timeSec: 7200, intervalSec: 75, probes: 9, userTimeoutMs: 30_000 };
    // two retransmissions so far: sent at NOW-600, RTOs 200 and 400 ms, now armed for 800 ms
    const p = projectConnection(
      facts({ timer: 'retransmit', timerExpiresAt: NOW + 800, retransmits: 2, rtoMs: 800, socketKeepalive }),
      ctx(),
    );
    expect(p.dropReason).toBe('user-timeout');
    // 30 s after the first transmission, which the wheel's rounding of each firing places a little before NOW - 600.
    expect(p.dropAt! - (NOW - 600 + 30_000)).toBeGreaterThanOrEqual(-100);
    expect(p.dropAt! - (NOW - 600 + 30_000)).toBeLessThanOrEqual(300);
    expect(p.dropWindow![0]).toBeLessThanOrEqual(p.dropAt!);
    expect(p.dropWindow![1]).toBeGreaterThanOrEqual(p.dropAt!);
  });
});

describe('projectConnection: the first retransmission dated by the kernel (tcpi_total_rto_time)', () => {
  const socketKeepalive = { timeSec: 7200, intervalSec: 75, probes: 9, userTimeoutMs: 7000 };
  // Two retransmissions so far, the timer armed for 816 ms; the first retransmission was about 420 ms ago.
  const base = { timer: 'retransmit' as const, timerExpiresAt: NOW + 816, retransmits: 2, rtoMs: 816, socketKeepalive };
  const exact = () => ctx({ clock: CLOCK }); // the kernel clock known

  it('counts the user timeout from that date, with a narrower window than the reconstruction gives', () => {
    const undated = projectConnection(facts(base), exact());
    const dated = projectConnection(facts({ ...base, rtoRecoveryStartedAt: NOW - 412 }), exact());
    expect(dated.dropReason).toBe('user-timeout');
    expect(dated.dropAt! - (NOW - 412 + 7000)).toBeGreaterThanOrEqual(0);
    expect(dated.dropAt! - (NOW - 412 + 7000)).toBeLessThanOrEqual(40);
    expect(dated.dropWindow![1] - dated.dropWindow![0]).toBeLessThan(undated.dropWindow![1] - undated.dropWindow![0]);
  });

  it('ignores a date the armed timer rules out, and projects as if there were none', () => {
    const undated = projectConnection(facts(base), exact());
    const absurd = projectConnection(facts({ ...base, rtoRecoveryStartedAt: NOW - 60_000 }), exact());
    expect(absurd.dropAt).toBe(undated.dropAt);
    expect(absurd.dropWindow).toEqual(undated.dropWindow);
  });
});

describe('projectConnection: middlebox', () => {
  it('a middlebox idle timeout shorter than the first probe drops it first, and marks it at risk', () => {
    // AWS NAT Gateway: 350 s; the kernel's first probe would come at 600 s.
    const p = projectConnection(facts({ idleMs: 10_000, lastSendMs: 10_000 }), ctx({ rules: middlebox(350) }));
    expect(p.dropReason).toBe('middlebox');
    expect(p.dropAt).toBe(NOW - 10_000 + 350_000);
    expect(p.atRisk).toBe(true);
    expect(p.nextProbeAt).toBeNull();
  });

  it('counts our own last send as activity the middlebox saw', () => {
    const p = projectConnection(facts({ idleMs: 100_000, lastSendMs: 5_000 }), ctx({ rules: middlebox(350) }));
    expect(p.dropAt).toBe(NOW - 5_000 + 350_000);
  });

  it('a middlebox timeout longer than the first probe is refreshed by the probes', () => {
    const p = projectConnection(facts(), ctx({ rules: middlebox(1200) }));
    expect(p.dropReason).toBe('keepalive');
    expect(p.atRisk).toBe(false);
  });

  it('a middlebox timeout shorter than the probe interval drops it between probes', () => {
    const p = projectConnection(facts(), ctx({ rules: middlebox(30) }));
    // 30 s < 600 s: at risk before the first probe
    expect(p.atRisk).toBe(true);
    const probing = projectConnection(
      facts({ socketKeepalive: { timeSec: 20, intervalSec: 45, probes: 5, userTimeoutMs: 0 }, timerExpiresAt: NOW - 1000 + 20_000 }),
      ctx({ rules: middlebox(30) }),
    );
    expect(probing.dropReason).toBe('middlebox');
    expect(probing.atRisk).toBe(false);
    expect(probing.dropAt! - probing.nextProbeAt!).toBe(30_000);
  });

  it('a connection with keepalive off is dropped by the middlebox after its idle timeout', () => {
    const p = projectConnection(
      facts({ keepalive: false, timer: 'none', timerExpiresAt: null, idleMs: 60_000, lastSendMs: 60_000 }),
      ctx({ rules: middlebox(240) }),
    );
    expect(p.dropAt).toBe(NOW + 180_000);
    expect(p.dropReason).toBe('middlebox');
    expect(p.atRisk).toBe(true);
  });
});

describe('projectConnection: idle-timeout rules', () => {
  const rule = (over: Partial<IdleRule>): IdleRule => ({
    id: 'r',
    name: 'rule',
    kind: 'middlebox',
    idleTimeoutSec: 350,
    match: {},
    enabled: true,
    ...over,
  });

  it('names the rule that drops the connection', () => {
    const p = projectConnection(facts({ idleMs: 10_000 }), ctx({ rules: compileRules([rule({ name: 'AWS NAT Gateway' })]) }));
    expect(p).toMatchObject({ dropReason: 'middlebox', dropBy: 'AWS NAT Gateway', atRisk: true });
  });

  it('an application closes after its idle timeout without data, even though keepalive probes flow', () => {
    // nginx keepalive_timeout 75 s; the kernel would first probe at 600 s
    const p = projectConnection(
      facts({ idleMs: 1_000, lastDataMs: 30_000 }),
      ctx({ rules: compileRules([rule({ name: 'nginx', kind: 'application', idleTimeoutSec: 75 })]) }),
    );
    expect(p).toMatchObject({ dropReason: 'application', dropBy: 'nginx', dropAt: NOW + 45_000, atRisk: true });
  });

  it('takes whichever rule closes first', () => {
    const rules = compileRules([
      rule({ name: 'GCP Cloud NAT', idleTimeoutSec: 1200 }),
      rule({ name: 'Azure LB', idleTimeoutSec: 240 }),
      rule({ name: 'Apache', kind: 'application', idleTimeoutSec: 300 }),
    ]);
    expect(projectConnection(facts({ idleMs: 0, lastDataMs: 0 }), ctx({ rules })).dropBy).toBe('Azure LB');
  });

  it('applies a rule only to the connections it matches: ports and networks', () => {
    const rules = compileRules([rule({ name: 'to db', match: { remotePort: 5432, remoteCidr: '10.0.0.0/8' } })]);
    expect(projectConnection(facts(), ctx({ rules })).dropBy).toBe('to db'); // 10.0.0.2:5432
    expect(projectConnection(facts({ remotePort: 443 }), ctx({ rules })).dropBy).toBeNull();
    expect(projectConnection(facts({ remoteAddress: '192.168.1.9' }), ctx({ rules })).dropBy).toBeNull();
    expect(projectConnection(facts({ remoteAddress: '::ffff:10.9.9.9' }), ctx({ rules })).dropBy).toBe('to db');
    const local = compileRules([rule({ name: 'web', match: { localPort: 40000 } })]);
    expect(projectConnection(facts(), ctx({ rules: local })).dropBy).toBe('web');
  });

  it('ignores disabled rules, and a rule whose network does not parse matches nothing', () => {
    expect(compileRules([rule({ enabled: false })])).toEqual([]);
    const broken = compileRules([rule({ match: { remoteCidr: '10.0.0.0/99' } })]);
    expect(projectConnection(facts(), ctx({ rules: broken })).dropBy).toBeNull();
  });
});


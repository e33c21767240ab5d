import { describe, expect, it } from 'vitest';
import type { Clock, Connection, LinuxSettings, SocketFacts, SocketKeepalive } from '../../../shared/model';
import { PRESETS, type KeepaliveProfile } from '../../../shared/profiles';
import { linuxProjector } from '../../../shared/projection/linux/linux-projector';
import { projectConnection } from '../../../shared/projection/project';
import { changesLine, previewProfile, type WhatIfInput } from '../../../shared/projection/what-if';
import { compileRules, everyConnectionRule, type IdleRule } from '../../../shared/rules';
import { connection } from '../../fixtures/connection';

const NOW = 1_800_000_000_000;
/** HZ=250, jiffy 0 at NOW: the projector names the very jiffy each timer fires in. */
const CLOCK: Clock = { kind: 'tick', hz: 250, anchor: { tick: 0, epochMs: NOW } };
const DEFAULTS: LinuxSettings = { os: 'linux', timeSec: 7200, intervalSec: 75, probes: 9, retries2: 15 };
const SERVER_SETTINGS: LinuxSettings = { os: 'linux', timeSec: 600, intervalSec: 60, probes: 5, retries2: 15 };
const preset = (id: string) => PRESETS.find((p) => p.id === id)!;
const server = preset('server');

/** The wheel's granularity for a timer armed 7200 s ahead at HZ=250 (KEEPALIVE.md §7): 32768 jiffies. */
const GRAN_7200_MS = 131_072;

/** An established keepalive connection last heard from `idleMs` ago, its timer armed `armedSec` after that. */
function idle(idleMs: number, armedSec: number, over: Partial<Connection> = {}): Connection {
  return connection({
    id: over.id ?? `c${idleMs}-${armedSec}`,
    idleMs,
    lastSendMs: idleMs,
    lastDataMs: idleMs,
    timer: 'keepalive',
    timerExpiresAt: NOW - idleMs + armedSec * 1000,
    socketKeepalive: null,
    ...over,
  });
}

function input(connections: SocketFacts[], over: Partial<WhatIfInput> = {}): WhatIfInput {
  return { connections, settings: DEFAULTS, clock: CLOCK, now: NOW, projector: linuxProjector, rules: [], ...over };
}

const read = (timeSec: number, intervalSec: number, probes: number, userTimeoutMs = 0): SocketKeepalive => ({ timeSec, intervalSec, probes, userTimeoutMs });

describe('previewProfile: an armed keepalive timer keeps its expiry (tcp_keepalive_timer re-reads the sysctls only when it fires)', () => {
  // Idle 100 s, far below the old 7200 s; its timer was armed 7200 s ahead at the last receipt.
  const conn = idle(100_000, 7200);
  const expiry = conn.timerExpiresAt!;

  it('lowering the time to 600 s does not bring the next probe forward: it stays at the armed expiry', () => {
    const row = previewProfile(input([conn]), server).rows[0]!;
    expect(row.note).toBe('armed-timer');
    // Not at last receipt + 600 s (NOW + 500 s), which an unarmed socket would get …
    expect(row.after.nextProbeAt!).toBeGreaterThan(NOW + 500_000 + GRAN_7200_MS);
    // … but where the armed timer fires (rounded up by the wheel), exactly as today.
    expect(row.after.nextProbeAt!).toBeGreaterThan(expiry);
    expect(row.after.nextProbeAt!).toBeLessThanOrEqual(expiry + GRAN_7200_MS);
    expect(row.after.nextProbeAt).toBe(row.now.nextProbeAt);
  });

  it('at that firing the kernel sees idle ≥ 600 s and probes; from then on the new interval and count govern', () => {
    const row = previewProfile(input([conn]), server).rows[0]!;
    const probeToDrop = row.after.dropAt! - row.after.nextProbeAt!;
    // 5 probes 60 s apart (each 60 s timer rounded up by at most 2.048 s at HZ=250) …
    expect(probeToDrop).toBeGreaterThanOrEqual(5 * 60_000);
    expect(probeToDrop).toBeLessThanOrEqual(5 * 62_048);
    // … instead of today's 9 × 75 s.
    expect(row.now.dropAt! - row.now.nextProbeAt!).toBeGreaterThanOrEqual(9 * 75_000);
  });

  it('says the same when the socket was read and reports the sysctl values (they follow the sysctl)', () => {
    const row = previewProfile(input([idle(100_000, 7200, { socketKeepalive: read(7200, 75, 9) })]), server).rows[0]!;
    expect(row.note).toBe('armed-timer');
    expect(row.after.nextProbeAt).toBe(row.now.nextProbeAt);
  });

  it('is counted in the summary and explained: the change reaches it when its timer fires', () => {
    const preview = previewProfile(input([conn, idle(5_000, 7200, { id: 'other' })]), server);
    expect(preview.summary.armedTimer).toBe(2);
    const line = preview.explanation.find((l) => l.includes('armed'))!;
    expect(line).toContain('2 connections already have their keepalive timer armed');
    expect(line).toContain('within the current keepalive time (2 h) at the latest');
    // the later of the two expiries: 7195 s from now
    expect(line).toContain('The last of them fires 1 h 59 min from now.');
  });

  it('a timer about to fire holds the change back only until then', () => {
    // idle 7000 s: the armed timer fires in 200 s; without it the probe would be due now.
    const row = previewProfile(input([idle(7_000_000, 7200)]), server).rows[0]!;
    expect(row.note).toBe('armed-timer');
    expect(row.after.nextProbeAt! - NOW).toBeGreaterThan(200_000);
    expect(row.after.nextProbeAt! - NOW).toBeLessThanOrEqual(200_000 + GRAN_7200_MS);
  });

  it('a timer armed before data arrived, firing before the new time is up, does not hold anything back', () => {
    // Armed long ago, fires in 30 s; data 10 s ago: at the firing idle is 40 s < 600 s, so the kernel re-arms for last receipt + 600 s.
    const conn = idle(10_000, 40, { id: 'early' });
    const row = previewProfile(input([conn]), server).rows[0]!;
    expect(row.note).toBeNull();
    expect(row.after.nextProbeAt! - (NOW - 10_000 + 600_000)).toBeGreaterThan(0);
    expect(row.after.nextProbeAt! - (NOW - 10_000 + 600_000)).toBeLessThanOrEqual(16_384 + 1000);
  });

  it('raising the time reaches an armed socket at its firing without a note: it re-arms for the rest', () => {
    // Today 600 s; armed at last receipt + 600 s; the kernel default puts the probe at last receipt + 7200 s.
    const conn = idle(100_000, 600, { id: 'raise' });
    const row = previewProfile(input([conn], { settings: SERVER_SETTINGS }), preset('kernel-default')).rows[0]!;
    expect(row.note).toBeNull();
    expect(row.after.nextProbeAt! - (NOW - 100_000 + 7_200_000)).toBeGreaterThan(0);
    expect(row.after.nextProbeAt! - (NOW - 100_000 + 7_200_000)).toBeLessThanOrEqual(GRAN_7200_MS);
  });

  it('between probes the timer is armed for the old interval: a shorter one applies from the next firing', () => {
    // 2 of 9 probes out, the next one (armed 75 s ago… i.e. at the last probe) due in 30 s.
    const conn = idle(7_200_000 + 2 * 75_000 - 30_000, 0, { id: 'probing', probesSent: 2, timerExpiresAt: NOW + 30_000 });
    const row = previewProfile(input([conn]), server).rows[0]!;
    expect(row.note).toBe('armed-timer');
    expect(row.after.nextProbeAt).toBe(row.now.nextProbeAt);
    // 5 allowed, 2 sent: the next firing probes (3rd), then 2 more at 60 s, then the kill check.
    expect(row.after.dropAt! - row.after.nextProbeAt!).toBeGreaterThanOrEqual(3 * 60_000);
    expect(row.after.dropAt! - row.after.nextProbeAt!).toBeLessThanOrEqual(3 * 62_048);
  });
});

describe("previewProfile: a socket's own TCP_KEEPIDLE / KEEPINTVL / KEEPCNT", () => {
  it('all three its own: the profile does not reach it', () => {
    const conn = idle(1000, 30, { socketKeepalive: read(30, 5, 3) });
    const preview = previewProfile(input([conn]), server);
    expect(preview.rows[0]).toMatchObject({ note: 'own-settings' });
    expect(preview.rows[0]!.after).toEqual(preview.rows[0]!.now);
    expect(preview.summary.ownSettings).toBe(1);
    expect(preview.explanation.join('\n')).toContain('1 connection sets its own keepalive values (TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT): the profile does not reach it.');
  });

  it('field by field: a value equal to the sysctl follows it, a different one is kept (libuv sets intvl 1 and cnt 10)', () => {
    const conn = idle(100_000, 7200, { socketKeepalive: read(7200, 1, 10) });
    const preview = previewProfile(input([conn]), server);
    const row = preview.rows[0]!;
    // time followed the sysctl (7200 → 600, held by the armed timer); intvl 1 and cnt 10 stay.
    expect(row.note).toBe('armed-timer');
    expect(row.after.dropAt! - row.after.nextProbeAt!).toBeGreaterThanOrEqual(10_000);
    expect(row.after.dropAt! - row.after.nextProbeAt!).toBeLessThanOrEqual(10 * 1000 + 10 * 256);
    expect(preview.explanation.join('\n')).toContain('1 connection sets some keepalive values of its own: it keeps those and takes the rest from the profile.');
  });

  it('says plainly that a socket value equal to the system one cannot be told apart, whenever values were read', () => {
    const withRead = previewProfile(input([idle(100_000, 7200, { socketKeepalive: read(7200, 75, 9) })]), server);
    expect(withRead.explanation.join('\n')).toContain("A socket's own value that equals the system's cannot be told from no value at all");
    const unread = previewProfile(input([idle(100_000, 7200)]), server);
    expect(unread.explanation.join('\n')).not.toContain('cannot be told');
    expect(unread.explanation.join('\n')).toContain('The own keepalive values of 1 connection could not be read (that needs root): it is assumed to follow the system settings.');
  });

  it('keeps TCP_USER_TIMEOUT, which no sysctl sets', () => {
    const conn = idle(1000, 7200, { socketKeepalive: read(7200, 75, 9, 700_000) });
    const row = previewProfile(input([conn]), server).rows[0]!;
    expect(row.after.dropReason).toBe('user-timeout');
  });
});

describe('previewProfile: connections keepalive does not probe stay as they are', () => {
  const cases: [string, Partial<Connection>][] = [
    ['keepalive off', { keepalive: false, timer: 'none', timerExpiresAt: null }],
    ['listening', { state: 'LISTEN', timer: 'none', timerExpiresAt: null, remoteAddress: '0.0.0.0', remotePort: 0 }],
    ['TIME_WAIT', { state: 'TIME_WAIT', timer: 'timewait', timerExpiresAt: NOW + 30_000, keepalive: null }],
    ['data in flight', { timer: 'retransmit', timerExpiresAt: NOW + 800, retransmits: 2, rtoMs: 800, sendQueue: 1000 }],
    ['zero-window probing', { timer: 'probe', timerExpiresAt: NOW + 800, probesSent: 1, rtoMs: 800 }],
  ];
  it.each(cases)('%s: note unchanged, the same projection before and after', (_name, over) => {
    const preview = previewProfile(input([idle(100_000, 7200, over)]), server);
    expect(preview.rows[0]!.note).toBe('unchanged');
    expect(preview.rows[0]!.after).toEqual(preview.rows[0]!.now);
    expect(preview.summary).toMatchObject({ armedTimer: 0, ownSettings: 0, saved: 0, newlyAtRisk: 0 });
  });

  it('says how many are not probed', () => {
    const preview = previewProfile(input(cases.map(([name, over]) => idle(100_000, 7200, { ...over, id: name }))), server);
    expect(preview.explanation.join('\n')).toContain('5 connections are not probed by keepalive (keepalive off, listening, closing, or data in flight) and stay as they are.');
  });
});

describe('previewProfile: saved and newly at risk', () => {
  const aws: IdleRule = everyConnectionRule('middlebox', 350, 'AWS NAT');
  const gcp: IdleRule = everyConnectionRule('middlebox', 1200, 'Cloud NAT');

  it('a connection a middlebox drops before the first probe today, and that the profile probes in time, is saved', () => {
    // Its timer fires in 30 s (armed long ago); data 10 s ago. Today: re-arm to +7200 s, the NAT forgets it at +350 s.
    const conn = idle(10_000, 40, { id: 'saved' });
    const preview = previewProfile(input([conn], { rules: [aws] }), preset('cloud-nat'));
    const row = preview.rows[0]!;
    expect(row.now).toMatchObject({ atRisk: true, dropReason: 'middlebox' });
    expect(row.after).toMatchObject({ atRisk: false });
    expect(preview.summary.saved).toBe(1);
    expect(preview.explanation.join('\n')).toContain('1 connection that a middlebox or application rule would drop today is kept alive under it.');
  });

  it('an armed 7200 s timer keeps a connection at risk even under cloud-nat: the middlebox comes first', () => {
    const preview = previewProfile(input([idle(10_000, 7200)], { rules: [aws] }), preset('cloud-nat'));
    expect(preview.rows[0]).toMatchObject({ note: 'armed-timer', now: { atRisk: true }, after: { atRisk: true } });
    expect(preview.summary.saved).toBe(0);
  });

  it('raising the time past a middlebox timeout puts a connection newly at risk', () => {
    const conn = idle(10_000, 40, { id: 'newly' });
    const preview = previewProfile(input([conn], { settings: SERVER_SETTINGS, rules: [gcp] }), preset('kernel-default'));
    expect(preview.rows[0]).toMatchObject({ now: { atRisk: false }, after: { atRisk: true, dropReason: 'middlebox' } });
    expect(preview.summary.newlyAtRisk).toBe(1);
    expect(preview.explanation.join('\n')).toContain('1 connection safe today would be dropped by a middlebox or application rule before its first probe under it.');
  });

  it('uses only enabled rules, as the poll does', () => {
    const preview = previewProfile(input([idle(10_000, 40)], { rules: [{ ...aws, enabled: false }] }), preset('cloud-nat'));
    expect(preview.rows[0]!.now.atRisk).toBe(false);
  });
});

describe('previewProfile: the whole preview', () => {
  it('today’s side is the projection the poll computes, with the same rules', () => {
    const rules = [everyConnectionRule('middlebox', 350, 'AWS NAT')];
    const conns = [idle(10_000, 40), idle(100_000, 7200, { id: 'b' }), idle(100_000, 7200, { id: 'c', keepalive: false, timer: 'none', timerExpiresAt: null })];
    const preview = previewProfile(input(conns, { rules }), server);
    const ctx = { now: NOW, settings: DEFAULTS, clock: CLOCK, projector: linuxProjector, rules: compileRules(rules) };
    preview.rows.forEach((row, i) => {
      const p = projectConnection(conns[i]!, ctx);
      expect(row.id).toBe(conns[i]!.id);
      expect(row.now).toEqual({ nextProbeAt: p.nextProbeAt, dropAt: p.dropAt, dropReason: p.dropReason, atRisk: p.atRisk });
    });
  });

  it('lists each setting current → new with its sysctl key', () => {
    const preview = previewProfile(input([]), server);
    expect(preview.changes).toEqual([
      { field: 'timeSec', key: 'net.ipv4.tcp_keepalive_time', from: 7200, to: 600 },
      { field: 'intervalSec', key: 'net.ipv4.tcp_keepalive_intvl', from: 75, to: 60 },
      { field: 'probes', key: 'net.ipv4.tcp_keepalive_probes', from: 9, to: 5 },
    ]);
    expect(changesLine(preview.changes)).toBe('time 7200 → 600 s, interval 75 → 60 s and probes 9 → 5');
    expect(changesLine(previewProfile(input([]), preset('kernel-default')).changes)).toContain('time 7200 s (unchanged)');
  });

  it('summarises detection today and after: time + probes × intvl', () => {
    const preview = previewProfile(input([idle(1000, 7200)]), server);
    expect(preview.summary).toMatchObject({ connections: 1, detectionNowMs: 7_875_000, detectionAfterMs: 900_000 });
    expect(preview.explanation[0]).toBe('Today a silent peer is detected 2 h 11 min after its last packet; under Server (600/60/5), 15 min — 1 h 56 min sooner.');
    const same = previewProfile(input([], { settings: SERVER_SETTINGS }), server);
    expect(same.explanation[0]).toContain(': no change.');
    const unnamed: KeepaliveProfile = { id: '120/15/4', name: '120/15/4', timeSec: 120, intervalSec: 15, probes: 4, rationale: 'Custom values.', builtIn: false };
    expect(previewProfile(input([]), unnamed).explanation[0]).toContain('under 120/15/4, 3 min');
  });

  it('explains the profile as its card does: middleboxes kept alive and not, application rules never', () => {
    const rules = [everyConnectionRule('application', 75, 'nginx')];
    const text = previewProfile(input([], { rules }), server).explanation.join('\n');
    expect(text).toContain('It keeps flows alive through the well-known middlebox GCP Cloud NAT (20 min)');
    expect(text).toContain('It does not keep flows alive through the well-known middleboxes AWS NLB / NAT Gateway');
    expect(text).toContain("keepalive probes carry no data, so they never keep an application's idle timer alive");
    expect(text).toContain('network namespace');
  });

  it('returns the profile as the schema has it', () => {
    expect(previewProfile(input([]), server).profile).toEqual({ id: 'server', name: 'Server', rationale: server.rationale, builtIn: true, timeSec: 600, intervalSec: 60, probes: 5 });
  });

  it('refuses settings of another system rather than guess', () => {
    expect(() =>
      previewProfile(input([], { settings: { os: 'darwin', keepIdleMs: 7_200_000, keepIntervalMs: 75_000, keepCount: 8, alwaysKeepalive: false } }), server),
    ).toThrow(/Linux/);
  });
});

describe('previewProfile: 100k connections', () => {
  it('runs over 100,000 connections in the time of a couple of polls (measured, not asserted)', () => {
    const kinds = (i: number): Partial<Connection> => {
      switch (i % 10) {
        case 0:
          return { keepalive: false, timer: 'none', timerExpiresAt: null };
        case 1:
          return { socketKeepalive: read(7200, 75, 9) };
        case 2:
          return { socketKeepalive: read(30, 5, 3) };
        case 3:
          return { timer: 'retransmit', timerExpiresAt: NOW + 800, retransmits: 1, rtoMs: 400, sendQueue: 10 };
        default:
          return {};
      }
    };
    const conns = Array.from({ length: 100_000 }, (_, i) => idle(1000 + (i % 7000) * 1000, 7200, { id: `c${i}`, ...kinds(i) }));
    const rules = [everyConnectionRule('middlebox', 350, 'AWS NAT'), { ...everyConnectionRule('application', 600, 'pg'), id: 'pg', match: { remotePort: 5432 } }];
    previewProfile(input(conns.slice(0, 1000), { rules }), server); // warm up
    const started = performance.now();
    const preview = previewProfile(input(conns, { rules }), server);
    const ms = performance.now() - started;
    console.log(`previewProfile over ${conns.length} connections: ${ms.toFixed(0)} ms (summary ${JSON.stringify(preview.summary)})`);
    expect(preview.rows).toHaveLength(100_000);
  });
});

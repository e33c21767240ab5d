/**
 * The what-if: what a keepalive profile would do to every live connection, computed with the same
 * projection (./project.ts and the OS's projector) under today's settings and under the profile's.
 * Exact about the kernel where it matters (KEEPALIVE.md §1.1–1.3):
 *
 * - The three sysctls are read by tcp_keepalive_timer each time the timer fires, but a timer that
 *   is already armed keeps its expiry (nothing re-arms it when a sysctl changes). The projector
 *   starts every keepalive timeline from the armed expiry (`timerExpiresAt`), so the new values
 *   apply from that firing on — there the kernel sees `idle ≥ time` and probes, or re-arms for the
 *   rest. Rows the profile would have reached sooner without that timer say `armed-timer`.
 * - A socket's own TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT are untouched by a sysctl
 *   (keepalive_time_when() and friends prefer them). What the adapter read is what getsockopt
 *   returns: the socket's value if it set one, else the namespace sysctl — so a value equal to
 *   today's sysctl cannot be told from "not set". It is taken to follow the sysctl (by far the
 *   common case: few programs set the very value the system has); a value that differs is the
 *   socket's own and is kept. The explanation says so.
 * - Sockets the kernel does not keepalive-probe (keepalive off, listening, TIME_WAIT, data in
 *   flight — retransmission decides those) are projected as today.
 *
 * Pure, and cheap per row: the two contexts, the compiled rules and the profile's projector are
 * made once per preview; each row costs two projections (one for rows the profile cannot reach).
 */
import type { Preview, SettingChange, WhatIfRow } from '../api/schemas';
import { KEEPALIVE_STATES, type Clock, type EffectiveKeepalive, type KeepaliveSettings, type LinuxSettings, type Projection, type SocketFacts } from '../model';
import { describeProfile, listWords } from '../profile-explain';
import { detectionMs, profileSpec, type KeepaliveProfile, type KeepaliveValues } from '../profiles';
import { compileRules, type IdleRule } from '../rules';
import { silentPeerDropMs } from '../settings';
import { formatDurationWords } from '../time-format';
import { keepaliveEnabled, projectConnection, type ProjectionContext } from './project';
import type { Projector } from './projector';

export interface WhatIfInput {
  /** The live connections (a snapshot's; their own projection is not reused: both sides are computed here alike). */
  connections: readonly SocketFacts[];
  /** The settings in force, which the connections were read under. */
  settings: KeepaliveSettings;
  clock: Clock;
  /** The epoch ms at which the connections were read (the snapshot's takenAt): their ages count from it. */
  now: number;
  projector: Projector;
  /** The idle-timeout rules in force (enabled or not; disabled ones are skipped). */
  rules: readonly IdleRule[];
}

/** The sysctl behind each value, as `sysctl` and sysctl.d name it. */
export const KEEPALIVE_SYSCTL_KEYS = {
  timeSec: 'net.ipv4.tcp_keepalive_time',
  intervalSec: 'net.ipv4.tcp_keepalive_intvl',
  probes: 'net.ipv4.tcp_keepalive_probes',
} as const satisfies Record<keyof KeepaliveValues, string>;

const FIELDS = ['timeSec', 'intervalSec', 'probes'] as const;

/** The Linux settings a profile would leave in force; the other systems' profiles come with their issue. */
function linuxSettingsOf(settings: KeepaliveSettings): LinuxSettings {
  if (settings.os !== 'linux') throw new Error(`previewing a keepalive profile needs Linux settings; this system's (${settings.os}) are not supported yet`);
  return settings;
}

/**
 * A per-socket value that follows the sysctl gets the profile's value; one the socket set itself
 * stays. Equal to today's sysctl = follows (see the module comment); 0 = not set, as the model
 * allows for adapters that can tell.
 */
const follows = (value: number, current: number) => value === current || value === 0;

/**
 * The projector under the profile: the OS's own, except that a socket's read values follow the
 * sysctl field by field, and that its armed timer is known to be armed under today's values
 * (which decide where the timer wheel fires it). Made once per preview, not per row.
 */
function profileProjector(base: Projector, today: KeepaliveSettings, current: KeepaliveValues, next: KeepaliveValues): Projector {
  return {
    os: base.os,
    precision: (clock) => base.precision(clock),
    kernel: (facts, ctx, effective) => base.kernel(facts, ctx, effective, base.effective(facts, today)),
    effective(facts, settings) {
      const e = base.effective(facts, settings);
      if (e.source !== 'socket') return e;
      return {
        timeSec: follows(e.timeSec, current.timeSec) ? next.timeSec : e.timeSec,
        intervalSec: follows(e.intervalSec, current.intervalSec) ? next.intervalSec : e.intervalSec,
        probes: follows(e.probes, current.probes) ? next.probes : e.probes,
        userTimeoutMs: e.userTimeoutMs,
        source: e.source,
      };
    },
  };
}

/** Whether the kernel keepalive-probes this socket at all (tcp_keepalive_timer's own conditions, KEEPALIVE.md §1.2). */
function probed(facts: SocketFacts): boolean {
  return KEEPALIVE_STATES.has(facts.state) && keepaliveEnabled(facts) && facts.timer !== 'retransmit' && facts.timer !== 'probe';
}

/** How many of the three values are the socket's own (0 when they could not be read): 3 = no sysctl reaches it. */
function ownValues(e: EffectiveKeepalive, current: KeepaliveValues): number {
  if (e.source !== 'socket') return 0;
  return (
    (follows(e.timeSec, current.timeSec) ? 0 : 1) +
    (follows(e.intervalSec, current.intervalSec) ? 0 : 1) +
    (follows(e.probes, current.probes) ? 0 : 1)
  );
}

/**
 * The armed timer holds the profile back: without it the next firing would come sooner. Before
 * the first probe the timer was armed for the old `time`; with the new one the kernel would fire
 * at `last receipt + time` (no sooner than now). Between probes it was armed for the old `intvl`
 * at the last probe, i.e. at `expiry − old intvl`.
 */
function heldByArmedTimer(facts: SocketFacts, before: EffectiveKeepalive, after: EffectiveKeepalive, now: number): boolean {
  if (facts.timer !== 'keepalive' || facts.timerExpiresAt === null) return false;
  const expiry = facts.timerExpiresAt;
  let unarmed: number;
  if (facts.probesSent > 0) {
    if (after.intervalSec >= before.intervalSec) return false;
    unarmed = expiry - (before.intervalSec - after.intervalSec) * 1000;
  } else {
    if (after.timeSec >= before.timeSec) return false;
    unarmed = now - (facts.idleMs ?? 0) + after.timeSec * 1000;
  }
  return Math.max(now, unarmed) < expiry;
}

type Side = WhatIfRow['now'];
const side = (p: Projection): Side => ({ nextProbeAt: p.nextProbeAt, dropAt: p.dropAt, dropReason: p.dropReason, atRisk: p.atRisk });

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const connections = (n: number) => plural(n, 'connection');

interface Tally {
  saved: number;
  newlyAtRisk: number;
  ownSettings: number;
  armedTimer: number;
  /** Connections whose values were read from the socket (so the equal-to-sysctl ambiguity applies). */
  read: number;
  /** Probed connections whose own values could not be read: assumed to follow the sysctls. */
  assumed: number;
  /** Some of their values their own, the rest following the sysctls. */
  partlyOwn: number;
  unchanged: number;
  /** The latest armed expiry that holds a connection back (epoch ms), or null. */
  lastArmedAt: number | null;
}

function explain(profile: KeepaliveProfile, current: KeepaliveValues, tally: Tally, input: WhatIfInput, nowMs: number, afterMs: number): string[] {
  const name = profile.builtIn || profile.name !== profile.id ? `${profile.name} (${profileSpec(profile)})` : profileSpec(profile);
  const diff = afterMs - nowMs;
  const lines = [
    `Today a silent peer is detected ${formatDurationWords(nowMs)} after its last packet; under ${name}, ${formatDurationWords(afterMs)}` +
      (diff === 0 ? ': no change.' : ` — ${formatDurationWords(Math.abs(diff))} ${diff < 0 ? 'sooner' : 'later'}.`),
    ...describeProfile(profile, input.rules).slice(1),
  ];
  if (tally.saved > 0) {
    lines.push(`${connections(tally.saved)} that a middlebox or application rule would drop today ${tally.saved === 1 ? 'is' : 'are'} kept alive under it.`);
  }
  if (tally.newlyAtRisk > 0) {
    lines.push(`${connections(tally.newlyAtRisk)} safe today would be dropped by a middlebox or application rule before ${tally.newlyAtRisk === 1 ? 'its' : 'their'} first probe under it.`);
  }
  if (tally.armedTimer > 0) {
    const last = tally.lastArmedAt === null ? '' : ` The last of them fires ${formatDurationWords(Math.max(0, tally.lastArmedAt - input.now))} from now.`;
    lines.push(
      `${connections(tally.armedTimer)} already ${tally.armedTimer === 1 ? 'has its' : 'have their'} keepalive timer armed under the current values, and the kernel keeps an armed timer's expiry: ` +
        `the new values reach ${tally.armedTimer === 1 ? 'it' : 'them'} when that timer fires, within the current keepalive time (${formatDurationWords(current.timeSec * 1000)}) at the latest, not at once.${last}`,
    );
  }
  if (tally.ownSettings > 0) {
    lines.push(
      `${connections(tally.ownSettings)} ${tally.ownSettings === 1 ? 'sets its' : 'set their'} own keepalive values (TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT): the profile does not reach ${tally.ownSettings === 1 ? 'it' : 'them'}.`,
    );
  }
  if (tally.partlyOwn > 0) {
    lines.push(`${connections(tally.partlyOwn)} ${tally.partlyOwn === 1 ? 'sets' : 'set'} some keepalive values of ${tally.partlyOwn === 1 ? 'its' : 'their'} own: ${tally.partlyOwn === 1 ? 'it keeps' : 'they keep'} those and ${tally.partlyOwn === 1 ? 'takes' : 'take'} the rest from the profile.`);
  }
  if (tally.read > 0) {
    lines.push(
      "A socket's own value that equals the system's cannot be told from no value at all (the kernel reports the system's in its place), " +
        'so such a value is counted as following the system setting and changing with it.',
    );
  }
  if (tally.assumed > 0) {
    lines.push(`The own keepalive values of ${connections(tally.assumed)} could not be read (that needs root): ${tally.assumed === 1 ? 'it is' : 'they are'} assumed to follow the system settings.`);
  }
  if (tally.unchanged > 0) {
    lines.push(
      `${connections(tally.unchanged)} ${tally.unchanged === 1 ? 'is' : 'are'} not probed by keepalive (keepalive off, listening, closing, or data in flight) and ${tally.unchanged === 1 ? 'stays' : 'stay'} as ${tally.unchanged === 1 ? 'it is' : 'they are'}.`,
    );
  }
  lines.push('The values belong to this network namespace: containers in other namespaces keep their own.');
  return lines;
}

/** What `profile` would do to every connection of `input`, next to what happens today. Changes nothing. */
export function previewProfile(input: WhatIfInput, profile: KeepaliveProfile): Preview {
  const settings = linuxSettingsOf(input.settings);
  const current: KeepaliveValues = { timeSec: settings.timeSec, intervalSec: settings.intervalSec, probes: settings.probes };
  const next: KeepaliveValues = { timeSec: profile.timeSec, intervalSec: profile.intervalSec, probes: profile.probes };
  const rules = compileRules(input.rules);
  const today: ProjectionContext = { now: input.now, settings, clock: input.clock, projector: input.projector, rules };
  const after: ProjectionContext = {
    ...today,
    settings: { ...settings, ...next },
    projector: profileProjector(input.projector, settings, current, next),
  };

  const tally: Tally = { saved: 0, newlyAtRisk: 0, ownSettings: 0, armedTimer: 0, read: 0, assumed: 0, partlyOwn: 0, unchanged: 0, lastArmedAt: null };
  const rows: WhatIfRow[] = new Array(input.connections.length);
  for (let i = 0; i < input.connections.length; i++) {
    const facts = input.connections[i]!;
    const before = projectConnection(facts, today);
    const nowSide = side(before);
    let note: WhatIfRow['note'] = null;
    let afterSide = nowSide;
    if (!probed(facts)) {
      note = 'unchanged';
      tally.unchanged++;
    } else {
      if (before.effective.source === 'socket') tally.read++;
      else tally.assumed++;
      const own = ownValues(before.effective, current);
      if (own === 3) {
        note = 'own-settings';
        tally.ownSettings++;
      } else {
        if (own > 0) tally.partlyOwn++;
        const projected = projectConnection(facts, after);
        afterSide = side(projected);
        if (heldByArmedTimer(facts, before.effective, projected.effective, input.now)) {
          note = 'armed-timer';
          tally.armedTimer++;
          if (tally.lastArmedAt === null || facts.timerExpiresAt! > tally.lastArmedAt) tally.lastArmedAt = facts.timerExpiresAt;
        }
      }
    }
    if (nowSide.atRisk && !afterSide.atRisk) tally.saved++;
    else if (!nowSide.atRisk && afterSide.atRisk) tally.newlyAtRisk++;
    rows[i] = { id: facts.id, now: nowSide, after: afterSide, note };
  }

  const changes: SettingChange[] = FIELDS.map((field) => ({ field, key: KEEPALIVE_SYSCTL_KEYS[field], from: current[field], to: next[field] }));
  const detectionNowMs = silentPeerDropMs(settings);
  const detectionAfterMs = detectionMs(next);
  return {
    profile: { id: profile.id, name: profile.name, rationale: profile.rationale, builtIn: profile.builtIn, ...next },
    changes,
    rows,
    summary: {
      connections: rows.length,
      saved: tally.saved,
      newlyAtRisk: tally.newlyAtRisk,
      ownSettings: tally.ownSettings,
      armedTimer: tally.armedTimer,
      detectionNowMs,
      detectionAfterMs,
    },
    explanation: explain(profile, current, tally, input, detectionNowMs, detectionAfterMs),
  };
}

/** "time 7200 → 600 s, interval 75 → 60 s, probes 9 → 5": the changes in one line for the CLI and confirmations. */
export function changesLine(changes: readonly SettingChange[]): string {
  const label = { timeSec: ['time', ' s'], intervalSec: ['interval', ' s'], probes: ['probes', ''] } as const;
  return listWords(
    changes.map((c) => {
      const [name, unit] = label[c.field];
      return c.from === c.to ? `${name} ${c.to}${unit} (unchanged)` : `${name} ${c.from} → ${c.to}${unit}`;
    }),
  );
}

/**
 * The Linux projector: what tcp_keepalive_timer and tcp_write_timeout (net/ipv4/tcp_timer.c)
 * will do, on the jiffies grid of the kernel's timer wheel. Rules: DESIGN.md "Projection",
 * KEEPALIVE.md §1.2–1.3, §7. Everything Linux-specific — jiffies, HZ, tcp_retries2, the wheel —
 * stays behind this object; the core only calls the Projector interface.
 */
import type { Clock, EffectiveKeepalive, KeepaliveSettings, LinuxSettings, SocketFacts } from '../../model';
import { KEEPALIVE_STATES, RETRANSMIT_STATES } from '../../model';
import { keepaliveEnabled } from '../project';
import { effectiveFrom } from '../effective';
import type { KernelProjection, Projector, ProjectorContext } from '../projector';
import { keepaliveTimeline, type KeepaliveInputs, type Rounding } from './keepalive';
import { msToJiffies, pastRtos, probe0When, retransmitTimeline, RTO_MIN_MS, zeroWindowTimeline, type UnackedTimeline } from './retransmit';
import { granularityFor } from './timer-wheel';

/** HZ when a snapshot's clock is not a tick clock (it always is on Linux; a safe middle value otherwise). */
const FALLBACK_HZ = 250;

function linuxSettings(settings: KeepaliveSettings): LinuxSettings {
  if (settings.os !== 'linux') throw new Error(`the Linux projector was given ${settings.os} settings`);
  return settings;
}

const effective = effectiveFrom((settings) => {
  const s = linuxSettings(settings);
  return { timeSec: s.timeSec, intervalSec: s.intervalSec, probes: s.probes };
});

/** Epoch ms ↔ absolute jiffies. Without an anchor the jiffies are counted from `now` and the phase is unknown. */
function jiffyScale(clock: Clock, now: number) {
  const hz = clock.kind === 'tick' ? clock.hz : FALLBACK_HZ;
  const known = clock.kind === 'tick' ? clock.anchor : null;
  const anchor = known ?? { tick: 0, epochMs: now };
  const msPerJiffy = 1000 / hz;
  return {
    hz,
    exact: known !== null,
    toJiffies: (epochMs: number) => anchor.tick + (epochMs - anchor.epochMs) / msPerJiffy,
    toEpochMs: (jiffies: number) => anchor.epochMs + (jiffies - anchor.tick) * msPerJiffy,
    fromMs: (ms: number) => ms / msPerJiffy,
  };
}

function projectKeepalive(facts: SocketFacts, ctx: ProjectorContext, eff: EffectiveKeepalive, armed: EffectiveKeepalive): KernelProjection {
  const scale = jiffyScale(ctx.clock, ctx.now);
  const timeJiffies = scale.fromMs(eff.timeSec * 1000);
  const intervalJiffies = scale.fromMs(eff.intervalSec * 1000);
  // The timer now armed was armed under `armed` (the same values, except in a what-if): that
  // distance picks its wheel level; the values in `eff` apply from its firing on.
  const armedTimeJiffies = scale.fromMs(armed.timeSec * 1000);
  const armedIntervalJiffies = scale.fromMs(armed.intervalSec * 1000);
  const lastReceiveJiffies = scale.toJiffies(ctx.now - (facts.idleMs ?? 0));

  let timerExpiresJiffies: number;
  let armedDistance: number;
  const armedTimer = facts.timer === 'keepalive' && facts.timerExpiresAt !== null;
  if (armedTimer) {
    timerExpiresJiffies = scale.toJiffies(facts.timerExpiresAt!);
    // Between probes the timer is armed `intvl` ahead. Before the first, it was armed `time`
    // ahead (on connect or SO_KEEPALIVE) or for the rest of `time` after a re-arm, never
    // further back than the last receipt.
    armedDistance =
      facts.probesSent > 0 ? armedIntervalJiffies : Math.max(1, Math.min(armedTimeJiffies, timerExpiresJiffies - lastReceiveJiffies));
  } else {
    timerExpiresJiffies = lastReceiveJiffies + timeJiffies;
    armedDistance = timeJiffies;
  }
  const input: KeepaliveInputs = {
    timerExpiresJiffies: scale.exact ? Math.round(timerExpiresJiffies) : timerExpiresJiffies,
    timerArmedDistanceJiffies: Math.round(armedDistance),
    probesSent: facts.probesSent,
    lastReceiveJiffies: scale.exact ? Math.round(lastReceiveJiffies) : lastReceiveJiffies,
    timeJiffies: Math.round(timeJiffies),
    intervalJiffies: Math.round(intervalJiffies),
    probes: eff.probes,
    userTimeoutJiffies: Math.round(scale.fromMs(eff.userTimeoutMs)),
    hz: scale.hz,
  };
  const rounding: Rounding = scale.exact ? 'exact' : 'expected';
  const best = keepaliveTimeline(input, rounding);
  const earliest = keepaliveTimeline(input, 'earliest');
  // The first timer may have been armed up to `time` ahead: bound its rounding by that level.
  const latestInput = facts.probesSent > 0 || !armedTimer ? input : { ...input, timerArmedDistanceJiffies: Math.round(armedTimeJiffies) };
  const latest = keepaliveTimeline(latestInput, 'latest');
  const toMs = (j: number) => Math.round(scale.toEpochMs(j));
  const dropAt = toMs(best.dropAt);
  return {
    probesAt: best.probesAt.map(toMs),
    dropAt,
    window: [Math.min(toMs(earliest.dropAt), dropAt), Math.max(toMs(latest.dropAt), dropAt)],
    reason: best.reason,
  };
}

/**
 * Data the peer does not acknowledge (the retransmission timer) or a closed receive window (the
 * zero-window probe timer): ./retransmit.ts, firing by firing from the timer armed now. What the
 * socket does not show is reconstructed and its doubt goes into the window: when the head
 * segment was sent (retrans_stamp), which decides at which firing the limit is reached, and where
 * each earlier firing fell in its wheel bucket. The window spans every combination (any clock
 * phase, the earliest and the latest stamp): wider rather than narrower.
 */
function projectUnacked(facts: SocketFacts, ctx: ProjectorContext, eff: EffectiveKeepalive): KernelProjection | null {
  if (facts.timerExpiresAt === null) return null;
  const scale = jiffyScale(ctx.clock, ctx.now);
  const hz = scale.hz;
  const retries2 = linuxSettings(ctx.settings).retries2;
  const userTimeoutMs = eff.userTimeoutMs;
  const expires = scale.exact ? Math.round(scale.toJiffies(facts.timerExpiresAt)) : scale.toJiffies(facts.timerExpiresAt);
  // tcpi_rto is icsk_rto (whole jiffies) in µs.
  const rto = facts.rtoMs !== null ? Math.max(1, Math.round((facts.rtoMs * hz) / 1000)) : msToJiffies(RTO_MIN_MS, hz);
  const toMs = (j: number) => Math.round(scale.toEpochMs(j));
  const rounding: Rounding = scale.exact ? 'exact' : 'expected';

  let run: (stamp: number | null, rounding: Rounding) => UnackedTimeline;
  let stamps: { best: number | null; earliest: number | null; latest: number | null };
  if (facts.timer === 'probe') {
    const distance = probe0When(rto, facts.backoff, hz);
    const armedAt = expires - distance;
    // icsk_probes_tstamp: set at the first probe firing and kept until the window opens (ACKs to
    // probes do not reset it). Before any probe it is unset; after, assume the probes ran back to
    // back from the first (best), and bound it by "long ago" and "at the last firing".
    const fresh = facts.probesSent === 0 && facts.backoff === 0;
    let back = armedAt;
    for (let k = facts.backoff - 1; k >= 1; k--) back -= probe0When(rto, k, hz);
    stamps = fresh ? { best: null, earliest: null, latest: null } : { best: back, earliest: armedAt - msToJiffies(userTimeoutMs, hz), latest: armedAt };
    run = (stamp, r) =>
      zeroWindowTimeline(
        { timerExpiresJiffies: expires, timerArmedDistanceJiffies: distance, rtoJiffies: rto, backoff: facts.backoff, probesOut: facts.probesSent, probesStampJiffies: stamp, retries2, userTimeoutMs, hz },
        r,
      );
  } else {
    const n = facts.retransmits;
    // The timer now armed was armed at the last firing (or, before any, at the last transmission),
    // icsk_rto ahead. retrans_stamp is the first firing's retransmission: each firing between it
    // and the last was armed one halved RTO before and fell (1, granularity] jiffies past its expiry.
    const rtos = pastRtos(rto, n, hz);
    let armedAt = expires - rto;
    let distance = rto;
    const between = rtos.slice(1, n);
    const sum = (pick: (r: number) => number) => between.reduce((acc, r) => acc + r + pick(r), 0);
    let range: { earliest: number; latest: number } | null = n === 0 ? null : { earliest: armedAt - sum((r) => granularityFor(r, hz)), latest: armedAt - sum(() => 1) + 1 };
    // Where the kernel dates the recovery (tcpi_total_rto_time), the stamp is known to a
    // millisecond; it is used only if it agrees with the reconstruction (give or take 2 jiffies).
    const known = n > 0 && facts.rtoRecoveryStartedAt !== null ? scale.toJiffies(facts.rtoRecoveryStartedAt) : null;
    const dated = known !== null && range !== null && known >= range.earliest - 2 && known <= range.latest + 2;
    // Its ms clock is read in the timer's softirq, up to a jiffy after the boundary we place
    // firings on, and both clocks are floored to ms: a jiffy and a ms either way, for the window.
    if (dated) range = { earliest: known - 1 - hz / 1000, latest: known + 1 + hz / 1000 };
    if (userTimeoutMs > 0 && range !== null) {
      // tcp_clamp_rto_to_user_timeout may have cut this timer short: it then ends at the user
      // timeout, which places retrans_stamp directly (to a jiffy).
      const mid = (range.earliest + range.latest) / 2;
      const remainingMs = userTimeoutMs - (armedAt - mid) * (1000 / hz);
      if (remainingMs < rto * (1000 / hz)) {
        const stamp = dated ? mid : expires - msToJiffies(userTimeoutMs, hz);
        if (!dated) range = { earliest: stamp - 1, latest: stamp + 1 };
        distance = Math.max(1, Math.min(rto, Math.round(expires - (stamp + sum(() => 1)))));
        armedAt = expires - distance;
      }
    }
    if (range === null) {
      stamps = { best: null, earliest: null, latest: null };
    } else {
      stamps = { best: (range.earliest + range.latest) / 2, earliest: range.earliest, latest: range.latest };
    }
    run = (stamp, r) =>
      retransmitTimeline(
        { timerExpiresJiffies: expires, timerArmedDistanceJiffies: distance, rtoJiffies: rto, retransmits: n, retransStampJiffies: stamp, retries2, userTimeoutMs, hz },
        r,
      );
  }

  const best = run(stamps.best, rounding);
  const earliest = run(stamps.earliest, 'earliest');
  const latest = run(stamps.latest, 'latest');
  const dropAt = toMs(best.dropAt);
  // A jiffy either way: the kernel's ms clock (which the limits are measured with) against the
  // jiffies the firings fall on, and the wall-clock mapping of both, are known to about a
  // millisecond; a limit that falls that close to a firing can move it by a jiffy.
  const slack = 1000 / hz;
  return {
    probesAt: best.sendsAt.map(toMs),
    dropAt,
    window: [
      Math.round(Math.min(toMs(earliest.dropAt), toMs(latest.dropAt), dropAt) - slack),
      Math.round(Math.max(toMs(earliest.dropAt), toMs(latest.dropAt), dropAt) + slack),
    ],
    reason: best.reason,
  };
}

export const linuxProjector: Projector = {
  os: 'linux',
  effective,
  kernel(facts, ctx, eff, armedWith) {
    if (facts.timer === 'retransmit' || facts.timer === 'probe') {
      return RETRANSMIT_STATES.has(facts.state) ? projectUnacked(facts, ctx, eff) : null;
    }
    if (!KEEPALIVE_STATES.has(facts.state) || !keepaliveEnabled(facts)) return null;
    return projectKeepalive(facts, ctx, eff, armedWith ?? eff);
  },
  precision: (clock) => (clock.kind === 'tick' && clock.anchor !== null ? 'exact' : 'window'),
};

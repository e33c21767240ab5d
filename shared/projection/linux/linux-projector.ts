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
import { RTO_MIN_MS, retransmitDrop } from './retransmit';
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

function projectRetransmit(facts: SocketFacts, ctx: ProjectorContext, eff: EffectiveKeepalive): KernelProjection | null {
  if (facts.timerExpiresAt === null) return null;
  const drop = retransmitDrop({
    timerExpiresAt: facts.timerExpiresAt,
    rtoMs: facts.rtoMs ?? RTO_MIN_MS,
    retransmits: facts.retransmits,
    tcpRetries2: linuxSettings(ctx.settings).retries2,
    userTimeoutMs: eff.userTimeoutMs,
  });
  const hz = ctx.clock.kind === 'tick' ? ctx.clock.hz : FALLBACK_HZ;
  const msPerJiffy = 1000 / hz;
  const latenessMs = granularityFor(drop.lastGapMs / msPerJiffy, hz) * msPerJiffy;
  const dropAt = Math.round(drop.dropAt);
  return { probesAt: [], dropAt, window: [dropAt, Math.round(drop.dropAt + latenessMs)], reason: drop.reason };
}

export const linuxProjector: Projector = {
  os: 'linux',
  effective,
  kernel(facts, ctx, eff, armedWith) {
    if (facts.timer === 'retransmit' || facts.timer === 'probe') {
      return RETRANSMIT_STATES.has(facts.state) ? projectRetransmit(facts, ctx, eff) : null;
    }
    if (!KEEPALIVE_STATES.has(facts.state) || !keepaliveEnabled(facts)) return null;
    return projectKeepalive(facts, ctx, eff, armedWith ?? eff);
  },
  precision: (clock) => (clock.kind === 'tick' && clock.anchor !== null ? 'exact' : 'window'),
};

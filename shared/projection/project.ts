/**
 * Projection: for one socket, when the kernel will send the next keepalive probe and when
 * it (or a middlebox on the path) will drop the connection if the peer stays silent.
 * Pure: `now` and every input are parameters. Rules: DESIGN.md "Projection", KEEPALIVE.md §1.2–1.3, §7.
 */
import type {
  DropReason,
  EffectiveKeepalive,
  KeepaliveSettings,
  KernelClock,
  Projection,
  SocketFacts,
  TcpState,
} from '../model';
import { keepaliveTimeline, type KeepaliveInputs, type Rounding } from './keepalive';
import { RTO_MIN_MS, retransmitDrop } from './retransmit';
import { granularityFor } from './timer-wheel';
import type { CompiledRule } from '../rules';

export interface ProjectionContext {
  /** The epoch ms at which the facts were read. */
  now: number;
  settings: KeepaliveSettings;
  clock: KernelClock;
  /** Idle-timeout rules of middleboxes and applications (compileRules); empty = none assumed. */
  rules: readonly CompiledRule[];
}

/** States in which tcp_keepalive_timer probes (it skips LISTEN, CLOSE, SYN_SENT; FIN_WAIT2 reuses the timer). */
const KEEPALIVE_STATES: ReadonlySet<TcpState> = new Set(['ESTABLISHED', 'CLOSE_WAIT']);
/** States with data or a FIN the kernel may still be retransmitting. */
const RETRANSMIT_STATES: ReadonlySet<TcpState> = new Set([
  'ESTABLISHED',
  'CLOSE_WAIT',
  'FIN_WAIT1',
  'CLOSING',
  'LAST_ACK',
]);

/** One shared, frozen object per settings: most sockets of a snapshot assume the same values. */
const assumedBySettings = new WeakMap<KeepaliveSettings, EffectiveKeepalive>();

export function effectiveKeepalive(facts: SocketFacts, settings: KeepaliveSettings): EffectiveKeepalive {
  if (facts.socketKeepalive) return { ...facts.socketKeepalive, source: 'socket' };
  let assumed = assumedBySettings.get(settings);
  if (!assumed) {
    assumed = Object.freeze({
      timeSec: settings.keepaliveTimeSec,
      intervalSec: settings.keepaliveIntervalSec,
      probes: settings.keepaliveProbes,
      userTimeoutMs: 0,
      source: 'assumed',
    } as const);
    assumedBySettings.set(settings, assumed);
  }
  return assumed;
}

/** SO_KEEPALIVE as read from the socket, else inferred: an established socket with it on always has the timer armed. */
export function keepaliveEnabled(facts: SocketFacts): boolean {
  return facts.keepalive ?? facts.timer === 'keepalive';
}

/** Epoch ms ↔ absolute jiffies. Without an anchor the jiffies are counted from `now` and the phase is unknown. */
function jiffyScale(clock: KernelClock, now: number) {
  const anchor = clock.anchor ?? { jiffies: 0, epochMs: now };
  const msPerJiffy = 1000 / clock.hz;
  return {
    exact: clock.anchor !== null,
    toJiffies: (epochMs: number) => anchor.jiffies + (epochMs - anchor.epochMs) / msPerJiffy,
    toEpochMs: (jiffies: number) => anchor.epochMs + (jiffies - anchor.jiffies) * msPerJiffy,
    fromMs: (ms: number) => ms / msPerJiffy,
  };
}

interface KernelDrop {
  probesAt: number[];
  dropAt: number;
  window: [number, number];
  reason: DropReason;
}

function projectKeepalive(facts: SocketFacts, ctx: ProjectionContext, eff: EffectiveKeepalive): KernelDrop {
  const { now, clock } = ctx;
  const scale = jiffyScale(clock, now);
  const timeJiffies = scale.fromMs(eff.timeSec * 1000);
  const intervalJiffies = scale.fromMs(eff.intervalSec * 1000);
  const lastReceiveJiffies = scale.toJiffies(now - (facts.idleMs ?? 0));

  let timerExpiresJiffies: number;
  let armedDistance: number;
  if (facts.timer === 'keepalive' && facts.timerExpiresAt !== null) {
    timerExpiresJiffies = scale.toJiffies(facts.timerExpiresAt);
    // Between probes the timer is armed `intvl` ahead. Before the first, it was armed `time`
    // ahead (on connect or SO_KEEPALIVE) or for the rest of `time` after a re-arm, never
    // further back than the last receipt.
    armedDistance =
      facts.probesSent > 0 ? intervalJiffies : Math.max(1, Math.min(timeJiffies, timerExpiresJiffies - lastReceiveJiffies));
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
    hz: clock.hz,
  };
  const rounding: Rounding = scale.exact ? 'exact' : 'expected';
  const best = keepaliveTimeline(input, rounding);
  const earliest = keepaliveTimeline(input, 'earliest');
  // The first timer may have been armed up to `time` ahead: bound its rounding by that level.
  const latestInput = facts.probesSent > 0 ? input : { ...input, timerArmedDistanceJiffies: input.timeJiffies };
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

function projectRetransmit(facts: SocketFacts, ctx: ProjectionContext, eff: EffectiveKeepalive): KernelDrop | null {
  if (facts.timerExpiresAt === null) return null;
  const drop = retransmitDrop({
    timerExpiresAt: facts.timerExpiresAt,
    rtoMs: facts.rtoMs ?? RTO_MIN_MS,
    retransmits: facts.retransmits,
    tcpRetries2: ctx.settings.tcpRetries2,
    userTimeoutMs: eff.userTimeoutMs,
  });
  const msPerJiffy = 1000 / ctx.clock.hz;
  const latenessMs = granularityFor(drop.lastGapMs / msPerJiffy, ctx.clock.hz) * msPerJiffy;
  const dropAt = Math.round(drop.dropAt);
  return { probesAt: [], dropAt, window: [dropAt, Math.round(drop.dropAt + latenessMs)], reason: drop.reason };
}

/**
 * A middlebox forgets a flow `idle` after its last packet in either direction; every
 * keepalive probe refreshes it. It drops the flow if some gap before the kernel's own
 * drop is longer than its timeout.
 */
function middleboxDropAt(lastActivityAt: number, idleMs: number, probesAt: number[], kernelDropAt: number | null): number | null {
  let previous = lastActivityAt;
  for (const probe of probesAt) {
    if (previous + idleMs < probe) return previous + idleMs;
    previous = probe;
  }
  if (kernelDropAt === null || previous + idleMs < kernelDropAt) return previous + idleMs;
  return null;
}

/** The projection of a connection nothing will drop; shared per `effective`, as most sockets get it. */
const noneByEffective = new WeakMap<EffectiveKeepalive, Projection>();

function noDrop(effective: EffectiveKeepalive): Projection {
  let none = noneByEffective.get(effective);
  if (!none) {
    none = Object.freeze({ nextProbeAt: null, dropAt: null, dropWindow: null, dropReason: null, dropBy: null, atRisk: false, effective });
    noneByEffective.set(effective, none);
  }
  return none;
}

export function projectConnection(facts: SocketFacts, ctx: ProjectionContext): Projection {
  const effective = effectiveKeepalive(facts, ctx.settings);
  const none = noDrop(effective);

  const dataInFlight = facts.timer === 'retransmit' || facts.timer === 'probe';
  if (dataInFlight) {
    if (!RETRANSMIT_STATES.has(facts.state)) return none;
    const drop = projectRetransmit(facts, ctx, effective);
    return drop ? { ...none, dropAt: drop.dropAt, dropWindow: drop.window, dropReason: drop.reason } : none;
  }
  if (!KEEPALIVE_STATES.has(facts.state)) return none;

  const kernel = keepaliveEnabled(facts) ? projectKeepalive(facts, ctx, effective) : null;
  const firstProbeAt = kernel?.probesAt[0] ?? null;
  const projection: Projection = kernel
    ? { ...none, nextProbeAt: firstProbeAt, dropAt: kernel.dropAt, dropWindow: kernel.window, dropReason: kernel.reason }
    : none;

  if (ctx.rules.length === 0) return projection;
  const closer = firstRuleDrop(facts, ctx, kernel);
  if (closer === null) return projection;
  const dropAt = Math.round(closer.at);
  return {
    ...projection,
    nextProbeAt: firstProbeAt !== null && firstProbeAt < dropAt ? firstProbeAt : null,
    dropAt,
    dropWindow: [dropAt, dropAt],
    dropReason: closer.rule.kind,
    dropBy: closer.rule.name,
    atRisk: firstProbeAt === null || dropAt < firstProbeAt,
  };
}

/** The earliest drop by a matching rule that comes before the kernel's own, if any. */
function firstRuleDrop(facts: SocketFacts, ctx: ProjectionContext, kernel: KernelDrop | null) {
  let first: { at: number; rule: CompiledRule['rule'] } | null = null;
  for (const { rule, matches } of ctx.rules) {
    if (!matches(facts)) continue;
    const idleMs = rule.idleTimeoutSec * 1000;
    let at: number | null;
    if (rule.kind === 'middlebox') {
      const lastActivityAt = ctx.now - Math.min(facts.idleMs ?? 0, facts.lastSendMs ?? Infinity);
      at = middleboxDropAt(lastActivityAt, idleMs, kernel?.probesAt ?? [], kernel?.dropAt ?? null);
    } else {
      // Keepalive probes carry no data: they do not reset an application's idle timer.
      const lastDataAt = ctx.now - (facts.lastDataMs ?? facts.idleMs ?? 0);
      at = lastDataAt + idleMs;
      if (kernel && kernel.dropAt <= at) at = null;
    }
    if (at !== null && (first === null || at < first.at)) first = { at, rule };
  }
  return first;
}

/**
 * Projection: for one socket, when the kernel will send the next keepalive probe and when it
 * (or a middlebox or application on the path) will drop the connection if the peer stays
 * silent. The kernel's part comes from the OS's projector (./projector.ts); this module adds the
 * idle-timeout rules, which work the same on every OS. Pure: `now` and every input are parameters.
 */
import type { Clock, EffectiveKeepalive, KeepaliveSettings, Precision, Projection, SocketFacts } from '../model';
import type { CompiledRule } from '../rules';
import type { KernelProjection, Projector } from './projector';

export interface ProjectionContext {
  /** The epoch ms at which the facts were read. */
  now: number;
  settings: KeepaliveSettings;
  clock: Clock;
  projector: Projector;
  /** Idle-timeout rules of middleboxes and applications (compileRules); empty = none assumed. */
  rules: readonly CompiledRule[];
  /**
   * The values a socket's armed keepalive timer was armed under, when settings changed since:
   * the timer keeps its expiry and its wheel level (the poller remembers them, main/core/poller.ts).
   */
  armedWith?: (facts: SocketFacts, effective: EffectiveKeepalive) => EffectiveKeepalive | undefined;
}

/** SO_KEEPALIVE as read from the socket, else inferred: a connected socket with it on has the keepalive timer armed. */
export function keepaliveEnabled(facts: Pick<SocketFacts, 'keepalive' | 'timer'>): boolean {
  return facts.keepalive ?? facts.timer === 'keepalive';
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

/** The projection of a connection nothing will drop; shared per (effective, precision), as most sockets get it. */
const noneByEffective = new WeakMap<EffectiveKeepalive, Map<Precision, Projection>>();

function noDrop(effective: EffectiveKeepalive, precision: Precision): Projection {
  let byPrecision = noneByEffective.get(effective);
  if (!byPrecision) noneByEffective.set(effective, (byPrecision = new Map()));
  let none = byPrecision.get(precision);
  if (!none) {
    const probesAt: number[] = Object.freeze([]) as unknown as number[];
    none = Object.freeze({ nextProbeAt: null, probesAt, dropAt: null, dropWindow: null, dropReason: null, dropBy: null, atRisk: false, precision, effective });
    byPrecision.set(precision, none);
  }
  return none;
}

export function projectConnection(facts: SocketFacts, ctx: ProjectionContext): Projection {
  const { projector } = ctx;
  const effective = projector.effective(facts, ctx.settings);
  const none = noDrop(effective, projector.precision(ctx.clock));
  const kernel = projector.kernel(facts, ctx, effective, ctx.armedWith?.(facts, effective));
  const projection: Projection = kernel
    ? {
        ...none,
        nextProbeAt: kernel.probesAt[0] ?? null,
        probesAt: kernel.probesAt,
        dropAt: kernel.dropAt,
        dropWindow: kernel.window,
        dropReason: kernel.reason,
      }
    : none;

  // Rules speak of idle connections: data in flight is retransmission's business.
  if (ctx.rules.length === 0 || facts.timer === 'retransmit' || facts.timer === 'probe') return projection;
  if (facts.state !== 'ESTABLISHED' && facts.state !== 'CLOSE_WAIT') return projection;
  const closer = firstRuleDrop(facts, ctx, kernel);
  if (closer === null) return projection;
  const dropAt = Math.round(closer.at);
  const probesAt = projection.probesAt.filter((at) => at < dropAt);
  const firstProbeAt = projection.probesAt[0] ?? null;
  return {
    ...projection,
    nextProbeAt: probesAt[0] ?? null,
    probesAt,
    dropAt,
    dropWindow: [dropAt, dropAt],
    dropReason: closer.rule.kind,
    dropBy: closer.rule.name,
    atRisk: firstProbeAt === null || dropAt < firstProbeAt,
  };
}

/** The earliest drop by a matching rule that comes before the kernel's own, if any. */
function firstRuleDrop(facts: SocketFacts, ctx: ProjectionContext, kernel: KernelProjection | null) {
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

/**
 * The macOS projector: XNU shows no keepalive timers, so the projection follows the documented
 * rule of tcp_timers() (bsd/netinet/tcp_timer.c, TCPT_KEEP): the first probe `keepidle` after the
 * last segment received, then one every `keepintvl`, and the connection dropped once `keepcnt`
 * probes went unanswered — `keepidle + keepcnt × keepintvl` of silence. Precision is always
 * 'model'. Pure: time comes in as `ctx.now` (STYLE.md point 6).
 */
import type { DarwinSettings, KeepaliveSettings, SocketFacts } from '../../model';
import { KEEPALIVE_STATES } from '../../model';
import { effectiveFrom } from '../effective';
import type { KernelProjection, Projector } from '../projector';

function darwinSettings(settings: KeepaliveSettings): DarwinSettings {
  if (settings.os !== 'darwin') throw new Error(`the macOS projector was given ${settings.os} settings`);
  return settings;
}

// The sysctls are in ms; the neutral shape counts seconds (TCP_KEEPALIVE is in s on macOS too).
const effective = effectiveFrom((settings) => {
  const s = darwinSettings(settings);
  return { timeSec: Math.round(s.keepIdleMs / 1000), intervalSec: Math.round(s.keepIntervalMs / 1000), probes: s.keepCount };
});

/** Keepalive runs for a socket that asked for it, or for every socket with net.inet.tcp.always_keepalive. */
function keepaliveOn(facts: SocketFacts, settings: KeepaliveSettings): boolean {
  return facts.keepalive === true || (settings.os === 'darwin' && settings.alwaysKeepalive);
}

export const darwinProjector: Projector = {
  os: 'darwin',
  effective,
  kernel(facts, ctx, eff): KernelProjection | null {
    if (!KEEPALIVE_STATES.has(facts.state) || facts.idleMs === null || !keepaliveOn(facts, ctx.settings)) return null;
    const timeMs = eff.timeSec * 1000;
    const intervalMs = eff.intervalSec * 1000;
    const lastReceiveAt = ctx.now - facts.idleMs;
    const firstProbeAt = lastReceiveAt + timeMs;
    const dropAt = firstProbeAt + eff.probes * intervalMs;
    const probesAt: number[] = [];
    for (let i = 0; i < eff.probes; i++) {
      const at = firstProbeAt + i * intervalMs;
      if (at >= ctx.now) probesAt.push(at);
    }
    // XNU runs its TCP timers from timer lists with leeway (tcp_run_timerlist, tcp_sched_timers)
    // and none of it is visible: the drop may come later than modelled, by up to one keepintvl
    // here — documented slack, not a measured bound.
    return { probesAt, dropAt, window: [dropAt, dropAt + intervalMs], reason: 'keepalive' };
  },
  precision: () => 'model',
};

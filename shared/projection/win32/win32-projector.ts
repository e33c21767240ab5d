/**
 * The Windows projector: what the TCP/IP stack does with keepalive, from Microsoft's documented
 * model (KeepAliveTime / KeepAliveInterval under HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\
 * Parameters; the probe count fixed at 10 since Vista — TcpMaxDataRetransmissions no longer
 * applies to keepalive). Windows shows no timers, so every projection is a 'model'.
 *
 * Keepalive is off on a Windows socket unless the application sets SO_KEEPALIVE, and nothing a
 * poll can read says whether it did: a socket whose keepalive is unknown is projected nothing.
 */
import type { EffectiveKeepalive, KeepaliveSettings, SocketFacts, Win32Settings } from '../../model';
import { KEEPALIVE_STATES } from '../../model';
import { effectiveFrom } from '../effective';
import type { KernelProjection, Projector, ProjectorContext } from '../projector';

/** Probes sent before the connection is aborted; fixed since Windows Vista. */
export const WIN32_KEEPALIVE_PROBES = 10;

function win32Settings(settings: KeepaliveSettings): Win32Settings {
  if (settings.os !== 'win32') throw new Error(`the Windows projector was given ${settings.os} settings`);
  return settings;
}

/**
 * Registry milliseconds as the whole seconds EffectiveKeepalive carries: rounded, and never 0
 * for a value above 0 (0 would read as "off").
 */
export function msToWholeSec(ms: number): number {
  return ms <= 0 ? 0 : Math.max(1, Math.round(ms / 1000));
}

const effective = effectiveFrom((settings) => {
  const s = win32Settings(settings);
  return { timeSec: msToWholeSec(s.keepAliveTimeMs), intervalSec: msToWholeSec(s.keepAliveIntervalMs), probes: s.probes };
});

function kernel(facts: SocketFacts, ctx: ProjectorContext, eff: EffectiveKeepalive, armedWith?: EffectiveKeepalive): KernelProjection | null {
  // Unknown (null) is off on Windows: only the application's SO_KEEPALIVE turns it on.
  if (facts.keepalive !== true) return null;
  if (!KEEPALIVE_STATES.has(facts.state) || facts.idleMs === null) return null;
  if (eff.timeSec <= 0 || eff.probes <= 0) return null;
  const lastReceiveAt = ctx.now - facts.idleMs;
  // An armed timer keeps the expiry it was armed with; the values in `eff` apply from its firing on.
  const firstProbeAt = lastReceiveAt + (armedWith ?? eff).timeSec * 1000;
  const intervalMs = eff.intervalSec * 1000;
  const probesAt: number[] = [];
  for (let k = facts.probesSent; k < eff.probes; k++) probesAt.push(firstProbeAt + k * intervalMs);
  // The connection is aborted one interval after the last unanswered probe.
  const dropAt = firstProbeAt + eff.probes * intervalMs;
  return { probesAt: probesAt.filter((t) => t >= ctx.now), dropAt, window: [dropAt, dropAt], reason: 'keepalive' };
}

export const win32Projector: Projector = {
  os: 'win32',
  effective,
  kernel,
  precision: () => 'model',
};

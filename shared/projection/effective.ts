/**
 * Projector.effective, the same on every OS: a socket's own keepalive values where they were read,
 * else the system's, converted to the neutral seconds by `systemValues`. The system's are one
 * shared, frozen object per settings object: most sockets of a snapshot assume the same values,
 * and 100,000 rows should not carry 100,000 copies.
 */
import type { EffectiveKeepalive, KeepaliveSettings, SocketFacts } from '../model';

export type SystemValues = (settings: KeepaliveSettings) => Pick<EffectiveKeepalive, 'timeSec' | 'intervalSec' | 'probes'>;

export function effectiveFrom(systemValues: SystemValues): (facts: SocketFacts, settings: KeepaliveSettings) => EffectiveKeepalive {
  const assumedBySettings = new WeakMap<KeepaliveSettings, EffectiveKeepalive>();
  return (facts, settings) => {
    if (facts.socketKeepalive) return { ...facts.socketKeepalive, source: 'socket' };
    let assumed = assumedBySettings.get(settings);
    if (!assumed) {
      assumed = Object.freeze({ ...systemValues(settings), userTimeoutMs: 0, source: 'assumed' } as const);
      assumedBySettings.set(settings, assumed);
    }
    return assumed;
  };
}

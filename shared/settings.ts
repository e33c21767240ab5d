/**
 * Keepalive settings in neutral terms: each OS names and scales its knobs differently
 * (shared/model/schemas.ts KeepaliveSettingsSchema); the UI, the CLI and reports often need
 * only "idle time, interval, probes".
 */
import type { KeepaliveSettings } from './model';

export interface KeepaliveBasis {
  /** Idle time before the first probe. */
  timeMs: number;
  /** Gap between unanswered probes. */
  intervalMs: number;
  /** Unanswered probes before the connection is dropped. */
  probes: number;
}

export function keepaliveBasis(settings: KeepaliveSettings): KeepaliveBasis {
  switch (settings.os) {
    case 'linux':
      return { timeMs: settings.timeSec * 1000, intervalMs: settings.intervalSec * 1000, probes: settings.probes };
    case 'darwin':
      return { timeMs: settings.keepIdleMs, intervalMs: settings.keepIntervalMs, probes: settings.keepCount };
    case 'win32':
      return { timeMs: settings.keepAliveTimeMs, intervalMs: settings.keepAliveIntervalMs, probes: settings.probes };
  }
}

/**
 * How long after its last packet a silent peer is dropped: idle time, then every probe
 * unanswered. The same formula on every OS (Linux tcp_keepalive_timer, XNU tcp_timers, Windows).
 */
export function silentPeerDropMs(settings: KeepaliveSettings): number {
  const b = keepaliveBasis(settings);
  return b.timeMs + b.probes * b.intervalMs;
}

/** The settings in one line, in the OS's own terms: "keepalive 600s / 60s × 5 · tcp_retries2 15". */
export function settingsSummary(settings: KeepaliveSettings): string {
  switch (settings.os) {
    case 'linux':
      return `keepalive ${settings.timeSec}s / ${settings.intervalSec}s × ${settings.probes} · tcp_retries2 ${settings.retries2}`;
    case 'darwin':
      return `keepidle ${settings.keepIdleMs} ms / keepintvl ${settings.keepIntervalMs} ms × ${settings.keepCount}${settings.alwaysKeepalive ? ' · always_keepalive' : ''}`;
    case 'win32':
      return `KeepAliveTime ${settings.keepAliveTimeMs} ms / KeepAliveInterval ${settings.keepAliveIntervalMs} ms × ${settings.probes} (fixed)`;
  }
}

/** Any OS's settings in whole seconds, as profiles speak of them (600/60/5). */
export function keepaliveValuesOf(settings: KeepaliveSettings): { timeSec: number; intervalSec: number; probes: number } {
  const b = keepaliveBasis(settings);
  return { timeSec: Math.round(b.timeMs / 1000), intervalSec: Math.round(b.intervalMs / 1000), probes: b.probes };
}

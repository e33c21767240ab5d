/**
 * How a network namespace's keepalive settings differ from the host's, in the one sentence the
 * UI, the CLI and reports all show. The keepalive sysctls are per namespace and a new one starts
 * with the kernel's compiled-in defaults, not the host's values (KEEPALIVE.md §1.1, tcp_sk_init):
 * a profile applied on the host does not reach a container's connections.
 */
import type { KeepaliveSettings } from './model';
import { PRESETS, type KeepaliveValues } from './profiles';
import { keepaliveValuesOf } from './settings';

/** What a new Linux network namespace starts with (TCP_KEEPALIVE_TIME/INTVL/PROBES): the kernel-default preset. */
export const LINUX_KERNEL_DEFAULTS: KeepaliveValues = (() => {
  const preset = PRESETS.find((p) => p.id === 'kernel-default')!;
  return { timeSec: preset.timeSec, intervalSec: preset.intervalSec, probes: preset.probes };
})();

/** The three keepalive values as profiles write them: "600/60/5" (seconds, seconds, probes). */
export function keepaliveTriple(settings: KeepaliveSettings | KeepaliveValues): string {
  const v = 'os' in settings ? keepaliveValuesOf(settings) : settings;
  return `${v.timeSec}/${v.intervalSec}/${v.probes}`;
}

const sameValues = (a: KeepaliveValues, b: KeepaliveValues) => a.timeSec === b.timeSec && a.intervalSec === b.intervalSec && a.probes === b.probes;

export interface NamespaceDrift {
  /** The keepalive values (or, on Linux, tcp_retries2) are not the host's. */
  differs: boolean;
  /** How, in plain words; null when they do not differ or either side is unknown. */
  note: string | null;
}

/**
 * How `settings` (one namespace's) differ from `host` (the namespace Idlewatch runs in):
 * - "kernel defaults 7200/75/9 — the host's 600/60/5 does not reach it" when the namespace has
 *   the kernel's defaults and the host does not (the administrator tuned the host only);
 * - "600/60/5 here, 300/30/5 on the host" otherwise;
 * - with "; tcp_retries2 8 here, 15 on the host" added (or alone) when that differs too.
 * Unknown settings on either side compare as not differing: there is nothing to say.
 */
export function namespaceDrift(settings: KeepaliveSettings | null, host: KeepaliveSettings | null): NamespaceDrift {
  if (settings === null || host === null || settings.os !== host.os) return { differs: false, note: null };
  const mine = keepaliveValuesOf(settings);
  const theirs = keepaliveValuesOf(host);
  const parts: string[] = [];
  if (!sameValues(mine, theirs)) {
    const kernelDefaults = settings.os === 'linux' && sameValues(mine, LINUX_KERNEL_DEFAULTS);
    parts.push(
      kernelDefaults
        ? `kernel defaults ${keepaliveTriple(mine)} — the host's ${keepaliveTriple(theirs)} does not reach it`
        : `${keepaliveTriple(mine)} here, ${keepaliveTriple(theirs)} on the host`,
    );
  }
  if (settings.os === 'linux' && host.os === 'linux' && settings.retries2 !== host.retries2) {
    parts.push(`tcp_retries2 ${settings.retries2} here, ${host.retries2} on the host`);
  }
  return parts.length === 0 ? { differs: false, note: null } : { differs: true, note: parts.join('; ') };
}

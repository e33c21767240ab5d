/**
 * macOS keepalive settings from `sysctl` (bsd/netinet/tcp_timer.c: tcp_keepidle, tcp_keepintvl,
 * tcp_keepcnt in ms / count; always_keepalive 0|1). Pure: argv out, text in, DarwinSettings out.
 */
import type { DarwinSettings } from '../../../shared/model';

/** The sysctl names, by DarwinSettings field. */
export const DARWIN_SYSCTLS = {
  keepIdleMs: 'net.inet.tcp.keepidle',
  keepIntervalMs: 'net.inet.tcp.keepintvl',
  keepCount: 'net.inet.tcp.keepcnt',
  alwaysKeepalive: 'net.inet.tcp.always_keepalive',
} as const;

/** Fixed verbs only: no value from anywhere else reaches this argv. */
export function sysctlReadArgv(): string[] {
  return Object.values(DARWIN_SYSCTLS);
}

export type SysctlParse = { ok: true; settings: DarwinSettings } | { ok: false; error: string };

/** `net.inet.tcp.keepidle: 7200000` lines (sysctl's default `name: value` form); every key needed. */
export function parseDarwinSysctl(text: string): SysctlParse {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^\s*([\w.]+)\s*[:=]\s*(\d+)\s*$/.exec(line);
    if (m) values.set(m[1]!, Number(m[2]));
  }
  const missing = Object.values(DARWIN_SYSCTLS).filter((key) => !values.has(key));
  if (missing.length) return { ok: false, error: `sysctl did not report ${missing.join(', ')}` };
  const v = (key: keyof typeof DARWIN_SYSCTLS) => values.get(DARWIN_SYSCTLS[key])!;
  return {
    ok: true,
    settings: {
      os: 'darwin',
      keepIdleMs: v('keepIdleMs'),
      keepIntervalMs: v('keepIntervalMs'),
      keepCount: v('keepCount'),
      alwaysKeepalive: v('alwaysKeepalive') !== 0,
    },
  };
}

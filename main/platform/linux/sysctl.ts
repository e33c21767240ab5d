import { readFile } from 'node:fs/promises';
import type { KeepaliveSettings } from '../../../shared/model';

/** The sysctls behind KeepaliveSettings. /proc/sys/net is per network namespace: the reader's own. */
export const KEEPALIVE_SYSCTLS = {
  keepaliveTimeSec: 'net.ipv4.tcp_keepalive_time',
  keepaliveIntervalSec: 'net.ipv4.tcp_keepalive_intvl',
  keepaliveProbes: 'net.ipv4.tcp_keepalive_probes',
  tcpRetries2: 'net.ipv4.tcp_retries2',
} as const satisfies Record<keyof KeepaliveSettings, string>;

export function sysctlPath(name: string): string {
  return `/proc/sys/${name.replaceAll('.', '/')}`;
}

/** A sysctl's text as the kernel prints it: one non-negative integer. */
export function parseSysctlInteger(name: string, text: string): number {
  const trimmed = text.trim();
  if (!/^\d{1,10}$/.test(trimmed)) throw new Error(`${name}: expected a non-negative integer, read "${trimmed.slice(0, 40)}"`);
  return Number(trimmed);
}

export async function readKeepaliveSettings(): Promise<KeepaliveSettings> {
  const entries = await Promise.all(
    Object.entries(KEEPALIVE_SYSCTLS).map(async ([key, name]) => {
      const text = await readFile(sysctlPath(name), 'utf8');
      return [key, parseSysctlInteger(name, text)] as const;
    }),
  );
  return Object.fromEntries(entries) as unknown as KeepaliveSettings;
}

import { readFile } from 'node:fs/promises';
import type { LinuxSettings } from '../../../shared/model';

/** The sysctls behind LinuxSettings. /proc/sys/net is per network namespace: the reader's own. */
export const KEEPALIVE_SYSCTLS = {
  timeSec: 'net.ipv4.tcp_keepalive_time',
  intervalSec: 'net.ipv4.tcp_keepalive_intvl',
  probes: 'net.ipv4.tcp_keepalive_probes',
  retries2: 'net.ipv4.tcp_retries2',
} as const satisfies Record<Exclude<keyof LinuxSettings, 'os'>, string>;

export function sysctlPath(name: string): string {
  return `/proc/sys/${name.replaceAll('.', '/')}`;
}

/** A sysctl's text as the kernel prints it: one non-negative integer. */
export function parseSysctlInteger(name: string, text: string): number {
  const trimmed = text.trim();
  if (!/^\d{1,10}$/.test(trimmed)) throw new Error(`${name}: expected a non-negative integer, read "${trimmed.slice(0, 40)}"`);
  return Number(trimmed);
}

/**
 * The current namespace's: /proc/sys/net shows the reader's own. Another namespace's are read
 * inside it by idlewatch-sockdiag (`sysctls`, ./sockdiag-process.ts).
 */
export async function readKeepaliveSettings(): Promise<LinuxSettings> {
  const read = async (name: string) => parseSysctlInteger(name, await readFile(sysctlPath(name), 'utf8'));
  const [timeSec, intervalSec, probes, retries2] = await Promise.all([
    read(KEEPALIVE_SYSCTLS.timeSec),
    read(KEEPALIVE_SYSCTLS.intervalSec),
    read(KEEPALIVE_SYSCTLS.probes),
    read(KEEPALIVE_SYSCTLS.retries2),
  ]);
  return { os: 'linux', timeSec, intervalSec, probes, retries2 };
}

/**
 * Who this host is, fast (node:os and one small file: it is on the CLI's start-up path), and
 * where it sits on the network, slowly (systeminformation spawns commands: called once, in the
 * background).
 */
import { readFile } from 'node:fs/promises';
import { arch, hostname, release } from 'node:os';
import type { HostInfo, HostNetwork } from '../../../shared/model';

/** PRETTY_NAME (else NAME VERSION) of os-release(5); null when the text has neither. */
export function parseOsRelease(text: string): string | null {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    // Values may be quoted with " or ' (os-release(5) follows shell quoting for these).
    fields.set(match[1]!, match[2]!.replace(/^(["'])(.*)\1$/, '$2').replace(/\\(["'$`\\])/g, '$1'));
  }
  const pretty = fields.get('PRETTY_NAME');
  if (pretty) return pretty;
  const name = fields.get('NAME');
  return name ? [name, fields.get('VERSION')].filter(Boolean).join(' ') : null;
}

export async function describeLinuxHost(): Promise<HostInfo> {
  // os-release(5): /etc/os-release, falling back to /usr/lib/os-release.
  const text = await readFile('/etc/os-release', 'utf8').catch(() => readFile('/usr/lib/os-release', 'utf8').catch(() => ''));
  return { hostname: hostname(), os: 'linux', distro: parseOsRelease(text), kernel: release(), arch: arch(), network: null };
}

/** Interfaces with their addresses and the default route, through systeminformation (loaded only here). */
export async function describeLinuxNetwork(): Promise<HostNetwork> {
  const si = (await import('systeminformation')).default;
  const [interfaces, gateway, defaultInterface] = await Promise.all([
    si.networkInterfaces(),
    si.networkGatewayDefault().catch(() => ''),
    si.networkInterfaceDefault().catch(() => ''),
  ]);
  const list = Array.isArray(interfaces) ? interfaces : [interfaces];
  return {
    interfaces: list.slice(0, 256).map((i) => ({ name: i.iface, addresses: [i.ip4, i.ip6].filter((a): a is string => Boolean(a)) })),
    defaultGateway: gateway || null,
    defaultInterface: defaultInterface || null,
  };
}

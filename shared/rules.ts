/**
 * Idle-timeout rules: something on the path (a NAT, a load balancer) or the server application
 * itself closes a connection that stays idle too long. A rule says which connections it applies
 * to and after how long; the projection takes whichever closer comes first and names it.
 */
import ipaddr from 'ipaddr.js';

export type RuleKind = 'middlebox' | 'application';

export interface IdleRuleMatch {
  /** The peer's port (e.g. 443 for outgoing HTTPS, 5432 for a PostgreSQL client). */
  remotePort?: number | undefined;
  /** Our port (e.g. 80 for connections to a local web server). */
  localPort?: number | undefined;
  /** The peer's address or network, e.g. "10.0.0.0/8" or "2001:db8::/32". */
  remoteCidr?: string | undefined;
}

export interface IdleRule {
  id: string;
  name: string;
  /**
   * middlebox: forgets a flow after `idleTimeoutSec` without any packet, keepalive probes included;
   * application: closes after `idleTimeoutSec` without data, which keepalive probes do not carry.
   */
  kind: RuleKind;
  idleTimeoutSec: number;
  /** Every condition given must hold; none given = every connection. */
  match: IdleRuleMatch;
  enabled: boolean;
}

export interface RulePreset {
  name: string;
  kind: RuleKind;
  idleTimeoutSec: number;
  /** Where the figure comes from, for the rules editor. */
  note: string;
}

/** Documented defaults (KEEPALIVE.md §3 and the vendors' docs). */
export const RULE_PRESETS: readonly RulePreset[] = [
  { name: 'AWS NLB / NAT Gateway', kind: 'middlebox', idleTimeoutSec: 350, note: 'fixed 350 s idle timeout' },
  { name: 'Azure Load Balancer', kind: 'middlebox', idleTimeoutSec: 240, note: 'default 4 min, configurable to 100 min' },
  { name: 'GCP Cloud NAT', kind: 'middlebox', idleTimeoutSec: 1200, note: 'TCP established idle timeout, default 20 min' },
  { name: 'nginx keepalive_timeout', kind: 'application', idleTimeoutSec: 75, note: 'default 75 s' },
  { name: 'Apache KeepAliveTimeout', kind: 'application', idleTimeoutSec: 5, note: 'default 5 s' },
  { name: 'Node.js http keepAliveTimeout', kind: 'application', idleTimeoutSec: 5, note: 'default 5 s' },
];

/** A CIDR (or a single address) that ipaddr.js can read; anything else is not a network. */
export function parseCidr(text: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | null {
  const trimmed = text.trim();
  try {
    if (trimmed.includes('/')) return ipaddr.parseCIDR(trimmed);
    const address = ipaddr.parse(trimmed);
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  } catch {
    return null;
  }
}

interface MatchTarget {
  localPort: number;
  remotePort: number;
  remoteAddress: string;
}

/** Compiles a rule's match once; the returned test runs for every connection of every poll. */
export function compileMatch(match: IdleRuleMatch): (c: MatchTarget) => boolean {
  const network = match.remoteCidr ? parseCidr(match.remoteCidr) : null;
  if (match.remoteCidr && !network) return () => false;
  return (c) => {
    if (match.remotePort !== undefined && c.remotePort !== match.remotePort) return false;
    if (match.localPort !== undefined && c.localPort !== match.localPort) return false;
    if (network) {
      let address: ipaddr.IPv4 | ipaddr.IPv6;
      try {
        // ipaddr.process unwraps IPv4-mapped IPv6 (::ffff:10.0.0.1), as sockets of dual-stack listeners show them.
        address = ipaddr.process(c.remoteAddress);
      } catch {
        return false;
      }
      if (address.kind() !== network[0].kind()) return false;
      return address.match(network as [ipaddr.IPv4, number]);
    }
    return true;
  };
}

export interface CompiledRule {
  rule: IdleRule;
  matches: (c: MatchTarget) => boolean;
}

export function compileRules(rules: readonly IdleRule[]): CompiledRule[] {
  return rules.filter((r) => r.enabled).map((rule) => ({ rule, matches: compileMatch(rule.match) }));
}

/** A rule for every connection: what `idlewatch snapshot --middlebox-idle SEC` means. */
export function everyConnectionRule(kind: RuleKind, idleTimeoutSec: number, name: string): IdleRule {
  return { id: `${kind}-all`, name, kind, idleTimeoutSec, match: {}, enabled: true };
}

/** What a rule matches, in words: "peer 10.0.0.0/8, remote port 443" or "every connection" (the rules editor, reports). */
export function describeMatch(rule: Pick<IdleRule, 'match'>): string {
  const parts: string[] = [];
  if (rule.match.remoteCidr !== undefined) parts.push(`peer ${rule.match.remoteCidr}`);
  if (rule.match.remotePort !== undefined) parts.push(`remote port ${rule.match.remotePort}`);
  if (rule.match.localPort !== undefined) parts.push(`local port ${rule.match.localPort}`);
  return parts.length === 0 ? 'every connection' : parts.join(', ');
}

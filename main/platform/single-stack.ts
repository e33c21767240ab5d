/**
 * What macOS and Windows share: one network stack (no namespaces to list or enter), and where the
 * host sits on the network as Node sees it. Linux has namespaces and its own reads (./linux/).
 */
import { networkInterfaces } from 'node:os';
import type { HostNetwork, NetworkNamespace } from '../../shared/model';
import { ApiFailure } from '../../shared/api/result';
import type { NamespaceRef } from '../../shared/platform-adapter';

/** The one network stack, as a namespace: every socket's `netns` is its id. */
export const HOST_NAMESPACE: NetworkNamespace = Object.freeze({ id: 'host', name: null, current: true, label: 'host', kind: 'host', pids: Object.freeze([]) as unknown as number[] });

/** Why there is nothing else to read, for AdapterCapabilities.namespacesReason. */
export const oneStackReason = (osName: string) => `${osName} has one network stack: there are no other network namespaces to read`;

/** Refuses any namespace but the one there is. */
export function assertHostNamespace(ref: NamespaceRef, osName: string): void {
  if (ref !== 'current' && ref !== HOST_NAMESPACE.id) throw new ApiFailure('bad-request', `no network namespace ${ref}: ${oneStackReason(osName)}`);
}

/** Interfaces and addresses as Node sees them, within the schema's bounds; no default route (it needs the OS's tools). */
export function nodeNetwork(): HostNetwork {
  const interfaces = Object.entries(networkInterfaces()).map(([name, addrs]) => ({
    name: name.slice(0, 64),
    addresses: (addrs ?? []).map((a) => a.address).slice(0, 64),
  }));
  return { interfaces: interfaces.slice(0, 256), defaultGateway: null, defaultInterface: null };
}

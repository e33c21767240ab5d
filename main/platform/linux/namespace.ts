/**
 * Network namespaces. Keepalive sysctls are per namespace (KEEPALIVE.md §1.1), so every read
 * names the one it was made in. A namespace is identified by the inode of its nsfs file, which
 * is what `ip netns identify` and `lsns` print too. Discovery and its labelling rules live in
 * ./namespaces/discover.ts; this is the cheap read of the one Idlewatch runs in.
 */
import type { NetworkNamespace } from '../../../shared/model';
import { discoverCurrentNamespace } from './namespaces/discover';

/** The namespace this process runs in, labelled as discovery labels it ("host" when it is init's). */
export function currentNamespace(): Promise<NetworkNamespace> {
  return discoverCurrentNamespace();
}

/**
 * Network namespaces. Keepalive sysctls are per namespace (KEEPALIVE.md §1.1), so every read
 * names the one it was made in. A namespace is identified by the inode of its nsfs file, which
 * is what `ip netns identify` and `lsns` print too.
 */
import { readdir, stat } from 'node:fs/promises';
import type { NetworkNamespace } from '../../../shared/model';

/** Where `ip netns add NAME` bind-mounts named namespaces. */
const NAMED_NAMESPACES_DIR = '/run/netns';

async function inodeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).ino;
  } catch {
    return null;
  }
}

/** The `ip netns` name of the namespace with this inode, if it has one. */
async function nameOf(inode: number): Promise<string | null> {
  let names: string[];
  try {
    names = await readdir(NAMED_NAMESPACES_DIR);
  } catch {
    return null;
  }
  for (const name of names.sort()) {
    if ((await inodeOf(`${NAMED_NAMESPACES_DIR}/${name}`)) === inode) return name;
  }
  return null;
}

/** The namespace this process runs in. */
export async function currentNamespace(): Promise<NetworkNamespace> {
  const inode = await inodeOf('/proc/self/ns/net');
  if (inode === null) throw new Error('cannot tell which network namespace this is (/proc/self/ns/net is unreadable)');
  const name = await nameOf(inode);
  // Until discovery (issue 9) labels it: the namespace Idlewatch runs in, by its ip netns name if any.
  return { id: String(inode), name, current: true, label: name ?? 'this namespace', kind: name ? 'netns' : 'host', pids: [process.pid] };
}

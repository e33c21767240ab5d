/**
 * How a network namespace other than the current one is entered (issue 9, decision 1): by a
 * process in it (/proc/PID/ns/net) or by its `ip netns` name (/run/netns/NAME), always together
 * with the inode the namespace had when it was discovered. Whoever enters opens the path, fstat()s
 * it and refuses when st_ino differs (the pid was reused, the name rebound) or it is not nsfs.
 */

/** A way into one namespace, with the inode that proves it is still the same one. */
export type NamespaceEntry =
  | { kind: 'pid'; pid: number; inode: string }
  | { kind: 'name'; name: string; inode: string };

/**
 * An `ip netns` name Idlewatch accepts: what fits in a path component of /run/netns without
 * quoting. `ip` itself allows more (anything without '/'), but such names are not entered.
 */
export const NETNS_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** The kernel's ceiling for pid_max (PID_MAX_LIMIT, include/linux/threads.h). */
const PID_MAX_LIMIT = 4_194_304;

/** An nsfs inode (proc_inum, an unsigned int in the kernel) as a decimal string. */
const INODE_PATTERN = /^[1-9][0-9]{0,9}$/;
const INODE_MAX = 0xffff_ffff;

/** Where `ip netns add NAME` bind-mounts named namespaces. */
export const NAMED_NAMESPACES_DIR = '/run/netns';

export function isNetnsName(name: string): boolean {
  return NETNS_NAME_PATTERN.test(name) && name !== '.' && name !== '..';
}

export function isNamespaceInode(inode: string): boolean {
  return INODE_PATTERN.test(inode) && Number(inode) <= INODE_MAX;
}

export function isPid(pid: number): boolean {
  return Number.isSafeInteger(pid) && pid >= 1 && pid <= PID_MAX_LIMIT;
}

function checked(entry: NamespaceEntry): NamespaceEntry {
  // Entries are built by discovery, but they decide what a root helper opens: check every time.
  const value: unknown = entry;
  if (typeof value !== 'object' || value === null) throw new Error('namespace entry: not an object');
  const { kind, inode } = value as { kind?: unknown; inode?: unknown };
  if (typeof inode !== 'string' || !isNamespaceInode(inode)) {
    throw new Error(`namespace entry: inode ${JSON.stringify(inode)} is not a namespace inode`);
  }
  if (kind === 'pid') {
    const { pid } = value as { pid?: unknown };
    if (typeof pid !== 'number' || !isPid(pid)) throw new Error(`namespace entry: pid ${String(pid)} is not a pid`);
    return { kind, pid, inode };
  }
  if (kind === 'name') {
    const { name } = value as { name?: unknown };
    if (typeof name !== 'string' || !isNetnsName(name)) {
      throw new Error(`namespace entry: ${JSON.stringify(name)} is not an accepted ip netns name`);
    }
    return { kind, name, inode };
  }
  throw new Error(`namespace entry: unknown kind ${JSON.stringify(kind)}`);
}

/** The nsfs file to open: /proc/PID/ns/net or /run/netns/NAME. Throws on an invalid entry. */
export function entryPath(entry: NamespaceEntry): string {
  const e = checked(entry);
  return e.kind === 'pid' ? `/proc/${e.pid}/ns/net` : `${NAMED_NAMESPACES_DIR}/${e.name}`;
}

/**
 * The argv form both native helpers (sockdiag, keepalive-helper) accept:
 * `pid <pid> <inode>` or `name <name> <inode>`, numbers in decimal. Throws on an invalid entry.
 */
export function entryArgs(entry: NamespaceEntry): string[] {
  const e = checked(entry);
  return e.kind === 'pid' ? ['pid', String(e.pid), e.inode] : ['name', e.name, e.inode];
}

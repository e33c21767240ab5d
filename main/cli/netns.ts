/**
 * `--netns NS` of snapshot, report, record and apply: which network namespace NS names, tried in
 * this order — a namespace id (the inode `idlewatch namespaces` shows), the pid of a process
 * (its namespace is the one /proc/PID/ns/net links to), an `ip netns` name. One function, so
 * every command reads the same namespace for the same words.
 */
import { readlink } from 'node:fs/promises';
import { printable } from '../../shared/format';
import type { NetworkNamespace } from '../../shared/model';
import type { NamespaceRef, PlatformAdapter } from '../../shared/platform-adapter';
import { UsageError } from './options';

/** The namespace /proc/PID/ns/net links to ("net:[4026532512]" → "4026532512"); null when there is no such process or it cannot be read. */
async function namespaceOfPid(pid: number): Promise<string | null> {
  try {
    return /^net:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/ns/net`))?.[1] ?? null;
  } catch {
    return null;
  }
}

/**
 * The namespace `value` names among the adapter's (`adapter.listNamespaces()`). Throws a
 * UsageError naming what was tried when none matches; where other namespaces cannot be read
 * (no root), it says so, with the adapter's reason.
 */
export async function resolveNetns(adapter: Pick<PlatformAdapter, 'listNamespaces' | 'capabilities'>, value: string): Promise<NetworkNamespace> {
  const namespaces = await adapter.listNamespaces();
  const tried: string[] = [];
  if (/^\d+$/.test(value)) {
    const byId = namespaces.find((n) => n.id === value);
    if (byId) return byId;
    tried.push(`no namespace has id ${value}`);
    const pid = Number(value);
    if (Number.isSafeInteger(pid) && pid > 0) {
      const inode = await namespaceOfPid(pid);
      const byPid = (inode === null ? undefined : namespaces.find((n) => n.id === inode)) ?? namespaces.find((n) => n.pids.includes(pid));
      if (byPid) return byPid;
      tried.push(inode === null ? `no process ${pid} is running (or its namespace cannot be read)` : `process ${pid} is in namespace ${inode}, which is not among those listed`);
    }
  }
  const byName = namespaces.find((n) => n.name === value);
  if (byName) return byName;
  tried.push(`no ip netns is named "${printable(value)}"`);
  const limits = adapter.capabilities.namespaces ? '' : ` (only the current namespace is listed: ${adapter.capabilities.namespacesReason ?? 'other namespaces cannot be read here'})`;
  throw new UsageError(`--netns ${printable(value)}: ${tried.join(', ')}${limits}; \`idlewatch namespaces\` lists them`);
}

/** `--netns` as a read's NamespaceRef: 'current' when not given or when it names the current namespace. */
export async function netnsRef(adapter: Pick<PlatformAdapter, 'listNamespaces' | 'capabilities'>, value: string | null): Promise<NamespaceRef> {
  if (value === null) return 'current';
  const namespace = await resolveNetns(adapter, value);
  return namespace.current ? 'current' : namespace.id;
}

/**
 * Discovery against the real kernel, as root in the test's throwaway namespace: namespaces made
 * here by `unshare -n` (one of them by another user, in its own user namespace) and by
 * `ip netns add` are found with their inodes, pids, kinds, labels and ways in.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LinuxAdapter } from '../../main/platform/linux/index';
import { containerFromCgroup } from '../../main/platform/linux/namespaces/cgroup-label';
import { discoverNamespaces, type DiscoveredNamespace } from '../../main/platform/linux/namespaces/discover';
import { entryPath } from '../../main/platform/linux/namespaces/entry';
import { assertThrowawayNamespace, sleep } from './lab';

const NAME = `idlewatch-test-${randomBytes(4).toString('hex')}`;
const children: ChildProcess[] = [];
const adapter = new LinuxAdapter();
let namedCreated = false;
/** The namespaces this file made. */
const made: string[] = [];

const netnsOf = (pid: number | 'self') => /^net:\[([0-9]+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/net`))![1]!;
/** The container this test runs in, if any (CI may run it in one): its processes inherit it. */
const container = containerFromCgroup(readFileSync('/proc/self/cgroup', 'utf8'));

/** Starts a process and waits until it is in a network namespace other than this one. */
async function inOwnNamespace(command: string, args: string[]): Promise<{ pid: number; inode: string }> {
  const child = spawn(command, args, { stdio: 'ignore' });
  children.push(child);
  const own = netnsOf('self');
  for (let i = 0; i < 100; i++) {
    try {
      if (child.pid !== undefined && netnsOf(child.pid) !== own) {
        made.push(netnsOf(child.pid));
        return { pid: child.pid, inode: netnsOf(child.pid) };
      }
    } catch {
      // not exec'd yet
    }
    await sleep(20);
  }
  throw new Error(`${command} ${args.join(' ')} did not enter a namespace of its own`);
}

function find(found: DiscoveredNamespace[], inode: string): DiscoveredNamespace {
  const d = found.find((x) => x.namespace.id === inode);
  if (!d) throw new Error(`namespace ${inode} not discovered (found ${found.map((x) => x.namespace.id).join(', ')})`);
  return d;
}

beforeAll(() => {
  assertThrowawayNamespace();
  if (process.getuid?.() !== 0) throw new Error('namespace discovery tests run as root (npm test does that)');
});

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  if (namedCreated) execFileSync('ip', ['netns', 'delete', NAME]);
  adapter.close();
});

describe('namespace discovery against the real kernel', () => {
  it('finds unshare -n processes, another user’s included, by inode with their pids, kinds and labels', async () => {
    const a = await inOwnNamespace('unshare', ['-n', 'sleep', '60']);
    const b = await inOwnNamespace('unshare', ['-n', 'sleep', '60']);
    // nobody, in a user namespace of its own (unprivileged unshare -n needs one): root reads it all the same.
    const other = await inOwnNamespace('setpriv', ['--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups', '--', 'unshare', '-r', '-n', 'sleep', '60']);
    const found = await discoverNamespaces();

    for (const { pid, inode } of [a, b, other]) {
      const { namespace, entry } = find(found, inode);
      expect(namespace).toMatchObject({ id: inode, name: null, current: false, pids: [pid] });
      if (container) expect(namespace.kind).toBe(container.kind);
      else expect(namespace).toMatchObject({ kind: 'process', label: `sleep (pid ${pid})` });
      expect(entry).toEqual({ kind: 'pid', pid, inode });
      expect(String(statSync(entryPath(entry!)).ino)).toBe(inode);
    }
    expect(new Set(found.map((d) => d.namespace.id)).size).toBe(found.length);
  });

  it("puts the current namespace first, labelled as itself: not 'host', since it is not init's", async () => {
    const found = await discoverNamespaces();
    const [first] = found;
    expect(first!.entry).toBeNull();
    expect(first!.namespace).toMatchObject({ id: netnsOf('self'), current: true, name: null });
    expect(first!.namespace.pids).toContain(process.pid);
    if (container) expect(first!.namespace.kind).toBe(container.kind);
    else expect(first!.namespace).toMatchObject({ kind: 'process', label: `this namespace (pid ${process.pid})` });
    expect(found.filter((d) => d.namespace.current)).toHaveLength(1);
    const rest = found.slice(1).map((d) => d.namespace.label);
    expect(rest).toEqual([...rest].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
  });

  it("finds the host's namespace, the one the test runner left, as one more namespace", async () => {
    const host = process.env.IDLEWATCH_HOST_NETNS && /^net:\[([0-9]+)\]$/.exec(process.env.IDLEWATCH_HOST_NETNS)?.[1];
    if (!host) return;
    const { namespace, entry } = find(await discoverNamespaces(), host);
    expect(namespace.current).toBe(false);
    expect(entry).toMatchObject({ kind: 'pid', inode: host });
  });

  it('finds an ip netns namespace no process is in, by name, and its process once one enters', async () => {
    execFileSync('ip', ['netns', 'add', NAME]);
    namedCreated = true;
    const inode = String(statSync(`/run/netns/${NAME}`).ino);

    const empty = find(await discoverNamespaces(), inode);
    expect(empty).toEqual({
      namespace: { id: inode, name: NAME, current: false, label: NAME, kind: 'netns', pids: [] },
      entry: { kind: 'name', name: NAME, inode },
    });

    const inside = await inOwnNamespace('ip', ['netns', 'exec', NAME, 'sleep', '60']);
    expect(inside.inode).toBe(inode);
    const entered = find(await discoverNamespaces(), inode);
    expect(entered.namespace).toMatchObject({ name: NAME, label: NAME, kind: 'netns', pids: [inside.pid] });
    // By name still: the name outlives any process in it.
    expect(entered.entry).toEqual({ kind: 'name', name: NAME, inode });
  });

  it('lists them through the adapter as root, the current one first', async () => {
    expect(adapter.capabilities).toMatchObject({ namespaces: true, namespacesReason: null });
    const listed = await adapter.listNamespaces();
    expect(listed[0]).toMatchObject({ id: netnsOf('self'), current: true });
    // Other tests may start and end namespaces meanwhile: those this file made are what is certain.
    expect(listed.map((n) => n.id)).toEqual(expect.arrayContaining(made));
    expect(listed.filter((n) => n.current)).toHaveLength(1);
  });
});

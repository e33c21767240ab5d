import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverCurrentNamespace, discoverNamespaces, parseNetnsLink } from '../../../../../main/platform/linux/namespaces/discover';
import type { DockerContainers } from '../../../../../main/platform/linux/namespaces/docker-engine';

const cgroup = (name: string) => readFileSync(new URL(`../../../../fixtures/cgroup/${name}`, import.meta.url), 'utf8');
const DOCKER_ID = '3f2a1b9c0d4e9b8bc9b7fba0ab5aa37f28351f938c773b284a26ad9491afabff';
const SESSION = cgroup('systemd-user-session-v2.txt');

const SELF = 4242;
const CURRENT = '4026531999';
const INIT = '4026531840';

let root: string;
let proc: string;
let netns: string;

/**
 * A fake /proc: each process's ns/net is a symlink whose target reads like the kernel's
 * ("net:[INODE]"); for the current process that target also exists as a file, so stat() of the
 * link (discovery's nsfs device) lands on the same filesystem as the fake /run/netns files.
 */
function processIn(pid: number, inode: string | null, { comm = 'sh', cgroupText = SESSION } = {}): void {
  mkdirSync(join(proc, String(pid), 'ns'), { recursive: true });
  if (inode !== null) symlinkSync(`net:[${inode}]`, join(proc, String(pid), 'ns', 'net'));
  writeFileSync(join(proc, String(pid), 'comm'), `${comm}\n`);
  writeFileSync(join(proc, String(pid), 'cgroup'), cgroupText);
}

/** An `ip netns add NAME` namespace: its inode is the fake file's. */
function named(name: string): string {
  writeFileSync(join(netns, name), '');
  return String(statSync(join(netns, name)).ino);
}

function docker(names: Record<string, string> = {}) {
  const calls: number[] = [];
  const ask = async (): Promise<DockerContainers> => {
    calls.push(1);
    return { names: new Map(Object.entries(names)), reason: null };
  };
  return { ask, calls };
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'idlewatch-netns-'));
  proc = join(root, 'proc');
  netns = join(root, 'netns');
  mkdirSync(proc);
  mkdirSync(netns);
  processIn(SELF, CURRENT, { comm: 'node' });
  writeFileSync(join(proc, String(SELF), 'ns', `net:[${CURRENT}]`), '');
  symlinkSync(String(SELF), join(proc, 'self'));
  processIn(1, INIT, { comm: 'systemd' });
  mkdirSync(join(proc, 'sys'));
  writeFileSync(join(proc, 'uptime'), '1.0 1.0\n');
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('parseNetnsLink', () => {
  it('reads the inode from a namespace link and nothing else', () => {
    expect(parseNetnsLink('net:[4026531840]')).toBe('4026531840');
    for (const bad of ['mnt:[4026531840]', 'net:[]', 'net:[-1]', 'net:[4294967296]', 'net:[12] ', '/run/netns/x']) {
      expect(parseNetnsLink(bad)).toBeNull();
    }
  });
});

describe('discoverNamespaces', () => {
  it('finds each namespace once by inode with its lowest pids, the current one first, then by label', async () => {
    processIn(100, '4026532500', { comm: 'nginx', cgroupText: cgroup('docker-v2-systemd.txt') });
    processIn(101, '4026532500', { comm: 'nginx' });
    processIn(300, '4026532700', { comm: 'envoy', cgroupText: cgroup('kubernetes-containerd-v2-systemd.txt') });
    processIn(200, '4026532600', { comm: 'redis-server' });
    processIn(SELF + 1, CURRENT, { comm: 'sockdiag' });
    const blue = named('blue');
    processIn(250, blue, { comm: 'sleep' });
    const engine = docker();

    const found = await discoverNamespaces({ procRoot: proc, runNetnsDir: netns, docker: engine.ask, selfPid: SELF });

    expect(found.map(({ namespace: n, entry }) => [n.label, n.kind, n.id, n.pids, n.current, n.name, entry])).toEqual([
      ['this namespace (pid 4242)', 'process', CURRENT, [SELF, SELF + 1], true, null, null],
      ['blue', 'netns', blue, [250], false, 'blue', { kind: 'name', name: 'blue', inode: blue }],
      ['docker 20624e991494', 'docker', '4026532500', [100, 101], false, null, { kind: 'pid', pid: 100, inode: '4026532500' }],
      ['pod 5f2c1a8e… container 1f37fc5b20df', 'kubernetes', '4026532700', [300], false, null, { kind: 'pid', pid: 300, inode: '4026532700' }],
      ['redis-server (pid 200)', 'process', '4026532600', [200], false, null, { kind: 'pid', pid: 200, inode: '4026532600' }],
      ['systemd (pid 1)', 'process', INIT, [1], false, null, { kind: 'pid', pid: 1, inode: INIT }],
    ]);
    // The Engine was asked once, for the Docker container, and knew nothing: the cgroup label stands.
    expect(engine.calls).toHaveLength(1);
  });

  it("labels the current namespace 'host' when it is init's", async () => {
    rmSync(join(proc, '1'), { recursive: true });
    processIn(1, CURRENT, { comm: 'systemd' });
    const [current] = await discoverNamespaces({ procRoot: proc, runNetnsDir: netns, docker: docker().ask, selfPid: SELF });
    expect(current!.namespace).toEqual({ id: CURRENT, name: null, current: true, label: 'host', kind: 'host', pids: [1, SELF] });
  });

  it("knows init's namespace by kthreadd's when pid 1's link cannot be read", async () => {
    rmSync(join(proc, '1', 'ns', 'net'));
    processIn(2, CURRENT, { comm: 'kthreadd' });
    const [current] = await discoverNamespaces({ procRoot: proc, runNetnsDir: netns, docker: docker().ask, selfPid: SELF });
    expect(current!.namespace).toMatchObject({ label: 'host', kind: 'host' });
  });

  it("labels init's namespace by its first process when Idlewatch runs elsewhere", async () => {
    processIn(2, INIT, { comm: 'kthreadd' });
    const found = await discoverNamespaces({ procRoot: proc, runNetnsDir: netns, docker: docker().ask, selfPid: SELF });
    expect(found.map((d) => [d.namespace.label, d.namespace.kind])).toEqual([
      ['this namespace (pid 4242)', 'process'],
      ['systemd (pid 1)', 'process'],
    ]);
  });

  it("takes the host for the current namespace when init's cannot be read (not root) and nothing else names it", async () => {
    rmSync(join(proc, '1', 'ns', 'net'));
    const current = await discoverCurrentNamespace({ procRoot: proc, runNetnsDir: netns, docker: docker().ask, selfPid: SELF });
    expect(current).toMatchObject({ label: 'host', kind: 'host', pids: [SELF] });
  });

  it('labels the current namespace by its container when Idlewatch runs in one', async () => {
    writeFileSync(join(proc, String(SELF), 'cgroup'), cgroup('docker-v1-cgroupfs.txt'));
    const engine = docker({ [DOCKER_ID]: 'idlewatch' });
    const current = await discoverCurrentNamespace({ procRoot: proc, runNetnsDir: netns, docker: engine.ask, selfPid: SELF });
    expect(current).toMatchObject({ label: 'docker: idlewatch', kind: 'docker', current: true });
  });

  it("names a Docker container by the Engine's name, escaped", async () => {
    processIn(100, '4026532500', { cgroupText: cgroup('docker-v1-cgroupfs.txt') });
    const found = await discoverNamespaces({ procRoot: proc, runNetnsDir: netns, docker: docker({ [DOCKER_ID]: 'web-1\u202e' }).ask, selfPid: SELF });
    expect(found.find((d) => d.namespace.id === '4026532500')?.namespace).toMatchObject({ label: 'docker: web-1\\u202e', kind: 'docker' });
  });

  it('keeps the cgroup label when the Engine fails, and does not ask it when there is no Docker container', async () => {
    processIn(100, '4026532500', { cgroupText: cgroup('docker-v1-cgroupfs.txt') });
    const failing = async (): Promise<DockerContainers> => {
      throw new Error('boom');
    };
    const found = await discoverNamespaces({ procRoot: proc, runNetnsDir: netns, docker: failing, selfPid: SELF });
    expect(found.find((d) => d.namespace.id === '4026532500')?.namespace.label).toBe('docker 3f2a1b9c0d4e');

    rmSync(join(proc, '100'), { recursive: true });
    const engine = docker();
    await discoverNamespaces({ procRoot: proc, runNetnsDir: netns, docker: engine.ask, selfPid: SELF });
    expect(engine.calls).toHaveLength(0);
  });

  it("escapes a hostile command name and keeps the label within the schema's 256", async () => {
    processIn(200, '4026532600', { comm: 'ev\til\u001b[2J' });
    processIn(201, '4026532601', { comm: 'x'.repeat(300) });
    const found = await discoverNamespaces({ procRoot: proc, runNetnsDir: netns, docker: docker().ask, selfPid: SELF });
    expect(found.find((d) => d.namespace.id === '4026532600')?.namespace.label).toBe('ev\\x09il\\x1b[2J (pid 200)');
    expect(found.find((d) => d.namespace.id === '4026532601')?.namespace.label).toHaveLength(256);
  });

  it('keeps at most the 8 lowest pids of a namespace', async () => {
    for (let pid = 510; pid >= 500; pid--) processIn(pid, '4026532800');
    const found = await discoverNamespaces({ procRoot: proc, runNetnsDir: netns, docker: docker().ask, selfPid: SELF });
    expect(found.find((d) => d.namespace.id === '4026532800')?.namespace.pids).toEqual([500, 501, 502, 503, 504, 505, 506, 507]);
  });

  it('skips processes whose link is gone or is not a network namespace', async () => {
    processIn(400, null);
    processIn(401, null);
    symlinkSync('mnt:[4026531841]', join(proc, '401', 'ns', 'net'));
    const found = await discoverNamespaces({ procRoot: proc, runNetnsDir: netns, docker: docker().ask, selfPid: SELF });
    expect(found.map((d) => d.namespace.id).sort()).toEqual([CURRENT, INIT].sort());
  });

  it('lists a named namespace no process is in, by its accepted name, and leaves out one it could not enter', async () => {
    const blue = named('blue');
    linkSync(join(netns, 'blue'), join(netns, 'a-blue'));
    named('bad name');
    const odd = named('odd\u001bname');
    processIn(600, odd, { comm: 'sleep' });
    // Not nsfs (another device than the namespace links'): a file a failed `ip netns add` left, say.
    symlinkSync('/proc/self/ns/net', join(netns, 'elsewhere'));
    const found = await discoverNamespaces({ procRoot: proc, runNetnsDir: netns, docker: docker().ask, selfPid: SELF });
    expect(found.find((d) => d.namespace.id === blue)).toEqual({
      namespace: { id: blue, name: 'a-blue', current: false, label: 'a-blue', kind: 'netns', pids: [] },
      entry: { kind: 'name', name: 'a-blue', inode: blue },
    });
    // A name the entry rules refuse is shown escaped; the namespace is entered by its process.
    expect(found.find((d) => d.namespace.id === odd)).toEqual({
      namespace: { id: odd, name: 'odd\\x1bname', current: false, label: 'odd\\x1bname', kind: 'netns', pids: [600] },
      entry: { kind: 'pid', pid: 600, inode: odd },
    });
    expect(found).toHaveLength(4);
  });

  it('labels the current namespace by its ip netns name', async () => {
    writeFileSync(join(netns, 'lab'), '');
    const lab = String(statSync(join(netns, 'lab')).ino);
    rmSync(join(proc, String(SELF)), { recursive: true });
    processIn(SELF, lab, { comm: 'node' });
    writeFileSync(join(proc, String(SELF), 'ns', `net:[${lab}]`), '');
    const [current] = await discoverNamespaces({ procRoot: proc, runNetnsDir: netns, docker: docker().ask, selfPid: SELF });
    expect(current).toEqual({ namespace: { id: lab, name: 'lab', current: true, label: 'lab', kind: 'netns', pids: [SELF] }, entry: null });
  });

  it('fails plainly when it cannot tell which namespace it runs in', async () => {
    rmSync(join(proc, 'self'));
    await expect(discoverNamespaces({ procRoot: proc, runNetnsDir: netns, docker: docker().ask })).rejects.toThrow(/cannot tell which network namespace/);
  });
});

/**
 * Every network namespace in use, each with a way in and a label an administrator knows it by
 * (issue 9). A namespace is alive while a process is in it or a file holds it: so it is found
 * from /proc/PID/ns/net of every process (deduplicated by inode) and from the bind mounts
 * `ip netns add` leaves in /run/netns. Reading other users' processes' links needs root
 * (ptrace access, proc_ns_get_link); what cannot be read is skipped, so without root this finds
 * little more than the caller's own namespaces.
 *
 * Labels and kinds:
 * - the current namespace is 'host' when it is init's (the kernel threads', kthreadd's at pid 2,
 *   else /proc/1/ns/net), or when init's cannot be read (not root) and nothing below names it;
 *   any other namespace is labelled by the rules below, init's included ("systemd (pid 1)");
 * - a namespace with an `ip netns` name: kind 'netns', labelled by the name;
 * - a container's: from the cgroup of its lowest pid (./cgroup-label.ts), kind 'docker',
 *   'kubernetes' or 'container', labelled "docker: web-1" when the Docker Engine names it, else
 *   "docker 3f2a1b9c0d4e" or "pod 1a2b3c4d… container 3f2a1b9c0d4e";
 * - otherwise kind 'process', labelled by its lowest pid's command, "nginx (pid 4242)"; the
 *   current one "this namespace (pid N)" with N Idlewatch's own pid.
 * Names, commands and container names are hostile input: all are escaped with printable().
 */
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import type { NetworkNamespace } from '../../../../shared/model';
import { printable } from '../../../../shared/format';
import { containerFromCgroup, type CgroupContainer } from './cgroup-label';
import type { DockerContainers } from './docker-engine';
import { NAMED_NAMESPACES_DIR, isNamespaceInode, isNetnsName, type NamespaceEntry } from './entry';

/** A namespace and how to enter it; entry is null for the namespace Idlewatch runs in. */
export interface DiscoveredNamespace {
  namespace: NetworkNamespace;
  entry: NamespaceEntry | null;
}

export interface DiscoveryOptions {
  /** Tests pass a fake tree; production reads /proc. */
  procRoot?: string;
  runNetnsDir?: string;
  /** Asked only when a Docker container was found; an empty answer leaves the cgroup labels. */
  docker?: () => Promise<DockerContainers>;
  /** Idlewatch's own pid, named in the current namespace's label. */
  selfPid?: number;
}

/** NamespaceSchema's limits. */
const MAX_PIDS = 8;
const MAX_LABEL = 256;
/** Processes read at once: readlink holds no descriptor, but thousands of promises at once help no one. */
const SCAN_BATCH = 512;

/** The inode in a namespace link's target, "net:[4026531840]" → "4026531840"; null for anything else. */
export function parseNetnsLink(target: string): string | null {
  const inode = /^net:\[([0-9]+)\]$/.exec(target)?.[1];
  return inode !== undefined && isNamespaceInode(inode) ? inode : null;
}

async function netnsOfLink(path: string): Promise<string | null> {
  try {
    return parseNetnsLink(await readlink(path));
  } catch {
    // EACCES (another user's process, not root), ENOENT/ESRCH (gone, or a zombie without namespaces)
    return null;
  }
}

async function readSmall(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

/** Inode → its processes' pids (up to MAX_PIDS, lowest first). */
async function scanProcesses(procRoot: string): Promise<Map<string, number[]>> {
  let entries: string[];
  try {
    entries = await readdir(procRoot);
  } catch {
    return new Map();
  }
  const pids = entries.filter((e) => /^[1-9][0-9]*$/.test(e)).map(Number).sort((a, b) => a - b);
  const byInode = new Map<string, number[]>();
  for (let i = 0; i < pids.length; i += SCAN_BATCH) {
    const batch = pids.slice(i, i + SCAN_BATCH);
    const inodes = await Promise.all(batch.map((pid) => netnsOfLink(`${procRoot}/${pid}/ns/net`)));
    batch.forEach((pid, j) => {
      const inode = inodes[j];
      if (!inode) return;
      const list = byInode.get(inode) ?? [];
      if (list.length < MAX_PIDS) list.push(pid);
      byInode.set(inode, list);
    });
  }
  return byInode;
}

/**
 * Inode → its `ip netns` names, accepted ones first. Only bind mounts of nsfs count: a file left
 * behind by a failed `ip netns add` (or anything else put there) has another device.
 */
async function scanNamed(runNetnsDir: string, nsfsDev: number | null): Promise<Map<string, string[]>> {
  const byInode = new Map<string, string[]>();
  if (nsfsDev === null) return byInode;
  let names: string[];
  try {
    names = await readdir(runNetnsDir);
  } catch {
    return byInode;
  }
  names.sort((a, b) => Number(isNetnsName(b)) - Number(isNetnsName(a)) || (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    try {
      const st = await stat(`${runNetnsDir}/${name}`);
      if (st.dev !== nsfsDev) continue;
      const inode = String(st.ino);
      byInode.set(inode, [...(byInode.get(inode) ?? []), name]);
    } catch {
      // deleted while we looked
    }
  }
  return byInode;
}

async function nsfsDevice(procRoot: string): Promise<number | null> {
  try {
    return (await stat(`${procRoot}/self/ns/net`)).dev;
  } catch {
    return null;
  }
}

const bounded = (text: string) => (text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text);

/** What a namespace is called and what it is, by the rules at the top of this file. */
interface Described {
  label: string;
  kind: NetworkNamespace['kind'];
  name: string | null;
}

/** One pass's shared facts: the Docker Engine is asked once, and only if a Docker container turned up. */
class Labeller {
  private dockerNames: Promise<Map<string, string>> | null = null;

  constructor(
    private readonly procRoot: string,
    private readonly docker: () => Promise<DockerContainers>,
  ) {}

  async container(pid: number | 'self'): Promise<CgroupContainer | null> {
    const text = await readSmall(`${this.procRoot}/${pid}/cgroup`);
    return text === null ? null : containerFromCgroup(text);
  }

  async command(pid: number): Promise<string | null> {
    const comm = await readSmall(`${this.procRoot}/${pid}/comm`);
    return comm === null ? null : comm.replace(/\n$/, '');
  }

  async containerLabel(container: CgroupContainer): Promise<string> {
    if (container.engine === 'docker' || (container.kind === 'kubernetes' && container.engine === null)) {
      this.dockerNames ??= this.docker().then(
        (answer) => answer.names,
        () => new Map<string, string>(),
      );
      const name = (await this.dockerNames).get(container.containerId);
      if (name !== undefined) return bounded(`docker: ${printable(name)}`);
    }
    return container.label;
  }

  /** By `ip netns` name, else by the container `pid` is in; null when neither names it. */
  async describe(names: string[], pid: number | 'self' | null): Promise<Described | null> {
    const name = names[0];
    if (name !== undefined) return { kind: 'netns', label: bounded(printable(name)), name: bounded(printable(name)) };
    const container = pid === null ? null : await this.container(pid);
    if (container) return { kind: container.kind, label: await this.containerLabel(container), name: null };
    return null;
  }
}

export interface CurrentFacts {
  inode: string;
  /** Init's namespace, or null when it cannot be read (not root). */
  initInode: string | null;
}

/**
 * init_net's inode. Kernel threads always live in it (they share init_nsproxy) and, having no mm,
 * are readable by root even where pid 1 is not (a non-dumpable init); kthreadd is pid 2 when this
 * is the initial pid namespace. Inside another pid namespace pid 1 is the best there is.
 */
async function initNamespace(procRoot: string): Promise<string | null> {
  if ((await readSmall(`${procRoot}/2/comm`)) === 'kthreadd\n') {
    const inode = await netnsOfLink(`${procRoot}/2/ns/net`);
    if (inode !== null) return inode;
  }
  return netnsOfLink(`${procRoot}/1/ns/net`);
}

async function currentFacts(procRoot: string): Promise<CurrentFacts> {
  const inode = await netnsOfLink(`${procRoot}/self/ns/net`);
  if (inode === null) throw new Error(`cannot tell which network namespace this is (${procRoot}/self/ns/net is unreadable)`);
  return { inode, initInode: await initNamespace(procRoot) };
}

async function describeCurrent(labeller: Labeller, facts: CurrentFacts, names: string[], selfPid: number): Promise<Described> {
  const host: Described = { kind: 'host', label: 'host', name: names[0] ? bounded(printable(names[0])) : null };
  if (facts.initInode === facts.inode) return host;
  const described = await labeller.describe(names, 'self');
  if (described) return described;
  // Without root init's namespace is unknown: a process in no container and no named namespace is most likely on the host.
  if (facts.initInode === null) return host;
  return { kind: 'process', label: `this namespace (pid ${selfPid})`, name: null };
}

/** In the schema's order, which is the order of `idlewatch namespaces --json`. */
function namespaceOf(id: string, current: boolean, { label, kind, name }: Described, pids: number[]): NetworkNamespace {
  return { id, name, current, label, kind, pids };
}

function resolved(options: DiscoveryOptions) {
  return {
    procRoot: options.procRoot ?? '/proc',
    runNetnsDir: options.runNetnsDir ?? NAMED_NAMESPACES_DIR,
    // Loaded when a Docker container is found: the client validates with zod, which the plain
    // `idlewatch snapshot` path (it reads the current namespace through this module) must not load.
    docker: options.docker ?? (async () => (await import('./docker-engine')).listDockerContainers()),
    selfPid: options.selfPid ?? process.pid,
  };
}

/** The namespace Idlewatch runs in, without scanning every process: its pids are its own. */
export async function discoverCurrentNamespace(options: DiscoveryOptions = {}): Promise<NetworkNamespace> {
  const { procRoot, runNetnsDir, docker, selfPid } = resolved(options);
  const facts = await currentFacts(procRoot);
  const named = await scanNamed(runNetnsDir, await nsfsDevice(procRoot));
  const described = await describeCurrent(new Labeller(procRoot, docker), facts, named.get(facts.inode) ?? [], selfPid);
  return namespaceOf(facts.inode, true, described, [selfPid]);
}

const byLabel = (a: DiscoveredNamespace, b: DiscoveredNamespace) =>
  Number(b.namespace.current) - Number(a.namespace.current) ||
  (a.namespace.label < b.namespace.label ? -1 : a.namespace.label > b.namespace.label ? 1 : 0) ||
  Number(a.namespace.id) - Number(b.namespace.id);

/**
 * Every network namespace this process can see, the current one first, then by label. Each but
 * the current one comes with its entry: by `ip netns` name when it has an accepted one (it
 * outlives any process), else by its lowest pid; a namespace that can be entered neither way
 * (only a name the entry rules refuse, and no process) is left out.
 */
export async function discoverNamespaces(options: DiscoveryOptions = {}): Promise<DiscoveredNamespace[]> {
  const { procRoot, runNetnsDir, docker, selfPid } = resolved(options);
  const facts = await currentFacts(procRoot);
  const [byProcess, named] = await Promise.all([scanProcesses(procRoot), nsfsDevice(procRoot).then((dev) => scanNamed(runNetnsDir, dev))]);
  const labeller = new Labeller(procRoot, docker);
  const inodes = [...new Set([facts.inode, ...byProcess.keys(), ...named.keys()])];
  const found = await Promise.all(
    inodes.map(async (inode): Promise<DiscoveredNamespace | null> => {
      const pids = byProcess.get(inode) ?? [];
      const names = named.get(inode) ?? [];
      if (inode === facts.inode) {
        const described = await describeCurrent(labeller, facts, names, selfPid);
        return { namespace: namespaceOf(inode, true, described, pids.length ? pids : [selfPid]), entry: null };
      }
      const name = names.find(isNetnsName);
      const first = pids[0];
      const entry: NamespaceEntry | null =
        name !== undefined ? { kind: 'name', name, inode } : first !== undefined ? { kind: 'pid', pid: first, inode } : null;
      if (entry === null) return null;
      let described = await labeller.describe(names, first ?? null);
      if (described === null && first !== undefined) {
        const command = await labeller.command(first);
        described = { kind: 'process', label: bounded(command === null ? `pid ${first}` : `${printable(command)} (pid ${first})`), name: null };
      }
      if (described === null) return null;
      return { namespace: namespaceOf(inode, false, described, pids), entry };
    }),
  );
  return found.filter((d): d is DiscoveredNamespace => d !== null).sort(byLabel);
}

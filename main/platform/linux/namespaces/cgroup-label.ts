/**
 * Which container a process belongs to, from its /proc/PID/cgroup. Container engines put each
 * container's processes in a cgroup named after the container's 64-hex id, in one of a few
 * well-known shapes per engine and cgroup driver (systemd or cgroupfs); a Kubernetes pod's
 * containers sit under the pod's cgroup, `pod<uid>`. Pure: the text in, the container out.
 *
 * The shapes (cgroup v1 `ID:controllers:path` lines and the v2 `0::path` line alike):
 * - Docker:      /docker/<id>                                       (cgroupfs driver)
 *                /system.slice/docker-<id>.scope                      (systemd driver)
 * - Kubernetes:  /kubepods/<qos>/pod<uid>/<id>                        (cgroupfs driver, any runtime)
 *                /kubepods.slice/…/kubepods-<qos>-pod<uid_>.slice/cri-containerd-<id>.scope
 *                …/crio-<id>.scope, …/docker-<id>.scope               (systemd driver)
 * - CRI-O:       …/crio-<id>.scope (crio-conmon-<id>.scope is its monitor, not the container)
 * - podman:      …/libpod-<id>.scope[/container] (libpod-conmon-<id>.scope is its monitor),
 *                /libpod_parent/libpod-<id>                           (cgroupfs driver)
 * - containerd:  …/cri-containerd-<id>.scope, nerdctl-<id>.scope, /<namespace>/<id>
 */

/** The engines whose cgroup names are known. */
export type ContainerEngine = 'docker' | 'containerd' | 'cri-o' | 'podman' | null;

export interface CgroupContainer {
  /** 'kubernetes' when under a pod's cgroup, 'docker' for a Docker container, else 'container'. */
  kind: 'docker' | 'kubernetes' | 'container';
  engine: ContainerEngine;
  /** The 64-hex container id, lower case. */
  containerId: string;
  /** The pod's uid (dashes restored) when under Kubernetes. */
  podUid: string | null;
  /** "docker 3f2a1b9c0d4e", "pod 1a2b3c4d… container 3f2a1b9c0d4e", "podman 3f2a1b9c0d4e". */
  label: string;
}

const ID = '([0-9a-f]{64})';
/** A cgroup path component naming a container: engine prefix, the id, an optional systemd suffix. */
const SCOPE_PATTERNS: { pattern: RegExp; engine: ContainerEngine }[] = [
  { pattern: new RegExp(`^docker-${ID}\\.scope$`), engine: 'docker' },
  { pattern: new RegExp(`^cri-containerd-${ID}\\.scope$`), engine: 'containerd' },
  { pattern: new RegExp(`^nerdctl-${ID}\\.scope$`), engine: 'containerd' },
  { pattern: new RegExp(`^crio-${ID}(?:\\.scope)?$`), engine: 'cri-o' },
  { pattern: new RegExp(`^libpod-${ID}(?:\\.scope)?$`), engine: 'podman' },
];
const BARE_ID = new RegExp(`^${ID}$`);
/** `pod<uid>` (cgroupfs) or `kubepods-<qos>-pod<uid with _ for ->.slice` (systemd). */
const POD = /(?:^|-)pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})(?:\.slice)?$/;

const short = (id: string) => id.slice(0, 12);

function fromPath(path: string): CgroupContainer | null {
  const parts = path.split('/').filter((p) => p !== '');
  let found: { index: number; containerId: string; engine: ContainerEngine } | null = null;
  // The innermost component that names a container wins: podman nests `container` under its scope.
  for (let i = parts.length - 1; i >= 0 && !found; i--) {
    const part = parts[i]!;
    for (const { pattern, engine } of SCOPE_PATTERNS) {
      const m = pattern.exec(part);
      if (m) {
        found = { index: i, containerId: m[1]!, engine };
        break;
      }
    }
    if (!found && BARE_ID.test(part) && i > 0) {
      // A bare id only means a container under a known parent: /docker/<id>, a pod, a containerd namespace.
      const parent = parts[i - 1]!;
      const engine: ContainerEngine = parent === 'docker' ? 'docker' : POD.test(parent) ? null : 'containerd';
      found = { index: i, containerId: part, engine };
    }
  }
  if (!found) return null;
  const pod = parts
    .slice(0, found.index)
    .map((p) => POD.exec(p)?.[1])
    .findLast((uid) => uid !== undefined);
  const underKubepods = parts.slice(0, found.index).some((p) => p === 'kubepods' || p.startsWith('kubepods.') || p.startsWith('kubepods-'));
  if (pod && underKubepods) {
    const podUid = pod.replaceAll('_', '-');
    return {
      kind: 'kubernetes',
      engine: found.engine,
      containerId: found.containerId,
      podUid,
      label: `pod ${podUid.slice(0, 8)}… container ${short(found.containerId)}`,
    };
  }
  if (found.engine === null) return null;
  if (found.engine === 'docker') {
    return { kind: 'docker', engine: 'docker', containerId: found.containerId, podUid: null, label: `docker ${short(found.containerId)}` };
  }
  return {
    kind: 'container',
    engine: found.engine,
    containerId: found.containerId,
    podUid: null,
    label: `${found.engine} ${short(found.containerId)}`,
  };
}

/**
 * The container a process is in, from the text of its /proc/PID/cgroup; null for a process in no
 * container (a systemd service, a user session) or one whose engine names cgroups otherwise.
 */
export function containerFromCgroup(text: string): CgroupContainer | null {
  for (const line of text.split('\n')) {
    // hierarchy-ID:controller-list:cgroup-path; the path itself may hold colons.
    const first = line.indexOf(':');
    const second = first < 0 ? -1 : line.indexOf(':', first + 1);
    if (second < 0) continue;
    const container = fromPath(line.slice(second + 1).trim());
    if (container) return container;
  }
  return null;
}

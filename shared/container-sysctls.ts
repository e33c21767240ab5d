/**
 * How keepalive values are kept in a network namespace that is not the host's. The sysctls are
 * per namespace (KEEPALIVE.md §1.1) and a new namespace starts with the kernel's defaults, not
 * the host's; a container's namespace has no /etc/sysctl.d of its own. So Idlewatch applies there
 * at run time only, and for "persist" names the exact lines that set the values where the
 * namespace is made. Pure: values and a namespace's kind in, text out (the CLI, the UI and the
 * core's refusal all say the same words).
 *
 * Sources, checked for these words:
 * - Docker: `docker run --sysctl` sets namespaced kernel parameters, `net.*` ones in the
 *   container's network namespace (not with --network=host).
 *   https://docs.docker.com/reference/cli/docker/container/run/#sysctl
 *   podman and nerdctl take the same option.
 * - Compose: a service's `sysctls:`, a map or a list.
 *   https://docs.docker.com/reference/compose-file/services/#sysctls
 * - Kubernetes: a pod's `securityContext.sysctls`; net.ipv4.tcp_keepalive_time, _intvl and
 *   _probes are in the safe set since Kubernetes 1.29 on kernels 4.5 or later
 *   (https://kubernetes.io/docs/reference/node/kernel-version-requirements/#pod-sysctls);
 *   before that they are unsafe sysctls, which the kubelet of each node must allow with
 *   --allowed-unsafe-sysctls (patterns ending in * allowed), and a pod asking for one its node
 *   does not allow is scheduled but fails to start; `net.*` sysctls cannot be set with
 *   hostNetwork (https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/).
 */
import type { NamespaceKind } from './model';
import type { KeepaliveValues } from './profiles';
import { KEEPALIVE_SYSCTL_KEYS } from './projection/what-if';

/** How one kind of namespace gets its values set each time it is made. */
export interface PersistWay {
  /** docker: `docker run`; compose: a Compose file; kubernetes: a pod spec; ip-netns: after `ip netns add`; process: whatever starts it. */
  via: 'docker' | 'compose' | 'kubernetes' | 'ip-netns' | 'process';
  /** Where the text goes, in plain words. */
  title: string;
  /** The exact text: a command line or a YAML snippet (lines separated by \n, no trailing newline). */
  text: string;
  /** What else to know, or null. */
  note: string | null;
  /** How a one-line message names it: the command itself, or the key ("Compose sysctls:"). */
  inline: string;
}

const ORDER = ['timeSec', 'intervalSec', 'probes'] as const;

/** `net.ipv4.tcp_keepalive_time=600` and its two siblings, in the kernel's order. */
export function sysctlAssignments(values: KeepaliveValues): string[] {
  return ORDER.map((field) => `${KEEPALIVE_SYSCTL_KEYS[field]}=${values[field]}`);
}

/** `docker run --sysctl net.ipv4.tcp_keepalive_time=600 --sysctl … …` (the image and the rest of the command follow). */
export function dockerRunLine(values: KeepaliveValues): string {
  return `docker run ${sysctlAssignments(values)
    .map((a) => `--sysctl ${a}`)
    .join(' ')} …`;
}

/** A Compose service's `sysctls:` map. */
export function composeSnippet(values: KeepaliveValues): string {
  return ['sysctls:', ...ORDER.map((field) => `  ${KEEPALIVE_SYSCTL_KEYS[field]}: ${values[field]}`)].join('\n');
}

/** A pod spec's `securityContext.sysctls` (values are strings in the Kubernetes API). */
export function kubernetesSnippet(values: KeepaliveValues): string {
  return [
    'spec:',
    '  securityContext:',
    '    sysctls:',
    ...ORDER.flatMap((field) => [`      - name: ${KEEPALIVE_SYSCTL_KEYS[field]}`, `        value: "${values[field]}"`]),
  ].join('\n');
}

/** What a Kubernetes administrator needs to know for the snippet to work. */
export const KUBERNETES_NOTE =
  "net.ipv4.tcp_keepalive_time, tcp_keepalive_intvl and tcp_keepalive_probes are on Kubernetes' safe sysctl list since 1.29 " +
  '(nodes with kernel 4.5 or later). Older clusters must allow them as unsafe sysctls on the kubelet of each node ' +
  "(--allowed-unsafe-sysctls 'net.ipv4.tcp_keepalive_*'); a pod asking for one its node does not allow is scheduled but " +
  'fails to start. A pod with hostNetwork: true shares the node\'s values and cannot set them.';

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** `sysctl -w …` for the three values (one process, one line). */
const sysctlWrite = (values: KeepaliveValues) => `sysctl -w ${sysctlAssignments(values).join(' ')}`;

function docker(values: KeepaliveValues): PersistWay {
  return {
    via: 'docker',
    title: 'docker run (podman run and nerdctl run take the same option)',
    text: dockerRunLine(values),
    note: 'Not with --network=host: that container shares the host\'s namespace and its values.',
    inline: dockerRunLine(values),
  };
}

function compose(values: KeepaliveValues): PersistWay {
  return { via: 'compose', title: 'Compose: under the service in compose.yaml', text: composeSnippet(values), note: null, inline: 'Compose sysctls:' };
}

function kubernetes(values: KeepaliveValues): PersistWay {
  return {
    via: 'kubernetes',
    title: "Kubernetes: in the pod's spec",
    text: kubernetesSnippet(values),
    note: KUBERNETES_NOTE,
    inline: "a pod's securityContext.sysctls",
  };
}

/**
 * The ways to keep these values in a namespace of this kind, the likeliest first; [] for the
 * host's (its drop-in under /etc/sysctl.d persists them). `name` is the ip netns name, if any.
 */
export function persistWays(values: KeepaliveValues, namespace: { kind: NamespaceKind; name: string | null }): PersistWay[] {
  switch (namespace.kind) {
    case 'host':
      return [];
    case 'docker':
      return [docker(values), compose(values)];
    case 'kubernetes':
      return [kubernetes(values)];
    case 'container':
      return [docker(values), compose(values), kubernetes(values)];
    case 'netns': {
      const name = namespace.name !== null && NAME.test(namespace.name) && namespace.name !== '.' && namespace.name !== '..' ? namespace.name : 'NAME';
      return [
        {
          via: 'ip-netns',
          title: `after each \`ip netns add ${name}\` (in the script or unit that makes it)`,
          text: `ip netns exec ${name} ${sysctlWrite(values)}`,
          note: 'Nothing persists a namespace made by ip netns add: it starts with the kernel defaults each time it is made.',
          inline: `ip netns exec ${name} ${sysctlWrite(values)} after each ip netns add`,
        },
      ];
    }
    case 'process':
      return [
        {
          via: 'process',
          title: 'inside the namespace, by whatever makes it (unshare, systemd PrivateNetwork=, a sandbox), each time',
          text: sysctlWrite(values),
          note: 'A namespace of a process ends with its last process, and a new one starts with the kernel defaults.',
          inline: `${sysctlWrite(values)} inside it, by whatever makes it`,
        },
      ];
  }
}

/** One line for a message: the first way, with the others named. */
export function persistHint(values: KeepaliveValues, namespace: { kind: NamespaceKind; name: string | null }): string {
  const ways = persistWays(values, namespace);
  if (ways.length === 0) return '';
  const [first, ...rest] = ways.map((w) => w.inline);
  return `To keep them, set them where the namespace is made: ${first}${rest.length ? ` (or ${rest.join(', or ')})` : ''}.`;
}

/** Why persisting another namespace is refused, with what to do instead (the core's 'bad-request' message). */
export function persistRefusal(values: KeepaliveValues, namespace: { kind: NamespaceKind; name: string | null; id: string; label: string }): string {
  const which = namespace.label && namespace.label !== namespace.id ? `network namespace ${namespace.id} (${namespace.label})` : `network namespace ${namespace.id}`;
  return (
    `${which} cannot be persisted by Idlewatch: it has no /etc/sysctl.d of its own, and a new one starts with the kernel defaults. ` +
    `Apply it at run time only (persist: false, \`--no-persist\`). ${persistHint(values, namespace)}`
  ).trim();
}

/** The ways as text for a terminal: a title line, the text indented, the note. */
export function formatPersistWays(ways: readonly PersistWay[]): string[] {
  return ways.flatMap((w) => [`  ${w.title}:`, ...w.text.split('\n').map((line) => `      ${line}`), ...(w.note ? [`    ${w.note}`] : [])]);
}

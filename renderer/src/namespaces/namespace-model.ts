/**
 * Network namespaces as the UI shows them (issue 9): the selector's entries, the table's namespace
 * labels and their order, which namespaces' settings differ from the host's, what the kernel line
 * says, and which namespace the Profiles panel works on. Pure, so it is tested as it is shown;
 * every name that comes from outside (a container's name, an `ip netns` name, the core's
 * sentences) goes through printable().
 */
import type { NamespaceSummary, NamespacesView, PollState, SnapshotHead } from '../../../shared/api/contract';
import { printable } from '../../../shared/format';
import type { KeepaliveSettings, NamespaceKind, NamespaceSettings, NetworkNamespace } from '../../../shared/model';
import { keepaliveTriple, namespaceDrift } from '../../../shared/namespace-drift';

/** What the poller reads: the namespace Idlewatch runs in, all of them, or one by id. */
export type NamespaceSelection = PollState['namespace'];

/** One entry of the namespace selector. */
export interface NamespaceOption {
  /** What selectNamespace takes: 'current' for the host, an id, or 'all'. */
  value: NamespaceSelection;
  /** Printable: "host", "web-1", "nginx (pid 4242)", "All namespaces". */
  label: string;
  /** The kind as a tag (docker, kubernetes, netns, container, process); null for the host and "All namespaces". */
  kind: Exclude<NamespaceKind, 'host'> | null;
  /** "600/60/5", the namespace's keepalive time/interval/probes; null when not read (or for "All namespaces"). */
  values: string | null;
  /** "12 sockets · 2 at risk"; null when not counted. */
  counts: string | null;
  atRisk: number;
  /** Why its settings are not the host's ("kernel defaults 7200/75/9 — the host's 600/60/5 does not reach it"); null when they are. */
  drift: string | null;
  /** Why it could not be read, when it could not. */
  error: string | null;
}

const plural = (n: number, one: string, many: string) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** "7200/75/9": a namespace's keepalive settings as profiles speak of them. */
export const valuesOf = (settings: KeepaliveSettings): string => keepaliveTriple(settings);

/** The tag shown beside a label: nothing for the host's own stack. */
export const kindTag = (kind: NamespaceKind): NamespaceOption['kind'] => (kind === 'host' ? null : kind);

/** How `settings` differ from the host's, in the core's words (shared/namespace-drift.ts); null when they do not. */
export function driftSentence(settings: KeepaliveSettings, host: KeepaliveSettings | null): string | null {
  const drift = namespaceDrift(settings, host);
  return drift.differs ? (drift.note ?? 'its keepalive settings differ from the host’s') : null;
}

/** A summary's drift sentence (the core's words), or null when its settings are the host's. */
export function driftOf(summary: NamespaceSummary, host: KeepaliveSettings | null): string | null {
  if (!summary.differsFromHost) return null;
  if (summary.note) return printable(summary.note);
  return (summary.settings && driftSentence(summary.settings, host)) ?? 'its keepalive settings differ from the host’s';
}

/** The host's entry: the namespace Idlewatch runs in. */
export function hostSummary(view: NamespacesView | null): NamespaceSummary | null {
  return view?.namespaces.find((s) => s.namespace.id === view.host) ?? view?.namespaces.find((s) => s.namespace.current) ?? null;
}

function countsText(summary: NamespaceSummary): string {
  const parts = [plural(summary.sockets, 'socket', 'sockets')];
  if (summary.atRisk > 0) parts.push(`${summary.atRisk.toLocaleString('en-US')} at risk`);
  return parts.join(' · ');
}

export const ALL_LABEL = 'All namespaces';

/**
 * The selector's entries: the host first, then every other namespace in the core's order (by
 * label), then "All namespaces". Without the view yet, or without root, the host alone.
 */
export function selectorOptions(view: NamespacesView | null, head: Pick<SnapshotHead, 'namespace'> | null = null): NamespaceOption[] {
  const host = hostSummary(view);
  const hostSettings = host?.settings ?? null;
  const option = (summary: NamespaceSummary, value: NamespaceSelection): NamespaceOption => ({
    value,
    label: printable(summary.namespace.label),
    kind: value === 'current' ? null : kindTag(summary.namespace.kind),
    values: summary.settings ? valuesOf(summary.settings) : null,
    counts: summary.error ? null : countsText(summary),
    atRisk: summary.atRisk,
    drift: value === 'current' ? null : driftOf(summary, hostSettings),
    error: summary.error ? printable(summary.error) : null,
  });
  const options: NamespaceOption[] = [];
  if (host) options.push(option(host, 'current'));
  else {
    const label = head && head.namespace.current ? printable(head.namespace.label) : 'host';
    options.push({ value: 'current', label, kind: null, values: null, counts: null, atRisk: 0, drift: null, error: null });
  }
  if (!view?.available) return options;
  for (const summary of view.namespaces) if (summary !== host) options.push(option(summary, summary.namespace.id));
  if (view.namespaces.length > 1) {
    const atRisk = view.namespaces.reduce((sum, s) => sum + s.atRisk, 0);
    const sockets = view.namespaces.reduce((sum, s) => sum + s.sockets, 0);
    const differing = view.namespaces.filter((s) => s.differsFromHost).length;
    options.push({
      value: 'all',
      label: ALL_LABEL,
      kind: null,
      values: null,
      counts: [plural(sockets, 'socket', 'sockets'), ...(atRisk > 0 ? [`${atRisk.toLocaleString('en-US')} at risk`] : [])].join(' · '),
      atRisk,
      drift: differing > 0 ? `${plural(differing, 'namespace differs', 'namespaces differ')} from the host's settings` : null,
      error: null,
    });
  }
  return options;
}

/** Whether an entry is what the poller reads now ('current' and the host's own id are the same). */
export function isSelected(value: NamespaceSelection, selection: NamespaceSelection, hostId: string | null): boolean {
  if (value === selection) return true;
  return value === 'current' && selection === hostId;
}

/**
 * The entry the selector shows as chosen. Before the list has loaded (or when the chosen
 * namespace left it) it is made from what is known: the snapshot's namespace, or its id.
 */
export function currentOption(
  options: readonly NamespaceOption[],
  selection: NamespaceSelection,
  hostId: string | null,
  head: Pick<SnapshotHead, 'namespace'> | null,
): NamespaceOption {
  const found = options.find((o) => isSelected(o.value, selection, hostId));
  if (found) return found;
  const blank = { kind: null, values: null, counts: null, atRisk: 0, drift: null, error: null };
  if (selection === 'all') return { ...blank, value: 'all', label: ALL_LABEL };
  if (head && head.namespace.id === selection) {
    return { ...blank, value: selection, label: printable(head.namespace.label), kind: kindTag(head.namespace.kind) };
  }
  return { ...blank, value: selection, label: selection === 'current' ? 'host' : `namespace ${selection}` };
}

/**
 * Whether the table already holds what was selected: a switch is under way until the first
 * reading of the new namespace arrives. (With a single namespace, "all" and the host read alike.)
 */
export function headHolds(head: Pick<SnapshotHead, 'namespace' | 'namespaces'> | null, selection: NamespaceSelection, knownNamespaces: number): boolean {
  if (head === null) return false;
  const single = head.namespaces.length <= 1;
  if (selection === 'all') return !single || knownNamespaces <= 1;
  if (selection === 'current') return single && head.namespace.current;
  return single && head.namespace.id === selection;
}

// ---- the table: labels, order and drift of the namespaces a snapshot holds ----

/** What the table needs to label, sort, filter and mark rows by their namespace. */
export interface NamespaceIndex {
  /** id → label (as the core sent it; the table makes it printable). */
  labels: ReadonlyMap<string, string>;
  kinds: ReadonlyMap<string, NamespaceKind>;
  /** id → position: the host first, then by label, as the selector lists them. */
  rank: ReadonlyMap<string, number>;
  /** id → why its settings are not the host's, for the namespaces whose are not. */
  drift: ReadonlyMap<string, string>;
  /** The host's settings, when the snapshot holds the host. */
  hostSettings: KeepaliveSettings | null;
}

/**
 * A string that changes exactly when the index would: the head arrives anew with every poll,
 * and the table re-filters and re-sorts only when this changes.
 */
export function namespaceIndexKey(entries: readonly NamespaceSettings[]): string {
  return JSON.stringify(entries.map((e) => [e.namespace.id, e.namespace.label, e.namespace.kind, e.namespace.current, e.settings]));
}

const byLabel = (a: NetworkNamespace, b: NetworkNamespace) =>
  Number(b.current) - Number(a.current) || a.label.localeCompare(b.label, 'en') || a.id.localeCompare(b.id, 'en');

/** The index of a snapshot's namespaces; `notes` are the core's drift sentences by id, where known. */
export function namespaceIndex(entries: readonly NamespaceSettings[], notes: ReadonlyMap<string, string> = new Map()): NamespaceIndex {
  const host = entries.find((e) => e.namespace.current) ?? null;
  const hostSettings = host?.settings ?? null;
  const sorted = [...entries].sort((a, b) => byLabel(a.namespace, b.namespace));
  const drift = new Map<string, string>();
  if (hostSettings) {
    for (const { namespace, settings } of entries) {
      const sentence = namespace.current ? null : driftSentence(settings, hostSettings);
      if (sentence !== null) drift.set(namespace.id, notes.get(namespace.id) ?? sentence);
    }
  }
  return {
    labels: new Map(entries.map((e) => [e.namespace.id, e.namespace.label])),
    kinds: new Map(entries.map((e) => [e.namespace.id, e.namespace.kind])),
    rank: new Map(sorted.map((e, i) => [e.namespace.id, i])),
    drift,
    hostSettings,
  };
}

/** The core's drift sentences by namespace id (from listNamespaces). */
export function driftNotes(view: NamespacesView | null): Map<string, string> {
  const host = hostSummary(view)?.settings ?? null;
  const notes = new Map<string, string>();
  for (const summary of view?.namespaces ?? []) {
    const drift = driftOf(summary, host);
    if (drift) notes.set(summary.namespace.id, drift);
  }
  return notes;
}

// ---- the kernel line ----

export type KernelLineScope =
  /** One namespace: its label (null for the host, which needs none) and why it differs from the host. */
  | { kind: 'one'; label: string | null; tag: NamespaceOption['kind']; drift: string | null }
  /** Every namespace: how many there are and how many differ from the host. */
  | { kind: 'all'; namespaces: number; differing: number; hostSettings: KeepaliveSettings };

/** What the kernel line says about whose settings it shows. */
export function kernelLineScope(head: Pick<SnapshotHead, 'namespace' | 'namespaces' | 'settings'>, notes: ReadonlyMap<string, string>, hostSettings: KeepaliveSettings | null): KernelLineScope {
  if (head.namespaces.length > 1) {
    const index = namespaceIndex(head.namespaces, notes);
    return { kind: 'all', namespaces: head.namespaces.length, differing: index.drift.size, hostSettings: index.hostSettings ?? head.settings };
  }
  const { namespace } = head;
  if (namespace.current) return { kind: 'one', label: null, tag: null, drift: null };
  const drift = notes.get(namespace.id) ?? driftSentence(head.settings, hostSettings);
  return { kind: 'one', label: printable(namespace.label), tag: kindTag(namespace.kind), drift };
}

/** "settings differ per namespace: 1 of 3 differs from the host's" — the all view's kernel line. */
export function allNamespacesText(scope: Extract<KernelLineScope, { kind: 'all' }>): string {
  if (scope.differing === 0) return `every one of the ${scope.namespaces} namespaces has the host's settings`;
  return `settings differ per namespace: ${scope.differing} of ${scope.namespaces} ${scope.differing === 1 ? 'differs' : 'differ'} from the host's`;
}

// ---- the Profiles panel's target ----

export type ProfileTarget =
  /** The namespace Idlewatch runs in: apply and persist as before. */
  | { kind: 'host' }
  /** Another namespace: preview and apply at runtime only; persisting is the container engine's. */
  | { kind: 'namespace'; id: string; label: string; tag: NamespaceOption['kind']; summary: NamespaceSummary | null }
  /** The table shows every namespace: the panel asks which one. */
  | { kind: 'choose' };

/**
 * Which namespace the Profiles panel previews and applies to: the one the table shows, or, in
 * the all-namespaces view, the one picked in the panel (`picked`, an id or 'current').
 */
export function profileTarget(selection: NamespaceSelection, picked: NamespaceSelection | null, view: NamespacesView | null): ProfileTarget {
  const target = selection === 'all' ? picked : selection;
  if (target === null || target === 'all') return { kind: 'choose' };
  if (target === 'current' || target === view?.host) return { kind: 'host' };
  const summary = view?.namespaces.find((s) => s.namespace.id === target) ?? null;
  if (summary?.namespace.current) return { kind: 'host' };
  return {
    kind: 'namespace',
    id: target,
    label: summary ? printable(summary.namespace.label) : `network namespace ${target}`,
    tag: summary ? kindTag(summary.namespace.kind) : null,
    summary,
  };
}

/** The namespace option of previewProfile/applyProfile: absent for the host. */
export function namespaceOption(target: ProfileTarget): { namespace?: string } {
  return target.kind === 'namespace' ? { namespace: target.id } : {};
}

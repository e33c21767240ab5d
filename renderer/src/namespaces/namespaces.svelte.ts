/**
 * The network namespaces as the selector holds them: the core's NamespacesView (every namespace,
 * its settings next to the host's, its counts) and which one the poller reads. What the poller
 * reads is the core's PollState.namespace, never a local guess; a selection on its way is shown
 * as such until the core answers and the table holds the new namespace's connections.
 */
import type { NamespacesView } from '../../../shared/api/contract';
import type { Bridge } from '../lib/bridge';
import type { ConnectionsStore } from '../lib/connections.svelte';
import { driftNotes, headHolds, hostSummary, type NamespaceSelection } from './namespace-model';

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class NamespacesState {
  view = $state.raw<NamespacesView | null>(null);
  loadError = $state<string | null>(null);
  loading = $state(false);
  /** A selection sent to the core and not answered yet. */
  requested = $state<NamespaceSelection | null>(null);
  selectError = $state<string | null>(null);

  readonly #bridge: Bridge;
  readonly #store: ConnectionsStore;
  #loading: Promise<void> | null = null;

  constructor(bridge: Bridge, store: ConnectionsStore) {
    this.#bridge = bridge;
    this.#store = store;
  }

  /** What the poller reads, as the core last said. */
  readonly selection: NamespaceSelection = $derived.by(() => this.#store.pollState?.namespace ?? 'current');

  /** The id of the namespace Idlewatch runs in. */
  readonly hostId: string | null = $derived.by(() => {
    const head = this.#store.head;
    return this.view?.host ?? (head?.namespace.current ? head.namespace.id : null);
  });

  /** Other namespaces can be read (root on Linux). */
  readonly available = $derived(this.view?.available ?? false);

  /** The core's drift sentences by namespace id. */
  readonly notes: ReadonlyMap<string, string> = $derived(driftNotes(this.view));

  readonly hostSettings = $derived(hostSummary(this.view)?.settings ?? null);

  /** The selection is made but the table still shows what was read before it. */
  readonly switching = $derived.by(() => {
    const head = this.#store.head;
    return this.requested !== null || (head !== null && !headHolds(head, this.selection, this.view?.namespaces.length ?? 1));
  });

  /** Fetches the list and its counts (at start, when the selector opens, after a switch). */
  load(): Promise<void> {
    this.#loading ??= (async () => {
      this.loading = true;
      try {
        this.view = await this.#bridge.listNamespaces();
        this.loadError = null;
      } catch (error) {
        this.loadError = `Could not list the network namespaces: ${messageOf(error)}`;
      } finally {
        this.loading = false;
        this.#loading = null;
      }
    })();
    return this.#loading;
  }

  /** Makes the poller read `target`; the table follows with the next reading. */
  async select(target: NamespaceSelection): Promise<void> {
    this.requested = target;
    this.selectError = null;
    try {
      await this.#store.selectNamespace(target);
    } catch (error) {
      this.selectError = `Could not switch the namespace: ${messageOf(error)}`;
    } finally {
      this.requested = null;
    }
  }
}

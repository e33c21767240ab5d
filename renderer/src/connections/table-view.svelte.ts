/**
 * What the table shows: sort, filters, the selection, and — when it holds several network
 * namespaces — which namespace each row lives in. Sorting runs only when
 * the rows or the sort change; filtering runs when the rows, the sort or a filter change, and
 * on each clock tick only while a minimum idle time is set (rows cross that threshold as time
 * passes). The 1 s clock never re-sorts.
 */
import { untrack } from 'svelte';
import { filterRows, isFiltering, NO_FILTER, type FilterSpec } from '../../../shared/connection-filter';
import type { KnownConnection } from '../../../shared/snapshot-delta';
import { clock } from '../lib/clock.svelte';
import type { ConnectionsStore } from '../lib/connections.svelte';
import { namespaceIndex, namespaceIndexKey, type NamespaceIndex } from '../namespaces/namespace-model';
import { idleOrder, nextSort, sortRows, type SortColumn, type SortSpec } from './table-model';
import type { ViewPreferences } from './view-preferences';

export class TableView {
  readonly #store: ConnectionsStore;
  sort = $state<SortSpec>({ column: 'idle', direction: 'desc' });
  filter = $state<FilterSpec>({ ...NO_FILTER });
  selectedId = $state<string | null>(null);
  /** The core's drift sentences by namespace id (listNamespaces), for the namespace column's marks. */
  namespaceNotes = $state.raw<ReadonlyMap<string, string>>(new Map());

  /** Moves only when the namespaces of the snapshot change, not with every head a poll brings. */
  readonly #namespaceKey = $derived.by(() => namespaceIndexKey(this.#store.head?.namespaces ?? []));

  /** Labels, order and drift of the namespaces the table holds. */
  readonly namespaces: NamespaceIndex = $derived.by(() => {
    void this.#namespaceKey;
    const notes = this.namespaceNotes;
    return untrack(() => namespaceIndex(this.#store.head?.namespaces ?? [], notes));
  });

  /** The table holds connections of several namespaces (the all-namespaces view): it shows which. */
  readonly showNamespace = $derived.by(() => this.#store.pollState?.namespace === 'all' || this.namespaces.labels.size > 1);

  /** Every row, most idle first: the base every column sort starts from (its ties stay in this order). */
  readonly #byIdle: KnownConnection[] = $derived.by(() => {
    void this.#store.rowsVersion;
    return idleOrder(Array.from(this.#store.rows.values()));
  });

  /** Every row in sort order. */
  readonly sorted: KnownConnection[] = $derived.by(() => {
    if (this.sort.column === 'idle' && this.sort.direction === 'desc') return this.#byIdle;
    return sortRows(this.#byIdle, this.sort, this.sort.column === 'namespace' ? { namespaceRank: this.namespaces.rank } : {});
  });

  /** The rows the table shows. */
  readonly rows: KnownConnection[] = $derived.by(() => {
    const now = this.filter.minIdleSec !== null ? clock.now : 0;
    // The text filter finds a namespace's label only where the table shows that column.
    const context = this.showNamespace && this.filter.text.trim() !== '' ? { namespaceLabels: this.namespaces.labels } : {};
    return filterRows(this.sorted, this.filter, now, context);
  });

  readonly filtering = $derived(isFiltering(this.filter));

  readonly selectedIndex = $derived(this.selectedId === null ? -1 : this.rows.findIndex((k) => k.connection.id === this.selectedId));

  /** The selected connection as last polled; null once it is gone. */
  readonly selected: KnownConnection | null = $derived.by(() => {
    void this.#store.rowsVersion;
    return this.selectedId === null ? null : (this.#store.rows.get(this.selectedId) ?? null);
  });

  constructor(store: ConnectionsStore, initial: ViewPreferences) {
    this.#store = store;
    this.sort = initial.sort;
    this.filter = initial.filter;
  }

  preferences(): ViewPreferences {
    return { sort: $state.snapshot(this.sort), filter: $state.snapshot(this.filter) };
  }

  sortBy(column: SortColumn) {
    this.sort = nextSort(this.sort, column);
  }

  clearFilters() {
    this.filter = { ...NO_FILTER };
  }

  select(id: string | null) {
    this.selectedId = id;
  }

  /** Selects the row at `index` of the shown rows. */
  selectIndex(index: number) {
    const row = this.rows[index];
    if (row) this.selectedId = row.connection.id;
  }
}

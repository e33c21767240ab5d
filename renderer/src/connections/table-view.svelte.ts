/**
 * What the table shows: sort, filters and the selection. Sorting runs only when
 * the rows or the sort change; filtering runs when the rows, the sort or a filter change, and
 * on each clock tick only while a minimum idle time is set (rows cross that threshold as time
 * passes). The 1 s clock never re-sorts.
 */
import { filterRows, isFiltering, NO_FILTER, type FilterSpec } from '../../../shared/connection-filter';
import type { KnownConnection } from '../../../shared/snapshot-delta';
import { clock } from '../lib/clock.svelte';
import type { ConnectionsStore } from '../lib/connections.svelte';
import { idleOrder, nextSort, sortRows, type SortColumn, type SortSpec } from './table-model';
import type { ViewPreferences } from './view-preferences';

export class TableView {
  readonly #store: ConnectionsStore;
  sort = $state<SortSpec>({ column: 'idle', direction: 'desc' });
  filter = $state<FilterSpec>({ ...NO_FILTER });
  selectedId = $state<string | null>(null);

  /** Every row, most idle first: the base every column sort starts from (its ties stay in this order). */
  readonly #byIdle: KnownConnection[] = $derived.by(() => {
    void this.#store.rowsVersion;
    return idleOrder(Array.from(this.#store.rows.values()));
  });

  /** Every row in sort order. */
  readonly sorted: KnownConnection[] = $derived(
    this.sort.column === 'idle' && this.sort.direction === 'desc' ? this.#byIdle : sortRows(this.#byIdle, this.sort),
  );

  /** The rows the table shows. */
  readonly rows: KnownConnection[] = $derived.by(() => {
    const now = this.filter.minIdleSec !== null ? clock.now : 0;
    return filterRows(this.sorted, this.filter, now);
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

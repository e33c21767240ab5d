/**
 * Keeps the renderer's copy of the table in step with the core: one whole snapshot, then the
 * deltas pushed after it (shared/snapshot-delta.ts). Framework-free so it is tested as is; the
 * reactive store (connections.svelte.ts) wraps it.
 *
 * Ordering: the subscription to `delta` starts before getSnapshot() is sent, so no delta falls
 * between the two. Deltas that arrive while the snapshot is on its way are held and replayed on
 * top of it; those the snapshot already contains (seq ≤ its seq) are skipped. A delta made for
 * another snapshot than the one held (a missed push) makes the store fetch the whole table again.
 */
import type { SnapshotDelta, SnapshotView } from '../../../shared/api/contract';
import { applyDelta, type KnownConnection } from '../../../shared/snapshot-delta';

/** Everything a push carries besides the connections. */
export type SnapshotHead = Omit<SnapshotView, 'connections'>;

export interface SnapshotSyncHooks {
  fetchSnapshot(): Promise<SnapshotView>;
  /** The held table or head changed; `rowsChanged` is false when only the head moved (nothing to re-sort). */
  changed(rowsChanged: boolean): void;
  /** getSnapshot() failed; the next delta tries again. */
  fetchFailed(error: unknown): void;
}

/** How many times a fetch is repeated at once when deltas keep missing; after that, the next delta retries. */
const MAX_FETCHES_IN_A_ROW = 3;

export function headOf(delta: SnapshotDelta): SnapshotHead {
  const { baseSeq: _baseSeq, upserts: _upserts, removed: _removed, ...head } = delta;
  return head;
}

export class SnapshotSync {
  /** The table: connection id → the connection and the moment it was read. */
  readonly rows = new Map<string, KnownConnection>();
  head: SnapshotHead | null = null;
  /** Deltas received during a fetch; null when no fetch is running. */
  private held: SnapshotDelta[] | null = null;
  private fetching: Promise<void> | null = null;

  constructor(private readonly hooks: SnapshotSyncHooks) {}

  /** Fetches the whole snapshot (at start, after a reconnect, after a missed delta). */
  resync(): Promise<void> {
    this.fetching ??= this.fetchLoop().finally(() => (this.fetching = null));
    return this.fetching;
  }

  receive(delta: SnapshotDelta): void {
    if (this.held) {
      this.held.push(delta);
      return;
    }
    if (!this.head) {
      // Nothing to apply it to (the first fetch failed): fetch now that the core has polled.
      void this.resync();
      return;
    }
    const result = this.apply(delta);
    if (result === 'gap') void this.resync();
    else if (result !== 'stale') this.hooks.changed(result === 'rows');
  }

  /** 'stale' = already contained; 'gap' = made for another snapshot; else what it changed. */
  private apply(delta: SnapshotDelta): 'stale' | 'gap' | 'rows' | 'head' {
    const head = this.head!;
    if (delta.seq <= head.seq) return 'stale';
    if (!applyDelta(this.rows, head.seq, delta)) return 'gap';
    this.head = headOf(delta);
    return delta.upserts.length > 0 || delta.removed.length > 0 ? 'rows' : 'head';
  }

  private async fetchLoop(): Promise<void> {
    for (let attempt = 1; attempt <= MAX_FETCHES_IN_A_ROW; attempt++) {
      this.held = [];
      let view: SnapshotView;
      try {
        view = await this.hooks.fetchSnapshot();
      } catch (error) {
        this.held = null;
        this.hooks.fetchFailed(error);
        return;
      }
      const held = this.held;
      this.held = null;
      const { connections, ...head } = view;
      this.rows.clear();
      for (const connection of connections) this.rows.set(connection.id, { connection, takenAt: view.takenAt });
      this.head = head;
      let gap = false;
      for (const delta of held) if (this.apply(delta) === 'gap') gap = true;
      this.hooks.changed(true);
      if (!gap) return;
    }
  }
}

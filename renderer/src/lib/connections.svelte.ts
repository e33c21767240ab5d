/**
 * The connection table as the UI sees it: the snapshot and its deltas (through SnapshotSync),
 * the poller's state, collector errors and the link to the core.
 *
 * The rows live in a plain Map, not in `$state`: 100,000 deep proxies would cost more than the
 * table itself. `rowsVersion` is the signal instead: it moves when rows changed, and only then
 * does the table re-sort.
 */
import type { PollState } from '../../../shared/api/contract';
import type { KnownConnection } from '../../../shared/snapshot-delta';
import type { Bridge, LinkState } from './bridge';
import { clock } from './clock.svelte';
import { ClockOffset } from './clock-offset';
import { SnapshotSync, type SnapshotHead } from './snapshot-sync';

export class ConnectionsStore {
  /** Moves whenever the rows changed. Read it to depend on `rows`. */
  rowsVersion = $state(0);
  head = $state.raw<SnapshotHead | null>(null);
  pollState = $state.raw<PollState | null>(null);
  /** The last collector error (an `error` event, or pollState.lastError); null after a good poll. */
  collectorError = $state<string | null>(null);
  /** getSnapshot() failed: no table yet, or the last re-fetch failed. */
  loadError = $state<string | null>(null);
  /** A control (interval, pause) was refused; shown until the next attempt. */
  controlError = $state<string | null>(null);
  link = $state.raw<LinkState>({ status: 'connecting', attempt: 0 });

  readonly #sync: SnapshotSync;
  readonly #offset = new ClockOffset();
  /** Plain (not $state): read inside the link callback without making anyone depend on it. */
  #linkOpen = false;

  readonly bridge: Bridge;

  constructor(bridge: Bridge) {
    this.bridge = bridge;
    this.#sync = new SnapshotSync({
      fetchSnapshot: () => bridge.getSnapshot(),
      changed: (rowsChanged) => {
        this.head = this.#sync.head;
        if (rowsChanged) this.rowsVersion++;
        this.loadError = null;
      },
      fetchFailed: (error) => {
        this.loadError = (error as Error).message ?? String(error);
      },
    });
  }

  /** The table; not reactive itself, read `rowsVersion` alongside. */
  get rows(): ReadonlyMap<string, KnownConnection> {
    return this.#sync.rows;
  }

  /** Subscribes and loads; returns the function that undoes it (fits `$effect`). */
  start(): () => void {
    const { bridge } = this;
    const stops = [
      bridge.on('delta', (delta) => {
        // A delta is a successful poll: whatever failed before has recovered.
        this.collectorError = null;
        this.#offset.observe(delta.takenAt, delta.pollMs, Date.now());
        clock.setOffset(this.#offset.offsetMs);
        this.#sync.receive(delta);
      }),
      bridge.on('pollState', (state) => this.#setPollState(state)),
      bridge.on('error', (error) => (this.collectorError = error.message)),
      bridge.onLink((link) => {
        const wasOpen = this.#linkOpen;
        this.#linkOpen = link.status === 'open';
        this.link = link;
        // Deltas were missed while the link was down: start over from a whole snapshot.
        // (A reconnect may reach a server on another machine: measure its clock afresh.)
        if (this.#linkOpen && !wasOpen) {
          this.#offset.reset();
          this.#load();
        }
      }),
    ];
    return () => stops.forEach((stop) => stop());
  }

  #load() {
    void this.#sync.resync();
    this.bridge.getPollState().then(
      (state) => this.#setPollState(state),
      () => undefined, // the table's own load reports a broken link
    );
  }

  #setPollState(state: PollState) {
    this.pollState = state;
    this.collectorError = state.lastError;
  }

  async #control(run: () => Promise<PollState>) {
    try {
      this.controlError = null;
      this.#setPollState(await run());
    } catch (error) {
      this.controlError = (error as Error).message;
    }
  }

  setPollInterval(ms: number) {
    return this.#control(() => this.bridge.setPollInterval(ms));
  }

  pause() {
    return this.#control(() => this.bridge.pausePolling());
  }

  resume() {
    return this.#control(() => this.bridge.resumePolling());
  }

  /**
   * Makes the poller read another network namespace (or all of them). The core polls at once,
   * and its next delta does not follow the last one: the table is fetched whole for the new
   * namespace (SnapshotSync's gap). Throws what the core refused with, for the selector to show.
   */
  async selectNamespace(target: PollState['namespace']): Promise<void> {
    this.#setPollState(await this.bridge.selectNamespace(target));
  }
}

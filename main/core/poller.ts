import type { NamespaceSelection, PollState, SnapshotDelta, SnapshotHead, SnapshotView } from '../../shared/api/contract';
import type { EffectiveKeepalive, HostInfo, NetworkNamespace, Snapshot, SocketFacts } from '../../shared/model';
import type { PlatformAdapter } from '../../shared/platform-adapter';
import type { IdleRule } from '../../shared/rules';
import { diffSnapshot, type KnownConnection } from '../../shared/snapshot-delta';
import { mergeNamespaceReads, namespacesToRead, readNamespaces } from './namespaces';
import { takeSnapshot, type SnapshotOptions } from './snapshot';

export interface PollerEvents {
  delta(delta: SnapshotDelta): void;
  state(state: PollState): void;
  error(message: string): void;
}

export interface PollerOptions {
  intervalMs: number;
  rules: readonly IdleRule[];
  /** The host, described once by the service; polls reuse it. */
  host: () => Promise<HostInfo>;
  /** Which namespace to read: the current one (default), one by id, or all of them. */
  namespace?: NamespaceSelection;
  /** Injectable for tests. */
  now?: () => number;
}

/**
 * Reading all namespaces, the list of them is taken again after this many polls (new containers
 * appear within that), and at once after a namespace could not be read (it may be gone).
 */
export const RELIST_NAMESPACES_EVERY_POLLS = 10;

/**
 * Polls the platform adapter on an interval, one poll at a time, and reports each poll as the
 * difference from the previous one. It keeps one map of the connections last reported.
 *
 * The cadence is anchored to when the last poll started: changing the interval moves the next
 * poll to `last start + new interval`, never to `now + interval`, so a client that keeps
 * changing it cannot starve polling. A poll that overruns its interval is reported as late at
 * once, so a UI can say its data is getting stale while the poll is still under way.
 */
/** Two readings of one timer's expiry within this are the same armed timer (a dump may place it a jiffy off). */
const SAME_TIMER_MS = 10;

const sameValues = (a: EffectiveKeepalive, b: EffectiveKeepalive) =>
  a === b || (a.timeSec === b.timeSec && a.intervalSec === b.intervalSec && a.probes === b.probes && a.userTimeoutMs === b.userTimeoutMs);

export class Poller {
  private known = new Map<string, KnownConnection>();
  private selection: NamespaceSelection;
  /** The selection `known` and `head` were read with: a poll of another one starts a new base. */
  private readSelection: NamespaceSelection;
  /** Reading all namespaces: the ones listed, and polls since they were. */
  private namespaceList: NetworkNamespace[] | null = null;
  private pollsSinceListed = 0;
  /**
   * Per connection: the values its keepalive timer was armed under, kept while that same timer is
   * armed and the values governing the socket have changed since (an apply lowered
   * tcp_keepalive_time). The kernel keeps such a timer's expiry and wheel level; only its next
   * firing uses the new values (KEEPALIVE.md §1.1).
   */
  private armedUnder = new Map<string, EffectiveKeepalive>();
  private head: SnapshotHead | null = null;
  private seq = 0;
  private timer: NodeJS.Timeout | null = null;
  private lateTimer: NodeJS.Timeout | null = null;
  private running = false;
  private polling: Promise<void> | null = null;
  private pollStartedAt: number | null = null;
  private lastStartedAt: number | null = null;
  private late = false;
  private lastPollAt: number | null = null;
  private lastError: string | null = null;
  private intervalMs: number;
  private rules: readonly IdleRule[];
  private readonly now: () => number;
  private firstPoll: Promise<void>;
  private resolveFirstPoll!: () => void;

  constructor(
    private readonly adapter: PlatformAdapter,
    private readonly options: PollerOptions,
    private readonly on: PollerEvents,
  ) {
    this.intervalMs = options.intervalMs;
    this.rules = options.rules;
    this.now = options.now ?? Date.now;
    this.selection = this.readSelection = options.namespace ?? 'current';
    this.firstPoll = new Promise((resolve) => (this.resolveFirstPoll = resolve));
  }

  state(): PollState {
    return {
      running: this.running,
      intervalMs: this.intervalMs,
      lastPollAt: this.lastPollAt,
      lastError: this.lastError,
      pollStartedAt: this.pollStartedAt,
      late: this.late,
      namespace: this.selection,
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.on.state(this.state());
    if (!this.polling) this.schedule(0);
  }

  /** Stops polling; the last snapshot stays available. */
  pause(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.on.state(this.state());
  }

  setIntervalMs(ms: number): void {
    if (ms === this.intervalMs) return;
    this.intervalMs = ms;
    if (this.running && !this.polling) this.schedule(this.untilNextPoll());
    this.on.state(this.state());
  }

  /** New rules take effect at once: the next poll runs now. */
  setRules(rules: readonly IdleRule[]): void {
    this.rules = rules;
    if (this.running && !this.polling) this.schedule(0);
  }

  /**
   * Reads another namespace (or all of them) from now on. The next poll runs at once, paused or
   * not, and starts a new delta base: its delta follows no snapshot a receiver holds, so each
   * receiver fetches the whole table (renderer/src/lib/snapshot-sync.ts, the recorder).
   */
  select(selection: NamespaceSelection): void {
    if (selection === this.selection) return;
    this.selection = selection;
    this.namespaceList = null;
    this.on.state(this.state());
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    void this.pollFresh().then(() => {
      if (this.running && !this.timer && !this.polling) this.schedule(this.untilNextPoll());
    });
  }

  /** The whole current table; waits for the first poll. */
  async snapshot(): Promise<SnapshotView> {
    await this.firstPoll;
    if (!this.head) throw new Error(this.lastError ?? 'no snapshot yet');
    return { ...this.head, connections: [...this.known.values()].map((k) => k.connection) };
  }

  /** Runs one poll now (tests, and the first poll). */
  async pollOnce(): Promise<void> {
    this.polling ??= this.poll().finally(() => (this.polling = null));
    return this.polling;
  }

  /**
   * A poll that starts after this call, even if one is under way (it may have read the settings
   * before they changed): after an apply, banners and countdowns must show the new values.
   */
  async pollFresh(): Promise<void> {
    if (this.polling) await this.polling;
    return this.pollOnce();
  }

  /**
   * Stops polling and releases the adapter once the poll under way (if any) has ended: closing
   * it under a poll that reads namespace after namespace would let the next read start a new
   * helper process that nothing closes, and the process would not exit. Safe to call more than once.
   */
  async stop(): Promise<void> {
    if (this.running) this.pause();
    if (this.lateTimer) clearTimeout(this.lateTimer);
    await this.polling?.catch(() => undefined);
    this.adapter.close();
  }

  /** How long until the next poll is due, counted from when the last one started. */
  private untilNextPoll(): number {
    if (this.lastStartedAt === null) return 0;
    return Math.max(0, this.lastStartedAt + this.intervalMs - this.now());
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.pollOnce().then(() => {
        // Keep the cadence: a poll that took 600 ms of a 1 s interval is followed 400 ms later.
        if (this.running && !this.timer) this.schedule(this.untilNextPoll());
      });
    }, delayMs);
  }

  private async poll(): Promise<void> {
    const started = performance.now();
    this.lastStartedAt = this.pollStartedAt = this.now();
    this.lateTimer = setTimeout(() => {
      this.late = true;
      this.on.state(this.state());
    }, this.intervalMs);
    try {
      const armedUnder = new Map<string, EffectiveKeepalive>();
      const armedWith = (facts: SocketFacts, effective: EffectiveKeepalive) => {
        const previous = this.known.get(facts.id)?.connection;
        const sameTimer =
          previous !== undefined &&
          facts.timer === 'keepalive' &&
          previous.timer === 'keepalive' &&
          facts.timerExpiresAt !== null &&
          previous.timerExpiresAt !== null &&
          Math.abs(facts.timerExpiresAt - previous.timerExpiresAt) <= SAME_TIMER_MS;
        if (!sameTimer) return undefined;
        // The same timer as at the last poll: armed under what governed the socket then (or before).
        const armed = this.armedUnder.get(facts.id) ?? previous.effective;
        if (sameValues(armed, effective)) return undefined;
        armedUnder.set(facts.id, armed);
        return armed;
      };
      const selection = this.selection;
      const snapshot = await this.read(selection, { rules: this.rules, host: await this.options.host(), armedWith });
      if (selection !== this.readSelection) {
        // Another selection: the delta is of the whole table, after a seq no receiver holds. (What
        // timers were armed under stays: ids are unique across namespaces, the same id the same socket.)
        this.known.clear();
        this.readSelection = selection;
        this.seq += 1;
      }
      this.armedUnder = armedUnder;
      const { connections, schema: _schema, ...rest } = snapshot;
      const baseSeq = this.seq;
      this.seq += 1;
      const head: SnapshotHead = { ...rest, seq: this.seq, pollMs: Math.round(performance.now() - started) };
      const delta = diffSnapshot(this.known, { ...head, connections }, baseSeq);
      this.head = head;
      this.lastPollAt = snapshot.takenAt;
      const recovered = this.lastError !== null;
      this.lastError = null;
      this.on.delta(delta);
      this.finishPoll(recovered);
    } catch (error) {
      this.lastError = (error as Error).message;
      this.on.error(this.lastError);
      this.finishPoll(true);
    } finally {
      this.resolveFirstPoll();
    }
  }

  /** One snapshot of what is selected. */
  private async read(selection: NamespaceSelection, options: Omit<SnapshotOptions, 'namespace'>): Promise<Snapshot> {
    if (selection !== 'all') return takeSnapshot(this.adapter, { ...options, namespace: selection });
    let listFailed: string | null = null;
    if (this.namespaceList === null || this.pollsSinceListed >= RELIST_NAMESPACES_EVERY_POLLS) {
      try {
        this.namespaceList = await namespacesToRead(this.adapter);
      } catch (error) {
        // Without the list, the namespaces read last time (or the current one) are read again.
        listFailed = `the network namespaces could not be listed: ${(error as Error).message}`.slice(0, 1000);
        this.namespaceList ??= await namespacesToRead(this.adapter, []);
      }
      this.pollsSinceListed = 0;
    }
    this.pollsSinceListed += 1;
    const reads = await readNamespaces(this.adapter, this.namespaceList, options);
    if (listFailed !== null || reads.some((r) => r.error !== null)) this.namespaceList = null;
    const snapshot = mergeNamespaceReads(reads);
    if (listFailed !== null) snapshot.diagnostics.warnings = [listFailed, ...snapshot.diagnostics.warnings].slice(0, 100);
    return snapshot;
  }

  private finishPoll(stateChanged: boolean): void {
    if (this.lateTimer) clearTimeout(this.lateTimer);
    this.lateTimer = null;
    this.pollStartedAt = null;
    const wasLate = this.late;
    this.late = false;
    if (stateChanged || wasLate) this.on.state(this.state());
  }
}

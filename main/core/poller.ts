import type { PollState, SnapshotDelta, SnapshotView } from '../../shared/api/contract';
import type { PlatformAdapter } from '../../shared/platform-adapter';
import type { IdleRule } from '../../shared/rules';
import { diffSnapshot, type KnownConnection } from '../../shared/snapshot-delta';
import { takeSnapshot } from './snapshot';

export interface PollerEvents {
  delta(delta: SnapshotDelta): void;
  state(state: PollState): void;
  error(message: string): void;
}

/**
 * Polls the platform adapter on an interval, one poll at a time, and reports each poll as the
 * difference from the previous one. It keeps one map of the connections last reported.
 */
export class Poller {
  private known = new Map<string, KnownConnection>();
  private head: Omit<SnapshotView, 'connections'> | null = null;
  private seq = 0;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private polling: Promise<void> | null = null;
  private lastPollAt: number | null = null;
  private lastError: string | null = null;
  private firstPoll: Promise<void>;
  private resolveFirstPoll!: () => void;

  constructor(
    private readonly adapter: PlatformAdapter,
    private intervalMs: number,
    private rules: readonly IdleRule[],
    private readonly on: PollerEvents,
  ) {
    this.firstPoll = new Promise((resolve) => (this.resolveFirstPoll = resolve));
  }

  state(): PollState {
    return { running: this.running, intervalMs: this.intervalMs, lastPollAt: this.lastPollAt, lastError: this.lastError };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.on.state(this.state());
    this.schedule(0);
  }

  /** Stops polling; the last snapshot stays available. */
  pause(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.on.state(this.state());
  }

  setIntervalMs(ms: number): void {
    this.intervalMs = ms;
    if (this.running && !this.polling) this.schedule(ms);
    this.on.state(this.state());
  }

  /** New rules take effect at once: the next poll runs now. */
  setRules(rules: readonly IdleRule[]): void {
    this.rules = rules;
    if (this.running && !this.polling) this.schedule(0);
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

  stop(): void {
    this.pause();
    this.adapter.close();
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      const started = Date.now();
      void this.pollOnce().then(() => {
        // Keep the cadence: a poll that took 600 ms of a 1 s interval is followed 400 ms later.
        if (this.running && !this.timer) this.schedule(Math.max(0, this.intervalMs - (Date.now() - started)));
      });
    }, delayMs);
  }

  private async poll(): Promise<void> {
    const started = performance.now();
    try {
      const snapshot = await takeSnapshot(this.adapter, { rules: this.rules });
      const { connections, schema: _schema, ...rest } = snapshot;
      const baseSeq = this.seq;
      this.seq += 1;
      const head = { ...rest, seq: this.seq, pollMs: Math.round(performance.now() - started) };
      const delta = diffSnapshot(this.known, { ...head, connections }, baseSeq);
      this.head = head;
      this.lastPollAt = snapshot.takenAt;
      const recovered = this.lastError !== null;
      this.lastError = null;
      this.on.delta(delta);
      if (recovered) this.on.state(this.state());
    } catch (error) {
      this.lastError = (error as Error).message;
      this.on.error(this.lastError);
      this.on.state(this.state());
    } finally {
      this.resolveFirstPoll();
    }
  }
}

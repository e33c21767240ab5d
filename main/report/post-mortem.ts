/**
 * The post-mortem of a recording: every connection that ended while it ran, when, how long it had
 * been idle, its last projection, and why (./end-cause.ts says how a cause is decided).
 *
 * A connection is followed by its id from poll to poll. Its end is the kernel's announcement when
 * one came (exact), else the first poll that no longer saw it (a window between two polls). What
 * follows an end on the same addresses belongs to the same connection: Linux gives a socket the
 * application has closed a new identity (no inode: an orphan in FIN_WAIT1/2 or LAST_ACK), and
 * leaves a TIME_WAIT socket behind an active close; they are its continuation, not new ones, and
 * they are the evidence of a FIN exchange.
 *
 * `analyseRecording` is pure; `readPostMortem` reads a file line by line into the same analysis.
 */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { NO_FILTER } from '../../shared/connection-filter';
import { CONNECTED_STATES, type Connection, type KeepaliveSettings, type Snapshot, type TcpState } from '../../shared/model';
import { agedTo } from '../../shared/model/ages';
import type { SnapshotHead } from '../../shared/api/schemas';
import type { SocketEnd } from '../../shared/platform-adapter';
import type { IdleRule } from '../../shared/rules';
import { classifyEnd, FIN_STATES, formatMoment, idleAtEnd, type EndFacts, type Successor } from './end-cause';
import { END_CAUSES, type EndCause, type EndedConnection, type PostMortem, type ReportInput } from './model';
import { readRecordingEntries, type Recording, type RecordingEntry, type RecordingSummary } from './recording-file';

/**
 * An announcement read up to this long after the first poll that no longer saw the socket still
 * times its end: the helper's report and the recorder's event loop may lag the free a little.
 * Later than that, the application held the dead socket and the poll times the end.
 */
const ANNOUNCEMENT_GRACE_MS = 250;

type Tuple = Pick<Connection, 'family' | 'localAddress' | 'localPort' | 'remoteAddress' | 'remotePort'>;
const tupleKey = (t: Tuple) => `${t.family}|${t.localAddress}|${t.localPort}|${t.remoteAddress}|${t.remotePort}`;
const mirrorKey = (t: Tuple) => `${t.family}|${t.remoteAddress}|${t.remotePort}|${t.localAddress}|${t.localPort}`;

/** States only seen after a FIN: a socket appearing in one is the end of something. */
const CLOSING_STATES: ReadonlySet<TcpState> = new Set([...FIN_STATES, 'TIME_WAIT', 'CLOSE']);

/** One socket id from the poll that first saw it to the one that no longer did. */
interface Tracker {
  id: string;
  key: string;
  view: Connection;
  viewAt: number;
  firstSeenAt: number;
  /** The first poll that no longer saw it; null while it lives. */
  goneAt: number | null;
  /** The last poll that saw it, once it is gone. */
  lastAliveAt: number | null;
  statesSeen: TcpState[];
  /** The first reading in a FIN state or TIME_WAIT. */
  closing: { state: TcpState; at: number } | null;
  end: SocketEnd | null;
  /** The connection this socket continues (an orphan or TIME_WAIT after a close); null for a connection of its own. */
  root: Tracker | null;
}

export interface RecordingAnalysisResult {
  postMortem: PostMortem;
  /** The last table the recording holds, every reading aged to its last poll; null when it holds no poll. */
  snapshot: Snapshot | null;
  /** The rules in force at its end. */
  rules: IdleRule[];
}

/**
 * Follows a recording's entries in file order (`add`), then works out the ends (`finish`). Holds
 * one tracker per socket seen, not the lines: a long recording is read in one pass.
 */
export class RecordingAnalysis {
  private readonly alive = new Map<string, Tracker>();
  private readonly trackers: Tracker[] = [];
  private readonly byKey = new Map<string, Tracker[]>();
  private readonly ends: { end: SocketEnd; tracker: Tracker | null }[] = [];
  private readonly pollTimes: number[] = [];
  private head: SnapshotHead | null = null;
  private rules: IdleRule[] | null = null;
  private stoppedAt: number | null = null;
  private lastAt = 0;
  private endSourceNotes: string[] = [];

  add(entry: RecordingEntry): void {
    switch (entry.type) {
      case 'snapshot': {
        const { type: _type, connections, ...head } = entry;
        const present = new Set<string>();
        for (const c of connections) present.add(c.id);
        for (const [id, tracker] of this.alive) if (!present.has(id)) this.gone(tracker, head.takenAt);
        for (const c of connections) this.seen(c, head.takenAt);
        this.poll(head);
        break;
      }
      case 'delta': {
        const { type: _type, upserts, removed, baseSeq: _base, ...head } = entry;
        for (const id of removed) {
          const tracker = this.alive.get(id);
          if (tracker) this.gone(tracker, head.takenAt);
        }
        for (const c of upserts) this.seen(c, head.takenAt);
        this.poll(head);
        break;
      }
      case 'end': {
        const { type: _type, id, ...end } = entry;
        // The recorder matched it against the table it held; a tracker gone since is matched again at the end.
        const tracker = id === null ? undefined : this.alive.get(id);
        this.ends.push({ end: end as SocketEnd, tracker: tracker ?? null });
        this.lastAt = Math.max(this.lastAt, end.at);
        break;
      }
      case 'end-source':
        this.endSourceNotes.push(`From ${formatMoment(entry.at, entry.at)} on, ends were seen by polls: ${entry.note}`);
        this.lastAt = Math.max(this.lastAt, entry.at);
        break;
      case 'rules':
        this.rules = entry.rules;
        this.lastAt = Math.max(this.lastAt, entry.at);
        break;
      case 'stop':
        this.stoppedAt = entry.at;
        this.lastAt = Math.max(this.lastAt, entry.at);
        break;
    }
  }

  private poll(head: SnapshotHead): void {
    this.head = head;
    this.pollTimes.push(head.takenAt);
    this.lastAt = Math.max(this.lastAt, head.takenAt);
  }

  private seen(c: Connection, at: number): void {
    let tracker = this.alive.get(c.id);
    if (!tracker) {
      tracker = { id: c.id, key: tupleKey(c), view: c, viewAt: at, firstSeenAt: at, goneAt: null, lastAliveAt: null, statesSeen: [], closing: null, end: null, root: null };
      this.alive.set(c.id, tracker);
      this.trackers.push(tracker);
      const same = this.byKey.get(tracker.key);
      if (same) same.push(tracker);
      else this.byKey.set(tracker.key, [tracker]);
    }
    tracker.view = c;
    tracker.viewAt = at;
    if (tracker.statesSeen.at(-1) !== c.state) tracker.statesSeen.push(c.state);
    if (tracker.closing === null && (FIN_STATES.has(c.state) || c.state === 'TIME_WAIT')) tracker.closing = { state: c.state, at };
  }

  private gone(tracker: Tracker, at: number): void {
    tracker.goneAt = at;
    tracker.lastAliveAt = this.pollTimes.at(-1) ?? tracker.firstSeenAt;
    this.alive.delete(tracker.id);
  }

  /** The last poll at or before `at`. */
  private pollAtOrBefore(at: number): number | null {
    let lo = 0;
    let hi = this.pollTimes.length - 1;
    let found: number | null = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.pollTimes[mid]! <= at) {
        found = this.pollTimes[mid]!;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  finish(summary: RecordingSummary, name: string): RecordingAnalysisResult {
    const { header } = summary;
    const intervalMs = header.intervalMs;
    const settings = this.head?.settings ?? null;
    const day = header.startedAt;

    this.linkContinuations();
    const standalone = this.matchEnds();

    const continuations = new Map<Tracker, Tracker[]>();
    for (const t of this.trackers) {
      if (t.root === null) continue;
      const list = continuations.get(t.root);
      if (list) list.push(t);
      else continuations.set(t.root, [t]);
    }
    const ended: EndedConnection[] = [];
    for (const tracker of this.trackers) {
      if (tracker.root !== null || (tracker.goneAt === null && tracker.end === null)) continue;
      const lineage = [tracker, ...(continuations.get(tracker) ?? [])];
      const statesSeen = lineage.flatMap((t) => t.statesSeen).filter((s, i, all) => i === 0 || all[i - 1] !== s);
      // Listeners, TIME_WAIT left from before, request sockets and connects that never completed are not connections that ended.
      if (!tracker.statesSeen.some((s) => CONNECTED_STATES.has(s))) continue;
      ended.push(this.endOf(tracker, lineage, statesSeen, settings, intervalMs, day));
    }
    for (const end of standalone) {
      // A listener or a socket never connected: no peer, no connection.
      if (end.remotePort === 0 || end.finalState === 'LISTEN') continue;
      ended.push(this.announcedOnly(end, settings, intervalMs, day));
    }
    ended.sort((a, b) => a.endedAt - b.endedAt);

    const byCause = Object.fromEntries(END_CAUSES.map((cause) => [cause, 0])) as Record<EndCause, number>;
    for (const e of ended) byCause[e.cause] += 1;

    const notes = [header.endSourceNote, ...this.endSourceNotes].filter((n): n is string => n !== null);
    const postMortem: PostMortem = {
      recording: {
        name,
        startedAt: header.startedAt,
        stoppedAt: this.stoppedAt,
        lastAt: Math.max(this.lastAt, header.startedAt),
        intervalMs,
        endSource: header.endSource,
        endSourceNote: notes.length ? notes.join(' ') : null,
        polls: this.pollTimes.length,
        truncated: summary.truncated,
      },
      ended,
      byCause,
    };
    return { postMortem, snapshot: this.lastSnapshot(), rules: this.rules ?? header.rules };
  }

  /** Marks each orphan or TIME_WAIT socket that took over the addresses of a connection as it ended. */
  private linkContinuations(): void {
    for (const group of this.byKey.values()) {
      if (group.length < 2) continue;
      // Trackers were created in poll order: each group is already by firstSeenAt.
      for (const next of group) {
        if (!CLOSING_STATES.has(next.statesSeen[0]!)) continue;
        const before = group.findLast(
          (t) => t !== next && t.goneAt !== null && t.lastAliveAt !== null && t.lastAliveAt < next.firstSeenAt && next.firstSeenAt <= t.goneAt,
        );
        if (before) next.root = before.root ?? before;
      }
    }
  }

  /** Gives each announcement its connection; returns those no poll saw. */
  private matchEnds(): SocketEnd[] {
    const standalone: SocketEnd[] = [];
    for (const { end, tracker: recorded } of this.ends) {
      let tracker = recorded;
      if (tracker === null) {
        // The recorder found no open connection by these addresses: one a poll had seen gone (the
        // application held the dead socket), or one born after the last poll.
        tracker =
          this.byKey
            .get(tupleKey(end))
            ?.findLast(
              (t) =>
                t.end === null &&
                t.root === null &&
                t.firstSeenAt <= end.at &&
                !t.statesSeen.every((s) => s === 'TIME_WAIT' || s === 'LISTEN') &&
                (t.lastAliveAt === null || t.lastAliveAt <= end.at),
            ) ?? null;
      }
      // An orphan's or TIME_WAIT's announcement stays with it: evidence for its connection, not its end.
      if (tracker === null) standalone.push(end);
      else if (tracker.end === null) tracker.end = end;
    }
    return standalone;
  }

  private successorOf(own: readonly Tracker[], key: string, mirror: string, after: number, until: number): Successor | null {
    const candidates: Successor[] = [];
    for (const t of own) if (t !== own[0] && t.closing) candidates.push({ state: t.closing.state, firstSeenAt: t.closing.at, mirrored: false });
    for (const [k, mirrored] of [
      [key, false],
      [mirror, true],
    ] as const) {
      for (const t of this.byKey.get(k) ?? []) {
        if (own.includes(t) || !t.closing) continue;
        if (t.closing.at > after && t.closing.at <= until) candidates.push({ state: t.closing.state, firstSeenAt: t.closing.at, mirrored });
      }
    }
    return candidates.sort((a, b) => a.firstSeenAt - b.firstSeenAt)[0] ?? null;
  }

  private endOf(tracker: Tracker, lineage: Tracker[], statesSeen: TcpState[], settings: KeepaliveSettings | null, intervalMs: number, day: number): EndedConnection {
    const announcement = tracker.end;
    const exact = announcement !== null && (tracker.goneAt === null || announcement.at <= tracker.goneAt + ANNOUNCEMENT_GRACE_MS);
    const lastAliveAt = tracker.lastAliveAt ?? (announcement ? this.pollAtOrBefore(announcement.at) : null) ?? tracker.firstSeenAt;
    const endedAt = exact ? announcement.at : tracker.goneAt!;
    const endedWindow: [number, number] | null = exact ? null : [lastAliveAt, tracker.goneAt!];
    const horizon = tracker.goneAt ?? endedAt + 2 * intervalMs;
    const facts: EndFacts = {
      lastSeen: tracker.view,
      lastSeenAt: tracker.viewAt,
      lastAliveAt,
      statesSeen,
      announcement,
      endedAt,
      endedWindow,
      successor: this.successorOf(lineage, tracker.key, mirrorKey(tracker.view), lastAliveAt, horizon),
      settings,
    };
    const verdict = classifyEnd(facts, day);
    const released = lineage.find((t) => t !== tracker && t.end !== null)?.end;
    if (released) verdict.evidence.push(`The kernel released the socket at ${formatMoment(released.at, day)}, once its close had run its course.`);
    const c = tracker.view;
    return {
      lastSeen: c,
      family: c.family,
      localAddress: c.localAddress,
      localPort: c.localPort,
      remoteAddress: c.remoteAddress,
      remotePort: c.remotePort,
      process: c.process,
      pid: c.pid,
      user: c.user,
      endedAt,
      endedWindow,
      endSource: exact ? 'kernel-event' : 'poll',
      idleAtEndMs: idleAtEnd(facts),
      projectedDropAt: c.dropAt,
      projectedDropReason: c.dropReason,
      cause: verdict.cause,
      evidence: verdict.evidence,
      statesSeen,
    };
  }

  private announcedOnly(end: SocketEnd, settings: KeepaliveSettings | null, intervalMs: number, day: number): EndedConnection {
    const before = this.pollAtOrBefore(end.at) ?? -Infinity;
    const facts: EndFacts = {
      lastSeen: null,
      lastSeenAt: null,
      lastAliveAt: null,
      statesSeen: [],
      announcement: end,
      endedAt: end.at,
      endedWindow: null,
      successor: this.successorOf([], tupleKey(end), mirrorKey(end), before, end.at + 2 * intervalMs),
      settings,
    };
    const verdict = classifyEnd(facts, day);
    return {
      lastSeen: null,
      family: end.family,
      localAddress: end.localAddress,
      localPort: end.localPort,
      remoteAddress: end.remoteAddress,
      remotePort: end.remotePort,
      process: null,
      pid: null,
      user: null,
      endedAt: end.at,
      endedWindow: null,
      endSource: 'kernel-event',
      idleAtEndMs: idleAtEnd(facts),
      projectedDropAt: null,
      projectedDropReason: null,
      cause: verdict.cause,
      evidence: verdict.evidence,
      statesSeen: [],
    };
  }

  private lastSnapshot(): Snapshot | null {
    if (!this.head) return null;
    const { seq: _seq, pollMs: _pollMs, ...head } = this.head;
    const connections = [...this.alive.values()].map((t) => agedTo(t.view, t.viewAt, head.takenAt));
    return { schema: 'idlewatch.snapshot/2', ...head, connections };
  }
}

/** The post-mortem of a recording held in memory. `name` is its file name (never a path: reports do not say where it was). */
export function analyseRecording(recording: Recording, name: string): PostMortem {
  return analyse(recording, name).postMortem;
}

function analyse(recording: Recording, name: string): RecordingAnalysisResult {
  const analysis = new RecordingAnalysis();
  for (const entry of recording.entries) analysis.add(entry);
  return analysis.finish(recording, name);
}

/**
 * Reads a recording file line by line into a report: the last table it holds (as a snapshot),
 * its rules, and the post-mortem. Throws RecordingFormatError for a recording that cannot be read,
 * and an Error for one that holds no poll.
 */
export async function readPostMortem(path: string, generatedAt: number): Promise<ReportInput> {
  const analysis = new RecordingAnalysis();
  const summary = await readRecordingEntries(createReadStream(path, { highWaterMark: 1 << 20 }), (entry) => analysis.add(entry));
  const name = basename(path);
  const { postMortem, snapshot, rules } = analysis.finish(summary, name);
  if (snapshot === null) throw new Error(`${name} holds no poll: it was cut short before its first table was written`);
  return { snapshot, rules, history: [], scope: { kind: 'all', filter: { ...NO_FILTER } }, generatedAt, postMortem };
}

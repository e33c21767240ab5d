/**
 * Writes what the collector sees over time to a recording (the format: main/report/recording-file.ts).
 * It does not poll: whoever drives the poller feeds it every poll's delta (the service in the app,
 * runRecord in the CLI), so a recording holds exactly what the table showed.
 *
 * Durability: each poll's lines (the delta, and the ends announced since the last poll) go out in
 * one write followed by fdatasync, so a crash, a kill or a power cut loses at most the last
 * interval, and at worst leaves a last line cut short, which the reader skips.
 * A disk error (ENOSPC, EIO, the file's descriptor gone) stops the recording with `error` set; it
 * never throws into the poller or ends the process.
 */
import { lstat, mkdir, open, readdir, unlink, type FileHandle } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { basename, join } from 'node:path';
import { RecordingNameSchema, type EndSource, type RecordingInfo, type RecordingState, type SnapshotDelta, type SnapshotView } from '../../shared/api/schemas';
import type { Connection } from '../../shared/model';
import type { EndWatch, NamespaceRef, PlatformAdapter, SocketEnd } from '../../shared/platform-adapter';
import type { IdleRule } from '../../shared/rules';
import {
  formatLine,
  RECORDING_SCHEMA,
  RecordingHeaderSchema,
  RecordingStopSchema,
  type RecordingHeader,
} from '../report/recording-file';

/** Who runs this, and their home as the system knows it (the user database, not $HOME). */
export interface RecordingsOwner {
  uid: number;
  home: string;
}

const processOwner = (): RecordingsOwner => ({ uid: process.getuid?.() ?? -1, home: userInfo().homedir });

/**
 * Where the app keeps recordings: $XDG_DATA_HOME/idlewatch/recordings, else
 * ~/.local/share/idlewatch/recordings. Root ignores the environment and uses its home from the
 * user database: a variable can point anywhere, including a folder another user can write.
 */
export function recordingsDir(env: NodeJS.ProcessEnv = process.env, owner: RecordingsOwner = processOwner()): string {
  if (owner.uid === 0) return join(owner.home, '.local', 'share', 'idlewatch', 'recordings');
  // The XDG base-directory spec: a relative $XDG_DATA_HOME is invalid and must be ignored.
  const dataHome = env.XDG_DATA_HOME?.startsWith('/') ? env.XDG_DATA_HOME : join(env.HOME ?? owner.home, '.local', 'share');
  return join(dataHome, 'idlewatch', 'recordings');
}

/**
 * Creates the recordings folder, readable by its owner only (recordings name processes and
 * users), and refuses one that is not this user's alone: a folder someone else owns or may write
 * in could have its recordings read, replaced or swapped under the app.
 */
export async function ensureRecordingsDir(dir: string = recordingsDir(), uid: number = process.getuid?.() ?? -1): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stats = await lstat(dir);
  if (!stats.isDirectory()) throw new Error(`${dir} is not a folder (a symlink?): recordings are written only into a folder of your own`);
  if (uid >= 0 && stats.uid !== uid) throw new Error(`${dir} belongs to uid ${stats.uid}, not to you (uid ${uid}): recordings are written only into a folder of your own`);
  if (stats.mode & 0o022) throw new Error(`${dir} may be written by others (mode ${(stats.mode & 0o777).toString(8)}): run chmod go-w on it`);
  return dir;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `recording-20261125T164500Z.ndjson`; `attempt` > 0 adds `-1`, `-2`… for a second start in the same second. */
export function newRecordingName(now: number, attempt = 0): string {
  const d = new Date(now);
  const stamp = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  return `recording-${stamp}${attempt > 0 ? `-${attempt}` : ''}.ndjson`;
}

/** Reads at most `length` bytes at `position`. */
async function readAt(file: FileHandle, position: number, length: number): Promise<string> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead).toString('utf8');
}

/** A header is a few KB (the rules, the host); past this, the file is not a recording. */
const HEADER_MAX_BYTES = 1 << 20;
/** A stop line is short; a last line longer than this is a poll, not a stop. */
const TAIL_BYTES = 4096;

/** What one recording is, from its header and its last line only (never the polls in between). */
async function describeRecording(dir: string, name: string): Promise<RecordingInfo | null> {
  let file: FileHandle;
  try {
    file = await open(join(dir, name), 'r');
  } catch {
    return null;
  }
  try {
    const { size } = await file.stat();
    let header: { startedAt: number; endSource: EndSource } | null = null;
    let head = '';
    for (let position = 0; position < Math.min(size, HEADER_MAX_BYTES) && !head.includes('\n'); position += 65536) {
      head += await readAt(file, position, 65536);
    }
    const newline = head.indexOf('\n');
    if (newline !== -1) {
      try {
        const parsed = RecordingHeaderSchema.safeParse(JSON.parse(head.slice(0, newline)));
        if (parsed.success) header = parsed.data;
      } catch {
        // not JSON: shown as a recording that cannot be described
      }
    }
    let stoppedAt: number | null = null;
    const tail = (await readAt(file, Math.max(0, size - TAIL_BYTES), TAIL_BYTES)).replace(/\n$/, '');
    const lastLine = tail.slice(tail.lastIndexOf('\n') + 1);
    if (lastLine.startsWith('{"type":"stop"')) {
      try {
        const stop = RecordingStopSchema.safeParse(JSON.parse(lastLine));
        if (stop.success) stoppedAt = stop.data.at;
      } catch {
        // a stop line cut short: the recording was not stopped cleanly
      }
    }
    return { name, startedAt: header?.startedAt ?? null, stoppedAt, bytes: size, endSource: header?.endSource ?? null };
  } finally {
    await file.close();
  }
}

/** The recordings in `dir`, newest first; [] when the folder does not exist yet. */
export async function listRecordings(dir: string = recordingsDir()): Promise<RecordingInfo[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => RecordingNameSchema.safeParse(name).success);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const infos = (await Promise.all(names.map((name) => describeRecording(dir, name)))).filter((i): i is RecordingInfo => i !== null);
  return infos.sort((a, b) => (b.startedAt ?? -Infinity) - (a.startedAt ?? -Infinity) || b.name.localeCompare(a.name));
}

export interface RecorderOptions {
  /** The file to create; it must not exist. */
  path: string;
  intervalMs: number;
  rules: readonly IdleRule[];
  /** The whole table now, for when a delta does not follow the last one written (the poller's snapshot()). */
  snapshot: () => Promise<SnapshotView>;
  /** Ends are announced by the adapter's watchConnectionEnds where it has one; else they are what polls see disappear. */
  adapter: Pick<PlatformAdapter, 'watchConnectionEnds'>;
  namespace?: NamespaceRef;
  /** Told of the state after each poll's write, and when the recording stops. */
  onState?: (state: RecordingState) => void;
  now?: () => number;
}

const tupleKey = (t: Pick<Connection, 'family' | 'localAddress' | 'localPort' | 'remoteAddress' | 'remotePort'>) =>
  `${t.family}|${t.localAddress}|${t.localPort}|${t.remoteAddress}|${t.remotePort}`;

/** A connection an announced end can be: TIME_WAIT sockets are already ended, listeners are not connections. */
const matchable = (c: Connection) => c.state !== 'TIME_WAIT' && c.state !== 'LISTEN';

const NO_WATCH_NOTE = 'this platform does not announce connection ends; they are seen as disappearances between polls';

export class Recorder {
  private readonly held = new Map<string, Connection>();
  /** Family and 4-tuple → id of an open connection in `held`, to match announcements. */
  private readonly byTuple = new Map<string, string>();
  private seq: number;
  private pending: string[] = [];
  private writing: Promise<void> | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private resyncing = false;
  private watch: EndWatch | null = null;
  private stopping: Promise<RecordingState> | null = null;
  /** Polls queued for the next write, and polls on disk. */
  private pendingPolls = 0;
  private writtenPolls = 0;
  private readonly current: RecordingState;
  private readonly now: () => number;

  private constructor(
    private readonly file: FileHandle,
    private readonly options: RecorderOptions,
    first: SnapshotView,
    startedAt: number,
  ) {
    this.now = options.now ?? Date.now;
    this.seq = first.seq;
    this.hold(first);
    const name = basename(options.path);
    this.current = {
      active: true,
      name: RecordingNameSchema.safeParse(name).success ? name : null,
      startedAt,
      intervalMs: options.intervalMs,
      endSource: null,
      endSourceNote: null,
      ends: 0,
      bytes: 0,
      error: null,
    };
  }

  /**
   * Creates the file (never over an existing one), starts the watch for ends where the adapter
   * has one, and writes the header and `first`, the table as it stands. Throws when the file
   * cannot be created or written; nothing is left running then.
   */
  static async start(options: RecorderOptions, first: SnapshotView): Promise<Recorder> {
    let file: FileHandle;
    try {
      // 0600: a recording names processes and users of this machine.
      file = await open(options.path, 'wx', 0o600);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      if (e.code === 'EEXIST') {
        // The code too: a caller picking names (the app's recordings folder) tries the next one.
        throw Object.assign(new Error(`${options.path} already exists: a recording never writes over a file; choose another name`), { code: 'EEXIST' });
      }
      throw new Error(`cannot create the recording ${options.path}: ${e.message}`);
    }
    const recorder = new Recorder(file, options, first, (options.now ?? Date.now)());
    try {
      await recorder.begin(first);
    } catch (error) {
      recorder.watch?.stop();
      await file.close().catch(() => undefined);
      // Created by this call, exclusively: a file without a readable start is removed, not left to be listed.
      await unlink(options.path).catch(() => undefined);
      throw new Error(`cannot write the recording ${options.path}: ${(error as Error).message}`);
    }
    options.onState?.(recorder.state());
    return recorder;
  }

  private async begin(first: SnapshotView): Promise<void> {
    const { source, note } = await this.startWatch();
    this.current.endSource = source;
    this.current.endSourceNote = note;
    const header: RecordingHeader = {
      type: 'header',
      schema: RECORDING_SCHEMA,
      startedAt: this.current.startedAt!,
      intervalMs: this.options.intervalMs,
      endSource: source,
      endSourceNote: note,
      rules: [...this.options.rules],
      host: first.host,
    };
    // What the reader would refuse is not written: an interval or rule out of range fails here.
    const checked = RecordingHeaderSchema.safeParse(header);
    if (!checked.success) throw new Error(checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    // Ends announced while the watch started wait behind the header and the first table.
    this.pending.unshift(formatLine(header), formatLine({ type: 'snapshot', ...first }));
    this.pendingPolls += 1;
    await this.writePending();
  }

  private async startWatch(): Promise<{ source: EndSource; note: string | null }> {
    const watchEnds = this.options.adapter.watchConnectionEnds;
    if (!watchEnds) return { source: 'polls', note: NO_WATCH_NOTE };
    try {
      const started = await watchEnds.call(
        this.options.adapter,
        { end: (end) => this.ended(end), failed: (message) => this.watchFailed(message) },
        this.options.namespace,
      );
      if (!started.ok) return { source: 'polls', note: started.reason };
      this.watch = started.watch;
      return { source: 'kernel-events', note: null };
    } catch (error) {
      return { source: 'polls', note: `the kernel's announcements could not be watched: ${(error as Error).message}` };
    }
  }

  state(): RecordingState {
    return { ...this.current };
  }

  /** Polls on disk (written and synced), the first table included. */
  get polls(): number {
    return this.writtenPolls;
  }

  /** One poll's change: written with the ends announced since the last poll, in one write. */
  delta(delta: SnapshotDelta): void {
    if (!this.current.active || this.stopping || this.resyncing) return;
    if (delta.baseSeq !== this.seq) {
      void this.resync();
      return;
    }
    for (const id of delta.removed) this.release(id);
    for (const c of delta.upserts) this.keep(c);
    this.seq = delta.seq;
    this.pending.push(formatLine({ type: 'delta', ...delta }));
    this.pendingPolls += 1;
    void this.flush();
  }

  /** The idle-timeout rules changed: the post-mortem judges later projections by the new ones. */
  setRules(rules: readonly IdleRule[]): void {
    if (!this.current.active || this.stopping) return;
    this.pending.push(formatLine({ type: 'rules', at: this.now(), rules: [...rules] }));
  }

  /** Stops the watch, writes the stop line, closes the file. Safe to call more than once. */
  stop(reason = 'stopped'): Promise<RecordingState> {
    this.stopping ??= (async () => {
      this.stopWatch();
      if (this.current.active) {
        this.pending.push(formatLine({ type: 'stop', at: this.now(), reason }));
        await this.flush();
        await this.writing;
      }
      if (this.current.active) {
        this.current.active = false;
        await this.file.close().catch(() => undefined);
        this.options.onState?.(this.state());
      }
      return this.state();
    })();
    return this.stopping;
  }

  /** A delta that does not follow the last one written: the whole table instead. */
  private async resync(): Promise<void> {
    this.resyncing = true;
    try {
      const view = await this.options.snapshot();
      if (!this.current.active || this.stopping) return;
      this.hold(view);
      this.seq = view.seq;
      this.pending.push(formatLine({ type: 'snapshot', ...view }));
      this.pendingPolls += 1;
      void this.flush();
    } catch {
      // No table to be had (the poller failing): the next delta tries again.
    } finally {
      this.resyncing = false;
    }
  }

  private hold(view: SnapshotView): void {
    this.held.clear();
    this.byTuple.clear();
    for (const c of view.connections) this.keep(c);
  }

  private keep(c: Connection): void {
    this.held.set(c.id, c);
    if (matchable(c)) this.byTuple.set(tupleKey(c), c.id);
  }

  private release(id: string): void {
    const c = this.held.get(id);
    if (!c) return;
    this.held.delete(id);
    const key = tupleKey(c);
    if (this.byTuple.get(key) === id) this.byTuple.delete(key);
  }

  private ended(end: SocketEnd): void {
    if (!this.current.active || this.stopping) return;
    const id = this.byTuple.get(tupleKey(end)) ?? null;
    this.pending.push(formatLine({ type: 'end', ...end, id }));
    this.current.ends += 1;
    // Written with the next poll; if polls stall, within one interval anyway.
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = null;
      void this.flush();
    }, this.options.intervalMs).unref();
  }

  private watchFailed(message: string): void {
    this.watch = null;
    if (!this.current.active || this.stopping) return;
    const note = `the kernel's announcements stopped (${message}); later ends are what polls see disappear`;
    this.current.endSource = 'polls';
    this.current.endSourceNote = note;
    this.pending.push(formatLine({ type: 'end-source', at: this.now(), endSource: 'polls', note }));
  }

  private stopWatch(): void {
    const watch = this.watch;
    this.watch = null;
    try {
      watch?.stop();
    } catch {
      // the helper is already gone
    }
  }

  /** Writes what is pending, one write at a time; lines that arrive meanwhile go in the next. */
  private flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.writing) return this.writing.then(() => (this.pending.length ? this.flush() : undefined));
    if (this.pending.length === 0 || !this.current.active) return Promise.resolve();
    this.writing = this.writePending()
      .then(
        () => this.options.onState?.(this.state()),
        (error: Error) => this.fail(error),
      )
      .finally(() => (this.writing = null));
    return this.writing;
  }

  /** One write of everything pending, then fdatasync: on disk before the next poll. */
  private async writePending(): Promise<void> {
    const buffer = Buffer.from(this.pending.join(''), 'utf8');
    const polls = this.pendingPolls;
    this.pending = [];
    this.pendingPolls = 0;
    let offset = 0;
    while (offset < buffer.length) {
      const { bytesWritten } = await this.file.write(buffer, offset, buffer.length - offset);
      offset += bytesWritten;
    }
    await this.file.datasync();
    this.current.bytes += buffer.length;
    this.writtenPolls += polls;
  }

  private async fail(error: Error): Promise<void> {
    this.stopWatch();
    this.pending = [];
    this.pendingPolls = 0;
    this.current.active = false;
    this.current.error = `the recording stopped: ${error.message}`;
    await this.file.close().catch(() => undefined);
    this.options.onState?.(this.state());
  }
}

import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ensureRecordingsDir, listRecordings, newRecordingName, Recorder, recordingsDir, type RecorderOptions } from '../../../main/core/recorder';
import { readRecording } from '../../../main/report/recording-file';
import type { RecordingState } from '../../../shared/api/schemas';
import type { EndWatchHandlers, EndWatchStart, SocketEnd } from '../../../shared/platform-adapter';
import { connection, delta, NOW, snapshotView } from '../../fixtures/connection';

const dir = () => mkdtempSync(join(tmpdir(), 'idlewatch-rec-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const c1 = connection();
const c2 = connection({ id: '4026531840/i2', inode: 2, localPort: 40001 });
const first = snapshotView(1, [c1, c2]);

function options(path: string, over: Partial<RecorderOptions> = {}): RecorderOptions & { states: RecordingState[] } {
  const states: RecordingState[] = [];
  return { path, intervalMs: 1000, rules: [], snapshot: async () => first, adapter: {}, onState: (s) => void states.push(s), states, ...over };
}

/** Resolves once the recorder has reported `n` states in all. */
async function states(o: { states: RecordingState[] }, n: number): Promise<RecordingState[]> {
  for (let i = 0; i < 400 && o.states.length < n; i++) await sleep(5);
  expect(o.states.length).toBeGreaterThanOrEqual(n);
  return o.states;
}

function announced(c: typeof c1, at: number, over: Partial<SocketEnd> = {}): SocketEnd {
  const { family, localAddress, localPort, remoteAddress, remotePort } = c;
  return { at, family, finalState: 'CLOSE', localAddress, localPort, remoteAddress, remotePort, probesSent: 0, retransmits: 0, backoff: 0, unacked: 0, rtoMs: 204, lastDataRecvMs: 10, lastAckRecvMs: 10, lastDataSentMs: 10, unreadBytes: 0, unacknowledgedBytes: 0, ...over };
}

/** An adapter whose ends the test announces itself. */
function watchingAdapter(start: EndWatchStart | null = null) {
  let handlers: EndWatchHandlers | null = null;
  let stopped = 0;
  return {
    adapter: {
      watchConnectionEnds: async (h: EndWatchHandlers): Promise<EndWatchStart> => {
        handlers = h;
        return start ?? { ok: true, watch: { stop: () => void stopped++ } };
      },
    },
    announce: (end: SocketEnd) => handlers!.end(end),
    fail: (message: string) => handlers!.failed(message),
    stopped: () => stopped,
  };
}

afterEach(() => vi.restoreAllMocks());

describe('Recorder: the file', () => {
  it('refuses a file that exists, and leaves it as it was', async () => {
    const path = join(dir(), 'taken.ndjson');
    writeFileSync(path, 'mine');
    await expect(Recorder.start(options(path), first)).rejects.toThrow(`${path} already exists: a recording never writes over a file`);
    await expect(Recorder.start(options(path), first)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(readFileSync(path, 'utf8')).toBe('mine');
  });

  it('creates it readable by its owner only, with the header and the whole table first', async () => {
    const path = join(dir(), newRecordingName(NOW));
    const o = options(path, { rules: [{ id: 'r', name: 'NAT', kind: 'middlebox', idleTimeoutSec: 350, match: {}, enabled: true }], now: () => NOW + 5 });
    const recorder = await Recorder.start(o, first);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(o.states[0]).toMatchObject({ active: true, name: 'recording-20251124T120000Z.ndjson', startedAt: NOW + 5, intervalMs: 1000, endSource: 'polls', ends: 0, error: null });
    expect(o.states[0]!.bytes).toBe(statSync(path).size);
    const final = await recorder.stop('done');
    expect(final).toMatchObject({ active: false, error: null });
    const recording = await readRecording(readFileSync(path, 'utf8'));
    expect(recording.header).toMatchObject({ startedAt: NOW + 5, intervalMs: 1000, endSource: 'polls', rules: [{ name: 'NAT' }], host: first.host });
    expect(recording.header.endSourceNote).toMatch(/does not announce connection ends/);
    expect(recording.entries).toMatchObject([{ type: 'snapshot', seq: 1, connections: [{ id: c1.id }, { id: c2.id }] }, { type: 'stop', at: NOW + 5, reason: 'done' }]);
    expect(await recorder.stop()).toEqual(final);
  });

  it('writes each poll with one write and one fdatasync, on disk before the next poll', async () => {
    const path = join(dir(), 'cadence.ndjson');
    const probe = await open(join(dir(), 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { write: (...a: unknown[]) => unknown; datasync: () => Promise<void> };
    await probe.close();
    const writes = vi.spyOn(proto, 'write');
    const syncs = vi.spyOn(proto, 'datasync');
    const o = options(path);
    const recorder = await Recorder.start(o, first);
    expect([writes.mock.calls.length, syncs.mock.calls.length]).toEqual([1, 1]);
    for (let seq = 2; seq <= 4; seq++) {
      recorder.delta(delta(seq - 1, seq, { upserts: [connection({ probesSent: seq - 1 })] }));
      await states(o, seq);
      expect([writes.mock.calls.length, syncs.mock.calls.length]).toEqual([seq, seq]);
      // What the state reports is on disk already.
      const onDisk = await readRecording(readFileSync(path, 'utf8'));
      expect(onDisk.entries.at(-1)).toMatchObject({ type: 'delta', seq });
      expect(recorder.polls).toBe(seq);
    }
    await recorder.stop();
  });

  it('a delta that does not follow the last one written becomes the whole table', async () => {
    const path = join(dir(), 'gap.ndjson');
    const now = snapshotView(7, [c2], NOW + 7000);
    const o = options(path, { snapshot: async () => now });
    const recorder = await Recorder.start(o, first);
    recorder.delta(delta(5, 6));
    await states(o, 2);
    recorder.delta(delta(7, 8, { removed: [c2.id] }));
    await states(o, 3);
    await recorder.stop();
    const recording = await readRecording(readFileSync(path, 'utf8'));
    expect(recording.entries.map((e) => [e.type, 'seq' in e ? e.seq : null])).toEqual([
      ['snapshot', 1],
      ['snapshot', 7],
      ['delta', 8],
      ['stop', null],
    ]);
  });
});

describe('Recorder: ends', () => {
  it('with the kernel’s announcements: each end is matched to the open connection by its addresses and written with the next poll', async () => {
    const path = join(dir(), 'ends.ndjson');
    const tw = connection({ id: 'tw', state: 'TIME_WAIT', inode: null, localPort: 40002 });
    const w = watchingAdapter();
    const o = options(path, { adapter: w.adapter });
    const recorder = await Recorder.start(o, snapshotView(1, [c1, c2, tw]));
    expect(o.states[0]).toMatchObject({ endSource: 'kernel-events', endSourceNote: null });
    w.announce(announced(c1, NOW + 100, { probesSent: 5 }));
    w.announce(announced(tw, NOW + 200));
    await sleep(30);
    // Not yet: ends wait for the poll.
    expect(o.states).toHaveLength(1);
    recorder.delta(delta(1, 2, { removed: [c1.id] }));
    await states(o, 2);
    expect(o.states[1]).toMatchObject({ ends: 2 });
    // After the poll removed it, c1's addresses match nothing.
    w.announce(announced(c1, NOW + 1500));
    await recorder.stop();
    expect(w.stopped()).toBe(1);
    const recording = await readRecording(readFileSync(path, 'utf8'));
    expect(recording.entries.map((e) => (e.type === 'end' ? `end ${e.id}` : e.type))).toEqual(['snapshot', `end ${c1.id}`, 'end null', 'delta', 'end null', 'stop']);
    expect(recording.entries[1]).toMatchObject({ probesSent: 5, at: NOW + 100 });
  });

  it('announcements are written within one interval even when no poll comes', async () => {
    const path = join(dir(), 'stall.ndjson');
    const w = watchingAdapter();
    const o = options(path, { adapter: w.adapter, intervalMs: 500 });
    const recorder = await Recorder.start(o, first);
    w.announce(announced(c1, NOW + 100));
    await sleep(400);
    expect(o.states).toHaveLength(1);
    await states(o, 2);
    expect((await readRecording(readFileSync(path, 'utf8'))).entries.at(-1)).toMatchObject({ type: 'end', id: c1.id });
    await recorder.stop();
  });

  it('says why polls are used when the watch is refused, and switches to polls when it fails later', async () => {
    const refused = watchingAdapter({ ok: false, reason: 'watching ends needs root' });
    const a = options(join(dir(), 'refused.ndjson'), { adapter: refused.adapter });
    await (await Recorder.start(a, first)).stop();
    expect(a.states[0]).toMatchObject({ endSource: 'polls', endSourceNote: 'watching ends needs root' });

    const path = join(dir(), 'failed.ndjson');
    const w = watchingAdapter();
    const o = options(path, { adapter: w.adapter, now: () => NOW + 50 });
    const recorder = await Recorder.start(o, first);
    w.fail('idlewatch-sockdiag exited (signal SIGKILL)');
    recorder.delta(delta(1, 2));
    await states(o, 2);
    expect(o.states[1]).toMatchObject({ endSource: 'polls', endSourceNote: expect.stringContaining('idlewatch-sockdiag exited') });
    await recorder.stop();
    const recording = await readRecording(readFileSync(path, 'utf8'));
    expect(recording.header.endSource).toBe('kernel-events');
    expect(recording.entries[1]).toMatchObject({ type: 'end-source', at: NOW + 50, endSource: 'polls' });
  });
});

describe('Recorder: disk errors stop the recording, never the process', () => {
  it('ENOSPC (a write that lands on /dev/full) stops it with the error set; later polls are ignored', async () => {
    const path = join(dir(), 'full.ndjson');
    const probe = await open(join(dir(), 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { write: (...a: unknown[]) => Promise<unknown> };
    await probe.close();
    const o = options(path);
    const recorder = await Recorder.start(o, first);
    const full = await open('/dev/full', 'w');
    vi.spyOn(proto, 'write').mockImplementationOnce((...args: unknown[]) => full.write(...(args as [Buffer, number, number])));
    recorder.delta(delta(1, 2));
    const [, stopped] = await states(o, 2);
    await full.close();
    expect(stopped).toMatchObject({ active: false, error: expect.stringMatching(/^the recording stopped: ENOSPC/) });
    recorder.delta(delta(2, 3));
    expect(await recorder.stop()).toMatchObject({ active: false, error: expect.stringMatching(/ENOSPC/) });
    expect(o.states).toHaveLength(2);
    // What was written before still reads.
    expect((await readRecording(readFileSync(path, 'utf8'))).entries.map((e) => e.type)).toEqual(['snapshot']);
  });

  it('EBADF (its descriptor closed under it) stops it with the error set', async () => {
    const path = join(dir(), 'ebadf.ndjson');
    const o = options(path);
    const recorder = await Recorder.start(o, first);
    const fd = readdirSync('/proc/self/fd').map(Number).find((n) => {
      try {
        return readlinkSync(`/proc/self/fd/${n}`) === path;
      } catch {
        return false;
      }
    })!;
    closeSync(fd);
    recorder.delta(delta(1, 2));
    const [, stopped] = await states(o, 2);
    expect(stopped).toMatchObject({ active: false, error: expect.stringMatching(/EBADF/) });
  });

  it('a disk that fails the first write fails the start: nothing is left running', async () => {
    const probe = await open(join(dir(), 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
    await probe.close();
    vi.spyOn(proto, 'datasync').mockRejectedValueOnce(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    const w = watchingAdapter();
    const path = join(dir(), 'eio.ndjson');
    await expect(Recorder.start(options(path, { adapter: w.adapter }), first)).rejects.toThrow(/cannot write the recording .*EIO/);
    expect(w.stopped()).toBe(1);
    expect(existsSync(path)).toBe(false);
  });

  it('an interval the reader would refuse is refused at the start', async () => {
    const path = join(dir(), 'fast.ndjson');
    await expect(Recorder.start(options(path, { intervalMs: 100 }), first)).rejects.toThrow(/intervalMs: Too small/);
    expect(existsSync(path)).toBe(false);
  });
});

describe('Recorder: a kill loses at most the last interval', () => {
  it('SIGKILL mid-run leaves a file that reads back with every poll it reported written', async () => {
    const path = join(dir(), 'killed.ndjson');
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../../fixtures/recordings/record-child.ts', import.meta.url)), path, '500'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // No tsx cache: it would sit in $TMPDIR, where another user could plant code.
      env: { ...process.env, TSX_DISABLE_CACHE: '1' },
    });
    let output = '';
    child.stderr.on('data', (d: Buffer) => (output += d));
    let written = 0;
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        output += d;
        written = Math.max(written, ...[...output.matchAll(/written (\d+)/g)].map((m) => Number(m[1])));
        if (written >= 4) resolve();
      });
      child.once('exit', (code) => reject(new Error(`the recording process exited (${code}): ${output}`)));
    });
    // Killed a moment into the next interval: maybe mid-write.
    await sleep(Math.random() * 500);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const recording = await readRecording(readFileSync(path, 'utf8'));
    const polls = recording.entries.filter((e) => e.type === 'snapshot' || e.type === 'delta').length;
    expect(polls).toBeGreaterThanOrEqual(written);
    expect(recording.entries.some((e) => e.type === 'stop')).toBe(false);
  }, 30_000);
});

describe('the recordings folder', () => {
  const alice = { uid: 1000, home: '/home/alice' };

  it('is under $XDG_DATA_HOME, else ~/.local/share; a relative $XDG_DATA_HOME is ignored', () => {
    expect(recordingsDir({ XDG_DATA_HOME: '/data', HOME: '/home/a' }, alice)).toBe('/data/idlewatch/recordings');
    expect(recordingsDir({ HOME: '/home/a' }, alice)).toBe('/home/a/.local/share/idlewatch/recordings');
    expect(recordingsDir({ XDG_DATA_HOME: 'data', HOME: '/home/a' }, alice)).toBe('/home/a/.local/share/idlewatch/recordings');
    expect(recordingsDir({}, alice)).toBe('/home/alice/.local/share/idlewatch/recordings');
  });

  it('as root ignores the environment: a variable could name a folder another user writes', () => {
    expect(recordingsDir({ XDG_DATA_HOME: '/tmp/evil', HOME: '/tmp/evil' }, { uid: 0, home: '/root' })).toBe('/root/.local/share/idlewatch/recordings');
  });

  it('is created readable by its owner only', async () => {
    const where = join(dir(), 'share', 'idlewatch', 'recordings');
    await ensureRecordingsDir(where);
    expect(statSync(where).mode & 0o777).toBe(0o700);
  });

  it('refuses a folder that is not this user’s alone: writable by others, owned by another, or a symlink', async () => {
    const open = join(dir(), 'open');
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777);
    await expect(ensureRecordingsDir(open)).rejects.toThrow(/may be written by others \(mode 777\): run chmod go-w/);
    const mine = join(dir(), 'mine');
    mkdirSync(mine, { mode: 0o700 });
    await expect(ensureRecordingsDir(mine, (process.getuid?.() ?? 0) + 4242)).rejects.toThrow(/belongs to uid \d+, not to you/);
    const link = join(dir(), 'link');
    symlinkSync(mine, link);
    await expect(ensureRecordingsDir(link)).rejects.toThrow(/is not a folder \(a symlink\?\)/);
  });

  it('names recordings by their start in UTC, with a suffix for a second one in the same second', () => {
    expect(newRecordingName(Date.UTC(2026, 10, 25, 16, 45, 0, 900))).toBe('recording-20261125T164500Z.ndjson');
    expect(newRecordingName(Date.UTC(2026, 10, 25, 16, 45, 0), 2)).toBe('recording-20261125T164500Z-2.ndjson');
  });

  it('lists recordings newest first from their header and last line: stopped, cut short, unreadable; other files are not listed', async () => {
    const where = dir();
    const record = async (name: string, startedAt: number, stop: boolean) => {
      const recorder = await Recorder.start(options(join(where, name), { now: () => startedAt }), first);
      if (stop) await recorder.stop();
      return recorder;
    };
    await record('recording-20251124T120000Z.ndjson', NOW, true);
    const running = await record('recording-20251124T130000Z.ndjson', NOW + 3_600_000, false);
    writeFileSync(join(where, 'recording-20251124T110000Z.ndjson'), 'garbage');
    writeFileSync(join(where, 'notes.txt'), 'x');
    mkdirSync(join(where, 'recording-20251124T100000Z-1.ndjson.d'));
    const list = await listRecordings(where);
    expect(list.map((r) => [r.name, r.startedAt, r.stoppedAt, r.endSource])).toEqual([
      ['recording-20251124T130000Z.ndjson', NOW + 3_600_000, null, 'polls'],
      ['recording-20251124T120000Z.ndjson', NOW, NOW, 'polls'],
      ['recording-20251124T110000Z.ndjson', null, null, null],
    ]);
    expect(list[1]!.bytes).toBe(statSync(join(where, 'recording-20251124T120000Z.ndjson')).size);
    await running.stop();
    expect(await listRecordings(join(where, 'missing'))).toEqual([]);
  });
});

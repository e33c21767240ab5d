import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Poller } from '../../main/core/poller';
import { Recorder } from '../../main/core/recorder';
import { LinuxAdapter } from '../../main/platform/linux/index';
import { readPostMortem } from '../../main/report/post-mortem';
import { readRecording } from '../../main/report/recording-file';
import type { EndedConnection } from '../../main/report/model';
import { assertThrowawayNamespace, failure, openPair, setKeepaliveSysctls, silencePeer, sleep, type Pair } from './lab';

/**
 * Acceptance of recordings and the post-mortem, on the real kernel: while a recording runs (a
 * real Poller over the LinuxAdapter every 500 ms), a keepalive peer goes silent and the kernel
 * drops the connection (ETIMEDOUT), and another connection is closed by both ends. The
 * post-mortem must blame the first on keepalive, within 1 s of the projection a poll made before
 * it died, and call the second a normal close: with the kernel's announcements of each end, and
 * with polls alone.
 */
const INTERVAL_MS = 500;
const SYSCTLS = { timeSec: 2, intervalSec: 1, probes: 3 };
const figures: string[] = [];
const work = mkdtempSync(join(tmpdir(), 'idlewatch-recording-'));

beforeAll(() => {
  assertThrowawayNamespace();
  setKeepaliveSysctls(SYSCTLS);
});
afterAll(() => console.log(`recording post-mortem, keepalive end vs the projection before it (ms):\n${figures.join('\n')}`));

const endOf = (ended: EndedConnection[], localPort: number, remotePort: number) => ended.find((e) => e.localPort === localPort && e.remotePort === remotePort);


/** A real poller at INTERVAL_MS whose deltas go to the recorder `target()` returns, once there is one. */
function pollerFeeding(adapter: LinuxAdapter, target: () => Recorder | null): Poller {
  return new Poller(
    adapter,
    { intervalMs: INTERVAL_MS, rules: [], host: () => adapter.describeHost() },
    { delta: (d) => target()?.delta(d), state: () => undefined, error: (message) => console.warn(`poll failed: ${message}`) },
  );
}
describe('a recording’s post-mortem, against the real kernel', () => {
  it.each([
    { source: 'kernel-events' as const, watch: true },
    { source: 'polls' as const, watch: false },
  ])('ends from $source: the silenced keepalive peer is a keepalive drop within 1 s of its projection, the closed one a normal close', async ({ source, watch }) => {
    const adapter = new LinuxAdapter();
    const path = join(work, `recording-${source}.ndjson`);
    let a: Pair | null = null;
    let b: Pair | null = null;
    let undo: (() => void) | null = null;
    let recorder: Recorder | null = null;
    const poller = pollerFeeding(adapter, () => recorder);
    try {
      a = await openPair();
      a.client.setKeepAlive(true); // SO_KEEPALIVE only: the namespace sysctls govern
      b = await openPair();
      // Node forgets a socket's ports once it is destroyed.
      const aPort = a.client.localPort!;
      const bPort = b.client.localPort!;
      poller.start();
      const first = await poller.snapshot();
      // Without the capability, the recorder must fall back to polls: an adapter that has none.
      recorder = await Recorder.start({ path, intervalMs: INTERVAL_MS, rules: [], snapshot: () => poller.snapshot(), adapter: watch ? adapter : {} }, first);
      expect(recorder.state().endSource, recorder.state().endSourceNote ?? '').toBe(source);

      const died = failure(a.client);
      undo = silencePeer(a.serverPort);
      await sleep(700);
      // B closes normally: both ends end().
      const bClosed = new Promise((resolve) => b!.client.once('close', resolve));
      b.client.end();
      b.server.end();
      await bClosed;

      const { at: diedAt, code } = await died;
      expect(code).toBe('ETIMEDOUT');
      // The application closes on the error (Node destroys the socket): then the kernel frees it.
      a.client.destroy();
      // Two more polls: A gone, B's TIME_WAIT seen.
      await sleep(3 * INTERVAL_MS);
      const final = await recorder.stop('test over');
      expect(final.error).toBeNull();
      poller.stop();

      const report = await readPostMortem(path, Date.now());
      const pm = report.postMortem!;
      expect(pm.recording).toMatchObject({ endSource: source, truncated: false, intervalMs: INTERVAL_MS });
      expect(pm.recording.stoppedAt).not.toBeNull();

      const endA = endOf(pm.ended, aPort, a.serverPort)!;
      expect(endA, JSON.stringify(pm.ended.map((e) => [e.localPort, e.remotePort, e.cause]))).toBeDefined();
      expect(endA.cause, endA.evidence.join('\n')).toBe('keepalive');
      expect(endA.endSource).toBe(watch ? 'kernel-event' : 'poll');
      expect(endA.projectedDropReason).toBe('keepalive');
      expect(Math.abs(endA.endedAt - endA.projectedDropAt!)).toBeLessThanOrEqual(1000);

      // The projection came from a poll before it died: the last reading of A in the file.
      const recording = await readRecording(readFileSync(path, 'utf8'));
      const readings = recording.entries.flatMap((e) =>
        e.type === 'snapshot' ? e.connections.filter((c) => c.id === endA.lastSeen!.id).map((c) => ({ at: e.takenAt, c })) : e.type === 'delta' ? e.upserts.filter((c) => c.id === endA.lastSeen!.id).map((c) => ({ at: e.takenAt, c })) : [],
      );
      const last = readings.at(-1)!;
      expect(last.at).toBeLessThan(diedAt);
      expect(last.c.dropAt).toBe(endA.projectedDropAt);
      if (watch) {
        const announced = recording.entries.find((e) => e.type === 'end' && e.localPort === aPort && e.remotePort === a!.serverPort);
        expect(announced, 'the kernel announced A’s end').toMatchObject({ id: endA.lastSeen!.id });
      }

      const endB = endOf(pm.ended, bPort, b.serverPort)!;
      expect(endB, JSON.stringify(pm.ended.map((e) => [e.localPort, e.remotePort, e.cause]))).toBeDefined();
      expect(endB.cause, endB.evidence.join('\n')).toBe('closed');
      const endBServer = endOf(pm.ended, b.serverPort, bPort);
      const endAServer = endOf(pm.ended, a.serverPort, aPort);

      figures.push(
        `  ${source}: A ended ${Math.round(endA.endedAt - endA.projectedDropAt!)} ms from the projection (ETIMEDOUT at ${Math.round(diedAt - endA.projectedDropAt!)} ms; ` +
          `projection from the poll ${diedAt - last.at} ms before; ${endA.endSource}${endA.endedWindow ? `, window ${endA.endedWindow[1] - endA.endedWindow[0]} ms` : ''}); ` +
          `B client ${endB.cause}, B server ${endBServer?.cause ?? 'not listed'}, A server ${endAServer?.cause ?? 'not listed'}\n` +
          `    A evidence: ${endA.evidence.join(' | ')}\n    B evidence: ${endB.evidence.join(' | ')}`,
      );
    } finally {
      undo?.();
      await recorder?.stop();
      poller.stop();
      a?.close();
      b?.close();
      adapter.close();
    }
  });
});

describe('a retransmission timeout in a recording', () => {
  it('data unacknowledged by a silenced peer: the kernel gives up after tcp_retries2, and the post-mortem says retransmit', async () => {
    const retries2Path = '/proc/sys/net/ipv4/tcp_retries2';
    const before = readFileSync(retries2Path, 'utf8').trim();
    assertThrowawayNamespace();
    // 200 + 400 + 800 + 1600 ms of backoff: ETIMEDOUT about 3 s after the write.
    writeFileSync(retries2Path, '3');
    const adapter = new LinuxAdapter();
    const path = join(work, 'recording-retransmit.ndjson');
    let pair: Pair | null = null;
    let undo: (() => void) | null = null;
    let recorder: Recorder | null = null;
    const poller = pollerFeeding(adapter, () => recorder);
    try {
      pair = await openPair();
      const port = pair.client.localPort!;
      poller.start();
      recorder = await Recorder.start({ path, intervalMs: INTERVAL_MS, rules: [], snapshot: () => poller.snapshot(), adapter }, await poller.snapshot());
      const died = failure(pair.client);
      undo = silencePeer(pair.serverPort);
      pair.client.write('unanswered');
      const { at: diedAt, code } = await died;
      expect(code).toBe('ETIMEDOUT');
      pair.client.destroy();
      await sleep(3 * INTERVAL_MS);
      await recorder.stop();
      poller.stop();
      const pm = (await readPostMortem(path, Date.now())).postMortem!;
      const end = endOf(pm.ended, port, pair.serverPort)!;
      expect(end, JSON.stringify(pm.ended.map((e) => [e.localPort, e.remotePort, e.cause]))).toBeDefined();
      expect(end.cause, end.evidence.join('\n')).toBe('retransmit');
      figures.push(
        `  retransmit (tcp_retries2 = 3): ended ${end.projectedDropAt === null ? 'with no projection' : `${Math.round(end.endedAt - end.projectedDropAt)} ms from the projection`} ` +
          `(ETIMEDOUT at ${Math.round(diedAt - (end.projectedDropAt ?? diedAt))} ms)\n    evidence: ${end.evidence.join(' | ')}`,
      );
    } finally {
      undo?.();
      await recorder?.stop();
      poller.stop();
      pair?.close();
      adapter.close();
      writeFileSync(retries2Path, before);
    }
  });
});

describe('idlewatch record', () => {
  const cli = fileURLToPath(new URL('../../main/cli/idlewatch.mjs', import.meta.url));
  let pair: Pair;

  beforeAll(async () => {
    if (!existsSync(fileURLToPath(new URL('../../out/cli/cli.mjs', import.meta.url)))) {
      throw new Error('out/cli/cli.mjs is missing: run `npm run build` first (npm test does).');
    }
    pair = await openPair();
  });
  afterAll(() => pair.close());

  it('--interval 1 --duration 3s writes a readable recording that ends with its stop line', async () => {
    const out = join(work, 'cli.ndjson');
    const run = spawnSync(process.execPath, [cli, 'record', '--out', out, '--interval', '1', '--duration', '3s'], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^recording to .*cli\.ndjson every 1 s; connection ends come from the kernel's announcements/m);
    expect(run.stdout).toMatch(/^recorded \d+ poll\(s\) and \d+ announced end\(s\) to .*; stopped: duration reached$/m);
    const recording = await readRecording(readFileSync(out, 'utf8'));
    expect(recording.header).toMatchObject({ intervalMs: 1000, endSource: 'kernel-events' });
    expect(recording.entries.filter((e) => e.type === 'snapshot' || e.type === 'delta').length).toBeGreaterThanOrEqual(3);
    expect(recording.entries.at(-1)).toMatchObject({ type: 'stop', reason: 'duration reached' });
    const first = recording.entries[0]!;
    expect(first.type === 'snapshot' && first.connections.some((c) => c.localPort === pair.client.localPort)).toBe(true);
    // A second run never writes over it.
    const again = spawnSync(process.execPath, [cli, 'record', '--out', out, '--duration', '1s'], { encoding: 'utf8', timeout: 30_000 });
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('already exists');
  });

  it('SIGTERM stops it cleanly; SIGKILL mid-run leaves a file that still reads', async () => {
    const run = async (signal: NodeJS.Signals, out: string) => {
      const child = spawn(process.execPath, [cli, 'record', '--out', out, '--interval', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d));
      child.stderr.on('data', (d: Buffer) => (output += d));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      for (let i = 0; i < 100 && !output.includes('recording to'); i++) await sleep(50);
      expect(output).toContain('recording to');
      await sleep(2600);
      child.kill(signal);
      return { code: await exited, output };
    };
    const term = join(work, 'term.ndjson');
    const stopped = await run('SIGTERM', term);
    expect(stopped.code, stopped.output).toBe(0);
    expect((await readRecording(readFileSync(term, 'utf8'))).entries.at(-1)).toMatchObject({ type: 'stop', reason: 'SIGTERM' });

    const kill = join(work, 'kill.ndjson');
    await run('SIGKILL', kill);
    const recording = await readRecording(readFileSync(kill, 'utf8'));
    expect(recording.entries.filter((e) => e.type === 'snapshot' || e.type === 'delta').length).toBeGreaterThanOrEqual(2);
    expect(recording.entries.some((e) => e.type === 'stop')).toBe(false);
    const report = await readPostMortem(kill, Date.now());
    expect(report.postMortem!.recording.stoppedAt).toBeNull();
  });
});

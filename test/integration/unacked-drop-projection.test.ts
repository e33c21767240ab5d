/**
 * The acceptance test of the projected drop of a connection whose peer never acknowledges:
 * data the peer never ACKs (tcp_retries2, TCP_USER_TIMEOUT), a zero window the peer stops
 * answering probes of, and a keepalive timer filed at timer-wheel level 4. The client end is
 * test/native/unacked-peer.c (Node cannot set TCP_USER_TIMEOUT, TCP_KEEPINTVL, TCP_KEEPCNT), which
 * reports the moment poll() sees the kernel's ETIMEDOUT. Each projection, from a snapshot taken
 * once the connection is in the state and from one taken a few retransmissions (probes) later,
 * must land within 20 ms of that moment, and the moment inside the projected dropWindow.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../shared/model';
import { takeSnapshot } from '../../main/core/snapshot';
import { LinuxAdapter } from '../../main/platform/linux/index';
import { compile, NATIVE_DIR, WARN } from '../native/compile';
import { assertThrowawayNamespace, setTcpRetries2, silencePeer, sleep } from './lab';

/** How close the projected drop must be to the real ETIMEDOUT. */
const TOLERANCE_MS = 20;
/** How late after the kernel's timer the error may reach user space (poll() wake-up). */
const WAKEUP_MS = 5;
/** The keepalive case of scenario 4: TCP_KEEPIDLE 140 s is ~35 000 jiffies at HZ=250, timer-wheel level 4. */
const KEEPALIVE = { idleSec: 140, intervalSec: 1, probes: 3 };

const adapter = new LinuxAdapter();
const figures: string[] = [];
let dir = '';
let binary = '';
let keepaliveCase: Promise<Error | null> = Promise.resolve(new Error('the keepalive case never started'));

// ---------------------------------------------------------------------------------------------
// The lab: the C peer, a reading Node server, snapshots of one connection.

/** A running unacked-peer, its stdout read line by line. */
class Peer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: string[] = [];
  private waiter: (() => void) | null = null;
  private exited = false;
  private stderr = '';

  constructor(args: string[]) {
    this.child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child.on('error', (e) => (this.stderr += String(e)));
    this.child.stdin.on('error', () => undefined);
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      this.lines.push(line);
      this.waiter?.();
    });
    this.child.on('exit', () => {
      this.exited = true;
      this.waiter?.();
    });
  }

  /** The fields of the next line starting with `word` (earlier lines skipped). */
  async line(word: string, timeoutMs: number): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.lines.length > 0) {
        const fields = this.lines.shift()!.split(' ');
        if (fields[0] === word) return fields;
      }
      if (this.exited) throw new Error(`unacked-peer exited before "${word}": ${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no "${word}" from unacked-peer within ${timeoutMs} ms: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = null;
    }
  }

  send(command: string): void {
    this.child.stdin.write(`${command}\n`);
  }

  close(): void {
    this.child.stdin.end();
    if (!this.exited) setTimeout(() => this.exited || this.child.kill('SIGKILL'), 2000).unref();
  }
}

/** The kernel's failure of the peer's connection: which errno, and when poll() saw it (epoch ms). */
async function failureOf(peer: Peer, timeoutMs: number): Promise<{ code: string; at: number }> {
  const [, code, at] = await peer.line('error', timeoutMs);
  return { code: code!, at: Number(at) };
}

/** A Node server on 127.0.0.1 that reads (so nothing the client sends is held back by its window). */
async function readingServer(): Promise<{ port: number; close(): void }> {
  const accepted: net.Socket[] = [];
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    s.resume();
    accepted.push(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close() {
      for (const s of accepted) s.destroy();
      server.close();
    },
  };
}

/** A connection as one snapshot projects it, with the snapshot's moment. */
type Seen = Connection & { takenAt: number };

/** The kernel clock the snapshots projected on, for the figures. */
let clockNote = 'clock unknown';

/** The client's connection as a snapshot projects it; null once the kernel has dropped it. */
async function connection(localPort: number, remotePort: number): Promise<Seen | null> {
  const snap = await takeSnapshot(adapter, { rules: [] });
  const c = snap.connections.find((x) => x.localPort === localPort && x.remotePort === remotePort && x.state !== 'TIME_WAIT');
  clockNote = snap.clock.kind === 'tick' ? `HZ ${snap.clock.hz}, jiffies phase ${snap.clock.anchor ? 'known' : 'unknown'}` : 'no tick clock';
  return c ? { ...c, takenAt: snap.takenAt } : null;
}

async function snapshotOf(localPort: number, remotePort: number): Promise<Seen> {
  const c = await connection(localPort, remotePort);
  if (!c) throw new Error(`no connection ${localPort} → ${remotePort} in the snapshot`);
  return c;
}

/** Polls snapshots (every `everyMs`) until the connection satisfies `done`. */
async function snapshotWhen(localPort: number, remotePort: number, done: (c: Seen) => boolean, timeoutMs: number, everyMs = 50): Promise<Seen> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await snapshotOf(localPort, remotePort);
    if (done(c)) return c;
    if (Date.now() > deadline) throw new Error(`the connection did not get there in ${timeoutMs} ms: ${JSON.stringify(c)}`);
    await sleep(everyMs);
  }
}

const sleepUntil = (epochMs: number) => sleep(Math.max(0, epochMs - Date.now()));
const signed = (n: number) => (n >= 0 ? `+${Math.round(n)}` : `${Math.round(n)}`);

/**
 * One figures entry: per snapshot, projected − actual and the window relative to actual, with the
 * kernel's facts it was projected from (times relative to t0); and the textbook formula's miss.
 */
function record(name: string, t0: number, actual: number, snaps: Seen[], textbook: number): void {
  const each = snaps.map(
    (c, i) =>
      `snap${i + 1} at t0${signed(c.takenAt - t0)}: proj−act ${c.dropAt === null ? 'none' : signed(c.dropAt - actual)} (${c.dropReason ?? 'no reason'}),` +
      ` window ${c.dropWindow ? `[${signed(c.dropWindow[0] - actual)}, ${signed(c.dropWindow[1] - actual)}]` : 'none'} (${c.precision})` +
      ` | timer ${c.timer} expires t0${c.timerExpiresAt === null ? '?' : signed(c.timerExpiresAt - t0)}, rtx ${c.retransmits}, probes ${c.probesSent}, rto ${c.rtoMs}, sendq ${c.sendQueue}` +
      (c.probesAt.length ? `, probesAt t0${c.probesAt.map((p) => signed(p - t0)).join(',')}` : ''),
  );
  figures.push(`  ${name}: actual t0${signed(actual - t0)}, textbook−act ${signed(textbook - actual)}\n      ${each.join('\n      ')}`);
}

/** What a user sees of the projection: it names the reason, and the real drop is where it says. */
function expectProjected(c: Seen, reason: string, actual: number): void {
  expect(c.dropReason).toBe(reason);
  expect(c.dropAt).not.toBeNull();
  expect(c.dropWindow).not.toBeNull();
  expect(Math.abs(actual - c.dropAt!)).toBeLessThanOrEqual(TOLERANCE_MS);
  expect(actual).toBeGreaterThanOrEqual(c.dropWindow![0]);
  expect(actual).toBeLessThanOrEqual(c.dropWindow![1] + WAKEUP_MS);
}

// ---------------------------------------------------------------------------------------------
// Scenario 4, started first: it takes ~2.5 minutes and overlaps the others (tcp_retries2 does
// not touch keepalive). A C client with TCP_KEEPIDLE 140 s, KEEPINTVL 1 s, KEEPCNT 3; the peer
// silenced at once, so the timer armed 140 s ahead (wheel level 4, 4096-jiffy granularity)
// fires, three probes go unanswered and the fourth firing drops it.

async function runKeepaliveCase(): Promise<void> {
  const server = await readingServer();
  const peer = new Peer(['--port', String(server.port), '--keepalive', `${KEEPALIVE.idleSec},${KEEPALIVE.intervalSec},${KEEPALIVE.probes}`]);
  try {
    const localPort = Number((await peer.line('connected', 5000))[1]);
    const undo = silencePeer(server.port);
    try {
      const failed = failureOf(peer, (KEEPALIVE.idleSec + 40) * 1000);
      failed.catch(() => undefined);
      await sleep(1000);
      const c1 = await snapshotOf(localPort, server.port);
      expect(c1).toMatchObject({ keepalive: true, timer: 'keepalive', probesSent: 0, dropReason: 'keepalive' });
      expect(c1.effective).toMatchObject({ timeSec: KEEPALIVE.idleSec, intervalSec: KEEPALIVE.intervalSec, probes: KEEPALIVE.probes, source: 'socket' });
      // After the first probe the kernel counts it, and the projection must still hold.
      await sleepUntil((c1.nextProbeAt ?? c1.timerExpiresAt!) + 150);
      const c2 = await snapshotWhen(localPort, server.port, (c) => c.probesSent >= 1, 30_000);
      const { code, at } = await failed;
      // Textbook: last receipt + idle + cnt × intvl; last receipt = the first snapshot's moment − idleMs.
      const lastReceive = c1.takenAt - (c1.idleMs ?? NaN);
      const textbook = lastReceive + (KEEPALIVE.idleSec + KEEPALIVE.probes * KEEPALIVE.intervalSec) * 1000;
      record(`keepalive ${KEEPALIVE.idleSec}/${KEEPALIVE.intervalSec}/${KEEPALIVE.probes} (t0 = last receipt)`, lastReceive, at, [c1, c2], textbook);
      expect(code).toBe('ETIMEDOUT');
      expectProjected(c1, 'keepalive', at);
      expectProjected(c2, 'keepalive', at);
    } finally {
      undo();
    }
  } finally {
    peer.close();
    server.close();
  }
}

beforeAll(() => {
  assertThrowawayNamespace();
  dir = mkdtempSync(join(tmpdir(), 'unacked-peer-'));
  binary = join(dir, 'unacked-peer');
  const built = compile('cc', binary, [join(NATIVE_DIR, 'unacked-peer.c')], ['-O1', ...WARN]);
  if (!built.ok) throw new Error(`unacked-peer.c does not build:\n${built.output}`);
  keepaliveCase = runKeepaliveCase().then(
    () => null,
    (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
  );
});

afterAll(() => {
  setTcpRetries2(15);
  adapter.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  console.log(`drop of unacknowledged data, projected vs actual ETIMEDOUT (ms; ${clockNote}):\n${figures.join('\n')}`);
});

// ---------------------------------------------------------------------------------------------
// Scenarios 1 and 2: data the peer never acknowledges. The server's ACKs are dropped on input,
// so the client retransmits its one segment with exponential backoff until tcp_write_timeout
// gives up: after tcp_retries2 retransmissions' worth of time (tcp_model_timeout from
// TCP_RTO_MIN), or at TCP_USER_TIMEOUT when that is set. Both are counted from retrans_stamp,
// which tcp_retransmit_skb sets at the first retransmission by the RTO timer; a tail loss probe
// (~200 ms after the send here; icsk_retransmits stays 0) comes before it and does not count.

/** Bytes written: one segment, well inside any window. */
const WRITE_BYTES = 1000;

interface UnackedRun {
  /** When the data was first sent (the write; on loopback it leaves at once). */
  sentAt: number;
  actual: number;
  code: string;
  snaps: Seen[];
}

/**
 * Connects a C client to a reading server, silences the server, writes; snapshot 1 a second
 * after the write, snapshot 2 once the retransmission count reached `secondAt(snapshot 1)`.
 */
async function unackedRun(clientArgs: string[], secondAt: (c1: Seen) => number, maxMs: number): Promise<UnackedRun> {
  const server = await readingServer();
  const peer = new Peer(['--port', String(server.port), ...clientArgs]);
  try {
    const localPort = Number((await peer.line('connected', 5000))[1]);
    const undo = silencePeer(server.port);
    try {
      peer.send(`write ${WRITE_BYTES}`);
      const [, wrote, when] = await peer.line('wrote', 5000);
      expect(Number(wrote)).toBe(WRITE_BYTES);
      const sentAt = Number(when);
      const failed = failureOf(peer, maxMs);
      failed.catch(() => undefined);
      await sleepUntil(sentAt + 1000);
      const c1 = await snapshotOf(localPort, server.port);
      expect(c1).toMatchObject({ state: 'ESTABLISHED', timer: 'retransmit', sendQueue: WRITE_BYTES });
      expect(c1.retransmits).toBeGreaterThanOrEqual(1);
      const target = secondAt(c1);
      const c2 = await snapshotWhen(localPort, server.port, (c) => c.retransmits >= target, maxMs);
      const { code, at } = await failed;
      return { sentAt, actual: at, code, snaps: [c1, c2] };
    } finally {
      undo();
    }
  } finally {
    peer.close();
    server.close();
  }
}

/** The RTO before any backoff: the first snapshot's (doubled at each retransmission) RTO over 2^retransmits. */
const initialRto = (c: Seen) => c.rtoMs! / 2 ** c.retransmits;

describe('projected drop of unacknowledged data, against the real kernel', () => {
  it.each([3, 4, 5, 6])(
    'tcp_retries2=%i, no user timeout, no keepalive: dropReason retransmit, dropAt within 20 ms of ETIMEDOUT, inside dropWindow',
    async (retries2) => {
      setTcpRetries2(retries2);
      // Snapshot 2: two retransmissions later, but no further than the last one before the drop.
      const run = await unackedRun([], (c1) => Math.min(c1.retransmits + 2, retries2), 60_000);
      const [c1, c2] = run.snaps as [Seen, Seen];
      // Textbook: first send + (2^(retries2+1) − 1) × the initial RTO.
      const textbook = run.sentAt + (2 ** (retries2 + 1) - 1) * initialRto(c1);
      record(`tcp_retries2=${retries2} (t0 = first send)`, run.sentAt, run.actual, run.snaps, textbook);
      expect(run.code).toBe('ETIMEDOUT');
      expectProjected(c1, 'retransmit', run.actual);
      expectProjected(c2, 'retransmit', run.actual);
    },
    90_000,
  );

  it.each([
    { userTimeoutMs: 3000, keepalive: null },
    { userTimeoutMs: 7000, keepalive: null },
    // Keepalive alone would have dropped it after 1 + 3 × 1 s; it does not probe while data is in flight.
    { userTimeoutMs: 7000, keepalive: '1,1,3' },
  ])(
    'TCP_USER_TIMEOUT=$userTimeoutMs ms, keepalive $keepalive, tcp_retries2=15: dropReason user-timeout, dropAt within 20 ms of ETIMEDOUT, inside dropWindow',
    async ({ userTimeoutMs, keepalive }) => {
      setTcpRetries2(15);
      const args = ['--user-timeout-ms', String(userTimeoutMs), ...(keepalive ? ['--keepalive', keepalive] : [])];
      // Snapshot 2: two retransmissions later, but not after the last one that comes 300 ms before the deadline.
      const run = await unackedRun(
        args,
        (c1) => {
          const rto = initialRto(c1);
          let before = 0;
          while ((2 ** (before + 1) - 1) * rto < userTimeoutMs - 300) before++;
          return Math.max(c1.retransmits, Math.min(c1.retransmits + 2, before));
        },
        userTimeoutMs + 5000,
      );
      const [c1, c2] = run.snaps as [Seen, Seen];
      // Textbook: the write + TCP_USER_TIMEOUT.
      const textbook = run.sentAt + userTimeoutMs;
      record(`TCP_USER_TIMEOUT=${userTimeoutMs}${keepalive ? ` keepalive ${keepalive}` : ''} (t0 = first send)`, run.sentAt, run.actual, run.snaps, textbook);
      expect(run.code).toBe('ETIMEDOUT');
      expect(c1.effective.userTimeoutMs).toBe(userTimeoutMs);
      expectProjected(c1, 'user-timeout', run.actual);
      expectProjected(c2, 'user-timeout', run.actual);
    },
    30_000,
  );

  // -------------------------------------------------------------------------------------------
  // Scenario 3: a zero window. The server (unacked-peer --server-rcvbuf) never reads and has a
  // 4 KiB receive buffer; the client's write fills the window, everything sent is acknowledged,
  // and the client probes the zero window (ICSK_TIME_PROBE0, sock_diag timer 'probe'). Then the
  // server is silenced: tcp_probe_timer gives up once tcp_retries2 probes went unanswered.
  it.each([4, 3])(
    'zero window, then silence, tcp_retries2=%i: dropReason zero-window, dropAt within 20 ms of ETIMEDOUT, inside dropWindow',
    async (retries2) => {
      setTcpRetries2(retries2);
      const server = new Peer(['--server-rcvbuf', '4096']);
      let client: Peer | null = null;
      try {
        const serverPort = Number((await server.line('listening', 5000))[1]);
        client = new Peer(['--port', String(serverPort)]);
        const localPort = Number((await client.line('connected', 5000))[1]);
        await server.line('accepted', 5000);
        client.send('write 1000000');
        const [, wrote] = await client.line('wrote', 5000);
        expect(Number(wrote)).toBeGreaterThan(0);
        // The server's (delayed) ACK closes the window some tens of ms after the write; the first
        // probe leaves one RTO (~200 ms) after that. Silence the server as soon as the probe timer
        // is armed: every probe goes unanswered.
        const armed = await snapshotWhen(localPort, serverPort, (c) => c.timer === 'probe', 2000, 5);
        const undo = silencePeer(serverPort);
        try {
          const failed = failureOf(client, 30_000);
          failed.catch(() => undefined);
          const c1 = await snapshotOf(localPort, serverPort);
          expect(c1).toMatchObject({ state: 'ESTABLISHED', timer: 'probe', probesSent: 0 });
          expect(c1.sendQueue).toBeGreaterThan(0);
          // Still the first probe's timer: none was sent (and answered) before the silence.
          expect(Math.abs(c1.timerExpiresAt! - armed.timerExpiresAt!)).toBeLessThanOrEqual(4);
          const c2 = await snapshotWhen(localPort, serverPort, (c) => c.probesSent >= Math.min(2, retries2), 20_000);
          const { code, at } = await failed;
          // Textbook: first probe armed (snapshot 1's timer expiry − its RTO, no backoff yet)
          // + Σ_{k=0..retries2} base × 2^k, base = max(RTO, TCP_RTO_MIN): retries2 probes, then the drop.
          const base = Math.max(c1.rtoMs!, 200);
          const armedAt = c1.timerExpiresAt! - c1.rtoMs!;
          const textbook = armedAt + (2 ** (retries2 + 1) - 1) * base;
          record(`zero window tcp_retries2=${retries2} (t0 = first probe armed)`, armedAt, at, [c1, c2], textbook);
          expect(code).toBe('ETIMEDOUT');
          expectProjected(c1, 'zero-window', at);
          expectProjected(c2, 'zero-window', at);
        } finally {
          undo();
        }
      } finally {
        client?.close();
        server.close();
      }
    },
    30_000,
  );

  it(
    `keepalive at timer-wheel level 4 (TCP_KEEPIDLE ${KEEPALIVE.idleSec} s, intvl ${KEEPALIVE.intervalSec}, cnt ${KEEPALIVE.probes}), peer silenced at once: dropAt within 20 ms of ETIMEDOUT, inside dropWindow`,
    async () => {
      const error = await keepaliveCase;
      if (error) throw error;
    },
    220_000,
  );
});

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEndLine, type AnnouncedEnd } from '../../main/platform/linux/connection-ends';
import { LinuxAdapter } from '../../main/platform/linux/index';
import type { EndWatch, SocketEnd } from '../../shared/platform-adapter';
import { compile, REPO, SANITIZE, SANITIZER_ENV, SANITIZER_REPORT, sockdiagSources, WARN } from '../native/compile';
import { assertThrowawayNamespace, failure, openPair, readSysctl, setKeepaliveSysctls, silencePeer, sleep, type Pair } from './lab';

/**
 * The kernel's announcements of socket ends (sock_diag destroy groups), against the real kernel
 * in the test namespace: through the adapter as the app uses it, and line by line from the helper
 * built with AddressSanitizer and UBSan, for what SocketEnd does not carry (unacknowledged bytes).
 *
 * What tells a reset from a FIN close (test/fixtures/linux/README.md has the recorded cases):
 * nothing in the announcement names it. Every socket is freed in CLOSE, and neither sk_err nor
 * sk_shutdown is in it. Traces remain: an orderly end is freed on the ACK that completes it, so
 * its last ACK is ~0 ms old, while a RST never goes through tcp_ack; bytes never acknowledged
 * (idiag_wqueue) mean no orderly close; and the side that aborts (SO_LINGER 0) is announced
 * without its remote port (tcp_disconnect).
 */

const adapter = new LinuxAdapter();
const ends: SocketEnd[] = [];
const failures: string[] = [];
let watch: EndWatch | null = null;
const pairs: Pair[] = [];
let dir = '';
const saved: Record<string, string> = {};
const SYSCTLS = ['net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes', 'net.ipv4.tcp_retries2'];

function setSysctl(name: string, value: string): void {
  assertThrowawayNamespace();
  writeFileSync(`/proc/sys/${name.replaceAll('.', '/')}`, value);
}

type Tuple = Pick<SocketEnd, 'localPort' | 'remotePort'>;
const sameTuple = (t: Tuple) => (e: Tuple) => e.localPort === t.localPort && e.remotePort === t.remotePort;

async function until<T>(find: () => T | undefined, what: string, ms = 5000): Promise<T> {
  for (const start = Date.now(); ; await sleep(10)) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() - start > ms) throw new Error(`no ${what} within ${ms} ms`);
  }
}
const endOf = (t: Tuple, ms?: number) => until(() => ends.find(sameTuple(t)), `end for ${t.localPort} → ${t.remotePort}`, ms);

/** The two ends of an open pair, as the kernel will name them. */
function tuples(p: Pair): { client: Tuple; server: Tuple } {
  return {
    client: { localPort: p.client.localPort!, remotePort: p.serverPort },
    server: { localPort: p.serverPort, remotePort: p.client.localPort! },
  };
}

beforeAll(async () => {
  assertThrowawayNamespace();
  for (const name of SYSCTLS) saved[name] = readSysctl(name);
  setKeepaliveSysctls({ timeSec: 2, intervalSec: 1, probes: 3 });
  dir = mkdtempSync(join(tmpdir(), 'idlewatch-connection-ends-'));
  const start = await adapter.watchConnectionEnds({ end: (e) => ends.push(e), failed: (m) => failures.push(m) });
  if (!start.ok) throw new Error(`the watch did not start: ${start.reason}`);
  watch = start.watch;
}, 30_000);

afterAll(() => {
  watch?.stop();
  adapter.close();
  pairs.forEach((p) => p.close());
  for (const [name, value] of Object.entries(saved)) setSysctl(name, value);
  rmSync(dir, { recursive: true, force: true });
});

async function pair(options?: { serverReads?: boolean }): Promise<Pair> {
  const p = await openPair('127.0.0.1', options);
  pairs.push(p);
  return p;
}

describe('the adapter’s watch of socket ends, as root', () => {
  it('a client killed by keepalive (peer silenced, time 2 / intvl 1 / probes 3): one end for its 4-tuple, 3 probes, within 1 s of ETIMEDOUT', async () => {
    const p = await pair();
    const { client } = tuples(p);
    p.client.setKeepAlive(true); // SO_KEEPALIVE only: the namespace sysctls govern
    const failed = failure(p.client);
    const undo = silencePeer(p.serverPort);
    try {
      const { at, code } = await failed;
      expect(code).toBe('ETIMEDOUT');
      const end = await endOf(client, 2000);
      expect(end).toMatchObject({ family: 'ipv4', finalState: 'CLOSE', localAddress: '127.0.0.1', remoteAddress: '127.0.0.1', probesSent: 3 });
      expect(Math.abs(end.at - at)).toBeLessThan(1000);
      // Nothing acknowledged since the peer went silent: time + probes × intvl = 5 s.
      expect(end.lastAckRecvMs).toBeGreaterThanOrEqual(4500);
      await sleep(300);
      expect(ends.filter(sameTuple(client))).toHaveLength(1);
    } finally {
      undo();
    }
  });

  it('a normal close: both ends announced in CLOSE, freed on the ACK that completed them', async () => {
    const p = await pair();
    const { client, server } = tuples(p);
    // Both read, so each sees the other's FIN; a socket is freed (and announced) when its owner closes it.
    p.server.resume();
    p.client.resume();
    p.client.write('hello');
    await sleep(50);
    p.client.end(); // the server side answers with its own FIN (allowHalfOpen is off)
    for (const t of [client, server]) {
      const end = await endOf(t);
      expect(end).toMatchObject({ finalState: 'CLOSE', probesSent: 0, retransmits: 0 });
      expect(end.lastAckRecvMs).toBeLessThan(500);
    }
  });

  it('a reset by the peer after 1.5 s of quiet: the last ACK is as old as the quiet (an RST skips tcp_ack)', async () => {
    const p = await pair();
    const { client } = tuples(p);
    const failed = failure(p.client);
    await sleep(1500);
    p.server.resetAndDestroy();
    expect((await failed).code).toBe('ECONNRESET');
    const end = await endOf(client);
    expect(end).toMatchObject({ finalState: 'CLOSE', probesSent: 0 });
    expect(end.lastAckRecvMs).toBeGreaterThanOrEqual(1400);
  });

  it('the side that resets (SO_LINGER 0) is announced without its remote port: tcp_disconnect cleared it', async () => {
    const p = await pair();
    const { server } = tuples(p);
    p.server.resetAndDestroy();
    const end = await until(
      () => ends.find((e) => e.localPort === server.localPort && e.remotePort === 0 && e.remoteAddress === '127.0.0.1'),
      'the aborting side’s end',
    );
    expect(end.finalState).toBe('CLOSE');
    expect(ends.some(sameTuple(server))).toBe(false);
  });

  it('refuses a network namespace that is not there, saying why', async () => {
    // Other namespaces are watched too (test/integration/namespaces-read.test.ts); this one does not exist.
    const start = await adapter.watchConnectionEnds({ end: () => undefined, failed: () => undefined }, '4026531840999');
    expect(start).toMatchObject({ ok: false, reason: expect.stringMatching(/no network namespace 4026531840999.*disappearances between polls/) });
  });

  it('reported no failure while it ran', () => {
    expect(failures).toEqual([]);
  });
});

describe('the watch without root', () => {
  it('works for nobody, with no capability at all: the destroy groups are open to every user (NL_CFG_F_NONROOT_RECV)', () => {
    chmodSync(dir, 0o755);
    const script = join(dir, 'as-nobody.mts');
    writeFileSync(
      script,
      `import net from 'node:net';
import { LinuxAdapter } from ${JSON.stringify(join(REPO, 'main/platform/linux/index.ts'))};
const caps = (await import('node:fs')).readFileSync('/proc/self/status', 'utf8').match(/^CapEff:\\s*(\\S+)/m)![1];
const ends: { localPort: number; remotePort: number }[] = [];
const adapter = new LinuxAdapter();
const start = await adapter.watchConnectionEnds({ end: (e) => ends.push(e), failed: (m) => console.error(m) });
if (!start.ok) {
  console.log(JSON.stringify({ uid: process.geteuid!(), caps, start }));
  process.exit(0);
}
const server = net.createServer((s) => s.end()).listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const port = (server.address() as net.AddressInfo).port;
const client = net.connect(port, '127.0.0.1');
await new Promise((r) => client.once('connect', r));
const localPort = client.localPort;
client.on('end', () => client.end());
for (let i = 0; i < 200 && !ends.some((e) => e.localPort === localPort && e.remotePort === port); i++) await new Promise((r) => setTimeout(r, 10));
start.watch.stop();
server.close();
console.log(JSON.stringify({ uid: process.geteuid!(), caps, start: { ok: true }, seen: ends.some((e) => e.localPort === localPort && e.remotePort === port) }));
`,
    );
    chmodSync(script, 0o644);
    const run = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--', process.execPath, '--import', 'tsx', script], {
      cwd: REPO,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TSX_DISABLE_CACHE: '1' },
      timeout: 30_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(out).toEqual({ uid: 65534, caps: '0000000000000000', start: { ok: true }, seen: true });
  });
});

describe('idlewatch-sockdiag --events under AddressSanitizer and UndefinedBehaviorSanitizer', () => {
  let helper: ChildProcessWithoutNullStreams;
  const lines: AnnouncedEnd[] = [];
  let stderr = '';
  let header: Promise<void>;

  beforeAll(() => {
    const binary = join(dir, 'idlewatch-sockdiag-asan');
    const built = compile('cc', binary, sockdiagSources(), [...SANITIZE, ...WARN], ['-lpthread']);
    if (!built.ok) throw new Error(`cannot build the helper with sanitizers:\n${built.output}`);
    helper = spawn(binary, ['--events'], { env: { ...process.env, ...SANITIZER_ENV } });
    helper.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let carry = '';
    header = new Promise((resolve) => {
      helper.stdout.on('data', (d: Buffer) => {
        const text = carry + d.toString();
        const cut = text.lastIndexOf('\n');
        carry = text.slice(cut + 1);
        for (const l of text.slice(0, cut + 1).split('\n').filter(Boolean)) {
          const read = parseEndLine(l);
          if (read.kind === 'header') resolve();
          else if (read.kind === 'end') lines.push(read);
          else throw new Error(`unexpected line from the helper: ${l}`);
        }
      });
    });
    return header;
  }, 60_000);

  const lineOf = (t: Tuple) => until(() => lines.find((l) => sameTuple(t)(l.end)), `line for ${t.localPort}`);

  it('a reset with data in flight: tcpi_unacked reads 0 (tcp_write_queue_purge), the unacknowledged bytes remain', async () => {
    const p = await pair({ serverReads: false });
    const { client } = tuples(p);
    const failed = failure(p.client);
    p.client.write(Buffer.alloc(8 << 20, 1)); // more than both socket buffers hold
    await sleep(200);
    p.server.resetAndDestroy();
    expect((await failed).code).toBe('ECONNRESET');
    const { end } = await lineOf(client);
    expect(end.unacked).toBe(0);
    expect(end.unacknowledgedBytes).toBeGreaterThan(100_000);
  });

  it('a retransmission timeout (tcp_retries2 = 3): retransmits counted, unacked and backoff purged, the bytes still unacknowledged', async () => {
    setSysctl('net.ipv4.tcp_retries2', '3');
    const p = await pair();
    const { client } = tuples(p);
    const failed = failure(p.client);
    const undo = silencePeer(p.serverPort);
    try {
      p.client.write(Buffer.alloc(3000, 1));
      expect((await failed).code).toBe('ETIMEDOUT');
      const { end } = await lineOf(client);
      expect(end).toMatchObject({ finalState: 'CLOSE', probesSent: 0, unacked: 0, backoff: 0 });
      expect(end.retransmits).toBeGreaterThanOrEqual(3);
      expect(end.unacknowledgedBytes).toBe(3000);
    } finally {
      undo();
      setSysctl('net.ipv4.tcp_retries2', saved['net.ipv4.tcp_retries2']!);
    }
  }, 30_000);

  it('exits cleanly when its stdin closes, with no sanitizer report', async () => {
    const exited = new Promise<number | null>((resolve) => helper.once('exit', (code) => resolve(code)));
    helper.stdin.end();
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(SANITIZER_REPORT);
    expect(stderr).toBe('');
  });
});

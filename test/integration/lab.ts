/**
 * The lab for real-kernel tests: the test process runs inside a throwaway network namespace
 * (test/run-all.mjs starts it under `unshare -n`), so the sysctls it sets and the nftables
 * rules it adds vanish with the namespace. Nothing here may touch the host's namespace.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';

/** The host's namespace as test/run-all.mjs saw it before `unshare -n`, else init's. */
function hostNamespace(): string | null {
  if (process.env.IDLEWATCH_HOST_NETNS) return process.env.IDLEWATCH_HOST_NETNS;
  try {
    return readlinkSync('/proc/1/ns/net');
  } catch {
    return null;
  }
}

export function assertThrowawayNamespace(): void {
  const host = hostNamespace();
  if (host === null || readlinkSync('/proc/self/ns/net') === host) {
    throw new Error('Refusing to run: these tests change keepalive sysctls and must run in their own network namespace (npm test does that).');
  }
}

/**
 * Refuses to go on unless the places an apply persists to are this test's own: tmpfs mounts of a
 * private mount namespace (test/run-all.mjs makes them). Call before anything that may persist.
 */
export function assertThrowawayPersistence(paths = ['/etc/sysctl.d', '/var/lib/idlewatch']): void {
  assertThrowawayNamespace();
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  for (const path of paths) {
    // mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ... - FSTYPE SOURCE SUPEROPTIONS; the last mount wins.
    const over = mounts.filter((line) => line.split(' ')[4] === path).at(-1);
    const fstype = over?.split(' - ')[1]?.split(' ')[0];
    if (fstype !== 'tmpfs') {
      throw new Error(`Refusing to run: ${path} is not a tmpfs of this test's mount namespace (npm test makes one), so an apply could persist on the host.`);
    }
  }
}

export interface KeepaliveSysctls {
  timeSec: number;
  intervalSec: number;
  probes: number;
}

export function setKeepaliveSysctls({ timeSec, intervalSec, probes }: KeepaliveSysctls): void {
  assertThrowawayNamespace();
  writeFileSync('/proc/sys/net/ipv4/tcp_keepalive_time', String(timeSec));
  writeFileSync('/proc/sys/net/ipv4/tcp_keepalive_intvl', String(intervalSec));
  writeFileSync('/proc/sys/net/ipv4/tcp_keepalive_probes', String(probes));
}

/** net.ipv4.tcp_retries2 of this namespace: retransmissions (and zero-window probes) before the kernel gives up. */
export function setTcpRetries2(retries: number): void {
  assertThrowawayNamespace();
  writeFileSync('/proc/sys/net/ipv4/tcp_retries2', String(retries));
}

export function readSysctl(name: string): string {
  return readFileSync(`/proc/sys/${name.replaceAll('.', '/')}`, 'utf8').trim();
}

export interface Pair {
  client: net.Socket;
  /** The server's end of the same connection. */
  server: net.Socket;
  serverPort: number;
  close(): void;
}

/**
 * A listener and one connection to it, both ends in this process. With `serverReads: false`
 * the server end never reads, so what the client sends stays in the kernel's receive queue.
 */
export async function openPair(host = '127.0.0.1', { serverReads = true } = {}): Promise<Pair> {
  let accepted: (s: net.Socket) => void;
  const serverSide = new Promise<net.Socket>((resolve) => (accepted = resolve));
  const listener = net.createServer({ pauseOnConnect: !serverReads }, (s) => {
    s.on('error', () => undefined);
    accepted(s);
  });
  await new Promise<void>((resolve) => listener.listen(0, host, resolve));
  const serverPort = (listener.address() as net.AddressInfo).port;
  const client = net.connect(serverPort, host);
  client.on('error', () => undefined);
  await new Promise((resolve) => client.once('connect', resolve));
  const server = await serverSide;
  return {
    client,
    server,
    serverPort,
    close() {
      client.destroy();
      server.destroy();
      listener.close();
    },
  };
}

let silenced = 0;

/**
 * Makes the peer on `port` go silent for this namespace: every packet arriving from it is
 * dropped (our probes still leave; its answers never reach us). Returns the undo.
 */
export function silencePeer(port: number): () => void {
  assertThrowawayNamespace();
  const table = `idlewatch_silence_${++silenced}`;
  execFileSync('nft', ['-f', '-'], {
    input: `table inet ${table} {\n  chain input {\n    type filter hook input priority 0;\n    tcp sport ${port} drop\n  }\n}\n`,
  });
  return () => execFileSync('nft', ['delete', 'table', 'inet', table]);
}

/** The inode of a Node socket, as /proc and inet_diag report it. */
export function socketInode(socket: net.Socket): number {
  const fd = (socket as unknown as { _handle: { fd: number } })._handle.fd;
  const link = readlinkSync(`/proc/self/fd/${fd}`);
  const match = /^socket:\[(\d+)\]$/.exec(link);
  if (!match) throw new Error(`fd ${fd} is not a socket: ${link}`);
  return Number(match[1]);
}

/** Resolves with the wall-clock moment the socket fails, and its error code. */
export function failure(socket: net.Socket): Promise<{ at: number; code: string }> {
  return new Promise((resolve) => socket.once('error', (e: NodeJS.ErrnoException) => resolve({ at: Date.now(), code: e.code ?? '' })));
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

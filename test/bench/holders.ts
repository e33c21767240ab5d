// Plans and starts the socket-holder processes that fill a namespace with idle sockets.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const HOLDER_SCRIPT = fileURLToPath(new URL('./socket-holder.mjs', import.meta.url));

/** ulimit -n is 20,000: 8,000 connections = 16,000 fds leaves room for Node's own. */
const MAX_CONNECTIONS_PER_HOLDER = 8_000;
/** Each holder listens on a few ports, so the table has several listeners as in real life. */
const LISTENERS_PER_HOLDER = 2;
const FIRST_PORT = 9_000; // below the ephemeral range (32768+), so never taken by a client
const KEEPALIVE_EVERY = 10; // about 10% of client sockets have SO_KEEPALIVE

export interface HolderPlan {
  ports: number[];
  /** Each holder binds its clients to its own 127.0.0.x: ephemeral ports are per address. */
  source: string;
  connections: number;
}

export interface SocketPlan {
  holders: HolderPlan[];
  connections: number;
  listeners: number;
  /** connections * 2 + listeners: what a socket-table reader should see. */
  sockets: number;
}

/** Splits `sockets` into holders so that client ends + server ends + listeners add up to it. */
export function planSockets(sockets: number): SocketPlan {
  const holderCount = Math.max(1, Math.ceil(sockets / 2 / MAX_CONNECTIONS_PER_HOLDER));
  let listeners = holderCount * LISTENERS_PER_HOLDER;
  // Two sockets per connection: an odd remainder becomes one more listener.
  if ((sockets - listeners) % 2 !== 0) listeners++;
  const connections = Math.max(0, (sockets - listeners) / 2);

  const holders: HolderPlan[] = [];
  let port = FIRST_PORT;
  for (let i = 0; i < holderCount; i++) {
    const share = Math.floor(connections / holderCount) + (i < connections % holderCount ? 1 : 0);
    const portCount = LISTENERS_PER_HOLDER + (i === 0 ? listeners - holderCount * LISTENERS_PER_HOLDER : 0);
    const ports = Array.from({ length: portCount }, () => port++);
    holders.push({ ports, source: `127.0.0.${2 + i}`, connections: share });
  }
  return { holders, connections, listeners, sockets: connections * 2 + listeners };
}

export interface RunningHolders {
  pids: number[];
  keepalive: number;
  /** Kills every holder; safe to call more than once. */
  stop(): void;
}

/**
 * Runs a holder in a network namespace of its own, loopback up: `unshare -n` execs sh, which
 * execs node, so the holder's pid is the child's and its stdin stays our pipe.
 */
const IN_NEW_NAMESPACE = ['unshare', '-n', '--', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"'];

/**
 * Starts every holder and resolves once all of them printed READY. With `ownNamespace`, each
 * holder runs in a new network namespace of its own (the namespaces benchmark).
 */
export async function startHolders(plan: SocketPlan, { touchPerSecond = 0, ownNamespace = false } = {}): Promise<RunningHolders> {
  const children: ChildProcess[] = [];
  const stop = () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  try {
    const reports = await Promise.all(
      plan.holders.map((holder) => {
        const node = ownNamespace ? [...IN_NEW_NAMESPACE, process.execPath] : [process.execPath];
        const child = spawn(node[0]!, [
          ...node.slice(1),
          HOLDER_SCRIPT,
          '--ports', holder.ports.join(','),
          '--source', holder.source,
          '--connections', String(holder.connections),
          '--keepalive-every', String(KEEPALIVE_EVERY),
          // spread the touches over the holders in proportion to their connections
          '--touch-per-second', String(Math.round((touchPerSecond * holder.connections) / Math.max(1, plan.connections))),
        ], { stdio: ['pipe', 'pipe', 'inherit'] });
        children.push(child);
        return waitForReady(child);
      }),
    );
    return { pids: children.map((c) => c.pid!), keepalive: reports.reduce((n, r) => n + r.keepalive, 0), stop };
  } catch (error) {
    stop();
    throw error;
  }
}

interface ReadyReport {
  pid: number;
  connections: number;
  listeners: number;
  keepalive: number;
}

function waitForReady(child: ChildProcess): Promise<ReadyReport> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (text: string) => {
      buffered += text;
      const line = buffered.split('\n').find((l) => l.startsWith('READY '));
      if (line) resolve(JSON.parse(line.slice('READY '.length)));
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => reject(new Error(`socket holder exited early (${signal ?? code})`)));
  });
}

// One socket holder for the snapshot benchmark: listens on a few loopback ports, opens
// `--connections` idle connections to itself (so it owns both ends of each), prints one
// "READY {...}" line on stdout and then does nothing until it is killed or its parent goes
// away. Several holders share the work because one process may hold at most 20,000 fds.
//
//   node socket-holder.mjs --ports 9000,9001 --source 127.0.0.2 --connections 8000 \
//        --keepalive-every 10 --concurrency 256 [--touch-per-second 100]
//
// With --touch-per-second N it sends one byte on N of its connections every second, picked in
// turn, so N connections (2N sockets) show fresh activity each second: the render benchmark's
// "1% of rows change" workload.
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    ports: { type: 'string' },
    listen: { type: 'string', default: '127.0.0.1' },
    source: { type: 'string' },
    connections: { type: 'string' },
    'keepalive-every': { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '256' },
    'touch-per-second': { type: 'string', default: '0' },
  },
});

const ports = values.ports.split(',').map(Number);
const listenAddress = values.listen;
const sourceAddress = values.source;
const target = Number(values.connections);
const keepaliveEvery = Number(values['keepalive-every']);
const concurrency = Number(values.concurrency);
const touchPerSecond = Number(values['touch-per-second']);

// References to every socket, so nothing is garbage-collected or closed behind our back.
const held = { servers: [], accepted: [], clients: [] };

function fail(message) {
  process.stderr.write(`socket-holder (${sourceAddress}): ${message}\n`);
  process.exit(1);
}

// The parent keeps our stdin open; when it dies (even by SIGKILL) the pipe closes and we
// follow, so a crashed benchmark never leaves holders (and their namespace) behind.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();

function listen(port) {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => {
      socket.on('error', () => undefined); // an idle peer that vanishes is not our problem
      held.accepted.push(socket);
      maybeReady();
    });
    server.once('error', reject);
    // Backlog above the connect concurrency so no SYN waits for a retransmit.
    server.listen({ host: listenAddress, port, backlog: 4096 }, () => resolve(server));
  });
}

function connectOne(index) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: listenAddress, port: ports[index % ports.length], localAddress: sourceAddress });
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      // Only some sockets ask for keepalive, as in real life; idlewatch must tell them apart.
      if (index % keepaliveEvery === 0) socket.setKeepAlive(true);
      held.clients.push(socket);
      resolve();
    });
    socket.once('error', reject);
  });
}

/** Opens `target` connections with at most `concurrency` handshakes in flight. */
async function connectAll() {
  let next = 0;
  async function worker() {
    while (next < target) await connectOne(next++);
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, target) }, worker));
}

let announced = false;
function maybeReady() {
  if (announced || held.clients.length < target || held.accepted.length < target) return;
  announced = true;
  const keepalive = Math.ceil(target / keepaliveEvery); // indexes 0, every, 2*every, ...
  const report = { pid: process.pid, connections: target, listeners: held.servers.length, keepalive };
  process.stdout.write(`READY ${JSON.stringify(report)}\n`);
}

try {
  for (const port of ports) held.servers.push(await listen(port));
  await connectAll();
  maybeReady(); // the last accept may have come before the last connect resolved, or after
} catch (error) {
  fail(error.message);
}

if (touchPerSecond > 0) {
  let cursor = 0;
  setInterval(() => {
    for (let i = 0; i < touchPerSecond && held.clients.length; i++) {
      held.clients[cursor].write('.');
      cursor = (cursor + 1) % held.clients.length;
    }
  }, 1000);
}

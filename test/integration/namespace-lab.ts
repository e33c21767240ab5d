/**
 * Processes that hold connections in network namespaces of their own (issue 9 tests): each is
 * started under a command that gives it its namespace (`unshare -n --`, `ip netns exec NAME`),
 * sets that namespace's sysctls from inside, and keeps its connections open until its stdin ends.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { statSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import type { LinuxSettings } from '../../shared/model';

/**
 * A process in its own namespace: brings loopback up, sets the namespace's sysctls through
 * /proc/sys (its own), listens, opens N connections with SO_KEEPALIVE (values from the sysctls),
 * prints READY with its pid and sockets; a line "close" on stdin closes one client; it exits
 * when stdin ends.
 */
const HOLDER = `
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const [timeSec, intervalSec, probes, retries2, n] = process.argv.slice(1).map(Number);
execFileSync('ip', ['link', 'set', 'lo', 'up']);
const set = (name, value) => fs.writeFileSync('/proc/sys/net/ipv4/' + name, String(value));
set('tcp_keepalive_time', timeSec);
set('tcp_keepalive_intvl', intervalSec);
set('tcp_keepalive_probes', probes);
set('tcp_retries2', retries2);
const inode = (s) => Number(/^socket:\\[(\\d+)\\]$/.exec(fs.readlinkSync('/proc/self/fd/' + s._handle.fd))[1]);
const accepted = [];
const clients = [];
const server = net.createServer((s) => { s.on('error', () => {}); accepted.push(s); });
server.listen(0, '127.0.0.1', async () => {
  const port = server.address().port;
  for (let i = 0; i < n; i++) {
    const c = net.connect(port, '127.0.0.1');
    c.on('error', () => {});
    await new Promise((r) => c.once('connect', r));
    c.setKeepAlive(true);
    clients.push(c);
  }
  while (accepted.length < n) await new Promise((r) => setTimeout(r, 5));
  const sockets = [server, ...clients, ...accepted].map(inode);
  console.log('READY ' + JSON.stringify({ pid: process.pid, port, clientPorts: clients.map((c) => c.localPort), inodes: sockets }));
});
let buffered = '';
process.stdin.on('data', (d) => {
  buffered += d;
  for (let i = buffered.indexOf('\\n'); i >= 0; i = buffered.indexOf('\\n')) {
    const line = buffered.slice(0, i);
    buffered = buffered.slice(i + 1);
    if (line === 'close') { const c = clients.pop(); const port = c.localPort; c.destroy(); console.log('CLOSED ' + port); }
  }
});
process.stdin.on('end', () => process.exit(0));
`;

export interface Holder {
  child: ChildProcessByStdio<Writable, Readable, null>;
  pid: number;
  port: number;
  clientPorts: number[];
  inodes: number[];
  /** The namespace's id: its nsfs inode. */
  id: string;
  settings: LinuxSettings;
  connections: number;
}

/** Starts a holder under `command`; `holders` (if given) collects it for the test's cleanup. */
export async function startHolder(command: string[], settings: LinuxSettings, connections: number, holders?: Holder[]): Promise<Holder> {
  const args = [process.execPath, '-e', HOLDER, String(settings.timeSec), String(settings.intervalSec), String(settings.probes), String(settings.retries2), String(connections)];
  const child = spawn(command[0]!, [...command.slice(1), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const ready = await new Promise<{ pid: number; port: number; clientPorts: number[]; inodes: number[] }>((resolve, reject) => {
    let text = '';
    child.stdout.setEncoding('utf8');
    const onData = (piece: string) => {
      text += piece;
      const line = text.split('\n').find((l) => l.startsWith('READY '));
      if (line) {
        child.stdout.off('data', onData);
        resolve(JSON.parse(line.slice('READY '.length)));
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`a holder exited before it was ready (${code})`)));
  });
  const id = String(statSync(`/proc/${ready.pid}/ns/net`).ino);
  const holder = { child, ...ready, id, settings, connections };
  holders?.push(holder);
  return holder;
}

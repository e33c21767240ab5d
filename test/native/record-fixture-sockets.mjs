// The sockets of test/fixtures/linux/sockdiag-netlink-dump.hex and sockdiag-users-snapshot.txt.
// Run as root inside `unshare -n sh -c 'ip link set lo up; node test/native/record-fixture-sockets.mjs CMD...'`:
// it opens the sockets, runs CMD (e.g. the recorder or the helper with --once), prints its
// output and exits.
//
// - a listener on 127.0.0.1:8080 with 12 connections to it, the first with keepalive;
// - a connection closed by its client, in TIME_WAIT;
// - a listener on [::1]:8443 with one connection;
// - a listener on 127.0.0.1:8090 owned by `nobody` (uid 65534), in a child process.
import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';

const held = [];
const listen = (port, host) =>
  new Promise((resolve) => {
    const server = net.createServer((s) => held.push(s)).listen(port, host, () => resolve(server));
    held.push(server);
  });
const connect = (port, host) =>
  new Promise((resolve) => {
    const socket = net.connect(port, host, () => resolve(socket));
    held.push(socket);
  });

await listen(8080, '127.0.0.1');
for (let i = 0; i < 12; i++) {
  const client = await connect(8080, '127.0.0.1');
  if (i === 0) client.setKeepAlive(true);
}
const closing = await connect(8080, '127.0.0.1');
closing.end();
await listen(8443, '::1');
await connect(8443, '::1');
const nobody = spawn(process.execPath, ['-e', "require('net').createServer().listen(8090, '127.0.0.1', () => console.log('ready'))"], {
  uid: 65534,
  gid: 65534,
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise((resolve) => nobody.stdout.once('data', resolve));
await new Promise((resolve) => setTimeout(resolve, 300)); // the closed connection reaches TIME_WAIT
const [command, ...args] = process.argv.slice(2);
process.stdout.write(execFileSync(command, args));
nobody.kill();
process.exit(0);

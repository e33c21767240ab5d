// Reference reader: systeminformation's networkConnections(), in a fresh process, timed
// around the call only (module loading excluded). Prints one JSON line.
// Its peak RSS is this Node process only: the netstat child it runs is not included.
import si from 'systeminformation';

const t0 = performance.now();
const connections = await si.networkConnections();
const ms = performance.now() - t0;
const tcp = connections.filter((c) => c.protocol.startsWith('tcp')).length;
process.stdout.write(
  `${JSON.stringify({ ms, rows: connections.length, tcpRows: tcp, nodePeakKiB: process.resourceUsage().maxRSS })}\n`,
);

/**
 * The lab's second opinion: /proc/net/tcp and /proc/net/tcp6 (get_tcp4_sock / get_tcp6_sock,
 * KEEPALIVE.md §1.4), read independently of the collector. Timers here are USER_HZ ticks;
 * Idlewatch reads inet_diag for exact values, and collector.test.ts checks them against this.
 */

export interface ProcNetTcpEntry {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** Kernel state number. */
  state: number;
  sendQueue: number;
  recvQueue: number;
  /** 0 none, 1 retransmit, 2 keepalive, 3 time-wait, 4 zero-window probe. */
  timer: number;
  /** USER_HZ ticks until the timer expires. */
  timerTicks: number;
  retransmits: number;
  uid: number;
  /** icsk_probes_out. */
  probesOut: number;
  inode: number;
}

export interface ProcNetTcpTable {
  entries: ProcNetTcpEntry[];
  malformedLines: number;
}

/** IPv4 is printed as a host-endian u32 (little-endian here): 0100007F is 127.0.0.1. */
function ipv4(hex: string): string {
  const n = parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
}

/** IPv6 is four host-endian u32 words; rendered like inet_ntop (RFC 5952) by the URL serializer. */
function ipv6(hex: string): string {
  const groups: string[] = [];
  for (let word = 0; word < 4; word++) {
    const w = hex.slice(word * 8, word * 8 + 8);
    groups.push(w.slice(6, 8) + w.slice(4, 6), w.slice(2, 4) + w.slice(0, 2));
  }
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

const LINE =
  /^\s*\d+: ([0-9A-F]{8}|[0-9A-F]{32}):([0-9A-F]{4}) ([0-9A-F]{8}|[0-9A-F]{32}):([0-9A-F]{4}) ([0-9A-F]{2}) ([0-9A-F]{8}):([0-9A-F]{8}) ([0-9A-F]{2}):([0-9A-F]{8}) ([0-9A-F]{8}) +(\d+) +(\d+) (\d+)/;

export function parseProcNetTcp(text: string): ProcNetTcpTable {
  const table: ProcNetTcpTable = { entries: [], malformedLines: 0 };
  const lines = text.split('\n');
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const m = LINE.exec(line);
    if (!m || m[1]!.length !== m[3]!.length) {
      table.malformedLines++;
      continue;
    }
    const addr = m[1]!.length === 8 ? ipv4 : ipv6;
    table.entries.push({
      localAddress: addr(m[1]!),
      localPort: parseInt(m[2]!, 16),
      remoteAddress: addr(m[3]!),
      remotePort: parseInt(m[4]!, 16),
      state: parseInt(m[5]!, 16),
      sendQueue: parseInt(m[6]!, 16),
      recvQueue: parseInt(m[7]!, 16),
      timer: parseInt(m[8]!, 16),
      timerTicks: parseInt(m[9]!, 16),
      retransmits: parseInt(m[10]!, 16),
      uid: Number(m[11]),
      probesOut: Number(m[12]),
      inode: Number(m[13]),
    });
  }
  return table;
}

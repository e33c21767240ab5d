/**
 * Parses what idlewatch-sockdiag (./sockdiag/sockdiag.c) prints for one snapshot.
 * Pure: text in, records out. A line that does not fit is skipped and counted.
 */

/** One socket exactly as inet_diag and tcp_info report it; units as the kernel gives them. */
export interface DiagSocket {
  family: 4 | 6;
  /** Kernel TCP state number (include/net/tcp_states.h). */
  state: number;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  uid: number;
  /** 0 for TIME_WAIT and request sockets. */
  inode: number;
  /** idiag_timer: 0 none, 1 retransmit, 2 keepalive (sk_timer), 3 time-wait, 4 zero-window probe. */
  timer: number;
  /** idiag_expires: ms until the armed timer expires (jiffies_delta_to_msecs). */
  expiresMs: number;
  /** idiag_retrans: probes out for keepalive/probe timers, retransmits for the retransmit timer. */
  retrans: number;
  recvQueue: number;
  sendQueue: number;
  /** tcp_info fields; null when the kernel sent none (TIME_WAIT, request sockets). */
  info: {
    probes: number;
    retransmits: number;
    backoff: number;
    rtoUs: number;
    unacked: number;
    lastDataSentMs: number;
    lastDataRecvMs: number;
    lastAckRecvMs: number;
  } | null;
  owner: { pid: number; fd: number } | null;
  /** Effective per-socket keepalive options read with getsockopt; null when not readable. */
  sockopts: { keepalive: boolean; keepIdleSec: number; keepIntervalSec: number; keepCount: number; userTimeoutMs: number } | null;
  /** CLOCK_MONOTONIC window in which the kernel filled this record; its timers count from a jiffy inside it. */
  fill: Fill | null;
}

export interface Fill {
  startNs: bigint;
  endNs: bigint;
}

export interface DiagOutput {
  format: string;
  /** CLOCK_REALTIME and CLOCK_MONOTONIC sampled just before the dump. */
  realtimeNs: bigint;
  monotonicNs: bigint;
  /** CLOCK_MONOTONIC just after it. */
  monotonicAfterNs: bigint;
  sockets: DiagSocket[];
  /** pid → command name (comm), unescaped. */
  processes: Map<number, string>;
  stats: Record<string, number>;
  errors: string[];
  malformedLines: number;
}

export const SOCKDIAG_FORMAT = 'idlewatch-sockdiag/1';
const SOCKET_FIELDS = 29;
const UINT = /^\d{1,15}$/;

function uint(field: string | undefined): number {
  if (field === undefined || !UINT.test(field)) throw new RangeError(`not a count: ${field}`);
  return Number(field);
}

function nanoseconds(field: string | undefined): bigint {
  if (field === undefined || !/^\d{1,20}$/.test(field)) throw new RangeError(`not a clock reading: ${field}`);
  return BigInt(field);
}

function optional(field: string | undefined): number | null {
  return field === '-' ? null : uint(field);
}

function port(field: string | undefined): number {
  const n = uint(field);
  if (n > 65535) throw new RangeError(`not a port: ${field}`);
  return n;
}

function address(field: string | undefined, family: 4 | 6): string {
  const ok = family === 4 ? /^\d{1,3}(\.\d{1,3}){3}$/ : /^[0-9a-f:.]{2,45}$/;
  if (field === undefined || !ok.test(field)) throw new RangeError(`not an IPv${family} address: ${field}`);
  return field;
}

function parseSocket(f: string[], fill: Fill | null): DiagSocket {
  if (f.length !== SOCKET_FIELDS) throw new RangeError(`expected ${SOCKET_FIELDS} fields, got ${f.length}`);
  const family = uint(f[1]);
  if (family !== 4 && family !== 6) throw new RangeError(`unknown family ${family}`);
  const state = uint(f[2]);
  const timer = uint(f[9]);
  if (state < 1 || state > 12 || timer > 4) throw new RangeError('state or timer out of range');
  const probes = optional(f[14]);
  const pid = optional(f[22]);
  const keepalive = optional(f[24]);
  return {
    family,
    state,
    localAddress: address(f[3], family),
    localPort: port(f[4]),
    remoteAddress: address(f[5], family),
    remotePort: port(f[6]),
    uid: uint(f[7]),
    inode: uint(f[8]),
    timer,
    expiresMs: uint(f[10]),
    retrans: uint(f[11]),
    recvQueue: uint(f[12]),
    sendQueue: uint(f[13]),
    info:
      probes === null
        ? null
        : {
            probes,
            retransmits: uint(f[15]),
            backoff: uint(f[16]),
            rtoUs: uint(f[17]),
            unacked: uint(f[18]),
            lastDataSentMs: uint(f[19]),
            lastDataRecvMs: uint(f[20]),
            lastAckRecvMs: uint(f[21]),
          },
    owner: pid === null ? null : { pid, fd: uint(f[23]) },
    sockopts:
      keepalive === null
        ? null
        : {
            keepalive: keepalive !== 0,
            keepIdleSec: uint(f[25]),
            keepIntervalSec: uint(f[26]),
            keepCount: uint(f[27]),
            userTimeoutMs: uint(f[28]),
          },
    fill,
  };
}

/** Reverses the helper's escaping of comm: `\\` and `\xHH`. */
export function unescapeComm(text: string): string {
  return text.replace(/\\(\\|x[0-9a-f]{2})/g, (_, esc: string) =>
    esc === '\\' ? '\\' : String.fromCharCode(parseInt(esc.slice(1), 16)),
  );
}

export function parseSockdiagOutput(text: string): DiagOutput {
  const out: DiagOutput = {
    format: '',
    realtimeNs: 0n,
    monotonicNs: 0n,
    monotonicAfterNs: 0n,
    sockets: [],
    processes: new Map(),
    stats: {},
    errors: [],
    malformedLines: 0,
  };
  let sawHeader = false;
  let fill: Fill | null = null;
  for (const line of text.split('\n')) {
    if (line === '' || line === '.') continue;
    const fields = line.split('\t');
    try {
      switch (fields[0]) {
        case 'S':
          out.sockets.push(parseSocket(fields, fill));
          break;
        case 'F': {
          if (fields.length !== 3) throw new RangeError('fill line');
          const next = { startNs: nanoseconds(fields[1]), endNs: nanoseconds(fields[2]) };
          fill = next.endNs >= next.startNs ? next : null;
          if (!fill) throw new RangeError('fill ends before it starts');
          break;
        }
        case 'H':
          if (fields[1] !== SOCKDIAG_FORMAT) throw new RangeError(`unknown format ${fields[1]}`);
          out.format = fields[1];
          out.realtimeNs = nanoseconds(fields[2]);
          out.monotonicNs = nanoseconds(fields[3]);
          // Helpers before the retry-on-tick change printed no after-clock.
          out.monotonicAfterNs = fields.length > 4 ? nanoseconds(fields[4]) : out.monotonicNs;
          sawHeader = true;
          break;
        case 'P':
          if (fields.length !== 3) throw new RangeError('process line');
          out.processes.set(uint(fields[1]), unescapeComm(fields[2]!));
          break;
        case 'T':
          for (const kv of fields.slice(1)) {
            const [key, value] = kv.split('=');
            if (key) out.stats[key] = uint(value);
          }
          break;
        case 'E':
          out.errors.push(fields.slice(1).join(' '));
          break;
        default:
          throw new RangeError('unknown record');
      }
    } catch {
      out.malformedLines++;
    }
  }
  if (!sawHeader) out.errors.push('sockdiag output has no header line');
  return out;
}

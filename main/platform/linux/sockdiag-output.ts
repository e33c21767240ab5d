/**
 * Parses what idlewatch-sockdiag (./sockdiag/sockdiag.c) prints for one snapshot.
 * Pure: text in, records out. A line that does not fit is skipped and counted.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { LinuxSettings } from '../../../shared/model';

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
  /**
   * tcp_info fields, flat rather than nested: at 100k sockets every extra object per record
   * costs garbage collection. Null when the kernel sent no tcp_info (TIME_WAIT, request sockets).
   */
  probes: number | null;
  retransmits: number | null;
  backoff: number | null;
  rtoUs: number | null;
  unacked: number | null;
  lastDataSentMs: number | null;
  /** tcpi_total_rto_recoveries / tcpi_total_rto_time (Linux 6.7+): RTO recoveries so far, and ms spent in them, the current one included. */
  rtoRecoveries: number | null;
  rtoTimeMs: number | null;
  lastDataRecvMs: number | null;
  lastAckRecvMs: number | null;
  /** The owning process and its fd number; null when not visible. */
  pid: number | null;
  fd: number | null;
  /** Effective per-socket keepalive options read with getsockopt; null when not readable. */
  sockopts: DiagSockopts | null;
  /** CLOCK_MONOTONIC window in which the kernel filled this record; its timers count from a jiffy inside it. */
  fill: Fill;
}

/** Effective per-socket keepalive options, read with getsockopt. */
export interface DiagSockopts {
  keepalive: boolean;
  keepIdleSec: number;
  keepIntervalSec: number;
  keepCount: number;
  userTimeoutMs: number;
}

export interface Fill {
  startNs: bigint;
  endNs: bigint;
}

/** Everything in the helper's answer except the sockets themselves. */
export interface DiagSummary {
  format: string;
  /** CLOCK_REALTIME and CLOCK_MONOTONIC sampled just before the dump. */
  realtimeNs: bigint;
  monotonicNs: bigint;
  /** CLOCK_MONOTONIC just after it. */
  monotonicAfterNs: bigint;
  /** pid → command name (comm), unescaped. The helper prints them before the sockets. */
  processes: Map<number, string>;
  /** uid → user name (getpwuid_r, so NSS), unescaped, for the socket owners' uids; before the sockets too. */
  users: Map<number, string>;
  stats: Record<string, number>;
  errors: string[];
  malformedLines: number;
}

export interface DiagOutput extends DiagSummary {
  sockets: DiagSocket[];
}

export const SOCKDIAG_FORMAT = 'idlewatch-sockdiag/1';
const TAB = 9;
const DIGIT_0 = 48;
const DASH = 45;

class MalformedLine extends Error {}

/**
 * Reads the tab-separated fields of one line in place. At 100k sockets the output is ~11 MB;
 * splitting it into 3 million field strings cost seconds and hundreds of MB, so numbers are
 * read straight from the characters and only addresses become strings.
 */
class FieldCursor {
  constructor(
    private readonly text: string,
    private pos: number,
    private readonly end: number,
  ) {}

  /** A non-negative integer of at most 15 digits (exact in a double). */
  uint(): number {
    const { text, end } = this;
    let pos = this.pos;
    let value = 0;
    let digits = 0;
    for (; pos < end; pos++) {
      const c = text.charCodeAt(pos) - DIGIT_0;
      if (c < 0 || c > 9) break;
      value = value * 10 + c;
      digits++;
    }
    if (digits === 0 || digits > 15) throw new MalformedLine('not a count');
    this.pos = this.next(pos);
    return value;
  }

  /** `-` for unknown, else a uint. */
  optional(): number | null {
    if (this.text.charCodeAt(this.pos) === DASH) {
      this.pos = this.next(this.pos + 1);
      return null;
    }
    return this.uint();
  }

  token(): string {
    let stop = this.text.indexOf('\t', this.pos);
    if (stop < 0 || stop > this.end) stop = this.end;
    const value = this.text.slice(this.pos, stop);
    this.pos = this.next(stop);
    return value;
  }

  /** Every field was read, and no more are left. */
  finished(): boolean {
    return this.pos > this.end;
  }

  /** Past the tab that must follow a field, or past the end of the line after the last one. */
  private next(pos: number): number {
    if (pos === this.end) return this.end + 1;
    if (pos > this.end || this.text.charCodeAt(pos) !== TAB) throw new MalformedLine('bad separator');
    return pos + 1;
  }
}

function nanoseconds(field: string | undefined): bigint {
  if (field === undefined || !/^\d{1,20}$/.test(field)) throw new MalformedLine(`not a clock reading: ${field}`);
  return BigInt(field);
}

function port(n: number): number {
  if (n > 65535) throw new MalformedLine('not a port');
  return n;
}

/** What inet_ntop prints for IPv6: lower-case hex, colons, a dotted IPv4 tail; never a zone. */
const IPV6_CHARS = /^[0-9a-f:.]{2,45}$/;

/** Addresses already validated in this answer, per family: a string is valid in one family only. */
interface AddressCache {
  4: Map<string, string>;
  6: Map<string, string>;
}

/**
 * Validates an address once per snapshot and hands out one shared string for it: a busy
 * server's 100k sockets have a handful of local addresses, and retained copies add up.
 */
function address(field: string, family: 4 | 6, cache: AddressCache): string {
  const seen = cache[family];
  const known = seen.get(field);
  if (known !== undefined) return known;
  const valid = family === 4 ? isIPv4(field) : IPV6_CHARS.test(field) && isIPv6(field);
  if (!valid) throw new MalformedLine('not an address');
  seen.set(field, field);
  return field;
}

/** One `S` line, from just after its record type. Field order: see sockdiag.c. */
function parseSocket(f: FieldCursor, fill: Fill, addresses: AddressCache): DiagSocket {
  const family = f.uint();
  if (family !== 4 && family !== 6) throw new MalformedLine(`unknown family ${family}`);
  const state = f.uint();
  const localAddress = address(f.token(), family, addresses);
  const localPort = port(f.uint());
  const remoteAddress = address(f.token(), family, addresses);
  const remotePort = port(f.uint());
  const uid = f.uint();
  const inode = f.uint();
  const timer = f.uint();
  if (state < 1 || state > 12 || timer > 4) throw new MalformedLine('state or timer out of range');
  const expiresMs = f.uint();
  const retrans = f.uint();
  const recvQueue = f.uint();
  const sendQueue = f.uint();
  const probes = f.optional();
  const retransmits = f.optional();
  const backoff = f.optional();
  const rtoUs = f.optional();
  const unacked = f.optional();
  const lastDataSentMs = f.optional();
  const lastDataRecvMs = f.optional();
  const lastAckRecvMs = f.optional();
  const pid = f.optional();
  const fd = f.optional();
  const keepalive = f.optional();
  const keepIdleSec = f.optional();
  const keepIntervalSec = f.optional();
  const keepCount = f.optional();
  const userTimeoutMs = f.optional();
  // Added later (tcpi_total_rto_*, Linux 6.7+): a line without them reads as unknown.
  const rtoRecoveries = f.finished() ? null : f.optional();
  const rtoTimeMs = f.finished() ? null : f.optional();
  if (!f.finished()) throw new MalformedLine('extra fields');
  return {
    family,
    state,
    localAddress,
    localPort,
    remoteAddress,
    remotePort,
    uid,
    inode,
    timer,
    expiresMs,
    retrans,
    recvQueue,
    sendQueue,
    probes,
    retransmits,
    backoff,
    rtoUs,
    unacked,
    lastDataSentMs,
    lastDataRecvMs,
    lastAckRecvMs,
    rtoRecoveries,
    rtoTimeMs,
    pid: fd === null ? null : pid,
    fd: pid === null ? null : fd,
    sockopts:
      keepalive === null
        ? null
        : {
            keepalive: keepalive !== 0,
            keepIdleSec: keepIdleSec ?? 0,
            keepIntervalSec: keepIntervalSec ?? 0,
            keepCount: keepCount ?? 0,
            userTimeoutMs: userTimeoutMs ?? 0,
          },
    fill,
  };
}

function uintField(field: string | undefined): number {
  if (field === undefined || !/^\d{1,15}$/.test(field)) throw new MalformedLine(`not a count: ${field}`);
  return Number(field);
}

/** Reverses the helper's escaping of comm, user names and errors: `\\` and `\xHH`. */
export function unescapeComm(text: string): string {
  return text.replace(/\\(\\|x[0-9a-f]{2})/g, (_, esc: string) =>
    esc === '\\' ? '\\' : String.fromCharCode(parseInt(esc.slice(1), 16)),
  );
}

/** What the helper answered to `sysctls`: the four values, or why it could not read them. */
export type SysctlsAnswer = { ok: true; settings: LinuxSettings } | { ok: false; errors: string[] };

/** A sysctl value as the helper prints it (it parsed the kernel's text): an unsigned int. */
function sysctlValue(field: string | undefined): number | null {
  if (field === undefined || !/^\d{1,10}$/.test(field)) return null;
  const value = Number(field);
  return value <= 0xffff_ffff ? value : null;
}

/**
 * Reads the answer to `sysctls`: one `K time intvl probes retries2` record, or E lines (see the
 * header of ./sockdiag/sockdiag.c), then ".". Pure; anything else makes it a failure.
 */
export function parseSysctlsAnswer(text: string): SysctlsAnswer {
  const errors: string[] = [];
  let settings: LinuxSettings | null = null;
  let malformed = 0;
  for (const line of text.split('\n')) {
    if (line === '' || line === '.') continue;
    const fields = line.split('\t');
    if (fields[0] === 'E') {
      errors.push(unescapeComm(fields.slice(1).join(' ')));
      continue;
    }
    const [timeSec, intervalSec, probes, retries2] = fields.slice(1).map(sysctlValue);
    if (fields[0] === 'K' && fields.length === 5 && settings === null && timeSec != null && intervalSec != null && probes != null && retries2 != null) {
      settings = { os: 'linux', timeSec, intervalSec, probes, retries2 };
    } else {
      malformed++;
    }
  }
  if (malformed) errors.push(`idlewatch-sockdiag: ${malformed} malformed line(s) in its sysctls answer`);
  if (settings && errors.length === 0) return { ok: true, settings };
  return { ok: false, errors: errors.length ? errors : ['idlewatch-sockdiag: no sysctls in its answer'] };
}

/** Reads a whole answer at once. */
export function parseSockdiagOutput(text: string): DiagOutput {
  const sockets: DiagSocket[] = [];
  const reader = new SockdiagReader((socket) => sockets.push(socket));
  reader.push(text);
  return { ...reader.finish(), sockets };
}

export type SocketVisitor = (socket: DiagSocket, sofar: DiagSummary) => void;

/** The error finish() adds to an answer without its H record: a refusal (E lines only), or no answer. */
export const NO_HEADER = 'sockdiag output has no header line';

/**
 * No line the helper prints comes near this (a socket line is under 1 KiB; names are short):
 * a longer one is noise, skipped as it streams past rather than collected.
 */
export const MAX_LINE_CHARS = 64 * 1024;

/**
 * Reads the answer as it arrives, in pieces cut anywhere, and hands each socket to `onSocket`
 * as soon as its line is complete, with the summary as far as read (header and process names
 * come first). Reading while the helper still writes overlaps the two, and records become the
 * caller's objects at once, so 100k intermediate records never pile up.
 */
export class SockdiagReader {
  private readonly out: DiagSummary = {
    format: '',
    realtimeNs: 0n,
    monotonicNs: 0n,
    monotonicAfterNs: 0n,
    processes: new Map(),
    users: new Map(),
    stats: {},
    errors: [],
    malformedLines: 0,
  };
  private sawHeader = false;
  private fill: Fill | null = null;
  private readonly addresses: AddressCache = { 4: new Map(), 6: new Map() };
  /** Inodes of the sockets read so far: one socket, one row (0 is TIME_WAIT's and repeats). */
  private readonly inodes = new Set<number>();
  /** The start of a line whose end has not arrived yet, never longer than MAX_LINE_CHARS. */
  private carry = '';
  /** Inside an over-long line, already counted: the rest of it is dropped up to its newline. */
  private skipping = false;

  constructor(private readonly onSocket: SocketVisitor) {}

  /**
   * Each piece is searched once and the carry stays bounded, so the cost is linear in the
   * answer even when a line never ends (the carry used to be re-joined and re-searched on
   * every push: quadratic).
   */
  push(piece: string): void {
    let start = 0;
    if (this.carry || this.skipping) {
      const newline = piece.indexOf('\n');
      if (newline < 0) {
        this.keep(piece);
        return;
      }
      if (this.skipping) {
        this.skipping = false;
      } else {
        const line = this.carry + piece.slice(0, newline);
        this.carry = '';
        this.readLines(line, 0, line.length);
      }
      start = newline + 1;
    }
    const lastNewline = piece.lastIndexOf('\n');
    if (lastNewline >= start) {
      this.readLines(piece, start, lastNewline);
      start = lastNewline + 1;
    }
    if (start < piece.length) this.keep(start === 0 ? piece : piece.slice(start));
  }

  finish(): DiagSummary {
    if (this.carry) this.readLines(this.carry, 0, this.carry.length);
    this.carry = '';
    this.skipping = false;
    if (!this.sawHeader) this.out.errors.push(NO_HEADER);
    return this.out;
  }

  /** Holds the start of an unfinished line, or drops it (counted once) when it grows too long. */
  private keep(text: string): void {
    if (this.skipping) return;
    if (this.carry.length + text.length > MAX_LINE_CHARS) {
      this.carry = '';
      this.skipping = true;
      this.out.malformedLines++;
      return;
    }
    this.carry += text;
  }

  /** Reads the lines of text[start, stop). */
  private readLines(text: string, start: number, stop: number): void {
    const out = this.out;
    for (let pos = start; pos < stop; ) {
      let end = text.indexOf('\n', pos);
      if (end < 0 || end > stop) end = stop;
      const lineStart = pos;
      pos = end + 1;
      if (end === lineStart || (end === lineStart + 1 && text.charCodeAt(lineStart) === 46 /* . */)) continue;
      if (end - lineStart > MAX_LINE_CHARS) {
        out.malformedLines++;
        continue;
      }
      try {
        // The hot path: socket lines are read in place.
        if (text.charCodeAt(lineStart) === 83 /* S */ && text.charCodeAt(lineStart + 1) === TAB) {
          // Timers count from the jiffy of the fill that carried the record: without it they are unplaceable.
          if (!this.fill) throw new MalformedLine('socket line before its fill window');
          const socket = parseSocket(new FieldCursor(text, lineStart + 2, end), this.fill, this.addresses);
          if (socket.inode !== 0) {
            // Two rows with one inode would be two connections with one id downstream.
            if (this.inodes.has(socket.inode)) throw new MalformedLine('inode already seen');
            this.inodes.add(socket.inode);
          }
          this.onSocket(socket, out);
          continue;
        }
        const fields = text.slice(lineStart, end).split('\t');
        switch (fields[0]) {
          case 'F': {
            if (fields.length !== 3) throw new MalformedLine('fill line');
            const next = { startNs: nanoseconds(fields[1]), endNs: nanoseconds(fields[2]) };
            this.fill = next.endNs >= next.startNs ? next : null;
            if (!this.fill) throw new MalformedLine('fill ends before it starts');
            break;
          }
          case 'H':
            if (fields[1] !== SOCKDIAG_FORMAT) throw new MalformedLine(`unknown format ${fields[1]}`);
            out.format = fields[1];
            out.realtimeNs = nanoseconds(fields[2]);
            // The helper ships with this code: no older format is read.
            if (fields.length !== 5) throw new MalformedLine('header line');
            out.monotonicNs = nanoseconds(fields[3]);
            out.monotonicAfterNs = nanoseconds(fields[4]);
            this.sawHeader = true;
            break;
          case 'P':
            if (fields.length !== 3) throw new MalformedLine('process line');
            out.processes.set(uintField(fields[1]), unescapeComm(fields[2]!));
            break;
          case 'U':
            if (fields.length !== 3 || !fields[2]) throw new MalformedLine('user line');
            out.users.set(uintField(fields[1]), unescapeComm(fields[2]));
            break;
          case 'T':
            for (const kv of fields.slice(1)) {
              const [key, value] = kv.split('=');
              if (key) out.stats[key] = uintField(value);
            }
            break;
          case 'E':
            out.errors.push(unescapeComm(fields.slice(1).join(' ')));
            break;
          default:
            throw new MalformedLine('unknown record');
        }
      } catch (error) {
        if (!(error instanceof MalformedLine)) throw error;
        out.malformedLines++;
      }
    }
  }
}

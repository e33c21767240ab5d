/**
 * Every TCP socket's end as the kernel announces it: `idlewatch-sockdiag --events`
 * (./sockdiag/sockdiag.c) joins the sock_diag destroy groups and prints one line per socket the
 * kernel frees; this module reads those lines (pure: `parseEndLine`) and runs the helper (the
 * shell: `watchConnectionEnds`).
 *
 * Any user may join those groups (diag_net_init sets NL_CFG_F_NONROOT_RECV; sock_diag_bind checks
 * no capability), so the watch runs without root too; as root it runs the helper under the same
 * rules as ./sockdiag-process.ts.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { isIPv4, isIPv6 } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import type { EndWatchHandlers, EndWatchStart, SocketEnd } from '../../../shared/platform-adapter';
import { tcpStateName } from './kernel-state';
import { MAX_LINE_CHARS, unescapeComm } from './sockdiag-output';
import { assertSafeToRunAsRoot } from '../run-as-root';
import { release, sockdiagBinaryPath } from './sockdiag-process';
import { entryArgs, type NamespaceEntry } from './namespaces/entry';

export const EVENTS_FORMAT = 'idlewatch-sockdiag-events/1';

/** What every refusal adds: a recording then learns of ends only by what its polls no longer see. */
const FALLBACK = 'ends are seen as disappearances between polls';

/** The helper answers at once; only one that hangs before subscribing reaches this. */
const START_TIMEOUT_MS = 10_000;

/** Exit status of the helper when the kernel refuses the subscription (sockdiag.c EXIT_CANNOT_SUBSCRIBE). */
const EXIT_CANNOT_SUBSCRIBE = 5;
/** Exit status of the helper when the namespace it was given cannot be entered (sockdiag.c EXIT_NAMESPACE_REFUSED). */
const EXIT_NAMESPACE_REFUSED = 7;

/** The helper's arguments: `--events`, and the namespace to watch unless it is the helper's own. Throws on an invalid entry. */
export function eventsArgs(entry?: NamespaceEntry | null): string[] {
  return entry ? ['--events', ...entryArgs(entry)] : ['--events'];
}

/** What watchConnectionEnds resolves with: EndWatchStart, saying too whether the namespace itself was refused. */
export type EndWatchAttempt = EndWatchStart | { ok: false; reason: string; namespaceRefused: true };

/** A `D` line: one socket's end. */
export interface AnnouncedEnd {
  kind: 'end';
  end: SocketEnd;
}

/** One line of the helper's output, read. */
export type EndLine =
  /** The subscription is live (`H`). */
  | { kind: 'header'; realtimeNs: bigint }
  | AnnouncedEnd
  /** The helper's own report of something that went wrong (`E`), unescaped. */
  | { kind: 'error'; message: string }
  /** A line that does not fit the format; it is skipped. */
  | { kind: 'malformed'; reason: string };

class Malformed extends Error {}

const U8_MAX = 0xff;
const U32_MAX = 0xffff_ffff;

/** A kernel counter of at most `max` (its C type), or null for the helper's `-`. */
function counter(field: string | undefined, max: number, name: string): number | null {
  if (field === '-') return null;
  if (field === undefined || !/^\d{1,10}$/.test(field)) throw new Malformed(`${name} is not a count: ${field}`);
  const value = Number(field);
  if (value > max) throw new Malformed(`${name} ${value} is out of range`);
  return value;
}

function required(field: string | undefined, max: number, name: string): number {
  const value = counter(field, max, name);
  if (value === null) throw new Malformed(`${name} is unknown`);
  return value;
}

function realtime(field: string | undefined): bigint {
  if (field === undefined || !/^\d{1,20}$/.test(field)) throw new Malformed(`not a clock reading: ${field}`);
  const ns = BigInt(field);
  if (ns === 0n || ns > 0xffff_ffff_ffff_ffffn) throw new Malformed(`clock reading out of range: ${field}`);
  return ns;
}

/** What inet_ntop prints for IPv6 (as ./sockdiag-output.ts reads it): never a zone, never upper case. */
const IPV6_CHARS = /^[0-9a-f:.]{2,45}$/;

function address(field: string | undefined, family: 4 | 6, name: string): string {
  const valid = field !== undefined && (family === 4 ? isIPv4(field) : IPV6_CHARS.test(field) && isIPv6(field));
  if (!valid) throw new Malformed(`${name} is not an IPv${family} address`);
  return field;
}

/** An age in ms from tcp_info, or null where the kernel's tcp_info did not reach it. */
const ageMs = (field: string | undefined, name: string) => counter(field, U32_MAX, name);

/**
 * Reads one `D` line's fields (after the record type). Field order: see the header of
 * ./sockdiag/sockdiag.c. tcp_info is always sent with a TCP socket's announcement
 * (inet_diag_handler_get_info); should a count still be unknown, it reads as 0.
 */
function parseEnd(f: string[]): AnnouncedEnd {
  if (f.length !== 17) throw new Malformed(`${f.length} fields, expected 17`);
  const realtimeNs = realtime(f[0]);
  const family = f[1] === '4' ? 4 : f[1] === '6' ? 6 : null;
  if (family === null) throw new Malformed(`unknown family ${f[1]}`);
  const state = required(f[2], U8_MAX, 'state');
  let finalState;
  try {
    finalState = tcpStateName(state);
  } catch {
    throw new Malformed(`unknown TCP state ${state}`);
  }
  const rtoUs = counter(f[11], U32_MAX, 'rto_us');
  return {
    kind: 'end',
    end: {
      // µs first: ns since 1970 do not fit a double exactly, µs do.
      at: Number(realtimeNs / 1000n) / 1000,
      family: family === 4 ? 'ipv4' : 'ipv6',
      finalState,
      localAddress: address(f[3], family, 'local address'),
      localPort: required(f[4], 0xffff, 'local port'),
      remoteAddress: address(f[5], family, 'remote address'),
      remotePort: required(f[6], 0xffff, 'remote port'),
      probesSent: counter(f[7], U8_MAX, 'probes') ?? 0,
      retransmits: counter(f[8], U8_MAX, 'retransmits') ?? 0,
      backoff: counter(f[9], U8_MAX, 'backoff') ?? 0,
      unacked: counter(f[10], U32_MAX, 'unacked') ?? 0,
      rtoMs: rtoUs === null ? null : rtoUs / 1000,
      lastDataSentMs: ageMs(f[12], 'last_data_sent_ms'),
      lastDataRecvMs: ageMs(f[13], 'last_data_recv_ms'),
      lastAckRecvMs: ageMs(f[14], 'last_ack_recv_ms'),
      // idiag_rqueue (rcv_nxt − copied_seq) and idiag_wqueue (write_seq − snd_una) at the free.
      unreadBytes: required(f[15], U32_MAX, 'rqueue'),
      unacknowledgedBytes: required(f[16], U32_MAX, 'wqueue'),
    },
  };
}

/** Reads one line of `idlewatch-sockdiag --events` (without its newline). Pure; never throws. */
export function parseEndLine(line: string): EndLine {
  if (line.length > MAX_LINE_CHARS) return { kind: 'malformed', reason: `a line of ${line.length} characters` };
  const fields = line.split('\t');
  try {
    switch (fields[0]) {
      case 'D':
        return parseEnd(fields.slice(1));
      case 'H':
        if (fields[1] !== EVENTS_FORMAT) throw new Malformed(`unknown format ${fields[1]}`);
        if (fields.length !== 3) throw new Malformed('header line');
        return { kind: 'header', realtimeNs: realtime(fields[2]) };
      case 'E':
        return { kind: 'error', message: unescapeComm(fields.slice(1).join(' ')) };
      default:
        throw new Malformed('unknown record');
    }
  } catch (error) {
    if (!(error instanceof Malformed)) throw error;
    // The reason names the field, never echoes the line: it may carry anything.
    return { kind: 'malformed', reason: error.message };
  }
}

export interface EndWatchOptions {
  /** The helper to run; tests pass a stand-in. Default: the build's, at its fixed place. */
  binary?: string;
  /** How long the helper may take to subscribe. */
  startTimeoutMs?: number;
  /**
   * Malformed lines (skipped) and the helper's E lines once running (ENOBUFS: some ends were
   * lost). Default: console.warn.
   */
  diagnostic?: (message: string) => void;
  /**
   * The namespace to watch, entered by the helper before it subscribes (announcements go to the
   * namespace the subscribing socket was opened in). Default: the helper's own, Idlewatch's.
   */
  entry?: NamespaceEntry | null;
}

/**
 * Starts the helper and resolves once its subscription is live (`H`), with a watch whose stop()
 * kills it and lets go of its pipes; or with why not, when it cannot run or the kernel refuses
 * (then no process is left behind). Ends go to `handlers.end` as they are read; a helper that
 * dies later is reported once through `handlers.failed`.
 */
export function watchConnectionEnds(handlers: EndWatchHandlers, options: EndWatchOptions = {}): Promise<EndWatchAttempt> {
  const diagnostic = options.diagnostic ?? ((message: string) => console.warn(`idlewatch: ${message}`));
  let binary: string;
  let args: string[];
  try {
    args = eventsArgs(options.entry);
    binary = options.binary ?? sockdiagBinaryPath();
    // The same rule as SockdiagProcess: as root, only a helper no one else could have replaced.
    if (process.geteuid?.() === 0 || process.getuid?.() === 0) assertSafeToRunAsRoot(binary);
  } catch (error) {
    return Promise.resolve({ ok: false, reason: `${(error as Error).message}; ${FALLBACK}` });
  }

  return new Promise((resolve) => {
    const child: ChildProcessWithoutNullStreams = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let phase: 'starting' | 'running' | 'over' = 'starting';
    /** E lines before the header: why the subscription failed. */
    const startErrors: string[] = [];
    let lastError = '';
    let stderr = '';
    const decoder = new StringDecoder('utf8');
    let carry = '';
    let skipping = false;

    const finish = () => {
      phase = 'over';
      clearTimeout(timer);
      child.kill('SIGTERM');
      release(child);
    };
    const refuse = (why: string, namespaceRefused = false) => {
      if (phase !== 'starting') return;
      finish();
      const reason = `${why}; ${FALLBACK}`;
      resolve(namespaceRefused ? { ok: false, reason, namespaceRefused } : { ok: false, reason });
    };
    const startTimeoutMs = options.startTimeoutMs ?? START_TIMEOUT_MS;
    const timer = setTimeout(() => refuse(`idlewatch-sockdiag --events did not subscribe within ${startTimeoutMs / 1000} s`), startTimeoutMs);

    const onLine = (line: string) => {
      if (phase === 'over' || line === '') return;
      const read = parseEndLine(line);
      switch (read.kind) {
        case 'header':
          if (phase !== 'starting') return diagnostic('idlewatch-sockdiag --events: a second header line, skipped');
          phase = 'running';
          clearTimeout(timer);
          return resolve({ ok: true, watch: { stop: () => phase !== 'over' && finish() } });
        case 'end':
          if (phase !== 'running') return diagnostic('idlewatch-sockdiag --events: an end before the subscription was live, skipped');
          try {
            handlers.end(read.end);
          } catch (error) {
            diagnostic(`a handler of socket ends failed: ${(error as Error).message}`);
          }
          return;
        case 'error':
          lastError = read.message;
          if (phase === 'starting') startErrors.push(read.message);
          else diagnostic(`idlewatch-sockdiag --events: ${read.message}`);
          return;
        case 'malformed':
          return diagnostic(`idlewatch-sockdiag --events: skipped a malformed line (${read.reason})`);
      }
    };

    /** Cuts the stream into lines; a line longer than any the helper prints is dropped as it streams past. */
    const onText = (text: string) => {
      let start = 0;
      for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
        const piece = text.slice(start, newline);
        start = newline + 1;
        if (skipping) {
          skipping = false;
          continue;
        }
        const line = carry + piece;
        carry = '';
        onLine(line);
      }
      if (skipping || start === text.length) return;
      carry += text.slice(start);
      if (carry.length > MAX_LINE_CHARS) {
        carry = '';
        skipping = true;
        diagnostic('idlewatch-sockdiag --events: skipped a line too long to be one of its records');
      }
    };

    child.stdout.on('data', (chunk: Buffer) => onText(decoder.write(chunk)));
    // Kept for messages only: a helper that floods stderr cannot grow this process.
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => (stderr = (stderr + text).slice(-4096)));
    child.stdin.on('error', () => undefined);
    child.stdout.on('error', () => undefined);
    child.stderr.on('error', () => undefined);
    child.on('error', (error) => refuse(`idlewatch-sockdiag could not run: ${error.message}`));
    // Its last lines (the E line saying why it stopped) may still be in the pipe at 'exit':
    // decide at 'close', once stdout has been read to its end, or shortly after 'exit' should
    // something else hold the pipe open.
    let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    const ended = () => {
      const { code, signal } = exited ?? { code: child.exitCode, signal: child.signalCode };
      const detail = [lastError, stderr.trim()].filter(Boolean).join('; ');
      const how = `idlewatch-sockdiag --events exited (${signal ?? code})${detail ? `: ${detail}` : ''}`;
      const said = (code === EXIT_CANNOT_SUBSCRIBE || code === EXIT_NAMESPACE_REFUSED) && startErrors.length;
      if (phase === 'starting') return refuse(said ? startErrors.join('; ') : how, code === EXIT_NAMESPACE_REFUSED);
      if (phase !== 'running') return;
      finish();
      try {
        handlers.failed(`${how}; ${FALLBACK}`);
      } catch (error) {
        diagnostic(`a handler of socket ends failed: ${(error as Error).message}`);
      }
    };
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      setTimeout(ended, 200).unref();
    });
    child.on('close', ended);
  });
}

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { basename, dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LinuxSettings } from '../../../shared/model';
import { assertSafeToRunAsRoot } from '../run-as-root';
import { entryArgs, type NamespaceEntry } from './namespaces/entry';
import { parseSysctlsAnswer } from './sockdiag-output';

const END_OF_ANSWER = Buffer.from('\n.\n');
/** An answer ends at its first line ".": read as if a newline came before it, an answer of "." alone ends too. */
const ANSWER_START = Buffer.from('\n');
/** Far above a 100k-socket snapshot (~0.5 s): only a helper that hangs reaches it. */
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * Where the compiled helper lives, for code in `moduleDir`: run from the sources (the CLI
 * through tsx, the tests), this file is main/platform/linux/ of a checkout and the helper is
 * that checkout's out/bin/; bundled into out/main/ or out/cli/ (or a chunk folder below), the
 * helper is the build's out/bin/. In a package the desktop app's code sits in app.asar, which
 * Electron can read but never execute from: the helpers are unpacked to app.asar.unpacked/ beside
 * it (electron-builder.config.mjs, asarUnpack), so that is where they are run. One fixed place, never looked for elsewhere (a path that climbs out of
 * the build could reach a directory another user can write), and never taken from an
 * environment variable: the helper runs as root (DESIGN.md, Security model).
 */
export function sockdiagBinaryBeside(moduleDir: string): string {
  if (moduleDir.endsWith(join('main', 'platform', 'linux'))) return join(moduleDir, '../../../out/bin/idlewatch-sockdiag');
  for (let dir = moduleDir, up = 0; up < 3 && dirname(dir) !== dir; up++, dir = dirname(dir)) {
    if (basename(dir) === 'out') return outsideAsar(join(dir, 'bin/idlewatch-sockdiag'));
  }
  return outsideAsar(join(moduleDir, '../bin/idlewatch-sockdiag'));
}

/** A path inside a packed `app.asar`, moved to the `app.asar.unpacked` folder beside it. */
function outsideAsar(path: string): string {
  return path.split(sep).map((part) => (part === 'app.asar' ? 'app.asar.unpacked' : part)).join(sep);
}

/** The helper for this code; tests that need another one pass it to the SockdiagProcess constructor. */
export function sockdiagBinaryPath(): string {
  const binary = sockdiagBinaryBeside(dirname(fileURLToPath(import.meta.url)));
  if (!existsSync(binary)) {
    throw new Error(
      `idlewatch-sockdiag is not built (${binary}): run \`npm run build:native\` (it needs a C compiler, e.g. \`apt-get install gcc\`).`,
    );
  }
  return binary;
}

/** The longest tick the helper accepts (sockdiag.c TICK_NS_MAX): HZ is at least 100, a 10 ms tick. */
const TICK_NS_MAX = 1e9;

/**
 * The helper's snapshot command (its grammar is in the header of ./sockdiag/sockdiag.c):
 * `snapshot [TICK_NS [pid PID INODE | name NAME INODE]]`. Throws on a tick out of range or an
 * invalid entry, so nothing malformed reaches the helper.
 */
export function snapshotCommand(tickNs?: number, entry?: NamespaceEntry | null): string {
  const tick = tickNs === undefined || tickNs === 0 ? 0 : Math.round(tickNs);
  if (!Number.isSafeInteger(tick) || tick < 0 || tick > TICK_NS_MAX) throw new Error(`idlewatch-sockdiag: a tick of ${tickNs} ns is out of range`);
  if (entry) return `snapshot ${tick} ${entryArgs(entry).join(' ')}\n`;
  return tick ? `snapshot ${tick}\n` : 'snapshot\n';
}

/** The helper's command for a namespace's keepalive sysctls: `sysctls [pid PID INODE | name NAME INODE]`. */
export function sysctlsCommand(entry?: NamespaceEntry | null): string {
  return entry ? `sysctls ${entryArgs(entry).join(' ')}\n` : 'sysctls\n';
}

/**
 * The helper refused to read a namespace (its E lines say why): the entry no longer leads to
 * it (the pid exited or was reused, the name was deleted or rebound), or it could not enter.
 * The caller may discover the namespace afresh and ask again.
 */
export class NamespaceRefused extends Error {
  constructor(readonly reasons: string[]) {
    super(reasons.join('; ') || 'idlewatch-sockdiag refused the namespace');
    this.name = 'NamespaceRefused';
  }
}

export interface SockdiagOptions {
  /** How long one request may take before the helper counts as hung. */
  timeoutMs?: number;
}

/**
 * Commands written before the answer being read has ended: the helper reads the next one as soon
 * as it has written its answer into the pipe, so its next dump (another namespace's, in the
 * all-namespaces view) runs while this process still reads the last answer.
 */
const PIPELINE_DEPTH = 2;

interface Request {
  command: string;
  onText: (piece: string) => void;
  resolve: () => void;
  reject: (error: Error) => void;
  decoder: StringDecoder;
  /** What onText threw: the rest of the answer is read past, then the request fails with it. */
  failed: Error | null;
}

/**
 * The long-lived idlewatch-sockdiag child. Answers come one at a time, in order: each request
 * writes a command and hands over the text the helper answers, up to its closing "." line; one
 * more command may be written ahead (PIPELINE_DEPTH). Keeping the process lets it cache which
 * process owns which socket between polls, and a socket in each namespace it was asked about.
 */
export class SockdiagProcess {
  private child: ChildProcessWithoutNullStreams | null = null;
  private readonly timeoutMs: number;
  /** Written to the current helper, in order; the first is the one being answered. */
  private inflight: Request[] = [];
  /** Not written yet. */
  private backlog: Request[] = [];
  /** The last bytes read of the answer under way, to find its end when a chunk splits it. */
  private carry: Buffer = ANSWER_START;
  private stderr = '';
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly binary = sockdiagBinaryPath(),
    options: SockdiagOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  /**
   * One snapshot, handed to `onText` piece by piece as the helper writes it. With the kernel's
   * tick length the helper redoes a small dump that straddled a tick. With an entry, the
   * snapshot is of that namespace (one helper holds a socket in each it was asked about); a
   * refusal comes as an answer of E lines only (SockdiagReader: no format).
   */
  stream(onText: (piece: string) => void, tickNs?: number, entry?: NamespaceEntry | null): Promise<void> {
    let command: string;
    try {
      command = snapshotCommand(tickNs, entry);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.enqueue(command, onText);
  }

  /**
   * The keepalive sysctls of the namespace an entry leads to (of the helper's own without one),
   * read inside it. Rejects with NamespaceRefused when the helper cannot read them.
   */
  async sysctls(entry?: NamespaceEntry | null): Promise<LinuxSettings> {
    const command = sysctlsCommand(entry);
    let text = '';
    // A K line is ~40 bytes: an answer far longer is no answer, and is not kept.
    await this.enqueue(command, (piece) => {
      if (text.length < 65_536) text += piece;
    });
    const answer = parseSysctlsAnswer(text);
    if (!answer.ok) throw new NamespaceRefused(answer.errors);
    return answer.settings;
  }

  /** Asks the helper to quit and lets go of it: nothing of it keeps this process alive. Requests not answered fail. */
  close(): void {
    const child = this.child;
    const unanswered = [...this.inflight, ...this.backlog];
    this.forget();
    this.backlog = [];
    for (const request of unanswered) request.reject(new Error('idlewatch-sockdiag was closed'));
    if (!child) return;
    if (child.exitCode === null && child.signalCode === null) child.stdin.end('quit\n');
    release(child);
  }

  private enqueue(command: string, onText: (piece: string) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.backlog.push({ command, onText, resolve, reject, decoder: new StringDecoder('utf8'), failed: null });
      this.pump();
    });
  }

  /** Writes commands while fewer than PIPELINE_DEPTH await their answers. */
  private pump(): void {
    while (this.inflight.length < PIPELINE_DEPTH && this.backlog.length) {
      let child: ChildProcessWithoutNullStreams;
      try {
        child = this.start();
      } catch (error) {
        this.backlog.shift()!.reject(error as Error);
        continue;
      }
      const request = this.backlog.shift()!;
      this.inflight.push(request);
      if (this.inflight.length === 1) this.armTimer(child);
      child.stdin.write(request.command);
    }
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    if (process.getuid?.() === 0) assertSafeToRunAsRoot(this.binary);
    const child = spawn(this.binary, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stderr.setEncoding('utf8');
    child.stdin.on('error', () => undefined);
    child.stdout.on('error', () => undefined);
    child.stderr.on('error', () => undefined);
    child.stdout.on('data', (chunk: Buffer) => {
      if (this.child === child) this.onData(chunk);
    });
    // Kept for the error message only: a helper that floods stderr cannot grow this process.
    child.stderr.on('data', (text: string) => {
      if (this.child === child) this.stderr = (this.stderr + text).slice(-4096);
    });
    // A helper that died (killed, crashed) fails the request it was answering; the next one starts a new helper.
    child.once('exit', (code, signal) => {
      const stderr = this.stderr.trim();
      this.lost(child, new Error(`idlewatch-sockdiag exited (${signal ?? code})${stderr ? `: ${stderr}` : ''}`));
    });
    child.on('error', (error) => this.lost(child, new Error(`idlewatch-sockdiag could not run: ${error.message}`)));
    this.child = child;
    this.stderr = '';
    this.carry = ANSWER_START;
    return child;
  }

  /** A helper that stops answering (stuck in the kernel, stopped by a debugger) must not stop polling for good. */
  private armTimer(child: ChildProcessWithoutNullStreams): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      child.kill('SIGKILL');
      this.lost(child, new Error(`idlewatch-sockdiag did not answer within ${this.timeoutMs / 1000} s`));
    }, this.timeoutMs);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Lets go of the current helper and of what was written to it. */
  private forget(): ChildProcessWithoutNullStreams | null {
    const child = this.child;
    this.clearTimer();
    this.child = null;
    this.inflight = [];
    this.carry = ANSWER_START;
    return child;
  }

  /**
   * The helper is gone or given up on: the request it was answering fails, and the commands
   * written after it, which it never answered, go to a new helper.
   */
  private lost(child: ChildProcessWithoutNullStreams, error: Error): void {
    if (this.child !== child) return;
    const [answering, ...unanswered] = this.inflight;
    this.forget();
    // Something it started may still hold the pipes open: let go of them too.
    release(child);
    this.backlog.unshift(...unanswered);
    answering?.reject(error);
    this.pump();
  }

  /** Hands each piece of the stream to the request it answers; a chunk may end one answer and begin the next. */
  private onData(chunk: Buffer): void {
    let rest = chunk;
    while (rest.length) {
      const request = this.inflight[0];
      if (!request) return; // nothing was asked: not an answer to anything
      const end = answerEnd(this.carry, rest);
      const piece = end < 0 ? rest : rest.subarray(0, end);
      deliver(request, request.decoder.write(piece));
      if (end < 0) {
        this.carry = lastBytes(this.carry, rest);
        return;
      }
      deliver(request, request.decoder.end());
      rest = rest.subarray(end);
      this.carry = ANSWER_START;
      this.inflight.shift();
      this.clearTimer();
      if (this.inflight.length) this.armTimer(this.child!);
      if (request.failed) request.reject(request.failed);
      else request.resolve();
      this.pump();
    }
  }
}

function deliver(request: Request, text: string): void {
  if (request.failed || text === '') return;
  try {
    request.onText(text);
  } catch (error) {
    request.failed = error instanceof Error ? error : new Error(String(error));
  }
}

/** Where in `chunk` the answer under way ends (just past its "\n.\n"), given the bytes before it; -1 if not in it. */
function answerEnd(carry: Buffer, chunk: Buffer): number {
  const seam = Buffer.concat([carry, chunk.subarray(0, END_OF_ANSWER.length - 1)]);
  const atSeam = seam.indexOf(END_OF_ANSWER);
  if (atSeam >= 0) return atSeam + END_OF_ANSWER.length - carry.length;
  const at = chunk.indexOf(END_OF_ANSWER);
  return at < 0 ? -1 : at + END_OF_ANSWER.length;
}

/** The last two bytes of what was read, enough to find a "\n.\n" the next chunk completes. */
function lastBytes(carry: Buffer, chunk: Buffer): Buffer {
  const keep = END_OF_ANSWER.length - 1;
  return chunk.length >= keep ? Buffer.from(chunk.subarray(chunk.length - keep)) : Buffer.concat([carry, chunk]).subarray(-keep);
}

/**
 * Closes our ends of the helper's pipes and stops waiting for it. A descendant of the helper
 * that inherited its stdout would otherwise keep the pipe, and with it this process, alive.
 * (./connection-ends.ts lets go of its `--events` helper the same way.)
 */
export function release(child: ChildProcessWithoutNullStreams): void {
  child.stdout.destroy();
  child.stderr.destroy();
  // An ended stdin (close() sent quit) closes itself once the command is written; destroying it now would drop it.
  if (!child.stdin.writableEnded) child.stdin.destroy();
  child.unref();
}

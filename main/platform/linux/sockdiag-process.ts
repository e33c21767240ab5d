import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertSafeToRunAsRoot } from '../run-as-root';

const END_OF_ANSWER = Buffer.from('\n.\n');
/** Far above a 100k-socket snapshot (~0.5 s): only a helper that hangs reaches it. */
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * Where the compiled helper lives, for code in `moduleDir`: run from the sources (the CLI
 * through tsx, the tests), this file is main/platform/linux/ of a checkout and the helper is
 * that checkout's out/bin/; bundled into out/main/ (or a chunk folder below it), the helper is
 * the build's out/bin/. One fixed place, never looked for elsewhere (a path that climbs out of
 * the build could reach a directory another user can write), and never taken from an
 * environment variable: the helper runs as root (DESIGN.md, Security model).
 */
export function sockdiagBinaryBeside(moduleDir: string): string {
  if (moduleDir.endsWith(join('main', 'platform', 'linux'))) return join(moduleDir, '../../../out/bin/idlewatch-sockdiag');
  for (let dir = moduleDir, up = 0; up < 3 && dirname(dir) !== dir; up++, dir = dirname(dir)) {
    if (basename(dir) === 'out') return join(dir, 'bin/idlewatch-sockdiag');
  }
  return join(moduleDir, '../bin/idlewatch-sockdiag');
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

export interface SockdiagOptions {
  /** How long one request may take before the helper counts as hung. */
  timeoutMs?: number;
}

/**
 * The long-lived idlewatch-sockdiag child. One request at a time: each `stream()` writes a
 * command and hands over the text the helper answers, up to its closing "." line. Keeping the
 * process lets it cache which process owns which socket between polls.
 */
export class SockdiagProcess {
  private child: ChildProcessWithoutNullStreams | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timeoutMs: number;
  /** Ends the request in flight, if any, with an error. */
  private abortRequest: ((error: Error) => void) | null = null;

  constructor(
    private readonly binary = sockdiagBinaryPath(),
    options: SockdiagOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  /**
   * One snapshot, handed to `onText` piece by piece as the helper writes it. With the kernel's
   * tick length the helper redoes a small dump that straddled a tick.
   */
  stream(onText: (piece: string) => void, tickNs?: number): Promise<void> {
    const command = tickNs ? `snapshot ${Math.round(tickNs)}\n` : 'snapshot\n';
    const run = this.queue.then(() => this.request(command, onText));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Asks the helper to quit and lets go of it: nothing of it keeps this process alive. */
  close(): void {
    const child = this.child;
    this.abortRequest?.(new Error('idlewatch-sockdiag was closed'));
    this.child = null;
    if (!child) return;
    if (child.exitCode === null && child.signalCode === null) child.stdin.end('quit\n');
    release(child);
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    if (process.getuid?.() === 0) assertSafeToRunAsRoot(this.binary);
    const child = spawn(this.binary, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stderr.setEncoding('utf8');
    child.on('error', () => undefined); // surfaced through the pending request
    child.stdin.on('error', () => undefined);
    child.stdout.on('error', () => undefined);
    child.stderr.on('error', () => undefined);
    // Forget a helper that died between requests (killed, crashed): the next request starts a new one.
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    this.child = child;
    return child;
  }

  private request(command: string, onText: (piece: string) => void): Promise<void> {
    let child: ChildProcessWithoutNullStreams;
    try {
      child = this.start();
    } catch (error) {
      return Promise.reject(error);
    }
    const decoder = new StringDecoder('utf8');
    return new Promise((resolve, reject) => {
      const tail: Buffer[] = [];
      // A helper that stops answering (stuck in the kernel, stopped by a debugger) must not stop polling for good.
      const timer = setTimeout(() => {
        fail(new Error(`idlewatch-sockdiag did not answer within ${this.timeoutMs / 1000} s`));
        child.kill('SIGKILL');
        // Something it started may still hold the pipes open: let go of them too.
        release(child);
      }, this.timeoutMs);
      let stderr = '';
      const cleanup = () => {
        clearTimeout(timer);
        this.abortRequest = null;
        child.stdout.off('data', onData);
        child.stderr.off('data', onStderr);
        child.off('exit', onExit);
        child.off('error', onError);
      };
      const fail = (error: Error) => {
        cleanup();
        if (this.child === child) this.child = null;
        reject(error);
      };
      const onData = (chunk: Buffer) => {
        onText(decoder.write(chunk));
        tail.push(chunk);
        if (tail.length > 3) tail.shift();
        if (endsWithTerminator(tail)) {
          onText(decoder.end());
          cleanup();
          resolve();
        }
      };
      // Kept for the error message only: a helper that floods stderr cannot grow this process.
      const onStderr = (text: string) => (stderr = (stderr + text).slice(-4096));
      const onExit = (code: number | null, signal: string | null) =>
        fail(new Error(`idlewatch-sockdiag exited (${signal ?? code})${stderr ? `: ${stderr.trim()}` : ''}`));
      const onError = (error: Error) => fail(new Error(`idlewatch-sockdiag could not run: ${error.message}`));
      this.abortRequest = fail;
      child.stdout.on('data', onData);
      child.stderr.on('data', onStderr);
      child.once('exit', onExit);
      child.once('error', onError);
      child.stdin.write(command);
    });
  }
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

function endsWithTerminator(chunks: Buffer[]): boolean {
  const last = chunks[chunks.length - 1]!;
  if (last.length >= END_OF_ANSWER.length) return last.subarray(last.length - END_OF_ANSWER.length).equals(END_OF_ANSWER);
  const tail = Buffer.concat(chunks.slice(-3));
  return tail.length >= END_OF_ANSWER.length && tail.subarray(tail.length - END_OF_ANSWER.length).equals(END_OF_ANSWER);
}

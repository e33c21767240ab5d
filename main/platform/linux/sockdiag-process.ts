import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const END_OF_ANSWER = Buffer.from('\n.\n');
/** Far above a 100k-socket snapshot (~0.5 s): only a helper that hangs reaches it. */
const REQUEST_TIMEOUT_MS = 60_000;

/** Where the compiled helper lives: beside the sources in a checkout, beside out/main in a build. */
export function sockdiagBinaryPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    process.env.IDLEWATCH_SOCKDIAG,
    join(here, '../../../out/bin/idlewatch-sockdiag'),
    join(here, '../bin/idlewatch-sockdiag'),
  ].filter((p): p is string => Boolean(p));
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      'idlewatch-sockdiag is not built: run `npm run build:native` (it needs a C compiler, e.g. `apt-get install gcc`).',
    );
  }
  return found;
}

/**
 * The long-lived idlewatch-sockdiag child. One request at a time: each `stream()` writes a
 * command and hands over the text the helper answers, up to its closing "." line. Keeping the
 * process lets it cache which process owns which socket between polls.
 */
export class SockdiagProcess {
  private child: ChildProcessWithoutNullStreams | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly binary = sockdiagBinaryPath()) {}

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

  close(): void {
    if (this.child && this.child.exitCode === null) this.child.stdin.end('quit\n');
    this.child = null;
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawn(this.binary, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stderr.setEncoding('utf8');
    child.on('error', () => undefined); // surfaced through the pending request
    child.stdin.on('error', () => undefined);
    // Forget a helper that died between requests (killed, crashed): the next request starts a new one.
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    this.child = child;
    return child;
  }

  private request(command: string, onText: (piece: string) => void): Promise<void> {
    const child = this.start();
    const decoder = new StringDecoder('utf8');
    return new Promise((resolve, reject) => {
      const tail: Buffer[] = [];
      // A helper that stops answering (stuck in the kernel, stopped by a debugger) must not stop polling for good.
      const timer = setTimeout(() => {
        cleanup();
        this.child = null;
        child.kill('SIGKILL');
        reject(new Error(`idlewatch-sockdiag did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`));
      }, REQUEST_TIMEOUT_MS);
      let stderr = '';
      const cleanup = () => {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.stderr.off('data', onStderr);
        child.off('exit', onExit);
        child.off('error', onError);
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
      const onStderr = (text: string) => (stderr += text);
      const onExit = (code: number | null, signal: string | null) => {
        cleanup();
        this.child = null;
        reject(new Error(`idlewatch-sockdiag exited (${signal ?? code})${stderr ? `: ${stderr.trim()}` : ''}`));
      };
      const onError = (error: Error) => {
        cleanup();
        this.child = null;
        reject(new Error(`idlewatch-sockdiag could not run: ${error.message}`));
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onStderr);
      child.once('exit', onExit);
      child.once('error', onError);
      child.stdin.write(command);
    });
  }
}

function endsWithTerminator(chunks: Buffer[]): boolean {
  const last = chunks[chunks.length - 1]!;
  if (last.length >= END_OF_ANSWER.length) return last.subarray(last.length - END_OF_ANSWER.length).equals(END_OF_ANSWER);
  const tail = Buffer.concat(chunks.slice(-3));
  return tail.length >= END_OF_ANSWER.length && tail.subarray(tail.length - END_OF_ANSWER.length).equals(END_OF_ANSWER);
}

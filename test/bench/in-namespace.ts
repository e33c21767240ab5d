// How a bench script runs its measuring half in a throwaway network namespace: it starts itself
// again under `unshare -n` with --inside, and the inner run hands its figures back as JSON on
// file descriptor 3 (stdout and stderr stay the inner run's log).
import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
import { killRunning } from './measure';

const RESULT_FD = 3;

/** Runs `file` (TypeScript, through tsx) with `args` in a new network namespace; resolves with its result. */
export function rerunInNamespace<T>(file: string, args: string[], what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['-n', '--', process.execPath, '--import', 'tsx', file, '--inside', ...args], {
      stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    });
    // Ctrl-C reaches the whole process group; a plain `kill` of this process should not
    // leave the namespace running either.
    const forward = () => child.kill('SIGTERM');
    process.once('SIGTERM', forward);
    let result = '';
    const channel = child.stdio[RESULT_FD] as NodeJS.ReadableStream;
    channel.setEncoding('utf8');
    channel.on('data', (text: string) => (result += text));
    child.once('error', (error) => reject(new Error(`could not start unshare: ${error.message}`)));
    child.once('close', (code, signal) => {
      process.off('SIGTERM', forward);
      if (code === 0 && result) resolve(JSON.parse(result) as T);
      else reject(new Error(`the ${what} run failed (${signal ?? `exit code ${code}`})`));
    });
  });
}

/** The inner run's answer to rerunInNamespace. */
export function sendResult(result: unknown): void {
  writeSync(RESULT_FD, JSON.stringify(result));
}

/** On Ctrl-C or kill, ends what the inner run started before exiting (its holders die with it anyway, later). */
export function stopOnSignal(holders: { stop(): void }): void {
  const onSignal = () => {
    killRunning();
    holders.stop();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

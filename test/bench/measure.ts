// Runs commands and measures them: wall time end to end, peak RSS through /usr/bin/time,
// and JSON answers from the probe scripts.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const GNU_TIME = '/usr/bin/time';

export const hasGnuTime = existsSync(GNU_TIME);

/** Children still running, so an interrupted benchmark can kill them instead of orphaning them. */
const running = new Set<ChildProcess>();

export function killRunning(): void {
  for (const child of running) child.kill('SIGKILL');
}

function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  child.once('error', () => running.delete(child));
}

export interface Command {
  file: string;
  args: string[];
  cwd?: string;
}

/**
 * Runs `command` with stdout going to `stdoutFd` (default /dev/null, opened as a file so the
 * writer pays no pipe or consumer cost) and resolves with the wall time from spawn to exit.
 */
export async function timeCommand(command: Command, stdoutFd?: number): Promise<number> {
  const devNull = stdoutFd === undefined ? openSync('/dev/null', 'w') : null;
  try {
    const t0 = performance.now();
    await run(command, devNull ?? stdoutFd!);
    return performance.now() - t0;
  } finally {
    if (devNull !== null) closeSync(devNull);
  }
}

/** Runs `command` `runs` times and returns every wall time. */
export async function timeRuns(command: Command, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timeCommand(command));
  return times;
}

export interface CapturedRun {
  /** Everything the command wrote to stdout (kept in a temporary file, not a pipe). */
  stdout: string;
  /**
   * Max RSS from /usr/bin/time -f %M, in KiB; null without GNU time. It is the largest of the
   * process and its waited-for children, not their sum.
   */
  peakKiB: number | null;
}

/** One extra, untimed run that keeps the output (to count rows) and measures peak RSS. */
export async function captureRun(command: Command): Promise<CapturedRun> {
  const dir = mkdtempSync(join(tmpdir(), 'idlewatch-bench-'));
  try {
    const outPath = join(dir, 'stdout');
    const timePath = join(dir, 'time');
    const wrapped: Command = hasGnuTime
      ? { file: GNU_TIME, args: ['-f', '%M', '-o', timePath, command.file, ...command.args], cwd: command.cwd }
      : command;
    const out = openSync(outPath, 'w');
    try {
      await run(wrapped, out);
    } finally {
      closeSync(out);
    }
    const peak = hasGnuTime ? Number(readFileSync(timePath, 'utf8').trim().split('\n').pop()) : NaN;
    return { stdout: readFileSync(outPath, 'utf8'), peakKiB: Number.isFinite(peak) ? peak : null };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a probe script and parses the JSON line it prints last. */
export async function runJson<T>(command: Command): Promise<T> {
  const { stdout } = await captureOutput(command);
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`${command.args.join(' ')} printed no JSON result: ${stdout.slice(0, 500)}`);
  }
}

function captureOutput(command: Command): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command.file, command.args, { cwd: command.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve({ stdout });
      else reject(new Error(`${describe(command)} failed (${signal ?? code}): ${stderr.trim()}`));
    });
  });
}

function run(command: Command, stdoutFd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command.file, command.args, { cwd: command.cwd, stdio: ['ignore', stdoutFd, 'pipe'] });
    track(child);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${describe(command)} failed (${signal ?? code}): ${stderr.trim()}`));
    });
  });
}

function describe(command: Command): string {
  return [command.file, ...command.args].join(' ');
}

/**
 * Where the macOS commands come from, and how they run. On a Mac: absolute system paths only
 * (STYLE.md point 16 — nothing found through a PATH another user may have shaped). With
 * `IDLEWATCH_PLATFORM=darwin` (the adapter run on another OS, for tests and demos) they are looked
 * up on PATH, so stand-ins printing recorded output can take their place. Always execFile with an
 * argv: no shell, a timeout, a bounded output.
 */
import { execFile } from 'node:child_process';
import { emulatedCommand } from '../emulated-command';

export const DARWIN_COMMANDS = {
  netstat: '/usr/sbin/netstat',
  sysctl: '/usr/sbin/sysctl',
  ps: '/bin/ps',
  osascript: '/usr/bin/osascript',
} as const;

export type DarwinCommand = keyof typeof DARWIN_COMMANDS;

const basename = (path: string) => path.slice(path.lastIndexOf('/') + 1);


/** The executable for a command: the system path, or (emulated platform) the first on PATH. */
export function commandPath(command: DarwinCommand, env: NodeJS.ProcessEnv): string {
  const system = DARWIN_COMMANDS[command];
  if (env.IDLEWATCH_PLATFORM !== 'darwin') return system;
  return emulatedCommand(basename(system), env);
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs one command: the seam tests replace to see the exact argv, and to prove it is never called. */
export type Runner = (file: string, argv: readonly string[], options?: { timeoutMs?: number }) => Promise<RunResult>;

const MAX_BUFFER = 32 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;

export const execFileRunner: Runner = (file, argv, options = {}) =>
  new Promise((resolve, reject) => {
    execFile(
      file,
      [...argv],
      { timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxBuffer: MAX_BUFFER, encoding: 'utf8', windowsHide: true },
      (error, stdout, stderr) => {
        if (error) reject(Object.assign(error, { stdout, stderr }));
        else resolve({ stdout, stderr });
      },
    );
  });

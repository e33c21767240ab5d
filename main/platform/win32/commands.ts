/**
 * Where the Windows commands are and how they run: execFile with an argv (never a shell), a
 * timeout and an output cap. On Windows itself they are absolute paths under the system
 * directory; with IDLEWATCH_PLATFORM=win32 (the adapter run on another OS, its commands
 * replaced by stand-ins on PATH) they are bare names, looked up on PATH.
 *
 * PowerShell runs `-NoProfile -NonInteractive -Command <script>` where the script is a constant
 * of this module, or one built by a function here from validated integers only.
 */
import { emulatedCommand } from '../emulated-command';
import { execFile } from 'node:child_process';

export interface Win32Commands {
  powershell: string;
  netstat: string;
  reg: string;
}

const DEFAULT_SYSTEM_ROOT = 'C:\\Windows';

/**
 * %SystemRoot% when it is a plain drive path (`C:\Windows`), else the default: a value with
 * quotes, `..` or odd characters is not trusted to name the system directory.
 */
export function systemRoot(env: NodeJS.ProcessEnv): string {
  const root = env.SystemRoot ?? env.SYSTEMROOT;
  return root && /^[A-Za-z]:\\[A-Za-z0-9_ \\-]+$/.test(root) && !root.includes('\\\\') ? root.replace(/\\$/, '') : DEFAULT_SYSTEM_ROOT;
}

export function win32Commands(env: NodeJS.ProcessEnv): Win32Commands {
  if (env.IDLEWATCH_PLATFORM === 'win32') {
    return { powershell: emulatedCommand('powershell', env), netstat: emulatedCommand('netstat', env), reg: emulatedCommand('reg', env) };
  }
  const system32 = `${systemRoot(env)}\\System32`;
  return {
    powershell: `${system32}\\WindowsPowerShell\\v1.0\\powershell.exe`,
    netstat: `${system32}\\netstat.exe`,
    reg: `${system32}\\reg.exe`,
  };
}

/** The socket table, as JSON (./tcp-connections.ts). */
export const NET_TCP_CONNECTION_SCRIPT =
  'Get-NetTCPConnection | Select-Object LocalAddress,LocalPort,RemoteAddress,RemotePort,State,OwningProcess,CreationTime | ConvertTo-Json -Compress';

/** argv of powershell running one script. */
export function powershellArgs(script: string): string[] {
  return ['-NoProfile', '-NonInteractive', '-Command', script];
}

/** argv of netstat for one address family. */
export function netstatArgs(family: 'ipv4' | 'ipv6'): string[] {
  return ['-ano', '-p', family === 'ipv4' ? 'TCP' : 'TCPv6'];
}

export interface RunResult {
  ok: boolean;
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export type Runner = (file: string, args: readonly string[], options?: { timeoutMs?: number }) => Promise<RunResult>;

export const RUN_TIMEOUT_MS = 20_000;
export const RUN_MAX_BUFFER = 64 * 1024 * 1024;
/** The UAC prompt waits for a person: long enough to read it. */
export const ELEVATION_TIMEOUT_MS = 5 * 60_000;

/** Runs one command; never rejects: a failure to start is `ok: false` with the error in stderr. */
export const execRunner: Runner = (file, args, options = {}) =>
  new Promise((resolve) => {
    execFile(file, [...args], { timeout: options.timeoutMs ?? RUN_TIMEOUT_MS, maxBuffer: RUN_MAX_BUFFER, windowsHide: true, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) return resolve({ ok: true, exitCode: 0, stdout, stderr });
      const code = (error as NodeJS.ErrnoException & { code?: unknown }).code;
      resolve({ ok: false, exitCode: typeof code === 'number' ? code : null, stdout: stdout ?? '', stderr: stderr || error.message });
    });
  });

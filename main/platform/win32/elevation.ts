/**
 * Applying keepalive values on Windows: through UAC, by a fixed helper script
 * (build/win32/idlewatch-keepalive.ps1, installed under Program Files where only administrators
 * may write) that checks its two integer arguments itself and writes both registry values with
 * `reg add … /t REG_DWORD /d N /f`. Nothing from the request reaches a command but two integers,
 * validated here before any process starts (STYLE.md point 16).
 *
 * The probe count cannot change on Windows (fixed at 10), and connections already open may keep
 * the old values until they reconnect or the machine restarts.
 */
import { powershellArgs, type Win32Commands } from './commands';
import { DWORD_MAX } from './registry';
import type { KeepaliveValues } from '../../../shared/profiles';

/** Where the installer puts the helper. */
export const DEFAULT_HELPER_PATH = 'C:\\Program Files\\Idlewatch\\resources\\win32\\idlewatch-keepalive.ps1';

/** Highest whole seconds whose ms still fit a REG_DWORD. */
export const MAX_KEEPALIVE_SEC = Math.floor(DWORD_MAX / 1000);

/** The message every apply carries. */
export const WIN32_APPLY_NOTE =
  'Windows sends 10 keepalive probes; the count cannot be changed. A restart may be needed before all connections follow the new values.';

export interface Win32ApplyValues {
  keepAliveTimeMs: number;
  keepAliveIntervalMs: number;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Seconds → registry ms; refuses anything but whole seconds from 1 to MAX_KEEPALIVE_SEC. */
export function toRegistryValues(values: Pick<KeepaliveValues, 'timeSec' | 'intervalSec'>): Checked<Win32ApplyValues> {
  for (const field of ['timeSec', 'intervalSec'] as const) {
    const v: unknown = values[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > MAX_KEEPALIVE_SEC) {
      return { ok: false, reason: `${field} must be a whole number of seconds from 1 to ${MAX_KEEPALIVE_SEC}` };
    }
  }
  return { ok: true, value: { keepAliveTimeMs: values.timeSec * 1000, keepAliveIntervalMs: values.intervalSec * 1000 } };
}

/** A helper path the script may quote: absolute, no quotes or `..`, a .ps1 file. */
export function isSafeHelperPath(path: string): boolean {
  if (path.includes('..')) return false;
  return /^[A-Za-z]:\\[A-Za-z0-9_ .()\\-]+\.ps1$/.test(path) || /^\/[A-Za-z0-9_ ./-]+\.ps1$/.test(path);
}

const isRegistryMs = (n: number) => Number.isSafeInteger(n) && n >= 1 && n <= DWORD_MAX;

/**
 * argv of the unelevated powershell that asks UAC to start the helper, and passes on its exit
 * code. Throws on values or a path this module did not validate (a programming error).
 */
export function elevationArgs(commands: Win32Commands, helperPath: string, values: Win32ApplyValues): string[] {
  if (!isSafeHelperPath(helperPath)) throw new Error('the keepalive helper path is not a plain absolute .ps1 path');
  if (!isRegistryMs(values.keepAliveTimeMs) || !isRegistryMs(values.keepAliveIntervalMs)) throw new Error('keepalive values must be validated ms');
  if (!/^[A-Za-z0-9_.:\\/ -]+$/.test(commands.powershell)) throw new Error('the powershell path is not plain');
  const argumentList = ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', helperPath, String(values.keepAliveTimeMs), String(values.keepAliveIntervalMs)]
    .map((a) => `'${a}'`)
    .join(',');
  const script = `$p = Start-Process -Verb RunAs -Wait -PassThru -FilePath '${commands.powershell}' -ArgumentList ${argumentList}; exit $p.ExitCode`;
  return powershellArgs(script);
}

/** What the helper's exit code (passed on by the outer powershell) means. 1: UAC declined or Start-Process failed. */
export function elevationOutcome(exitCode: number | null, stderr: string): { outcome: 'ran' | 'refused' | 'failed'; message: string } {
  if (exitCode === 0) return { outcome: 'ran', message: WIN32_APPLY_NOTE };
  if (exitCode === 1) return { outcome: 'refused', message: `The administrator prompt was declined or could not start: nothing was changed. ${stderr.trim()}`.trim() };
  if (exitCode === null) return { outcome: 'failed', message: `The administrator prompt or the helper did not finish (not started, or timed out); what the registry holds is read back. ${stderr.trim()}`.trim() };
  if (exitCode === 2) return { outcome: 'refused', message: 'The keepalive helper refused the values: nothing was changed.' };
  return { outcome: 'failed', message: `The keepalive helper failed (exit ${exitCode ?? 'unknown'}); the registry may hold one of the two values. ${stderr.trim()}`.trim() };
}

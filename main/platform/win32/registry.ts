/**
 * The two keepalive values of the Windows TCP/IP stack, read with `reg query`. Documented at
 * https://learn.microsoft.com/troubleshoot/windows-server/networking/configure-tcpip-keepalive
 * (KeepAliveTime default 7,200,000 ms, KeepAliveInterval default 1,000 ms; REG_DWORD, ms).
 * Absent values are the defaults: `reg query` then exits 1 ("ERROR: The system was unable to
 * find the specified registry key or value.").
 */
import type { Win32Settings } from '../../../shared/model';

export const TCPIP_PARAMETERS_KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters';

export const KEEPALIVE_VALUES = { keepAliveTimeMs: 'KeepAliveTime', keepAliveIntervalMs: 'KeepAliveInterval' } as const;
export type KeepaliveValueName = (typeof KEEPALIVE_VALUES)[keyof typeof KEEPALIVE_VALUES];

export const DEFAULT_KEEPALIVE_MS: Record<KeepaliveValueName, number> = { KeepAliveTime: 7_200_000, KeepAliveInterval: 1_000 };

/** Largest REG_DWORD. */
export const DWORD_MAX = 0xffff_ffff;

/** argv of `reg query <key> /v <name>`: fixed words only. */
export function regQueryArgs(name: KeepaliveValueName): string[] {
  return ['query', TCPIP_PARAMETERS_KEY, '/v', name];
}

/**
 * The value of `    KeepAliveTime    REG_DWORD    0x927c0` in `reg query` output; null when the
 * output has no such line (or the line is not a DWORD).
 */
export function parseRegDword(text: string, name: KeepaliveValueName): number | null {
  for (const line of text.split(/\r?\n/)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length !== 3 || fields[0]!.toLowerCase() !== name.toLowerCase()) continue;
    if (fields[1] !== 'REG_DWORD' || !/^0x[0-9a-fA-F]{1,8}$/.test(fields[2]!)) return null;
    return Number.parseInt(fields[2]!.slice(2), 16);
  }
  return null;
}

/** What one `reg query` ended with, as the runner saw it. */
export type RegQueryOutcome = { ok: true; stdout: string } | { ok: false; exitCode: number | null; stderr: string };

/** The value in ms, the default when absent; throws when reg failed otherwise or printed nonsense. */
export function valueFromQuery(name: KeepaliveValueName, outcome: RegQueryOutcome): number {
  if (!outcome.ok) {
    // Exit 1 is reg's "not found" (its message is localized; the code is not).
    if (outcome.exitCode === 1) return DEFAULT_KEEPALIVE_MS[name];
    throw new Error(`reg query ${name} failed: ${outcome.stderr.trim() || `exit ${outcome.exitCode}`}`);
  }
  const value = parseRegDword(outcome.stdout, name);
  if (value === null) throw new Error(`reg query ${name}: no REG_DWORD value in its output`);
  return value;
}

export function win32Settings(keepAliveTimeMs: number, keepAliveIntervalMs: number): Win32Settings {
  return { os: 'win32', keepAliveTimeMs, keepAliveIntervalMs, probes: 10 };
}

/**
 * Process names for owning pids: `Get-Process -Id 4,1234 | Select-Object Id,ProcessName |
 * ConvertTo-Json -Compress`, asked only for pids not yet named (a name is kept while the pid is seen).
 */
import { z } from 'zod';

/** Largest pid Windows hands out fits a DWORD; pids are multiples of 4 but need not be checked as such. */
const PID_MAX = 0xffff_ffff;

export const isPid = (pid: unknown): pid is number => typeof pid === 'number' && Number.isSafeInteger(pid) && pid >= 0 && pid <= PID_MAX;

/** The script for these pids: fixed text and validated integers only; throws on anything else. */
export function getProcessScript(pids: readonly number[]): string {
  if (pids.length === 0 || pids.length > 4096 || !pids.every(isPid)) throw new Error('Get-Process takes 1–4096 integer pids');
  return `Get-Process -Id ${pids.join(',')} -ErrorAction SilentlyContinue | Select-Object Id,ProcessName | ConvertTo-Json -Compress`;
}

const ProcessSchema = z.object({ Id: z.number().int().min(0), ProcessName: z.string().max(256) });

/** pid → name from the output (one object or an array; empty when none of the pids still runs). */
export function parseGetProcessJson(text: string): Map<number, string> {
  const names = new Map<number, string>();
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') return names;
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    return names;
  }
  for (const entry of Array.isArray(json) ? json : [json]) {
    const parsed = ProcessSchema.safeParse(entry);
    if (parsed.success) names.set(parsed.data.Id, parsed.data.ProcessName);
  }
  return names;
}

/** Names kept across polls: only pids not seen before are asked for. Pid 0 and 4 are the kernel's own. */
export class ProcessNames {
  private readonly known = new Map<number, string | null>([
    [0, 'System Idle Process'],
    [4, 'System'],
  ]);

  /** The pids of this poll that still need asking. */
  unknown(pids: Iterable<number | null>): number[] {
    const out = new Set<number>();
    for (const pid of pids) if (pid !== null && !this.known.has(pid)) out.add(pid);
    return [...out].sort((a, b) => a - b);
  }

  /** Records an answer; pids it does not name are remembered as unnamed (exited, or not ours to see). */
  learn(asked: readonly number[], names: Map<number, string>): void {
    for (const pid of asked) this.known.set(pid, names.get(pid) ?? null);
  }

  name(pid: number | null): string | null {
    return pid === null ? null : (this.known.get(pid) ?? null);
  }

  /** Forgets pids no longer seen, so a reused pid is asked again. */
  keepOnly(pids: Iterable<number | null>): void {
    const live = new Set(pids);
    for (const pid of this.known.keys()) if (pid > 4 && !live.has(pid)) this.known.delete(pid);
  }
}

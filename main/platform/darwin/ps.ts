/**
 * Full process names for pids netstat showed cut short: one `ps` per poll, new pids only. On
 * macOS `comm` is the executable's path (ps(1) "comm: command"), so the name is its last part.
 */

/** argv for `ps`: pids are integers by type and checked again; nothing else varies. */
export function psArgv(pids: readonly number[]): string[] {
  for (const pid of pids) if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error(`not a pid: ${String(pid)}`);
  return ['-o', 'pid=,comm=', '-p', pids.join(',')];
}

/** `  123 /Applications/Google Chrome.app/Contents/MacOS/Google Chrome` → 123 → "Google Chrome". */
export function parsePs(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(.+?)\s*$/.exec(line);
    if (!m) continue;
    const path = m[2]!;
    const name = path.slice(path.lastIndexOf('/') + 1);
    if (name) names.set(Number(m[1]), name);
  }
  return names;
}

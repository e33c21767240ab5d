/**
 * What may run as root (DESIGN.md, Security model): nothing another user could have written.
 * POSIX ownership and modes only, so every adapter and the report printer share one check.
 */
import { realpathSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Refuses to start, as root, a program another user could have replaced (Idlewatch's helpers,
 * the browser that prints PDF reports): the file and
 * every directory above it must belong to root and be writable by no one else. A directory
 * with the sticky bit (/tmp) may be world-writable above the helper's own directory, since
 * others cannot rename what root put in it. Throws an error naming the path.
 */
export function assertSafeToRunAsRoot(binary: string): void {
  let path: string;
  try {
    path = realpathSync(binary);
  } catch (error) {
    throw new Error(`Refusing to run ${binary} as root: cannot resolve it: ${(error as Error).message}`);
  }
  const refuse = (what: string, reason: string): never => {
    throw new Error(`Refusing to run ${binary} as root: ${what} ${reason}. Install it (or build it) as root, where only root can write.`);
  };
  const check = (p: string, kind: 'file' | 'directory' | 'parent') => {
    const st = statSync(p);
    const what = kind === 'file' ? `it (${p})` : `its directory ${p}`;
    if (st.uid !== 0) refuse(what, `is owned by uid ${st.uid}, not root`);
    const sticky = (st.mode & 0o1000) !== 0;
    if ((st.mode & 0o022) !== 0 && !(kind === 'parent' && sticky)) {
      refuse(what, `is writable by ${(st.mode & 0o002) !== 0 ? 'every user' : 'its group'} (mode ${(st.mode & 0o7777).toString(8)})`);
    }
  };
  check(path, 'file');
  let dir = dirname(path);
  check(dir, 'directory');
  while (dirname(dir) !== dir) {
    dir = dirname(dir);
    check(dir, 'parent');
  }
}

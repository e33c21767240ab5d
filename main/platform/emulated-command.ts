/**
 * Where an emulated adapter's commands come from (IDLEWATCH_PLATFORM=darwin|win32, main/platform/index.ts):
 * the first executable of that name on PATH, so stand-ins printing recorded output can take the
 * real commands' place. Only absolute PATH entries count (a relative one would depend on the
 * working directory), and as root a command found this way must pass the check every helper
 * passes (./run-as-root.ts): a PATH can name a folder another user writes.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { assertSafeToRunAsRoot } from './run-as-root';

export function emulatedCommand(name: string, env: NodeJS.ProcessEnv, isRoot: boolean = process.getuid?.() === 0): string {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    if (isRoot) assertSafeToRunAsRoot(candidate);
    return candidate;
  }
  throw new Error(`IDLEWATCH_PLATFORM=${env.IDLEWATCH_PLATFORM}: no "${name}" on PATH to stand in for the real command`);
}

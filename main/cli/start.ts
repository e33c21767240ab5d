import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingDisplay } from '../platform/index';
import { runServe } from './serve';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The Electron binary, found the way the electron package finds it, but without requiring
 * the package: its index.js downloads the binary on first use, which cannot work offline.
 * Only this checkout's node_modules/electron/dist counts: the electron package's
 * ELECTRON_OVERRIDE_DIST_PATH is not honoured, since `idlewatch start` may run as root and
 * must not run an executable an environment variable chose (DESIGN.md, Security model).
 */
export function findElectronBinary(): string | null {
  const pkg = join(root, 'node_modules/electron');
  const pathFile = join(pkg, 'path.txt');
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  // path.txt names a file inside dist/ (e.g. "electron"); anything that climbs out is ignored.
  if (!executable || executable.includes('..') || executable.startsWith('/')) return null;
  const candidate = join(pkg, 'dist', executable);
  return existsSync(candidate) ? candidate : null;
}

/** Why the desktop app cannot open here, or null when it can. */
export function desktopUnavailable(env: NodeJS.ProcessEnv = process.env): string | null {
  if (!findElectronBinary()) return 'the Electron runtime is not installed';
  const noDisplay = missingDisplay(env);
  if (noDisplay) return noDisplay;
  if (!existsSync(join(root, 'out/main/index.js'))) return 'the app is not built (run `npm run build`)';
  return null;
}

/** `idlewatch start`: the desktop app, or browser mode where it cannot run. */
export async function runStart(options: { host: string; port: number; allowApply: boolean }, say: (line: string) => void): Promise<void> {
  const reason = desktopUnavailable();
  if (reason) {
    say(`Idlewatch cannot open its desktop window: ${reason}. Serving it to a browser instead.`);
    return runServe(options, say);
  }
  const child = spawn(findElectronBinary()!, [root], { stdio: 'inherit' });
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
  if (code !== 0) throw new Error(`the desktop app exited with code ${code}`);
}

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
 */
export function findElectronBinary(): string | null {
  const pkg = join(root, 'node_modules/electron');
  const pathFile = join(pkg, 'path.txt');
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const candidate = override ? join(override, executable ?? 'electron') : executable ? join(pkg, 'dist', executable) : null;
  return candidate && existsSync(candidate) ? candidate : null;
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
export async function runStart(options: { host: string; port: number }, say: (line: string) => void): Promise<void> {
  const reason = desktopUnavailable();
  if (reason) {
    say(`Idlewatch cannot open its desktop window: ${reason}. Serving it to a browser instead.`);
    return runServe(options, say);
  }
  const child = spawn(findElectronBinary()!, [root], { stdio: 'inherit' });
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
  if (code !== 0) throw new Error(`the desktop app exited with code ${code}`);
}

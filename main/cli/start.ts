import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingDisplay, packagedAppExecutable } from '../platform/index';
import { runServe } from './serve';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** Where the CLI runs: a checkout (with node_modules/electron), or a package's unpacked folder. */
export function installKind(base: string): 'checkout' | 'package' {
  return basename(base) === 'app.asar.unpacked' && /^resources$/i.test(basename(dirname(base))) ? 'package' : 'checkout';
}

/**
 * The Electron binary. Installed from a package: the app's own executable, at its fixed place
 * beside the folder the CLI runs from. In a checkout: found the way the electron package finds
 * it, but without requiring the package: its index.js downloads the binary on first use, which
 * cannot work offline. Only this checkout's node_modules/electron/dist counts: the electron
 * package's ELECTRON_OVERRIDE_DIST_PATH is not honoured, since `idlewatch start` may run as root
 * and must not run an executable an environment variable chose (DESIGN.md, Security model).
 */
export function findElectronBinary(base: string = root, platform?: NodeJS.Platform): string | null {
  if (installKind(base) === 'package') {
    const relative = packagedAppExecutable(platform);
    const candidate = relative ? join(base, relative) : null;
    return candidate && existsSync(candidate) ? candidate : null;
  }
  const pkg = join(base, 'node_modules/electron');
  const pathFile = join(pkg, 'path.txt');
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  // path.txt names a file inside dist/ (e.g. "electron"); anything that climbs out is ignored.
  if (!executable || executable.includes('..') || executable.startsWith('/')) return null;
  const candidate = join(pkg, 'dist', executable);
  return existsSync(candidate) ? candidate : null;
}

/** Why the desktop app cannot open here, or null when it can. */
export function desktopUnavailable(env: NodeJS.ProcessEnv = process.env, base: string = root): string | null {
  if (!findElectronBinary(base)) return installKind(base) === 'package' ? "the app's executable is missing from its package" : 'the Electron runtime is not installed';
  const noDisplay = missingDisplay(env);
  if (noDisplay) return noDisplay;
  if (installKind(base) === 'checkout' && !existsSync(join(base, 'out/main/index.js'))) return 'the app is not built (run `npm run build`)';
  return null;
}

/** `idlewatch start`: the desktop app, or browser mode where it cannot run. */
export async function runStart(options: { host: string; port: number; allowApply: boolean }, say: (line: string) => void): Promise<void> {
  const reason = desktopUnavailable();
  if (reason) {
    say(`Idlewatch cannot open its desktop window: ${reason}. Serving it to a browser instead.`);
    return runServe(options, say);
  }
  // A checkout's Electron is told which app to run; a packaged app runs its own app.asar.
  const args = installKind(root) === 'package' ? [] : [root];
  const child = spawn(findElectronBinary()!, args, { stdio: 'inherit' });
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
  if (code !== 0) throw new Error(`the desktop app exited with code ${code}`);
}

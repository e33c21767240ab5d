import type { PlatformAdapter } from '../../shared/platform-adapter';
import { DarwinAdapter } from './darwin/index';
import { LinuxAdapter } from './linux/index';
import { Win32Adapter } from './win32/index';

/** The operating systems an adapter exists for. */
const ADAPTERS = {
  linux: (env: NodeJS.ProcessEnv) => (void env, new LinuxAdapter()),
  darwin: (env: NodeJS.ProcessEnv) => new DarwinAdapter({ env }),
  win32: (env: NodeJS.ProcessEnv) => new Win32Adapter({ env }),
} as const;

/**
 * Which adapter runs, and where its commands come from. `IDLEWATCH_PLATFORM=darwin|win32` runs
 * that OS's adapter on any OS, with its commands (netstat, sysctl, ps; powershell, netstat, reg)
 * found on PATH: how tests, and anyone without that OS, run the whole app on it end to end. As
 * root a command found that way must pass the same check as every helper (main/platform/run-as-root.ts).
 * Without it the real OS decides and the commands run from their absolute system paths.
 */
export function platformChoice(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): keyof typeof ADAPTERS {
  const forced = env.IDLEWATCH_PLATFORM;
  if (forced !== undefined && forced !== '') {
    if (forced === 'darwin' || forced === 'win32') return forced;
    throw new Error(`IDLEWATCH_PLATFORM must be darwin or win32 (it runs that adapter with its commands found on PATH); got "${forced.slice(0, 40)}"`);
  }
  if (platform in ADAPTERS) return platform as keyof typeof ADAPTERS;
  throw new Error(`Idlewatch cannot read the socket table on ${platform}: it supports Linux, macOS and Windows.`);
}

/**
 * Picks the adapter for this operating system. The only place outside main/platform/
 * implementations where the platform is looked at (checked by test/unit/boundaries.test.ts).
 */
export function createPlatformAdapter(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): PlatformAdapter {
  return ADAPTERS[platformChoice(env, platform)](env);
}

/** Why no window can open on this desktop, or null. On Linux a window needs X11 or Wayland. */
export function missingDisplay(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string | null {
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)';
  return null;
}

/**
 * The packaged app's executable, by operating system, relative to the folder the CLI runs from
 * when a package installed it: `resources/app.asar.unpacked` (electron-builder.config.mjs).
 * Linux names it `idlewatch-desktop` (`idlewatch` on PATH is this CLI); Windows and macOS use the
 * product name.
 */
const PACKAGED_EXECUTABLE: Partial<Record<NodeJS.Platform, string>> = {
  linux: '../../idlewatch-desktop',
  win32: '../../Idlewatch.exe',
  darwin: '../../MacOS/Idlewatch',
};

/** This OS's packaged app executable, relative to the CLI's folder in a package (see PACKAGED_EXECUTABLE), or null. */
export function packagedAppExecutable(platform: NodeJS.Platform = process.platform): string | null {
  return PACKAGED_EXECUTABLE[platform] ?? null;
}

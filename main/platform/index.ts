import type { PlatformAdapter } from '../../shared/platform-adapter';
import { LinuxAdapter } from './linux/index';

/**
 * Picks the adapter for this operating system. The only place outside main/platform/
 * implementations where the platform is looked at (checked by test/unit/boundaries.test.ts).
 */
export function createPlatformAdapter(platform: NodeJS.Platform = process.platform): PlatformAdapter {
  switch (platform) {
    case 'linux':
      return new LinuxAdapter();
    default:
      throw new Error(`Idlewatch cannot read the socket table on ${platform} yet; Linux is supported.`);
  }
}

/** Why no window can open on this desktop, or null. On Linux a window needs X11 or Wayland. */
export function missingDisplay(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string | null {
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)';
  return null;
}

/**
 * Applying keepalive values on macOS: the three values are checked (shared/profiles.ts limits),
 * converted to the sysctls' milliseconds, and handed as numbers to a fixed root-owned helper
 * (build/darwin/idlewatch-keepalive.sh, installed at HELPER_PATH) run through
 * `osascript … with administrator privileges` — the system's own authorization prompt.
 *
 * Why osascript and not @vscode/sudo-prompt: that package runs the very same `osascript … with
 * administrator privileges` on macOS; calling it directly adds no dependency and keeps the one
 * string handed to AppleScript in view here, built from a fixed path and validated integers only
 * (STYLE.md point 16).
 */
import { checkValues, type KeepaliveValues } from '../../../shared/profiles';

/** Where the installer puts the helper: root-owned, not writable by other users. */
export const HELPER_PATH = '/Library/Application Support/Idlewatch/idlewatch-keepalive.sh';
/**
 * The one-time install of the helper from the app a dmg put in /Applications (its copy is in the
 * app's Resources: build/electron-builder.config.mjs, mac.extraResources): a dmg is dragged into
 * place and runs no installer, so it cannot put a root-owned file under /Library itself.
 */
export const DARWIN_HELPER_INSTALL =
  `sudo install -d -o root -g wheel -m 0755 '/Library/Application Support/Idlewatch' && sudo install -o root -g wheel -m 0755 /Applications/Idlewatch.app/Contents/Resources/darwin/idlewatch-keepalive.sh '${HELPER_PATH}'`;
/** The LaunchDaemon that re-applies persisted values at boot (build/darwin/org.idlewatch.keepalive.plist). */
export const LAUNCH_DAEMON_PATH = '/Library/LaunchDaemons/org.idlewatch.keepalive.plist';

export interface DarwinApplyValues {
  keepIdleMs: number;
  keepIntervalMs: number;
  keepCount: number;
}

export type ApplyCheck = { ok: true; value: DarwinApplyValues } | { ok: false; error: string };

/** Checked against the profile limits, then seconds → ms (600 s → 600000). */
export function toDarwinValues(values: { timeSec: unknown; intervalSec: unknown; probes: unknown }): ApplyCheck {
  const checked = checkValues(values);
  if (!checked.ok) return checked;
  const { timeSec, intervalSec, probes }: KeepaliveValues = checked.value;
  return { ok: true, value: { keepIdleMs: timeSec * 1000, keepIntervalMs: intervalSec * 1000, keepCount: probes } };
}

const isCount = (n: number) => Number.isSafeInteger(n) && n >= 0;

/**
 * `osascript -e 'do shell script "<helper> apply|persist 600000 60000 5" with administrator privileges'`.
 * The script text holds the fixed helper path (single-quoted for the shell; it has no quote of
 * its own) and integers that are checked again here, so nothing else can reach it.
 */
export function osascriptArgv(verb: 'apply' | 'persist', values: DarwinApplyValues): string[] {
  const numbers = [values.keepIdleMs, values.keepIntervalMs, values.keepCount];
  if (!numbers.every(isCount)) throw new Error('keepalive values must be whole numbers');
  if (verb !== 'apply' && verb !== 'persist') throw new Error(`unknown verb ${String(verb)}`);
  const shell = `'${HELPER_PATH}' ${verb} ${numbers.join(' ')}`;
  return ['-e', `do shell script "${shell}" with administrator privileges`];
}

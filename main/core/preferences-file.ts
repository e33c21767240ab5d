import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { homedir } from 'node:os';
import { z } from 'zod';
import { CustomProfilesSchema, IdleRulesSchema, PollIntervalMsSchema } from '../../shared/api/schemas';
import type { Preferences, PreferencesStore } from './service';

// `profiles` came later: a file without it still loads (it defaults to none).
const PreferencesSchema = z.object({ pollIntervalMs: PollIntervalMsSchema, rules: IdleRulesSchema, profiles: CustomProfilesSchema.optional() });

/** ~/.config/idlewatch (XDG_CONFIG_HOME respected): where browser mode keeps its preferences. */
export function defaultConfigDir(): string {
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'idlewatch');
}

/**
 * Preferences as a JSON file. A file that does not parse is ignored (defaults apply) rather
 * than trusted; writes go to a temporary file first so a crash never leaves half a file.
 */
export function preferencesFile(path: string): PreferencesStore {
  return {
    async load() {
      try {
        const parsed = PreferencesSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
        return parsed.success ? (parsed.data as Partial<Preferences>) : null;
      } catch {
        return null;
      }
    },
    async save(preferences) {
      await mkdir(dirname(path), { recursive: true });
      const temporary = `${path}.${process.pid}.tmp`;
      await writeFile(temporary, `${JSON.stringify(preferences, null, 2)}\n`, { mode: 0o600 });
      await rename(temporary, path);
    },
  };
}

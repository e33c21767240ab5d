/**
 * Custom profiles as a JSON file: what "Export" writes and what "Import" accepts. The file is
 * the contract's own CustomProfilesSchema (an array of custom profiles), so an exported file is
 * exactly what saveProfiles takes, and a file is checked by the same schema the core checks
 * before anything is saved: a bad file changes nothing.
 */
import type { z } from 'zod';
import { CustomProfilesSchema, type CustomProfile } from '../../../shared/api/schemas';
import { printable } from '../../../shared/format';
import { checkField, PROFILE_LIMITS, type ProfileField } from '../../../shared/profiles';

/** A custom-profiles file is small (100 profiles ≈ 30 KB); anything much larger is not one. */
export const MAX_PROFILES_FILE_BYTES = 256 * 1024;
/** CustomProfilesSchema's maximum. */
export const MAX_CUSTOM_PROFILES = 100;
export const EXPORT_FILE_NAME = 'idlewatch-profiles.json';

export function exportProfiles(custom: readonly CustomProfile[]): string {
  return `${JSON.stringify(custom, null, 2)}\n`;
}

export type ImportResult = { ok: true; profiles: CustomProfile[] } | { ok: false; error: string };

/** "profile 2 (db), time" — where in the file a problem is, in words. */
function where(path: readonly PropertyKey[], raw: unknown): string {
  if (path.length === 0) return 'the file';
  const [index, field] = path;
  if (typeof index !== 'number') return `the file at ${path.map(String).join('.')}`;
  const entry = Array.isArray(raw) ? (raw[index] as { name?: unknown } | undefined) : undefined;
  const name = typeof entry?.name === 'string' && entry.name.trim() !== '' ? ` (${printable(entry.name.slice(0, 60))})` : '';
  const label = typeof field === 'string' ? (field in PROFILE_LIMITS ? PROFILE_LIMITS[field as ProfileField].label : field) : null;
  return `profile ${index + 1}${name}${label ? `, ${label}` : ''}`;
}

/** One issue in words; a value out of the kernel's limits is said the way the editor says it. */
function issueText(issue: z.core.$ZodIssue, raw: unknown): string {
  const [index, field] = issue.path;
  if (typeof index === 'number' && typeof field === 'string' && field in PROFILE_LIMITS && Array.isArray(raw)) {
    const value = (raw[index] as Record<string, unknown> | undefined)?.[field];
    const checked = checkField(field as ProfileField, value);
    if (!checked.ok) return `${where(issue.path, raw)}: ${checked.error}`;
  }
  if (issue.code === 'unrecognized_keys') return `${where(issue.path, raw)}: unknown field ${issue.keys.map((k) => `"${printable(k)}"`).join(', ')}`;
  return `${where(issue.path, raw)}: ${printable(issue.message)}`;
}

/** Reads a file's text as custom profiles; the first problem found is named, with where it is. */
export function parseProfilesFile(text: string): ImportResult {
  if (text.length > MAX_PROFILES_FILE_BYTES) return { ok: false, error: `The file is larger than ${MAX_PROFILES_FILE_BYTES / 1024} KB: not a profiles file.` };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `The file is not JSON: ${printable((error as Error).message)}.` };
  }
  if (!Array.isArray(raw)) return { ok: false, error: 'The file is not a list of profiles (an exported profiles file is a JSON array).' };
  const parsed = CustomProfilesSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more ${issues.length === 2 ? 'problem' : 'problems'})` : '';
    return { ok: false, error: `Nothing was imported. ${sentenceCase(issueText(issues[0]!, raw))}${more}.` };
  }
  return { ok: true, profiles: parsed.data };
}

const sentenceCase = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;

export interface MergeResult {
  profiles: CustomProfile[];
  added: number;
  replaced: number;
}

/** Imported profiles join the saved ones; one with a saved profile's id replaces it. */
export function mergeImported(saved: readonly CustomProfile[], imported: readonly CustomProfile[]): MergeResult {
  const byId = new Map(imported.map((p) => [p.id, p]));
  let replaced = 0;
  const profiles = saved.map((p) => {
    const next = byId.get(p.id);
    if (!next) return p;
    byId.delete(p.id);
    replaced++;
    return next;
  });
  return { profiles: [...profiles, ...byId.values()], added: byId.size, replaced };
}

/** Whether the merged list is still one the core accepts (at most 100 profiles, unique ids). */
export function checkMerged(profiles: readonly CustomProfile[]): string | null {
  if (profiles.length > MAX_CUSTOM_PROFILES) {
    return `Nothing was imported: at most ${MAX_CUSTOM_PROFILES} custom profiles can be saved, and with this file there would be ${profiles.length}.`;
  }
  const parsed = CustomProfilesSchema.safeParse(profiles);
  return parsed.success ? null : `Nothing was imported: together with the saved profiles, ${printable(parsed.error.issues[0]?.message ?? 'the list is not valid')}.`;
}

/**
 * The custom-profile editor's form: what the inputs hold (text) and the profile it becomes.
 * The three values are checked with shared/profiles.ts — the very checks the core, the CLI and
 * the helper apply — so the form refuses exactly what they would, and says which field and
 * which range; the name and the id follow CustomProfileSchema.
 */
import { CustomProfileSchema, type CustomProfile } from '../../../shared/api/schemas';
import { hasControls, visibleControls } from '../../../shared/labels';
import { checkField, PRESETS, PROFILE_FIELDS, PROFILE_LIMITS, type KeepaliveValues, type ProfileField } from '../../../shared/profiles';

export interface ProfileDraft {
  /** null while the profile is new; a saved profile keeps its id when renamed. */
  id: string | null;
  name: string;
  timeSec: string;
  intervalSec: string;
  probes: string;
  /** Why these values (optional): shown on the card like a preset's rationale. */
  rationale: string;
}

export type ProfileDraftField = 'name' | ProfileField | 'rationale';
export type ProfileDraftErrors = Partial<Record<ProfileDraftField, string>>;
export type ProfileDraftResult = { ok: true; profile: CustomProfile } | { ok: false; errors: ProfileDraftErrors };

/** The limits of CustomProfileSchema, said in the messages. */
export const NAME_MAX = 60;
export const RATIONALE_MAX = 200;
const SLUG_MAX = 40;

export function emptyProfileDraft(start: KeepaliveValues = { timeSec: 600, intervalSec: 60, probes: 5 }): ProfileDraft {
  return { id: null, name: '', timeSec: String(start.timeSec), intervalSec: String(start.intervalSec), probes: String(start.probes), rationale: '' };
}

export function draftFromProfile(profile: CustomProfile): ProfileDraft {
  return {
    id: profile.id,
    name: visibleControls(profile.name),
    timeSec: String(profile.timeSec),
    intervalSec: String(profile.intervalSec),
    probes: String(profile.probes),
    rationale: visibleControls(profile.rationale),
  };
}

/** "Time must be a whole number from 1–32767 s." — checkField's words, as a sentence. */
const sentence = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}${/[.!?]$/.test(text) ? '' : '.'}`;

/** The message for one value as typed, or null when it is within the kernel's limits. */
export function valueError(field: ProfileField, text: string): string | null {
  const trimmed = text.trim();
  const { min, max, label, unit } = PROFILE_LIMITS[field];
  if (trimmed === '') return `Enter the ${label}: a whole number from ${min}–${max}${unit ? ` ${unit}` : ''}.`;
  // Signed integers stay numbers so the message can say "got -5"; anything else is not a whole number.
  const value = /^[+-]?\d{1,12}$/.test(trimmed) ? Number(trimmed) : NaN;
  const checked = checkField(field, value);
  return checked.ok ? null : sentence(checked.error);
}

/** The values as typed, when all three are within the limits. */
export function draftValues(draft: ProfileDraft): KeepaliveValues | null {
  if (PROFILE_FIELDS.some((field) => valueError(field, draft[field]) !== null)) return null;
  return { timeSec: Number(draft.timeSec.trim()), intervalSec: Number(draft.intervalSec.trim()), probes: Number(draft.probes.trim()) };
}

/** The slug of a name: lowercase ASCII letters, digits and dashes; empty when nothing is left. */
export function slugOf(name: string): string {
  return name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SLUG_MAX)
    .replace(/-+$/, '');
}

/** A new profile's id: `custom:<slug of its name>`, numbered when taken (or when the name has no ASCII to slug). */
export function newProfileId(name: string, taken: ReadonlySet<string>): string {
  const base = slugOf(name) || 'profile';
  if (!taken.has(`custom:${base}`)) return `custom:${base}`;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const id = `custom:${base.slice(0, SLUG_MAX - suffix.length).replace(/-+$/, '')}${suffix}`;
    if (!taken.has(id)) return id;
  }
}

const sameName = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * The profile the form describes, or a message per field. `custom` are the saved custom
 * profiles (this one among them when it is being edited): names must differ from theirs and
 * from the presets', since a name is how a profile is told apart on the cards and in history.
 */
export function profileFromDraft(draft: ProfileDraft, custom: readonly CustomProfile[]): ProfileDraftResult {
  const errors: ProfileDraftErrors = {};
  const name = draft.name.trim();
  if (name === '') errors.name = 'Give the profile a name.';
  else if (name.length > NAME_MAX) errors.name = `At most ${NAME_MAX} characters.`;
  else if (hasControls(name)) errors.name = 'No control or bidirectional characters in a name.';
  else if (PRESETS.some((p) => sameName(p.name, name) || sameName(p.id, name))) errors.name = 'A preset has this name; choose another.';
  else if (custom.some((p) => p.id !== draft.id && sameName(p.name, name))) errors.name = 'Another custom profile has this name.';

  for (const field of PROFILE_FIELDS) {
    const error = valueError(field, draft[field]);
    if (error) errors[field] = error;
  }

  const rationale = draft.rationale.trim();
  if (rationale.length > RATIONALE_MAX) errors.rationale = `At most ${RATIONALE_MAX} characters.`;
  else if (hasControls(rationale)) errors.rationale = 'No control characters.';

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const values = draftValues(draft)!;
  const id = draft.id ?? newProfileId(name, new Set(custom.map((p) => p.id)));
  // The contract's own schema has the last word (it is what the core will check again).
  const parsed = CustomProfileSchema.safeParse({ id, name, rationale, builtIn: false, ...values });
  if (!parsed.success) return { ok: false, errors: { name: parsed.error.issues[0]?.message ?? 'Not a valid profile.' } };
  return { ok: true, profile: parsed.data };
}

/** The saved list with `profile` added, or put in place of the one with its id. */
export function upsertProfile(custom: readonly CustomProfile[], profile: CustomProfile): CustomProfile[] {
  return custom.some((p) => p.id === profile.id) ? custom.map((p) => (p.id === profile.id ? profile : p)) : [...custom, profile];
}

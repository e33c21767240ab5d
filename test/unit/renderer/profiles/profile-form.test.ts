import { describe, expect, it } from 'vitest';
import { CustomProfileSchema, type CustomProfile } from '../../../../shared/api/schemas';
import {
  draftFromProfile,
  draftValues,
  emptyProfileDraft,
  newProfileId,
  profileFromDraft,
  slugOf,
  upsertProfile,
  valueError,
  type ProfileDraft,
} from '../../../../renderer/src/profiles/profile-form';

const draft = (over: Partial<ProfileDraft> = {}): ProfileDraft => ({ ...emptyProfileDraft(), name: 'Database', ...over });
const saved: CustomProfile = { id: 'custom:database', name: 'Database', timeSec: 300, intervalSec: 30, probes: 4, rationale: '', builtIn: false };

describe('valueError', () => {
  it('names the field and the kernel range for every out-of-range, fractional or malformed value', () => {
    expect(valueError('timeSec', '0')).toBe('Time must be from 1–32767 s, got 0.');
    expect(valueError('timeSec', '32768')).toBe('Time must be from 1–32767 s, got 32768.');
    expect(valueError('intervalSec', '-5')).toBe('Interval must be from 1–32767 s, got -5.');
    expect(valueError('probes', '256')).toBe('Probes must be from 1–255, got 256.');
    expect(valueError('timeSec', '1.5')).toBe('Time must be a whole number from 1–32767 s.');
    expect(valueError('timeSec', '10m')).toBe('Time must be a whole number from 1–32767 s.');
    expect(valueError('probes', '9999999999999999')).toBe('Probes must be a whole number from 1–255.');
    expect(valueError('probes', ' ')).toBe('Enter the probes: a whole number from 1–255.');
    expect(valueError('intervalSec', '')).toBe('Enter the interval: a whole number from 1–32767 s.');
  });

  it('accepts the limits themselves', () => {
    for (const [field, text] of [
      ['timeSec', '1'],
      ['timeSec', '32767'],
      ['intervalSec', '32767'],
      ['probes', '1'],
      ['probes', '255'],
    ] as const) {
      expect(valueError(field, text)).toBeNull();
    }
  });
});

describe('profileFromDraft', () => {
  it('makes a custom profile the contract accepts, with an id from the name', () => {
    const result = profileFromDraft(draft({ name: '  Database  ', timeSec: ' 300 ', intervalSec: '30', probes: '4', rationale: 'pgbouncer' }), []);
    expect(result).toEqual({
      ok: true,
      profile: { id: 'custom:database', name: 'Database', timeSec: 300, intervalSec: 30, probes: 4, rationale: 'pgbouncer', builtIn: false },
    });
    if (result.ok) expect(CustomProfileSchema.safeParse(result.profile).success).toBe(true);
  });

  it('says what is wrong with each field at once', () => {
    const result = profileFromDraft(draft({ name: '', timeSec: '0', intervalSec: 'x', probes: '300' }), []);
    expect(result).toEqual({
      ok: false,
      errors: {
        name: 'Give the profile a name.',
        timeSec: 'Time must be from 1–32767 s, got 0.',
        intervalSec: 'Interval must be a whole number from 1–32767 s.',
        probes: 'Probes must be from 1–255, got 300.',
      },
    });
  });

  it("refuses a preset's name and another custom profile's name, but lets a profile keep its own", () => {
    expect(profileFromDraft(draft({ name: 'server' }), [])).toMatchObject({ ok: false, errors: { name: 'A preset has this name; choose another.' } });
    expect(profileFromDraft(draft({ name: 'Cloud NAT' }), [])).toMatchObject({ ok: false, errors: { name: 'A preset has this name; choose another.' } });
    expect(profileFromDraft(draft({ name: 'DATABASE' }), [saved])).toMatchObject({ ok: false, errors: { name: 'Another custom profile has this name.' } });
    const edited = profileFromDraft({ ...draftFromProfile(saved), probes: '6' }, [saved]);
    expect(edited).toMatchObject({ ok: true, profile: { id: 'custom:database', probes: 6 } });
  });

  it('refuses control and bidirectional characters and names that are too long', () => {
    expect(profileFromDraft(draft({ name: 'db\u202eexe' }), [])).toMatchObject({ ok: false, errors: { name: 'No control or bidirectional characters in a name.' } });
    expect(profileFromDraft(draft({ name: 'x'.repeat(61) }), [])).toMatchObject({ ok: false, errors: { name: 'At most 60 characters.' } });
    expect(profileFromDraft(draft({ rationale: 'r'.repeat(201) }), [])).toMatchObject({ ok: false, errors: { rationale: 'At most 200 characters.' } });
  });

  it('keeps the id of an edited profile when it is renamed', () => {
    const result = profileFromDraft({ ...draftFromProfile(saved), name: 'Postgres' }, [saved]);
    expect(result).toMatchObject({ ok: true, profile: { id: 'custom:database', name: 'Postgres' } });
  });
});

describe('ids and values', () => {
  it('slugs a name to the id pattern custom:[a-z0-9-]{1,40}, numbering one that is taken', () => {
    expect(slugOf('Web Server (EU) #2')).toBe('web-server-eu-2');
    expect(slugOf('Café')).toBe('cafe');
    expect(slugOf('数据库')).toBe('');
    expect(newProfileId('Database', new Set())).toBe('custom:database');
    expect(newProfileId('Database', new Set(['custom:database', 'custom:database-2']))).toBe('custom:database-3');
    expect(newProfileId('数据库', new Set())).toBe('custom:profile');
    const long = newProfileId('a'.repeat(80), new Set([`custom:${'a'.repeat(40)}`]));
    expect(long).toMatch(/^custom:a{38}-2$/);
    expect(CustomProfileSchema.shape.id.safeParse(long).success).toBe(true);
  });

  it('reads the three values only when all are valid', () => {
    expect(draftValues(draft({ timeSec: '600', intervalSec: '60', probes: '5' }))).toEqual({ timeSec: 600, intervalSec: 60, probes: 5 });
    expect(draftValues(draft({ probes: '0' }))).toBeNull();
  });

  it('adds a new profile at the end and replaces an edited one in place', () => {
    const other: CustomProfile = { ...saved, id: 'custom:other', name: 'Other' };
    expect(upsertProfile([saved], other)).toEqual([saved, other]);
    expect(upsertProfile([saved, other], { ...saved, probes: 9 })).toEqual([{ ...saved, probes: 9 }, other]);
  });
});

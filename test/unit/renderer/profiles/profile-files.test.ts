import { describe, expect, it } from 'vitest';
import type { CustomProfile } from '../../../../shared/api/schemas';
import { checkMerged, exportProfiles, mergeImported, parseProfilesFile } from '../../../../renderer/src/profiles/profile-files';

const db: CustomProfile = { id: 'custom:db', name: 'DB', timeSec: 300, intervalSec: 30, probes: 4, rationale: 'pgbouncer drops after 10 min', builtIn: false };
const lb: CustomProfile = { id: 'custom:lb', name: 'LB', timeSec: 120, intervalSec: 20, probes: 3, rationale: '', builtIn: false };

describe('export and import', () => {
  it('reads back exactly what it exported', () => {
    expect(parseProfilesFile(exportProfiles([db, lb]))).toEqual({ ok: true, profiles: [db, lb] });
  });

  it('refuses a file that is not JSON, not a list, or too large, saying so', () => {
    expect(parseProfilesFile('{oops')).toMatchObject({ ok: false, error: expect.stringMatching(/^The file is not JSON: /) });
    expect(parseProfilesFile('{"profiles": []}')).toEqual({
      ok: false,
      error: 'The file is not a list of profiles (an exported profiles file is a JSON array).',
    });
    expect(parseProfilesFile(`[${' '.repeat(300 * 1024)}]`)).toEqual({ ok: false, error: 'The file is larger than 256 KB: not a profiles file.' });
  });

  it('names the profile and the field of a value out of the kernel range, in the editor’s words', () => {
    const bad = JSON.stringify([db, { ...lb, probes: 300 }]);
    expect(parseProfilesFile(bad)).toEqual({ ok: false, error: 'Nothing was imported. Profile 2 (LB), probes: probes must be from 1–255, got 300.' });
    const fraction = JSON.stringify([{ ...db, timeSec: 1.5 }]);
    expect(parseProfilesFile(fraction)).toEqual({ ok: false, error: 'Nothing was imported. Profile 1 (DB), time: time must be a whole number from 1–32767 s.' });
  });

  it('refuses presets, unknown fields, bad ids, duplicates and control characters in names', () => {
    const cases: [unknown, RegExp][] = [
      [[{ ...db, builtIn: true }], /Profile 1 \(DB\), builtIn/],
      [[{ ...db, command: 'rm -rf /' }], /Profile 1 \(DB\): unknown field "command"/],
      [[{ ...db, id: 'server' }], /Profile 1 \(DB\), id: a custom profile id is custom: and a slug/],
      [[db, db], /profile ids must be unique/],
      [[{ ...db, name: 'x\u001b[31m' }], /Profile 1 \(x\\x1b\[31m\), name: no control or bidirectional characters/],
      [[{ ...db, probes: '5' }], /Profile 1 \(DB\), probes: probes must be a whole number/],
    ];
    for (const [file, message] of cases) {
      const result = parseProfilesFile(JSON.stringify(file));
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toMatch(message);
    }
  });

  it('merges an import into the saved profiles: same id replaces, others are added', () => {
    const renamed = { ...db, name: 'Postgres' };
    expect(mergeImported([db], [renamed, lb])).toEqual({ profiles: [renamed, lb], added: 1, replaced: 1 });
  });

  it('refuses a merge that would exceed the hundred profiles the core keeps', () => {
    const many = Array.from({ length: 101 }, (_, i) => ({ ...db, id: `custom:p${i}`, name: `P${i}` }));
    expect(checkMerged(many)).toBe('Nothing was imported: at most 100 custom profiles can be saved, and with this file there would be 101.');
    expect(checkMerged([db, lb])).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import {
  checkField,
  checkValues,
  detectionMs,
  parseProfileSpec,
  PRESETS,
  PROFILE_LIMITS,
  profileSpec,
  resolveProfile,
  type KeepaliveProfile,
} from '../../../shared/profiles';

describe('presets', () => {
  it('every preset is within the kernel limits, with a unique id, a name and a one-line rationale', () => {
    expect(new Set(PRESETS.map((p) => p.id)).size).toBe(PRESETS.length);
    for (const preset of PRESETS) {
      expect(checkValues(preset), preset.id).toEqual({ ok: true, value: { timeSec: preset.timeSec, intervalSec: preset.intervalSec, probes: preset.probes } });
      expect(preset.builtIn).toBe(true);
      expect(preset.name.length).toBeGreaterThan(0);
      expect(preset.rationale).not.toContain('\n');
      expect(preset.rationale.length).toBeGreaterThan(10);
      // A preset's spec resolves to the same values: what the CLI prints can be typed back.
      expect(resolveProfile(profileSpec(preset))).toMatchObject({ ok: true, value: { timeSec: preset.timeSec, intervalSec: preset.intervalSec, probes: preset.probes } });
    }
  });

  it('holds the values the issue names', () => {
    expect(PRESETS.map((p) => `${p.id} ${profileSpec(p)}`)).toEqual([
      'kernel-default 7200/75/9',
      'server 600/60/5',
      'web-server 900/60/5',
      'cloud-nat 180/30/5',
      'fast-detect 60/10/6',
    ]);
  });

  it('says in each rationale what its values do: detection times match the arithmetic', () => {
    const byId = Object.fromEntries(PRESETS.map((p) => [p.id, p]));
    expect(detectionMs(byId['kernel-default']!)).toBe((2 * 3600 + 11 * 60 + 15) * 1000);
    expect(byId['kernel-default']!.rationale).toContain('2 h 11 min');
    expect(detectionMs(byId['web-server']!)).toBe(20 * 60_000);
    expect(byId['web-server']!.rationale).toContain('20 min');
    expect(detectionMs(byId['fast-detect']!)).toBeLessThanOrEqual(2 * 60_000);
    // cloud-nat's first probe comes before AWS's 350 s and Azure's 240 s.
    expect(byId['cloud-nat']!.timeSec).toBeLessThan(240);
  });
});

describe('parseProfileSpec', () => {
  it('accepts TIME/INTERVAL/PROBES in whole seconds, and the limits themselves', () => {
    expect(parseProfileSpec('600/60/5')).toEqual({ ok: true, value: { timeSec: 600, intervalSec: 60, probes: 5 } });
    expect(parseProfileSpec('1/1/1')).toMatchObject({ ok: true });
    expect(parseProfileSpec('32767/32767/255')).toMatchObject({ ok: true });
    // Surrounding space is what a pasted value carries; it is not part of any number.
    expect(parseProfileSpec(' 600/60/5 ')).toMatchObject({ ok: true, value: { timeSec: 600 } });
  });

  it.each([
    ['0/60/5', 'time', '1–32767 s', 'got 0'],
    ['32768/1/1', 'time', '1–32767 s', 'got 32768'],
    ['1/0/1', 'interval', '1–32767 s', 'got 0'],
    ['1/32768/1', 'interval', '1–32767 s', 'got 32768'],
    ['1/1/256', 'probes', '1–255', 'got 256'],
    ['1/1/0', 'probes', '1–255', 'got 0'],
    ['6e2/60/5', 'time', '1–32767 s', '"6e2"'],
    ['-1/60/5', 'time', '1–32767 s', '"-1"'],
    ['600.5/60/5', 'time', '1–32767 s', '"600.5"'],
    ['+600/60/5', 'time', '1–32767 s', '"+600"'],
    [' 600/60/5x', 'probes', '1–255', '"5x"'],
    ['600/ 60/5', 'interval', '1–32767 s', '" 60"'],
    ['600//5', 'interval', '1–32767 s', '""'],
    ['99999999999/60/5', 'time', '1–32767 s', '"99999999999"'],
  ])('refuses %j, naming %s and its range', (spec, field, range, detail) => {
    const result = parseProfileSpec(spec);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatch(new RegExp(`^${field} must be`));
    expect(result.error).toContain(range);
    expect(result.error).toContain(detail);
  });

  it.each(['600/60', '600/60/5/1', '600', '', 'server', '600-60-5'])('refuses %j as not three values, naming every field and its range', (spec) => {
    const result = parseProfileSpec(spec);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toContain('TIME/INTERVAL/PROBES');
    expect(result.error).toContain('time 1–32767 s, interval 1–32767 s, probes 1–255');
  });

  it('quotes hostile text shortened and printable, so a message cannot move a terminal cursor', () => {
    const result = parseProfileSpec(`\u001b[2J${'9'.repeat(100)}/1/1`);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).not.toContain('\u001b');
    expect(result.error).toContain('\\x1b');
    expect(result.error.length).toBeLessThan(120);
  });
});

describe('checkField and checkValues', () => {
  it('refuse non-integers and values out of range, by field', () => {
    expect(checkField('timeSec', 600)).toEqual({ ok: true, value: 600 });
    expect(checkField('timeSec', 600.5)).toMatchObject({ ok: false, error: 'time must be a whole number from 1–32767 s' });
    expect(checkField('probes', '5')).toMatchObject({ ok: false });
    expect(checkField('probes', Number.NaN)).toMatchObject({ ok: false });
    expect(checkField('intervalSec', PROFILE_LIMITS.intervalSec.max + 1)).toMatchObject({ ok: false, error: 'interval must be from 1–32767 s, got 32768' });
    expect(checkValues({ timeSec: 600, intervalSec: 60, probes: 300 })).toMatchObject({ ok: false, error: 'probes must be from 1–255, got 300' });
  });
});

describe('resolveProfile', () => {
  const custom: KeepaliveProfile[] = [{ id: 'custom:db', name: 'Database', timeSec: 300, intervalSec: 30, probes: 4, rationale: 'For the pooler.', builtIn: false }];

  it('finds a preset or a saved profile by id', () => {
    expect(resolveProfile('server')).toMatchObject({ ok: true, value: { id: 'server', timeSec: 600, builtIn: true } });
    expect(resolveProfile('custom:db', custom)).toMatchObject({ ok: true, value: { name: 'Database', timeSec: 300 } });
  });

  it('makes an unnamed profile of a spec, with the spec as its id', () => {
    expect(resolveProfile('120/15/4')).toEqual({
      ok: true,
      value: { id: '120/15/4', name: '120/15/4', rationale: 'Custom values.', builtIn: false, timeSec: 120, intervalSec: 15, probes: 4 },
    });
  });

  it('refuses a spec out of range naming the field, even one that does not start with a digit', () => {
    expect(resolveProfile('0/60/5')).toMatchObject({ ok: false, error: expect.stringMatching(/^time must be .*1–32767 s/) });
    expect(resolveProfile('-1/60/5')).toMatchObject({ ok: false, error: expect.stringMatching(/^time must be a whole number/) });
    expect(resolveProfile('600/60')).toMatchObject({ ok: false, error: expect.stringContaining('TIME/INTERVAL/PROBES') });
  });

  it('refuses an unknown id, listing the ids that exist (saved ones too) and the spec form', () => {
    const result = resolveProfile('sever', custom);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toContain('unknown profile "sever"');
    for (const id of ['kernel-default', 'server', 'web-server', 'cloud-nat', 'fast-detect', 'custom:db']) expect(result.error).toContain(id);
    expect(result.error).toContain('600/60/5');
    expect(resolveProfile('custom:db')).toMatchObject({ ok: false });
  });
});

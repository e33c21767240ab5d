import { describe, expect, it } from 'vitest';
import { describeMatch, RULE_PRESETS, type IdleRule } from '../../../../shared/rules';
import { draftFromPreset, draftFromRule, emptyDraft, newRuleId, ruleFromDraft, type RuleDraft } from '../../../../renderer/src/rules/rule-form';

const id = () => 'rule-new';
const draft = (over: Partial<RuleDraft>): RuleDraft => ({ ...emptyDraft(), name: 'NAT', idleTimeoutSec: '350', ...over });
const errorsOf = (d: RuleDraft, others: IdleRule[] = []) => {
  const result = ruleFromDraft(d, others, id);
  return result.ok ? {} : result.errors;
};

describe('ruleFromDraft', () => {
  it('turns the text of the form into a rule, numbers as numbers and empty matches left out', () => {
    const result = ruleFromDraft(draft({ name: '  AWS NAT  ', remotePort: '443', remoteCidr: ' 10.0.0.0/8 ' }), [], id);
    expect(result).toEqual({
      ok: true,
      rule: { id: 'rule-new', name: 'AWS NAT', kind: 'middlebox', idleTimeoutSec: 350, match: { remotePort: 443, remoteCidr: '10.0.0.0/8' }, enabled: true },
    });
  });

  it('explains a missing name, timeout and a bad port or network in words for each field', () => {
    const errors = errorsOf(draft({ name: ' ', idleTimeoutSec: '', remotePort: '70000', localPort: 'http', remoteCidr: '10.0.0.300/8' }));
    expect(errors).toEqual({
      name: 'Give the rule a name; it labels the connections it drops.',
      idleTimeoutSec: 'Enter the idle timeout in seconds.',
      remotePort: 'A port from 1 to 65535, or empty for any.',
      localPort: 'A port from 1 to 65535, or empty for any.',
      remoteCidr: 'An IP address or network such as 10.0.0.0/8 or 2001:db8::/32, or empty for any.',
    });
  });

  it('refuses timeouts the contract refuses: fractions, zero, more than a week', () => {
    expect(errorsOf(draft({ idleTimeoutSec: '1.5' })).idleTimeoutSec).toBe('A whole number of seconds, at least 1.');
    expect(errorsOf(draft({ idleTimeoutSec: '0' })).idleTimeoutSec).toBe('A whole number of seconds, at least 1.');
    expect(errorsOf(draft({ idleTimeoutSec: '604801' })).idleTimeoutSec).toBe('At most 604800 s (a week).');
    expect(errorsOf(draft({ idleTimeoutSec: '5 min' })).idleTimeoutSec).toBe('A whole number of seconds, at least 1.');
  });

  it('refuses a second rule with the same name, but lets a rule keep its own', () => {
    const saved: IdleRule = { id: 'r1', name: 'NAT', kind: 'middlebox', idleTimeoutSec: 350, match: {}, enabled: true };
    expect(errorsOf(draft({ name: 'nat' }), [saved]).name).toMatch(/^Another rule has this name/);
    expect(ruleFromDraft(draftFromRule(saved), [saved], id).ok).toBe(true);
  });

  it('refuses a name with control characters, which would reorder or break the table', () => {
    expect(errorsOf(draft({ name: '\u202eTAN SWA' })).name).toMatch(/^No control characters/);
  });

  it('edits a saved name with control characters in the escaped form the list shows', () => {
    const saved: IdleRule = { id: 'r1', name: '\u202eNAT', kind: 'middlebox', idleTimeoutSec: 350, match: {}, enabled: true };
    const edited = draftFromRule(saved);
    expect(edited.name).toBe('\\u202eNAT');
    expect(ruleFromDraft(edited, [saved], id)).toMatchObject({ ok: true, rule: { name: '\\u202eNAT' } });
  });

  it('keeps the id of a rule being edited', () => {
    const saved: IdleRule = { id: 'r1', name: 'nginx', kind: 'application', idleTimeoutSec: 75, match: { localPort: 80 }, enabled: false };
    expect(ruleFromDraft({ ...draftFromRule(saved), idleTimeoutSec: '60' }, [saved], id)).toEqual({
      ok: true,
      rule: { ...saved, idleTimeoutSec: 60 },
    });
  });
});

describe('presets', () => {
  it('fill name, kind and timeout from RULE_PRESETS and keep the match typed so far', () => {
    const nginx = RULE_PRESETS.find((p) => p.name.startsWith('nginx'))!;
    const d = draftFromPreset(nginx, draft({ localPort: '80' }));
    expect(d).toMatchObject({ name: nginx.name, kind: 'application', idleTimeoutSec: '75', localPort: '80' });
    for (const preset of RULE_PRESETS) expect(ruleFromDraft(draftFromPreset(preset), [], id).ok).toBe(true);
  });
});

describe('describeMatch and newRuleId', () => {
  it('describes what a rule applies to', () => {
    expect(describeMatch({ match: {} })).toBe('every connection');
    expect(describeMatch({ match: { remoteCidr: '10.0.0.0/8', remotePort: 443 } })).toBe('peer 10.0.0.0/8, remote port 443');
  });
  it('makes distinct ids the schema accepts', () => {
    const a = newRuleId();
    expect(a).toMatch(/^rule-[0-9a-f]{16}$/);
    expect(newRuleId()).not.toBe(a);
  });
});

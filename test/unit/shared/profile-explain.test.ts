import { describe, expect, it } from 'vitest';
import { describeProfile, listWords } from '../../../shared/profile-explain';
import { PRESETS } from '../../../shared/profiles';
import type { IdleRule } from '../../../shared/rules';

const preset = (id: string) => PRESETS.find((p) => p.id === id)!;
const rule = (over: Partial<IdleRule> & Pick<IdleRule, 'name' | 'idleTimeoutSec'>): IdleRule => ({
  id: over.name,
  kind: 'middlebox',
  match: {},
  enabled: true,
  ...over,
});

describe('describeProfile: detection', () => {
  it('says when a silent peer is detected, with the values behind it', () => {
    expect(describeProfile(preset('kernel-default'), [])[0]).toBe('A silent peer is detected 2 h 11 min after its last packet (7200 s idle, then 9 probes 75 s apart).');
    expect(describeProfile(preset('server'), [])[0]).toBe('A silent peer is detected 15 min after its last packet (600 s idle, then 5 probes 60 s apart).');
    expect(describeProfile({ timeSec: 30, intervalSec: 10, probes: 1 }, [])[0]).toContain('then 1 probe 10 s apart');
  });

  it('ends with who is probed at all', () => {
    expect(describeProfile(preset('server'), []).at(-1)).toContain('SO_KEEPALIVE');
  });
});

describe('describeProfile: the well-known middleboxes', () => {
  it('cloud-nat keeps AWS (350 s), Azure (4 min) and GCP Cloud NAT (20 min) flows alive: its first probe comes before each timeout', () => {
    const lines = describeProfile(preset('cloud-nat'), []);
    const kept = lines.find((l) => l.startsWith('It keeps flows alive through the well-known middleboxes'))!;
    expect(kept).toContain('AWS NLB / NAT Gateway (5 min 50 s)');
    expect(kept).toContain('Azure Load Balancer (4 min)');
    expect(kept).toContain('GCP Cloud NAT (20 min)');
    expect(kept).toContain('after 3 min idle');
    expect(lines.some((l) => l.startsWith('It does not keep'))).toBe(false);
  });

  it('server keeps GCP Cloud NAT (1200 s) alive but not AWS (350 s) nor Azure (240 s), and says why', () => {
    const lines = describeProfile(preset('server'), []);
    expect(lines).toContain(
      'It keeps flows alive through the well-known middlebox GCP Cloud NAT (20 min): its first probe, after 10 min idle, comes before that idle timeout.',
    );
    expect(lines).toContain(
      'It does not keep flows alive through the well-known middleboxes AWS NLB / NAT Gateway (5 min 50 s) and Azure Load Balancer (4 min): ' +
        'they forget an idle flow before the first probe, which comes after 10 min.',
    );
  });

  it('the kernel default keeps none of them alive', () => {
    const lines = describeProfile(preset('kernel-default'), []);
    expect(lines.some((l) => l.startsWith('It keeps flows alive'))).toBe(false);
    expect(lines.find((l) => l.startsWith('It does not keep'))).toContain('GCP Cloud NAT');
  });

  it('a first probe exactly at a timeout does not count as before it (the timer wheel only fires late)', () => {
    const lines = describeProfile({ timeSec: 240, intervalSec: 30, probes: 5 }, []);
    expect(lines.find((l) => l.startsWith('It does not keep'))).toContain('Azure Load Balancer (4 min)');
    expect(lines.find((l) => l.startsWith('It keeps'))).toContain('AWS NLB / NAT Gateway');
  });
});

describe("describeProfile: the user's rules", () => {
  it("names the user's middlebox rules kept alive and not, apart from the well-known ones", () => {
    const rules = [rule({ name: 'corp firewall', idleTimeoutSec: 3600 }), rule({ name: 'branch NAT', idleTimeoutSec: 300 })];
    const lines = describeProfile(preset('server'), rules);
    expect(lines).toContain(
      'It keeps flows alive through your middlebox “corp firewall” (1 h): its first probe, after 10 min idle, comes before that idle timeout.',
    );
    expect(lines).toContain('It does not keep flows alive through your middlebox “branch NAT” (5 min): it forgets an idle flow before the first probe, which comes after 10 min.');
  });

  it('names a well-known middlebox once, as the user’s rule, when the user has a rule of that name', () => {
    const lines = describeProfile(preset('server'), [rule({ name: 'Azure Load Balancer', idleTimeoutSec: 1800 })]);
    const text = lines.join('\n');
    expect(text.match(/Azure Load Balancer/g)).toHaveLength(1);
    expect(text).toContain('your middlebox “Azure Load Balancer” (30 min)');
  });

  it('says application rules are never kept alive by keepalive, whatever the profile', () => {
    const rules = [rule({ name: 'nginx', kind: 'application', idleTimeoutSec: 75 }), rule({ name: 'pgbouncer', kind: 'application', idleTimeoutSec: 600 })];
    for (const id of ['fast-detect', 'kernel-default']) {
      const line = describeProfile(preset(id), rules).find((l) => l.startsWith('Your application rules'));
      expect(line).toBe(
        'Your application rules “nginx” (1 min 15 s) and “pgbouncer” (10 min) close idle connections whatever the profile: ' +
          "keepalive probes carry no data, so they never keep an application's idle timer alive.",
      );
    }
    expect(describeProfile(preset('server'), [rules[0]!]).some((l) => l.startsWith('Your application rule “nginx” (1 min 15 s) closes'))).toBe(true);
  });

  it('skips disabled rules, and shows rule names as the rule list does (controls made visible)', () => {
    const lines = describeProfile(preset('server'), [
      rule({ name: 'off', idleTimeoutSec: 60, enabled: false }),
      rule({ name: 'odd\u0007name', idleTimeoutSec: 60 }),
    ]);
    const text = lines.join('\n');
    expect(text).not.toContain('“off”');
    expect(text).toContain('“odd\\x07name”');
    expect(text).not.toContain('\u0007');
  });
});

describe('listWords', () => {
  it('joins like a sentence', () => {
    expect(listWords([])).toBe('');
    expect(listWords(['a'])).toBe('a');
    expect(listWords(['a', 'b'])).toBe('a and b');
    expect(listWords(['a', 'b', 'c'])).toBe('a, b and c');
  });
});

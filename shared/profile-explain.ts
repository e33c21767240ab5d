/**
 * A keepalive profile in plain sentences, for the Profiles panel's cards, the preview, the CLI and
 * reports alike: when a silent peer is detected, and which idle timeouts — the user's rules and
 * the well-known middleboxes of ./rules.ts — its first probe comes before. Pure: it needs only the
 * profile's values and the rules, not a snapshot.
 */
import { ruleLabel } from './labels';
import { detectionMs, type KeepaliveValues } from './profiles';
import { RULE_PRESETS, type IdleRule } from './rules';
import { formatDurationWords } from './time-format';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "a", "a and b", "a, b and c" */
export function listWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

interface Timeout {
  label: string;
  idleTimeoutSec: number;
}

const named = (t: Timeout) => `${t.label} (${formatDurationWords(t.idleTimeoutSec * 1000)})`;

/**
 * A middlebox forgets a flow that stays idle for its timeout; each probe, and the peer's answer,
 * is a packet that refreshes it. While the peer answers, probes go out `time` after the last
 * answer, so the first probe coming before the timeout keeps the flow alive for good. Strictly
 * before: at equal times the timer wheel's rounding (KEEPALIVE.md §7) makes the probe late.
 */
const keptAlive = (values: KeepaliveValues, t: Timeout) => values.timeSec < t.idleTimeoutSec;

function middleboxSentences(values: KeepaliveValues, timeouts: readonly Timeout[], one: string, many: string): string[] {
  const through = (group: readonly Timeout[]) => `${group.length === 1 ? one : many} ${listWords(group.map(named))}`;
  const kept = timeouts.filter((t) => keptAlive(values, t));
  const lost = timeouts.filter((t) => !keptAlive(values, t));
  const first = formatDurationWords(values.timeSec * 1000);
  const lines: string[] = [];
  if (kept.length > 0) {
    lines.push(`It keeps flows alive through ${through(kept)}: its first probe, after ${first} idle, comes before ${kept.length === 1 ? 'that idle timeout' : 'their idle timeouts'}.`);
  }
  if (lost.length > 0) {
    lines.push(
      `It does not keep flows alive through ${through(lost)}: ` +
        `${lost.length === 1 ? 'it forgets' : 'they forget'} an idle flow before the first probe, which comes after ${first}.`,
    );
  }
  return lines;
}

/**
 * The profile in sentences: detection time; the user's middlebox rules and the well-known
 * middleboxes it keeps alive and those it does not; the user's application rules, which no
 * keepalive setting can keep alive. Only enabled rules count; a well-known middlebox the user
 * already has a rule of the same name for is named once, as the user's.
 */
export function describeProfile(values: KeepaliveValues, rules: readonly IdleRule[]): string[] {
  const lines = [
    `A silent peer is detected ${formatDurationWords(detectionMs(values))} after its last packet ` +
      `(${values.timeSec} s idle, then ${plural(values.probes, 'probe')} ${values.intervalSec} s apart).`,
  ];
  const enabled = rules.filter((r) => r.enabled);
  const yours = enabled.filter((r) => r.kind === 'middlebox').map((r) => ({ label: `“${ruleLabel(r)}”`, idleTimeoutSec: r.idleTimeoutSec }));
  lines.push(...middleboxSentences(values, yours, 'your middlebox', 'your middleboxes'));

  const names = new Set(enabled.map((r) => r.name));
  const known = RULE_PRESETS.filter((p) => p.kind === 'middlebox' && !names.has(p.name)).map((p) => ({ label: p.name, idleTimeoutSec: p.idleTimeoutSec }));
  lines.push(...middleboxSentences(values, known, 'the well-known middlebox', 'the well-known middleboxes'));

  const applications = enabled.filter((r) => r.kind === 'application');
  if (applications.length > 0) {
    const list = listWords(applications.map((r) => named({ label: `“${ruleLabel(r)}”`, idleTimeoutSec: r.idleTimeoutSec })));
    lines.push(
      `Your application ${applications.length === 1 ? 'rule' : 'rules'} ${list} ${applications.length === 1 ? 'closes' : 'close'} idle connections whatever the profile: ` +
        "keepalive probes carry no data, so they never keep an application's idle timer alive.",
    );
  }
  lines.push('Only connections whose program turned keepalive on (SO_KEEPALIVE) are probed; the others are not affected by any profile.');
  return lines;
}

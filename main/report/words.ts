/**
 * What a report says in plain words about the settings in force and the rules it assumed: the
 * same sentences the app's settings panel, profile cards and rules list show (shared/explain.ts,
 * shared/profile-explain.ts, the rules editor's describeMatch), so a report never explains a
 * setting differently from the screen it was exported from.
 */
import { explainClock, explainSettings, type SettingExplanation } from '../../shared/explain';
import { ruleLabel } from '../../shared/labels';
import type { Snapshot } from '../../shared/model';
import { describeProfile } from '../../shared/profile-explain';
import { describeMatch, type IdleRule, type RuleKind } from '../../shared/rules';
import { keepaliveValuesOf, settingsSummary } from '../../shared/settings';
import { formatDurationWords } from '../../shared/time-format';
import { reportLabel } from './text';

export interface SettingsWords {
  /** "keepalive 600s / 60s × 5 · tcp_retries2 15" */
  summary: string;
  /** "A silent peer is detected 15 min after its last packet (…)." */
  detection: string;
  settings: SettingExplanation[];
  /** Where the settings apply and how a program overrides them. */
  scope: string;
  clock: { headline: string; text: string };
  /** Which middleboxes (the rules', the well-known ones) these values keep flows alive through. */
  middleboxes: string[];
}

export function settingsWords(snapshot: Pick<Snapshot, 'settings' | 'clock'>, rules: readonly IdleRule[]): SettingsWords {
  const explained = explainSettings(snapshot.settings);
  return {
    summary: settingsSummary(snapshot.settings),
    detection: explained.detection,
    settings: explained.settings,
    scope: explained.scope,
    clock: explainClock(snapshot.clock),
    // describeProfile's first sentence is the detection time, said above in the settings' own terms.
    middleboxes: describeProfile(keepaliveValuesOf(snapshot.settings), rules).slice(1),
  };
}

export interface RuleWords {
  /** As the rules list shows it (ruleLabel), bounded. */
  name: string;
  kind: RuleKind;
  idleTimeoutSec: number;
  enabled: boolean;
  /** "Middlebox · closes after 5 min 50 s idle · remote port 443" */
  text: string;
}

export function ruleWords(rule: IdleRule): RuleWords {
  return {
    name: reportLabel(ruleLabel(rule), 200),
    kind: rule.kind,
    idleTimeoutSec: rule.idleTimeoutSec,
    enabled: rule.enabled,
    text:
      `${rule.kind === 'middlebox' ? 'Middlebox' : 'Application'} · closes after ${formatDurationWords(rule.idleTimeoutSec * 1000)} idle · ` +
      `${reportLabel(describeMatch(rule), 200)}${rule.enabled ? '' : ' · disabled'}`,
  };
}

/**
 * The rules editor's form: what the inputs hold (text) and the IdleRule it becomes. Validation
 * is the contract's own IdleRuleSchema, so the form refuses exactly what the core would; its
 * messages are rewritten per field in words an administrator can act on.
 */
import type { z } from 'zod';
import { IdleRuleSchema } from '../../../shared/api/schemas';
import { hasControls, visibleControls } from '../../../shared/labels';
import type { IdleRule, RuleKind, RulePreset } from '../../../shared/rules';

export interface RuleDraft {
  /** null while the rule is new. */
  id: string | null;
  name: string;
  kind: RuleKind;
  idleTimeoutSec: string;
  remotePort: string;
  localPort: string;
  remoteCidr: string;
  enabled: boolean;
}

export type DraftField = 'name' | 'kind' | 'idleTimeoutSec' | 'remotePort' | 'localPort' | 'remoteCidr';
export type DraftErrors = Partial<Record<DraftField | 'form', string>>;

export type DraftResult = { ok: true; rule: IdleRule } | { ok: false; errors: DraftErrors };

export function emptyDraft(): RuleDraft {
  return { id: null, name: '', kind: 'middlebox', idleTimeoutSec: '', remotePort: '', localPort: '', remoteCidr: '', enabled: true };
}

/** A saved name with control characters (a hand-edited file) is edited in its printable form, as the list shows it. */
export function draftFromRule(rule: IdleRule): RuleDraft {
  const text = (n: number | undefined) => (n === undefined ? '' : String(n));
  return {
    id: rule.id,
    name: visibleControls(rule.name),
    kind: rule.kind,
    idleTimeoutSec: String(rule.idleTimeoutSec),
    remotePort: text(rule.match.remotePort),
    localPort: text(rule.match.localPort),
    remoteCidr: rule.match.remoteCidr ?? '',
    enabled: rule.enabled,
  };
}

/** A preset fills name, kind and timeout; the match stays for the administrator to narrow. */
export function draftFromPreset(preset: RulePreset, current: RuleDraft = emptyDraft()): RuleDraft {
  return { ...current, name: preset.name, kind: preset.kind, idleTimeoutSec: String(preset.idleTimeoutSec) };
}

/** Text → number for the schema; text that is not a number stays text, so the schema says it is wrong. */
function numberOrText(text: string): number | string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  return /^[+-]?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : trimmed;
}

const MESSAGES: Record<DraftField, (issue: z.core.$ZodIssue, draft: RuleDraft) => string> = {
  name: (issue, draft) =>
    issue.code === 'too_big'
      ? 'At most 80 characters.'
      : hasControls(draft.name)
        ? 'No control characters: a name is shown in the table and the detail pane.'
        : 'Give the rule a name; it labels the connections it drops.',
  kind: () => 'Choose middlebox or application.',
  idleTimeoutSec: (issue, draft) =>
    draft.idleTimeoutSec.trim() === ''
      ? 'Enter the idle timeout in seconds.'
      : issue.code === 'too_big'
        ? 'At most 604800 s (a week).'
        : 'A whole number of seconds, at least 1.',
  remotePort: () => 'A port from 1 to 65535, or empty for any.',
  localPort: () => 'A port from 1 to 65535, or empty for any.',
  remoteCidr: () => 'An IP address or network such as 10.0.0.0/8 or 2001:db8::/32, or empty for any.',
};

function fieldOf(path: readonly PropertyKey[]): DraftField | null {
  const last = path[path.length - 1];
  return typeof last === 'string' && last in MESSAGES ? (last as DraftField) : null;
}

/**
 * The rule the form describes, or a message per field. `others` are the rules already saved
 * (without this one): a rule's name labels the connections it drops, so names must differ.
 */
export function ruleFromDraft(draft: RuleDraft, others: readonly IdleRule[], newId: () => string): DraftResult {
  const match: Record<string, unknown> = {};
  const remotePort = numberOrText(draft.remotePort);
  const localPort = numberOrText(draft.localPort);
  if (remotePort !== undefined) match.remotePort = remotePort;
  if (localPort !== undefined) match.localPort = localPort;
  if (draft.remoteCidr.trim() !== '') match.remoteCidr = draft.remoteCidr.trim();
  const candidate = {
    id: draft.id ?? newId(),
    name: draft.name,
    kind: draft.kind,
    idleTimeoutSec: numberOrText(draft.idleTimeoutSec),
    match,
    enabled: draft.enabled,
  };
  const parsed = IdleRuleSchema.safeParse(candidate);
  const errors: DraftErrors = {};
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = fieldOf(issue.path);
      if (field) errors[field] ??= MESSAGES[field](issue, draft);
      else errors.form ??= issue.message;
    }
  }
  const name = draft.name.trim().toLowerCase();
  if (!errors.name && others.some((r) => r.id !== draft.id && r.name.trim().toLowerCase() === name)) {
    errors.name = 'Another rule has this name; names label the connections a rule drops.';
  }
  if (!parsed.success || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, rule: parsed.data as IdleRule };
}

/** A rule id: random, from the one RNG every page has (crypto.randomUUID needs a secure context). */
export function newRuleId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `rule-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}


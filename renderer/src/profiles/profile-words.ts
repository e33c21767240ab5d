/**
 * The Profiles panel's words: values, the settings in force and after the next boot, the
 * summary of a preview, what an apply will change, and the history. Pure, so the sentences are
 * tested as they are shown. Everything that comes from outside (paths, profile names, users,
 * the helper's messages) goes through printable().
 */
import type { BootSettings, HistoryEntry, KeepaliveValuesWire, Preview, ProfilesView, SettingChange } from '../../../shared/api/schemas';
import { printable } from '../../../shared/format';
import { LINUX_KEEPALIVE_DROP_IN, PRESETS, profileSpec, type KeepaliveValues } from '../../../shared/profiles';
import { formatDurationWords } from '../../../shared/time-format';

/** Idlewatch's drop-in (KEEPALIVE.md §6): the one file an apply that persists writes. */
/** Where a persisted profile lives (shared/profiles.ts; the helper writes it). */
export const DROP_IN_PATH = LINUX_KEEPALIVE_DROP_IN;

const KERNEL_DEFAULT = PRESETS.find((p) => p.id === 'kernel-default')!;

/** "600 s / 60 s × 5": idle time, interval, probes. */
export function valuesText(v: KeepaliveValues): string {
  return `${v.timeSec} s / ${v.intervalSec} s × ${v.probes}`;
}

export const sameValues = (a: KeepaliveValues | null, b: KeepaliveValues | null): boolean =>
  a !== null && b !== null && a.timeSec === b.timeSec && a.intervalSec === b.intervalSec && a.probes === b.probes;

/** The values the next boot sets, a field no file sets taking the kernel's default. */
export function bootValues(boot: BootSettings): KeepaliveValues {
  return {
    timeSec: boot.timeSec ?? KERNEL_DEFAULT.timeSec,
    intervalSec: boot.intervalSec ?? KERNEL_DEFAULT.intervalSec,
    probes: boot.probes ?? KERNEL_DEFAULT.probes,
  };
}

/** Fields no sysctl file sets, so the kernel's default holds at boot. */
export function bootDefaults(boot: BootSettings): string[] {
  const names: [keyof KeepaliveValues, string][] = [
    ['timeSec', 'tcp_keepalive_time'],
    ['intervalSec', 'tcp_keepalive_intvl'],
    ['probes', 'tcp_keepalive_probes'],
  ];
  return names.filter(([field]) => boot[field] === null).map(([, name]) => name);
}

/** "/etc/sysctl.d/zzz-other.conf sets tcp_keepalive_time = 300 later and wins at boot." */
export function overrideText(o: BootSettings['overriddenBy'][number]): string {
  return `${printable(o.path)} sets ${printable(o.key)} = ${o.value} later and wins at boot.`;
}

/** Ids of the profiles whose values are exactly these (a custom profile may repeat a preset). */
export function matchingIds(values: KeepaliveValues | null, profiles: readonly (KeepaliveValues & { id: string })[]): Set<string> {
  return new Set(values === null ? [] : profiles.filter((p) => sameValues(p, values)).map((p) => p.id));
}

/** The name of the profile with these values, for "in force now: Server (600 s / 60 s × 5)". */
export function profileNameFor(values: KeepaliveValues, view: Pick<ProfilesView, 'presets' | 'custom'>): string | null {
  const match = [...view.presets, ...view.custom].find((p) => sameValues(p, values));
  return match ? printable(match.name) : null;
}

/** "2 h 11 min → 15 min (1 h 56 min sooner)". */
export function detectionChangeText(nowMs: number, afterMs: number): string {
  const base = `${formatDurationWords(nowMs)} → ${formatDurationWords(afterMs)}`;
  if (nowMs === afterMs) return `${base} (no change)`;
  return `${base} (${formatDurationWords(Math.abs(nowMs - afterMs))} ${afterMs < nowMs ? 'sooner' : 'later'})`;
}

export type Tone = 'good' | 'bad' | 'note' | 'plain';

export interface SummaryLine {
  text: string;
  tone: Tone;
}

const plural = (n: number, one: string, many: string) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** The preview's summary, a line per fact, each saying what it means. */
export function summaryLines(summary: Preview['summary']): SummaryLine[] {
  const lines: SummaryLine[] = [
    { text: `${plural(summary.connections, 'connection is', 'connections are')} open now.`, tone: 'plain' },
    {
      text:
        summary.saved > 0
          ? `Saves ${plural(summary.saved, 'connection', 'connections')} from an idle-timeout rule: at risk today, safe after.`
          : 'Saves no connection from an idle-timeout rule.',
      tone: summary.saved > 0 ? 'good' : 'plain',
    },
    {
      text:
        summary.newlyAtRisk > 0
          ? `Puts ${plural(summary.newlyAtRisk, 'connection', 'connections')} newly at risk: safe today, closed by a rule before the first probe after.`
          : 'Puts no connection newly at risk.',
      tone: summary.newlyAtRisk > 0 ? 'bad' : 'plain',
    },
  ];
  if (summary.ownSettings > 0) {
    lines.push({
      text: `${plural(summary.ownSettings, 'connection has its', 'connections have their')} own keepalive values (TCP_KEEPIDLE/INTVL/CNT): not affected.`,
      tone: 'note',
    });
  }
  if (summary.armedTimer > 0) {
    lines.push({
      text: `${plural(summary.armedTimer, 'connection keeps its', 'connections keep their')} armed keepalive timer: the new values reach ${summary.armedTimer === 1 ? 'it' : 'them'} when the timer next fires.`,
      tone: 'note',
    });
  }
  lines.push({ text: `Silent-peer detection: ${detectionChangeText(summary.detectionNowMs, summary.detectionAfterMs)}.`, tone: 'plain' });
  return lines;
}

/** "net.ipv4.tcp_keepalive_time 7200 → 600". */
export function changeText(change: SettingChange): string {
  return `${printable(change.key)} ${change.from} → ${change.to}`;
}

/** What persisting means, for the confirmation: where the values go, and what will hold after a reboot. */
export function persistenceText(persist: boolean, view: Pick<ProfilesView, 'afterBoot'> | null): string {
  if (persist) {
    const path = view?.afterBoot?.dropIn ?? DROP_IN_PATH;
    return `Persisted to ${printable(path)} (written whole, then renamed into place; no other file is touched).`;
  }
  const boot = view?.afterBoot ? bootValues(view.afterBoot) : null;
  return `Runtime only: nothing is written to /etc/sysctl.d${boot ? `, and the next boot sets ${valuesText(boot)} again` : ''}.`;
}

const OUTCOME_WORDS: Record<HistoryEntry['outcome'], string> = {
  applied: 'applied',
  'rolled-back': 'rolled back',
  refused: 'refused',
  failed: 'failed',
};

export function outcomeText(outcome: HistoryEntry['outcome']): string {
  return OUTCOME_WORDS[outcome];
}

export function outcomeTone(outcome: HistoryEntry['outcome']): Tone {
  return outcome === 'applied' ? 'good' : outcome === 'rolled-back' ? 'note' : 'bad';
}

/** "7200/75/9 → 600/60/5", with a dash for a side the helper did not report. */
export function beforeAfterText(entry: Pick<HistoryEntry, 'before' | 'after'>): string {
  const spec = (v: KeepaliveValuesWire | null) => (v === null ? '—' : profileSpec(v));
  return `${spec(entry.before)} → ${spec(entry.after)}`;
}

/** A profile as history and results name it: its name when it is a preset or a saved profile, else the id or spec as recorded. */
export function profileLabel(ref: string, view: Pick<ProfilesView, 'presets' | 'custom'> | null): string {
  const known = view ? [...view.presets, ...view.custom].find((p) => p.id === ref) : undefined;
  return printable(known ? known.name : ref);
}

/** The headline of an apply's or an undo's result; `label` names a profile (profileLabel). */
export function resultHeadline(entry: HistoryEntry, label: (ref: string) => string = printable): string {
  const what = entry.action === 'undo' ? 'Undo' : entry.profile ? label(entry.profile) : 'Profile';
  switch (entry.outcome) {
    case 'applied':
      return entry.action === 'undo'
        ? `Undone: ${entry.after ? valuesText(entry.after) : 'the previous values'} in force again${entry.persisted ? ', persisted' : ''}.`
        : `${what} applied: ${entry.after ? valuesText(entry.after) : ''} in force${entry.persisted ? ' and persisted' : ' until the next boot'}.`;
    case 'rolled-back':
      return `${what} failed and was rolled back: nothing changed.`;
    case 'refused':
      return `${what} was refused: nothing changed.`;
    case 'failed':
      return `${what} failed.`;
  }
}

/**
 * The root command a refusal names (the core puts it in its message: `sudo idlewatch apply …`),
 * shown apart so it can be copied; null when the message names none.
 */
export function rootCommandIn(message: string): string | null {
  const said = /\bas root: *`?((?:sudo|pkexec) [^`\n]+?)`?(?:\.?\s*$|\.\s)/i.exec(message);
  if (said) return said[1]!;
  const quoted = /`((?:sudo|pkexec) [^`\n]+)`/.exec(message);
  if (quoted) return quoted[1]!;
  const bare = /\b((?:sudo|pkexec) [^\n"“”()]+?)(?:[.;)]?\s*$|[.;]\s|\))/.exec(message);
  return bare ? bare[1]!.trim() : null;
}

/**
 * The apply an undo would take back: the newest change that took effect, when it is an apply.
 * Attempts that changed nothing (refused, rolled back, failed) are passed over: the helper's undo
 * restores what came before the last apply that did.
 */
export function undoable(history: readonly HistoryEntry[]): HistoryEntry | null {
  const last = history.find((entry) => entry.outcome === 'applied');
  return last && last.action === 'apply' ? last : null;
}

/**
 * Whether a result's entry and a history entry are the same event: the core answers with its own
 * entry while the history is read back from the helper's log, so the moments may differ a little.
 */
export function sameEvent(a: HistoryEntry, b: HistoryEntry): boolean {
  const spec = (v: KeepaliveValuesWire | null) => (v === null ? null : profileSpec(v));
  return (
    a.action === b.action &&
    a.outcome === b.outcome &&
    Math.abs(a.at - b.at) < 60_000 &&
    spec(a.before) === spec(b.before) &&
    spec(a.after) === spec(b.after)
  );
}

/** Text with its `quoted` parts marked, so commands in a message show as code: [text, code, text, …]. */
export function codeParts(text: string): { text: string; code: boolean }[] {
  const parts = text.split('`');
  // An odd number of backticks: the last one is a plain character.
  if (parts.length % 2 === 0) parts.splice(parts.length - 2, 2, `${parts[parts.length - 2]}\`${parts[parts.length - 1]}`);
  return parts.map((part, i) => ({ text: part, code: i % 2 === 1 })).filter((part) => part.text !== '');
}

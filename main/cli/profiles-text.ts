/**
 * What `idlewatch profiles`, `apply`, `undo` and `history` print as text. Pure: every input,
 * the clock included, is a parameter. Text that came from outside (a message of the helper, a
 * file path, a profile's name) goes through printable() before it reaches the terminal.
 */
import type { HistoryEntry, Preview, ProfilesView } from '../../shared/api/contract';
import { formatPersistWays, persistWays } from '../../shared/container-sysctls';
import { formatDuration, printable } from '../../shared/format';
import type { NetworkNamespace } from '../../shared/model';
import { detectionMs, profileSpec, type KeepaliveProfile, type KeepaliveValues } from '../../shared/profiles';
import { formatDurationWords } from '../../shared/time-format';
import { valuesAfterBoot } from '../core/profiles';

const same = (a: KeepaliveValues | null, b: KeepaliveValues) =>
  a !== null && a.timeSec === b.timeSec && a.intervalSec === b.intervalSec && a.probes === b.probes;

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

function profileRows(profiles: readonly KeepaliveProfile[], inForce: KeepaliveValues | null): string[][] {
  return profiles.map((p) => [
    printable(p.id) + (same(inForce, p) ? ' *' : ''),
    profileSpec(p),
    formatDuration(detectionMs(p)),
    printable(p.rationale),
  ]);
}

/** `idlewatch profiles`: in force now vs after boot (drift flagged, overrides by path), then every profile. */
export function formatProfilesView(view: ProfilesView): string {
  const lines: string[] = [];
  const now = view.inForce;
  lines.push(
    now
      ? `In force now:     ${profileSpec(now)} · a silent peer is found ${formatDurationWords(detectionMs(now))} after its last packet`
      : 'In force now:     unknown (the settings could not be read)',
  );
  if (view.afterBoot) {
    const boot = valuesAfterBoot(view.afterBoot);
    const defaults = (['timeSec', 'intervalSec', 'probes'] as const).filter((f) => view.afterBoot![f] === null);
    const note = defaults.length === 3 ? ' (no file sets them: the kernel defaults)' : defaults.length ? ` (${defaults.join(', ')}: kernel default)` : '';
    lines.push(`After next boot:  ${profileSpec(boot)}${note}${view.drift ? '  ← DIFFERS from what is in force now (drift)' : ''}`);
    if (view.afterBoot.dropIn) lines.push(`Idlewatch's drop-in: ${printable(view.afterBoot.dropIn)}`);
    for (const o of view.afterBoot.overriddenBy) {
      lines.push(`  overridden at boot by ${printable(o.path)}: ${printable(o.key)} = ${o.value} (read later, it wins)`);
    }
  } else {
    lines.push('After next boot:  unknown (the sysctl files could not be read)');
  }
  lines.push(view.apply.available ? 'Apply:            available' : `Apply:            not available: ${printable(view.apply.reason ?? 'no reason given')}`, '');
  const header = ['PROFILE', 'VALUES', 'DEAD PEER FOUND AFTER', 'WHY'];
  lines.push(...table(header, profileRows(view.presets, now)));
  if (view.custom.length) lines.push('', 'Custom profiles:', ...table(header, profileRows(view.custom, now)));
  lines.push('', '* in force now. VALUES are TIME/INTERVAL/PROBES in seconds; apply one with `idlewatch apply PROFILE`.', '');
  return lines.join('\n');
}

/** "network namespace 4026532817 (web-1)": another namespace as the CLI names it. */
export function namespaceName(namespace: Pick<NetworkNamespace, 'id' | 'label'>): string {
  const label = printable(namespace.label);
  return label && label !== namespace.id ? `network namespace ${namespace.id} (${label})` : `network namespace ${namespace.id}`;
}

/**
 * The diff, the what-if summary and the plain-words explanation of a preview; for another
 * namespace than the one Idlewatch runs in (`namespace`), whose connections and settings it was
 * made from, and where an apply is at run time only.
 */
export function formatPreview(preview: Preview, persist: boolean, namespace: NetworkNamespace | null = null): string {
  const p = preview.profile;
  const lines = [`Profile ${printable(p.id)} (${profileSpec(p)}): ${printable(p.rationale)}`, ''];
  if (namespace) lines.splice(1, 0, `In ${namespaceName(namespace)}: its settings and its connections.`);
  if (preview.changes.length === 0) {
    lines.push('Changes: none, these values are already in force.');
  } else {
    lines.push('Changes:');
    const width = Math.max(...preview.changes.map((c) => c.key.length));
    for (const c of preview.changes) lines.push(`  ${printable(c.key).padEnd(width)}  ${c.from} → ${c.to}`);
  }
  if (namespace) lines.push(`  at run time only: ${namespaceName(namespace)} has no sysctl files of its own`, '');
  else lines.push(persist ? '  persisted for the next boot (a drop-in under /etc/sysctl.d)' : '  runtime only: the next boot sets the persisted values again', '');
  lines.push(...summaryLines(preview), '');
  if (preview.explanation.length) lines.push(...preview.explanation.map((line) => printable(line)), '');
  return lines.join('\n');
}

function summaryLines(preview: Preview): string[] {
  const s = preview.summary;
  const lines = [`What it does to the ${s.connections} connections open now:`];
  lines.push(`  saved from a middlebox or application timeout: ${s.saved}`);
  lines.push(`  newly at risk: ${s.newlyAtRisk}`);
  if (s.armedTimer) lines.push(`  ${s.armedTimer} with a keepalive timer already armed keep its expiry: the new values reach them at its next firing`);
  if (s.ownSettings) lines.push(`  ${s.ownSettings} set their own keepalive values (TCP_KEEPIDLE/INTVL/CNT) and are not affected`);
  const delta = s.detectionAfterMs - s.detectionNowMs;
  const how = delta === 0 ? 'as today' : `${formatDurationWords(Math.abs(delta))} ${delta < 0 ? 'sooner' : 'later'}`;
  lines.push(`  a silent peer is found ${formatDurationWords(s.detectionAfterMs)} after its last packet (today ${formatDurationWords(s.detectionNowMs)}): ${how}`);
  return lines;
}

/**
 * What persists values in another namespace, instead of Idlewatch: the container engine's lines
 * (shared/container-sysctls.ts). Empty for the host's.
 */
export function formatPersistInstead(values: KeepaliveValues, namespace: NetworkNamespace): string {
  const ways = persistWays(values, namespace);
  if (ways.length === 0) return '';
  return [
    '',
    `Not persisted: ${namespaceName(namespace)} has no sysctl files of its own, and a new one starts with the kernel defaults (7200/75/9).`,
    `To keep ${profileSpec(values)} there, set it where the namespace is made:`,
    ...formatPersistWays(ways),
    '',
  ].join('\n');
}

/** One apply or undo as the CLI reports it. */
export function formatOutcome(entry: HistoryEntry): string {
  return `${printable(entry.message)}\n`;
}

function when(at: number): string {
  const d = new Date(at);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/**
 * `idlewatch history`: newest first, one line each. Once any change was made in another network
 * namespace, a NETNS column names it (its id; "this" for the one Idlewatch runs in).
 */
export function formatHistory(history: readonly HistoryEntry[]): string {
  if (history.length === 0) return 'No apply or undo recorded yet.\n';
  const withNamespaces = history.some((e) => e.namespace !== null);
  const rows = history.map((e) => [
    when(e.at),
    printable(e.user),
    e.action,
    ...(withNamespaces ? [printable(e.namespace ?? 'this')] : []),
    printable(e.profile ?? '—'),
    e.before ? profileSpec(e.before) : '—',
    e.after ? profileSpec(e.after) : '—',
    e.persisted ? 'yes' : 'no',
    e.outcome,
    printable(e.message),
  ]);
  const header = ['WHEN', 'USER', 'ACTION', ...(withNamespaces ? ['NETNS'] : []), 'PROFILE', 'BEFORE', 'AFTER', 'PERSISTED', 'OUTCOME', 'MESSAGE'];
  return `${table(header, rows).join('\n')}\n`;
}

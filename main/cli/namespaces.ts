/**
 * `idlewatch namespaces [--json]`: every network namespace in use, its keepalive settings next to
 * the host's, how many sockets, idle and at-risk connections it holds. A new namespace starts
 * with the kernel's defaults, not the host's values (KEEPALIVE.md §1.1): the drift mark says
 * where a profile applied on the host does not reach.
 */
import type { NamespacesView, NamespaceSummary } from '../../shared/api/schemas';
import { printable } from '../../shared/format';
import type { KeepaliveSettings } from '../../shared/model';
import { keepaliveTriple } from '../../shared/namespace-drift';
import { keepaliveValuesOf } from '../../shared/settings';
import { namespaceSummaries } from '../core/namespaces';
import { createPlatformAdapter } from '../platform/index';
import { middleboxRules, type NamespacesCommand } from './options';

const COLUMNS = ['', 'ID', 'KIND', 'LABEL', 'PIDS', 'KEEPALIVE', 'RETRIES2', 'SOCKETS', 'IDLE', 'AT RISK', 'NOTE'] as const;
/** A namespace holds many processes; the table names a few, as the model does. */
const PIDS_SHOWN = 3;
const LABEL_MAX = 40;

/** The settings as `--json` gives them: the four values on Linux (the three elsewhere), in seconds. */
export function settingsValues(settings: KeepaliveSettings): Record<string, number> {
  return settings.os === 'linux'
    ? { timeSec: settings.timeSec, intervalSec: settings.intervalSec, probes: settings.probes, retries2: settings.retries2 }
    : keepaliveValuesOf(settings);
}

/** One object per namespace, host first: what `idlewatch namespaces --json` prints. */
export function namespacesJson(view: NamespacesView) {
  return view.namespaces.map((s) => ({
    id: s.namespace.id,
    name: s.namespace.name,
    label: s.namespace.label,
    kind: s.namespace.kind,
    current: s.namespace.current,
    pids: s.namespace.pids,
    settings: s.settings === null ? null : settingsValues(s.settings),
    sockets: s.sockets,
    idle: s.idle,
    atRisk: s.atRisk,
    differsFromHost: s.differsFromHost,
    note: s.note,
    error: s.error,
  }));
}

function pids(s: NamespaceSummary): string {
  const shown = s.namespace.pids.slice(0, PIDS_SHOWN).join(',');
  return s.namespace.pids.length > PIDS_SHOWN ? `${shown},…` : shown || '—';
}

function label(s: NamespaceSummary): string {
  const text = printable(s.namespace.label);
  return text.length > LABEL_MAX ? `${text.slice(0, LABEL_MAX - 1)}…` : text;
}

/**
 * The table: one row per namespace, a `*` before the rows whose settings are not the host's,
 * with the sentence saying how (shared/namespace-drift.ts); a `!` before those that could not be
 * read. Where other namespaces cannot be read, a line says why.
 */
export function formatNamespacesTable(view: NamespacesView): string {
  const rows = view.namespaces.map((s) => [
    s.error !== null ? '!' : s.differsFromHost ? '*' : '',
    s.namespace.id,
    s.namespace.kind,
    label(s),
    pids(s),
    s.settings === null ? '?' : keepaliveTriple(s.settings),
    s.settings?.os === 'linux' ? String(s.settings.retries2) : '',
    s.error === null ? String(s.sockets) : '?',
    s.error === null ? String(s.idle) : '?',
    s.error === null ? String(s.atRisk) : '?',
    s.error !== null ? `could not be read (it may have just gone): ${printable(s.error)}` : s.namespace.current ? 'host (Idlewatch runs here)' : printable(s.note ?? ''),
  ]);
  const widths = COLUMNS.map((h, i) => rows.reduce((width, r) => Math.max(width, r[i]!.length), h.length));
  const format = (cells: readonly string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  const lines = [format(COLUMNS), ...rows.map(format), ''];
  const drifting = view.namespaces.filter((s) => s.differsFromHost).length;
  const notes = [
    `${view.namespaces.length} network namespace${view.namespaces.length === 1 ? '' : 's'}`,
    drifting ? `* ${drifting} with keepalive settings other than the host's: a profile applied on the host does not reach them` : '',
    'KEEPALIVE is time/interval/probes in seconds; IDLE counts connections idle for a minute or more',
    view.available ? '' : `only the current namespace is listed: ${printable(view.reason ?? 'other namespaces cannot be read here')}`,
  ].filter(Boolean);
  lines.push(...notes, '');
  return lines.join('\n');
}

export async function runNamespaces(cmd: NamespacesCommand, write: (text: string) => Promise<void>): Promise<void> {
  const adapter = createPlatformAdapter();
  try {
    const host = await adapter.describeHost();
    const view = await namespaceSummaries(adapter, { rules: middleboxRules(cmd.middleboxIdleSec), host });
    if (cmd.json) {
      if (!view.available) process.stderr.write(`idlewatch: only the current network namespace is listed: ${printable(view.reason ?? '')}\n`);
      await write(`${JSON.stringify(namespacesJson(view), null, 2)}\n`);
    } else {
      await write(formatNamespacesTable(view));
    }
  } finally {
    adapter.close();
  }
}

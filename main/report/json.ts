/**
 * The report as JSON, schema `idlewatch.report/1`: the snapshot as `idlewatch snapshot --json`
 * prints it (idlewatch.snapshot/2, with the report's connections only, valid against
 * SnapshotSchema), and around it what the other formats show: scope, summary, the settings in
 * words, rules, history and, for a recording, its post-mortem.
 *
 * Strings are the system's own, not escaped for a screen (JSON.stringify escapes what JSON needs,
 * a consumer decides how to show them), except that lone surrogates become U+FFFD: JSON.stringify
 * writes them as \udXXX escapes, which many parsers accept and then cannot encode.
 */
import type { HistoryEntry } from '../../shared/api/schemas';
import type { FilterSpec } from '../../shared/connection-filter';
import type { Snapshot } from '../../shared/model';
import type { IdleRule } from '../../shared/rules';
import { GENERATOR } from './generator';
import type { PostMortem, ReportInput, ReportScope } from './model';
import { scopeOf } from './scope';
import { summarize, type ReportSummary } from './summary';
import { wellFormed } from './text';
import { settingsWords, type SettingsWords } from './words';

export const REPORT_SCHEMA = 'idlewatch.report/1';

const BATCH_CONNECTIONS = 2000;

/** The document's shape (the snapshot's connections are written last, in batches). */
export interface ReportDocument {
  schema: typeof REPORT_SCHEMA;
  /** Epoch ms, like every moment in the snapshot. */
  generatedAt: number;
  generator: { name: string; version: string };
  scope: { kind: ReportScope['kind']; filter: FilterSpec | null; connections: number; of: number; description: string };
  summary: ReportSummary;
  settingsExplained: SettingsWords;
  rules: IdleRule[];
  history: HistoryEntry[];
  postMortem?: PostMortem;
  snapshot: Snapshot;
}

const replacer = (_key: string, value: unknown) => (typeof value === 'string' ? wellFormed(value) : value);

/** The JSON in pieces: at 100k connections one JSON.stringify would hold a ~60 MB string at once. */
export function* jsonChunks(input: ReportInput): Generator<string> {
  const scoped = scopeOf(input);
  const { connections: _all, ...snapshotHead } = input.snapshot;
  const head: Omit<ReportDocument, 'snapshot'> = {
    schema: REPORT_SCHEMA,
    generatedAt: input.generatedAt,
    generator: GENERATOR,
    scope: {
      kind: input.scope.kind,
      filter: scoped.filter,
      connections: scoped.connections.length,
      of: scoped.total,
      description: scoped.description,
    },
    summary: summarize(scoped.connections, input.snapshot.takenAt),
    settingsExplained: settingsWords(input.snapshot, input.rules),
    rules: input.rules,
    history: input.history,
    ...(input.postMortem ? { postMortem: input.postMortem } : {}),
  };
  const opening = JSON.stringify({ ...head, snapshot: snapshotHead }, replacer);
  // Both objects end at the very end: reopen the snapshot to append its connections.
  yield `${opening.slice(0, -2)},"connections":[`;
  const { connections } = scoped;
  for (let i = 0; i < connections.length; i += BATCH_CONNECTIONS) {
    const batch = connections.slice(i, i + BATCH_CONNECTIONS).map((c) => JSON.stringify(c, replacer));
    yield (i === 0 ? '' : ',') + batch.join(',');
  }
  yield ']}}\n';
}

/**
 * `idlewatch report`: a snapshot taken now (as `idlewatch snapshot` takes it, with the system's
 * profile history), or a post-mortem of a recording (--from), as CSV, JSON, HTML or PDF. Text
 * formats are written as they are rendered, so 100,000 connections never sit in memory as one
 * string; PDF is the HTML printed by a local Chromium or Chrome (main/report/pdf.ts).
 */
import { join } from 'node:path';
import type { HistoryEntry } from '../../shared/api/schemas';
import { defaultConfigDir, preferencesFile } from '../core/preferences-file';
import { historyEntries, HISTORY_LIMIT } from '../core/profiles';
import { takeSnapshot } from '../core/snapshot';
import { createPlatformAdapter } from '../platform/index';
import { findChromiumPrinter, renderReport, reportChunks, type ReportInput } from '../report/index';
import { readPostMortem } from '../report/post-mortem';
import { netnsRef } from './netns';
import { commandFilter, middleboxRules, type ReportCommand } from './options';
import { writeFileReplacing } from './output-file';

/** A report is for others to read (a ticket, a colleague): rw-r--r--, less what the umask takes. */
const REPORT_FILE_MODE = 0o644;

async function snapshotInput(cmd: ReportCommand, generatedAt: number): Promise<Omit<ReportInput, 'scope'>> {
  const adapter = createPlatformAdapter();
  try {
    const rules = middleboxRules(cmd.middleboxIdleSec);
    const namespace = await netnsRef(adapter, cmd.netns);
    const [snapshot, records, preferences] = await Promise.all([
      takeSnapshot(adapter, { rules, namespace }),
      adapter.readHistory().catch(() => []),
      // Saved custom profiles name the applies made with them, as `idlewatch history` does.
      preferencesFile(join(defaultConfigDir(), 'preferences.json')).load(),
    ]);
    const history: HistoryEntry[] = historyEntries(records, preferences?.profiles ?? [])
      .sort((a, b) => b.at - a.at)
      .slice(0, HISTORY_LIMIT);
    return { snapshot, rules, history, generatedAt };
  } finally {
    adapter.close();
  }
}

async function recordingInput(path: string, generatedAt: number): Promise<ReportInput> {
  try {
    return await readPostMortem(path, generatedAt);
  } catch (error) {
    throw new Error(`cannot report on the recording ${path}: ${(error as Error).message}`);
  }
}


export async function runReport(cmd: ReportCommand, write: (text: string) => Promise<void>): Promise<void> {
  const generatedAt = Date.now();
  const base = cmd.from === null ? await snapshotInput(cmd, generatedAt) : await recordingInput(cmd.from, generatedAt);
  const input: ReportInput = { ...base, scope: { kind: 'filtered', filter: commandFilter(cmd) } };
  if (cmd.format === 'pdf') {
    // Looked for before anything is written: without a browser there is no file at all.
    const printer = findChromiumPrinter();
    if (!printer.ok) throw new Error(printer.reason);
    await writeFileReplacing(cmd.out!, [await printer.print(renderReport(input, 'html'))], REPORT_FILE_MODE);
    return;
  }
  const chunks = reportChunks(input, cmd.format);
  if (cmd.out === null) {
    for (const chunk of chunks) await write(chunk);
  } else {
    await writeFileReplacing(cmd.out, chunks, REPORT_FILE_MODE);
  }
}

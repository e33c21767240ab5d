/**
 * The API's reports: the current snapshot, or a post-mortem of one of the app's recordings, as a
 * file in one of four formats (main/report/ renders them). The transport decides what becomes of
 * the file: the desktop app saves it through its dialog, browser mode downloads it.
 */
import { join } from 'node:path';
import type { ExportedFile, ExportRequest, HistoryEntry, SnapshotView } from '../../shared/api/contract';
import { ApiFailure } from '../../shared/api/result';
import type { IdleRule } from '../../shared/rules';
import { exportReport, type PdfPrinter } from '../report/index';
import type { ReportInput, ReportScope } from '../report/model';
import { readPostMortem } from '../report/post-mortem';
import { snapshotFromView } from './snapshot';

export interface ReportsDeps {
  snapshot(): Promise<SnapshotView>;
  rules(): readonly IdleRule[];
  /** Profile applies and undos, newest first. */
  history(): Promise<HistoryEntry[]>;
  /** Electron's printToPDF in the desktop app; null: a local Chromium, when there is one. */
  pdfPrinter: PdfPrinter | null;
  /** The folder a request's recording name is looked up in; a name can reach nothing else (RecordingNameSchema). */
  recordingsDir: string;
  now?: () => number;
}

export function createReports(deps: ReportsDeps) {
  const now = deps.now ?? Date.now;

  async function postMortemInput(name: string, generatedAt: number): Promise<ReportInput> {
    try {
      return await readPostMortem(join(deps.recordingsDir, name), generatedAt);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new ApiFailure('bad-request', `There is no recording named ${name}.`);
      throw new ApiFailure('bad-request', `Recording ${name} cannot be read: ${(error as Error).message}`);
    }
  }

  async function snapshotInput(generatedAt: number, scope: ReportScope): Promise<ReportInput> {
    const [view, history] = await Promise.all([deps.snapshot(), deps.history().catch(() => [])]);
    return {
      snapshot: snapshotFromView(view),
      rules: [...deps.rules()],
      history,
      scope,
      generatedAt,
    };
  }

  return {
    async exportReport(request: ExportRequest): Promise<ExportedFile> {
      const generatedAt = now();
      const scope: ReportScope = { kind: request.scope, filter: request.filter };
      const input = request.recording ? { ...(await postMortemInput(request.recording, generatedAt)), scope } : await snapshotInput(generatedAt, scope);
      return exportReport(input, request.format, deps.pdfPrinter);
    },
  };
}

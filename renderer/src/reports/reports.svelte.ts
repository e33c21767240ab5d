/**
 * Reports and recordings as the UI holds them: the recorder's state (the core's answer or its
 * `recording` event, never a local guess), the recordings on disk for a post-mortem, and the
 * export under way. An export is two steps: the core makes the file (exportReport), then the
 * bridge saves it — the desktop app's save dialog, or a browser download.
 */
import type { ExportRequest, RecordingInfo, RecordingState } from '../../../shared/api/contract';
import type { Bridge } from '../lib/bridge';
import { newestFirst } from './export-choices';

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** How an export ended; 'abandoned' when the dialog was closed before the core answered. */
export type ExportOutcome = 'saved' | 'cancelled' | 'failed' | 'abandoned';

export interface SavedReport {
  fileName: string;
  /** Where the desktop app wrote it; null for a browser download. */
  where: string | null;
}

export class ReportsState {
  recording = $state.raw<RecordingState | null>(null);
  /** Starting, stopping or reading the recorder failed, in the core's words; cleared by the next success. */
  recordingError = $state<string | null>(null);
  /** A start or a stop is on its way. */
  recordingBusy = $state<'start' | 'stop' | null>(null);

  /** The recordings folder, newest first. */
  recordings = $state.raw<RecordingInfo[]>([]);
  recordingsLoading = $state(false);
  recordingsError = $state<string | null>(null);

  exporting = $state(false);
  exportError = $state<string | null>(null);
  /** The last report saved or downloaded; shown until dismissed or the next export. */
  saved = $state.raw<SavedReport | null>(null);

  readonly #bridge: Bridge;
  /** Only the latest export's answer counts: closing the dialog abandons the one under way. */
  #exportSeq = 0;
  #recordingsSeq = 0;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  get transport(): Bridge['transport'] {
    return this.#bridge.transport;
  }

  /** Follows the core's `recording` event; returns the unsubscribe function. */
  start(): () => void {
    return this.#bridge.on('recording', (state) => this.#setRecording(state));
  }

  /** The recorder's state now: at start and after a reconnect (events were missed meanwhile). */
  async load(): Promise<void> {
    try {
      this.#setRecording(await this.#bridge.getRecordingState());
      this.recordingError = null;
    } catch (error) {
      this.recordingError = `Could not read the recorder’s state: ${messageOf(error)}`;
    }
  }

  #setRecording(state: RecordingState) {
    const wasActive = this.recording?.active === true;
    this.recording = state;
    // A recording that ended (stopped here, elsewhere, or on its own) is now a post-mortem to offer.
    if (wasActive && !state.active) void this.loadRecordings();
  }

  /** Starts recording at the poll interval the table runs at. */
  async startRecording(intervalMs: number): Promise<void> {
    if (this.recordingBusy) return;
    this.recordingBusy = 'start';
    try {
      this.#setRecording(await this.#bridge.startRecording({ intervalMs }));
      this.recordingError = null;
    } catch (error) {
      this.recordingError = `The recording did not start: ${messageOf(error)}`;
    } finally {
      this.recordingBusy = null;
    }
  }

  async stopRecording(): Promise<void> {
    if (this.recordingBusy) return;
    this.recordingBusy = 'stop';
    try {
      this.#setRecording(await this.#bridge.stopRecording());
      this.recordingError = null;
    } catch (error) {
      this.recordingError = `The recording did not stop: ${messageOf(error)}`;
    } finally {
      this.recordingBusy = null;
    }
  }

  dismissRecordingError() {
    this.recordingError = null;
  }

  async loadRecordings(): Promise<void> {
    const seq = ++this.#recordingsSeq;
    this.recordingsLoading = true;
    try {
      const recordings = await this.#bridge.listRecordings();
      if (seq !== this.#recordingsSeq) return;
      this.recordings = newestFirst(recordings);
      this.recordingsError = null;
    } catch (error) {
      if (seq === this.#recordingsSeq) this.recordingsError = `Could not list the recordings: ${messageOf(error)}`;
    } finally {
      if (seq === this.#recordingsSeq) this.recordingsLoading = false;
    }
  }

  /** Makes the report and saves it; resolves with what became of it (the dialog closes on 'saved'). */
  async export(request: ExportRequest): Promise<ExportOutcome> {
    if (this.exporting) return 'failed';
    const seq = ++this.#exportSeq;
    this.exporting = true;
    this.exportError = null;
    try {
      const file = await this.#bridge.exportReport(request);
      if (seq !== this.#exportSeq) return 'abandoned';
      const outcome = await this.#bridge.saveFile(file);
      if (!outcome.saved) return 'cancelled';
      this.saved = { fileName: file.fileName, where: outcome.where };
      return 'saved';
    } catch (error) {
      if (seq !== this.#exportSeq) return 'abandoned';
      this.exportError = messageOf(error);
      return 'failed';
    } finally {
      if (seq === this.#exportSeq) this.exporting = false;
    }
  }

  /** The dialog was closed: an export still waiting for the core is dropped, its error forgotten. */
  abandonExport() {
    this.#exportSeq++;
    this.exporting = false;
    this.exportError = null;
  }

  dismissSaved() {
    this.saved = null;
  }
}

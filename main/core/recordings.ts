/**
 * The app's Record button: one recording at a time, written to a new file in the recordings
 * folder (main/core/recorder.ts) and fed every poll's delta. Clients name recordings, never
 * paths: the folder is the service's, and a name matches RecordingNameSchema.
 */
import { join } from 'node:path';
import type { RecordingInfo, RecordingState, SnapshotDelta, SnapshotView } from '../../shared/api/contract';
import { ApiFailure } from '../../shared/api/result';
import type { PlatformAdapter } from '../../shared/platform-adapter';
import type { IdleRule } from '../../shared/rules';
import { ensureRecordingsDir, listRecordings, newRecordingName, Recorder, recordingsDir } from './recorder';

export interface RecordingsDeps {
  adapter: PlatformAdapter;
  /** The recordings folder; default $XDG_DATA_HOME/idlewatch/recordings. */
  dir?: string;
  rules(): readonly IdleRule[];
  snapshot(): Promise<SnapshotView>;
  /** Makes the poller poll every `intervalMs` and run: a recording is written once per poll. */
  pollAt(intervalMs: number): void;
  emit(state: RecordingState): void;
  now?: () => number;
}

export const IDLE_RECORDING: RecordingState = Object.freeze({
  active: false,
  name: null,
  startedAt: null,
  intervalMs: null,
  endSource: null,
  endSourceNote: null,
  ends: 0,
  bytes: 0,
  error: null,
});

/** Two starts within one second get `-1`, `-2`…; past this many, something is wrong. */
const NAME_ATTEMPTS = 100;

export function createRecordings(deps: RecordingsDeps) {
  const dir = deps.dir ?? recordingsDir();
  const now = deps.now ?? Date.now;
  let recorder: Recorder | null = null;
  let starting = false;
  let last: RecordingState = IDLE_RECORDING;

  const onState = (name: string) => (state: RecordingState) => {
    last = { ...state, name };
    // A recording that stopped on its own (disk full, file gone) frees the button.
    if (!state.active) recorder = null;
    deps.emit(last);
  };

  async function start({ intervalMs }: { intervalMs: number }): Promise<RecordingState> {
    if (recorder || starting) throw new ApiFailure('bad-request', `A recording is already running (${last.name}); stop it first.`);
    starting = true;
    try {
      await ensureRecordingsDir(dir);
      deps.pollAt(intervalMs);
      const first = await deps.snapshot();
      for (let attempt = 0; attempt < NAME_ATTEMPTS; attempt++) {
        const name = newRecordingName(now(), attempt);
        try {
          recorder = await Recorder.start(
            { path: join(dir, name), intervalMs, rules: deps.rules(), snapshot: deps.snapshot, adapter: deps.adapter, onState: onState(name), now },
            first,
          );
          return last;
        } catch (error) {
          if (/already exists/.test((error as Error).message)) continue;
          throw new ApiFailure('internal', (error as Error).message);
        }
      }
      throw new ApiFailure('internal', `cannot find a free recording name in ${dir}`);
    } finally {
      starting = false;
    }
  }

  async function stop(): Promise<RecordingState> {
    const running = recorder;
    recorder = null;
    if (running) await running.stop();
    return last;
  }

  return {
    dir,
    start,
    stop,
    state: (): RecordingState => last,
    list: (): Promise<RecordingInfo[]> => listRecordings(dir),
    delta: (delta: SnapshotDelta) => recorder?.delta(delta),
    setRules: (rules: readonly IdleRule[]) => recorder?.setRules(rules),
  };
}

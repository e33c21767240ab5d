import type { SnapshotDelta } from '../../shared/api/schemas';
import type { NamespaceRef } from '../../shared/platform-adapter';
import { formatDurationWords } from '../../shared/time-format';
import { Poller } from '../core/poller';
import { Recorder } from '../core/recorder';
import { createPlatformAdapter } from '../platform/index';
import { netnsRef } from './netns';
import { middleboxRules, type RecordCommand } from './options';

/**
 * `idlewatch record --out FILE [--interval SEC] [--duration D] [--middlebox-idle SEC] [--netns NS]`: records
 * what the collector sees to `cmd.out` through the same poller the app uses, until the duration
 * is up or the process is asked to stop (SIGINT, SIGTERM: both end with a clean stop line). A
 * recording that stops on its own (disk full) fails the command.
 */
export async function runRecord(cmd: RecordCommand, say: (line: string) => void): Promise<void> {
  const adapter = createPlatformAdapter();
  const rules = middleboxRules(cmd.middleboxIdleSec);
  let namespace: NamespaceRef;
  try {
    namespace = await netnsRef(adapter, cmd.netns);
  } catch (error) {
    adapter.close();
    throw error;
  }
  const host = adapter.describeHost();
  let recorder: Recorder | null = null;
  let pollErrors = 0;
  const poller = new Poller(
    adapter,
    { intervalMs: cmd.intervalMs, rules, host: () => host, namespace },
    {
      delta: (delta: SnapshotDelta) => recorder?.delta(delta),
      state: () => undefined,
      error: (message) => {
        // Said once, not every interval: a recording of a failing collector is still a recording.
        if (pollErrors++ === 0) say(`a poll failed (the recording goes on): ${message}`);
      },
    },
  );
  let finished: (reason: string) => void = () => undefined;
  const done = new Promise<string>((resolve) => (finished = resolve));
  const onSignal = (signal: NodeJS.Signals) => finished(`${signal}`);
  let timer: NodeJS.Timeout | null = null;
  try {
    // Polling starts now and keeps its cadence; a delta that comes before the recorder is ready
    // is missed, and the recorder writes the whole table at the next one instead.
    poller.start();
    const first = await poller.snapshot();
    recorder = await Recorder.start(
      {
        path: cmd.out,
        intervalMs: cmd.intervalMs,
        rules,
        snapshot: () => poller.snapshot(),
        adapter,
        namespace,
        onState: (state) => {
          if (state.error) finished('error');
        },
      },
      first,
    );
    const state = recorder.state();
    say(
      state.endSource === 'kernel-events'
        ? `recording to ${cmd.out} every ${formatDurationWords(cmd.intervalMs)}; connection ends come from the kernel's announcements (exact times)`
        : `recording to ${cmd.out} every ${formatDurationWords(cmd.intervalMs)}; connection ends are seen by polls (within one interval): ${state.endSourceNote}`,
    );
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    if (cmd.durationMs !== null) timer = setTimeout(() => finished('duration reached'), cmd.durationMs);
    const reason = await done;
    const final = await recorder.stop(reason);
    if (final.error) throw new Error(`${final.error} (${cmd.out} holds what was written before)`);
    say(`recorded ${recorder.polls} poll(s) and ${final.ends} announced end(s) to ${cmd.out} (${final.bytes} bytes); stopped: ${reason}`);
  } finally {
    if (timer) clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await recorder?.stop('stopped');
    await poller.stop();
  }
}

import { historyEntry } from '../../../fixtures/profiles';
import { describe, expect, it } from 'vitest';
import type { BootSettings, HistoryEntry } from '../../../../shared/api/schemas';
import { PRESETS } from '../../../../shared/profiles';
import {
  beforeAfterText,
  bootDefaults,
  bootValues,
  detectionChangeText,
  matchingIds,
  overrideText,
  codeParts,
  persistenceText,
  sameEvent,
  profileLabel,
  resultHeadline,
  rootCommandIn,
  summaryLines,
  undoable,
  valuesText,
} from '../../../../renderer/src/profiles/profile-words';

const boot = (over: Partial<BootSettings> = {}): BootSettings => ({
  timeSec: 600,
  intervalSec: 60,
  probes: 5,
  dropIn: '/etc/sysctl.d/99-zz-idlewatch-keepalive.conf',
  overriddenBy: [],
  ...over,
});
const entry = (over: Partial<HistoryEntry> = {}): HistoryEntry => historyEntry({ at: 1_700_000_000_000, message: '', ...over });

describe('settings in words', () => {
  it('shows values as idle / interval × probes', () => {
    expect(valuesText({ timeSec: 600, intervalSec: 60, probes: 5 })).toBe('600 s / 60 s × 5');
  });

  it('takes the kernel default for a value no sysctl file sets, and names those', () => {
    const partial = boot({ timeSec: 300, intervalSec: null, probes: null, dropIn: null });
    expect(bootValues(partial)).toEqual({ timeSec: 300, intervalSec: 75, probes: 9 });
    expect(bootDefaults(partial)).toEqual(['tcp_keepalive_intvl', 'tcp_keepalive_probes']);
  });

  it('names a file that wins at boot by its path, made printable', () => {
    expect(overrideText({ path: '/etc/sysctl.d/zzz-other.conf', key: 'net.ipv4.tcp_keepalive_time', value: 300 })).toBe(
      '/etc/sysctl.d/zzz-other.conf sets net.ipv4.tcp_keepalive_time = 300 later and wins at boot.',
    );
    expect(overrideText({ path: '/etc/sysctl.d/\u202eevil.conf', key: 'k', value: 1 })).toContain('/etc/sysctl.d/\\u202eevil.conf');
  });

  it('marks every profile whose values are in force, a custom one repeating a preset too', () => {
    const custom = { id: 'custom:same', timeSec: 600, intervalSec: 60, probes: 5 };
    expect(matchingIds({ timeSec: 600, intervalSec: 60, probes: 5 }, [...PRESETS, custom])).toEqual(new Set(['server', 'custom:same']));
    expect(matchingIds(null, PRESETS).size).toBe(0);
  });

  it('says where an apply persists, or what the next boot brings back when it does not', () => {
    expect(persistenceText(true, { afterBoot: null })).toMatch(/^Persisted to \/etc\/sysctl\.d\/99-zz-idlewatch-keepalive\.conf /);
    expect(persistenceText(false, { afterBoot: boot({ timeSec: null, intervalSec: null, probes: null, dropIn: null }) })).toBe(
      'Runtime only: nothing is written to /etc/sysctl.d, and the next boot sets 7200 s / 75 s × 9 again.',
    );
  });
});

describe('preview summary', () => {
  it('says each count with what it means, and how detection moves', () => {
    const lines = summaryLines({ connections: 12, saved: 2, newlyAtRisk: 1, ownSettings: 1, armedTimer: 3, detectionNowMs: 7_875_000, detectionAfterMs: 900_000 });
    expect(lines.map((l) => l.text)).toEqual([
      '12 connections are open now.',
      'Saves 2 connections from an idle-timeout rule: at risk today, safe after.',
      'Puts 1 connection newly at risk: safe today, closed by a rule before the first probe after.',
      '1 connection has its own keepalive values (TCP_KEEPIDLE/INTVL/CNT): not affected.',
      '3 connections keep their armed keepalive timer: the new values reach them when the timer next fires.',
      'Silent-peer detection: 2 h 11 min → 15 min (1 h 56 min sooner).',
    ]);
    expect(lines.map((l) => l.tone)).toEqual(['plain', 'good', 'bad', 'note', 'note', 'plain']);
  });

  it('leaves out own settings and armed timers when there are none', () => {
    const lines = summaryLines({ connections: 1, saved: 0, newlyAtRisk: 0, ownSettings: 0, armedTimer: 0, detectionNowMs: 900_000, detectionAfterMs: 900_000 });
    expect(lines.map((l) => l.text)).toEqual([
      '1 connection is open now.',
      'Saves no connection from an idle-timeout rule.',
      'Puts no connection newly at risk.',
      'Silent-peer detection: 15 min → 15 min (no change).',
    ]);
    expect(detectionChangeText(60_000, 120_000)).toBe('1 min → 2 min (1 min later)');
  });
});

describe('results and history', () => {
  it('heads each outcome in words', () => {
    expect(resultHeadline(entry())).toBe('server applied: 600 s / 60 s × 5 in force and persisted.');
    expect(resultHeadline(entry({ persisted: false }))).toBe('server applied: 600 s / 60 s × 5 in force until the next boot.');
    expect(resultHeadline(entry({ outcome: 'rolled-back' }))).toBe('server failed and was rolled back: nothing changed.');
    expect(resultHeadline(entry({ outcome: 'refused' }))).toBe('server was refused: nothing changed.');
    expect(resultHeadline(entry({ action: 'undo', profile: null, before: entry().after, after: entry().before }))).toBe(
      'Undone: 7200 s / 75 s × 9 in force again, persisted.',
    );
    expect(beforeAfterText(entry({ after: null }))).toBe('7200/75/9 → —');
    const view = { presets: [...PRESETS], custom: [] };
    expect(resultHeadline(entry(), (ref) => profileLabel(ref, view))).toBe('Server applied: 600 s / 60 s × 5 in force and persisted.');
    expect(profileLabel('600/60/5', view)).toBe('600/60/5');
  });

  it('finds the root command a refusal names', () => {
    expect(rootCommandIn('Not authorized (no polkit agent): nothing changed. To do it as root: sudo idlewatch apply server')).toBe('sudo idlewatch apply server');
    expect(rootCommandIn('pkexec is not installed. As root: sudo idlewatch apply 600/60/5 --no-persist.')).toBe('sudo idlewatch apply 600/60/5 --no-persist');
    expect(rootCommandIn('the helper crashed; run `sudo /usr/libexec/idlewatch/idlewatch-keepalive recover`; check')).toBe(
      'sudo /usr/libexec/idlewatch/idlewatch-keepalive recover',
    );
    expect(rootCommandIn('Applied.')).toBeNull();
  });

  it('offers undo for the newest change that took effect when it is an apply, passing over attempts that changed nothing', () => {
    const applied = entry();
    expect(undoable([applied, entry({ at: 1 })])).toBe(applied);
    expect(undoable([entry({ action: 'undo' }), applied])).toBeNull();
    expect(undoable([entry({ outcome: 'refused' }), entry({ outcome: 'rolled-back' }), applied])).toBe(applied);
    expect(undoable([entry({ action: 'undo', outcome: 'refused' }), applied])).toBe(applied);
    expect(undoable([entry({ outcome: 'failed' })])).toBeNull();
    expect(undoable([])).toBeNull();
  });
});

describe('sameEvent and codeParts', () => {
  it('matches a result with its history entry though their moments differ a little', () => {
    expect(sameEvent(entry(), entry({ at: entry().at + 1500 }))).toBe(true);
    expect(sameEvent(entry(), entry({ at: entry().at + 120_000 }))).toBe(false);
    expect(sameEvent(entry(), entry({ after: { timeSec: 900, intervalSec: 60, probes: 5 } }))).toBe(false);
    expect(sameEvent(entry(), entry({ action: 'undo' }))).toBe(false);
  });

  it('marks the `quoted` parts of a message as code, and leaves a lone backtick as text', () => {
    expect(codeParts('start `idlewatch serve --allow-apply` to allow it.')).toEqual([
      { text: 'start ', code: false },
      { text: 'idlewatch serve --allow-apply', code: true },
      { text: ' to allow it.', code: false },
    ]);
    expect(codeParts('a ` b')).toEqual([{ text: 'a ` b', code: false }]);
    expect(codeParts('`x`')).toEqual([{ text: 'x', code: true }]);
  });
});

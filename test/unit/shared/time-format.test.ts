import { describe, expect, it } from 'vitest';
import {
  formatClockTime,
  formatCountdown,
  formatDurationInput,
  formatDurationWords,
  formatElapsed,
  formatRelative,
  formatWindow,
  idleAt,
  parseDurationInput,
} from '../../../shared/time-format';
import { known, NOW } from '../../fixtures/connection';

describe('formatCountdown', () => {
  it.each([
    [348_000, '5m 48s'],
    [42_000, '42s'],
    [41_001, '42s'], // rounded up: never shows less time than is left
    [300, '1s'],
    [7_875_000, '2h 11m'],
  ])('%i ms before the moment reads %s', (left, text) => expect(formatCountdown(NOW + left, NOW)).toBe(text));

  it('reads "overdue" at and after the moment, and a dash when there is none', () => {
    expect(formatCountdown(NOW, NOW)).toBe('overdue');
    expect(formatCountdown(NOW - 5000, NOW)).toBe('overdue');
    expect(formatCountdown(null, NOW)).toBe('—');
  });
});

describe('formatElapsed', () => {
  it('counts whole seconds, switching to minutes and hours', () => {
    expect(formatElapsed(999)).toBe('0s');
    expect(formatElapsed(7300)).toBe('7s');
    expect(formatElapsed(252_000)).toBe('4m 12s');
    expect(formatElapsed(null)).toBe('—');
  });
});

describe('formatDurationWords', () => {
  it.each([
    [7_875_000, '2 h 11 min'],
    [7_200_000, '2 h'],
    [252_000, '4 min 12 s'],
    [300_000, '5 min'],
    [45_000, '45 s'],
    [1500, '1.5 s'],
    [5000, '5 s'],
    [120, '120 ms'],
    [924_600, '15 min 25 s'],
    [90_000_000, '1 d 1 h'],
  ])('%i ms reads %s', (ms, text) => expect(formatDurationWords(ms)).toBe(text));
});

describe('formatClockTime', () => {
  it('shows the local time of day, with the date only when it is another day', () => {
    const at = new Date(2025, 10, 24, 14, 3, 21).getTime();
    expect(formatClockTime(at, at + 1000)).toBe('14:03:21');
    const tomorrow = new Date(2025, 10, 25, 0, 12, 3).getTime();
    expect(formatClockTime(tomorrow, at)).toBe('2025-11-25 00:12:03');
  });
});

describe('formatRelative', () => {
  it('says "in …" ahead, "… ago" behind, "now" within a second', () => {
    expect(formatRelative(NOW + 348_000, NOW)).toBe('in 5 min 48 s');
    expect(formatRelative(NOW - 252_000, NOW)).toBe('4 min 12 s ago');
    expect(formatRelative(NOW + 400, NOW)).toBe('now');
  });
});

describe('formatWindow', () => {
  it('shows both ends, or one time and the width when both fall in the same second', () => {
    const at = new Date(2025, 10, 24, 14, 3, 21).getTime();
    expect(formatWindow([at, at + 18_000], at)).toBe('14:03:21 – 14:03:39');
    expect(formatWindow([at + 10, at + 190], at)).toBe('14:03:21 (within 180 ms)');
  });
});

describe('idleAt', () => {
  it('grows the polled idle time by the time since the poll', () => {
    expect(idleAt(known({ idleMs: 10_000 }, NOW), NOW + 5000)).toBe(15_000);
    expect(idleAt(known({ idleMs: null }), NOW)).toBeNull();
  });
});

describe('parseDurationInput', () => {
  it.each([
    ['300', 300],
    ['90s', 90],
    ['5m', 300],
    ['5 min', 300],
    ['1h30m', 5400],
    ['1.5h', 5400],
    ['2d', 172_800],
  ])('reads %s as %i s', (text, sec) => expect(parseDurationInput(text)).toBe(sec));

  it('reads empty text as no value and anything else as invalid', () => {
    expect(parseDurationInput('  ')).toBeNull();
    expect(parseDurationInput('5 minutes ago')).toBeNaN();
    expect(parseDurationInput('m5')).toBeNaN();
    expect(parseDurationInput('-5')).toBeNaN();
  });

  it('formats a value back into text that reads the same', () => {
    for (const sec of [300, 90, 7200, 45]) expect(parseDurationInput(formatDurationInput(sec))).toBe(sec);
    expect(formatDurationInput(null)).toBe('');
  });
});

import { describe, expect, it } from 'vitest';
import { formatDuration, formatEndpoint, printable } from '../../../shared/format';

describe('formatDuration', () => {
  it.each([
    [120, '120ms'],
    [7300, '7.3s'],
    [45_000, '45s'],
    [245_000, '4m 05s'],
    [7_875_000, '2h 11m'],
    [90_000_000, '1d 1h'],
    [-3000, '-3.0s'],
  ])('%i ms reads %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe('printable', () => {
  it('escapes control characters and backslashes, keeps other text including non-ASCII', () => {
    expect(printable('ok\x1b[31m\\x\u0085é')).toBe('ok\\x1b[31m\\\\x\\x85é');
  });
});

describe('formatEndpoint', () => {
  it('brackets IPv6 addresses', () => {
    expect(formatEndpoint('::1', 443)).toBe('[::1]:443');
    expect(formatEndpoint('10.0.0.1', 80)).toBe('10.0.0.1:80');
  });
});

import { describe, expect, it } from 'vitest';
import { parseHelperOutput, parseHistory, unescapeHelperText } from '../../../../main/platform/linux/keepalive-helper-output';

/**
 * Text in the helper's protocol (main/platform/linux/keepalive-helper/keepalive-helper.c): what
 * it prints for a verified apply, a rollback, a failed rollback, a refusal, a recovery.
 */
const APPLIED = 'B\t7200\t75\t9\nA\t600\t60\t5\nD\t/etc/sysctl.d/99-zz-idlewatch-keepalive.conf\nOK\n';
const ROLLED_BACK =
  'B\t7200\t75\t9\nA\t7200\t75\t9\nD\t-\nR\trolled back to 7200/75/9: cannot write /proc/sys/net/ipv4/tcp_keepalive_probes: Read-only file system\nFAIL\n';
const BROKEN =
  'B\t7200\t75\t9\nA\t-\t-\t-\nD\t-\nE\tthe values read back as 600/75/9, not 600/60/5; the rollback failed too: Read-only file system; in force now 600/75/9\nFAIL\n';
const REFUSED = 'E\tTIME must be 1-32767, got "0"\nFAIL\n';
const RECOVERED_THEN_APPLIED =
  'R\tthe apply of uid 1000 (7200/75/9 -> 600/60/5) started at 1700000000000 ms was interrupted before it completed and was rolled back by uid 0: 7200/75/9 in force again, drop-in removed\n' +
  APPLIED;

describe('parseHelperOutput on the helper’s answers', () => {
  it('reads a verified apply: before, read back, the drop-in, OK', () => {
    expect(parseHelperOutput(APPLIED)).toEqual({
      namespace: null,
      before: { timeSec: 7200, intervalSec: 75, probes: 9 },
      after: { timeSec: 600, intervalSec: 60, probes: 5 },
      dropIn: '/etc/sysctl.d/99-zz-idlewatch-keepalive.conf',
      rollbacks: [],
      errors: [],
      status: 'OK',
      malformedLines: 0,
    });
  });

  it('reads a rollback: no drop-in, the reason, FAIL', () => {
    const out = parseHelperOutput(ROLLED_BACK);
    expect(out).toMatchObject({ dropIn: null, status: 'FAIL', malformedLines: 0, after: { timeSec: 7200, intervalSec: 75, probes: 9 } });
    expect(out.rollbacks).toEqual(['rolled back to 7200/75/9: cannot write /proc/sys/net/ipv4/tcp_keepalive_probes: Read-only file system']);
  });

  it('reads values it could not read back (`A - - -`) as unknown, not as malformed', () => {
    const out = parseHelperOutput(BROKEN);
    expect(out.after).toBeNull();
    expect(out.malformedLines).toBe(0);
    expect(out.errors[0]).toMatch(/rollback failed too/);
  });

  it('reads a refusal and the recovery of an interrupted apply before a new one', () => {
    expect(parseHelperOutput(REFUSED)).toMatchObject({ before: null, after: null, errors: ['TIME must be 1-32767, got "0"'], status: 'FAIL' });
    const out = parseHelperOutput(RECOVERED_THEN_APPLIED);
    expect(out.rollbacks).toHaveLength(1);
    expect(out.status).toBe('OK');
  });

  it('reads the other network namespace a run changed (N), before anything else it says', () => {
    const out = parseHelperOutput(`N\t4026532817\nB\t7200\t75\t9\nA\t600\t60\t5\nD\t-\nOK\n`);
    expect(out).toMatchObject({ namespace: '4026532817', before: { timeSec: 7200 }, after: { timeSec: 600 }, dropIn: null, status: 'OK', malformedLines: 0 });
    expect(parseHelperOutput(APPLIED).namespace).toBeNull();
  });

  it('has no status when the helper was cut off, or when anything follows the status line', () => {
    expect(parseHelperOutput('B\t7200\t75\t9\n').status).toBeNull();
    expect(parseHelperOutput('OK\nA\t600\t60\t5\n').status).toBeNull();
    expect(parseHelperOutput('').status).toBeNull();
  });

  it.each([
    ['a value with a sign', 'B\t-5\t75\t9'],
    ['a value that is not a number', 'A\t600\tsixty\t5'],
    ['a value beyond an int', 'A\t99999999999\t60\t5'],
    ['a missing field', 'B\t7200\t75'],
    ['an extra field', 'B\t7200\t75\t9\t1'],
    ['an unknown record', 'X\twhatever'],
    ['an empty drop-in', 'D\t'],
    ['a status with a tail', 'OK\tsure'],
    ['a namespace of inode 0', 'N\t0'],
    ['a namespace that is not a number', 'N\t/proc/1/ns/net'],
    ['a namespace beyond 32 bits', 'N\t4294967296'],
  ])('skips %s and counts it', (_name, line) => {
    const out = parseHelperOutput(`${line}\nOK\n`);
    expect(out.malformedLines).toBe(1);
    expect(out.before).toBeNull();
    expect(out.after).toBeNull();
  });

  it('unescapes hostile messages to what the helper escaped, never to raw control characters it did not send', () => {
    // Bytes above 0x7f are passed raw by the helper (UTF-8 here).
    const out = parseHelperOutput('E\tline one\\x0aFAKE\\x09OK\\x1b[2J \\\\x41 café\nFAIL\n');
    // A newline escaped by the helper stays inside the one message: it never becomes a line of its own.
    expect(out.errors).toEqual(['line one\nFAKE\tOK\x1b[2J \\x41 café']);
    expect(out.status).toBe('FAIL');
    expect(out.malformedLines).toBe(0);
  });

  it('a raw tab inside a message joins rather than loses words; an overlong message is cut', () => {
    expect(parseHelperOutput('R\tone\ttwo\nFAIL\n').rollbacks).toEqual(['one two']);
    expect(parseHelperOutput(`E\t${'x'.repeat(10_000)}\nFAIL\n`).errors[0]).toHaveLength(2000);
  });
});

describe('unescapeHelperText', () => {
  it('turns \\\\ and \\xHH back into bytes, read as UTF-8', () => {
    expect(unescapeHelperText('a\\\\b')).toBe('a\\b');
    expect(unescapeHelperText('\\x7f\\x00')).toBe('\x7f\x00');
    expect(unescapeHelperText('\\xc3\\xa9')).toBe('é');
    expect(unescapeHelperText('\\xff')).toBe('\ufffd');
    // Not an escape the helper writes: left as it is.
    expect(unescapeHelperText('\\q \\x4')).toBe('\\q \\x4');
  });
});

describe('parseHistory', () => {
  const line = (over: Partial<Record<number, string>> = {}) => {
    const f = ['H', '1700000000123', '65534', 'apply', '7200', '75', '9', '900', '60', '5', '1', 'applied', ''];
    for (const [i, v] of Object.entries(over)) f[Number(i)] = v!;
    return f.join('\t');
  };

  it('reads every line of the helper’s history, oldest first', () => {
    const text = [
      line(),
      line({ 1: '1700000000999', 3: 'undo', 4: '900', 7: '7200', 8: '75', 9: '9', 10: '0' }),
      line({ 11: 'rolled-back', 12: 'rolled back to 7200/75/9: Read-only file system' }),
      '',
    ].join('\n');
    expect(parseHistory(text)).toEqual([
      { at: 1700000000123, uid: 65534, action: 'apply', before: { timeSec: 7200, intervalSec: 75, probes: 9 }, after: { timeSec: 900, intervalSec: 60, probes: 5 }, persisted: true, outcome: 'applied', message: '', namespace: null },
      { at: 1700000000999, uid: 65534, action: 'undo', before: { timeSec: 900, intervalSec: 75, probes: 9 }, after: { timeSec: 7200, intervalSec: 75, probes: 9 }, persisted: false, outcome: 'applied', message: '', namespace: null },
      expect.objectContaining({ outcome: 'rolled-back', message: 'rolled back to 7200/75/9: Read-only file system' }),
    ]);
  });

  it('skips torn, hand-edited and hostile lines instead of trusting them', () => {
    const text = [
      line().slice(0, 30), // a torn last write
      line({ 2: '-1' }),
      line({ 3: 'reboot' }),
      line({ 10: 'yes' }),
      line({ 11: 'refused' }),
      line({ 5: '75; rm -rf /' }),
      `${line()}\textra`,
      line({ 12: 'ok \\x0a\\x1b[31mred' }),
    ].join('\n');
    const records = parseHistory(text);
    expect(records).toHaveLength(1);
    expect(records[0]!.message).toBe('ok \n\x1b[31mred');
  });

  it('reads the namespace a change was made in from its last field; a line without one is about the helper\'s own', () => {
    const text = [line(), `${line({ 10: '0' })}\t4026532817`, `${line()}\t0`, `${line()}\t04026532817`, `${line()}\t4026532817\t1`].join('\n');
    expect(parseHistory(text).map((r) => [r.persisted, r.namespace])).toEqual([
      [true, null],
      [false, '4026532817'],
    ]);
  });

  it('an empty history is no record', () => {
    expect(parseHistory('')).toEqual([]);
  });
});

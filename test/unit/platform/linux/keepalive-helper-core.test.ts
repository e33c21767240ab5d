import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, libFuzzerWorks, NATIVE_DIR, SANITIZE, SANITIZER_ENV, SANITIZER_REPORT, runMutationFuzzer, WARN } from '../../../native/compile';
import { KEEPALIVE_CORE, parseHistory } from '../../../native/keepalive';

/**
 * The pure half of idlewatch-keepalive (keepalive-core.c) under AddressSanitizer and
 * UndefinedBehaviorSanitizer: argument validation at its edges, the /proc/sys reader, the
 * escaping, the drop-in's text, the change record (journal and last-apply) and history lines,
 * each strict and canonical; then fuzzed.
 */

let dir = '';
let driver = '';
let libFuzzer = false;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'idlewatch-keepalive-core-'));
  driver = join(dir, 'driver');
  const built = compile('cc', driver, [join(NATIVE_DIR, 'keepalive-core-driver.c'), KEEPALIVE_CORE], [...SANITIZE, ...WARN]);
  if (!built.ok) throw new Error(`cannot build the driver:\n${built.output}`);
  libFuzzer = libFuzzerWorks(dir);
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function drive(args: string[], input: string | Buffer = '') {
  const r = spawnSync(driver, args, { input, env: { ...process.env, ...SANITIZER_ENV }, timeout: 30_000 });
  const stderr = r.stderr.toString();
  expect(stderr).not.toMatch(SANITIZER_REPORT);
  expect(stderr).toBe('');
  return { status: r.status, stdout: r.stdout as Buffer, text: r.stdout.toString() };
}

const hex = (b: Buffer | string) => (Buffer.from(b).length ? Buffer.from(b).toString('hex') : '-');

describe('kh_parse_args', () => {
  it.each([
    [['apply', '1', '1', '1', 'runtime'], 'ok apply 1 1 1 runtime'],
    [['apply', '32767', '32767', '255', 'persist'], 'ok apply 32767 32767 255 persist'],
    [['apply', '600', '60', '5', 'persist'], 'ok apply 600 60 5 persist'],
    [['apply', '10', '0', '5', 'persist'], /^usage\tusage: INTVL must be from 1 to 32767 seconds: got "0"\n$/],
    [['apply', '10', '10', '256', 'persist'], /^usage\tusage: PROBES must be from 1 to 255: got "256"\n$/],
    [['apply', '32768', '10', '5', 'persist'], /TIME must be from 1 to 32767/],
    [['apply', '4294967297', '10', '5', 'persist'], /TIME must be from 1 to 32767/],
    [['apply', '01', '10', '5', 'persist'], /TIME must be a whole number.*digits only/],
    [['undo'], 'ok undo'],
    [['recover'], 'ok recover'],
    [['undo', ''], /undo takes no arguments.*got 1/],
    [[], /usage: no verb/],
    // Another network namespace: a way in (pid or ip netns name) and the inode it must lead to.
    [['apply', '600', '60', '5', 'runtime', '--netns', 'pid', '4242', '4026532817'], 'ok apply 600 60 5 runtime netns pid 4242 4026532817'],
    [['apply', '600', '60', '5', 'runtime', '--netns', 'name', 'blue-1.a_B', '4026532900'], 'ok apply 600 60 5 runtime netns name blue-1.a_B 4026532900'],
    [['apply', '1', '1', '1', 'runtime', '--netns', 'pid', '4194304', '4294967295'], 'ok apply 1 1 1 runtime netns pid 4194304 4294967295'],
    [['apply', '1', '1', '1', 'runtime', '--netns', 'name', 'n'.repeat(64), '1'], `ok apply 1 1 1 runtime netns name ${'n'.repeat(64)} 1`],
    [['undo', '--netns', 'pid', '1', '4026532817'], 'ok undo netns pid 1 4026532817'],
    [['undo', '--netns', 'name', 'blue', '4026532817'], 'ok undo netns name blue 4026532817'],
  ])('%j → %s', (args, expected) => {
    const r = drive(['args', ...args]);
    expect(r.status).toBe(0);
    if (typeof expected === 'string') expect(r.text).toBe(`${expected}\n`);
    else expect(r.text).toMatch(expected);
  });
});

describe('kh_parse_args refuses a namespace it could not enter exactly', () => {
  const apply = (...netns: string[]) => ['apply', '600', '60', '5', 'runtime', ...netns];
  it.each([
    ['persisting another namespace', ['apply', '600', '60', '5', 'persist', '--netns', 'pid', '42', '4026532817'], /never persisted.*docker run --sysctl.*securityContext\.sysctls/],
    ['a pid of 0', apply('--netns', 'pid', '0', '4026532817'), /PID must be from 1 to 4194304/],
    ['a pid above PID_MAX_LIMIT', apply('--netns', 'pid', '4194305', '4026532817'), /PID must be from 1 to 4194304/],
    ['a negative pid', apply('--netns', 'pid', '-1', '4026532817'), /PID must be a whole number.*digits only/],
    ['a pid with a leading zero', apply('--netns', 'pid', '042', '4026532817'), /PID must be a whole number/],
    ['a pid that is a path', apply('--netns', 'pid', 'self', '4026532817'), /PID must be a whole number/],
    ['an inode of 0', apply('--netns', 'pid', '42', '0'), /INODE must be from 1 to 4294967295/],
    ['an inode beyond 32 bits', apply('--netns', 'pid', '42', '4294967296'), /INODE must be from 1 to 4294967295/],
    ['an inode in hexadecimal', apply('--netns', 'pid', '42', '0xf0000000'), /INODE must be a whole number/],
    ['a name with a slash', apply('--netns', 'name', '../../proc/1/ns/net', '4026532817'), /NAME must be an ip netns name/],
    ['the name .', apply('--netns', 'name', '.', '4026532817'), /NAME must be an ip netns name/],
    ['the name ..', apply('--netns', 'name', '..', '4026532817'), /NAME must be an ip netns name/],
    ['an empty name', apply('--netns', 'name', '', '4026532817'), /NAME must be an ip netns name/],
    ['a name of 65 characters', apply('--netns', 'name', 'n'.repeat(65), '4026532817'), /NAME must be an ip netns name/],
    ['a name with a space', apply('--netns', 'name', 'blue green', '4026532817'), /NAME must be an ip netns name/],
    ['a name with a newline', apply('--netns', 'name', 'blue\nx', '4026532817'), /NAME must be an ip netns name/],
    ['a way in that is neither pid nor name', apply('--netns', 'path', '/proc/1/ns/net', '4026532817'), /--netns takes pid PID INODE or name NAME INODE/],
    ['another option', apply('--ns', 'pid', '42', '4026532817'), /the only option is --netns/],
    ['--netns without its inode', apply('--netns', 'pid', '42'), /apply takes 4 arguments.*got 7/],
    ['--netns twice', apply('--netns', 'pid', '42', '4026532817', '--netns', 'pid', '43', '4026532817'), /apply takes 4 arguments/],
    ['recover in a namespace', ['recover', '--netns', 'pid', '42', '4026532817'], /recover takes no arguments/],
    ['undo with --netns cut short', ['undo', '--netns', 'pid', '42'], /undo takes no arguments.*got 3/],
  ])('%s', (_, args, says) => {
    const text = drive(['args', ...args]).text;
    expect(text).toMatch(/^usage\tusage: [^\n]*\n$/);
    expect(text).toMatch(says);
  });
});

describe('kh_parse_sysctl: what /proc/sys prints, nothing else', () => {
  it.each([
    ['7200\n', 'ok 7200'],
    ['0\n', 'ok 0'],
    ['86400\n', 'ok 86400'], // an administrator's value beyond the profile limits is still read (and restored)
    ['2147483647\n', 'ok 2147483647'],
    ['2147483648\n', 'bad'],
    ['-1\n', 'bad'],
    ['7200', 'bad'],
    ['7200\n\n', 'bad'],
    ['07200\n', 'bad'],
    [' 7200\n', 'bad'],
    ['\n', 'bad'],
    ['', 'bad'],
    ['72 00\n', 'bad'],
  ])('%j → %s', (input, expected) => {
    expect(drive(['sysctl'], input).text).toBe(`${expected}\n`);
  });
});

describe('escaping, as sockdiag escapes comm', () => {
  it('escapes a backslash and control bytes, leaves the rest', () => {
    expect(drive(['escape'], Buffer.from('a\tb\\c\nd\x7f\x00é')).text).toBe('a\\x09b\\\\c\\x0ad\\x7f\\x00é');
  });

  it('round-trips every byte', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const escaped = drive(['escape'], all).stdout;
    expect([...escaped].every((b) => b >= 0x20 && b !== 0x7f)).toBe(true);
    const back = drive(['unescape'], escaped);
    expect(back.status).toBe(0);
    expect(back.stdout.equals(all)).toBe(true);
  });

  it.each(['\\', '\\x', '\\x4', '\\xZZ', '\\x41', '\\X0a', '\\x0A', '\\n', 'a\tb'])('refuses the non-canonical %j', (text) => {
    expect(drive(['unescape'], text).status).toBe(1);
  });
});

describe('the drop-in', () => {
  it('sets exactly the three keys, after a comment saying who wrote it', () => {
    const text = drive(['dropin', '600', '60', '5']).text;
    const settings = text.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(settings).toEqual(['net.ipv4.tcp_keepalive_time = 600', 'net.ipv4.tcp_keepalive_intvl = 60', 'net.ipv4.tcp_keepalive_probes = 5']);
    expect(text).toMatch(/^# Written by idlewatch-keepalive/);
    expect(text.endsWith('\n')).toBe(true);
  });
});

describe('the change record (journal and last-apply)', () => {
  const head = ['apply', '1000', '1764000000000', '7200', '75', '9', '600', '60', '5', '1'];

  it('is the documented text', () => {
    expect(drive(['change-format', ...head, '0']).text).toBe(
      'idlewatch-keepalive-change/1\nverb\tapply\nuid\t1000\nstarted\t1764000000000\nbefore\t7200\t75\t9\nafter\t600\t60\t5\ndropin\t1\nprevious\tnone\nend\n',
    );
  });

  it.each([
    ['an ordinary drop-in', '# mine\nnet.ipv4.tcp_keepalive_time = 60\n'],
    ['an empty file (not the same as none)', ''],
    ['a file that says "none"', 'none'],
    ['a file holding a fake end of record', 'x\nend\nprevious\tnone\n'],
    ['every byte', Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('latin1')],
  ])('round-trips a previous drop-in: %s', (_, content) => {
    const bytes = Buffer.from(content, 'latin1');
    const record = drive(['change-format', 'undo', '65534', '1', '86400', '75', '9', '600', '60', '5', '1', '1'], bytes).stdout;
    expect(record.toString().split('\n')).toHaveLength(10); // nine lines and the empty string after the last newline
    const parsed = drive(['change-parse'], record).text;
    expect(parsed).toBe(`ok undo 65534 1 86400 75 9 600 60 5 1 1 ${hex(bytes)}\n`);
  });

  it.each([
    ['a pid', ['pid', '4242', '4026532817'], 'netns\t4026532817\tpid\t4242\n', ' netns pid 4242 4026532817'],
    ['an ip netns name', ['name', 'blue', '4026532900'], 'netns\t4026532900\tname\tblue\n', ' netns name blue 4026532900'],
  ])('records the namespace a change was made in, entered by %s', (_, netns, line, parsed) => {
    const runtime = ['apply', '1000', '1764000000000', '7200', '75', '9', '600', '60', '5', '0', '0'];
    const record = drive(['change-format', ...runtime, ...netns]).text;
    expect(record).toBe(`idlewatch-keepalive-change/1\nverb\tapply\nuid\t1000\nstarted\t1764000000000\nbefore\t7200\t75\t9\nafter\t600\t60\t5\n${line}dropin\t0\nprevious\tnone\nend\n`);
    expect(drive(['change-parse'], record).text).toBe(`ok apply 1000 1764000000000 7200 75 9 600 60 5 0 0 -${parsed}\n`);
  });

  it.each([
    ['a namespaced change that touches the drop-in', (t: string) => t.replace('dropin\t0', 'dropin\t1')],
    ['a namespace of inode 0', (t: string) => t.replace('netns\t4026532817', 'netns\t0')],
    ['a pid of 0', (t: string) => t.replace('pid\t4242', 'pid\t0')],
    ['a name that leaves /run/netns', (t: string) => t.replace('pid\t4242', 'name\t..')],
    ['an unknown way in', (t: string) => t.replace('pid\t4242', 'path\t/proc/1/ns/net')],
    ['a netns line after the dropin line', (t: string) => t.replace('netns\t4026532817\tpid\t4242\ndropin\t0\n', 'dropin\t0\nnetns\t4026532817\tpid\t4242\n')],
  ])('refuses %s', (_, edit) => {
    const record = drive(['change-format', 'apply', '1000', '1', '7200', '75', '9', '600', '60', '5', '0', '0', 'pid', '4242', '4026532817']).text;
    expect(drive(['change-parse'], record).text).toMatch(/^ok /);
    expect(drive(['change-parse'], edit(record)).text).toMatch(/^bad\t/);
  });

  it('refuses every truncation, and anything after the end', () => {
    const record = drive(['change-format', ...head, '1'], 'previous content\n').stdout;
    expect(drive(['change-parse'], record).text).toMatch(/^ok /);
    for (let n = 0; n < record.length; n++) expect(drive(['change-parse'], record.subarray(0, n)).text, `cut at ${n}`).toMatch(/^bad\t/);
    expect(drive(['change-parse'], Buffer.concat([record, Buffer.from('\n')])).text).toMatch(/^bad\t/);
    expect(drive(['change-parse'], Buffer.from(record.toString().replaceAll('\n', '\r\n'))).text).toMatch(/^bad\t/);
  });

  it.each([
    ['an unknown verb', (t: string) => t.replace('verb\tapply', 'verb\trecover')],
    ['a leading zero', (t: string) => t.replace('before\t7200', 'before\t07200')],
    ['a missing value', (t: string) => t.replace('\t9\n', '\n')],
    ['a value too large for the kernel', (t: string) => t.replace('\t7200\t', '\t2147483648\t')],
    ['a uid of -1', (t: string) => t.replace('uid\t1000', 'uid\t4294967295')],
    ['a dropin flag of 2', (t: string) => t.replace('dropin\t1', 'dropin\t2')],
    ['spaces for tabs', (t: string) => t.replace('after\t600\t60\t5', 'after 600 60 5')],
    ['lines out of order', (t: string) => t.replace('uid\t1000\nstarted\t1764000000000', 'started\t1764000000000\nuid\t1000')],
    ['another format version', (t: string) => t.replace('change/1', 'change/2')],
  ])('refuses %s', (_, edit) => {
    const record = drive(['change-format', ...head, '0']).text;
    expect(drive(['change-parse'], edit(record)).text).toMatch(/^bad\t/);
  });
});

describe('history lines', () => {
  const fields = ['1764000000000', '65534', 'apply', '7200', '75', '9', '900', '60', '5', '1'];

  it('are the protocol line, and parse back (in C and in TypeScript)', () => {
    const line = drive(['history-format', ...fields, 'rolled-back'], 'cannot write\t/proc/sys: Read-only\nfile \\ system').text;
    expect(line).toBe(
      'H\t1764000000000\t65534\tapply\t7200\t75\t9\t900\t60\t5\t1\trolled-back\tcannot write\\x09/proc/sys: Read-only\\x0afile \\\\ system\n',
    );
    const msgHex = Buffer.from('cannot write\t/proc/sys: Read-only\nfile \\ system').toString('hex');
    expect(drive(['history-parse'], line).text).toBe(`ok 1764000000000 65534 apply 7200 75 9 900 60 5 1 rolled-back ${msgHex}\n`);
    expect(parseHistory(line)).toEqual([
      {
        atMs: 1764000000000,
        uid: 65534,
        action: 'apply',
        before: { timeSec: 7200, intervalSec: 75, probes: 9 },
        after: { timeSec: 900, intervalSec: 60, probes: 5 },
        persisted: true,
        outcome: 'rolled-back',
        message: 'cannot write\t/proc/sys: Read-only\nfile \\ system',
      },
    ]);
  });

  it('end with the namespace changed, when it was not the helper\'s own (older readers see the line unchanged otherwise)', () => {
    const line = drive(['history-format', ...fields, 'applied', '4026532817'], 'ok').text;
    expect(line).toBe('H\t1764000000000\t65534\tapply\t7200\t75\t9\t900\t60\t5\t1\tapplied\tok\t4026532817\n');
    expect(drive(['history-parse'], line).text).toBe(`ok 1764000000000 65534 apply 7200 75 9 900 60 5 1 applied ${Buffer.from('ok').toString('hex')} netns 4026532817\n`);
    expect(parseHistory(line)).toEqual([expect.objectContaining({ action: 'apply', message: 'ok', netns: '4026532817' })]);
    expect(drive(['history-parse'], line.replace('\t4026532817', '\t0')).text).toBe('bad\n');
    expect(drive(['history-parse'], line.replace('\t4026532817', '\t04026532817')).text).toBe('bad\n');
    expect(drive(['history-parse'], line.replace('\t4026532817', '\t4026532817\t1')).text).toBe('bad\n');
  });

  it('cut a long message to 1000 bytes', () => {
    const line = drive(['history-format', ...fields, 'applied'], 'x'.repeat(5000)).text;
    expect(line.split('\t')[12]).toBe(`${'x'.repeat(1000)}\n`);
  });

  it.each([
    ['an unknown outcome', (l: string) => l.replace('applied', 'refused')],
    ['a field too many', (l: string) => l.replace('\tapplied\t', '\tapplied\t\t')],
    ['a raw control byte in the message', (l: string) => l.replace('ok\n', 'o\x1bk\n')],
    ['an escaped NUL', (l: string) => l.replace('ok\n', 'o\\x00k\n')],
  ])('refuses %s', (_, edit) => {
    const line = drive(['history-format', ...fields, 'applied'], 'ok').text;
    expect(drive(['history-parse'], line).text).toMatch(/^ok /);
    expect(drive(['history-parse'], edit(line)).text).toBe('bad\n');
  });
});

describe('fuzzing the parsers (canonical or refused, never a sanitizer report)', () => {
  const RUNS = 200_000;
  const MAX_SECONDS = 15;
  const target = [join(NATIVE_DIR, 'keepalive-core-fuzz.c'), KEEPALIVE_CORE];

  function seeds(into: string): string[] {
    mkdirSync(into, { recursive: true });
    const record = drive(['change-format', 'apply', '1000', '1764000000000', '7200', '75', '9', '600', '60', '5', '1', '1'], '# x\n\ta\\b\n').stdout;
    const history = drive(['history-format', '1', '0', 'undo', '1', '2', '3', '4', '5', '6', '0', 'failed'], 'why\there').stdout;
    const netnsRecord = drive(['change-format', 'undo', '0', '1', '7200', '75', '9', '600', '60', '5', '0', '0', 'name', 'blue', '4026532900']).stdout;
    const netnsHistory = drive(['history-format', '1', '0', 'apply', '1', '2', '3', '4', '5', '6', '0', 'applied', '4026532900'], '').stdout;
    const all: [string, Buffer][] = [
      ['record', Buffer.concat([Buffer.from([0]), record])],
      ['history', Buffer.concat([Buffer.from([1]), history])],
      ['args-apply', Buffer.from('\x02apply\x00600\x0060\x005\x00persist')],
      ['args-undo', Buffer.from('\x02undo')],
      ['args-apply-netns', Buffer.from('\x02apply\x00600\x0060\x005\x00runtime\x00--netns\x00pid\x004242\x004026532817')],
      ['args-undo-netns', Buffer.from('\x02undo\x00--netns\x00name\x00blue\x004026532817')],
      ['record-netns', Buffer.concat([Buffer.from([0]), netnsRecord])],
      ['history-netns', Buffer.concat([Buffer.from([1]), netnsHistory])],
      ['sysctl', Buffer.from('\x037200\n')],
      ['escape', Buffer.from('\x04a\tb\\c\x7f\xff')],
    ];
    return all.map(([name, bytes]) => {
      const path = join(into, name);
      writeFileSync(path, bytes);
      return path;
    });
  }

  function expectClean(r: ReturnType<typeof spawnSync>) {
    const output = `${r.stdout}${r.stderr}`;
    expect(output).not.toMatch(SANITIZER_REPORT);
    expect(output).not.toMatch(/broken promise|deadly signal|==\d+== ?ERROR/);
    expect(r.status, output.slice(-4000)).toBe(0);
  }

  it(`survives ${RUNS} deterministic mutants`, () => {
    const { built, run: r } = runMutationFuzzer(join(dir, 'fuzz-mutate'), target, seeds(join(dir, 'seeds')), RUNS, MAX_SECONDS);
    expect(built.ok, built.output).toBe(true);
    expectClean(r!);
    expect(String(r!.stdout)).toMatch(/^done \d+ runs$/m);
  }, 60_000);

  it(`survives libFuzzer for ${RUNS} runs or ${MAX_SECONDS} s (when clang has libFuzzer)`, (ctx) => {
    if (!libFuzzer) ctx.skip('clang cannot link -fsanitize=fuzzer here (Debian: apt-get install libclang-rt-14-dev)');
    const binary = join(dir, 'fuzz-libfuzzer');
    const built = compile('clang', binary, target, ['-fsanitize=fuzzer', ...SANITIZE, ...WARN]);
    expect(built.ok, built.output).toBe(true);
    const corpus = join(dir, 'corpus');
    seeds(corpus);
    const r = spawnSync(binary, [`-runs=${RUNS}`, `-max_total_time=${MAX_SECONDS}`, '-seed=1', `-artifact_prefix=${dir}/`, corpus], {
      encoding: 'utf8',
      env: { ...process.env, ...SANITIZER_ENV },
      timeout: (MAX_SECONDS + 30) * 1000,
    });
    expectClean(r);
    expect(readdirSync(dir).filter((f) => /^(crash|leak|timeout|oom)-/.test(f))).toEqual([]);
  }, 60_000);
});

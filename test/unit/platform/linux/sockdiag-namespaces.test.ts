import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsArgs } from '../../../../main/platform/linux/connection-ends';
import type { NamespaceEntry } from '../../../../main/platform/linux/namespaces/entry';
import { NO_HEADER, parseSysctlsAnswer, SockdiagReader } from '../../../../main/platform/linux/sockdiag-output';
import { NamespaceRefused, SockdiagProcess, snapshotCommand, sysctlsCommand } from '../../../../main/platform/linux/sockdiag-process';

/**
 * How another network namespace is asked of idlewatch-sockdiag (issue 9): the command lines
 * built from an entry, and the answers read back. The helper's side is in
 * sockdiag-commands.test.ts (the real binary) and test/integration/namespaces-read.test.ts.
 */

const byPid: NamespaceEntry = { kind: 'pid', pid: 4242, inode: '4026532177' };
const byName: NamespaceEntry = { kind: 'name', name: 'idlewatch-test.a_1', inode: '4026532300' };

describe('the snapshot command', () => {
  it('is the same as before for the current namespace', () => {
    expect(snapshotCommand()).toBe('snapshot\n');
    expect(snapshotCommand(4_000_000)).toBe('snapshot 4000000\n');
    expect(snapshotCommand(1e9 / 300)).toBe('snapshot 3333333\n');
  });

  it('names another namespace by pid or by ip netns name, always with its inode', () => {
    expect(snapshotCommand(4_000_000, byPid)).toBe('snapshot 4000000 pid 4242 4026532177\n');
    expect(snapshotCommand(4_000_000, byName)).toBe('snapshot 4000000 name idlewatch-test.a_1 4026532300\n');
    // Without a tick the namespace still has its place: the tick is 0, "not known".
    expect(snapshotCommand(undefined, byPid)).toBe('snapshot 0 pid 4242 4026532177\n');
  });

  it.each([
    ['a name with a space', { kind: 'name', name: 'a b', inode: '4026532300' }],
    ['a name with a newline (a second command)', { kind: 'name', name: 'x\nquit', inode: '4026532300' }],
    ['a name that climbs out of /run/netns', { kind: 'name', name: '..', inode: '4026532300' }],
    ['a name with a slash', { kind: 'name', name: '../../proc/1/ns/net', inode: '4026532300' }],
    ['a name longer than 64 characters', { kind: 'name', name: 'n'.repeat(65), inode: '4026532300' }],
    ['pid 0', { kind: 'pid', pid: 0, inode: '4026532177' }],
    ['a negative pid', { kind: 'pid', pid: -1, inode: '4026532177' }],
    ['a fractional pid', { kind: 'pid', pid: 1.5, inode: '4026532177' }],
    ['a pid above PID_MAX_LIMIT', { kind: 'pid', pid: 4_194_305, inode: '4026532177' }],
    ['an inode that is not decimal', { kind: 'pid', pid: 1, inode: '0x10' }],
    ['inode 0', { kind: 'pid', pid: 1, inode: '0' }],
    ['an inode above 2^32 - 1', { kind: 'pid', pid: 1, inode: '4294967296' }],
    ['an unknown kind', { kind: 'path', path: '/proc/1/ns/net', inode: '4026532177' }],
  ])('refuses %s before anything reaches the helper', (_, entry) => {
    expect(() => snapshotCommand(4_000_000, entry as unknown as NamespaceEntry)).toThrow(/namespace entry/);
    expect(() => sysctlsCommand(entry as unknown as NamespaceEntry)).toThrow(/namespace entry/);
    expect(() => eventsArgs(entry as unknown as NamespaceEntry)).toThrow(/namespace entry/);
  });

  it.each([-1, 1.5e9, Number.NaN, Number.POSITIVE_INFINITY])('refuses a tick of %s ns', (tick) => {
    expect(() => snapshotCommand(tick)).toThrow(/out of range/);
  });
});

describe('the sysctls command and the --events arguments', () => {
  it('read the current namespace without words, another with its entry', () => {
    expect(sysctlsCommand()).toBe('sysctls\n');
    expect(sysctlsCommand(byPid)).toBe('sysctls pid 4242 4026532177\n');
    expect(sysctlsCommand(byName)).toBe('sysctls name idlewatch-test.a_1 4026532300\n');
    expect(eventsArgs()).toEqual(['--events']);
    expect(eventsArgs(null)).toEqual(['--events']);
    expect(eventsArgs(byPid)).toEqual(['--events', 'pid', '4242', '4026532177']);
    expect(eventsArgs(byName)).toEqual(['--events', 'name', 'idlewatch-test.a_1', '4026532300']);
  });
});

describe('reading the answer to sysctls', () => {
  it('reads the four values of the K record', () => {
    expect(parseSysctlsAnswer('K\t600\t60\t5\t15\n.\n')).toEqual({
      ok: true,
      settings: { os: 'linux', timeSec: 600, intervalSec: 60, probes: 5, retries2: 15 },
    });
  });

  it('gives the E lines of a refusal, unescaped', () => {
    const answer = parseSysctlsAnswer('E\tnamespace pid 7: /proc/7/ns/net is namespace 1, not 2 (the pid was reused or the name rebound)\n.\n');
    expect(answer).toEqual({ ok: false, errors: ['namespace pid 7: /proc/7/ns/net is namespace 1, not 2 (the pid was reused or the name rebound)'] });
    expect(parseSysctlsAnswer('E\tname \\x1b[2J\\\\\n.\n')).toEqual({ ok: false, errors: ['name \x1b[2J\\'] });
  });

  it.each([
    ['no record at all', '.\n'],
    ['a K record with three values', 'K\t600\t60\t5\n.\n'],
    ['a value that is not a count', 'K\t600\t-\t5\t15\n.\n'],
    ['a value above an unsigned int', 'K\t4294967296\t60\t5\t15\n.\n'],
    ['two K records', 'K\t600\t60\t5\t15\nK\t7200\t75\t9\t15\n.\n'],
    ['an unknown record', 'S\t4\n.\n'],
    ['a K record next to an error', 'E\tcannot read\nK\t600\t60\t5\t15\n.\n'],
  ])('fails on %s', (_, text) => {
    expect(parseSysctlsAnswer(text).ok).toBe(false);
  });
});

describe('a refused snapshot', () => {
  it('reads as E lines with no header, which is how the adapter tells a refusal from an empty namespace', () => {
    const refused = new SockdiagReader(() => undefined);
    refused.push('E\tnamespace name gone: cannot open /run/netns/gone: No such file or directory\n.\n');
    expect(refused.finish()).toMatchObject({
      format: '',
      errors: ['namespace name gone: cannot open /run/netns/gone: No such file or directory', NO_HEADER],
    });
    const empty = new SockdiagReader(() => undefined);
    empty.push('H\tidlewatch-sockdiag/1\t1\t2\t3\nT\tsockets=0\n.\n');
    expect(empty.finish()).toMatchObject({ format: 'idlewatch-sockdiag/1', errors: [] });
  });
});

describe('SockdiagProcess asking about another namespace', () => {
  let dir = '';
  let helper = '';
  let log = '';

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'idlewatch-sockdiag-namespaces-'));
    helper = join(dir, 'helper');
    log = join(dir, 'commands');
    // Answers like the helper: settings for pid 4242's namespace, a refusal for any other.
    writeFileSync(
      helper,
      [
        '#!/bin/sh',
        'while read -r command; do',
        '  printf "%s\\n" "$command" >> "$0.log"',
        '  case "$command" in',
        '    "sysctls pid 4242 "*) printf "K\\t600\\t60\\t5\\t15\\n.\\n" ;;',
        '    sysctls*) printf "E\\tnamespace pid 99: cannot open /proc/99/ns/net: No such file or directory\\n.\\n" ;;',
        '    *) printf "H\\tidlewatch-sockdiag/1\\t1\\t2\\t3\\nT\\tsockets=0\\n.\\n" ;;',
        '  esac',
        'done',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    log = `${helper}.log`;
  });

  // The stand-in may still be appending to its log as the helper closes: retry a directory not yet empty.
  afterAll(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }));

  it('sends one command line per request, the entry in it, through one helper process', async () => {
    const sockdiag = new SockdiagProcess(helper);
    await sockdiag.stream(() => undefined, 4_000_000, byName);
    expect(await sockdiag.sysctls(byPid)).toEqual({ os: 'linux', timeSec: 600, intervalSec: 60, probes: 5, retries2: 15 });
    await sockdiag.stream(() => undefined, 4_000_000);
    sockdiag.close();
    expect(readFileSync(log, 'utf8').split('\n').slice(0, 3)).toEqual([
      'snapshot 4000000 name idlewatch-test.a_1 4026532300',
      'sysctls pid 4242 4026532177',
      'snapshot 4000000',
    ]);
  });

  it('rejects with NamespaceRefused, carrying the reasons, when the helper refuses', async () => {
    const sockdiag = new SockdiagProcess(helper);
    const read = sockdiag.sysctls({ kind: 'pid', pid: 99, inode: '4026532177' });
    await expect(read).rejects.toBeInstanceOf(NamespaceRefused);
    await expect(read).rejects.toThrow('namespace pid 99: cannot open /proc/99/ns/net: No such file or directory');
    sockdiag.close();
  });

  it('rejects an invalid entry without writing anything to the helper', async () => {
    rmSync(log, { force: true });
    const sockdiag = new SockdiagProcess(helper);
    await expect(sockdiag.stream(() => undefined, 4_000_000, { kind: 'name', name: 'a\nquit', inode: '1' })).rejects.toThrow(/namespace entry/);
    await expect(sockdiag.sysctls({ kind: 'pid', pid: 0, inode: '1' })).rejects.toThrow(/namespace entry/);
    sockdiag.close();
    expect(() => readFileSync(log, 'utf8')).toThrow(/ENOENT/);
  });
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSockdiagOutput } from '../../../../main/platform/linux/sockdiag-output';
import { compile, SANITIZE, SANITIZER_ENV, SANITIZER_REPORT, sockdiagSources, WARN } from '../../../native/compile';

/**
 * The command lines of idlewatch-sockdiag (main/platform/linux/sockdiag/sockdiag.c), built from
 * the current sources with AddressSanitizer and UndefinedBehaviorSanitizer: every command gets
 * exactly one answer ending in ".", a bad one an E line alone, so the parent and the helper
 * never fall out of step. Needs no privilege: the namespace named is this process's own (the
 * helper then has nothing to enter), or one the helper refuses before entering. Entering other
 * namespaces is test/integration/namespaces-read.test.ts.
 */

let dir = '';
let helper = '';
const ownInode = String(statSync('/proc/self/ns/net').ino);
const sysctl = (name: string) => Number(readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8').trim());

function run(args: string[], input = '') {
  const r = spawnSync(helper, args, { input, encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, ...SANITIZER_ENV } });
  expect(r.stderr).not.toMatch(SANITIZER_REPORT);
  return r;
}

/** Each answer of a run, without its closing "." line. */
function answers(stdout: string): string[] {
  expect(stdout.endsWith('.\n')).toBe(true);
  return stdout.split(/^\.\n/m).slice(0, -1);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'idlewatch-sockdiag-commands-'));
  helper = join(dir, 'idlewatch-sockdiag-asan');
  const built = compile('cc', helper, sockdiagSources(), [...SANITIZE, ...WARN], ['-lpthread']);
  if (!built.ok) throw new Error(`cannot build the helper with sanitizers:\n${built.output}`);
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sysctls', () => {
  it("reads the helper's own namespace's keepalive sysctls, and the same through an entry that leads there", () => {
    const r = run([], `sysctls\nsysctls pid ${process.pid} ${ownInode}\nquit\n`);
    expect(r.status).toBe(0);
    const expected = `K\t${sysctl('tcp_keepalive_time')}\t${sysctl('tcp_keepalive_intvl')}\t${sysctl('tcp_keepalive_probes')}\t${sysctl('tcp_retries2')}\n`;
    expect(answers(r.stdout)).toEqual([expected, expected]);
  });
});

describe('snapshot of a namespace named by an entry', () => {
  it('answers with the usual header when the entry leads to the namespace it names', () => {
    const r = run(['--once', '4000000', 'pid', String(process.pid), ownInode]);
    expect(r.status).toBe(0);
    const out = parseSockdiagOutput(r.stdout);
    expect(out.format).toBe('idlewatch-sockdiag/1');
    expect(out.malformedLines).toBe(0);
  });

  it('refuses an entry whose inode is another (a reused pid), with an E line and no records', () => {
    const r = run([], `snapshot 4000000 pid ${process.pid} 4026531\nsysctls pid ${process.pid} 4026531\nquit\n`);
    const refusal = `E\tnamespace pid ${process.pid}: /proc/${process.pid}/ns/net is namespace ${ownInode}, not 4026531 (the pid was reused or the name rebound)\n`;
    expect(answers(r.stdout)).toEqual([refusal, refusal]);
  });

  it('refuses a pid that does not run, and an ip netns name that does not exist', () => {
    const r = run([], 'snapshot 0 pid 4194304 4026531\nsysctls name idlewatch-no-such-namespace 4026531\nquit\n');
    expect(answers(r.stdout)).toEqual([
      'E\tnamespace pid 4194304: cannot open /proc/4194304/ns/net: No such file or directory\n',
      'E\tnamespace name idlewatch-no-such-namespace: cannot open /run/netns/idlewatch-no-such-namespace: No such file or directory\n',
    ]);
  });
});

describe('command lines it cannot run', () => {
  const bad: [string, string][] = [
    ['an unknown verb', 'nonsense'],
    ['a tick that is not a number', 'snapshot 4ms'],
    ['a tick above one second', 'snapshot 2000000000'],
    ['a namespace without its inode', 'snapshot 4000000 pid 1'],
    ['pid 0', 'snapshot 4000000 pid 0 4026531'],
    ['a pid above PID_MAX_LIMIT', 'snapshot 4000000 pid 4194305 4026531'],
    ['a signed pid', 'sysctls pid +1 4026531'],
    ['inode 0', 'sysctls pid 1 0'],
    ['an inode above 2^32 - 1', 'sysctls pid 1 4294967296'],
    ['a name that climbs out of /run/netns', 'sysctls name .. 4026531'],
    ['a name with a slash', 'sysctls name a/b 4026531'],
    ['a name of 65 characters', `sysctls name ${'n'.repeat(65)} 4026531`],
    ['an unknown way in', 'sysctls path /proc/1/ns/net 4026531'],
    ['a word too many', 'sysctls pid 1 4026531 again'],
    ['two spaces', 'snapshot  4000000'],
    ['a trailing space', 'sysctls '],
    ['a line longer than any command', `snapshot 4000000 name ${'n'.repeat(400)} 1`],
  ];

  it.each(bad)('answers %s with one E line and the end of the answer', (_, line) => {
    const r = run([], `${line}\nquit\n`);
    expect(r.status).toBe(0);
    const [answer, ...rest] = answers(r.stdout);
    expect(answer).toMatch(/^E\t[^\n]+\n$/);
    expect(rest).toEqual([]);
  });

  it('stays in step: after every bad line, the next command gets its own answer', () => {
    const r = run([], `${bad.map(([, line]) => line).join('\n')}\nsysctls\nquit\n`);
    const all = answers(r.stdout);
    expect(all).toHaveLength(bad.length + 1);
    expect(all.slice(0, -1).every((a) => /^E\t[^\n]+\n$/.test(a))).toBe(true);
    expect(all.at(-1)).toMatch(/^K\t\d+\t\d+\t\d+\t\d+\n$/);
  });
});

describe('--events with a namespace', () => {
  it('refuses an entry that does not lead to the namespace it names, with status 7 and an E line', () => {
    const r = run(['--events', 'pid', String(process.pid), '4026531']);
    expect(r.status).toBe(7);
    expect(r.stdout).toBe(
      `E\tnamespace pid ${process.pid}: /proc/${process.pid}/ns/net is namespace ${ownInode}, not 4026531 (the pid was reused or the name rebound)\n`,
    );
  });

  it.each([
    ['a namespace without its inode', ['pid', '1']],
    ['an invalid name', ['name', '..', '4026531']],
  ])('refuses %s', (_, words) => {
    const r = run(['--events', ...words]);
    expect(r.status).toBe(7);
    expect(r.stdout).toMatch(/^E\t[^\n]+\n$/);
  });
});

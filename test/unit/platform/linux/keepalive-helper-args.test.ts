import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANITIZER_ENV, SANITIZER_REPORT } from '../../../native/compile';
import { buildHelpers, keepaliveSources, parseHelperOutput, systemState } from '../../../native/keepalive';

/**
 * Acceptance 3: idlewatch-keepalive refuses everything but its verbs and in-range integers, and
 * refuses before it touches anything. Every argument vector here must be refused: exit 2, one E
 * line naming the problem, FAIL, and nothing changed.
 *
 * These run as root on the host, where an accepted apply WOULD change the machine. So, as a
 * second safety net, the helper runs inside a throwaway network namespace and a private mount
 * namespace with tmpfs over /etc/sysctl.d and /var/lib (when root can make one); the state there
 * is compared before and after too, and so is the host's.
 */

interface Case {
  name: string;
  args: string[];
  /** What the E line must say. */
  says: RegExp;
}

const ok = ['600', '60', '5', 'persist'];
const apply = (i: number, value: string) => ['apply', ...ok.map((a, j) => (j === i ? value : a))];
const TIME = /TIME must be/;
const INTVL = /INTVL must be/;
const PROBES = /PROBES must be/;
const DIGITS = /in digits only/;
const RANGE = /must be from 1 to/;

const CASES: Case[] = [
  // Shell metacharacters: no shell ever sees them, and they are not digits.
  { name: 'a command after a semicolon', args: apply(0, '600;reboot'), says: TIME },
  { name: 'command substitution $( )', args: apply(0, '$(id)'), says: TIME },
  { name: 'command substitution in backquotes', args: apply(1, '`id`'), says: INTVL },
  { name: 'a whole command line in one argument', args: apply(0, '600 60 5; rm'), says: TIME },
  { name: 'a whole command line as the only argument', args: ['apply', '600 60 5; rm -rf /'], says: /apply takes 4 arguments.*got 1/ },
  { name: 'a pipe', args: apply(2, '5|sh'), says: PROBES },
  { name: 'a redirection', args: apply(2, '5>/etc/passwd'), says: PROBES },
  { name: 'a newline and a second command', args: apply(0, '600\nreboot'), says: TIME },
  { name: 'metacharacters in the mode', args: apply(3, 'persist;id'), says: /persist or runtime/ },
  // Negative, zero, huge.
  { name: 'a negative time', args: apply(0, '-600'), says: DIGITS },
  { name: 'a negative probe count', args: apply(2, '-1'), says: PROBES },
  { name: 'zero time', args: apply(0, '0'), says: RANGE },
  { name: 'zero interval', args: apply(1, '0'), says: INTVL },
  { name: 'zero probes', args: apply(2, '0'), says: PROBES },
  { name: 'time above 32767', args: apply(0, '32768'), says: /TIME must be from 1 to 32767/ },
  { name: 'interval above 32767', args: apply(1, '32768'), says: /INTVL must be from 1 to 32767/ },
  { name: 'probes above 255', args: apply(2, '256'), says: /PROBES must be from 1 to 255/ },
  { name: 'a 20-digit number', args: apply(0, '99999999999999999999'), says: RANGE },
  { name: 'a number that wraps to 600 in 32 bits', args: apply(0, '4294967896'), says: RANGE },
  { name: 'a number that wraps to 5 in 8 bits', args: apply(2, '261'), says: PROBES },
  // Not plain decimal.
  { name: 'letters', args: apply(0, 'abc'), says: DIGITS },
  { name: 'a decimal point', args: apply(0, '600.0'), says: DIGITS },
  { name: 'an exponent', args: apply(0, '6e2'), says: DIGITS },
  { name: 'hexadecimal', args: apply(0, '0x258'), says: DIGITS },
  { name: 'a leading zero', args: apply(0, '0600'), says: DIGITS },
  { name: 'a plus sign', args: apply(1, '+60'), says: DIGITS },
  { name: 'a leading space', args: apply(0, ' 600'), says: DIGITS },
  { name: 'a trailing space', args: apply(2, '5 '), says: DIGITS },
  { name: 'a tab', args: apply(0, '600\t'), says: DIGITS },
  { name: 'full-width digits', args: apply(0, '６００'), says: DIGITS },
  { name: 'digit separators', args: apply(0, '1_000'), says: DIGITS },
  // Missing and extra arguments.
  { name: 'no arguments at all', args: [], says: /no verb/ },
  { name: 'apply alone', args: ['apply'], says: /apply takes 4 arguments.*got 0/ },
  { name: 'apply without the mode', args: ['apply', '600', '60', '5'], says: /apply takes 4 arguments.*got 3/ },
  { name: 'apply with one more argument', args: [...apply(0, '600'), 'extra'], says: /apply takes 4 arguments.*got 5/ },
  { name: 'undo with an argument', args: ['undo', 'now'], says: /undo takes no arguments/ },
  { name: 'recover with an argument', args: ['recover', '600'], says: /recover takes no arguments/ },
  // Unknown verbs and paths.
  { name: 'an unknown verb', args: ['reboot'], says: /unknown verb "reboot"/ },
  { name: 'a verb in capitals', args: ['APPLY', ...ok], says: /unknown verb/ },
  { name: 'an option', args: ['--help'], says: /unknown verb/ },
  { name: 'a path as the verb', args: ['/etc/passwd'], says: /unknown verb "\/etc\/passwd"/ },
  { name: 'a path as a value', args: apply(0, '/etc/passwd'), says: TIME },
  { name: 'a path as the mode', args: apply(3, '/etc/sysctl.d/evil.conf'), says: /persist or runtime/ },
  // The mode, misspelled.
  { name: 'persist misspelled', args: apply(3, 'persits'), says: /persist or runtime/ },
  { name: 'persist in capitals', args: apply(3, 'Persist'), says: /persist or runtime/ },
  { name: 'persist with a trailing space', args: apply(3, 'persist '), says: /persist or runtime/ },
  { name: 'runtime misspelled', args: apply(3, 'runtim'), says: /persist or runtime/ },
  // Another network namespace: only `--netns pid PID INODE` or `--netns name NAME INODE`, runtime only.
  { name: 'persisting another namespace', args: ['apply', ...ok, '--netns', 'pid', '1', '4026531840'], says: /never persisted/ },
  { name: 'a namespace pid that is not a number', args: ['apply', '600', '60', '5', 'runtime', '--netns', 'pid', 'self', '4026531840'], says: /PID must be/ },
  { name: 'a namespace pid of 0', args: ['apply', '600', '60', '5', 'runtime', '--netns', 'pid', '0', '4026531840'], says: /PID must be from 1 to 4194304/ },
  { name: 'a namespace pid with a command', args: ['apply', '600', '60', '5', 'runtime', '--netns', 'pid', '1;id', '4026531840'], says: /PID must be/ },
  { name: 'a namespace inode of 0', args: ['apply', '600', '60', '5', 'runtime', '--netns', 'pid', '1', '0'], says: /INODE must be from 1/ },
  { name: 'a namespace inode too large', args: ['apply', '600', '60', '5', 'runtime', '--netns', 'pid', '1', '18446744073709551616'], says: /INODE must be from 1 to 4294967295/ },
  { name: 'a namespace name climbing out of /run/netns', args: ['apply', '600', '60', '5', 'runtime', '--netns', 'name', '../../proc/1/ns/net', '4026531840'], says: /NAME must be an ip netns name/ },
  { name: 'the namespace name ..', args: ['apply', '600', '60', '5', 'runtime', '--netns', 'name', '..', '4026531840'], says: /NAME must be an ip netns name/ },
  { name: 'a namespace name with a shell metacharacter', args: ['apply', '600', '60', '5', 'runtime', '--netns', 'name', 'a$(id)', '4026531840'], says: /NAME must be an ip netns name/ },
  { name: 'a namespace by path', args: ['apply', '600', '60', '5', 'runtime', '--netns', 'path', '/proc/1/ns/net', '4026531840'], says: /--netns takes pid PID INODE or name NAME INODE/ },
  { name: 'a namespace without its inode', args: ['apply', '600', '60', '5', 'runtime', '--netns', 'pid', '1'], says: /apply takes 4 arguments.*got 7/ },
  { name: 'an unknown option', args: ['apply', '600', '60', '5', 'runtime', '--root', 'pid', '1', '4026531840'], says: /the only option is --netns/ },
  { name: 'recover in a namespace', args: ['recover', '--netns', 'pid', '1', '4026531840'], says: /recover takes no arguments/ },
  { name: 'undo in a namespace by a bad pid', args: ['undo', '--netns', 'pid', '-1', '4026531840'], says: /PID must be/ },
  // Empty strings.
  { name: 'an empty verb', args: [''], says: /unknown verb ""/ },
  { name: 'an empty time', args: apply(0, ''), says: TIME },
  { name: 'an empty mode', args: apply(3, ''), says: /persist or runtime/ },
];

const SANDBOX_SCRIPT = [
  'set -e',
  'mount -t tmpfs -o mode=0755 idlewatch-test /etc/sysctl.d',
  'mount -t tmpfs -o mode=0755 idlewatch-test /var/lib',
  'mkdir -m 0755 /var/lib/idlewatch',
  "printf 'net.ipv4.tcp_keepalive_time = 7000\\n' > /etc/sysctl.d/50-other.conf",
  'snap() { cat /proc/sys/net/ipv4/tcp_keepalive_time /proc/sys/net/ipv4/tcp_keepalive_intvl /proc/sys/net/ipv4/tcp_keepalive_probes; ls -laR --time-style=full-iso /etc/sysctl.d /var/lib/idlewatch; }',
  'snap >&2',
  'echo @@ >&2',
  'set +e',
  '"$@"',
  'rc=$?',
  'echo @@ >&2',
  'snap >&2',
  'exit $rc',
].join('\n');

let dir = '';
let builds: { shipped: string; sanitized: string };
let sandboxed = false;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'idlewatch-keepalive-args-'));
  builds = buildHelpers(dir);
  sandboxed = process.getuid?.() === 0 && spawnSync('unshare', ['-n', '-m', 'true']).status === 0;
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(binary: string, args: string[]) {
  const env = { ...SANITIZER_ENV };
  if (!sandboxed) {
    const r = spawnSync(binary, args, { encoding: 'utf8', env, timeout: 30_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, inside: null };
  }
  const r = spawnSync('unshare', ['-n', '-m', '--propagation', 'private', '--', 'sh', '-c', SANDBOX_SCRIPT, 'sandbox', binary, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
    timeout: 30_000,
  });
  const [before, helperStderr, after] = r.stderr.split('@@\n');
  return { status: r.status, stdout: r.stdout, stderr: helperStderr ?? r.stderr, inside: { before, after } };
}

describe.each(['shipped', 'sanitized'] as const)('idlewatch-keepalive (%s build) refuses', (build) => {
  it.each(CASES)('$name: exit 2, says why, changes nothing', ({ args, says }) => {
    const hostBefore = systemState();
    const r = run(builds[build], args);
    const hostAfter = systemState();

    expect(r.stderr).not.toMatch(SANITIZER_REPORT);
    expect(r.stderr).toBe('');
    expect(r.status, r.stdout).toBe(2);
    const out = parseHelperOutput(r.stdout);
    expect(out.lines.map((l) => l[0])).toEqual(['E', 'FAIL']);
    expect(out.errors[0]).toMatch(/^usage: /);
    expect(out.errors[0]).toMatch(says);
    expect(out.before).toBeNull();
    expect(out.dropIn).toBeUndefined();

    expect(hostAfter).toEqual(hostBefore);
    if (r.inside) {
      expect(r.inside.before).toMatch(/^7200\n75\n9\n/);
      expect(r.inside.after).toBe(r.inside.before);
    }
  });
});

describe('no way to a shell', () => {
  it('the binary imports nothing that runs a program, loads code or sets the environment', () => {
    const r = spawnSync('nm', ['-D', '--undefined-only', builds.shipped], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const imported = r.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/).at(-1)!.replace(/@.*/, ''))
      .filter(Boolean);
    expect(imported).toContain('clearenv');
    const forbidden = /^(system|popen|exec[lv]p?e?|execvpe|fexecve|posix_spawnp?|fork|vfork|clone3?|dlopen|dlmopen|putenv|setenv|secure_getenv|wordexp|glob)$/;
    expect(imported.filter((name) => forbidden.test(name))).toEqual([]);
  });

  it('reads one environment variable, PKEXEC_UID, and clears the rest before parsing arguments', () => {
    const source = keepaliveSources()
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    expect(source.match(/getenv\([^)]*\)/g)).toEqual(['getenv("PKEXEC_UID")']);
    const main = source.slice(source.indexOf('int main('));
    expect(main.indexOf('clearenv()')).toBeGreaterThan(0);
    expect(main.indexOf('clearenv()')).toBeLessThan(main.indexOf('kh_parse_args('));
  });
});

describe('the check itself', () => {
  it('sees a change when the arguments are valid (only inside the throwaway namespace)', (ctx) => {
    if (!sandboxed) ctx.skip('needs root and unshare: a valid apply must never run on the host');
    const hostBefore = systemState();
    const r = run(builds.shipped, ['apply', '600', '60', '5', 'persist']);
    expect(r.status, r.stdout).toBe(0);
    expect(r.inside!.after).not.toBe(r.inside!.before);
    expect(r.inside!.after).toMatch(/^600\n60\n5\n/);
    expect(r.inside!.after).toContain('99-zz-idlewatch-keepalive.conf');
    expect(systemState()).toEqual(hostBefore);
  });
});

describe('the refusal names the argument safely', () => {
  it('echoes a hostile argument escaped and cut short, on one line', () => {
    const r = run(builds.shipped, apply(0, `600\x1b[2J\n${'9'.repeat(100)}`));
    expect(r.status).toBe(2);
    expect(r.stdout.split('\n')).toHaveLength(3); // E, FAIL, and the empty string after the last newline
    expect(r.stdout).not.toContain('\x1b');
    // Once the line is unescaped, the message shows the argument's control bytes as visible escapes.
    const message = parseHelperOutput(r.stdout).errors[0]!;
    expect(message).toContain('got "600\\x1b[2J\\x0a999');
    expect(message).toMatch(/9\.\.\."$/);
    expect(message).not.toMatch(/[\x00-\x1f]/);
  });
});

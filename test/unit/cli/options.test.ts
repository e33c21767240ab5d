import { describe, expect, it, vi } from 'vitest';
import pkg from '../../../package.json';
import { commandFilter, middleboxRules, parseCommand, REPORT_FORMAT_NAMES, USAGE, UsageError } from '../../../main/cli/options';
import { ABOUT, aboutLines } from '../../../shared/about';
import { REPORT_FORMATS } from '../../../shared/api/schemas';
import { NO_FILTER } from '../../../shared/connection-filter';

describe('idlewatch snapshot options', () => {
  it('reads every option', () => {
    expect(parseCommand(['snapshot', '--json', '--middlebox-idle', '350', '--idle-min', '60', '--state', 'established'])).toEqual({
      command: 'snapshot',
      json: true,
      middleboxIdleSec: 350,
      idleMinSec: 60,
      state: 'ESTABLISHED',
      netns: null,
      allNamespaces: false,
    });
  });

  it('defaults to a table of everything in the current namespace with no middlebox', () => {
    expect(parseCommand(['snapshot'])).toEqual({
      command: 'snapshot',
      json: false,
      middleboxIdleSec: null,
      idleMinSec: undefined,
      state: undefined,
      netns: null,
      allNamespaces: false,
    });
  });

  it.each([['4026532512'], ['4242'], ['idlewatch-test-1'], ['blue.ns_2']])('takes --netns %s as typed, to be resolved against the namespaces in use', (value) => {
    expect(parseCommand(['snapshot', '--netns', value])).toMatchObject({ netns: value, allNamespaces: false });
  });

  it('reads every namespace with --all-namespaces', () => {
    expect(parseCommand(['snapshot', '--all-namespaces', '--json'])).toMatchObject({ netns: null, allNamespaces: true, json: true });
  });

  it.each([
    [['snapshot', '--netns', '4026532512', '--all-namespaces'], /--netns reads one namespace and --all-namespaces every one: give one of them/],
    [['snapshot', '--all-namespaces', '--netns', 'blue'], /give one of them/],
    [['snapshot', '--netns', '../../proc/1/ns/net'], /--netns expects a namespace id, a pid or an ip netns name, got "..\/..\/proc\/1\/ns\/net"/],
    [['snapshot', '--netns', '..'], /--netns expects/],
    [['snapshot', '--netns', ''], /--netns expects/],
    [['snapshot', '--netns', 'a b'], /--netns expects/],
    [['snapshot', '--netns', 'x'.repeat(65)], /--netns expects/],
    [['snapshot', '--netns', 'evil\x1b[2J'], /got "evil\\x1b\[2J"/],
    [['snapshot', '--all-namespaces=yes'], /all-namespaces/],
  ])('%j is a usage error: %s', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
    expect(() => parseCommand(argv)).toThrow(message);
  });

  it('accepts --state time-wait spelled the way people type it', () => {
    expect(parseCommand(['snapshot', '--state', 'time-wait'])).toMatchObject({ state: 'TIME_WAIT' });
  });

  it.each([
    [['snapshot', '--bogus'], /Unknown option '--bogus'/],
    [['snapshot', '--middlebox-idle', 'soon'], /--middlebox-idle expects a whole number of seconds, got "soon"/],
    [['snapshot', '--middlebox-idle', '0'], /--middlebox-idle must be between 1 and 31536000/],
    [['snapshot', '--middlebox-idle=-5'], /whole number/],
    [['snapshot', '--idle-min', '1e3'], /--idle-min expects a whole number/],
    [['snapshot', '--idle-min', '99999999999'], /between 0 and 31536000/],
    [['snapshot', '--state', 'DANCING'], /--state must be one of ESTABLISHED/],
    [['snapshot', 'extra'], /Unexpected argument 'extra'/],
    [['snapshat'], /unknown command "snapshat"/],
  ])('%j is a usage error: %s', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
    expect(() => parseCommand(argv)).toThrow(message);
  });
});

describe('idlewatch serve options', () => {
  it('binds to loopback on 8787 and refuses privileged methods by default', () => {
    expect(parseCommand(['serve'])).toEqual({ command: 'serve', host: '127.0.0.1', port: 8787, allowApply: false });
  });

  it('allows privileged methods only when told to with --allow-apply', () => {
    expect(parseCommand(['serve', '--allow-apply', '--port', '0'])).toMatchObject({ allowApply: true, port: 0 });
  });

  it.each([
    [['serve', '--allow-apply=yes'], /allow-apply/],
    [['serve', '--host', 'example.com'], /--host expects an IP address/],
    [['serve', '--port', '70000'], /--port expects a port number/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(message);
  });
});

describe('idlewatch profiles, history, apply and undo options', () => {
  it('profiles and history print text, or JSON with --json', () => {
    expect(parseCommand(['profiles'])).toEqual({ command: 'profiles', json: false });
    expect(parseCommand(['profiles', '--json'])).toEqual({ command: 'profiles', json: true });
    expect(parseCommand(['history', '--json'])).toEqual({ command: 'history', json: true });
    expect(parseCommand(['undo'])).toEqual({ command: 'undo' });
  });

  it('apply persists by default, asks in a terminal, and changes things unless --dry-run', () => {
    expect(parseCommand(['apply', 'server'])).toEqual({ command: 'apply', profile: 'server', persist: true, dryRun: false, yes: false, netns: null });
    expect(parseCommand(['apply', '--no-persist', '600/60/5', '--yes'])).toEqual({ command: 'apply', profile: '600/60/5', persist: false, dryRun: false, yes: true, netns: null });
    expect(parseCommand(['apply', 'server', '--netns', 'idlewatch-test-1', '--no-persist'])).toMatchObject({ netns: 'idlewatch-test-1', persist: false });
    expect(parseCommand(['apply', 'custom:db', '--persist', '--dry-run'])).toMatchObject({ profile: 'custom:db', persist: true, dryRun: true });
    expect(parseCommand(['apply', '32767/32767/255'])).toMatchObject({ profile: '32767/32767/255' });
  });

  it.each([
    [['apply'], /apply needs a PROFILE/],
    [['apply', 'server', 'web-server'], /apply takes one PROFILE, got 2/],
    [['apply', '0/60/5'], /PROFILE: time must be from 1–32767 s, got 0/],
    [['apply', '600/32768/5'], /PROFILE: interval must be from 1–32767 s, got 32768/],
    [['apply', '600/60/256'], /PROFILE: probes must be from 1–255, got 256/],
    [['apply', '600/60'], /is not TIME\/INTERVAL\/PROBES/],
    [['apply', '600/60/5.5'], /PROFILE: probes must be a whole number from 1–255, got "5.5"/],
    [['apply', '600/60/5;reboot'], /PROFILE: probes must be a whole number/],
    [['apply', '600/-60/5'], /PROFILE: interval must be a whole number/],
    [['apply', '--', '-600/60/5'], /neither a profile name/],
    [['apply', '$(reboot)'], /neither a profile name/],
    [['apply', '../../etc/passwd'], /neither a profile name/],
    [['apply', 'x'.repeat(65)], /neither a profile name/],
    [['apply', 'server', '--persist', '--no-persist'], /--persist and --no-persist contradict/],
    [['apply', 'server', '--persist=yes'], /persist/],
    [['apply', 'server', '--force'], /Unknown option '--force'/],
    [['undo', 'server'], /Unexpected argument 'server'/],
    [['undo', '--yes'], /Unknown option '--yes'/],
    [['profiles', 'server'], /Unexpected argument 'server'/],
    [['history', '--limit', '5'], /Unknown option '--limit'/],
  ])('%j is a usage error: %s', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
    expect(() => parseCommand(argv)).toThrow(message);
  });
});

describe('idlewatch report options', () => {
  it('reads every option', () => {
    expect(parseCommand(['report', '--format', 'csv', '--out', 'r.csv', '--idle-min', '60', '--state', 'established', '--middlebox-idle', '350'])).toEqual({
      command: 'report',
      format: 'csv',
      out: 'r.csv',
      middleboxIdleSec: 350,
      idleMinSec: 60,
      state: 'ESTABLISHED',
      from: null,
      netns: null,
    });
    expect(parseCommand(['report', '--format', 'json', '--netns', 'blue'])).toMatchObject({ netns: 'blue' });
  });

  it('writes text formats to stdout without --out, and reads a recording with --from', () => {
    expect(parseCommand(['report', '--format', 'HTML'])).toMatchObject({ format: 'html', out: null, from: null, middleboxIdleSec: null });
    expect(parseCommand(['report', '--format', 'json', '--from', 'rec.ndjson', '--state', 'time-wait'])).toMatchObject({
      format: 'json',
      from: 'rec.ndjson',
      state: 'TIME_WAIT',
    });
    expect(parseCommand(['report', '--format', 'pdf', '--out', 'r.pdf'])).toMatchObject({ format: 'pdf', out: 'r.pdf' });
  });

  it('knows the formats the contract knows', () => {
    expect([...REPORT_FORMAT_NAMES]).toEqual([...REPORT_FORMATS]);
  });

  it.each([
    [['report'], /report needs --format: one of csv, json, html, pdf/],
    [['report', '--format', 'xlsx'], /--format must be one of csv, json, html, pdf; got "xlsx"/],
    [['report', '--format', 'pdf'], /--format pdf writes a binary file: give --out FILE/],
    [['report', '--format', 'csv', '--out', ''], /--out expects a file name/],
    [['report', '--format', 'csv', '--idle-min', '-1'], /--idle-min/],
    [['report', '--format', 'csv', '--idle-min', '99999999999'], /--idle-min must be between 0 and 31536000 seconds/],
    [['report', '--format', 'csv', '--middlebox-idle', '0'], /--middlebox-idle must be between 1 and 31536000 seconds/],
    [['report', '--format', 'csv', '--state', 'NAPPING'], /--state must be one of ESTABLISHED/],
    [['report', '--format', 'csv', '--from', 'r.ndjson', '--middlebox-idle', '300'], /--middlebox-idle describes a live snapshot/],
    [['report', '--format', 'csv', '--from', 'r.ndjson', '--netns', '4242'], /a post-mortem \(--from\) reports the namespace the recording was made in/],
    [['report', '--format', 'csv', '--netns', '/run/netns/x'], /--netns expects/],
    [['report', '--format', 'csv', '--json'], /Unknown option '--json'/],
    [['report', '--format', 'csv', 'extra'], /Unexpected argument 'extra'/],
  ])('%j is a usage error: %s', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
    expect(() => parseCommand(argv)).toThrow(message);
  });

  it('turns --middlebox-idle into one rule for every connection, and --state/--idle-min into the table filter', () => {
    expect(middleboxRules(null)).toEqual([]);
    expect(middleboxRules(350)).toEqual([{ id: 'middlebox-all', name: 'middlebox 350s', kind: 'middlebox', idleTimeoutSec: 350, match: {}, enabled: true }]);
    expect(commandFilter({ state: undefined, idleMinSec: undefined })).toEqual(NO_FILTER);
    expect(commandFilter({ state: 'LISTEN', idleMinSec: 5 })).toEqual({ ...NO_FILTER, state: 'LISTEN', minIdleSec: 5 });
  });
});

describe('idlewatch record options', () => {
  it('needs --out; polls every 2 s until interrupted by default', () => {
    expect(parseCommand(['record', '--out', 'rec.ndjson'])).toEqual({ command: 'record', out: 'rec.ndjson', intervalMs: 2000, durationMs: null, middleboxIdleSec: null, netns: null });
    expect(parseCommand(['record', '--out', 'rec.ndjson', '--netns', '4026532512'])).toMatchObject({ netns: '4026532512' });
  });

  it.each([
    ['90', 90_000],
    ['90s', 90_000],
    ['10m', 600_000],
    ['2h', 7_200_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
  ])('--duration %s is %d ms', (text, ms) => {
    expect(parseCommand(['record', '--out', 'r', '--duration', text])).toMatchObject({ durationMs: ms });
  });

  it('reads --interval in whole seconds and --middlebox-idle', () => {
    expect(parseCommand(['record', '--out', 'r', '--interval', '1', '--middlebox-idle', '240'])).toMatchObject({ intervalMs: 1000, middleboxIdleSec: 240 });
    expect(parseCommand(['record', '--out', 'r', '--interval', '60'])).toMatchObject({ intervalMs: 60_000 });
  });

  it.each([
    [['record'], /record needs --out FILE/],
    [['record', '--out', 'r', '--interval', '0'], /--interval must be between 1 and 60 seconds, got 0/],
    [['record', '--out', 'r', '--interval', '61'], /--interval must be between 1 and 60 seconds, got 61/],
    [['record', '--out', 'r', '--interval', '0.5'], /--interval expects a whole number of seconds, got "0.5"/],
    [['record', '--out', 'r', '--duration', 'soon'], /--duration expects a duration such as 90s, 10m, 2h or plain seconds, got "soon"/],
    [['record', '--out', 'r', '--duration', '0'], /--duration must be between 1 second and 31536000 seconds/],
    [['record', '--out', 'r', '--duration', '0.5s'], /--duration must be between 1 second/],
    [['record', '--out', 'r', '--duration', '400d'], /--duration must be between 1 second and 31536000 seconds \(a year\), got 34560000/],
    [['record', '--out', 'r', '--middlebox-idle', 'x'], /--middlebox-idle expects a whole number of seconds/],
    [['record', '--out', 'r', '--format', 'csv'], /Unknown option '--format'/],
  ])('%j is a usage error: %s', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
    expect(() => parseCommand(argv)).toThrow(message);
  });
});

describe('idlewatch namespaces options', () => {
  it('prints a table by default, JSON with --json, at-risk counts against --middlebox-idle', () => {
    expect(parseCommand(['namespaces'])).toEqual({ command: 'namespaces', json: false, middleboxIdleSec: null });
    expect(parseCommand(['namespaces', '--json', '--middlebox-idle', '350'])).toEqual({ command: 'namespaces', json: true, middleboxIdleSec: 350 });
  });

  it.each([
    [['namespaces', '--netns', '1'], /Unknown option '--netns'/],
    [['namespaces', 'all'], /Unexpected argument 'all'/],
    [['namespaces', '--middlebox-idle', '0'], /--middlebox-idle must be between 1/],
  ])('%j is a usage error: %s', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
    expect(() => parseCommand(argv)).toThrow(message);
  });
});

describe('idlewatch --version', () => {
  it('is its own command', () => {
    expect(parseCommand(['--version'])).toEqual({ command: 'version' });
  });

  it('takes nothing after it', () => {
    expect(() => parseCommand(['--version', 'snapshot'])).toThrow(UsageError);
    expect(() => parseCommand(['--version', '--json'])).toThrow(/Unknown option '--json'/);
  });

  it('is in the usage text', () => {
    expect(USAGE).toMatch(/^ {2}--version {2,}Print the name and version$/m);
  });

  it('prints the About box\'s first line, "Idlewatch" and the version of package.json, and exits 0', async () => {
    const { main } = await import('../../../main/cli/main');
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await main(['--version'])).toBe(0);
      expect(write.mock.calls.map(([text]) => String(text))).toEqual([`${aboutLines(ABOUT)[0]}\n`]);
      expect(aboutLines(ABOUT)[0]).toBe(`Idlewatch ${pkg.version}`);
    } finally {
      write.mockRestore();
    }
  });
});

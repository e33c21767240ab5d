import { describe, expect, it } from 'vitest';
import { parseCommand, UsageError } from '../../../main/cli/options';

describe('idlewatch snapshot options', () => {
  it('reads every option', () => {
    expect(parseCommand(['snapshot', '--json', '--middlebox-idle', '350', '--idle-min', '60', '--state', 'established'])).toEqual({
      command: 'snapshot',
      json: true,
      middleboxIdleSec: 350,
      idleMinSec: 60,
      state: 'ESTABLISHED',
    });
  });

  it('defaults to a table of everything with no middlebox', () => {
    expect(parseCommand(['snapshot'])).toEqual({
      command: 'snapshot',
      json: false,
      middleboxIdleSec: null,
      idleMinSec: undefined,
      state: undefined,
    });
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
    expect(parseCommand(['apply', 'server'])).toEqual({ command: 'apply', profile: 'server', persist: true, dryRun: false, yes: false });
    expect(parseCommand(['apply', '--no-persist', '600/60/5', '--yes'])).toEqual({ command: 'apply', profile: '600/60/5', persist: false, dryRun: false, yes: true });
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

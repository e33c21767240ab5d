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

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePs, psArgv } from '../../../../main/platform/darwin/ps';
import { parseDarwinSysctl, sysctlReadArgv } from '../../../../main/platform/darwin/sysctl';
import { parseLaunchDaemon } from '../../../../main/platform/darwin/index';

const fixture = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

describe('sysctl', () => {
  it('reads the macOS defaults into DarwinSettings (ms, count, flag)', () => {
    expect(parseDarwinSysctl(fixture('fixtures/darwin/sysctl-keepalive.txt'))).toEqual({
      ok: true,
      settings: { os: 'darwin', keepIdleMs: 7_200_000, keepIntervalMs: 75_000, keepCount: 8, alwaysKeepalive: false },
    });
  });

  it('names the keys it did not get', () => {
    const parsed = parseDarwinSysctl('net.inet.tcp.keepidle: 7200000\n');
    expect(parsed).toEqual({ ok: false, error: expect.stringContaining('net.inet.tcp.keepintvl') });
  });

  it('asks for the four names only', () => {
    expect(sysctlReadArgv()).toEqual(['net.inet.tcp.keepidle', 'net.inet.tcp.keepintvl', 'net.inet.tcp.keepcnt', 'net.inet.tcp.always_keepalive']);
  });
});

describe('ps', () => {
  it('builds one argv for all pids', () => {
    expect(psArgv([812, 1290])).toEqual(['-o', 'pid=,comm=', '-p', '812,1290']);
  });

  it('refuses anything but positive integer pids', () => {
    expect(() => psArgv([0])).toThrow();
    expect(() => psArgv([1.5])).toThrow();
    expect(() => psArgv([Number.NaN])).toThrow();
  });

  it('takes the executable name from comm, spaces included', () => {
    expect(parsePs(fixture('fixtures/darwin/ps-comm.txt'))).toEqual(
      new Map([
        [812, 'Google Chrome Helper'],
        [1290, 'Code Helper (Plugin)'],
      ]),
    );
  });
});

describe('LaunchDaemon plist', () => {
  it('reads back the values the boot sets, in seconds', () => {
    const plist = fixture('../build/darwin/org.idlewatch.keepalive.plist')
      .replace('@KEEPIDLE_MS@', '600000')
      .replace('@KEEPINTVL_MS@', '60000')
      .replace('@KEEPCNT@', '5');
    expect(parseLaunchDaemon(plist)).toEqual({ timeSec: 600, intervalSec: 60, probes: 5 });
  });
});

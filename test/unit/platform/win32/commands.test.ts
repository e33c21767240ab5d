import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NET_TCP_CONNECTION_SCRIPT, netstatArgs, powershellArgs, systemRoot, win32Commands } from '../../../../main/platform/win32/commands';
import { DEFAULT_HELPER_PATH, elevationArgs, elevationOutcome, isSafeHelperPath, toRegistryValues, MAX_KEEPALIVE_SEC } from '../../../../main/platform/win32/elevation';
import { getProcessScript } from '../../../../main/platform/win32/processes';
import { regQueryArgs } from '../../../../main/platform/win32/registry';

const SYSTEM = win32Commands({ SystemRoot: 'C:\\Windows' });

describe('where the commands are', () => {
  it('on Windows: absolute paths under the system directory', () => {
    expect(SYSTEM).toEqual({
      powershell: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
      netstat: 'C:\\Windows\\System32\\netstat.exe',
      reg: 'C:\\Windows\\System32\\reg.exe',
    });
  });

  it('with IDLEWATCH_PLATFORM=win32: the stand-ins found on PATH (absolute entries only), and none missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'idlewatch-win32-path-'));
    for (const name of ['powershell', 'netstat', 'reg']) writeFileSync(join(dir, name), '#!/bin/sh\n', { mode: 0o755 });
    expect(win32Commands({ IDLEWATCH_PLATFORM: 'win32', PATH: `relative:${dir}` })).toEqual({
      powershell: join(dir, 'powershell'),
      netstat: join(dir, 'netstat'),
      reg: join(dir, 'reg'),
    });
    expect(() => win32Commands({ IDLEWATCH_PLATFORM: 'win32', PATH: 'relative' })).toThrow(/no "powershell" on PATH/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a SystemRoot that is not a plain drive path is not trusted', () => {
    expect(systemRoot({ SystemRoot: 'D:\\Win' })).toBe('D:\\Win');
    for (const hostile of ["C:\\Windows' ; calc", '\\\\evil\\share', 'C:\\..\\x', 'relative', '']) {
      expect(systemRoot({ SystemRoot: hostile })).toBe('C:\\Windows');
    }
  });
});

describe('read commands', () => {
  it('Get-NetTCPConnection: a fixed script', () => {
    expect(powershellArgs(NET_TCP_CONNECTION_SCRIPT)).toEqual([
      '-NoProfile',
      '-NonInteractive',
      '-Command',
      'Get-NetTCPConnection | Select-Object LocalAddress,LocalPort,RemoteAddress,RemotePort,State,OwningProcess,CreationTime | ConvertTo-Json -Compress',
    ]);
  });

  it('netstat per family', () => {
    expect(netstatArgs('ipv4')).toEqual(['-ano', '-p', 'TCP']);
    expect(netstatArgs('ipv6')).toEqual(['-ano', '-p', 'TCPv6']);
  });

  it('reg query per value', () => {
    expect(regQueryArgs('KeepAliveTime')).toEqual(['query', 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters', '/v', 'KeepAliveTime']);
  });

  it('Get-Process: integers only', () => {
    expect(getProcessScript([4, 1060])).toBe('Get-Process -Id 4,1060 -ErrorAction SilentlyContinue | Select-Object Id,ProcessName | ConvertTo-Json -Compress');
    for (const bad of [[], [-1], [1.5], [Number.NaN], ['1; Remove-Item x' as unknown as number], [2 ** 33]]) {
      expect(() => getProcessScript(bad)).toThrow();
    }
  });
});

describe('apply through UAC', () => {
  it('a 600 s / 60 s profile writes 600000 and 60000 ms', () => {
    expect(toRegistryValues({ timeSec: 600, intervalSec: 60 })).toEqual({ ok: true, value: { keepAliveTimeMs: 600_000, keepAliveIntervalMs: 60_000 } });
  });

  it('builds the exact argv: a fixed script, the fixed helper, two integers', () => {
    const args = elevationArgs(SYSTEM, DEFAULT_HELPER_PATH, { keepAliveTimeMs: 600_000, keepAliveIntervalMs: 60_000 });
    expect(args).toEqual([
      '-NoProfile',
      '-NonInteractive',
      '-Command',
      "$p = Start-Process -Verb RunAs -Wait -PassThru -FilePath 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe' " +
        "-ArgumentList '-NoProfile','-NonInteractive','-ExecutionPolicy','Bypass','-File','C:\\Program Files\\Idlewatch\\resources\\win32\\idlewatch-keepalive.ps1','600000','60000'; exit $p.ExitCode",
    ]);
  });

  it.each([
    [{ timeSec: 0, intervalSec: 60 }],
    [{ timeSec: -5, intervalSec: 60 }],
    [{ timeSec: 1.5, intervalSec: 60 }],
    [{ timeSec: MAX_KEEPALIVE_SEC + 1, intervalSec: 60 }],
    [{ timeSec: 600, intervalSec: Number.NaN }],
    [{ timeSec: "600'; calc; '" as unknown as number, intervalSec: 60 }],
    [{ timeSec: '600' as unknown as number, intervalSec: 60 }],
  ])('refuses %j', (values) => {
    expect(toRegistryValues(values).ok).toBe(false);
  });

  it('refuses unvalidated ms or a helper path with quotes, `..` or not a .ps1', () => {
    expect(() => elevationArgs(SYSTEM, DEFAULT_HELPER_PATH, { keepAliveTimeMs: 0, keepAliveIntervalMs: 1 })).toThrow();
    for (const path of ["C:\\x'; calc; '.ps1", 'C:\\a\\..\\b.ps1', 'C:\\helper.exe', 'helper.ps1', '\\\\server\\share\\h.ps1']) {
      expect(isSafeHelperPath(path)).toBe(false);
      expect(() => elevationArgs(SYSTEM, path, { keepAliveTimeMs: 1000, keepAliveIntervalMs: 1000 })).toThrow();
    }
  });

  it('names what the outer powershell’s exit code means', () => {
    expect(elevationOutcome(0, '').outcome).toBe('ran');
    expect(elevationOutcome(0, '').message).toMatch(/10 keepalive probes.*cannot be changed.*restart/);
    expect(elevationOutcome(1, 'The operation was canceled by the user.').outcome).toBe('refused');
    expect(elevationOutcome(2, '').outcome).toBe('refused');
    expect(elevationOutcome(3, '').outcome).toBe('failed');
  });
});

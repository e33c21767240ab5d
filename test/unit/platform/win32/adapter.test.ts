import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SnapshotSchema } from '../../../../shared/model/schemas';
import { takeSnapshot } from '../../../../main/core/snapshot';
import type { RunResult } from '../../../../main/platform/win32/commands';
import { Win32Adapter } from '../../../../main/platform/win32/index';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../../fixtures/win32/${name}`, import.meta.url)), 'utf8');
const NOW = 1_700_000_600_000;
const ok = (stdout: string): RunResult => ({ ok: true, exitCode: 0, stdout, stderr: '' });
const fail = (exitCode: number, stderr = ''): RunResult => ({ ok: false, exitCode, stdout: '', stderr });

/** A stand-in for the commands: answers by command and argv, and records every call. */
function fakeRun(answer: (file: string, args: readonly string[]) => RunResult) {
  const calls: [string, string[]][] = [];
  const run = async (file: string, args: readonly string[]) => {
    calls.push([file, [...args]]);
    return answer(file, args);
  };
  return { run, calls };
}

/** The command a path names, on this OS or Windows: `reg` for C:\\Windows\\System32\\reg.exe. */
const isCommand = (file: string, name: string) => new RegExp(`(^|[\\\\/])${name}(\\.exe)?$`).test(file);

const registry = (time: RunResult, interval: RunResult) => (args: readonly string[]) => (args[3] === 'KeepAliveTime' ? time : interval);

describe('Win32Adapter', () => {
  it('reads Get-NetTCPConnection, names new pids once, and makes a valid snapshot with model projections', async () => {
    const { run, calls } = fakeRun((file, args) => {
      if (isCommand(file, 'reg')) return registry(fail(1, fixture('reg-query-absent.stderr.txt')), fail(1))(args);
      if (args[3]?.startsWith('Get-NetTCPConnection')) return ok(fixture('get-nettcpconnection-ps51-array.json'));
      if (args[3]?.startsWith('Get-Process')) return ok(fixture('get-process-array.json'));
      throw new Error(`unexpected ${file} ${args.join(' ')}`);
    });
    const adapter = new Win32Adapter({ env: {}, run, now: () => NOW });
    const table = await adapter.listSockets();
    const settings = await adapter.readSettings();
    expect(settings).toEqual({ os: 'win32', keepAliveTimeMs: 7_200_000, keepAliveIntervalMs: 1_000, probes: 10 });
    expect(new Set(table.sockets.map((s) => s.id)).size).toBe(table.sockets.length);
    expect(table.sockets.every((s) => s.netns === 'host' && s.timer === 'unknown' && s.idleMs === null)).toBe(true);
    expect(table.sockets.find((s) => s.pid === 4242)?.process).toBe('chrome');
    expect(calls.filter(([, a]) => a[3]?.startsWith('Get-Process')).map(([, a]) => a[3])).toEqual([
      'Get-Process -Id 1060,3120,4242 -ErrorAction SilentlyContinue | Select-Object Id,ProcessName | ConvertTo-Json -Compress',
    ]);
    await adapter.listSockets();
    // 3120 was not named by Get-Process: remembered as unnamed, not asked again.
    expect(calls.filter(([, a]) => a[3]?.startsWith('Get-Process'))).toHaveLength(1);

    // What the core makes of it, as every transport gets it.
    const snapshot = await takeSnapshot(adapter, { rules: [] });
    expect(SnapshotSchema.safeParse(snapshot).success).toBe(true);
    const { connections } = snapshot;
    expect(connections.every((c) => c.precision === 'model' && c.effective.source === 'assumed' && c.dropAt === null)).toBe(true);
  });

  it('falls back to netstat -ano for both families when PowerShell fails, with a warning', async () => {
    const { run, calls } = fakeRun((file, args) => {
      if (isCommand(file, 'powershell')) return fail(1, 'Get-NetTCPConnection : The term is not recognized');
      if (isCommand(file, 'netstat')) return ok(fixture(args[2] === 'TCP' ? 'netstat-ano-de.txt' : 'netstat-ano-tcpv6-en.txt'));
      throw new Error('unexpected');
    });
    const adapter = new Win32Adapter({ env: {}, run, now: () => NOW });
    const table = await adapter.listSockets();
    expect(calls.filter(([f]) => isCommand(f, 'netstat')).map(([, a]) => a)).toEqual([['-ano', '-p', 'TCP'], ['-ano', '-p', 'TCPv6']]);
    expect(table.sockets).toHaveLength(9);
    expect(new Set(table.sockets.map((s) => s.id)).size).toBe(9);
    expect(table.diagnostics.warnings[0]).toMatch(/Get-NetTCPConnection failed.*netstat/);
  });

  it('falls back to netstat when Get-NetTCPConnection prints truncated JSON', async () => {
    const { run } = fakeRun((file) => (isCommand(file, 'powershell') ? ok(fixture('get-nettcpconnection-truncated.json')) : ok(fixture('netstat-ano-malformed-truncated.txt'))));
    const table = await new Win32Adapter({ env: {}, run, now: () => NOW }).listSockets();
    expect(table.diagnostics.malformedLines).toBe(10);
    expect(table.diagnostics.warnings[0]).toMatch(/no readable JSON/);
  });

  it('has one namespace and refuses others', async () => {
    const adapter = new Win32Adapter({ env: {}, run: async () => ok('') });
    expect(await adapter.listNamespaces()).toEqual([{ id: 'host', name: null, current: true, label: 'host', kind: 'host', pids: [] }]);
    expect(adapter.capabilities).toMatchObject({ namespaces: false, timers: false, perSocketOptions: false });
    await expect(adapter.listSockets('4026531840')).rejects.toThrow(/one network stack/);
  });

  it('applies through UAC: 600 s → 600000 ms, read back, the message names the fixed probe count', async () => {
    let written = false;
    const { run, calls } = fakeRun((file, args) => {
      if (file.endsWith('reg.exe')) {
        return written
          ? registry(ok(fixture('reg-query-keepalivetime-present.txt')), ok(fixture('reg-query-keepaliveinterval-present.txt')))(args)
          : registry(fail(1), fail(1))(args);
      }
      written = true;
      return ok('');
    });
    const adapter = new Win32Adapter({ env: { SystemRoot: 'C:\\Windows' }, run, now: () => NOW });
    const change = await adapter.applyKeepalive({ timeSec: 600, intervalSec: 60, probes: 10 }, { persist: true });
    expect(change).toMatchObject({ outcome: 'applied', before: { timeSec: 7200, intervalSec: 1, probes: 10 }, after: { timeSec: 600, intervalSec: 60, probes: 10 } });
    expect(change.message).toMatch(/cannot be changed/);
    const elevation = calls.find(([f]) => f.endsWith('powershell.exe'))!;
    expect(elevation[1][3]).toContain("'600000','60000'");
    expect(calls.filter(([f]) => f === 'C:\\Windows\\System32\\reg.exe')).toHaveLength(4);
  });

  it('refuses hostile values before any command runs', async () => {
    const { run, calls } = fakeRun(() => ok(''));
    const adapter = new Win32Adapter({ env: {}, run });
    await expect(adapter.applyKeepalive({ timeSec: '1; calc' as unknown as number, intervalSec: 60, probes: 10 }, { persist: true })).rejects.toThrow(/whole number/);
    await expect(adapter.applyKeepalive({ timeSec: 0, intervalSec: 60, probes: 10 }, { persist: true })).rejects.toThrow();
    expect(calls).toEqual([]);
  });

  it('a declined UAC prompt is a refusal, and nothing is read back', async () => {
    const { run } = fakeRun((file, args) => (file.endsWith('reg.exe') ? registry(fail(1), fail(1))(args) : fail(1, 'The operation was canceled by the user.')));
    const change = await new Win32Adapter({ env: {}, run }).applyKeepalive({ timeSec: 600, intervalSec: 60, probes: 10 }, { persist: true });
    expect(change).toMatchObject({ outcome: 'refused', after: null, persisted: false });
  });

  it('boot settings are the registry values', async () => {
    const { run } = fakeRun((_f, args) => registry(ok(fixture('reg-query-keepalivetime-present.txt')), fail(1))(args));
    expect(await new Win32Adapter({ env: {}, run }).readBootSettings()).toEqual({ timeSec: 600, intervalSec: 1, probes: 10, dropIn: null, overriddenBy: [] });
  });
});

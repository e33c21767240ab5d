import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { netstatState, parseEndpoint, parseNetstatAno } from '../../../../main/platform/win32/netstat';
import { parseCreationTime, parseNetTcpConnectionJson, win32State } from '../../../../main/platform/win32/tcp-connections';
import { parseGetProcessJson, ProcessNames } from '../../../../main/platform/win32/processes';
import { parseRegDword, valueFromQuery } from '../../../../main/platform/win32/registry';
import { idleBound } from '../../../../main/platform/win32/idle-estimator';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../../fixtures/win32/${name}`, import.meta.url)), 'utf8');

describe('parseNetTcpConnectionJson', () => {
  it('reads a Windows PowerShell 5.1 array: numeric states, /Date()/ times, both stacks, Bound', () => {
    const { rows, malformed } = parseNetTcpConnectionJson(fixture('get-nettcpconnection-ps51-array.json'));
    expect(malformed).toBe(0);
    expect(rows.map((r) => [r.family, r.state])).toEqual([
      ['ipv6', 'LISTEN'],
      ['ipv4', 'LISTEN'],
      ['ipv4', 'ESTABLISHED'],
      ['ipv6', 'CLOSE_WAIT'],
      ['ipv4', 'TIME_WAIT'],
      ['ipv4', 'CLOSE'],
    ]);
    expect(rows[2]).toEqual({
      family: 'ipv4',
      state: 'ESTABLISHED',
      localAddress: '192.168.1.20',
      localPort: 50432,
      remoteAddress: '20.42.65.92',
      remotePort: 443,
      pid: 4242,
      createdAt: 1_700_000_300_000,
    });
    expect(rows[4]!.createdAt).toBeNull();
  });

  it('reads a single object from PowerShell 7: named state, ISO time', () => {
    const { rows } = parseNetTcpConnectionJson(fixture('get-nettcpconnection-ps7-single.json'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ state: 'ESTABLISHED', pid: 1312, createdAt: Date.UTC(2023, 10, 14, 22, 13, 20) });
  });

  it('counts malformed entries and keeps the good ones', () => {
    const { rows, malformed } = parseNetTcpConnectionJson(fixture('get-nettcpconnection-malformed.json'));
    expect(rows.map((r) => r.state)).toEqual(['CLOSE_WAIT']);
    expect(malformed).toBe(4);
  });

  it('throws on truncated output (the adapter then reads netstat) and reads empty output as no connections', () => {
    expect(() => parseNetTcpConnectionJson(fixture('get-nettcpconnection-truncated.json'))).toThrow();
    expect(parseNetTcpConnectionJson('\r\n')).toEqual({ rows: [], malformed: 0 });
  });

  it('maps every MSFT_NetTCPConnection state by number and by name', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 100].map((n) => win32State(n))).toEqual([
      'CLOSE', 'LISTEN', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'CLOSE_WAIT', 'CLOSING', 'LAST_ACK', 'TIME_WAIT', 'CLOSE', 'CLOSE',
    ]);
    expect(win32State('TimeWait')).toBe('TIME_WAIT');
    expect(win32State('DeleteTCB')).toBe('CLOSE');
    expect(win32State(0)).toBeNull();
    expect(win32State('Bogus')).toBeNull();
  });

  it('reads CreationTime in both encodings and nothing else', () => {
    expect(parseCreationTime('/Date(1700000000000)/')).toBe(1_700_000_000_000);
    expect(parseCreationTime('/Date(1700000000000+0100)/')).toBe(1_700_000_000_000);
    expect(parseCreationTime('2023-11-14T22:13:20.5+01:00')).toBe(Date.UTC(2023, 10, 14, 21, 13, 20, 500));
    expect(parseCreationTime('yesterday')).toBeNull();
    expect(parseCreationTime(null)).toBeNull();
  });
});

describe('parseNetstatAno', () => {
  it('reads English IPv4 output', () => {
    const { rows, malformed } = parseNetstatAno(fixture('netstat-ano-tcp-en.txt'));
    expect(malformed).toBe(0);
    expect(rows.map((r) => r.state)).toEqual(['LISTEN', 'ESTABLISHED', 'TIME_WAIT', 'CLOSE_WAIT', 'SYN_SENT', 'FIN_WAIT2']);
    expect(rows[1]).toEqual({ family: 'ipv4', state: 'ESTABLISHED', localAddress: '192.168.1.20', localPort: 50432, remoteAddress: '20.42.65.92', remotePort: 443, pid: 4242, createdAt: null });
  });

  it('reads bracketed IPv6 endpoints, with zone ids', () => {
    const { rows } = parseNetstatAno(fixture('netstat-ano-tcpv6-en.txt'));
    expect(rows.map((r) => [r.family, r.localAddress, r.localPort, r.remoteAddress])).toEqual([
      ['ipv6', '::', 135, '::'],
      ['ipv6', '::1', 443, '::1'],
      ['ipv6', 'fe80::1c2b:3d4e:5f60:7182%12', 49680, 'fe80::aa:bb%12'],
    ]);
  });

  it.each([
    ['netstat-ano-de.txt', ['LISTEN', 'ESTABLISHED', 'TIME_WAIT', 'CLOSE_WAIT', 'SYN_SENT', 'ESTABLISHED']],
    ['netstat-ano-fr.txt', ['LISTEN', 'ESTABLISHED', 'TIME_WAIT', 'ESTABLISHED']],
    ['netstat-ano-es.txt', ['LISTEN', 'ESTABLISHED', 'TIME_WAIT', 'ESTABLISHED']],
    ['netstat-ano-de-oem-codepage.txt', ['LISTEN', 'LISTEN']],
  ])('reads localized states in %s', (file, states) => {
    const { rows, malformed } = parseNetstatAno(fixture(file));
    expect(malformed).toBe(0);
    expect(rows.map((r) => r.state)).toEqual(states);
  });

  it('counts malformed and truncated rows without mapping them to a state', () => {
    const { rows, malformed } = parseNetstatAno(fixture('netstat-ano-malformed-truncated.txt'));
    expect(rows).toHaveLength(1);
    expect(malformed).toBe(5);
  });

  it('knows state names without accents and refuses unknown ones', () => {
    expect(netstatState('ABHOREN')).toBe('LISTEN');
    expect(netstatState('ETABLIE')).toBe('ESTABLISHED');
    expect(netstatState('SOMETHING_NEW')).toBeNull();
    expect(parseEndpoint('1.2.3.4:70000')).toBeNull();
    expect(parseEndpoint('[::1]:0')).toEqual({ address: '::1', port: 0 });
  });
});

describe('registry values', () => {
  it('parses REG_DWORD hex', () => {
    expect(parseRegDword(fixture('reg-query-keepalivetime-present.txt'), 'KeepAliveTime')).toBe(600_000);
    expect(parseRegDword(fixture('reg-query-keepaliveinterval-present.txt'), 'KeepAliveInterval')).toBe(60_000);
    expect(parseRegDword(fixture('reg-query-keepalivetime-present.txt'), 'KeepAliveInterval')).toBeNull();
    expect(parseRegDword(fixture('reg-query-wrong-type.txt'), 'KeepAliveTime')).toBeNull();
  });

  it('an absent value (reg exits 1) is the Windows default', () => {
    const stderr = fixture('reg-query-absent.stderr.txt');
    expect(valueFromQuery('KeepAliveTime', { ok: false, exitCode: 1, stderr })).toBe(7_200_000);
    expect(valueFromQuery('KeepAliveInterval', { ok: false, exitCode: 1, stderr })).toBe(1_000);
  });

  it('another failure, or a value of another type, is an error, not a default', () => {
    expect(() => valueFromQuery('KeepAliveTime', { ok: false, exitCode: null, stderr: 'spawn reg ENOENT' })).toThrow(/ENOENT/);
    expect(() => valueFromQuery('KeepAliveTime', { ok: true, stdout: fixture('reg-query-wrong-type.txt') })).toThrow(/REG_DWORD/);
  });
});

describe('process names', () => {
  it('parses one object or an array', () => {
    expect(parseGetProcessJson(fixture('get-process-array.json'))).toEqual(new Map([[1060, 'svchost'], [4242, 'chrome']]));
    expect(parseGetProcessJson(fixture('get-process-single.json'))).toEqual(new Map([[3120, 'postgres']]));
    expect(parseGetProcessJson('')).toEqual(new Map());
    expect(parseGetProcessJson('{"Id":')).toEqual(new Map());
  });

  it('asks only for pids not seen before, and again for a pid that went away', () => {
    const names = new ProcessNames();
    expect(names.unknown([4, 1060, 1060, null, 4242])).toEqual([1060, 4242]);
    names.learn([1060, 4242], new Map([[1060, 'svchost']]));
    expect(names.unknown([1060, 4242])).toEqual([]);
    expect([names.name(1060), names.name(4242), names.name(4)]).toEqual(['svchost', null, 'System']);
    names.keepOnly([4]);
    expect(names.unknown([1060])).toEqual([1060]);
  });
});

describe('idle on Windows', () => {
  it('is unknown; the connection’s age is kept apart as an upper bound only', () => {
    expect(idleBound(1000, 61_000)).toEqual({ idleMs: null, idleProvenance: null, idleAtMostMs: 60_000 });
    expect(idleBound(null, 61_000).idleAtMostMs).toBeNull();
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseNetstatDarwin } from '../../../../main/platform/darwin/netstat';

const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/darwin/${name}`, import.meta.url), 'utf8');

describe('parseNetstatDarwin, current layout (process:pid)', () => {
  const parsed = parseNetstatDarwin(fixture('netstat-anv-current.txt'));
  const find = (port: number, state?: string) => parsed.rows.find((r) => r.localPort === port && (!state || r.state === state));

  it('reads the layout from the header and counts the truncated and unknown-state lines as malformed', () => {
    expect(parsed.layout).toBe('current');
    expect(parsed.rows).toHaveLength(15);
    expect(parsed.malformedLines).toBe(2);
  });

  it('keeps a process name with spaces whole and marks a cut one for ps', () => {
    expect(find(52144)).toMatchObject({
      proto: 'tcp4',
      family: 'ipv4',
      state: 'ESTABLISHED',
      localAddress: '192.168.1.23',
      remoteAddress: '140.82.113.26',
      remotePort: 443,
      rxBytes: 48213,
      txBytes: 12877,
      pid: 812,
      process: 'Google Chrome H',
      processTruncated: true,
      keepalive: true,
    });
    expect(find(52301)).toMatchObject({ process: 'Code Helper (Pl', pid: 1290, state: 'SYN_SENT' });
    expect(find(52150)).toMatchObject({ process: 'postgres', processTruncated: false, keepalive: false });
  });

  it('reads IPv6 addresses, scope ids included, with the port after the last dot', () => {
    expect(find(52200)).toMatchObject({ family: 'ipv6', localAddress: '2001:db8:1::23', remoteAddress: '2606:4700::6810:84e5', remotePort: 443 });
    expect(find(49153)).toMatchObject({ family: 'ipv6', localAddress: 'fe80::1%lo0', remoteAddress: 'fe80::1%lo0', remotePort: 49160 });
  });

  it('reads a tcp46 wildcard listener as IPv6 any-address and keeps tcp4/tcp6 listeners on one port apart', () => {
    expect(find(5000)).toMatchObject({ proto: 'tcp46', family: 'ipv6', localAddress: '::', remoteAddress: '::', remotePort: 0, state: 'LISTEN' });
    const on7000 = parsed.rows.filter((r) => r.localPort === 7000);
    expect(on7000.map((r) => [r.family, r.localAddress])).toEqual([
      ['ipv6', '::'],
      ['ipv4', '0.0.0.0'],
    ]);
  });

  it('maps every macOS state name to the shared enum', () => {
    expect(find(8080)?.state).toBe('SYN_RECV');
    expect(find(52160)?.state).toBe('FIN_WAIT1');
    expect(find(52160)?.sendQueue).toBe(31);
    expect(find(52161)?.state).toBe('FIN_WAIT2');
    expect(find(52170)?.state).toBe('CLOSE_WAIT');
    expect(find(52180)?.state).toBe('TIME_WAIT');
    expect(find(52190)?.state).toBe('CLOSE');
    expect(find(631)?.state).toBe('LISTEN');
  });
});

describe('parseNetstatDarwin, older layout (pid epid)', () => {
  const parsed = parseNetstatDarwin(fixture('netstat-anv-1015.txt'));

  it('reads pids and 0x-prefixed options, with no byte counters', () => {
    expect(parsed.layout).toBe('older');
    expect(parsed.rows).toHaveLength(6);
    expect(parsed.malformedLines).toBe(1);
    expect(parsed.rows[0]).toMatchObject({ pid: 312, process: null, rxBytes: null, txBytes: null, keepalive: true });
    expect(parsed.rows[1]).toMatchObject({ pid: 921, keepalive: false });
  });

  it('reads IPv6, tcp46 and a TIME_WAIT with no owner', () => {
    expect(parsed.rows[2]).toMatchObject({ family: 'ipv6', state: 'CLOSE_WAIT', localAddress: '2001:db8::12', localPort: 49810 });
    expect(parsed.rows[3]).toMatchObject({ proto: 'tcp46', family: 'ipv6', localAddress: '::', localPort: 88 });
    expect(parsed.rows[5]).toMatchObject({ state: 'TIME_WAIT', pid: null });
  });
});

describe('parseNetstatDarwin, by header not column count', () => {
  it('follows reordered columns', () => {
    const text = ['Proto Recv-Q Send-Q  Local Address   Foreign Address  (state)  pid  rhiwat', 'tcp4 1 2 10.0.0.1.80 10.0.0.2.5000 ESTABLISHED 42 131072'].join('\n');
    expect(parseNetstatDarwin(text).rows[0]).toMatchObject({ recvQueue: 1, sendQueue: 2, pid: 42, localPort: 80, remotePort: 5000 });
  });

  it('counts socket lines before any header as malformed and reads nothing from them', () => {
    const parsed = parseNetstatDarwin('tcp4 0 0 10.0.0.1.80 10.0.0.2.5000 ESTABLISHED\n');
    expect(parsed).toEqual({ rows: [], malformedLines: 1, layout: null });
  });

  it('refuses bad addresses and ports', () => {
    const header = 'Proto Recv-Q Send-Q  Local Address   Foreign Address  (state)  pid';
    const parsed = parseNetstatDarwin([header, 'tcp4 0 0 10.0.0.1.99999 10.0.0.2.5000 ESTABLISHED 1', 'tcp4 0 0 evil;rm.80 10.0.0.2.5000 ESTABLISHED 1'].join('\n'));
    expect(parsed.rows).toEqual([]);
    expect(parsed.malformedLines).toBe(2);
  });
});

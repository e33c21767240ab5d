import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseProcNetTcp } from '../../../../main/platform/linux/proc-net-tcp';

const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/linux/${name}`, import.meta.url), 'utf8');

describe('parseProcNetTcp', () => {
  it('reads every line of a recorded /proc/net/tcp with host-endian IPv4 addresses and hex fields', () => {
    const table = parseProcNetTcp(fixture('proc-net-tcp.txt'));
    expect(table.malformedLines).toBe(0);
    expect(table.entries).toHaveLength(10);
    expect(table.entries[0]).toMatchObject({ localAddress: '127.0.0.1', localPort: 8080, state: 0x0a, inode: 10262 });
    // keepalive timer: 02:0000E9A8 = 59816 ticks of 10 ms
    expect(table.entries.find((e) => e.inode === 10264)).toMatchObject({ timer: 2, timerTicks: 0xe9a8, probesOut: 0 });
    // unacknowledged data: tx_queue 0x3E8, retransmit timer, 2 retransmits
    expect(table.entries.find((e) => e.inode === 10287)).toMatchObject({ sendQueue: 1000, timer: 1, retransmits: 2 });
    expect(table.entries.find((e) => e.state === 6)).toMatchObject({ timer: 3, inode: 0 });
  });

  it('reads /proc/net/tcp6 addresses as inet_ntop prints them', () => {
    const table = parseProcNetTcp(fixture('proc-net-tcp6.txt'));
    expect(table.entries.map((e) => e.localAddress)).toEqual(['::1', '::1', '::1']);
    expect(table.entries[1]).toMatchObject({ localPort: 0xc944, remotePort: 8443, timer: 2, timerTicks: 0xb00 });
  });

  it('skips and counts malformed lines', () => {
    const lines = fixture('proc-net-tcp.txt').split('\n');
    const damaged = [
      ...lines.slice(0, 3),
      '   9: 0100007F:1F90 zz',
      '  10: 0100007F:1F90 00000000000000000000000001000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1',
      ...lines.slice(3),
    ].join('\n');
    const table = parseProcNetTcp(damaged);
    expect(table.entries).toHaveLength(10);
    expect(table.malformedLines).toBe(2);
  });
});

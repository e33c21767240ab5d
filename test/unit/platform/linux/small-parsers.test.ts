import { describe, expect, it } from 'vitest';
import { parseSysctlInteger, sysctlPath } from '../../../../main/platform/linux/sysctl';

describe('sysctl values', () => {
  it('reads the integer the kernel prints', () => {
    expect(parseSysctlInteger('net.ipv4.tcp_keepalive_time', '7200\n')).toBe(7200);
  });

  it.each(['', 'abc', '-5', '1.5', '99999999999'])('rejects %j with the sysctl named', (text) => {
    expect(() => parseSysctlInteger('net.ipv4.tcp_keepalive_time', text)).toThrow(/net\.ipv4\.tcp_keepalive_time/);
  });

  it('maps dotted names to /proc/sys paths', () => {
    expect(sysctlPath('net.ipv4.tcp_keepalive_intvl')).toBe('/proc/sys/net/ipv4/tcp_keepalive_intvl');
  });
});

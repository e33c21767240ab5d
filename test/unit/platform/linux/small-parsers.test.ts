import { describe, expect, it } from 'vitest';
import { parsePasswd } from '../../../../main/platform/linux/passwd';
import { parseSysctlInteger, sysctlPath } from '../../../../main/platform/linux/sysctl';

describe('parsePasswd', () => {
  it('maps uids to names, skipping malformed lines and keeping the first of duplicate uids', () => {
    const users = parsePasswd('root:x:0:0:root:/root:/bin/bash\nbroken line\nalice:x:1000:1000::/home/alice:/bin/sh\ntoor:x:0:0::/:/bin/sh\n:x:5:5\n');
    expect([...users]).toEqual([
      [0, 'root'],
      [1000, 'alice'],
    ]);
  });
});

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

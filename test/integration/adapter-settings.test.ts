/**
 * What the Linux adapter answers about settings and namespaces, on the real kernel in this
 * throwaway namespace: verification reads the sysctls back, and a namespace it cannot read is
 * refused rather than answered with this one's values.
 */
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LinuxAdapter } from '../../main/platform/linux/index';
import type { LinuxSettings } from '../../shared/model';
import { assertThrowawayNamespace, readSysctl, setKeepaliveSysctls } from './lab';

const adapter = new LinuxAdapter();
let found: { timeSec: number; intervalSec: number; probes: number };

beforeAll(() => {
  assertThrowawayNamespace();
  found = {
    timeSec: Number(readSysctl('net.ipv4.tcp_keepalive_time')),
    intervalSec: Number(readSysctl('net.ipv4.tcp_keepalive_intvl')),
    probes: Number(readSysctl('net.ipv4.tcp_keepalive_probes')),
  };
  setKeepaliveSysctls({ timeSec: 600, intervalSec: 60, probes: 5 });
});
afterAll(() => {
  setKeepaliveSysctls(found);
  adapter.close();
});

const expected = (over: Partial<LinuxSettings> = {}): LinuxSettings => ({
  os: 'linux',
  timeSec: 600,
  intervalSec: 60,
  probes: 5,
  retries2: Number(readSysctl('net.ipv4.tcp_retries2')),
  ...over,
});

describe('the Linux adapter and settings', () => {
  it('reads the keepalive sysctls of the namespace it runs in', async () => {
    expect(await adapter.readSettings()).toEqual(expected());
  });

  it('verifies settings by reading them back, naming each sysctl that differs', async () => {
    expect(await adapter.verifySettings(expected())).toMatchObject({ ok: true, mismatches: [] });
    const wrong = await adapter.verifySettings(expected({ timeSec: 900, probes: 9 }));
    expect(wrong.ok).toBe(false);
    expect(wrong.mismatches).toEqual([
      'net.ipv4.tcp_keepalive_time is 600, expected 900',
      'net.ipv4.tcp_keepalive_probes is 5, expected 9',
    ]);
  });

  it('names the namespace it reads by the inode of its nsfs file, as lsns does', async () => {
    const [current] = await adapter.listNamespaces();
    expect(current).toMatchObject({ id: String(statSync('/proc/self/ns/net').ino), current: true });
    // The same namespace by every field that names it; `pids` is "a few of its processes", as each read saw them.
    const { pids: _pids, ...named } = current!;
    expect((await adapter.listSockets(current!.id)).namespace).toMatchObject(named);
  });

  it('refuses a namespace that is not there instead of answering with this one', async () => {
    await expect(adapter.readSettings('4026531840999')).rejects.toMatchObject({ code: 'bad-request', message: /no network namespace 4026531840999/ });
    await expect(adapter.listSockets('4026531840999')).rejects.toMatchObject({ code: 'bad-request', message: /no network namespace 4026531840999/ });
  });

  it('says truthfully whether it can apply: its capability is what applyAvailability answers, with a reason when not', () => {
    const availability = adapter.applyAvailability();
    expect(adapter.capabilities.apply).toBe(availability.available);
    if (!availability.available) expect(availability.reason).toMatch(/sudo idlewatch apply/);
  });
});

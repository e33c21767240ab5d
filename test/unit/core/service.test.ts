import { describe, expect, it } from 'vitest';
import { createIdlewatchService } from '../../../main/core/service';
import type { PlatformAdapter } from '../../../shared/platform-adapter';

/** An adapter whose socket table cannot be read, as when netlink is refused. */
const failingAdapter: PlatformAdapter = {
  platform: 'linux',
  listSockets: async () => {
    throw new Error('Reading the socket table failed: netlink: Operation not permitted');
  },
  readSettings: async () => ({ keepaliveTimeSec: 7200, keepaliveIntervalSec: 75, keepaliveProbes: 9, tcpRetries2: 15 }),
  describeHost: async () => ({ hostname: 'h', platform: 'linux', distro: 'd', release: 'r', kernel: 'k', arch: 'x64' }),
  close: () => undefined,
};

const memoryStore = { load: async () => ({ pollIntervalMs: 500, rules: [] }), save: async () => undefined };

describe('the core service when the collector fails', () => {
  it('keeps running with nobody listening, and reports the failure in its poll state', async () => {
    const service = await createIdlewatchService(failingAdapter, memoryStore);
    await expect(service.api.getSnapshot()).rejects.toThrow(/netlink: Operation not permitted/);
    expect((await service.api.getPollState()).lastError).toMatch(/netlink/);
    service.close();
  });

  it('pushes the failure as an error event to those who listen', async () => {
    const service = await createIdlewatchService(failingAdapter, memoryStore);
    const error = await new Promise((resolve) => service.subscribe('error', resolve));
    expect(error).toEqual({ code: 'collector', message: 'Reading the socket table failed: netlink: Operation not permitted' });
    service.close();
  });
});

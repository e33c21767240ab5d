/**
 * After the keepalive sysctls change, a timer the kernel armed before keeps its expiry and its
 * timer-wheel level; only its next firing uses the new values (KEEPALIVE.md §1.1, §7). The poller
 * must keep projecting it as armed under the old values: rounded as a 7200 s timer, not as a
 * 600 s one (which put its probe up to ~50 s early).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotDelta } from '../../shared/api/contract';
import type { Connection } from '../../shared/model';
import { createIdlewatchService, type IdlewatchService } from '../../main/core/service';
import { LinuxAdapter } from '../../main/platform/linux/index';
import { assertThrowawayNamespace, openPair, setKeepaliveSysctls, sleep, type Pair } from './lab';

let service: IdlewatchService;
let pair: Pair;
const seen: Connection[] = [];

beforeAll(async () => {
  assertThrowawayNamespace();
  setKeepaliveSysctls({ timeSec: 7200, intervalSec: 75, probes: 9 });
  pair = await openPair();
  pair.client.setKeepAlive(true); // armed now, 7200 s ahead
  service = await createIdlewatchService(new LinuxAdapter(), { load: async () => ({ pollIntervalMs: 500, rules: [] }), save: async () => undefined });
  service.subscribe('delta', (d: SnapshotDelta) => {
    const c = d.upserts.find((x) => x.localPort === pair.client.localPort);
    if (c) seen.push(c);
  });
});
afterAll(async () => {
  pair.close();
  await service.close();
  setKeepaliveSysctls({ timeSec: 7200, intervalSec: 75, probes: 9 });
});

const current = async () => (await service.api.getSnapshot()).connections.find((c) => c.localPort === pair.client.localPort)!;

describe('the poller after the keepalive sysctls change', () => {
  it('keeps projecting an armed timer as armed under the old values', async () => {
    await sleep(1200);
    const before = await current();
    expect(before).toMatchObject({ timer: 'keepalive', precision: 'exact', effective: { timeSec: 7200 } });

    setKeepaliveSysctls({ timeSec: 600, intervalSec: 60, probes: 5 });
    await sleep(1500); // a few polls under the new values
    const after = await current();

    // The kernel's timer did not move, and neither does the probe it fires.
    expect(Math.abs(after.timerExpiresAt! - before.timerExpiresAt!)).toBeLessThanOrEqual(10);
    expect(after.effective.timeSec).toBe(600);
    expect(Math.abs(after.nextProbeAt! - before.nextProbeAt!)).toBeLessThanOrEqual(10);
    // From that firing on the new values apply: 5 probes 60 s apart instead of 9 × 75 s.
    expect(after.probesAt).toHaveLength(5);
    expect(after.dropAt!).toBeLessThan(before.dropAt!);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeSnapshot } from '../../main/core/snapshot';
import { LinuxAdapter } from '../../main/platform/linux/index';
import { assertThrowawayNamespace, failure, openPair, setKeepaliveSysctls, silencePeer, sleep } from './lab';

/**
 * The acceptance test of the projection: a keepalive peer goes silent, a snapshot a second
 * later projects the drop, and the kernel's real ETIMEDOUT must land within 100 ms of it.
 * The textbook formula (last receipt + time + probes × intvl) misses by up to ~300 ms here.
 */
const adapter = new LinuxAdapter();
const figures: string[] = [];

beforeAll(assertThrowawayNamespace);
afterAll(() => {
  adapter.close();
  console.log(`keepalive drop, actual ETIMEDOUT vs projection (ms):\n${figures.join('\n')}`);
});

describe('projected drop of a silent keepalive peer, against the real kernel', () => {
  it.each([
    { timeSec: 2, intervalSec: 1, probes: 3 },
    { timeSec: 3, intervalSec: 1, probes: 2 },
    { timeSec: 4, intervalSec: 1, probes: 3 },
    { timeSec: 6, intervalSec: 1, probes: 2 },
  ])('time=$timeSec intvl=$intervalSec probes=$probes: dropAt within 100 ms of ETIMEDOUT, inside dropWindow', async (sysctls) => {
    setKeepaliveSysctls(sysctls);
    const p = await openPair();
    try {
      p.client.setKeepAlive(true); // SO_KEEPALIVE only: the namespace sysctls govern
      const failed = failure(p.client);
      const undo = silencePeer(p.serverPort);
      try {
        await sleep(1000);
        const snap = await takeSnapshot(adapter, { rules: [] });
        const c = snap.connections.find((x) => x.localPort === p.client.localPort && x.remotePort === p.serverPort)!;
        expect(c).toMatchObject({ keepalive: true, timer: 'keepalive', probesSent: 0, dropReason: 'keepalive' });
        expect(c.effective).toMatchObject({ timeSec: sysctls.timeSec, intervalSec: sysctls.intervalSec, probes: sysctls.probes });

        // Halfway: after the first probe the kernel counts it, and the projection still holds.
        await sleep(Math.max(0, c.nextProbeAt! + 150 - Date.now()));
        const mid = await takeSnapshot(adapter, { rules: [] });
        const midC = mid.connections.find((x) => x.id === c.id)!;
        expect(midC.probesSent).toBe(1);

        const { at, code } = await failed;
        expect(code).toBe('ETIMEDOUT');
        const lastReceive = snap.takenAt - c.idleMs!;
        const textbook = lastReceive + (sysctls.timeSec + sysctls.probes * sysctls.intervalSec) * 1000;
        figures.push(
          `  ${sysctls.timeSec}/${sysctls.intervalSec}/${sysctls.probes}: actual − projected ${at - c.dropAt!}, ` +
            `after first probe ${at - midC.dropAt!}, textbook misses by ${at - textbook}, window [${c.dropWindow![0] - at}, +${c.dropWindow![1] - at}]`,
        );
        expect(Math.abs(at - c.dropAt!)).toBeLessThanOrEqual(100);
        expect(Math.abs(at - midC.dropAt!)).toBeLessThanOrEqual(100);
        expect(at).toBeGreaterThanOrEqual(c.dropWindow![0]);
        // the kernel acts inside the window; the error reaches JavaScript a few ms later
        expect(at).toBeLessThanOrEqual(c.dropWindow![1] + 20);
      } finally {
        undo();
      }
    } finally {
      p.close();
    }
  });
});

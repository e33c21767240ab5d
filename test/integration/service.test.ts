import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SnapshotDelta } from '../../shared/api/contract';
import { applyDelta, type KnownConnection } from '../../shared/snapshot-delta';
import { createIdlewatchService, type IdlewatchService, type Preferences } from '../../main/core/service';
import { LinuxAdapter } from '../../main/platform/linux/index';
import { assertThrowawayNamespace, openPair, setKeepaliveSysctls, sleep } from './lab';

let service: IdlewatchService;
let saved: Preferences | null = null;
const deltas: SnapshotDelta[] = [];

function nextDelta(match: (d: SnapshotDelta) => boolean, timeoutMs = 5000): Promise<SnapshotDelta> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (off(), reject(new Error('no matching delta'))), timeoutMs);
    const off = service.subscribe('delta', (d) => {
      if (match(d)) {
        clearTimeout(timer);
        off();
        resolve(d);
      }
    });
  });
}

beforeAll(async () => {
  assertThrowawayNamespace();
  setKeepaliveSysctls({ timeSec: 600, intervalSec: 60, probes: 5 });
  service = await createIdlewatchService(new LinuxAdapter(), {
    load: async () => ({ pollIntervalMs: 500, rules: [] }),
    save: async (p) => void (saved = p),
  });
  service.subscribe('delta', (d) => deltas.push(d));
});
afterAll(() => service.close());

describe('the core service polling the real kernel', () => {
  it('pushes a new connection as an upsert and, once closed, its removal', async () => {
    await service.api.getSnapshot();
    const p = await openPair();
    const added = await nextDelta((d) => d.upserts.some((c) => c.localPort === p.client.localPort));
    const id = added.upserts.find((c) => c.localPort === p.client.localPort)!.id;
    p.close();
    const gone = await nextDelta((d) => d.removed.includes(id));
    expect(gone.seq).toBeGreaterThan(added.seq);
  });

  it('pushes nothing for connections that merely stay idle', async () => {
    const p = await openPair();
    await nextDelta((d) => d.upserts.some((c) => c.localPort === p.client.localPort));
    const quiet = await nextDelta(() => true);
    const again = await nextDelta(() => true);
    expect(quiet.upserts.filter((c) => c.localPort === p.client.localPort)).toEqual([]);
    expect(again.upserts.filter((c) => c.localPort === p.client.localPort)).toEqual([]);
    expect(again.baseSeq).toBe(quiet.seq);
    p.close();
  });

  it('applies new rules at the next poll and remembers them', async () => {
    const p = await openPair();
    p.client.setKeepAlive(true);
    await nextDelta((d) => d.upserts.some((c) => c.localPort === p.client.localPort));
    const rule = { id: 'nat', name: 'AWS NAT Gateway', kind: 'middlebox' as const, idleTimeoutSec: 350, match: { remotePort: p.serverPort }, enabled: true };
    await service.api.setRules([rule]);
    const ruled = await nextDelta((d) => d.upserts.some((c) => c.localPort === p.client.localPort && c.dropBy === 'AWS NAT Gateway'));
    expect(ruled.upserts.find((c) => c.localPort === p.client.localPort)).toMatchObject({ dropReason: 'middlebox', atRisk: true });
    // Preference writes are coalesced: the rule reaches the store within the write delay.
    await vi.waitFor(() => expect(saved?.rules).toEqual([rule]), { timeout: 2000 });
    expect(await service.api.getRules()).toEqual([rule]);
    await service.api.setRules([]);
    p.close();
  });

  it('stops pushing while paused and resumes', async () => {
    const paused = await service.api.pausePolling();
    expect(paused.running).toBe(false);
    await sleep(200); // a poll already under way may still finish
    const before = deltas.length;
    await sleep(1200);
    expect(deltas.length).toBe(before);
    expect((await service.api.resumePolling()).running).toBe(true);
    await nextDelta(() => true);
  });

  it('goes on polling when the socket-table helper dies between polls', async () => {
    const { readdirSync, readFileSync, readlinkSync } = await import('node:fs');
    const children = readdirSync('/proc/self/task').flatMap((t) => readFileSync(`/proc/self/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean));
    const helper = children.map(Number).find((pid) => readlinkSync(`/proc/${pid}/exe`).endsWith('idlewatch-sockdiag'));
    expect(helper).toBeDefined();
    process.kill(helper!, 'SIGKILL');
    const after = await nextDelta(() => true, 5000);
    expect(after.seq).toBeGreaterThan(0);
    expect((await service.api.getPollState()).lastError).toBeNull();
  });

  it('the whole snapshot matches what the deltas built', async () => {
    const p = await openPair();
    await nextDelta((d) => d.upserts.some((c) => c.localPort === p.client.localPort));
    await service.api.pausePolling();
    await sleep(300); // a poll already under way finishes and pushes its delta
    const snap = await service.api.getSnapshot();

    // Replay every delta since the first (baseSeq 0), as a renderer that never missed one would.
    const held = new Map<string, KnownConnection>();
    let seq = 0;
    for (const d of deltas) {
      expect(applyDelta(held, seq, d)).toBe(true);
      seq = d.seq;
    }
    expect(seq).toBe(snap.seq);
    expect([...held.keys()].sort()).toEqual(snap.connections.map((c) => c.id).sort());
    for (const c of snap.connections) expect(held.get(c.id)!.connection).toEqual(c);
    expect(snap.connections.some((c) => c.localPort === p.client.localPort)).toBe(true);
    await service.api.resumePolling();
    p.close();
  });
});

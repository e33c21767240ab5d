import { describe, expect, it, vi } from 'vitest';
import type { SnapshotView } from '../../../../shared/api/contract';
import { SnapshotSync } from '../../../../renderer/src/lib/snapshot-sync';
import { connection, delta, snapshotView } from '../../../fixtures/connection';

/** A getSnapshot the test answers by hand, to deliver deltas while it is on its way. */
function harness() {
  const answers: { resolve(view: SnapshotView): void; reject(error: Error): void }[] = [];
  const fetchSnapshot = vi.fn(() => new Promise<SnapshotView>((resolve, reject) => answers.push({ resolve, reject })));
  const changed = vi.fn();
  const fetchFailed = vi.fn();
  const sync = new SnapshotSync({ fetchSnapshot, changed, fetchFailed });
  const ids = () => [...sync.rows.keys()].sort();
  return { sync, answers, fetchSnapshot, changed, fetchFailed, ids };
}

const a = connection({ id: 'a' });
const b = connection({ id: 'b' });
const c = connection({ id: 'c' });

describe('SnapshotSync', () => {
  it('loads the snapshot, then applies the deltas made for it in order', async () => {
    const h = harness();
    const loading = h.sync.resync();
    h.answers[0]!.resolve(snapshotView(5, [a, b]));
    await loading;
    h.sync.receive(delta(5, 6, { upserts: [c], removed: ['a'] }));
    h.sync.receive(delta(6, 7, { removed: ['b'] }));
    expect(h.ids()).toEqual(['c']);
    expect(h.sync.head?.seq).toBe(7);
    expect(h.fetchSnapshot).toHaveBeenCalledTimes(1);
  });

  it('keeps each row with the time of the poll that read it, for the live idle time', async () => {
    const h = harness();
    const loading = h.sync.resync();
    h.answers[0]!.resolve(snapshotView(1, [a, b], 1000));
    await loading;
    const changedA = connection({ id: 'a', probesSent: 1 });
    h.sync.receive({ ...delta(1, 2, { upserts: [changedA] }), takenAt: 3000 });
    expect(h.sync.rows.get('a')).toEqual({ connection: changedA, takenAt: 3000 });
    expect(h.sync.rows.get('b')!.takenAt).toBe(1000);
  });

  it('fetches the whole snapshot again when a delta was made for another one (a missed push)', async () => {
    const h = harness();
    const loading = h.sync.resync();
    h.answers[0]!.resolve(snapshotView(5, [a]));
    await loading;
    h.sync.receive(delta(6, 7, { upserts: [b] })); // 5 → 6 never arrived
    expect(h.fetchSnapshot).toHaveBeenCalledTimes(2);
    expect(h.ids()).toEqual(['a']); // nothing applied on the wrong base
    h.answers[1]!.resolve(snapshotView(7, [a, b]));
    await vi.waitFor(() => expect(h.ids()).toEqual(['a', 'b']));
    expect(h.sync.head?.seq).toBe(7);
  });

  it('holds deltas that arrive while the snapshot is on its way, and replays only the newer ones', async () => {
    const h = harness();
    const loading = h.sync.resync();
    h.sync.receive(delta(4, 5, { upserts: [b] })); // already inside snapshot 5
    h.sync.receive(delta(5, 6, { upserts: [c] }));
    expect(h.sync.rows.size).toBe(0);
    h.answers[0]!.resolve(snapshotView(5, [a, b]));
    await loading;
    expect(h.ids()).toEqual(['a', 'b', 'c']);
    expect(h.sync.head?.seq).toBe(6);
    expect(h.fetchSnapshot).toHaveBeenCalledTimes(1);
  });

  it('ignores a delta it already has (seq not newer than the one held)', async () => {
    const h = harness();
    const loading = h.sync.resync();
    h.answers[0]!.resolve(snapshotView(5, [a]));
    await loading;
    h.changed.mockClear();
    h.sync.receive(delta(4, 5, { removed: ['a'] }));
    expect(h.ids()).toEqual(['a']);
    expect(h.changed).not.toHaveBeenCalled();
    expect(h.fetchSnapshot).toHaveBeenCalledTimes(1);
  });

  it('tells the table to re-sort only when rows changed, not when only the head moved', async () => {
    const h = harness();
    const loading = h.sync.resync();
    h.answers[0]!.resolve(snapshotView(1, [a]));
    await loading;
    h.changed.mockClear();
    h.sync.receive(delta(1, 2));
    h.sync.receive(delta(2, 3, { upserts: [b] }));
    expect(h.changed.mock.calls).toEqual([[false], [true]]);
    expect(h.sync.head?.takenAt).toBe(delta(2, 3).takenAt);
  });

  it('reports a failed fetch, and fetches again on the next delta', async () => {
    const h = harness();
    const loading = h.sync.resync();
    h.answers[0]!.reject(new Error('collector down'));
    await loading;
    expect(h.fetchFailed).toHaveBeenCalledWith(new Error('collector down'));
    h.sync.receive(delta(1, 2));
    expect(h.fetchSnapshot).toHaveBeenCalledTimes(2);
    h.answers[1]!.resolve(snapshotView(2, [a]));
    await vi.waitFor(() => expect(h.ids()).toEqual(['a']));
  });

  it('joins concurrent resync requests into one fetch', async () => {
    const h = harness();
    const first = h.sync.resync();
    const second = h.sync.resync();
    expect(second).toBe(first);
    h.answers[0]!.resolve(snapshotView(1, [a]));
    await first;
    expect(h.fetchSnapshot).toHaveBeenCalledTimes(1);
  });
});

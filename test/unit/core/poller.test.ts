import { describe, expect, it } from 'vitest';
import { Poller, RELIST_NAMESPACES_EVERY_POLLS, type PollerEvents } from '../../../main/core/poller';
import type { PollState, SnapshotDelta } from '../../../shared/api/contract';
import { applyDelta, type KnownConnection } from '../../../shared/snapshot-delta';
import { emptyTable, fakeAdapter } from '../../fixtures/adapter';
import { BLUE_NS, HOST_NS, namespacedAdapter, WEB_NS } from './namespaced-adapter';

const host = async () => ({ hostname: 'h', os: 'linux', distro: null, kernel: 'k', arch: 'x64', network: null });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function recorder() {
  const states: PollState[] = [];
  let polls = 0;
  const events: PollerEvents = { delta: () => void polls++, state: (s) => void states.push(s), error: () => undefined };
  return { events, states, polls: () => polls };
}

describe('Poller cadence', () => {
  it('keeps polling while a client changes the interval faster than it', async () => {
    // Reproduces the attack: setPollInterval every 40 ms with a 100 ms interval restarted the
    // wait each time, so no poll ever came.
    const r = recorder();
    const poller = new Poller(fakeAdapter(), { intervalMs: 100, rules: [], host }, r.events);
    poller.start();
    await sleep(20);
    const before = r.polls();
    for (let i = 0; i < 25; i++) {
      poller.setIntervalMs(i % 2 ? 100 : 110);
      await sleep(40);
    }
    // 1 s of 100–110 ms intervals: about 9 polls; starved, 0.
    expect(r.polls() - before).toBeGreaterThanOrEqual(6);
    poller.stop();
  });

  it('a shorter interval brings the next poll forward from the last one, not from now', async () => {
    const r = recorder();
    const poller = new Poller(fakeAdapter(), { intervalMs: 60_000, rules: [], host }, r.events);
    poller.start();
    await sleep(50);
    expect(r.polls()).toBe(1);
    poller.setIntervalMs(200);
    await sleep(250);
    expect(r.polls()).toBe(2);
    poller.stop();
  });
});

describe('Poller late data', () => {
  it('reports a poll that overruns its interval as late at once, and clears it when the poll ends', async () => {
    let release!: () => void;
    let calls = 0;
    const adapter = fakeAdapter({
      listSockets: async () => {
        calls += 1;
        // The second poll hangs, as a helper stuck in the kernel or stopped by a debugger would.
        if (calls === 2) await new Promise<void>((resolve) => (release = resolve));
        return emptyTable();
      },
    });
    const r = recorder();
    const poller = new Poller(adapter, { intervalMs: 100, rules: [], host }, r.events);
    poller.start();
    await sleep(150); // second poll started at ~100 ms
    expect(r.states.some((s) => s.late)).toBe(false);
    await sleep(150); // it has now run past its 100 ms interval
    const late = r.states.at(-1)!;
    expect(late).toMatchObject({ late: true, running: true });
    expect(late.pollStartedAt).not.toBeNull();
    expect(poller.state().late).toBe(true);
    release();
    await sleep(20);
    expect(r.states.at(-1)).toMatchObject({ late: false, pollStartedAt: null });
    poller.stop();
  });
});

describe('Poller namespaces', () => {
  function collect() {
    const deltas: SnapshotDelta[] = [];
    const states: PollState[] = [];
    const events: PollerEvents = { delta: (d) => void deltas.push(d), state: (s) => void states.push(s), error: () => undefined };
    return { deltas, states, events };
  }

  it('reads the current namespace by default and says so in its state', async () => {
    const adapter = namespacedAdapter([HOST_NS, WEB_NS]);
    const r = collect();
    const poller = new Poller(adapter, { intervalMs: 60_000, rules: [], host }, r.events);
    await poller.pollOnce();
    expect(poller.state().namespace).toBe('current');
    expect(adapter.reads).toEqual(['current']);
    expect((await poller.snapshot()).namespaces.map((n) => n.namespace.id)).toEqual([HOST_NS.namespace.id]);
    poller.stop();
  });

  it("merges every namespace for 'all', and a namespace that cannot be read is a warning, not a failed poll", async () => {
    const adapter = namespacedAdapter([HOST_NS, { ...WEB_NS, fails: 'gone' }, BLUE_NS]);
    const r = collect();
    const poller = new Poller(adapter, { intervalMs: 60_000, rules: [], host, namespace: 'all' }, r.events);
    await poller.pollOnce();
    const view = await poller.snapshot();
    expect(poller.state()).toMatchObject({ namespace: 'all', lastError: null });
    expect(view.namespace).toEqual(HOST_NS.namespace);
    expect(view.namespaces.map((n) => n.namespace.label)).toEqual(['host', 'blue']);
    expect(view.connections.map((c) => c.netns)).toEqual([HOST_NS.namespace.id, HOST_NS.namespace.id, BLUE_NS.namespace.id]);
    expect(view.diagnostics.warnings[0]).toMatch(/web-1 \(4026532512\) could not be read \(it may have just gone\): gone/);
    poller.stop();
  });

  it('lists the namespaces again after a read failed, and otherwise every few polls', async () => {
    const adapter = namespacedAdapter([HOST_NS, BLUE_NS]);
    const poller = new Poller(adapter, { intervalMs: 60_000, rules: [], host, namespace: 'all' }, collect().events);
    for (let i = 0; i < RELIST_NAMESPACES_EVERY_POLLS; i++) await poller.pollOnce();
    expect(adapter.listed()).toBe(1);
    await poller.pollOnce();
    expect(adapter.listed()).toBe(2);
    const failing = namespacedAdapter([HOST_NS, { ...BLUE_NS, fails: 'gone' }]);
    const again = new Poller(failing, { intervalMs: 60_000, rules: [], host, namespace: 'all' }, collect().events);
    await again.pollOnce();
    await again.pollOnce();
    expect(failing.listed()).toBe(2);
    poller.stop();
    again.stop();
  });

  it('reads the current namespace alone, with a warning, when the namespaces cannot be listed', async () => {
    const adapter = namespacedAdapter([HOST_NS, BLUE_NS], {
      listNamespaces: async () => {
        throw new Error('discovery failed');
      },
    });
    const poller = new Poller(adapter, { intervalMs: 60_000, rules: [], host, namespace: 'all' }, collect().events);
    await poller.pollOnce();
    const view = await poller.snapshot();
    expect(view.namespaces.map((n) => n.namespace.id)).toEqual([HOST_NS.namespace.id]);
    expect(view.diagnostics.warnings).toEqual(['the network namespaces could not be listed: discovery failed']);
    poller.stop();
  });

  it('selecting another namespace polls at once and starts a new delta base, so receivers fetch the whole table', async () => {
    const adapter = namespacedAdapter([HOST_NS, WEB_NS]);
    const r = collect();
    const poller = new Poller(adapter, { intervalMs: 60_000, rules: [], host }, r.events);
    await poller.pollOnce();
    const held = new Map<string, KnownConnection>();
    expect(applyDelta(held, 0, r.deltas[0]!)).toBe(true);
    poller.select(WEB_NS.namespace.id);
    expect(r.states.at(-1)).toMatchObject({ namespace: WEB_NS.namespace.id });
    await sleep(20);
    expect(r.deltas).toHaveLength(2);
    const next = r.deltas[1]!;
    // The receiver holds seq 1; this delta follows a seq nobody holds.
    expect(applyDelta(held, r.deltas[0]!.seq, next)).toBe(false);
    expect(next.namespace).toEqual(WEB_NS.namespace);
    expect(next.settings).toEqual(WEB_NS.settings);
    expect(next.upserts.map((c) => c.id)).toEqual(['4026532512/i7', '4026532512/i8', '4026532512/i9']);
    const view = await poller.snapshot();
    expect(view.seq).toBe(next.seq);
    expect(view.connections.every((c) => c.netns === WEB_NS.namespace.id)).toBe(true);
    // Selecting what is already selected changes nothing.
    poller.select(WEB_NS.namespace.id);
    await sleep(20);
    expect(r.deltas).toHaveLength(2);
    poller.stop();
  });

  it('a poll that was under way when the selection changed is followed by one of the new selection', async () => {
    let release!: () => void;
    let first = true;
    const adapter = namespacedAdapter([HOST_NS, WEB_NS]);
    const original = adapter.listSockets;
    adapter.listSockets = async (ref) => {
      if (first) {
        first = false;
        await new Promise<void>((resolve) => (release = resolve));
      }
      return original(ref);
    };
    const r = collect();
    const poller = new Poller(adapter, { intervalMs: 60_000, rules: [], host }, r.events);
    const under = poller.pollOnce();
    await sleep(5);
    poller.select('all');
    release();
    await under;
    await sleep(20);
    expect(r.deltas.map((d) => d.namespaces.length)).toEqual([1, 2]);
    expect(r.deltas[1]!.baseSeq).not.toBe(r.deltas[0]!.seq);
    poller.stop();
  });
});

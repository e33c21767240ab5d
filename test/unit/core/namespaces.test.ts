import { describe, expect, it } from 'vitest';
import { namespaceSummaries, takeAllNamespacesSnapshot } from '../../../main/core/namespaces';
import { NamespacesViewSchema } from '../../../shared/api/schemas';
import { SnapshotSchema } from '../../../shared/model/schemas';
import { everyConnectionRule } from '../../../shared/rules';
import { NOW } from '../../fixtures/connection';
import { BLUE_NS, HOST_NS, namespacedAdapter, WEB_NS } from './namespaced-adapter';

const middlebox350 = [everyConnectionRule('middlebox', 350, 'NAT 350s')];

describe('namespace summaries (listNamespaces, idlewatch namespaces)', () => {
  it('lists the host first, then by label, each with its settings, counts and drift from the host', async () => {
    const adapter = namespacedAdapter([WEB_NS, BLUE_NS, HOST_NS]);
    const view = await namespaceSummaries(adapter, { rules: middlebox350 });
    expect(NamespacesViewSchema.safeParse(view).success).toBe(true);
    expect(view.available).toBe(true);
    expect(view.reason).toBeNull();
    expect(view.host).toBe(HOST_NS.namespace.id);
    expect(view.namespaces.map((s) => s.namespace.label)).toEqual(['host', 'blue', 'web-1']);
    const [host, blue, web] = view.namespaces;
    expect(host).toMatchObject({ settings: HOST_NS.settings, sockets: 2, idle: 1, atRisk: 2, differsFromHost: false, note: null, error: null });
    expect(blue).toMatchObject({
      settings: BLUE_NS.settings,
      sockets: 1,
      idle: 0,
      atRisk: 0,
      differsFromHost: true,
      note: '300/30/5 here, 600/60/5 on the host; tcp_retries2 8 here, 15 on the host',
    });
    // A listener is a socket, not an idle connection; each connection is projected with its own namespace's 7200/75/9.
    expect(web).toMatchObject({ sockets: 3, idle: 2, atRisk: 2, differsFromHost: true, note: "kernel defaults 7200/75/9 — the host's 600/60/5 does not reach it" });
  });

  it('reads the current namespace as "current" and the others by id', async () => {
    const adapter = namespacedAdapter([HOST_NS, WEB_NS]);
    await namespaceSummaries(adapter, { rules: [] });
    expect([...adapter.reads].sort()).toEqual([WEB_NS.namespace.id, 'current'].sort());
  });

  it('keeps a namespace that could not be read, with its error and whatever settings could be read', async () => {
    const gone = { ...WEB_NS, fails: 'network namespace 4026532512 is gone' };
    const adapter = namespacedAdapter([HOST_NS, gone]);
    const view = await namespaceSummaries(adapter, { rules: [] });
    expect(view.namespaces[1]).toMatchObject({ settings: null, sockets: 0, idle: 0, atRisk: 0, differsFromHost: false, note: null, error: 'network namespace 4026532512 is gone' });
    expect(NamespacesViewSchema.safeParse(view).success).toBe(true);
  });

  it('says why only the current namespace is listed where others cannot be read', async () => {
    const adapter = namespacedAdapter([HOST_NS]);
    adapter.capabilities.namespaces = false;
    adapter.capabilities.namespacesReason = 'reading other network namespaces needs root';
    const view = await namespaceSummaries(adapter, { rules: [] });
    expect(view).toMatchObject({ available: false, reason: 'reading other network namespaces needs root', host: HOST_NS.namespace.id });
    expect(view.namespaces).toHaveLength(1);
  });
});

describe('a snapshot of every namespace', () => {
  it('merges the connections of each, projected with their own settings, under the host namespace and settings', async () => {
    const adapter = namespacedAdapter([HOST_NS, WEB_NS, BLUE_NS]);
    const { snapshot } = await takeAllNamespacesSnapshot(adapter, { rules: [] });
    expect(SnapshotSchema.safeParse(snapshot).success).toBe(true);
    expect(snapshot.namespace).toEqual(HOST_NS.namespace);
    expect(snapshot.settings).toEqual(HOST_NS.settings);
    expect(snapshot.namespaces).toEqual([
      { namespace: HOST_NS.namespace, settings: HOST_NS.settings },
      { namespace: BLUE_NS.namespace, settings: BLUE_NS.settings },
      { namespace: WEB_NS.namespace, settings: WEB_NS.settings },
    ]);
    expect(snapshot.connections.map((c) => c.id)).toEqual(['4026531840/i1', '4026531840/i2', '4026532700/i3', '4026532512/i7', '4026532512/i8', '4026532512/i9']);
    const web = snapshot.connections.find((c) => c.id === '4026532512/i9')!;
    expect(web.netns).toBe(WEB_NS.namespace.id);
    expect(web.effective).toMatchObject({ timeSec: 7200, intervalSec: 75, probes: 9 });
    expect(snapshot.connections.find((c) => c.id === '4026531840/i1')!.effective).toMatchObject({ timeSec: 600, intervalSec: 60, probes: 5 });
  });

  it('puts a namespace that could not be read into the warnings and reads the rest', async () => {
    const adapter = namespacedAdapter([HOST_NS, { ...WEB_NS, fails: 'no such process' }, BLUE_NS]);
    const { snapshot, reads } = await takeAllNamespacesSnapshot(adapter, { rules: [] });
    expect(reads.filter((r) => r.error !== null)).toHaveLength(1);
    expect(snapshot.namespaces.map((n) => n.namespace.label)).toEqual(['host', 'blue']);
    expect(snapshot.diagnostics.warnings).toEqual(['network namespace web-1 (4026532512) could not be read (it may have just gone): no such process']);
  });

  it('fails when the current namespace itself cannot be read', async () => {
    const adapter = namespacedAdapter([{ ...HOST_NS, fails: 'netlink: Operation not permitted' }, WEB_NS]);
    await expect(takeAllNamespacesSnapshot(adapter, { rules: [] })).rejects.toThrow('netlink: Operation not permitted');
  });

  it('holds every connection at one moment: ages read earlier are grown to the latest read', async () => {
    const adapter = namespacedAdapter([HOST_NS, { ...BLUE_NS, takenAt: NOW - 40 }]);
    const { snapshot } = await takeAllNamespacesSnapshot(adapter, { rules: [] });
    expect(snapshot.takenAt).toBe(NOW);
    const blue = snapshot.connections.find((c) => c.netns === BLUE_NS.namespace.id)!;
    expect(blue.idleMs).toBe(30_040);
    // Absolute times stand as read.
    expect(blue.timerExpiresAt).toBe(NOW + 270_000);
  });

  it('adds up the diagnostics of every namespace', async () => {
    const adapter = namespacedAdapter([HOST_NS, WEB_NS]);
    const original = adapter.listSockets;
    adapter.listSockets = async (ref) => {
      const table = await original(ref);
      return { ...table, diagnostics: { ...table.diagnostics, unattributedSockets: 2, warnings: [`warning in ${table.namespace.label}`] } };
    };
    const { snapshot } = await takeAllNamespacesSnapshot(adapter, { rules: [] });
    expect(snapshot.diagnostics.unattributedSockets).toBe(4);
    expect(snapshot.diagnostics.warnings).toEqual(['warning in host', 'warning in web-1']);
  });
});

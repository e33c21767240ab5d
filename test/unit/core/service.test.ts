import { describe, expect, it, vi } from 'vitest';
import { createIdlewatchService, PREFERENCES_WRITE_DELAY_MS, type Preferences } from '../../../main/core/service';
import { everyConnectionRule } from '../../../shared/rules';
import { fakeAdapter } from '../../fixtures/adapter';
import { HOST_NS, namespacedAdapter, WEB_NS } from './namespaced-adapter';

/** An adapter whose socket table cannot be read, as when netlink is refused. */
const failingAdapter = () =>
  fakeAdapter({
    listSockets: async () => {
      throw new Error('Reading the socket table failed: netlink: Operation not permitted');
    },
  });

function memoryStore(initial: Partial<Preferences> | null = { pollIntervalMs: 500, rules: [], profiles: [] }) {
  const saved: Preferences[] = [];
  return { saved, load: async () => initial, save: vi.fn(async (p: Preferences) => void saved.push(structuredClone(p))) };
}

describe('the core service when the collector fails', () => {
  it('keeps running with nobody listening, and reports the failure in its poll state', async () => {
    const service = await createIdlewatchService(failingAdapter(), memoryStore());
    await expect(service.api.getSnapshot()).rejects.toThrow(/netlink: Operation not permitted/);
    expect((await service.api.getPollState()).lastError).toMatch(/netlink/);
    await service.close();
  });

  it('pushes the failure as an error event to those who listen', async () => {
    const service = await createIdlewatchService(failingAdapter(), memoryStore());
    const error = await new Promise((resolve) => service.subscribe('error', resolve));
    expect(error).toEqual({ code: 'collector', message: 'Reading the socket table failed: netlink: Operation not permitted' });
    await service.close();
  });
});

describe('the core service and its preferences', () => {
  it('coalesces a burst of interval changes into one write of the last value', async () => {
    const store = memoryStore();
    const service = await createIdlewatchService(fakeAdapter(), store);
    for (let ms = 1000; ms < 1200; ms += 10) await service.api.setPollInterval(ms);
    expect(store.save).not.toHaveBeenCalled();
    await new Promise((r) => setTimeout(r, PREFERENCES_WRITE_DELAY_MS + 100));
    expect(store.saved).toEqual([{ pollIntervalMs: 1190, rules: [], profiles: [] }]);
    await service.close();
  });

  it('writes nothing when the values are those already stored, and flushes a pending write on close', async () => {
    const store = memoryStore({ pollIntervalMs: 2000, rules: [], profiles: [] });
    const service = await createIdlewatchService(fakeAdapter(), store);
    await service.api.setPollInterval(2000);
    await service.api.setRules([]);
    await new Promise((r) => setTimeout(r, PREFERENCES_WRITE_DELAY_MS + 100));
    expect(store.save).not.toHaveBeenCalled();
    await service.api.setPollInterval(3000);
    await service.close();
    expect(store.saved).toEqual([{ pollIntervalMs: 3000, rules: [], profiles: [] }]);
  });

  it('loads preferences written before profiles existed, defaulting to no custom profiles', async () => {
    const store = memoryStore({ pollIntervalMs: 2000, rules: [] });
    const service = await createIdlewatchService(fakeAdapter(), store);
    expect((await service.api.getProfiles()).custom).toEqual([]);
    await service.close();
    expect(store.save).not.toHaveBeenCalled();
  });

  it('closes the adapter exactly once, however often it is closed', async () => {
    const adapter = fakeAdapter();
    const service = await createIdlewatchService(adapter, memoryStore());
    await Promise.all([service.close(), service.close()]);
    await service.close();
    expect(adapter.closed).toBe(1);
  });
});

describe('the core service and the host', () => {
  it('describes the host once and adds where it sits on the network when that arrives', async () => {
    const describeHost = vi.fn(async () => ({ hostname: 'h', os: 'linux', distro: null, kernel: 'k', arch: 'x64', network: null }));
    const network = { interfaces: [{ name: 'eth0', addresses: ['192.0.2.10'] }], defaultGateway: '192.0.2.1', defaultInterface: 'eth0' };
    const adapter = fakeAdapter({ describeHost, describeNetwork: async () => network });
    const service = await createIdlewatchService(adapter, memoryStore({ pollIntervalMs: 500, rules: [] }));
    await service.api.getSnapshot();
    await new Promise((r) => setTimeout(r, 700));
    expect((await service.api.getSnapshot()).host.network).toEqual(network);
    expect(describeHost).toHaveBeenCalledTimes(1);
    await service.close();
  });
});

describe('the core service and network namespaces', () => {
  it('lists every namespace with its drift from the host, counting at-risk connections against the saved rules', async () => {
    const rules = [everyConnectionRule('middlebox', 350, 'NAT 350s')];
    const service = await createIdlewatchService(namespacedAdapter([HOST_NS, WEB_NS]), memoryStore({ pollIntervalMs: 500, rules, profiles: [] }));
    const view = await service.api.listNamespaces();
    expect(view.host).toBe(HOST_NS.namespace.id);
    expect(view.namespaces.map((s) => [s.namespace.label, s.sockets, s.atRisk, s.differsFromHost])).toEqual([
      ['host', 2, 2, false],
      ['web-1', 3, 2, true],
    ]);
    await service.close();
  });

  it('selects a namespace in use, and the next snapshot is of it', async () => {
    const service = await createIdlewatchService(namespacedAdapter([HOST_NS, WEB_NS]), memoryStore());
    await service.api.getSnapshot();
    expect(await service.api.selectNamespace(WEB_NS.namespace.id)).toMatchObject({ namespace: WEB_NS.namespace.id });
    expect((await service.api.getPollState()).namespace).toBe(WEB_NS.namespace.id);
    await vi.waitFor(async () => expect((await service.api.getSnapshot()).namespace.id).toBe(WEB_NS.namespace.id));
    expect(await service.api.selectNamespace('all')).toMatchObject({ namespace: 'all' });
    await vi.waitFor(async () => expect((await service.api.getSnapshot()).namespaces).toHaveLength(2));
    await service.close();
  });

  it('refuses an id no namespace has, and, where others cannot be read, says why', async () => {
    const service = await createIdlewatchService(namespacedAdapter([HOST_NS, WEB_NS]), memoryStore());
    await expect(service.api.selectNamespace('4026539999')).rejects.toMatchObject({ code: 'bad-request', message: 'no network namespace 4026539999 is in use (it may have just gone)' });
    expect((await service.api.getPollState()).namespace).toBe('current');
    await service.close();

    const adapter = namespacedAdapter([HOST_NS]);
    adapter.capabilities.namespaces = false;
    adapter.capabilities.namespacesReason = 'reading other network namespaces needs root';
    const unprivileged = await createIdlewatchService(adapter, memoryStore());
    await expect(unprivileged.api.selectNamespace(WEB_NS.namespace.id)).rejects.toMatchObject({ code: 'unsupported', message: 'reading other network namespaces needs root' });
    // 'all' is the current one alone there, and the current one is always there.
    await expect(unprivileged.api.selectNamespace('all')).resolves.toMatchObject({ namespace: 'all' });
    await expect(unprivileged.api.selectNamespace(HOST_NS.namespace.id)).resolves.toMatchObject({ namespace: HOST_NS.namespace.id });
    await unprivileged.close();
  });
});

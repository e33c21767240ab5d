/**
 * Profiles for another network namespace (issue 9) in the core, against a fake machine with two
 * namespaces: the host's (current) and a Docker container's, each with its own settings and
 * connections. The real helper entering namespaces is test/integration/namespace-apply.test.ts.
 */
import { describe, expect, it, vi } from 'vitest';
import { METHODS } from '../../../shared/api/contract';
import type { LinuxSettings, NetworkNamespace, SocketFacts } from '../../../shared/model';
import type { ApplyOptions, KeepaliveChange, KeepaliveRecord, NamespaceRef } from '../../../shared/platform-adapter';
import type { KeepaliveValues } from '../../../shared/profiles';
import { createIdlewatchService } from '../../../main/core/service';
import { historyEntries, rootApplyCommand } from '../../../main/core/profiles';
import { PRESETS } from '../../../shared/profiles';
import { emptyTable, fakeAdapter } from '../../fixtures/adapter';
import { connection, NAMESPACE } from '../../fixtures/connection';

const HOST = NAMESPACE;
const WEB: NetworkNamespace = { id: '4026532817', name: null, current: false, label: 'web-1', kind: 'docker', pids: [4242] };
const BLUE: NetworkNamespace = { id: '4026532900', name: 'blue', current: false, label: 'blue', kind: 'netns', pids: [] };
const SERVER = PRESETS.find((p) => p.id === 'server')!;

function fakeMachine() {
  const values: Record<string, KeepaliveValues> = {
    [HOST.id]: { timeSec: 600, intervalSec: 60, probes: 5 },
    [WEB.id]: { timeSec: 7200, intervalSec: 75, probes: 9 },
    [BLUE.id]: { timeSec: 7200, intervalSec: 75, probes: 9 },
  };
  const id = (ref: NamespaceRef | undefined) => (ref === undefined || ref === 'current' ? HOST.id : ref);
  const settings = (ref?: NamespaceRef): LinuxSettings => ({ os: 'linux', ...values[id(ref)]!, retries2: 15 });
  const namespaceOf = (ref?: NamespaceRef) => [HOST, WEB, BLUE].find((n) => n.id === id(ref))!;
  const history: KeepaliveRecord[] = [];
  const applyKeepalive = vi.fn(async (v: KeepaliveValues, options: ApplyOptions): Promise<KeepaliveChange> => {
    const target = id(options.namespace);
    const before = { ...values[target]! };
    values[target] = { ...v };
    const namespace = target === HOST.id ? null : target;
    const record: KeepaliveRecord = { at: Date.now(), user: 'alice', action: 'apply', before, after: v, persisted: options.persist, outcome: 'applied', message: 'Applied.', namespace };
    history.push(record);
    return { ...record, dropIn: null };
  });
  const adapter = fakeAdapter({
    capabilities: { perSocketOptions: true, timers: true, namespaces: true, namespacesReason: null, apply: true },
    listNamespaces: async () => [HOST, WEB, BLUE],
    readSettings: async (ref) => settings(ref),
    listSockets: async (ref) => {
      const ns = namespaceOf(ref);
      // The container has three connections, the host one: a preview counts the namespace's own.
      const count = ns.id === WEB.id ? 3 : 1;
      const sockets = Array.from({ length: count }, (_, i) => connection({ id: `${ns.id}/i${i + 1}`, inode: i + 1, netns: ns.id, effective: undefined as never }) as unknown as SocketFacts);
      return { ...emptyTable(), namespace: ns, sockets };
    },
    applyAvailability: () => ({ available: true, reason: null }),
    applyKeepalive,
    readHistory: async () => [...history],
  });
  return { values, adapter, applyKeepalive, history };
}

async function serviceOn(machine: ReturnType<typeof fakeMachine>) {
  const service = await createIdlewatchService(machine.adapter, { load: async () => ({ pollIntervalMs: 60_000, rules: [], profiles: [] }), save: async () => undefined });
  return { service, api: service.api };
}

describe('previewing a profile for another namespace', () => {
  it("uses that namespace's settings and connections, not the host's", async () => {
    const machine = fakeMachine();
    const { service, api } = await serviceOn(machine);
    const host = await api.previewProfile('server');
    expect(host.changes.map((c) => c.from)).toEqual([600, 60, 5]);
    expect(host.summary.connections).toBe(1);

    const web = await api.previewProfile('server', { namespace: WEB.id });
    expect(METHODS.previewProfile.result.safeParse(web).success).toBe(true);
    expect(web.changes.map((c) => [c.key, c.from, c.to])).toEqual([
      ['net.ipv4.tcp_keepalive_time', 7200, 600],
      ['net.ipv4.tcp_keepalive_intvl', 75, 60],
      ['net.ipv4.tcp_keepalive_probes', 9, 5],
    ]);
    expect(web.summary.connections).toBe(3);
    expect(web.rows.map((r) => r.id)).toEqual([`${WEB.id}/i1`, `${WEB.id}/i2`, `${WEB.id}/i3`]);
    await service.close();
  });

  it("reading all namespaces, takes a namespace's own connections and settings from the poll", async () => {
    const machine = fakeMachine();
    const { service, api } = await serviceOn(machine);
    await api.selectNamespace('all');
    await api.getSnapshot();
    const listSockets = vi.spyOn(machine.adapter, 'listSockets');
    const web = await api.previewProfile('server', { namespace: WEB.id });
    expect(web.changes.map((c) => c.from)).toEqual([7200, 75, 9]);
    expect(web.summary.connections).toBe(3);
    const host = await api.previewProfile('server');
    expect(host.changes.map((c) => c.from)).toEqual([600, 60, 5]);
    expect(host.summary.connections).toBe(1);
    expect(listSockets).not.toHaveBeenCalled();
    await service.close();
  });

  it('the current namespace named by its id is the current one', async () => {
    const { service, api } = await serviceOn(fakeMachine());
    expect((await api.previewProfile('server', { namespace: HOST.id })).changes.map((c) => c.from)).toEqual([600, 60, 5]);
    await service.close();
  });
});

describe('applying a profile to another namespace', () => {
  it('refuses to persist it, as bad-request naming the lines that persist it instead, and changes nothing', async () => {
    const machine = fakeMachine();
    const { service, api } = await serviceOn(machine);
    const refusal = api.applyProfile('server', { persist: true, namespace: WEB.id });
    await expect(refusal).rejects.toMatchObject({ code: 'bad-request' });
    const { message } = (await refusal.catch((e: Error) => e)) as Error;
    expect(message).toMatch(/^network namespace 4026532817 \(web-1\) cannot be persisted by Idlewatch: it has no \/etc\/sysctl\.d of its own/);
    expect(message).toContain('docker run --sysctl net.ipv4.tcp_keepalive_time=600 --sysctl net.ipv4.tcp_keepalive_intvl=60 --sysctl net.ipv4.tcp_keepalive_probes=5');
    expect(message).toContain('Compose sysctls:');
    expect(machine.applyKeepalive).not.toHaveBeenCalled();
    expect(machine.values[WEB.id]).toEqual({ timeSec: 7200, intervalSec: 75, probes: 9 });
    await service.close();
  });

  it('applies it at run time through the adapter, naming the namespace in the entry and the root command', async () => {
    const machine = fakeMachine();
    const { service, api } = await serviceOn(machine);
    const { entry, view } = await api.applyProfile('server', { persist: false, namespace: WEB.id });
    expect(machine.applyKeepalive).toHaveBeenCalledExactlyOnceWith(
      { timeSec: 600, intervalSec: 60, probes: 5 },
      { persist: false, namespace: WEB.id, rootCommand: `sudo idlewatch apply server --netns ${WEB.id}` },
    );
    expect(entry).toMatchObject({ action: 'apply', profile: 'server', outcome: 'applied', persisted: false, namespace: WEB.id });
    expect(entry.message).toMatch(/^Applied\. To keep them, set them where the namespace is made: docker run --sysctl /);
    expect(METHODS.applyProfile.result.safeParse({ entry, view }).success).toBe(true);
    // Only that namespace changed; the view's values in force are still the host's.
    expect(machine.values[HOST.id]).toEqual({ timeSec: 600, intervalSec: 60, probes: 5 });
    expect(view.inForce).toEqual({ timeSec: 600, intervalSec: 60, probes: 5 });
    expect(view.history).toEqual([expect.objectContaining({ namespace: WEB.id, profile: 'server' })]);
    await service.close();
  });

  it('an ip netns namespace is kept by running sysctl in it after each ip netns add', async () => {
    const machine = fakeMachine();
    const { service, api } = await serviceOn(machine);
    await expect(api.applyProfile('server', { persist: true, namespace: BLUE.id })).rejects.toMatchObject({
      message: expect.stringContaining('ip netns exec blue sysctl -w net.ipv4.tcp_keepalive_time=600 net.ipv4.tcp_keepalive_intvl=60 net.ipv4.tcp_keepalive_probes=5'),
    });
    await service.close();
  });

  it('the current namespace named by its id is applied and persisted as the current one', async () => {
    const machine = fakeMachine();
    const { service, api } = await serviceOn(machine);
    await api.applyProfile('web-server', { persist: true, namespace: HOST.id });
    expect(machine.applyKeepalive).toHaveBeenCalledExactlyOnceWith(expect.anything(), { persist: true, rootCommand: 'sudo idlewatch apply web-server' });
    await service.close();
  });

  it('a namespace the adapter does not list is left to the adapter to refuse', async () => {
    const machine = fakeMachine();
    machine.adapter.applyKeepalive = async () => {
      throw Object.assign(new Error('no network namespace 99'), { code: 'bad-request' });
    };
    const { service, api } = await serviceOn(machine);
    await expect(api.applyProfile('server', { persist: false, namespace: '99' })).rejects.toThrow(/no network namespace 99/);
    await service.close();
  });
});

describe('history entries', () => {
  it('carry the namespace each change was made in (null: the one Idlewatch runs in)', () => {
    const record = (namespace: string | null): KeepaliveRecord => ({
      at: 1, user: 'root', action: 'apply', before: null, after: { timeSec: 600, intervalSec: 60, probes: 5 }, persisted: false, outcome: 'applied', message: '', namespace,
    });
    expect(historyEntries([record(null), record(WEB.id)], []).map((e) => [e.profile, e.namespace])).toEqual([
      ['server', null],
      ['server', WEB.id],
    ]);
  });

  it('the root command for another namespace needs no --no-persist: runtime is its default', () => {
    expect(rootApplyCommand(SERVER, false, WEB.id)).toBe(`sudo idlewatch apply server --netns ${WEB.id}`);
    expect(rootApplyCommand(SERVER, false)).toBe('sudo idlewatch apply server --no-persist');
  });
});

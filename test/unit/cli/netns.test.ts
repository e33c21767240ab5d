import { describe, expect, it } from 'vitest';
import { netnsRef, resolveNetns } from '../../../main/cli/netns';
import { UsageError } from '../../../main/cli/options';
import type { NetworkNamespace } from '../../../shared/model';
import type { AdapterCapabilities } from '../../../shared/platform-adapter';

const HOST: NetworkNamespace = { id: '4026531840', name: null, current: true, label: 'host', kind: 'host', pids: [1] };
const WEB: NetworkNamespace = { id: '4026532512', name: null, current: false, label: 'web-1', kind: 'docker', pids: [4242, 4250] };
const BLUE: NetworkNamespace = { id: '4026532700', name: 'blue', current: false, label: 'blue', kind: 'netns', pids: [] };
/** A namespace named with digits: its name is tried after ids and pids. */
const NUMBERED: NetworkNamespace = { id: '4026532800', name: '42', current: false, label: '42', kind: 'netns', pids: [] };

const capabilities: AdapterCapabilities = { perSocketOptions: true, timers: true, namespaces: true, namespacesReason: null, apply: true };
const adapter = (namespaces: NetworkNamespace[], caps: AdapterCapabilities = capabilities) => ({ capabilities: caps, listNamespaces: async () => namespaces });
const ALL = [HOST, WEB, BLUE, NUMBERED];

describe('--netns', () => {
  it('takes digits as a namespace id first', async () => {
    expect(await resolveNetns(adapter(ALL), '4026532512')).toBe(WEB);
  });

  it("then as a pid, whose namespace is the one /proc/PID/ns/net links to (this process's is the host's here)", async () => {
    const mine = { ...HOST, id: (await import('node:fs')).readlinkSync('/proc/self/ns/net').replace(/\D/g, ''), pids: [] };
    expect(await resolveNetns(adapter([mine, WEB]), String(process.pid))).toBe(mine);
  });

  it("then as a pid among a namespace's listed pids", async () => {
    expect(await resolveNetns(adapter(ALL), '4250')).toBe(WEB);
  });

  it('then as an ip netns name', async () => {
    expect(await resolveNetns(adapter(ALL), 'blue')).toBe(BLUE);
    expect(await resolveNetns(adapter(ALL), '42')).toBe(NUMBERED);
  });

  it('names what it tried when nothing matches', async () => {
    await expect(resolveNetns(adapter(ALL), '999999999')).rejects.toThrow(UsageError);
    await expect(resolveNetns(adapter(ALL), '999999999')).rejects.toThrow(
      /^--netns 999999999: no namespace has id 999999999, no process 999999999 is running \(or its namespace cannot be read\), no ip netns is named "999999999"; `idlewatch namespaces` lists them$/,
    );
    await expect(resolveNetns(adapter(ALL), 'green')).rejects.toThrow(/^--netns green: no ip netns is named "green"; /);
  });

  it('says why, when only the current namespace can be listed', async () => {
    const caps = { ...capabilities, namespaces: false, namespacesReason: 'reading other network namespaces needs root' };
    await expect(resolveNetns(adapter([HOST], caps), 'blue')).rejects.toThrow(/\(only the current namespace is listed: reading other network namespaces needs root\)/);
  });

  it("reads the current namespace as 'current', another by id, and no --netns as the current one", async () => {
    expect(await netnsRef(adapter(ALL), null)).toBe('current');
    expect(await netnsRef(adapter(ALL), HOST.id)).toBe('current');
    expect(await netnsRef(adapter(ALL), 'blue')).toBe(BLUE.id);
  });
});

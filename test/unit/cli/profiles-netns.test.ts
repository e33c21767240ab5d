/**
 * `idlewatch apply PROFILE --netns NS` over a stand-in API and namespace list: the preview of
 * that namespace, an apply at run time only, the container engine's lines instead of persisting,
 * and the refusal of an explicit --persist. The built CLI entering real namespaces is
 * test/integration/namespace-apply.test.ts.
 */
import { describe, expect, it, vi } from 'vitest';
import type { ApplyResult, Preview, ProfilesView } from '../../../shared/api/contract';
import type { NetworkNamespace } from '../../../shared/model';
import { PRESETS } from '../../../shared/profiles';
import { parseCommand, UsageError } from '../../../main/cli/options';
import { runApply, type Call, type NamespaceLookup } from '../../../main/cli/profiles';
import { formatHistory } from '../../../main/cli/profiles-text';
import { historyEntry } from '../../fixtures/profiles';
import { apply, fakeIo } from './cli-io';

const SERVER = PRESETS.find((p) => p.id === 'server')!;
const HOST: NetworkNamespace = { id: '4026531840', name: null, current: true, label: 'host', kind: 'host', pids: [1] };
const WEB: NetworkNamespace = { id: '4026532817', name: null, current: false, label: 'web-1', kind: 'docker', pids: [3999999] };
const BLUE: NetworkNamespace = { id: '4026532900', name: 'blue', current: false, label: 'blue', kind: 'netns', pids: [] };

const lookup: NamespaceLookup = {
  listNamespaces: async () => [HOST, WEB, BLUE],
  capabilities: { perSocketOptions: true, timers: true, namespaces: true, namespacesReason: null, apply: true },
};

const view = { presets: [...PRESETS], custom: [], inForce: null, afterBoot: null, drift: false, apply: { available: true, reason: null }, history: [] } as ProfilesView;
const preview: Preview = {
  profile: SERVER,
  changes: [
    { field: 'timeSec', key: 'net.ipv4.tcp_keepalive_time', from: 7200, to: 600 },
    { field: 'intervalSec', key: 'net.ipv4.tcp_keepalive_intvl', from: 75, to: 60 },
    { field: 'probes', key: 'net.ipv4.tcp_keepalive_probes', from: 9, to: 5 },
  ],
  rows: [],
  summary: { connections: 3, saved: 0, newlyAtRisk: 0, ownSettings: 0, armedTimer: 0, detectionNowMs: 7_875_000, detectionAfterMs: 900_000 },
  explanation: [],
};
const applied = historyEntry({
  persisted: false,
  namespace: WEB.id,
  message: 'Applied 600/60/5 (was 7200/75/9) in network namespace 4026532817 (web-1); runtime only, not persisted.',
});

function fakeCall(result: ApplyResult = { entry: applied, view }) {
  const calls: [string, unknown[]][] = [];
  const call = vi.fn(async (method: string, ...args: unknown[]) => {
    calls.push([method, args]);
    return method === 'previewProfile' ? preview : result;
  }) as unknown as Call;
  return { call, calls };
}



describe('idlewatch apply --netns', () => {
  it("previews that namespace, applies at run time only there, and prints the engine's lines instead of persisting", async () => {
    const { call, calls } = fakeCall();
    const io = fakeIo(false);
    expect(await runApply(apply({ netns: WEB.id }), call, io, lookup)).toBe(0);
    expect(calls).toEqual([
      ['previewProfile', ['server', { namespace: WEB.id }]],
      ['applyProfile', ['server', { persist: false, namespace: WEB.id }]],
    ]);
    expect(io.stdout).toContain('In network namespace 4026532817 (web-1): its settings and its connections.');
    expect(io.stdout).toContain('at run time only: network namespace 4026532817 (web-1) has no sysctl files of its own');
    expect(io.stdout).not.toContain('/etc/sysctl.d');
    expect(io.stdout).toContain('To keep 600/60/5 there, set it where the namespace is made:');
    expect(io.stdout).toContain('      docker run --sysctl net.ipv4.tcp_keepalive_time=600 --sysctl net.ipv4.tcp_keepalive_intvl=60 --sysctl net.ipv4.tcp_keepalive_probes=5 …');
    expect(io.stdout).toContain('      sysctls:\n        net.ipv4.tcp_keepalive_time: 600');
    expect(io.stdout).toMatch(/Applied 600\/60\/5 \(was 7200\/75\/9\) in network namespace 4026532817 \(web-1\); runtime only, not persisted\.\n$/);
    expect(io.stderr).toBe('');
  });

  it('finds the namespace by a pid in it or by its ip netns name too', async () => {
    for (const netns of ['3999999', 'blue']) {
      const { call, calls } = fakeCall();
      expect(await runApply(apply({ netns, dryRun: true }), call, fakeIo(false), lookup)).toBe(0);
      expect(calls[0]![1]).toEqual(['server', { namespace: netns === 'blue' ? BLUE.id : WEB.id }]);
    }
  });

  it('--dry-run shows the lines and changes nothing', async () => {
    const { call, calls } = fakeCall();
    const io = fakeIo(false);
    expect(await runApply(apply({ netns: BLUE.id, dryRun: true }), call, io, lookup)).toBe(0);
    expect(calls.map(([m]) => m)).toEqual(['previewProfile']);
    expect(io.stdout).toContain('      ip netns exec blue sysctl -w net.ipv4.tcp_keepalive_time=600 net.ipv4.tcp_keepalive_intvl=60 net.ipv4.tcp_keepalive_probes=5');
    expect(io.stdout).toMatch(/Dry run: nothing was changed\.\n$/);
  });

  it('asks in a terminal naming the namespace', async () => {
    const { call } = fakeCall();
    const io = fakeIo(true, 'n');
    expect(await runApply(apply({ netns: WEB.id }), call, io, lookup)).toBe(1);
    expect(io.asked).toEqual(['Apply server to network namespace 4026532817 (web-1), at run time only? [y/N] ']);
  });

  it('the namespace Idlewatch runs in, named, is applied as without --netns (persisted by default)', async () => {
    const { call, calls } = fakeCall({ entry: historyEntry(), view });
    const io = fakeIo(false);
    expect(await runApply(apply({ netns: HOST.id }), call, io, lookup)).toBe(0);
    expect(calls).toEqual([
      ['previewProfile', ['server']],
      ['applyProfile', ['server', { persist: true }]],
    ]);
    expect(io.stdout).not.toContain('docker run');
  });

  it('a namespace nobody lists is bad usage, before anything is asked of the core', async () => {
    const { call, calls } = fakeCall();
    await expect(runApply(apply({ netns: 'green' }), call, fakeIo(false), lookup)).rejects.toThrow(UsageError);
    expect(calls).toEqual([]);
  });

  it('an explicit --persist with --netns is bad usage; --no-persist is what --netns means anyway', () => {
    expect(() => parseCommand(['apply', 'server', '--persist', '--netns', WEB.id])).toThrow(/--persist cannot be used with --netns/);
    expect(parseCommand(['apply', 'server', '--no-persist', '--netns', WEB.id])).toMatchObject({ persist: false, netns: WEB.id });
    expect(parseCommand(['apply', 'server', '--netns', WEB.id])).toMatchObject({ netns: WEB.id });
  });
});

describe('idlewatch history with changes in other namespaces', () => {
  it('adds a NETNS column once any change was made elsewhere', () => {
    expect(formatHistory([historyEntry()])).not.toContain('NETNS');
    const text = formatHistory([applied, historyEntry()]);
    const [header, first, second] = text.split('\n');
    expect(header).toMatch(/^WHEN\s+USER\s+ACTION\s+NETNS\s+PROFILE/);
    expect(first).toMatch(/\sapply\s+4026532817\s+server\s/);
    expect(second).toMatch(/\sapply\s+this\s+server\s/);
  });
});

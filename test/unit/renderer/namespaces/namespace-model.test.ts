import { describe, expect, it } from 'vitest';
import type { NamespaceSummary, NamespacesView } from '../../../../shared/api/contract';
import type { LinuxSettings, NamespaceSettings, NetworkNamespace } from '../../../../shared/model';
import {
  allNamespacesText,
  currentOption,
  headHolds,
  isSelected,
  kernelLineScope,
  namespaceIndex,
  namespaceIndexKey,
  namespaceOption,
  profileTarget,
  selectorOptions,
} from '../../../../renderer/src/namespaces/namespace-model';
import { NAMESPACE, SETTINGS } from '../../../fixtures/connection';

const HOST = NAMESPACE;
const KERNEL_DEFAULTS: LinuxSettings = { os: 'linux', timeSec: 7200, intervalSec: 75, probes: 9, retries2: 15 };
const SHORT: LinuxSettings = { os: 'linux', timeSec: 300, intervalSec: 30, probes: 5, retries2: 15 };
const WEB: NetworkNamespace = { id: '4026532301', name: null, current: false, label: 'web-1', kind: 'docker', pids: [4242] };
const WORKER: NetworkNamespace = { id: '4026532402', name: null, current: false, label: 'api-7c9f (default)', kind: 'kubernetes', pids: [5151] };
const LAB: NetworkNamespace = { id: '4026532503', name: 'lab', current: false, label: 'lab', kind: 'netns', pids: [] };

function summary(namespace: NetworkNamespace, settings: LinuxSettings | null, over: Partial<NamespaceSummary> = {}): NamespaceSummary {
  return { namespace, settings, sockets: 3, idle: 2, atRisk: 0, differsFromHost: false, note: null, error: null, ...over };
}

const VIEW: NamespacesView = {
  available: true,
  reason: null,
  host: HOST.id,
  namespaces: [
    summary(HOST, SETTINGS, { sockets: 12, atRisk: 1 }),
    summary(WORKER, SHORT, { differsFromHost: true, note: "300/30/5 here, 600/60/5 on the host" }),
    summary(WEB, KERNEL_DEFAULTS, { sockets: 1, differsFromHost: true, note: "kernel defaults 7200/75/9 — the host's 600/60/5 does not reach it" }),
  ],
};

const entry = (namespace: NetworkNamespace, settings: LinuxSettings): NamespaceSettings => ({ namespace, settings });

describe('selectorOptions', () => {
  it('lists the host first, each namespace with its kind, values, counts and drift, then All namespaces', () => {
    const options = selectorOptions(VIEW);
    expect(options.map((o) => [o.value, o.label, o.kind])).toEqual([
      ['current', 'host', null],
      [WORKER.id, 'api-7c9f (default)', 'kubernetes'],
      [WEB.id, 'web-1', 'docker'],
      ['all', 'All namespaces', null],
    ]);
    expect(options[0]).toMatchObject({ values: '600/60/5', counts: '12 sockets · 1 at risk', drift: null });
    expect(options[2]).toMatchObject({ values: '7200/75/9', counts: '1 socket', drift: "kernel defaults 7200/75/9 — the host's 600/60/5 does not reach it" });
    expect(options[3]).toMatchObject({ counts: '16 sockets · 1 at risk', drift: "2 namespaces differ from the host's settings" });
  });

  it('offers only this namespace without root, and before the list has loaded', () => {
    const denied: NamespacesView = { available: false, reason: 'reading other network namespaces needs root', host: HOST.id, namespaces: [summary(HOST, SETTINGS)] };
    expect(selectorOptions(denied).map((o) => o.value)).toEqual(['current']);
    expect(selectorOptions(null).map((o) => [o.value, o.label])).toEqual([['current', 'host']]);
  });

  it('makes a hostile label printable and says why a namespace could not be read', () => {
    const odd = { ...WEB, label: 'evil\u202e\u001b[2J' };
    const view: NamespacesView = { ...VIEW, namespaces: [VIEW.namespaces[0]!, summary(odd, null, { error: 'it has gone' })] };
    const option = selectorOptions(view)[1]!;
    expect(option.label).not.toMatch(/[\u202e\u001b]/);
    expect(option).toMatchObject({ error: 'it has gone', counts: null, values: null });
  });

  it("uses the core's drift sentence, and words of its own only when the core gave none", () => {
    const view: NamespacesView = { ...VIEW, namespaces: [VIEW.namespaces[0]!, summary(WEB, KERNEL_DEFAULTS, { differsFromHost: true })] };
    expect(selectorOptions(view)[1]!.drift).toBe("kernel defaults 7200/75/9 — the host's 600/60/5 does not reach it");
  });
});

describe('which entry is selected', () => {
  const options = selectorOptions(VIEW);
  it("treats 'current' and the host's own id as the same", () => {
    expect(isSelected('current', HOST.id, HOST.id)).toBe(true);
    expect(isSelected(WEB.id, WEB.id, HOST.id)).toBe(true);
    expect(isSelected('all', WEB.id, HOST.id)).toBe(false);
  });

  it('names a selection the list does not hold yet from the snapshot, or by its id', () => {
    expect(currentOption(options, 'all', HOST.id, null).label).toBe('All namespaces');
    expect(currentOption([], WEB.id, null, { namespace: WEB })).toMatchObject({ label: 'web-1', kind: 'docker' });
    expect(currentOption([], '99', null, null).label).toBe('namespace 99');
  });
});

describe('headHolds (a switch under way)', () => {
  const single = (namespace: NetworkNamespace, settings = SETTINGS) => ({ namespace, namespaces: [entry(namespace, settings)] });
  const all = { namespace: HOST, namespaces: [entry(HOST, SETTINGS), entry(WEB, KERNEL_DEFAULTS)] };

  it('holds a namespace once the head is of it alone', () => {
    expect(headHolds(single(WEB), WEB.id, 3)).toBe(true);
    expect(headHolds(single(HOST), WEB.id, 3)).toBe(false);
    expect(headHolds(all, WEB.id, 3)).toBe(false);
    expect(headHolds(single(HOST), 'current', 3)).toBe(true);
    expect(headHolds(all, 'current', 3)).toBe(false);
  });

  it('holds all once the head has several namespaces, or when there is only one', () => {
    expect(headHolds(all, 'all', 3)).toBe(true);
    expect(headHolds(single(HOST), 'all', 3)).toBe(false);
    expect(headHolds(single(HOST), 'all', 1)).toBe(true);
    expect(headHolds(null, 'all', 1)).toBe(false);
  });
});

describe('namespaceIndex (the namespace column)', () => {
  const entries = [entry(WEB, KERNEL_DEFAULTS), entry(LAB, SETTINGS), entry(HOST, SETTINGS), entry(WORKER, SHORT)];

  it('labels each namespace, orders the host first then by label, and marks those not on the host settings', () => {
    const index = namespaceIndex(entries);
    expect(index.labels.get(WEB.id)).toBe('web-1');
    expect([...index.rank].sort((a, b) => a[1] - b[1]).map(([id]) => id)).toEqual([HOST.id, WORKER.id, LAB.id, WEB.id]);
    expect([...index.drift.keys()].sort()).toEqual([WORKER.id, WEB.id].sort());
    expect(index.drift.get(WEB.id)).toBe("kernel defaults 7200/75/9 — the host's 600/60/5 does not reach it");
    expect(index.hostSettings).toEqual(SETTINGS);
  });

  it("prefers the core's sentence where it has one", () => {
    expect(namespaceIndex(entries, new Map([[WORKER.id, 'from the core']])).drift.get(WORKER.id)).toBe('from the core');
  });

  it('changes its key only when a label, a kind or the settings change, not with every poll', () => {
    const key = namespaceIndexKey(entries);
    expect(namespaceIndexKey(entries.map((e) => ({ namespace: { ...e.namespace, pids: [1, 2] }, settings: { ...e.settings } })))).toBe(key);
    expect(namespaceIndexKey([entry({ ...WEB, label: 'web-2' }, KERNEL_DEFAULTS), ...entries.slice(1)])).not.toBe(key);
    expect(namespaceIndexKey([entry(WEB, SETTINGS), ...entries.slice(1)])).not.toBe(key);
  });
});

describe('kernelLineScope', () => {
  it('says nothing more for the host', () => {
    expect(kernelLineScope({ namespace: HOST, settings: SETTINGS, namespaces: [entry(HOST, SETTINGS)] }, new Map(), SETTINGS)).toEqual({
      kind: 'one',
      label: null,
      tag: null,
      drift: null,
    });
  });

  it("names another namespace and says how its settings differ from the host's", () => {
    const head = { namespace: WEB, settings: KERNEL_DEFAULTS, namespaces: [entry(WEB, KERNEL_DEFAULTS)] };
    expect(kernelLineScope(head, new Map(), SETTINGS)).toEqual({
      kind: 'one',
      label: 'web-1',
      tag: 'docker',
      drift: "kernel defaults 7200/75/9 — the host's 600/60/5 does not reach it",
    });
    // The host's settings not known yet: no claim either way.
    expect(kernelLineScope(head, new Map(), null)).toMatchObject({ drift: null });
  });

  it('counts the namespaces that differ in the all view', () => {
    const head = { namespace: HOST, settings: SETTINGS, namespaces: [entry(HOST, SETTINGS), entry(WEB, KERNEL_DEFAULTS), entry(LAB, SETTINGS)] };
    const scope = kernelLineScope(head, new Map(), SETTINGS);
    expect(scope).toEqual({ kind: 'all', namespaces: 3, differing: 1, hostSettings: SETTINGS });
    expect(allNamespacesText(scope as Extract<typeof scope, { kind: 'all' }>)).toBe("settings differ per namespace: 1 of 3 differs from the host's");
    expect(allNamespacesText({ kind: 'all', namespaces: 2, differing: 0, hostSettings: SETTINGS })).toBe("every one of the 2 namespaces has the host's settings");
  });
});

describe('profileTarget (the Profiles panel)', () => {
  it('works on the namespace the table shows, the host by default', () => {
    expect(profileTarget('current', null, VIEW)).toEqual({ kind: 'host' });
    expect(profileTarget(HOST.id, null, VIEW)).toEqual({ kind: 'host' });
    expect(profileTarget(WEB.id, null, VIEW)).toMatchObject({ kind: 'namespace', id: WEB.id, label: 'web-1', tag: 'docker' });
  });

  it('asks which one while the table shows all of them, then takes the one picked', () => {
    expect(profileTarget('all', null, VIEW)).toEqual({ kind: 'choose' });
    expect(profileTarget('all', WEB.id, VIEW)).toMatchObject({ kind: 'namespace', id: WEB.id });
    expect(profileTarget('all', 'current', VIEW)).toEqual({ kind: 'host' });
  });

  it('sends a namespace only for another one than the host', () => {
    expect(namespaceOption({ kind: 'host' })).toEqual({});
    expect(namespaceOption(profileTarget(WEB.id, null, VIEW))).toEqual({ namespace: WEB.id });
  });
});

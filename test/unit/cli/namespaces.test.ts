import { describe, expect, it } from 'vitest';
import { formatNamespacesTable, namespacesJson } from '../../../main/cli/namespaces';
import type { NamespacesView, NamespaceSummary } from '../../../shared/api/schemas';

const host: NamespaceSummary = {
  namespace: { id: '4026531840', name: null, current: true, label: 'host', kind: 'host', pids: [1, 2, 3, 4, 5] },
  settings: { os: 'linux', timeSec: 600, intervalSec: 60, probes: 5, retries2: 15 },
  sockets: 120,
  idle: 40,
  atRisk: 3,
  differsFromHost: false,
  note: null,
  error: null,
};
const web: NamespaceSummary = {
  namespace: { id: '4026532512', name: null, current: false, label: 'web-1', kind: 'docker', pids: [4242] },
  settings: { os: 'linux', timeSec: 7200, intervalSec: 75, probes: 9, retries2: 15 },
  sockets: 12,
  idle: 9,
  atRisk: 9,
  differsFromHost: true,
  note: "kernel defaults 7200/75/9 — the host's 600/60/5 does not reach it",
  error: null,
};
const blue: NamespaceSummary = {
  namespace: { id: '4026532700', name: 'blue', current: false, label: 'blue', kind: 'netns', pids: [] },
  settings: null,
  sockets: 0,
  idle: 0,
  atRisk: 0,
  differsFromHost: false,
  note: null,
  error: 'network namespace 4026532700 is gone',
};
const view: NamespacesView = { available: true, reason: null, host: host.namespace.id, namespaces: [host, web, blue] };

describe('idlewatch namespaces', () => {
  it('prints one row per namespace with its settings and counts, and marks drift with the sentence that explains it', () => {
    const lines = formatNamespacesTable(view).split('\n');
    expect(lines[0]).toMatch(/^\s+ID\s+KIND\s+LABEL\s+PIDS\s+KEEPALIVE\s+RETRIES2\s+SOCKETS\s+IDLE\s+AT RISK\s+NOTE$/);
    expect(lines[1]).toMatch(/^\s+4026531840\s+host\s+host\s+1,2,3,…\s+600\/60\/5\s+15\s+120\s+40\s+3\s+host \(Idlewatch runs here\)$/);
    expect(lines[2]).toMatch(/^\*\s+4026532512\s+docker\s+web-1\s+4242\s+7200\/75\/9\s+15\s+12\s+9\s+9\s+kernel defaults 7200\/75\/9 — the host's 600\/60\/5 does not reach it$/);
    expect(lines[3]).toMatch(/^!\s+4026532700\s+netns\s+blue\s+—\s+\?\s+\?\s+\?\s+\?\s+could not be read \(it may have just gone\): network namespace 4026532700 is gone$/);
    expect(lines).toContain("* 1 with keepalive settings other than the host's: a profile applied on the host does not reach them");
  });

  it('says why only the current namespace is listed', () => {
    const text = formatNamespacesTable({ available: false, reason: 'reading other network namespaces needs root', host: host.namespace.id, namespaces: [host] });
    expect(text).toContain('only the current namespace is listed: reading other network namespaces needs root');
  });

  it('escapes a hostile container name', () => {
    const text = formatNamespacesTable({ ...view, namespaces: [host, { ...web, namespace: { ...web.namespace, label: 'evil\x1b[2J\u202e' } }] });
    expect(text).not.toMatch(/[\x1b\u202e]/);
    expect(text).toContain('evil\\x1b[2J\\u202e');
  });

  it('prints one JSON object per namespace with the four settings', () => {
    expect(namespacesJson(view)).toEqual([
      {
        id: '4026531840',
        name: null,
        label: 'host',
        kind: 'host',
        current: true,
        pids: [1, 2, 3, 4, 5],
        settings: { timeSec: 600, intervalSec: 60, probes: 5, retries2: 15 },
        sockets: 120,
        idle: 40,
        atRisk: 3,
        differsFromHost: false,
        note: null,
        error: null,
      },
      expect.objectContaining({ id: '4026532512', kind: 'docker', settings: { timeSec: 7200, intervalSec: 75, probes: 9, retries2: 15 }, differsFromHost: true, note: web.note }),
      expect.objectContaining({ id: '4026532700', name: 'blue', settings: null, error: blue.error }),
    ]);
  });
});

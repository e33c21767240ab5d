/**
 * The lines that persist keepalive values in a container's namespace (shared/container-sysctls.ts):
 * exactly what an administrator pastes. A YAML parser is not a dependency, so the snippets are
 * checked textually and by a tiny reader of the one YAML subset they use (block maps, block
 * lists of maps, plain and double-quoted scalars, two-space indents): what it reads is what
 * Compose and Kubernetes read.
 */
import { describe, expect, it } from 'vitest';
import {
  composeSnippet,
  dockerRunLine,
  formatPersistWays,
  KUBERNETES_NOTE,
  kubernetesSnippet,
  persistHint,
  persistRefusal,
  persistWays,
  sysctlAssignments,
} from '../../../shared/container-sysctls';
import { NAMESPACE_KINDS } from '../../../shared/model';

const VALUES = { timeSec: 600, intervalSec: 60, probes: 5 };

type Yaml = string | Yaml[] | { [key: string]: Yaml };

/** Block maps and lists, `key: value`, `- key: value`; refuses tabs, odd indents and anything else. */
function readYaml(text: string): Yaml {
  const lines = text.split('\n').map((raw) => {
    expect(raw).not.toMatch(/\t|\s$/);
    const indent = raw.length - raw.trimStart().length;
    expect(indent % 2).toBe(0);
    return { indent, body: raw.trim() };
  });
  const scalar = (s: string): string => {
    if (/^"[^"\\]*"$/.test(s)) return s.slice(1, -1);
    expect(s).toMatch(/^[A-Za-z0-9_.\/-]+$/);
    return s;
  };
  let i = 0;
  function block(indent: number): Yaml {
    if (lines[i]!.body.startsWith('- ')) {
      const list: Yaml[] = [];
      while (i < lines.length && lines[i]!.indent === indent && lines[i]!.body.startsWith('- ')) {
        // "- key: value" opens a map whose further keys sit two columns in.
        lines[i] = { indent: indent + 2, body: lines[i]!.body.slice(2) };
        list.push(block(indent + 2));
      }
      return list;
    }
    const map: { [key: string]: Yaml } = {};
    while (i < lines.length && lines[i]!.indent === indent && !lines[i]!.body.startsWith('- ')) {
      const m = /^([A-Za-z0-9_.]+):(?: (.+))?$/.exec(lines[i]!.body);
      expect(m, lines[i]!.body).not.toBeNull();
      i += 1;
      map[m![1]!] = m![2] !== undefined ? scalar(m![2]) : block(lines[i]!.indent);
    }
    expect(lines[i]?.indent ?? 0).toBeLessThan(indent + 1);
    return map;
  }
  const value = block(0);
  expect(i).toBe(lines.length);
  return value;
}

describe('the lines that persist keepalive values in a container', () => {
  it('sysctl assignments in the kernel order', () => {
    expect(sysctlAssignments(VALUES)).toEqual(['net.ipv4.tcp_keepalive_time=600', 'net.ipv4.tcp_keepalive_intvl=60', 'net.ipv4.tcp_keepalive_probes=5']);
  });

  it('docker run takes one --sysctl per value', () => {
    expect(dockerRunLine(VALUES)).toBe(
      'docker run --sysctl net.ipv4.tcp_keepalive_time=600 --sysctl net.ipv4.tcp_keepalive_intvl=60 --sysctl net.ipv4.tcp_keepalive_probes=5 …',
    );
  });

  it("Compose: the service's sysctls map", () => {
    const text = composeSnippet(VALUES);
    expect(text).toBe('sysctls:\n  net.ipv4.tcp_keepalive_time: 600\n  net.ipv4.tcp_keepalive_intvl: 60\n  net.ipv4.tcp_keepalive_probes: 5');
    expect(readYaml(text)).toEqual({ sysctls: { 'net.ipv4.tcp_keepalive_time': '600', 'net.ipv4.tcp_keepalive_intvl': '60', 'net.ipv4.tcp_keepalive_probes': '5' } });
  });

  it("Kubernetes: the pod's securityContext.sysctls, values as strings", () => {
    const text = kubernetesSnippet({ timeSec: 300, intervalSec: 30, probes: 4 });
    expect(text.split('\n')).toEqual([
      'spec:',
      '  securityContext:',
      '    sysctls:',
      '      - name: net.ipv4.tcp_keepalive_time',
      '        value: "300"',
      '      - name: net.ipv4.tcp_keepalive_intvl',
      '        value: "30"',
      '      - name: net.ipv4.tcp_keepalive_probes',
      '        value: "4"',
    ]);
    expect(readYaml(text)).toEqual({
      spec: {
        securityContext: {
          sysctls: [
            { name: 'net.ipv4.tcp_keepalive_time', value: '300' },
            { name: 'net.ipv4.tcp_keepalive_intvl', value: '30' },
            { name: 'net.ipv4.tcp_keepalive_probes', value: '4' },
          ],
        },
      },
    });
  });

  it('the tiny reader refuses what is not that YAML', () => {
    expect(() => readYaml('sysctls:\n   net.ipv4.tcp_keepalive_time: 600')).toThrow();
    expect(() => readYaml('sysctls:\n\tnet.ipv4.tcp_keepalive_time: 600')).toThrow();
    expect(() => readYaml('sysctls: [600]')).toThrow();
  });

  it("says which Kubernetes releases take them as safe, and what older clusters need", () => {
    expect(KUBERNETES_NOTE).toContain("on Kubernetes' safe sysctl list since 1.29");
    expect(KUBERNETES_NOTE).toContain('kernel 4.5 or later');
    expect(KUBERNETES_NOTE).toContain("--allowed-unsafe-sysctls 'net.ipv4.tcp_keepalive_*'");
  });
});

describe('which ways fit which namespace', () => {
  it.each([
    ['host', []],
    ['docker', ['docker', 'compose']],
    ['kubernetes', ['kubernetes']],
    ['container', ['docker', 'compose', 'kubernetes']],
    ['netns', ['ip-netns']],
    ['process', ['process']],
  ] as const)('%s: %j', (kind, ways) => {
    expect(persistWays(VALUES, { kind, name: null }).map((w) => w.via)).toEqual(ways);
  });

  it('covers every kind of namespace', () => {
    for (const kind of NAMESPACE_KINDS) expect(() => persistWays(VALUES, { kind, name: null })).not.toThrow();
  });

  it('an ip netns namespace by its name, and a placeholder for a name that is not safe to print in a command', () => {
    expect(persistWays(VALUES, { kind: 'netns', name: 'blue' })[0]!.text).toBe(
      'ip netns exec blue sysctl -w net.ipv4.tcp_keepalive_time=600 net.ipv4.tcp_keepalive_intvl=60 net.ipv4.tcp_keepalive_probes=5',
    );
    expect(persistWays(VALUES, { kind: 'netns', name: 'a; rm -rf /' })[0]!.text).toMatch(/^ip netns exec NAME sysctl -w /);
  });

  it('one line for a message: the first way, the others named', () => {
    expect(persistHint(VALUES, { kind: 'docker', name: null })).toBe(
      'To keep them, set them where the namespace is made: docker run --sysctl net.ipv4.tcp_keepalive_time=600 --sysctl net.ipv4.tcp_keepalive_intvl=60 --sysctl net.ipv4.tcp_keepalive_probes=5 … (or Compose sysctls:).',
    );
    expect(persistHint(VALUES, { kind: 'kubernetes', name: null })).toBe("To keep them, set them where the namespace is made: a pod's securityContext.sysctls.");
    expect(persistHint(VALUES, { kind: 'host', name: null })).toBe('');
  });

  it('the refusal of persisting says why and what to do instead', () => {
    const text = persistRefusal(VALUES, { kind: 'docker', name: null, id: '4026532817', label: 'web-1' });
    expect(text).toMatch(/^network namespace 4026532817 \(web-1\) cannot be persisted by Idlewatch: it has no \/etc\/sysctl\.d of its own/);
    expect(text).toContain('Apply it at run time only');
    expect(text).toContain('docker run --sysctl net.ipv4.tcp_keepalive_time=600');
  });

  it('for a terminal: a title, the text indented, the note', () => {
    const lines = formatPersistWays(persistWays(VALUES, { kind: 'kubernetes', name: null }));
    expect(lines[0]).toBe("  Kubernetes: in the pod's spec:");
    expect(lines[1]).toBe('      spec:');
    expect(lines.at(-1)).toBe(`    ${KUBERNETES_NOTE}`);
  });
});

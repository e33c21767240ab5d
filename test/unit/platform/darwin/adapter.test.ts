import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { SocketFactsSchema } from '../../../../shared/model/schemas';
import { DarwinAdapter } from '../../../../main/platform/darwin/index';
import { HOST_NAMESPACE } from '../../../../main/platform/single-stack';
import { HELPER_PATH } from '../../../../main/platform/darwin/elevation';
import type { Runner } from '../../../../main/platform/darwin/commands';

const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/darwin/${name}`, import.meta.url), 'utf8');

const SYSCTL_600 = 'net.inet.tcp.keepidle: 600000\nnet.inet.tcp.keepintvl: 60000\nnet.inet.tcp.keepcnt: 5\nnet.inet.tcp.always_keepalive: 0\n';

function stubRunner(outputs: { netstat?: string; sysctl?: string[]; ps?: string; osascript?: () => void }) {
  const sysctl = [...(outputs.sysctl ?? [fixture('sysctl-keepalive.txt')])];
  return vi.fn<Runner>(async (file) => {
    if (file.endsWith('/netstat')) return { stdout: outputs.netstat ?? fixture('netstat-anv-current.txt'), stderr: '' };
    if (file.endsWith('/ps')) return { stdout: outputs.ps ?? fixture('ps-comm.txt'), stderr: '' };
    if (file.endsWith('/sysctl')) return { stdout: sysctl.length > 1 ? sysctl.shift()! : sysctl[0]!, stderr: '' };
    if (file.endsWith('/osascript')) {
      outputs.osascript?.();
      return { stdout: '', stderr: '' };
    }
    throw new Error(`unexpected ${file}`);
  });
}

describe('DarwinAdapter.listSockets', () => {
  it('reads netstat from its system path and gives valid, uniquely named facts in the host namespace', async () => {
    const runner = stubRunner({});
    const adapter = new DarwinAdapter({ env: {}, runner });
    const table = await adapter.listSockets();
    expect(runner).toHaveBeenCalledWith('/usr/sbin/netstat', ['-anv', '-p', 'tcp'], expect.anything());
    expect(table.namespace).toEqual(HOST_NAMESPACE);
    expect(table.clock).toEqual({ kind: 'none' });
    expect(table.diagnostics.malformedLines).toBe(2);
    for (const s of table.sockets) SocketFactsSchema.parse(s);
    const ids = table.sockets.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('host/192.168.1.23:52144-140.82.113.26:443');
    expect(ids).toContain('host/[2001:db8:1::23]:52200-[2606:4700::6810:84e5]:443');
    expect(table.sockets.every((s) => s.netns === 'host' && s.timer === 'unknown')).toBe(true);
  });

  it('completes cut names with one ps for new pids only', async () => {
    const runner = stubRunner({});
    const adapter = new DarwinAdapter({ env: {}, runner });
    const first = await adapter.listSockets();
    const psCalls = () => runner.mock.calls.filter(([file]) => file === '/bin/ps');
    expect(psCalls()).toEqual([['/bin/ps', ['-o', 'pid=,comm=', '-p', '812,1290'], expect.anything()]]);
    expect(first.sockets.find((s) => s.pid === 812)?.process).toBe('Google Chrome Helper');
    expect(first.sockets.find((s) => s.pid === 1290)?.process).toBe('Code Helper (Plugin)');
    await adapter.listSockets();
    expect(psCalls()).toHaveLength(1);
  });

  it('estimates idle from unchanged byte counters from the second poll on', async () => {
    const adapter = new DarwinAdapter({ env: {}, runner: stubRunner({}) });
    const first = await adapter.listSockets();
    expect(first.sockets[0]).toMatchObject({ idleMs: null, idleProvenance: null });
    await new Promise((r) => setTimeout(r, 20));
    const second = await adapter.listSockets();
    expect(second.sockets[0]!.idleProvenance).toBe('estimated');
    expect(second.sockets[0]!.idleMs).toBeGreaterThanOrEqual(15);
  });

  it('refuses other namespaces', async () => {
    const adapter = new DarwinAdapter({ env: {}, runner: stubRunner({}) });
    await expect(adapter.listSockets('4026531840')).rejects.toThrow(/one network stack/);
  });
});

describe('DarwinAdapter settings and apply', () => {
  it('reads the sysctls with a fixed argv', async () => {
    const runner = stubRunner({});
    const settings = await new DarwinAdapter({ env: {}, runner }).readSettings();
    expect(runner).toHaveBeenCalledWith('/usr/sbin/sysctl', ['net.inet.tcp.keepidle', 'net.inet.tcp.keepintvl', 'net.inet.tcp.keepcnt', 'net.inet.tcp.always_keepalive'], expect.anything());
    expect(settings).toEqual({ os: 'darwin', keepIdleMs: 7_200_000, keepIntervalMs: 75_000, keepCount: 8, alwaysKeepalive: false });
  });

  it('applies a 600 s profile as 600000 ms through osascript and verifies by reading back', async () => {
    const runner = stubRunner({ sysctl: [fixture('sysctl-keepalive.txt'), SYSCTL_600] });
    const adapter = new DarwinAdapter({ env: {}, runner, helperInstalled: () => true });
    const change = await adapter.applyKeepalive({ timeSec: 600, intervalSec: 60, probes: 5 }, { persist: false });
    expect(runner).toHaveBeenCalledWith(
      '/usr/bin/osascript',
      ['-e', `do shell script "'${HELPER_PATH}' apply 600000 60000 5" with administrator privileges`],
      expect.anything(),
    );
    expect(change).toMatchObject({ outcome: 'applied', before: { timeSec: 7200, intervalSec: 75, probes: 8 }, after: { timeSec: 600, intervalSec: 60, probes: 5 } });
  });

  it('calls a canceled administrator prompt a refusal', async () => {
    const runner = stubRunner({
      osascript: () => {
        throw Object.assign(new Error('failed'), { stderr: 'execution error: User canceled. (-128)' });
      },
    });
    const change = await new DarwinAdapter({ env: {}, runner, helperInstalled: () => true }).applyKeepalive({ timeSec: 600, intervalSec: 60, probes: 5 }, { persist: true });
    expect(change.outcome).toBe('refused');
  });

  it('applies nothing when emulated: IDLEWATCH_PLATFORM=darwin', async () => {
    const runner = stubRunner({});
    const adapter = new DarwinAdapter({ env: { IDLEWATCH_PLATFORM: 'darwin', PATH: '' }, runner, helperInstalled: () => true });
    expect(adapter.capabilities.apply).toBe(false);
    expect((await adapter.applyKeepalive({ timeSec: 600, intervalSec: 60, probes: 5 }, { persist: false })).outcome).toBe('refused');
    expect(runner).not.toHaveBeenCalled();
  });
});

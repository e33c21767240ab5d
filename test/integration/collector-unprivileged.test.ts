/**
 * What an administrator sees without root: every socket, but per-socket keepalive overrides of
 * other users' processes are invisible (pidfd_getfd needs PTRACE_MODE_ATTACH_REALCREDS), so the
 * projection must use the namespace's sysctls and say it assumed them. Runs the shipped CLI as
 * the unprivileged user `nobody` against sockets this (root) test process holds.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../shared/model';
import { assertThrowawayNamespace, openPair, setKeepaliveSysctls, sleep, type Pair } from './lab';

const cli = fileURLToPath(new URL('../../main/cli/idlewatch.mjs', import.meta.url));

function snapshotAs(user: 'root' | 'nobody'): Snapshot {
  const node = [process.execPath, cli, 'snapshot', '--json'];
  const argv = user === 'root' ? node : ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--', ...node];
  return JSON.parse(execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } }));
}

let pair: Pair;

beforeAll(async () => {
  assertThrowawayNamespace();
  setKeepaliveSysctls({ timeSec: 900, intervalSec: 60, probes: 5 });
  pair = await openPair();
  pair.client.setKeepAlive(true, 30_000); // TCP_KEEPIDLE=30 on this one socket only
  await sleep(50);
});
afterAll(() => pair.close());

describe('the collector without root', () => {
  it('root reads the socket’s own TCP_KEEPIDLE and projects with it', () => {
    const c = snapshotAs('root').connections.find((x) => x.localPort === pair.client.localPort)!;
    expect(c.effective).toMatchObject({ timeSec: 30, source: 'socket' });
    expect(c.pid).toBe(process.pid);
  });

  it('nobody sees the connection but not its owner or override, and projects with the namespace sysctls, saying so', () => {
    const snap = snapshotAs('nobody');
    const c = snap.connections.find((x) => x.localPort === pair.client.localPort)!;
    expect(c).toBeDefined();
    expect(c.pid).toBeNull();
    expect(c.socketKeepalive).toBeNull();
    expect(c.effective).toEqual({ timeSec: 900, intervalSec: 60, probes: 5, userTimeoutMs: 0, source: 'assumed' });
    // Without /proc/timer_list (root only) the clock phase is unknown: a window, not a moment.
    expect(c.precision).toBe('window');
    expect(snap.diagnostics.unattributedSockets).toBeGreaterThan(0);
  });
});

/**
 * Elevation for real through the app's own code path (issue 7, acceptance 4): the built
 * `idlewatch` CLI, run as `nobody`, applies a profile the way the app does — the core, the Linux
 * adapter, execFile('pkexec', [installed helper, …]) — with pkexec and polkitd on a private system
 * bus and the project's action file (test/integration/polkit-lab.ts). Authorized by the test
 * rule, the helper runs as root and records nobody's uid; without authorization (no agent: pkexec
 * exits 127) the CLI exits 1 with a clear message and the root command, and nothing changes. A
 * dismissed dialog (exit 126), which no agent here can produce, is proven with a pkexec stand-in
 * in test/unit/platform/linux/elevation.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertThrowawayPersistence, readSysctl, setKeepaliveSysctls, type KeepaliveSysctls } from './lab';
import { INSTALLED_HELPER, NOBODY_UID, withPolkit } from './polkit-lab';

const cli = fileURLToPath(new URL('../../main/cli/idlewatch.mjs', import.meta.url));
const DROP_IN = '/etc/sysctl.d/99-zz-idlewatch-keepalive.conf';
const HISTORY = '/var/lib/idlewatch/history';
const KERNEL_DEFAULT = { timeSec: 7200, intervalSec: 75, probes: 9 };
let found: KeepaliveSysctls;

const inForce = (): KeepaliveSysctls => ({
  timeSec: Number(readSysctl('net.ipv4.tcp_keepalive_time')),
  intervalSec: Number(readSysctl('net.ipv4.tcp_keepalive_intvl')),
  probes: Number(readSysctl('net.ipv4.tcp_keepalive_probes')),
});
/** What an apply could have touched: the values, the drop-in directory, the helper's state. */
const systemState = () => ({ values: inForce(), dropIns: readdirSync('/etc/sysctl.d'), state: readdirSync('/var/lib/idlewatch') });

function reset(): void {
  assertThrowawayPersistence();
  for (const dir of ['/etc/sysctl.d', '/var/lib/idlewatch']) for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
  setKeepaliveSysctls(KERNEL_DEFAULT);
}

beforeAll(() => {
  assertThrowawayPersistence();
  for (const built of ['../../out/cli/cli.mjs', '../../out/bin/idlewatch-keepalive']) {
    if (!existsSync(fileURLToPath(new URL(built, import.meta.url)))) throw new Error(`${built.slice(6)} is missing: run \`npm run build\` first (npm test does).`);
  }
  found = inForce();
});
beforeEach(reset);
afterAll(() => {
  reset();
  setKeepaliveSysctls(found);
});

describe('as nobody, authorized by the test rule', () => {
  it('`idlewatch apply web-server --yes` applies through pkexec; the helper runs as root and records nobody', async () => {
    await withPolkit({ authorize: true }, async (lab) => {
      const view = await lab.runAsNobody([process.execPath, cli, 'profiles', '--json']);
      expect(view.status, view.stderr).toBe(0);
      expect(JSON.parse(view.stdout).apply).toEqual({ available: true, reason: null });

      const run = await lab.runAsNobody([process.execPath, cli, 'apply', 'web-server', '--yes']);
      expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
      expect(run.stdout).toContain(`Applied 900/60/5 (was 7200/75/9); persisted in ${DROP_IN}.`);
      expect(inForce()).toEqual({ timeSec: 900, intervalSec: 60, probes: 5 });
      expect(readFileSync(DROP_IN, 'utf8')).toMatch(/^net\.ipv4\.tcp_keepalive_time *= *900$/m);
      // The helper's own record: uid 65534, as pkexec told it (PKEXEC_UID).
      expect(readFileSync(HISTORY, 'utf8').split('\t').slice(0, 4)).toEqual(['H', expect.stringMatching(/^\d+$/), String(NOBODY_UID), 'apply']);

      const history = await lab.runAsNobody([process.execPath, cli, 'history', '--json']);
      expect(JSON.parse(history.stdout)).toEqual([
        expect.objectContaining({ user: 'nobody', action: 'apply', profile: 'web-server', after: { timeSec: 900, intervalSec: 60, probes: 5 }, outcome: 'applied', persisted: true }),
      ]);

      const undo = await lab.runAsNobody([process.execPath, cli, 'undo']);
      expect(undo.status, `${undo.stdout}${undo.stderr}`).toBe(0);
      expect(inForce()).toEqual(KERNEL_DEFAULT);
      expect(existsSync(DROP_IN)).toBe(false);
    });
  });
});

describe('as nobody, not authorized (no rule, no agent)', () => {
  it('pkexec exits 127: `idlewatch apply` exits 1 with a clear message and the root command, and nothing changes', async () => {
    await withPolkit({ authorize: false }, async (lab) => {
      const before = systemState();
      const run = await lab.runAsNobody([process.execPath, cli, 'apply', 'web-server', '--yes']);
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/^idlewatch: refused: Not authorized to change keepalive settings: no polkit authentication agent answered, or this user is not allowed/);
      expect(run.stderr).toMatch(/Nothing was changed\. To do it as root: sudo idlewatch apply web-server\n$/);
      expect(systemState()).toEqual(before);

      const undo = await lab.runAsNobody([process.execPath, cli, 'undo']);
      expect(undo.status).toBe(1);
      expect(undo.stderr).toMatch(/Not authorized.*To do it as root: sudo idlewatch undo\n$/);
      expect(systemState()).toEqual(before);
    });
  });
});

describe('as nobody, with the helper not installed', () => {
  it('says applying is unavailable and why; an apply is refused with the root command, nothing changed', () => {
    expect(existsSync(INSTALLED_HELPER)).toBe(false);
    const asNobody = (...args: string[]) =>
      spawnSync('setpriv', [`--reuid=${NOBODY_UID}`, `--regid=${NOBODY_UID}`, '--clear-groups', '--', process.execPath, cli, ...args], {
        encoding: 'utf8',
        timeout: 30_000,
        env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent', LANG: 'C.UTF-8' },
      });
    const view = asNobody('profiles', '--json');
    expect(view.status, view.stderr).toBe(0);
    expect(JSON.parse(view.stdout).apply).toEqual({ available: false, reason: expect.stringContaining(`not installed at ${INSTALLED_HELPER}`) });
    const before = systemState();
    const run = asNobody('apply', 'server', '--no-persist');
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^idlewatch: refused: The elevated helper is not installed at ${INSTALLED_HELPER}.*Nothing was changed\\. To do it as root: sudo idlewatch apply server --no-persist\\n$`));
    expect(systemState()).toEqual(before);
  });
});

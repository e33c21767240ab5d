import { chmodSync, chownSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { BUILT_HELPER, DROPIN, DROPIN_DIR, HISTORY, parseHelperOutput, parseHistory, readKeepalive, STATE_DIR, systemState } from '../native/keepalive';
import { assertThrowawayPersistence, setKeepaliveSysctls } from './lab';
import { ACTION_ID, INSTALLED_HELPER, NOBODY_UID, withPolkit } from './polkit-lab';

/**
 * Elevation for real (acceptance 4, the helper's part): pkexec and polkitd on a private system
 * bus inside a mount namespace, the project's own action file from build/polkit/, the helper
 * at its installed path. A user authorized by a test rule applies through pkexec and the helper
 * runs as root, recording the user's uid; without a rule (and with no agent to ask) pkexec
 * exits 127 and nothing changes.
 */

const KERNEL_DEFAULT = { timeSec: 7200, intervalSec: 75, probes: 9 };

function reset(): void {
  assertThrowawayPersistence();
  for (const d of [DROPIN_DIR, STATE_DIR]) {
    for (const name of readdirSync(d)) rmSync(join(d, name), { recursive: true, force: true });
    chmodSync(d, 0o755);
    chownSync(d, 0, 0);
  }
  setKeepaliveSysctls(KERNEL_DEFAULT);
}

beforeEach(reset);
afterAll(reset);

const history = () => (existsSync(HISTORY) ? parseHistory(readFileSync(HISTORY, 'utf8')) : []);

describe('with a rule that authorizes nobody', () => {
  it('nobody applies through pkexec; the helper runs as root and records uid 65534', async () => {
    await withPolkit({ authorize: true }, async (lab) => {
      const who = await lab.runAsNobody(['id', '-u']);
      expect(who.stdout.trim()).toBe(String(NOBODY_UID));

      const r = await lab.runAsNobody(['pkexec', INSTALLED_HELPER, 'apply', '900', '60', '5', 'persist']);
      expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
      const out = parseHelperOutput(r.stdout);
      expect(out.last).toBe('OK');
      expect(out.after).toEqual({ timeSec: 900, intervalSec: 60, probes: 5 });
      expect(readKeepalive()).toEqual({ timeSec: 900, intervalSec: 60, probes: 5 });
      expect(readFileSync(DROPIN, 'utf8')).toContain('net.ipv4.tcp_keepalive_time = 900\n');
      expect(history()).toEqual([expect.objectContaining({ uid: NOBODY_UID, action: 'apply', after: { timeSec: 900, intervalSec: 60, probes: 5 }, outcome: 'applied' })]);

      const undo = await lab.runAsNobody(['pkexec', INSTALLED_HELPER, 'undo']);
      expect(undo.status, `${undo.stdout}${undo.stderr}`).toBe(0);
      expect(readKeepalive()).toEqual(KERNEL_DEFAULT);
      expect(readdirSync(DROPIN_DIR)).toEqual([]);
      expect(history().map((h) => [h.uid, h.action, h.outcome])).toEqual([
        [NOBODY_UID, 'apply', 'applied'],
        [NOBODY_UID, 'undo', 'applied'],
      ]);
    });
  });

  it('a Node process running as nobody elevates with execFile("pkexec", …), as the app does', async () => {
    await withPolkit({ authorize: true }, async (lab) => {
      const script = `require('child_process').execFile('pkexec', process.argv.slice(1), (error, stdout) => {
        process.stdout.write(stdout);
        process.exitCode = error ? (error.code ?? 1) : 0;
      });`;
      const r = await lab.runAsNobody([process.execPath, '-e', script, INSTALLED_HELPER, 'apply', '180', '30', '5', 'runtime']);
      expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
      expect(parseHelperOutput(r.stdout).after).toEqual({ timeSec: 180, intervalSec: 30, probes: 5 });
      expect(history().map((h) => [h.uid, h.persisted])).toEqual([[NOBODY_UID, false]]);
    });
  });

  it('polkitd reads the project action file as written: exact exec.path and the defaults', async () => {
    await withPolkit({ authorize: true }, async (lab) => {
      const r = await lab.runAsNobody(['pkaction', '--action-id', ACTION_ID, '--verbose']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`org.freedesktop.policykit.exec.path -> ${INSTALLED_HELPER}`);
      expect(r.stdout).toMatch(/implicit any:\s+auth_admin\n/);
      expect(r.stdout).toMatch(/implicit inactive:\s+auth_admin\n/);
      expect(r.stdout).toMatch(/implicit active:\s+auth_admin_keep\n/);
      expect(r.stdout).toMatch(/message:\s+Authentication is required to change the TCP keepalive settings/);
    });
  });

  it('the rule covers the helper at its installed path only, never a shell or another copy', async () => {
    await withPolkit({ authorize: true }, async (lab) => {
      const state = systemState();
      // Another path to the same binary: polkit's generic exec action, which needs an administrator.
      const copy = await lab.runAsNobody(['pkexec', BUILT_HELPER, 'apply', '900', '60', '5', 'persist']);
      expect(copy.status).toBe(127);
      // Through a shell, as sudo-prompt does it: polkit sees /bin/sh.
      const shell = await lab.runAsNobody(['pkexec', '/bin/sh', '-c', `${INSTALLED_HELPER} apply 900 60 5 persist`]);
      expect(shell.status).toBe(127);
      expect(systemState()).toEqual(state);
    });
  });

  it('the helper still refuses bad arguments when pkexec lets the user through', async () => {
    await withPolkit({ authorize: true }, async (lab) => {
      const state = systemState();
      const r = await lab.runAsNobody(['pkexec', INSTALLED_HELPER, 'apply', '600;reboot', '60', '5', 'persist']);
      expect(r.status).toBe(2);
      expect(parseHelperOutput(r.stdout).errors[0]).toMatch(/^usage: TIME must be/);
      expect(systemState()).toEqual(state);
    });
  });
});

describe('without a rule (no authentication agent either)', () => {
  it('pkexec exits 127, says why, and nothing changes', async () => {
    await withPolkit({ authorize: false }, async (lab) => {
      const state = systemState();
      const r = await lab.runAsNobody(['pkexec', INSTALLED_HELPER, 'apply', '900', '60', '5', 'persist']);
      expect(r.status).toBe(127);
      expect(r.stdout).toBe(''); // the helper never ran
      expect(r.stderr).toMatch(/Not authorized|authentication agent/i);
      expect(systemState()).toEqual(state);
      expect(readKeepalive()).toEqual(KERNEL_DEFAULT);

      // The lab is sound: root needs no authorization.
      const root = await lab.runAsRoot(['pkexec', INSTALLED_HELPER, 'apply', '900', '60', '5', 'runtime']);
      expect(root.status, `${root.stdout}${root.stderr}`).toBe(0);
      expect(history().map((h) => h.uid)).toEqual([0]);
    });
  });
});

/**
 * Profiles through the core, as the app runs them: createIdlewatchService with the real
 * LinuxAdapter, which runs the build's idlewatch-keepalive directly (the test runs as root), on
 * the real kernel of this throwaway network namespace, with tmpfs over /etc/sysctl.d and
 * /var/lib/idlewatch in a private mount namespace (test/run-all.mjs). Issue 7, acceptance 1.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotDelta } from '../../shared/api/contract';
import { PRESETS } from '../../shared/profiles';
import { createIdlewatchService, type IdlewatchService } from '../../main/core/service';
import { LinuxAdapter } from '../../main/platform/linux/index';
import { assertThrowawayPersistence, openPair, readSysctl, setKeepaliveSysctls, type KeepaliveSysctls } from './lab';

const DROP_IN = '/etc/sysctl.d/99-zz-idlewatch-keepalive.conf';
const OTHER = '/etc/sysctl.d/zzz-other.conf';
const KERNEL_DEFAULT = { timeSec: 7200, intervalSec: 75, probes: 9 };

let service: IdlewatchService;
let found: KeepaliveSysctls;

const inForce = (): KeepaliveSysctls => ({
  timeSec: Number(readSysctl('net.ipv4.tcp_keepalive_time')),
  intervalSec: Number(readSysctl('net.ipv4.tcp_keepalive_intvl')),
  probes: Number(readSysctl('net.ipv4.tcp_keepalive_probes')),
});

/** Empties this test's own tmpfs mounts (assertThrowawayPersistence proved they are). */
function clearPersistence(): void {
  for (const dir of ['/etc/sysctl.d', '/var/lib/idlewatch']) for (const name of readdirSync(dir)) rmSync(join(dir, name), { force: true });
}

beforeAll(async () => {
  assertThrowawayPersistence();
  if (!existsSync(new URL('../../out/bin/idlewatch-keepalive', import.meta.url))) {
    throw new Error('out/bin/idlewatch-keepalive is missing: run `npm run build` first (npm test does).');
  }
  found = inForce();
  clearPersistence();
  setKeepaliveSysctls(KERNEL_DEFAULT);
  service = await createIdlewatchService(new LinuxAdapter(), { load: async () => ({ pollIntervalMs: 60_000, rules: [], profiles: [] }), save: async () => undefined });
});
afterAll(async () => {
  await service?.close();
  clearPersistence();
  setKeepaliveSysctls(found);
});
afterEach(() => rmSync(OTHER, { force: true }));

describe('applying profiles through the core, as root', () => {
  it('says it can apply here', async () => {
    expect((await service.api.getProfiles()).apply).toEqual({ available: true, reason: null });
  });

  it.each(PRESETS.map((p) => [p.id, p] as const))('%s applies: /proc/sys shows it, the drop-in holds it, the history records it, the banner follows', async (id, preset) => {
    const values = { timeSec: preset.timeSec, intervalSec: preset.intervalSec, probes: preset.probes };
    const before = inForce();
    const { entry, view } = await service.api.applyProfile(id, { persist: true });
    expect(entry).toMatchObject({ action: 'apply', profile: id, outcome: 'applied', persisted: true, user: 'root', before, after: values });
    expect(entry.message).toContain(`persisted in ${DROP_IN}`);
    expect(inForce()).toEqual(values);
    const dropIn = readFileSync(DROP_IN, 'utf8');
    expect(dropIn).toMatch(new RegExp(`^net\\.ipv4\\.tcp_keepalive_time *= *${preset.timeSec}$`, 'm'));
    expect(dropIn).toMatch(new RegExp(`^net\\.ipv4\\.tcp_keepalive_intvl *= *${preset.intervalSec}$`, 'm'));
    expect(dropIn).toMatch(new RegExp(`^net\\.ipv4\\.tcp_keepalive_probes *= *${preset.probes}$`, 'm'));
    expect(view.inForce).toEqual(values);
    expect(view.afterBoot).toMatchObject({ ...values, dropIn: DROP_IN, overriddenBy: [] });
    expect(view.drift).toBe(false);
    expect(view.history[0]).toMatchObject({ action: 'apply', profile: id, outcome: 'applied', before, after: values, persisted: true, user: 'root' });
    // Polled at once after the apply: the settings banner already shows the new values.
    expect((await service.api.getSnapshot()).settings).toMatchObject(values);
  });

  it('a keepalive socket opened afterwards gets the new timer', async () => {
    await service.api.applyProfile('cloud-nat', { persist: false });
    await service.api.setPollInterval(500);
    const p = await openPair();
    try {
      p.client.setKeepAlive(true);
      const setAt = Date.now();
      const seen = await new Promise<SnapshotDelta>((resolve, reject) => {
        const timer = setTimeout(() => (off(), reject(new Error('the connection never showed up'))), 10_000);
        const off = service.subscribe('delta', (d) => {
          if (!d.upserts.some((c) => c.localPort === p.client.localPort && c.timer === 'keepalive')) return;
          clearTimeout(timer);
          off();
          resolve(d);
        });
      });
      const c = seen.upserts.find((x) => x.localPort === p.client.localPort)!;
      // 180 s after setsockopt(SO_KEEPALIVE), rounded up by the timer wheel (under 1/8 at that range).
      const fromSet = c.timerExpiresAt! - setAt;
      expect(fromSet).toBeGreaterThan(179_000);
      expect(fromSet).toBeLessThan(180_000 * 1.13);
    } finally {
      p.close();
      await service.api.setPollInterval(60_000);
    }
  });

  it('undo restores what was in force before the last apply', async () => {
    await service.api.applyProfile('server', { persist: true });
    const server = readFileSync(DROP_IN, 'utf8');
    await service.api.applyProfile('fast-detect', { persist: true });
    const { entry, view } = await service.api.undoLastApply();
    expect(entry).toMatchObject({ action: 'undo', outcome: 'applied', after: { timeSec: 600, intervalSec: 60, probes: 5 }, persisted: true });
    expect(inForce()).toEqual({ timeSec: 600, intervalSec: 60, probes: 5 });
    expect(readFileSync(DROP_IN, 'utf8')).toBe(server);
    expect(view.history[0]).toMatchObject({ action: 'undo', outcome: 'applied' });
    // Undo once more: the last apply is already undone, nothing changes.
    const again = await service.api.undoLastApply();
    expect(again.entry).toMatchObject({ action: 'undo', outcome: 'rolled-back', message: expect.stringMatching(/nothing to undo.*Nothing was changed/) });
    expect(inForce()).toEqual({ timeSec: 600, intervalSec: 60, probes: 5 });
    expect((await service.api.getProfiles()).history[0]).toMatchObject({ action: 'undo', outcome: 'rolled-back' });
  });

  it('a runtime-only apply leaves the drop-in as it was; the drift is flagged', async () => {
    await service.api.applyProfile('server', { persist: true });
    const { entry, view } = await service.api.applyProfile('900/60/5', { persist: false });
    expect(entry).toMatchObject({ outcome: 'applied', persisted: false, profile: '900/60/5', message: expect.stringContaining('runtime only') });
    expect(readFileSync(DROP_IN, 'utf8')).toMatch(/tcp_keepalive_time *= *600$/m);
    expect(view.afterBoot).toMatchObject({ timeSec: 600 });
    expect(view.drift).toBe(true);
  });

  it('a drop-in that sorts after ours and sets a keepalive key is reported by path, and the drift flagged', async () => {
    expect(['zzz-other.conf', '99-zz-idlewatch-keepalive.conf'].sort()[1]).toBe('zzz-other.conf');
    writeFileSync(OTHER, 'net.ipv4.tcp_keepalive_time = 300\n');
    const { entry, view } = await service.api.applyProfile('server', { persist: true });
    expect(entry.outcome).toBe('applied');
    expect(entry.message).toContain(`Persisted, but ${OTHER} sets net.ipv4.tcp_keepalive_time = 300 later and will win at boot.`);
    expect(view.afterBoot?.overriddenBy).toEqual([{ path: OTHER, key: 'net.ipv4.tcp_keepalive_time', value: 300 }]);
    expect(view.afterBoot?.timeSec).toBe(300);
    expect(view.drift).toBe(true);
    expect((await service.api.getProfiles()).afterBoot?.overriddenBy.map((o) => o.path)).toEqual([OTHER]);
  });

  it('a failure injected mid-apply (a read-only tcp_keepalive_probes) rolls back: previous values, previous drop-in, said so', async () => {
    await service.api.applyProfile('server', { persist: true });
    const dropIn = readFileSync(DROP_IN, 'utf8');
    const probes = '/proc/sys/net/ipv4/tcp_keepalive_probes';
    execFileSync('mount', ['--bind', probes, probes]);
    try {
      execFileSync('mount', ['-o', 'remount,bind,ro', probes]);
      const { entry, view } = await service.api.applyProfile('fast-detect', { persist: true });
      expect(entry).toMatchObject({ outcome: 'rolled-back', persisted: false, message: expect.stringMatching(/^Apply failed: rolled back to 600\/60\/5: .*Nothing was changed\.$/) });
      expect(inForce()).toEqual({ timeSec: 600, intervalSec: 60, probes: 5 });
      expect(readFileSync(DROP_IN, 'utf8')).toBe(dropIn);
      expect(view.history[0]).toMatchObject({ action: 'apply', outcome: 'rolled-back' });
      // Recorded by the helper and remembered by the session: shown once.
      expect(view.history.filter((e) => e.action === 'apply' && e.outcome === 'rolled-back')).toHaveLength(1);
    } finally {
      execFileSync('umount', [probes]);
    }
  });

  it('refuses a value out of range naming the field and its range, and changes nothing', async () => {
    const before = inForce();
    const dropIn = readFileSync(DROP_IN, 'utf8');
    await expect(service.api.applyProfile('0/60/5', { persist: true })).rejects.toMatchObject({ code: 'bad-request', message: expect.stringMatching(/time must be from 1–32767 s, got 0/) });
    await expect(service.api.previewProfile('600/60/300')).rejects.toMatchObject({ code: 'bad-request', message: expect.stringMatching(/probes must be from 1–255/) });
    expect(inForce()).toEqual(before);
    expect(readFileSync(DROP_IN, 'utf8')).toBe(dropIn);
  });
});

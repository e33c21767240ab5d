/**
 * The core's profiles flow — view, preview, apply, undo, history — against a fake machine behind
 * the adapter interface. The real helper, pkexec and the kernel are in test/integration/profiles-*.
 */
import { describe, expect, it, vi } from 'vitest';
import type { ProfilesView } from '../../../shared/api/contract';
import type { BootSettings } from '../../../shared/api/schemas';
import { METHODS } from '../../../shared/api/contract';
import type { LinuxSettings, SocketFacts } from '../../../shared/model';
import type { ApplyOptions, KeepaliveChange, KeepaliveRecord } from '../../../shared/platform-adapter';
import type { KeepaliveValues } from '../../../shared/profiles';
import { browserPolicy } from '../../../main/core/dispatcher';
import { createIdlewatchService, type Preferences } from '../../../main/core/service';
import { overrideWarning, valuesAfterBoot } from '../../../main/core/profiles';
import { emptyTable, fakeAdapter } from '../../fixtures/adapter';
import { connection } from '../../fixtures/connection';

const DROP_IN = '/etc/sysctl.d/99-zz-idlewatch-keepalive.conf';
const NO_FILES: BootSettings = { timeSec: null, intervalSec: null, probes: null, dropIn: null, overriddenBy: [] };

/** A machine with three sysctls, a boot configuration and the helper's history, behind the adapter interface. */
function fakeMachine(start: KeepaliveValues = { timeSec: 7200, intervalSec: 75, probes: 9 }) {
  const m = {
    values: { ...start },
    boot: { ...NO_FILES } as BootSettings,
    history: [] as KeepaliveRecord[],
    last: null as KeepaliveValues | null,
    /** What the next elevation does instead of applying. */
    refuse: null as string | null,
    recovered: null as KeepaliveChange | null,
  };
  const settings = (): LinuxSettings => ({ os: 'linux', ...m.values, retries2: 15 });
  const record = (action: 'apply' | 'undo', before: KeepaliveValues, after: KeepaliveValues, persisted: boolean, message: string): KeepaliveChange => {
    const r: KeepaliveRecord = { at: Date.now(), user: 'alice', action, before, after, persisted, outcome: 'applied', message, namespace: null };
    m.history.push(r);
    return { ...r, dropIn: persisted ? DROP_IN : null };
  };
  const applyKeepalive = vi.fn(async (values: KeepaliveValues, options: ApplyOptions): Promise<KeepaliveChange> => {
    if (m.refuse) {
      return {
        at: Date.now(), user: 'alice', action: 'apply', before: null, after: null, persisted: false, outcome: 'refused',
        message: `${m.refuse} Nothing was changed. To do it as root: ${options.rootCommand}`, dropIn: null, namespace: null,
      };
    }
    const before = { ...m.values };
    m.last = before;
    m.values = { ...values };
    if (options.persist) m.boot = { ...m.boot, ...values, dropIn: DROP_IN };
    return record('apply', before, values, options.persist, `Applied.`);
  });
  const undoKeepalive = vi.fn(async (): Promise<KeepaliveChange> => {
    const before = { ...m.values };
    m.values = { ...(m.last ?? m.values) };
    return record('undo', before, m.values, false, 'Restored.');
  });
  const adapter = fakeAdapter({
    readSettings: async () => settings(),
    listSockets: async () => ({ ...emptyTable(), sockets: [connection({ effective: undefined as never }) as unknown as SocketFacts] }),
    applyAvailability: () => ({ available: true, reason: null }),
    applyKeepalive,
    undoKeepalive,
    recoverInterruptedApply: async () => m.recovered,
    readBootSettings: async () => m.boot,
    readHistory: async () => [...m.history],
  });
  return { m, adapter, applyKeepalive, undoKeepalive };
}

const store = (initial: Partial<Preferences> = { pollIntervalMs: 60_000, rules: [], profiles: [] }) => ({
  load: async () => initial,
  save: vi.fn(async () => undefined),
});

async function serviceOn(machine: ReturnType<typeof fakeMachine>, options: Parameters<typeof createIdlewatchService>[2] = {}) {
  const service = await createIdlewatchService(machine.adapter, store(), options);
  const events: ProfilesView[] = [];
  service.subscribe('profiles', (view) => events.push(view));
  return { service, api: service.api, events };
}

describe('the profiles view', () => {
  it('shows presets, the values in force, what the next boot sets and flags when they differ', async () => {
    const machine = fakeMachine({ timeSec: 600, intervalSec: 60, probes: 5 });
    const { service, api } = await serviceOn(machine);
    const view = await api.getProfiles();
    expect(METHODS.getProfiles.result.safeParse(view).success).toBe(true);
    expect(view.presets.map((p) => p.id)).toEqual(['kernel-default', 'server', 'web-server', 'cloud-nat', 'fast-detect']);
    expect(view.inForce).toEqual({ timeSec: 600, intervalSec: 60, probes: 5 });
    // No file sets them: the next boot has the kernel's defaults, not what is in force now.
    expect(view.afterBoot).toEqual(NO_FILES);
    expect(view.drift).toBe(true);
    machine.m.boot = { ...NO_FILES, timeSec: 600, intervalSec: 60, probes: 5, dropIn: DROP_IN };
    expect((await api.getProfiles()).drift).toBe(false);
    await service.close();
  });

  it('a value no boot file sets counts as the kernel default', () => {
    expect(valuesAfterBoot({ ...NO_FILES, timeSec: 600 })).toEqual({ timeSec: 600, intervalSec: 75, probes: 9 });
  });

  it('says applying is available where the transport and the machine allow it', async () => {
    const { service, api } = await serviceOn(fakeMachine());
    expect((await api.getProfiles()).apply).toEqual({ available: true, reason: null });
    await service.close();
  });

  it('in browser mode without --allow-apply, says why applying is off, whatever the machine could do', async () => {
    const { service, api } = await serviceOn(fakeMachine(), { policy: browserPolicy({ allowApply: false }) });
    const { apply } = await api.getProfiles();
    expect(apply.available).toBe(false);
    expect(apply.reason).toMatch(/browser mode.*--allow-apply/);
    await service.close();
  });

  it('in browser mode with --allow-apply, the machine decides', async () => {
    const machine = fakeMachine();
    machine.adapter.applyAvailability = () => ({ available: false, reason: 'pkexec is not installed. As root: sudo idlewatch apply PROFILE' });
    const { service, api } = await serviceOn(machine, { policy: browserPolicy({ allowApply: true }) });
    expect((await api.getProfiles()).apply).toEqual({ available: false, reason: expect.stringContaining('pkexec is not installed') });
    await service.close();
  });
});

describe('preview', () => {
  it('refuses a value out of the kernel range as bad-request naming the field and its range, and changes nothing', async () => {
    const machine = fakeMachine();
    const { service, api } = await serviceOn(machine);
    await expect(api.previewProfile('0/60/5')).rejects.toMatchObject({ code: 'bad-request', message: expect.stringMatching(/time must be from 1–32767 s, got 0/) });
    await expect(api.applyProfile('600/60/256', { persist: true })).rejects.toMatchObject({ code: 'bad-request', message: expect.stringMatching(/probes must be from 1–255, got 256/) });
    await expect(api.applyProfile('600/0/5', { persist: true })).rejects.toMatchObject({ message: expect.stringMatching(/interval must be from 1–32767 s/) });
    await expect(api.applyProfile('turbo', { persist: true })).rejects.toMatchObject({ code: 'bad-request', message: expect.stringMatching(/unknown profile "turbo".*server/) });
    expect(machine.applyKeepalive).not.toHaveBeenCalled();
    expect(machine.m.values).toEqual({ timeSec: 7200, intervalSec: 75, probes: 9 });
    await service.close();
  });

  it('runs the what-if over the live connections: the diff of each setting and one row per connection', async () => {
    const { service, api } = await serviceOn(fakeMachine());
    const preview = await api.previewProfile('server');
    expect(METHODS.previewProfile.result.safeParse(preview).success).toBe(true);
    expect(preview.profile.id).toBe('server');
    expect(preview.changes).toEqual([
      { field: 'timeSec', key: 'net.ipv4.tcp_keepalive_time', from: 7200, to: 600 },
      { field: 'intervalSec', key: 'net.ipv4.tcp_keepalive_intvl', from: 75, to: 60 },
      { field: 'probes', key: 'net.ipv4.tcp_keepalive_probes', from: 9, to: 5 },
    ]);
    expect(preview.rows).toHaveLength(1);
    expect(preview.summary.connections).toBe(1);
    expect(preview.summary.detectionAfterMs).toBe(900_000);
    await service.close();
  });
});

describe('apply and undo', () => {
  it('applies through the adapter, polls at once so the banner shows the new values, pushes the view and returns the entry', async () => {
    const machine = fakeMachine();
    const { service, api, events } = await serviceOn(machine);
    await api.getSnapshot();
    const { entry, view } = await api.applyProfile('server', { persist: true });
    expect(machine.applyKeepalive).toHaveBeenCalledExactlyOnceWith(
      { timeSec: 600, intervalSec: 60, probes: 5 },
      { persist: true, rootCommand: 'sudo idlewatch apply server' },
    );
    expect(entry).toMatchObject({ action: 'apply', profile: 'server', outcome: 'applied', persisted: true, after: { timeSec: 600, intervalSec: 60, probes: 5 } });
    expect(METHODS.applyProfile.result.safeParse({ entry, view }).success).toBe(true);
    // The poll after the apply: the snapshot (the UI's settings banner) already has the new values.
    expect((await api.getSnapshot()).settings).toMatchObject({ timeSec: 600, intervalSec: 60, probes: 5 });
    expect(view.inForce).toEqual({ timeSec: 600, intervalSec: 60, probes: 5 });
    expect(view.drift).toBe(false);
    expect(view.history).toHaveLength(1);
    expect(events.at(-1)).toEqual(view);
    await service.close();
  });

  it('names values, not a saved profile, in the root command (root has its own saved profiles)', async () => {
    const machine = fakeMachine();
    const { service, api } = await serviceOn(machine);
    await api.saveProfiles([{ id: 'custom:db', name: 'DB', timeSec: 300, intervalSec: 30, probes: 4, rationale: '', builtIn: false }]);
    await api.applyProfile('custom:db', { persist: false });
    expect(machine.applyKeepalive).toHaveBeenLastCalledWith({ timeSec: 300, intervalSec: 30, probes: 4 }, { persist: false, rootCommand: 'sudo idlewatch apply 300/30/4 --no-persist' });
    await service.close();
  });

  it('reports a drop-in that overrides ours by path, in the entry and the view', async () => {
    const machine = fakeMachine();
    const other = { path: '/etc/sysctl.d/zzz-other.conf', key: 'net.ipv4.tcp_keepalive_time', value: 300 };
    const { service, api } = await serviceOn(machine);
    machine.applyKeepalive.mockImplementationOnce(async (values, options) => {
      machine.m.values = { ...values };
      machine.m.boot = { ...values, timeSec: 300, dropIn: DROP_IN, overriddenBy: [other] };
      return { at: Date.now(), user: 'alice', action: 'apply', before: null, after: values, persisted: options.persist, outcome: 'applied', message: `Applied; persisted in ${DROP_IN}.`, dropIn: DROP_IN, namespace: null };
    });
    const { entry, view } = await api.applyProfile('server', { persist: true });
    expect(entry.message).toContain(`persisted in ${DROP_IN}`);
    expect(entry.message).toContain('Persisted, but /etc/sysctl.d/zzz-other.conf sets net.ipv4.tcp_keepalive_time = 300 later and will win at boot.');
    expect(view.afterBoot?.overriddenBy).toEqual([other]);
    expect(view.drift).toBe(true);
    expect(overrideWarning({ ...NO_FILES, overriddenBy: [] })).toBeNull();
    await service.close();
  });

  it('a refused elevation is an outcome, not an error: nothing changed, the root command said, listed in the history', async () => {
    const machine = fakeMachine();
    machine.m.refuse = 'The authentication dialog was dismissed.';
    const { service, api, events } = await serviceOn(machine);
    const { entry, view } = await api.applyProfile('web-server', { persist: true });
    expect(entry).toMatchObject({ outcome: 'refused', profile: 'web-server', persisted: false });
    expect(entry.message).toMatch(/dismissed.*Nothing was changed.*sudo idlewatch apply web-server$/);
    expect(machine.m.values).toEqual({ timeSec: 7200, intervalSec: 75, probes: 9 });
    expect(view.history).toEqual([entry]);
    expect(events.at(-1)?.history).toEqual([entry]);
    // A refusal stays in the history of this session.
    expect((await api.getProfiles()).history).toEqual([entry]);
    await service.close();
  });

  it('undo restores through the adapter, naming `sudo idlewatch undo` for a refusal; history is newest first', async () => {
    const machine = fakeMachine();
    const { service, api } = await serviceOn(machine);
    await api.applyProfile('fast-detect', { persist: false });
    await new Promise((r) => setTimeout(r, 2));
    const { entry, view } = await api.undoLastApply();
    expect(machine.undoKeepalive).toHaveBeenCalledExactlyOnceWith({ rootCommand: 'sudo idlewatch undo' });
    expect(entry).toMatchObject({ action: 'undo', profile: null, outcome: 'applied', after: { timeSec: 7200, intervalSec: 75, probes: 9 } });
    expect(view.inForce).toEqual({ timeSec: 7200, intervalSec: 75, probes: 9 });
    expect(view.history.map((e) => e.action)).toEqual(['undo', 'apply']);
    // The system's records are named by the profile their values match.
    expect(view.history[1]!.profile).toBe('fast-detect');
    await service.close();
  });

  it('an apply interrupted by a crash, rolled back at start, shows in the history', async () => {
    const machine = fakeMachine();
    machine.m.recovered = {
      at: Date.now(), user: 'root', action: 'apply', before: null, after: null, persisted: false, outcome: 'rolled-back',
      message: 'An interrupted apply was rolled back: journal found.', dropIn: null, namespace: null,
    };
    // The helper records its rollback in the system's history.
    machine.m.history.push({ ...machine.m.recovered, before: { timeSec: 7200, intervalSec: 75, probes: 9 }, after: { timeSec: 60, intervalSec: 10, probes: 6 } });
    const { service, api } = await serviceOn(machine);
    await api.applyProfile('server', { persist: false });
    const { history } = await api.getProfiles();
    expect(history.map((e) => e.outcome)).toContain('rolled-back');
    await service.close();
  });
});

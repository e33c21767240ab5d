/**
 * `idlewatch profiles / apply / undo / history` over a stand-in API: when it asks, what it
 * prints, its exit codes. The built CLI against the real kernel is test/integration/cli-apply.test.ts.
 */
import { describe, expect, it, vi } from 'vitest';
import type { ApplyResult, Preview, ProfilesView } from '../../../shared/api/contract';
import { ApiFailure } from '../../../shared/api/result';
import { PRESETS } from '../../../shared/profiles';
import { UsageError } from '../../../main/cli/options';
import { runApply, runProfiles, runUndo, type Call } from '../../../main/cli/profiles';
import { formatHistory, formatPreview, formatProfilesView } from '../../../main/cli/profiles-text';
import { historyEntry } from '../../fixtures/profiles';
import { apply, fakeIo } from './cli-io';

const SERVER = PRESETS.find((p) => p.id === 'server')!;
const DROP_IN = '/etc/sysctl.d/99-zz-idlewatch-keepalive.conf';

const view: ProfilesView = {
  presets: [...PRESETS],
  custom: [{ id: 'custom:db', name: 'DB', timeSec: 300, intervalSec: 30, probes: 4, rationale: 'Before the pgbouncer timeout.', builtIn: false }],
  inForce: { timeSec: 600, intervalSec: 60, probes: 5 },
  afterBoot: { timeSec: 300, intervalSec: 60, probes: 5, dropIn: DROP_IN, overriddenBy: [{ path: '/etc/sysctl.d/zzz-other.conf', key: 'net.ipv4.tcp_keepalive_time', value: 300 }] },
  drift: true,
  apply: { available: true, reason: null },
  history: [],
};

const preview: Preview = {
  profile: SERVER,
  changes: [
    { field: 'timeSec', key: 'net.ipv4.tcp_keepalive_time', from: 7200, to: 600 },
    { field: 'intervalSec', key: 'net.ipv4.tcp_keepalive_intvl', from: 75, to: 60 },
    { field: 'probes', key: 'net.ipv4.tcp_keepalive_probes', from: 9, to: 5 },
  ],
  rows: [],
  summary: { connections: 12, saved: 3, newlyAtRisk: 0, ownSettings: 1, armedTimer: 4, detectionNowMs: 7_875_000, detectionAfterMs: 900_000 },
  explanation: ['A silent peer is found 15 min after its last packet.'],
};

const entry = historyEntry;

function fakeCall(result: ApplyResult = { entry: entry(), view }) {
  const calls: [string, unknown[]][] = [];
  const call = vi.fn(async (method: string, ...args: unknown[]) => {
    calls.push([method, args]);
    if (method === 'previewProfile') return preview;
    if (method === 'getProfiles') return view;
    return result;
  }) as unknown as Call;
  return { call, calls };
}



describe('idlewatch apply', () => {
  it('--dry-run prints the changes, the what-if summary and the explanation, and applies nothing', async () => {
    const { call, calls } = fakeCall();
    const io = fakeIo(true);
    expect(await runApply(apply({ dryRun: true }), call, io)).toBe(0);
    expect(calls.map(([m]) => m)).toEqual(['previewProfile']);
    expect(io.asked).toEqual([]);
    expect(io.stdout).toMatch(/net\.ipv4\.tcp_keepalive_time\s+7200 → 600/);
    expect(io.stdout).toMatch(/What it does to the 12 connections open now:/);
    expect(io.stdout).toMatch(/saved from a middlebox or application timeout: 3/);
    expect(io.stdout).toMatch(/4 with a keepalive timer already armed keep its expiry/);
    expect(io.stdout).toMatch(/1 set their own keepalive values .* not affected/);
    expect(io.stdout).toMatch(/found 15 min after its last packet \(today 2 h 11 min\): 1 h 56 min sooner/);
    expect(io.stdout).toContain('A silent peer is found 15 min after its last packet.');
    expect(io.stdout).toMatch(/Dry run: nothing was changed\.\n$/);
  });

  it('in a terminal without --yes it asks, and applies only on yes', async () => {
    const yes = fakeCall();
    const io = fakeIo(true, 'y');
    expect(await runApply(apply(), yes.call, io)).toBe(0);
    expect(io.asked).toEqual(['Apply server now and for the next boot? [y/N] ']);
    expect(yes.calls.at(-1)).toEqual(['applyProfile', ['server', { persist: true }]]);
    expect(io.stdout).toContain(`Applied 600/60/5 (was 7200/75/9); persisted in ${DROP_IN}.`);

    const no = fakeCall();
    const declined = fakeIo(true, '');
    expect(await runApply(apply({ persist: false }), no.call, declined)).toBe(1);
    expect(declined.asked).toEqual(['Apply server until the next boot? [y/N] ']);
    expect(no.calls.map(([m]) => m)).toEqual(['previewProfile']);
    expect(declined.stderr).toBe('Not applied: nothing was changed.\n');
  });

  it('asks nothing with --yes, or when not in a terminal (scripts, sudo in automation)', async () => {
    for (const [cmd, interactive] of [[apply({ yes: true }), true], [apply(), false]] as const) {
      const { call, calls } = fakeCall();
      const io = fakeIo(interactive, 'n');
      expect(await runApply(cmd, call, io)).toBe(0);
      expect(io.asked).toEqual([]);
      expect(calls.map(([m]) => m)).toEqual(['previewProfile', 'applyProfile']);
    }
  });

  it('a refusal exits 1 with the message (and its root command) on stderr', async () => {
    const refused = entry({ outcome: 'refused', persisted: false, before: null, after: null, message: 'Not authorized to change keepalive settings. Nothing was changed. To do it as root: sudo idlewatch apply server' });
    const { call } = fakeCall({ entry: refused, view });
    const io = fakeIo(false);
    expect(await runApply(apply(), call, io)).toBe(1);
    expect(io.stderr).toBe('idlewatch: refused: Not authorized to change keepalive settings. Nothing was changed. To do it as root: sudo idlewatch apply server\n');
  });

  it('a preview that cannot be computed does not stop an apply, but stops a dry run', async () => {
    const failing = vi.fn(async (method: string) => {
      if (method === 'previewProfile') throw new ApiFailure('collector', 'netlink refused');
      return { entry: entry(), view };
    }) as unknown as Call;
    const io = fakeIo(false);
    expect(await runApply(apply(), failing, io)).toBe(0);
    expect(io.stderr).toMatch(/no preview of the open connections: netlink refused/);
    await expect(runApply(apply({ dryRun: true }), failing, fakeIo(false))).rejects.toThrow('netlink refused');
  });

  it('an unknown profile is bad usage: nothing is applied', async () => {
    const unknown = vi.fn(async () => {
      throw new UsageError('unknown profile "turbo"');
    }) as unknown as Call;
    await expect(runApply(apply({ profile: 'turbo', yes: true }), unknown, fakeIo(false))).rejects.toThrow(UsageError);
    expect(unknown).toHaveBeenCalledTimes(1);
  });
});

describe('idlewatch undo, profiles, history', () => {
  it('undo prints the outcome and exits 0, or 1 when it did not happen', async () => {
    const io = fakeIo(false);
    expect(await runUndo(fakeCall({ entry: entry({ action: 'undo', message: 'Restored 7200/75/9 (was 600/60/5).' }), view }).call, io)).toBe(0);
    expect(io.stdout).toBe('Restored 7200/75/9 (was 600/60/5).\n');
    const failed = fakeIo(false);
    expect(await runUndo(fakeCall({ entry: entry({ action: 'undo', outcome: 'rolled-back', message: 'Undo failed: nothing to undo. Nothing was changed.' }), view }).call, failed)).toBe(1);
    expect(failed.stderr).toMatch(/^idlewatch: rolled-back: Undo failed: nothing to undo/);
  });

  it('profiles --json prints the view; history --json its history', async () => {
    const io = fakeIo(false);
    await runProfiles({ command: 'profiles', json: true }, fakeCall().call, io);
    expect(JSON.parse(io.stdout)).toEqual(view);
    const h = fakeIo(false);
    await runProfiles({ command: 'history', json: true }, fakeCall().call, h);
    expect(JSON.parse(h.stdout)).toEqual([]);
  });
});

describe('the text of profiles and history', () => {
  it('shows in force now vs after boot, flags the drift, names the overriding file by path, marks the profile in force', () => {
    const text = formatProfilesView(view);
    expect(text).toMatch(/^In force now: +600\/60\/5 · a silent peer is found 15 min after its last packet$/m);
    expect(text).toMatch(/^After next boot: +300\/60\/5 +← DIFFERS from what is in force now \(drift\)$/m);
    expect(text).toContain(`Idlewatch's drop-in: ${DROP_IN}`);
    expect(text).toMatch(/overridden at boot by \/etc\/sysctl\.d\/zzz-other\.conf: net\.ipv4\.tcp_keepalive_time = 300/);
    expect(text).toMatch(/^server \*\s+600\/60\/5\s+15m 00s\s+The common server recommendation/m);
    expect(text).toMatch(/^kernel-default\s+7200\/75\/9\s+2h 11m\s+What the kernel starts with/m);
    expect(text).toMatch(/^Custom profiles:\n.*\ncustom:db\s+300\/30\/4/m);
    const calm = formatProfilesView({ ...view, drift: false, afterBoot: { timeSec: null, intervalSec: null, probes: null, dropIn: null, overriddenBy: [] }, apply: { available: false, reason: 'pkexec is not installed' } });
    expect(calm).toMatch(/^After next boot: +7200\/75\/9 \(no file sets them: the kernel defaults\)$/m);
    expect(calm).toMatch(/^Apply: +not available: pkexec is not installed$/m);
  });

  it('never prints what came from outside raw: paths, messages and names are made printable', () => {
    const hostile = '/etc/sysctl.d/\x1b[2Jevil\u202e.conf';
    const text = formatProfilesView({ ...view, afterBoot: { ...view.afterBoot!, overriddenBy: [{ path: hostile, key: 'net.ipv4.tcp_keepalive_time', value: 1 }] } });
    expect(text).toContain('/etc/sysctl.d/\\x1b[2Jevil\\u202e.conf');
    expect(text).not.toMatch(/[\x1b\u202e]/);
    const history = formatHistory([entry({ user: 'mallory\x07', message: 'line\nbreak\x1b[31m' })]);
    expect(history).toContain('mallory\\x07');
    expect(history).toContain('line\\x0abreak\\x1b[31m');
    expect(history.split('\n')).toHaveLength(3);
    const p = formatPreview({ ...preview, explanation: ['\x1b]0;title\x07'] }, false);
    expect(p).not.toMatch(/[\x1b\x07]/);
    expect(p).toContain('runtime only');
  });

  it('history lists newest first as given, one line each, and says when there is none', () => {
    const text = formatHistory([entry({ action: 'undo', profile: null }), entry()]);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^WHEN\s+USER\s+ACTION\s+PROFILE\s+BEFORE\s+AFTER\s+PERSISTED\s+OUTCOME\s+MESSAGE$/);
    expect(lines[1]).toMatch(/root\s+undo\s+—\s+7200\/75\/9\s+600\/60\/5\s+yes\s+applied/);
    expect(lines[2]).toMatch(/root\s+apply\s+server\s+7200\/75\/9/);
    expect(formatHistory([])).toBe('No apply or undo recorded yet.\n');
  });
});

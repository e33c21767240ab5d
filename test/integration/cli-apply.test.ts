/**
 * `idlewatch profiles / apply / undo / history` as installed (the launcher running the build),
 * as root in this throwaway network namespace with tmpfs over /etc/sysctl.d and
 * /var/lib/idlewatch (test/run-all.mjs). stdin is not a terminal here: apply asks nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertThrowawayPersistence, readSysctl, setKeepaliveSysctls, type KeepaliveSysctls } from './lab';

const cli = fileURLToPath(new URL('../../main/cli/idlewatch.mjs', import.meta.url));
const DROP_IN = '/etc/sysctl.d/99-zz-idlewatch-keepalive.conf';
const OTHER = '/etc/sysctl.d/zzz-other.conf';
const KERNEL_DEFAULT = { timeSec: 7200, intervalSec: 75, probes: 9 };
let config = '';
let found: KeepaliveSysctls;

const idlewatch = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, XDG_CONFIG_HOME: config }, stdio: ['ignore', 'pipe', 'pipe'] });

const inForce = (): KeepaliveSysctls => ({
  timeSec: Number(readSysctl('net.ipv4.tcp_keepalive_time')),
  intervalSec: Number(readSysctl('net.ipv4.tcp_keepalive_intvl')),
  probes: Number(readSysctl('net.ipv4.tcp_keepalive_probes')),
});
const history = () => (existsSync('/var/lib/idlewatch/history') ? readFileSync('/var/lib/idlewatch/history', 'utf8') : '');

function clearPersistence(): void {
  for (const dir of ['/etc/sysctl.d', '/var/lib/idlewatch']) for (const name of readdirSync(dir)) rmSync(join(dir, name), { force: true });
}

beforeAll(() => {
  assertThrowawayPersistence();
  for (const built of ['../../out/cli/cli.mjs', '../../out/bin/idlewatch-keepalive']) {
    if (!existsSync(fileURLToPath(new URL(built, import.meta.url)))) throw new Error(`${built.slice(6)} is missing: run \`npm run build\` first (npm test does).`);
  }
  found = inForce();
  config = mkdtempSync(join(tmpdir(), 'idlewatch-cli-apply-'));
  mkdirSync(join(config, 'idlewatch'));
  writeFileSync(
    join(config, 'idlewatch', 'preferences.json'),
    JSON.stringify({ pollIntervalMs: 2000, rules: [], profiles: [{ id: 'custom:db', name: 'DB', timeSec: 300, intervalSec: 30, probes: 4, rationale: 'Before the DB proxy forgets.', builtIn: false }] }),
  );
});
beforeEach(() => {
  clearPersistence();
  setKeepaliveSysctls(KERNEL_DEFAULT);
});
afterAll(() => {
  clearPersistence();
  setKeepaliveSysctls(found);
  rmSync(config, { recursive: true, force: true });
});

describe('idlewatch apply', () => {
  it('`apply server --yes` applies and persists, printing the outcome and the drop-in', () => {
    const run = idlewatch('apply', 'server', '--yes');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/net\.ipv4\.tcp_keepalive_time\s+7200 → 600/);
    expect(run.stdout).toContain(`Applied 600/60/5 (was 7200/75/9); persisted in ${DROP_IN}.`);
    expect(inForce()).toEqual({ timeSec: 600, intervalSec: 60, probes: 5 });
    expect(readFileSync(DROP_IN, 'utf8')).toMatch(/tcp_keepalive_time *= *600$/m);
  });

  it('without --yes and without a terminal, asks nothing and applies (scripts, sudo in automation)', () => {
    const run = idlewatch('apply', 'fast-detect', '--no-persist');
    expect(run.status).toBe(0);
    expect(run.stdout).not.toMatch(/\[y\/N\]/);
    expect(run.stdout).toContain('Applied 60/10/6 (was 7200/75/9); runtime only, not persisted.');
    expect(inForce()).toEqual({ timeSec: 60, intervalSec: 10, probes: 6 });
    expect(existsSync(DROP_IN)).toBe(false);
  });

  it('applies a custom profile saved in the preferences, and values given as TIME/INTERVAL/PROBES', () => {
    expect(idlewatch('apply', 'custom:db', '--yes').status).toBe(0);
    expect(inForce()).toEqual({ timeSec: 300, intervalSec: 30, probes: 4 });
    expect(idlewatch('apply', '1200/45/7', '--yes', '--no-persist').status).toBe(0);
    expect(inForce()).toEqual({ timeSec: 1200, intervalSec: 45, probes: 7 });
  });

  it('--dry-run prints the changes, the what-if summary and the explanation, and changes nothing', () => {
    const run = idlewatch('apply', 'web-server', '--dry-run');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Profile web-server \(900\/60\/5\): /);
    expect(run.stdout).toMatch(/net\.ipv4\.tcp_keepalive_time\s+7200 → 900/);
    expect(run.stdout).toMatch(/net\.ipv4\.tcp_keepalive_intvl\s+75 → 60/);
    expect(run.stdout).toMatch(/What it does to the \d+ connections open now:/);
    expect(run.stdout).toMatch(/a silent peer is found 20 min after its last packet \(today 2 h 11 min\)/);
    expect(run.stdout).toMatch(/Dry run: nothing was changed\.\n$/);
    expect(inForce()).toEqual(KERNEL_DEFAULT);
    expect(existsSync(DROP_IN)).toBe(false);
    expect(history()).toBe('');
  });

  it.each([
    [['apply', '0/60/5'], /PROFILE: time must be from 1–32767 s, got 0/],
    [['apply', '600/60/256', '--yes'], /PROFILE: probes must be from 1–255, got 256/],
    [['apply', '600/60/5;reboot', '--yes'], /PROFILE: probes must be a whole number/],
    [['apply', 'turbo', '--yes'], /unknown profile "turbo".*server/],
    [['apply', 'server', '--persist', '--no-persist'], /contradict/],
    [['undo', 'now'], /Unexpected argument 'now'/],
  ])('%j exits 2 naming what is wrong, and changes nothing', (args, message) => {
    const run = idlewatch(...args);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
    expect(inForce()).toEqual(KERNEL_DEFAULT);
    expect(existsSync(DROP_IN)).toBe(false);
    expect(history()).toBe('');
  });

  it('names, by path, a drop-in that will override ours at boot; `profiles` shows it and flags the drift', () => {
    writeFileSync(OTHER, 'net.ipv4.tcp_keepalive_time = 300\n');
    const run = idlewatch('apply', 'server', '--yes');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`Persisted, but ${OTHER} sets net.ipv4.tcp_keepalive_time = 300 later and will win at boot.`);
    const text = idlewatch('profiles');
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^In force now: +600\/60\/5/m);
    expect(text.stdout).toMatch(/^After next boot: +300\/60\/5 .*drift/m);
    expect(text.stdout).toContain(`overridden at boot by ${OTHER}: net.ipv4.tcp_keepalive_time = 300`);
    const json = JSON.parse(idlewatch('profiles', '--json').stdout);
    expect(json).toMatchObject({
      inForce: { timeSec: 600, intervalSec: 60, probes: 5 },
      afterBoot: { timeSec: 300, dropIn: DROP_IN, overriddenBy: [{ path: OTHER, key: 'net.ipv4.tcp_keepalive_time', value: 300 }] },
      drift: true,
      apply: { available: true, reason: null },
    });
    expect(json.presets.map((p: { id: string }) => p.id)).toEqual(['kernel-default', 'server', 'web-server', 'cloud-nat', 'fast-detect']);
    expect(json.custom.map((p: { id: string }) => p.id)).toEqual(['custom:db']);
  });
});

describe('idlewatch undo and history', () => {
  it('undo restores what was in force before the last apply; history --json lists both, newest first', () => {
    expect(idlewatch('apply', 'cloud-nat', '--yes').status).toBe(0);
    const undo = idlewatch('undo');
    expect(undo.status).toBe(0);
    expect(undo.stdout).toBe('Restored 7200/75/9 (was 180/30/5).\n');
    expect(inForce()).toEqual(KERNEL_DEFAULT);
    expect(existsSync(DROP_IN)).toBe(false);

    const again = idlewatch('undo');
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/nothing to undo.*Nothing was changed/);

    const entries = JSON.parse(idlewatch('history', '--json').stdout);
    expect(entries.slice(0, 2)).toMatchObject([
      { action: 'undo', user: 'root', before: { timeSec: 180, intervalSec: 30, probes: 5 }, after: KERNEL_DEFAULT, outcome: 'applied', persisted: true },
      { action: 'apply', user: 'root', profile: 'cloud-nat', before: KERNEL_DEFAULT, after: { timeSec: 180, intervalSec: 30, probes: 5 }, outcome: 'applied', persisted: true },
    ]);
    const text = idlewatch('history');
    expect(text.status).toBe(0);
    expect(text.stdout.split('\n')[1]).toMatch(/root\s+undo\s+—\s+180\/30\/5\s+7200\/75\/9\s+yes\s+applied/);
    expect(text.stdout.split('\n')[2]).toMatch(/root\s+apply\s+cloud-nat\s+7200\/75\/9\s+180\/30\/5\s+yes\s+applied/);
  });

  it('history with nothing recorded says so', () => {
    expect(idlewatch('history').stdout).toBe('No apply or undo recorded yet.\n');
    expect(JSON.parse(idlewatch('history', '--json').stdout)).toEqual([]);
  });
});

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertThrowawayNamespace, openPair, setKeepaliveSysctls, type Pair } from './lab';

// The command as installed: the launcher, which runs the build's out/cli/cli.mjs.
const cli = fileURLToPath(new URL('../../main/cli/idlewatch.mjs', import.meta.url));
const idlewatch = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 30_000 });
let p: Pair;

beforeAll(async () => {
  assertThrowawayNamespace();
  if (!existsSync(fileURLToPath(new URL('../../out/cli/cli.mjs', import.meta.url)))) {
    throw new Error('out/cli/cli.mjs is missing: run `npm run build` first (npm test does).');
  }
  setKeepaliveSysctls({ timeSec: 600, intervalSec: 60, probes: 5 });
  p = await openPair();
  p.client.setKeepAlive(true);
});
afterAll(() => p.close());

describe('idlewatch snapshot on the real kernel', () => {
  it('--json prints one idlewatch.snapshot/2 document with this process’s connection and its projection', () => {
    const run = idlewatch('snapshot', '--json');
    expect(run.status).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc).toMatchObject({
      schema: 'idlewatch.snapshot/2',
      host: { os: 'linux' },
      settings: { os: 'linux', timeSec: 600, intervalSec: 60, probes: 5, retries2: 15 },
    });
    expect(Math.abs(doc.takenAt - Date.now())).toBeLessThan(30_000);
    const c = doc.connections.find((x: { localPort: number }) => x.localPort === p.client.localPort);
    expect(c).toMatchObject({ family: 'ipv4', state: 'ESTABLISHED', pid: process.pid, keepalive: true, timer: 'keepalive', dropReason: 'keepalive' });
    for (const key of ['id', 'remoteAddress', 'remotePort', 'process', 'uid', 'user', 'inode', 'sendQueue', 'recvQueue', 'timerExpiresAt', 'probesSent', 'idleMs', 'nextProbeAt', 'dropAt', 'dropWindow']) {
      expect(c, key).toHaveProperty(key);
    }
    // 600 s + 5 × 60 s after the last packet, rounded up by the wheel
    expect(c.dropAt - (doc.takenAt - c.idleMs)).toBeGreaterThanOrEqual(900_000);
    expect(c.dropAt - (doc.takenAt - c.idleMs)).toBeLessThan(900_000 + 16_400 + 5 * 2_048);
  });

  it('filters by state and minimum idle time', () => {
    const listeners = JSON.parse(idlewatch('snapshot', '--json', '--state', 'LISTEN').stdout);
    expect(listeners.connections.length).toBeGreaterThan(0);
    expect(listeners.connections.every((c: { state: string }) => c.state === 'LISTEN')).toBe(true);
    const longIdle = JSON.parse(idlewatch('snapshot', '--json', '--idle-min', '3600').stdout);
    expect(longIdle.connections).toEqual([]);
  });

  it('--middlebox-idle shorter than the first probe projects a middlebox drop', () => {
    const doc = JSON.parse(idlewatch('snapshot', '--json', '--middlebox-idle', '350').stdout);
    const c = doc.connections.find((x: { localPort: number }) => x.localPort === p.client.localPort);
    expect(c).toMatchObject({ dropReason: 'middlebox', atRisk: true });
  });

  it('prints the table with the connection’s countdowns', () => {
    const run = idlewatch('snapshot', '--state', 'established');
    expect(run.status).toBe(0);
    const row = run.stdout.split('\n').find((l) => new RegExp(`^ESTABLISHED\\s+127\\.0\\.0\\.1:${p.client.localPort}\\s`).test(l));
    expect(row).toMatch(new RegExp(`^ESTABLISHED\\s+127\\.0\\.0\\.1:${p.client.localPort}\\s+127\\.0\\.0\\.1:${p.serverPort}\\s+${process.pid}/`));
    // first probe 600 s after the last packet, up to 16.4 s later by the wheel; drop 5 × 60 s after it
    expect(row).toMatch(/\bon\b\s+0\s+in (9|10)m \d\ds\s+in 1[456]m \d\ds\s+keepalive$/);
  });

  it.each([
    [['snapshot', '--bogus'], /Unknown option '--bogus'/],
    [['snapshot', '--middlebox-idle', 'ten'], /--middlebox-idle expects a whole number of seconds/],
    [['snapshot', '--state', 'NAPPING'], /--state must be one of/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ])('%j exits 2 with a clear message and prints nothing on stdout', (args, message) => {
    const run = idlewatch(...args);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });
});

describe('idlewatch start where no desktop can open', () => {
  it('says why and serves the app to a browser instead, printing the URL', async () => {
    const { spawn } = await import('node:child_process');
    const env = { ...process.env, DISPLAY: '', WAYLAND_DISPLAY: '', XDG_CONFIG_HOME: '/tmp/idlewatch-start-test' };
    const child = spawn(process.execPath, [cli, 'start', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(output)), 20_000);
      const read = (d: Buffer) => {
        output += d.toString();
        if (/serving on http:\/\/127\.0\.0\.1:\d+\/[?#]token=[\w-]{32}/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', read);
      child.stderr.on('data', read);
    });
    child.kill('SIGTERM');
    expect(output).toMatch(/cannot open its desktop window: (the Electron runtime is not installed|there is no display)/);
  });
});


describe('the idlewatch launcher', () => {
  it('without a build, says to run `npm run build` and exits 1', () => {
    const checkout = mkdtempSync(join(tmpdir(), 'idlewatch-unbuilt-'));
    try {
      mkdirSync(join(checkout, 'main/cli'), { recursive: true });
      copyFileSync(cli, join(checkout, 'main/cli/idlewatch.mjs'));
      const run = spawnSync(process.execPath, [join(checkout, 'main/cli/idlewatch.mjs'), 'snapshot'], { encoding: 'utf8', timeout: 30_000 });
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/not built.*run `npm run build`/);
      expect(run.stdout).toBe('');
    } finally {
      rmSync(checkout, { recursive: true, force: true });
    }
  });
});

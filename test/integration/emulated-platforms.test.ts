/**
 * macOS and Windows without either (issue 10, acceptance 3): the built CLI run with
 * IDLEWATCH_PLATFORM=darwin or win32 and the OS's commands replaced on PATH by stand-ins that
 * print recorded output (test/fixtures/stand-in-commands.ts) makes a valid snapshot whose values
 * say where they come from: modelled projections, assumed keepalive values.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SnapshotSchema } from '../../shared/model/schemas';
import { provenanceOf } from '../../shared/provenance';
import { standInCommands } from '../fixtures/stand-in-commands';

const cli = fileURLToPath(new URL('../../main/cli/idlewatch.mjs', import.meta.url));
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function snapshotOn(os: 'darwin' | 'win32', args: string[] = ['snapshot', '--json']) {
  const { dir, env } = standInCommands(os);
  dirs.push(dir);
  return { dir, run: spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env, timeout: 60_000 }) };
}

describe.each(['darwin', 'win32'] as const)('IDLEWATCH_PLATFORM=%s with stand-in commands', (os) => {
  it('snapshot --json is a valid snapshot in that OS’s terms, every projection modelled', () => {
    const { run } = snapshotOn(os);
    expect(run.status, run.stderr).toBe(0);
    const parsed = SnapshotSchema.safeParse(JSON.parse(run.stdout));
    expect(parsed.success, JSON.stringify(parsed.error?.issues.slice(0, 3))).toBe(true);
    const snapshot = parsed.data!;
    expect(snapshot.settings.os).toBe(os);
    expect(snapshot.clock).toEqual({ kind: 'none' });
    expect(snapshot.namespace).toMatchObject({ id: 'host', current: true });
    expect(snapshot.connections.length).toBeGreaterThan(3);
    for (const c of snapshot.connections) {
      expect(c.timer).toBe('unknown');
      expect(provenanceOf(c).projection).toBe('model');
      expect(provenanceOf(c).keepalive).toBe('assumed');
      // One poll cannot tell how long a socket has been idle: nothing is claimed as read.
      expect(c.idleProvenance).not.toBe('kernel');
    }
  });

  it('the table marks modelled values and explains the marks', () => {
    const { run } = snapshotOn(os, ['snapshot']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(os === 'darwin' ? 'keepidle' : 'KeepAliveTime');
  });

  it('as root, a stand-in another user could replace is refused, and nothing runs', () => {
    const { dir, env } = standInCommands(os);
    dirs.push(dir);
    chmodSync(join(dir), 0o777);
    const run = spawnSync(process.execPath, [cli, 'snapshot', '--json'], { encoding: 'utf8', env, timeout: 60_000 });
    if (process.getuid?.() !== 0) return;
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/Refusing to run .* as root: its directory .* is writable by every user/);
  });
});

describe('IDLEWATCH_PLATFORM itself', () => {
  it('names the two adapters it can run, and refuses anything else before running anything', () => {
    const run = spawnSync(process.execPath, [cli, 'snapshot'], { encoding: 'utf8', env: { ...process.env, IDLEWATCH_PLATFORM: 'freebsd' }, timeout: 60_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/IDLEWATCH_PLATFORM must be darwin or win32/);
  });
});

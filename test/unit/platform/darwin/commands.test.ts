import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { commandPath } from '../../../../main/platform/darwin/commands';
import { HELPER_PATH, osascriptArgv, toDarwinValues } from '../../../../main/platform/darwin/elevation';
import { DarwinAdapter } from '../../../../main/platform/darwin/index';
import type { Runner } from '../../../../main/platform/darwin/commands';

describe('commandPath', () => {
  it('uses absolute system paths on a real Mac, whatever PATH says', () => {
    const env = { PATH: '/tmp/evil:/usr/bin' };
    expect(commandPath('netstat', env)).toBe('/usr/sbin/netstat');
    expect(commandPath('sysctl', env)).toBe('/usr/sbin/sysctl');
    expect(commandPath('ps', env)).toBe('/bin/ps');
    expect(commandPath('osascript', env)).toBe('/usr/bin/osascript');
  });

  it('looks commands up on PATH when IDLEWATCH_PLATFORM=darwin emulates the platform', () => {
    const dir = mkdtempSync(join(tmpdir(), 'idlewatch-darwin-'));
    const stand = join(dir, 'netstat');
    writeFileSync(stand, '#!/bin/sh\n');
    chmodSync(stand, 0o755);
    expect(commandPath('netstat', { IDLEWATCH_PLATFORM: 'darwin', PATH: `/nonexistent:${dir}` })).toBe(stand);
  });
});

describe('elevation argv', () => {
  it('converts a 600 s / 60 s / 5 profile to the sysctls\u2019 milliseconds', () => {
    expect(toDarwinValues({ timeSec: 600, intervalSec: 60, probes: 5 })).toEqual({ ok: true, value: { keepIdleMs: 600_000, keepIntervalMs: 60_000, keepCount: 5 } });
  });

  it('builds the exact osascript argv from the fixed helper path and the numbers', () => {
    expect(osascriptArgv('apply', { keepIdleMs: 600_000, keepIntervalMs: 60_000, keepCount: 5 })).toEqual([
      '-e',
      `do shell script "'${HELPER_PATH}' apply 600000 60000 5" with administrator privileges`,
    ]);
    expect(osascriptArgv('persist', { keepIdleMs: 600_000, keepIntervalMs: 60_000, keepCount: 5 })[1]).toContain(' persist 600000 60000 5"');
  });

  it.each([
    { timeSec: '600"; do shell script "rm -rf /', intervalSec: 60, probes: 5 },
    { timeSec: 600.5, intervalSec: 60, probes: 5 },
    { timeSec: -1, intervalSec: 60, probes: 5 },
    { timeSec: 600, intervalSec: 40000, probes: 5 },
    { timeSec: 600, intervalSec: 60, probes: 256 },
    { timeSec: Number.NaN, intervalSec: 60, probes: 5 },
    { timeSec: 1e300, intervalSec: 60, probes: 5 },
  ])('refuses %j', (values) => {
    expect(toDarwinValues(values).ok).toBe(false);
  });

  it('refuses non-integers at the argv builder too', () => {
    expect(() => osascriptArgv('apply', { keepIdleMs: 1.5, keepIntervalMs: 60_000, keepCount: 5 })).toThrow();
    expect(() => osascriptArgv('rm' as 'apply', { keepIdleMs: 1, keepIntervalMs: 1, keepCount: 1 })).toThrow();
  });
});

describe('DarwinAdapter.applyKeepalive with hostile values', () => {
  it('refuses before any command runs', async () => {
    const runner = vi.fn<Runner>(async () => ({ stdout: '', stderr: '' }));
    const adapter = new DarwinAdapter({ env: {}, runner });
    for (const values of [
      { timeSec: '600 && reboot' as unknown as number, intervalSec: 60, probes: 5 },
      { timeSec: 0, intervalSec: 60, probes: 5 },
      { timeSec: 600, intervalSec: 60, probes: 1000 },
    ]) {
      const change = await adapter.applyKeepalive(values, { persist: false });
      expect(change.outcome).toBe('refused');
    }
    expect(runner).not.toHaveBeenCalled();
  });
});

import { describe, expect, it } from 'vitest';
import type { KeepaliveSettings, LinuxSettings } from '../../../shared/model';
import { keepaliveTriple, LINUX_KERNEL_DEFAULTS, namespaceDrift } from '../../../shared/namespace-drift';

const linux = (timeSec: number, intervalSec: number, probes: number, retries2 = 15): LinuxSettings => ({ os: 'linux', timeSec, intervalSec, probes, retries2 });
const HOST = linux(600, 60, 5);

describe('how a namespace differs from the host', () => {
  it('says the host profile does not reach a namespace left at the kernel defaults', () => {
    expect(namespaceDrift(linux(7200, 75, 9), HOST)).toEqual({
      differs: true,
      note: "kernel defaults 7200/75/9 — the host's 600/60/5 does not reach it",
    });
  });

  it('names both sets of values when the namespace has its own', () => {
    expect(namespaceDrift(HOST, linux(300, 30, 5))).toEqual({ differs: true, note: '600/60/5 here, 300/30/5 on the host' });
  });

  it('does not call a namespace "kernel defaults" when the host has them too, or differs only in retries', () => {
    expect(namespaceDrift(linux(7200, 75, 9), linux(7200, 75, 9))).toEqual({ differs: false, note: null });
    expect(namespaceDrift(linux(600, 60, 5, 8), HOST)).toEqual({ differs: true, note: 'tcp_retries2 8 here, 15 on the host' });
  });

  it('adds tcp_retries2 to the keepalive sentence when both differ', () => {
    expect(namespaceDrift(linux(7200, 75, 9, 8), HOST).note).toBe("kernel defaults 7200/75/9 — the host's 600/60/5 does not reach it; tcp_retries2 8 here, 15 on the host");
  });

  it('says nothing when either side is unknown, or for the same values', () => {
    expect(namespaceDrift(null, HOST)).toEqual({ differs: false, note: null });
    expect(namespaceDrift(HOST, null)).toEqual({ differs: false, note: null });
    expect(namespaceDrift(linux(600, 60, 5), HOST)).toEqual({ differs: false, note: null });
  });

  it('speaks in seconds on every OS', () => {
    const darwin: KeepaliveSettings = { os: 'darwin', keepIdleMs: 7_200_000, keepIntervalMs: 75_000, keepCount: 8, alwaysKeepalive: false };
    expect(keepaliveTriple(darwin)).toBe('7200/75/8');
    expect(keepaliveTriple(LINUX_KERNEL_DEFAULTS)).toBe('7200/75/9');
    expect(namespaceDrift(darwin, { ...darwin, keepIdleMs: 600_000 })).toEqual({ differs: true, note: '7200/75/8 here, 600/75/8 on the host' });
  });
});

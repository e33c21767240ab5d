import { describe, expect, it } from 'vitest';
import type { DarwinSettings, SocketFacts } from '../../../shared/model';
import { darwinProjector } from '../../../shared/projection/darwin/darwin-projector';
import type { ProjectorContext } from '../../../shared/projection/projector';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const SETTINGS: DarwinSettings = { os: 'darwin', keepIdleMs: 600_000, keepIntervalMs: 60_000, keepCount: 5, alwaysKeepalive: false };
const ctx = (settings: DarwinSettings = SETTINGS): ProjectorContext => ({ now: NOW, settings, clock: { kind: 'none' } });

function facts(over: Partial<SocketFacts> = {}): SocketFacts {
  return {
    id: 'host/10.0.0.1:50000-10.0.0.2:5432',
    netns: 'host',
    family: 'ipv4',
    state: 'ESTABLISHED',
    localAddress: '10.0.0.1',
    localPort: 50000,
    remoteAddress: '10.0.0.2',
    remotePort: 5432,
    pid: 1,
    process: 'psql',
    uid: null,
    user: null,
    inode: null,
    sendQueue: 0,
    recvQueue: 0,
    timer: 'unknown',
    timerExpiresAt: null,
    probesSent: 0,
    retransmits: 0,
    rtoMs: null,
    backoff: 0,
    rtoRecoveryStartedAt: null,
    idleMs: 100_000,
    idleProvenance: 'estimated',
    lastSendMs: null,
    lastDataMs: 100_000,
    keepalive: true,
    socketKeepalive: null,
    ...over,
  };
}

describe('darwinProjector.effective', () => {
  it('assumes the system settings, in seconds', () => {
    expect(darwinProjector.effective(facts(), SETTINGS)).toEqual({ timeSec: 600, intervalSec: 60, probes: 5, userTimeoutMs: 0, source: 'assumed' });
  });

  it('uses the socket’s own values where they were read', () => {
    const own = { timeSec: 30, intervalSec: 5, probes: 3, userTimeoutMs: 0 };
    expect(darwinProjector.effective(facts({ socketKeepalive: own }), SETTINGS)).toEqual({ ...own, source: 'socket' });
  });

  it('refuses settings of another OS', () => {
    expect(() => darwinProjector.effective(facts(), { os: 'linux', timeSec: 1, intervalSec: 1, probes: 1, retries2: 15 })).toThrow();
  });
});

describe('darwinProjector.kernel', () => {
  const eff = darwinProjector.effective(facts(), SETTINGS);

  it('probes at keepidle after the last receipt, then every keepintvl, and drops after keepcnt probes', () => {
    const p = darwinProjector.kernel(facts(), ctx(), eff)!;
    const last = NOW - 100_000;
    expect(p.probesAt).toEqual([0, 1, 2, 3, 4].map((i) => last + 600_000 + i * 60_000));
    expect(p.dropAt).toBe(last + 600_000 + 5 * 60_000);
    expect(p.window).toEqual([p.dropAt, p.dropAt + 60_000]);
    expect(p.reason).toBe('keepalive');
  });

  it('lists only the probes still to come for a socket idle past keepidle', () => {
    const p = darwinProjector.kernel(facts({ idleMs: 700_000 }), ctx(), eff)!;
    const last = NOW - 700_000;
    expect(p.probesAt).toEqual([2, 3, 4].map((i) => last + 600_000 + i * 60_000));
    expect(p.dropAt).toBe(NOW + 200_000);
  });

  it('projects nothing without keepalive, idle time, or a keepalive state', () => {
    expect(darwinProjector.kernel(facts({ keepalive: false }), ctx(), eff)).toBeNull();
    expect(darwinProjector.kernel(facts({ keepalive: null }), ctx(), eff)).toBeNull();
    expect(darwinProjector.kernel(facts({ idleMs: null, idleProvenance: null }), ctx(), eff)).toBeNull();
    expect(darwinProjector.kernel(facts({ state: 'LISTEN' }), ctx(), eff)).toBeNull();
    expect(darwinProjector.kernel(facts({ state: 'TIME_WAIT' }), ctx(), eff)).toBeNull();
  });

  it('probes every socket when net.inet.tcp.always_keepalive is set', () => {
    const always = { ...SETTINGS, alwaysKeepalive: true };
    expect(darwinProjector.kernel(facts({ keepalive: false, state: 'CLOSE_WAIT' }), ctx(always), eff)?.dropAt).toBe(NOW - 100_000 + 900_000);
  });

  it('is a model, whatever the clock', () => {
    expect(darwinProjector.precision({ kind: 'none' })).toBe('model');
    expect(darwinProjector.precision({ kind: 'tick', hz: 100, anchor: null })).toBe('model');
  });
});

import { describe, expect, it } from 'vitest';
import type { SocketFacts, Win32Settings } from '../../../shared/model';
import { SocketFactsSchema } from '../../../shared/model/schemas';
import { projectConnection } from '../../../shared/projection/project';
import { msToWholeSec, win32Projector } from '../../../shared/projection/win32/win32-projector';
import { toSocketFacts } from '../../../main/platform/win32/index';

const NOW = 1_800_000_000_000;
const SETTINGS: Win32Settings = { os: 'win32', keepAliveTimeMs: 600_000, keepAliveIntervalMs: 60_000, probes: 10 };
const CTX = { now: NOW, settings: SETTINGS, clock: { kind: 'none' } as const };

/** A Windows socket as the adapter makes it, with what a test knows beyond that. */
function facts(over: Partial<SocketFacts> = {}): SocketFacts {
  const base = toSocketFacts(
    { family: 'ipv4', state: 'ESTABLISHED', localAddress: '10.0.0.1', localPort: 50000, remoteAddress: '10.0.0.2', remotePort: 443, pid: 42, createdAt: NOW - 3_600_000 },
    'win32:10.0.0.1:50000>10.0.0.2:443',
    'app',
    NOW,
  );
  return { ...base, ...over };
}

describe('win32Projector.effective', () => {
  it('assumes the registry values, in seconds, with 10 probes', () => {
    expect(win32Projector.effective(facts(), SETTINGS)).toEqual({ timeSec: 600, intervalSec: 60, probes: 10, userTimeoutMs: 0, source: 'assumed' });
  });

  it('the Windows defaults are 7200 s and 1 s', () => {
    const eff = win32Projector.effective(facts(), { ...SETTINGS, keepAliveTimeMs: 7_200_000, keepAliveIntervalMs: 1_000 });
    expect([eff.timeSec, eff.intervalSec]).toEqual([7200, 1]);
  });

  it('uses values read from the socket when there are any', () => {
    const socketKeepalive = { timeSec: 30, intervalSec: 5, probes: 10, userTimeoutMs: 0 };
    expect(win32Projector.effective(facts({ socketKeepalive }), SETTINGS)).toEqual({ ...socketKeepalive, source: 'socket' });
  });

  it('rounds sub-second registry values to whole seconds, never to 0', () => {
    expect(msToWholeSec(1_500)).toBe(2);
    expect(msToWholeSec(1)).toBe(1);
    expect(msToWholeSec(0)).toBe(0);
  });

  it('refuses settings of another OS', () => {
    expect(() => win32Projector.effective(facts(), { os: 'linux', timeSec: 1, intervalSec: 1, probes: 1, retries2: 1 })).toThrow(/Windows projector/);
  });
});

describe('win32Projector.kernel', () => {
  const eff = win32Projector.effective(facts(), SETTINGS);

  it('probes `time` after the last receipt, then every interval, and drops after 10 unanswered probes', () => {
    const p = win32Projector.kernel(facts({ keepalive: true, idleMs: 100_000 }), CTX, eff)!;
    const lastRx = NOW - 100_000;
    expect(p.probesAt).toHaveLength(10);
    expect(p.probesAt[0]).toBe(lastRx + 600_000);
    expect(p.probesAt[9]).toBe(lastRx + 600_000 + 9 * 60_000);
    expect(p.dropAt).toBe(lastRx + 600_000 + 10 * 60_000);
    expect(p.window).toEqual([p.dropAt, p.dropAt]);
    expect(p.reason).toBe('keepalive');
  });

  it('lists only probes still to come', () => {
    const p = win32Projector.kernel(facts({ keepalive: true, idleMs: 600_000 + 2 * 60_000 + 1 }), CTX, eff)!;
    expect(p.probesAt).toHaveLength(7);
    expect(p.probesAt.every((t) => t >= NOW)).toBe(true);
  });

  it('projects nothing when keepalive is unknown: Windows sockets are off unless the application sets SO_KEEPALIVE', () => {
    expect(win32Projector.kernel(facts({ keepalive: null, idleMs: 1000 }), CTX, eff)).toBeNull();
    expect(win32Projector.kernel(facts({ keepalive: false, idleMs: 1000 }), CTX, eff)).toBeNull();
  });

  it('projects nothing without an idle time (what the adapter reports: Windows shows none)', () => {
    expect(facts().idleMs).toBeNull();
    expect(win32Projector.kernel(facts({ keepalive: true }), CTX, eff)).toBeNull();
  });

  it('projects CLOSE_WAIT like ESTABLISHED, and nothing for LISTEN or TIME_WAIT', () => {
    expect(win32Projector.kernel(facts({ keepalive: true, idleMs: 0, state: 'CLOSE_WAIT' }), CTX, eff)).not.toBeNull();
    expect(win32Projector.kernel(facts({ keepalive: true, idleMs: 0, state: 'LISTEN' }), CTX, eff)).toBeNull();
    expect(win32Projector.kernel(facts({ keepalive: true, idleMs: 0, state: 'TIME_WAIT' }), CTX, eff)).toBeNull();
  });

  it('keeps an armed timer’s first expiry under what-if values', () => {
    const whatIf = { ...eff, timeSec: 60 };
    const p = win32Projector.kernel(facts({ keepalive: true, idleMs: 0 }), CTX, whatIf, eff)!;
    expect(p.probesAt[0]).toBe(NOW + 600_000);
  });

  it('is a model', () => {
    expect(win32Projector.precision({ kind: 'none' })).toBe('model');
  });
});

describe('a Windows socket through the shared projection', () => {
  it('gives a valid connection with no kernel drop and model precision', () => {
    const f = facts();
    expect(SocketFactsSchema.safeParse(f).success).toBe(true);
    const c = projectConnection(f, { ...CTX, projector: win32Projector, rules: [] });
    expect(c.dropAt).toBeNull();
    expect(c.precision).toBe('model');
    expect(c.effective.source).toBe('assumed');
  });
});

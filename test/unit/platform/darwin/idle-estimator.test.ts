import { describe, expect, it } from 'vitest';
import { IdleEstimator } from '../../../../main/platform/darwin/idle-estimator';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

describe('IdleEstimator', () => {
  it('knows nothing on first sight, then idle since the counters were first seen unchanged', () => {
    const e = new IdleEstimator();
    expect(e.update(T0, [{ id: 'a', rxBytes: 10, txBytes: 5 }]).get('a')).toEqual({ idleMs: null, idleProvenance: null });
    expect(e.update(T0 + 2000, [{ id: 'a', rxBytes: 10, txBytes: 5 }]).get('a')).toEqual({ idleMs: 2000, idleProvenance: 'estimated' });
    expect(e.update(T0 + 5000, [{ id: 'a', rxBytes: 10, txBytes: 5 }]).get('a')).toEqual({ idleMs: 5000, idleProvenance: 'estimated' });
  });

  it('starts again from the poll that saw either counter move', () => {
    const e = new IdleEstimator();
    e.update(T0, [{ id: 'a', rxBytes: 10, txBytes: 5 }]);
    expect(e.update(T0 + 2000, [{ id: 'a', rxBytes: 10, txBytes: 6 }]).get('a')).toEqual({ idleMs: 0, idleProvenance: 'estimated' });
    expect(e.update(T0 + 3000, [{ id: 'a', rxBytes: 10, txBytes: 6 }]).get('a')?.idleMs).toBe(1000);
  });

  it('forgets sockets that went away: a reused id starts afresh', () => {
    const e = new IdleEstimator();
    e.update(T0, [{ id: 'a', rxBytes: 1, txBytes: 1 }]);
    e.update(T0 + 1000, []);
    expect(e.update(T0 + 2000, [{ id: 'a', rxBytes: 1, txBytes: 1 }]).get('a')?.idleMs).toBeNull();
  });

  it('gives no estimate without counters (older netstat layout)', () => {
    const e = new IdleEstimator();
    e.update(T0, [{ id: 'a', rxBytes: null, txBytes: null }]);
    expect(e.update(T0 + 1000, [{ id: 'a', rxBytes: null, txBytes: null }]).get('a')).toEqual({ idleMs: null, idleProvenance: null });
  });
});

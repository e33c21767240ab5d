import { describe, expect, it } from 'vitest';
import { ESTIMATED_MARK, idleMark, legendText, marksInUse, MODEL_MARK, projectionMark } from '../../../../renderer/src/connections/provenance-marks';
import { PROVENANCE_WORDS } from '../../../../shared/provenance';
import { connection, known } from '../../../fixtures/connection';

const modelled = { idleProvenance: 'estimated', precision: 'model', effective: { timeSec: 7200, intervalSec: 75, probes: 8, userTimeoutMs: 0, source: 'assumed' } } as const;

describe('provenance marks in the connection table', () => {
  it('marks nothing a Linux poll read from the kernel, not even keepalive values assumed from the sysctls', () => {
    const c = connection({ idleProvenance: 'kernel', precision: 'window' });
    expect(c.effective.source).toBe('assumed');
    expect(idleMark(c)).toBeNull();
    expect(projectionMark(c)).toBeNull();
    expect(marksInUse([known({}), known({ id: 'b', precision: 'exact' })])).toEqual([]);
  });

  it('marks an estimated idle time with ≈ and a modelled projection with ~, each titled in PROVENANCE_WORDS and spoken', () => {
    const c = connection(modelled);
    expect(idleMark(c)).toBe(ESTIMATED_MARK);
    expect(projectionMark(c)).toBe(MODEL_MARK);
    expect(ESTIMATED_MARK).toMatchObject({ symbol: '≈', title: `estimated: ${PROVENANCE_WORDS.estimated}`, spoken: 'estimated:' });
    expect(MODEL_MARK).toMatchObject({ symbol: '~', title: `model: ${PROVENANCE_WORDS.model}`, spoken: 'model:' });
  });

  it('gives no idle mark where there is no idle time to mark', () => {
    expect(idleMark(connection({ ...modelled, idleMs: null }))).toBeNull();
  });

  it('returns the same mark object for every row, so 100,000 rows allocate none', () => {
    expect(idleMark(connection(modelled))).toBe(idleMark(connection({ ...modelled, id: 'other' })));
  });

  it('lists the marks in use for the legend, estimated first, and says them briefly', () => {
    const marks = marksInUse([known({}), known({ id: 'm', precision: 'model' }), known({ id: 'e', idleProvenance: 'estimated' })]);
    expect(marks).toEqual([ESTIMATED_MARK, MODEL_MARK]);
    expect(legendText(marks)).toBe('≈ estimated · ~ modelled');
    expect(legendText(marksInUse([known({ precision: 'model' })]))).toBe('~ modelled');
  });
});

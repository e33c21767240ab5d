/**
 * The table's provenance marks (shared/provenance.ts), over the rows it holds.
 */
import { marksIn, type ProvenanceMark } from '../../../shared/provenance';
import type { KnownConnection } from '../../../shared/snapshot-delta';

export { ESTIMATED_MARK, MODEL_MARK, idleMark, legendText, projectionMark, type ProvenanceMark } from '../../../shared/provenance';

/** The marks in use among the table's rows, in legend order. */
export const marksInUse = (rows: readonly KnownConnection[]): ProvenanceMark[] => marksIn(rows, (row) => row.connection);

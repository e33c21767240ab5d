/**
 * Where each value shown for a connection comes from (shared/model/constants.ts PROVENANCES), for
 * the table, the detail pane, the CLI and reports alike. Derived from what the connection already
 * carries, so 100,000 rows hold no extra object: idle from `idleProvenance`, the keepalive values
 * from `effective.source`, the projected moments from `precision`.
 */
import type { Connection, Provenance } from './model';

export interface ConnectionProvenance {
  /** null when the idle time is unknown. */
  idle: Provenance | null;
  /** The keepalive values that govern it: read from the socket, or the system's assumed. */
  keepalive: Provenance;
  /** nextProbeAt, probesAt, dropAt: from the OS's own timers, or from its documented algorithm. */
  projection: Provenance;
}

export function provenanceOf(c: Pick<Connection, 'idleMs' | 'idleProvenance' | 'effective' | 'precision'>): ConnectionProvenance {
  return {
    idle: c.idleMs === null ? null : (c.idleProvenance ?? 'kernel'),
    keepalive: c.effective.source === 'socket' ? 'kernel' : 'assumed',
    projection: c.precision === 'model' ? 'model' : 'kernel',
  };
}

/** One word per provenance, as the UI's marks and the CLI's footnotes explain them. */
export const PROVENANCE_WORDS: Readonly<Record<Provenance, string>> = {
  kernel: 'read from the OS',
  assumed: "the system's setting, the socket's own unknown",
  estimated: 'estimated from what polls saw (a lower bound)',
  model: "computed from the OS's documented algorithm",
};

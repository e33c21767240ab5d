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

/**
 * The marks a value not read from the OS carries, wherever connections are shown (the app's
 * table, the CLI's, reports): "≈" on an estimated idle time, "~" on moments computed from the OS's
 * documented algorithm. A value read from the kernel carries none, so the common Linux table looks
 * as it always did; the keepalive values' own provenance (assumed) has no cell and is said in words.
 * Marks are constants: 100,000 rows allocate nothing for them.
 */
export interface ProvenanceMark {
  provenance: Provenance;
  /** What is shown (aria-hidden where a screen reader hears `spoken`). */
  symbol: string;
  /** The tooltip: the provenance in words. */
  title: string;
  /** What a screen reader hears instead of the symbol. */
  spoken: string;
  /** The legend's word: "estimated", "modelled". */
  legend: string;
}

const mark = (provenance: Provenance, symbol: string, legend: string): ProvenanceMark =>
  Object.freeze({ provenance, symbol, title: `${provenance}: ${PROVENANCE_WORDS[provenance]}`, spoken: `${provenance}:`, legend });

export const ESTIMATED_MARK = mark('estimated', '≈', 'estimated');
export const MODEL_MARK = mark('model', '~', 'modelled');

/** The mark of an idle time: only an estimated one is marked. */
export function idleMark(c: Pick<Connection, 'idleMs' | 'idleProvenance'>): ProvenanceMark | null {
  return c.idleMs !== null && c.idleProvenance === 'estimated' ? ESTIMATED_MARK : null;
}

/** The mark of the projected moments (next probe, drop): only a modelled projection is marked. */
export function projectionMark(c: Pick<Connection, 'precision'>): ProvenanceMark | null {
  return c.precision === 'model' ? MODEL_MARK : null;
}

/** The marks in use among `items` (each seen through `connectionOf`), in legend order; empty when every value was read from the OS. */
export function marksIn<T>(items: Iterable<T>, connectionOf: (item: T) => Pick<Connection, 'idleMs' | 'idleProvenance' | 'precision'>): ProvenanceMark[] {
  let estimated = false;
  let model = false;
  for (const item of items) {
    const c = connectionOf(item);
    if (!estimated && idleMark(c) !== null) estimated = true;
    if (!model && c.precision === 'model') model = true;
    if (estimated && model) break;
  }
  return [...(estimated ? [ESTIMATED_MARK] : []), ...(model ? [MODEL_MARK] : [])];
}

/** "≈ estimated · ~ modelled": the legend under a table. */
export const legendText = (marks: readonly ProvenanceMark[]): string => marks.map((m) => `${m.symbol} ${m.legend}`).join(' · ');

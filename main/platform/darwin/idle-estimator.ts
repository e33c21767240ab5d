/**
 * macOS shows no idle time per socket, only byte counters (netstat's rxbytes/txbytes). A socket
 * whose counters have not moved since a poll first saw them so has been idle at least since
 * then: a lower bound, marked 'estimated' (shared/provenance.ts). Keepalive probes carry no data,
 * so they do not move the counters. Pure: `now` is a parameter (STYLE.md point 6).
 */

export interface IdleEstimate {
  idleMs: number | null;
  idleProvenance: 'estimated' | null;
}

interface Seen {
  rxBytes: number;
  txBytes: number;
  /** Epoch ms of the first poll that saw these counters. */
  since: number;
}

export class IdleEstimator {
  private seen = new Map<string, Seen>();

  /**
   * One poll: counters per socket id. The first sighting of a socket tells nothing (null); after
   * that, idle is the time since its counters were first seen at their present values.
   */
  update(now: number, sockets: readonly { id: string; rxBytes: number | null; txBytes: number | null }[]): Map<string, IdleEstimate> {
    const next = new Map<string, Seen>();
    const out = new Map<string, IdleEstimate>();
    for (const { id, rxBytes, txBytes } of sockets) {
      if (rxBytes === null || txBytes === null) {
        out.set(id, { idleMs: null, idleProvenance: null });
        continue;
      }
      const before = this.seen.get(id);
      let entry: Seen;
      if (!before) entry = { rxBytes, txBytes, since: now };
      else if (before.rxBytes !== rxBytes || before.txBytes !== txBytes) entry = { rxBytes, txBytes, since: now };
      else entry = before;
      next.set(id, entry);
      // Unchanged since first seen: idle at least that long (0 on the poll that saw it move).
      out.set(id, before ? { idleMs: Math.max(0, now - entry.since), idleProvenance: 'estimated' } : { idleMs: null, idleProvenance: null });
    }
    this.seen = next;
    return out;
  }
}

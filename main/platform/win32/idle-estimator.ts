/**
 * Idle time on Windows: not shown. Neither Get-NetTCPConnection nor netstat gives byte counters
 * or the time of the last segment, so nothing a poll sees can prove a connection has been silent.
 *
 * The decision (issue 10, "keep it honest"): idleMs stays null, idleProvenance null.
 * - CreationTime bounds idle from ABOVE (silence cannot be older than the connection), while an
 *   'estimated' idleMs promises a LOWER bound (schemas.ts): putting the age there would make the
 *   projection draw probes and drops too early, as facts. It is kept apart, as `idleAtMostMs`.
 * - "Unchanged between polls" proves nothing here: the state and the tuple stay the same while
 *   data flows.
 * With idle unknown (and SO_KEEPALIVE unknown) the Windows projector projects nothing.
 */
export interface Win32IdleBound {
  idleMs: null;
  idleProvenance: null;
  /** now − CreationTime: the most the connection can have been idle; null without CreationTime. */
  idleAtMostMs: number | null;
}

export function idleBound(createdAt: number | null, now: number): Win32IdleBound {
  return { idleMs: null, idleProvenance: null, idleAtMostMs: createdAt === null || createdAt > now ? null : now - createdAt };
}

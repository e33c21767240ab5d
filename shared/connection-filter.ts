import type { Connection, TcpState } from './model';

export interface ConnectionFilter {
  state?: TcpState | undefined;
  /** Only connections idle at least this long. */
  idleMinSec?: number | undefined;
}

export function matchesFilter(c: Connection, filter: ConnectionFilter): boolean {
  if (filter.state !== undefined && c.state !== filter.state) return false;
  if (filter.idleMinSec !== undefined && (c.idleMs === null || c.idleMs < filter.idleMinSec * 1000)) return false;
  return true;
}

/** Idle connections first: longest idle at the top, sockets without an idle time (listeners, TIME_WAIT) last. */
export function byIdleDescending(a: Connection, b: Connection): number {
  return (b.idleMs ?? -1) - (a.idleMs ?? -1);
}

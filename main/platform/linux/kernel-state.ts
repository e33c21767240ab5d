import type { TcpState, TimerKind } from '../../../shared/model';

/** include/net/tcp_states.h; TCP_NEW_SYN_RECV (12) is a request socket, shown as SYN_RECV. */
const STATES: Record<number, TcpState> = {
  1: 'ESTABLISHED',
  2: 'SYN_SENT',
  3: 'SYN_RECV',
  4: 'FIN_WAIT1',
  5: 'FIN_WAIT2',
  6: 'TIME_WAIT',
  7: 'CLOSE',
  8: 'CLOSE_WAIT',
  9: 'LAST_ACK',
  10: 'LISTEN',
  11: 'CLOSING',
  12: 'SYN_RECV',
};

/** idiag_timer / the `tr` column of /proc/net/tcp. */
const TIMERS: Record<number, TimerKind> = { 0: 'none', 1: 'retransmit', 2: 'keepalive', 3: 'timewait', 4: 'probe' };

export function tcpStateName(state: number): TcpState {
  const name = STATES[state];
  if (!name) throw new RangeError(`unknown TCP state ${state}`);
  return name;
}

export function timerKind(timer: number): TimerKind {
  const kind = TIMERS[timer];
  if (!kind) throw new RangeError(`unknown timer ${timer}`);
  return kind;
}

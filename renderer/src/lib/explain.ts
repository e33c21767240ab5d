/**
 * "Why the projection says what it says", in plain sentences. The numbers come from the
 * projection the core computed (shared/projection/); this module only puts them into words,
 * following the same rules (DESIGN.md "Projection"), so an administrator can check them.
 */
import type { Connection, KeepaliveSettings, KernelClock } from '../../../shared/model';
import { keepaliveEnabled } from '../../../shared/projection/project';
import { RTO_MIN_MS, retransmitTimeoutMs } from '../../../shared/projection/retransmit';
import type { IdleRule } from '../../../shared/rules';
import type { KnownConnection } from '../../../shared/snapshot-delta';
import { formatClockTime, formatDurationWords, formatRelative, idleAt } from './time-format';

/** The kernel's keepalive values in words, for the settings panel. */
export interface SettingsExplanation {
  /** "A silent peer is detected 2 h 11 min after its last packet (7200 s idle, then 9 probes 75 s apart)." */
  detection: string;
  time: string;
  interval: string;
  probes: string;
  retries: string;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function explainSettings(s: KeepaliveSettings): SettingsExplanation {
  const detectMs = (s.keepaliveTimeSec + s.keepaliveProbes * s.keepaliveIntervalSec) * 1000;
  const giveUpMs = retransmitTimeoutMs(s.tcpRetries2);
  return {
    detection:
      `A silent peer is detected ${formatDurationWords(detectMs)} after its last packet ` +
      `(${s.keepaliveTimeSec} s idle, then ${plural(s.keepaliveProbes, 'probe')} ${s.keepaliveIntervalSec} s apart).`,
    time: `A connection with keepalive on gets its first probe after ${formatDurationWords(s.keepaliveTimeSec * 1000)} without a packet from the peer.`,
    interval: `An unanswered probe is repeated every ${formatDurationWords(s.keepaliveIntervalSec * 1000)}.`,
    probes: `After ${plural(s.keepaliveProbes, 'unanswered probe')} the kernel resets the connection (the application sees ETIMEDOUT).`,
    retries:
      `Data the peer does not acknowledge is retransmitted ${plural(s.tcpRetries2, 'time')} before the kernel gives up: ` +
      `about ${formatDurationWords(giveUpMs)} at the minimum retransmission timeout (${RTO_MIN_MS} ms), longer on slow paths.`,
  };
}

export function explainClock(clock: KernelClock): string {
  return clock.anchor
    ? `The kernel clock (HZ ${clock.hz}) is known, so projections name the moment each timer fires.`
    : `The kernel clock's phase is unknown (HZ ${clock.hz}), so each projection is a window the timer wheel can fire in. Run as root for exact times.`;
}

export interface ExplainContext {
  now: number;
  clock: KernelClock;
  settings: KeepaliveSettings;
  /** The rules in force, to name a rule's timeout; a rule renamed since the poll is simply not described. */
  rules: readonly IdleRule[];
}

function keepaliveValues(c: Connection): string {
  const e = c.effective;
  const source =
    e.source === 'socket' ? 'read from the socket' : "assumed from the system settings; run as root to read the socket's own";
  return `${e.timeSec} s / ${e.intervalSec} s × ${e.probes} (${source})`;
}

/** "in 5 min 48 s (14:03:21)" */
function when(at: number, now: number): string {
  return `${formatRelative(at, now)} (${formatClockTime(at, now)})`;
}

function explainRuleDrop(c: Connection, ctx: ExplainContext): string[] {
  const { now } = ctx;
  const at = c.dropAt!;
  const rule = ctx.rules.find((r) => r.name === c.dropBy);
  const timeout = rule ? ` after ${formatDurationWords(rule.idleTimeoutSec * 1000)}` : '';
  const name = c.dropBy ? `“${c.dropBy}”` : 'An idle-timeout rule';
  const overdue = at <= now;
  if (c.dropReason === 'middlebox') {
    const lines = [
      `${name} is a middlebox on the path that forgets a flow idle${timeout}. ` +
        (overdue
          ? `By that rule it forgot this one at ${formatClockTime(at, now)} (${formatRelative(at, now)}): the next packet either way is lost or answered with a reset.`
          : `It forgets this one ${when(at, now)}.`),
    ];
    if (c.atRisk) {
      lines.push(
        keepaliveEnabled(c)
          ? 'That is before the first keepalive probe, which would have kept the flow alive: a keepalive time below the middlebox timeout prevents it.'
          : 'Keepalive probes would keep the flow alive, but keepalive is off on this socket.',
      );
    } else {
      lines.push('The probes come too far apart to keep the flow alive: a keepalive interval below the middlebox timeout prevents it.');
    }
    return lines;
  }
  return [
    `${name} is the server application closing connections without data${timeout}. ` +
      (overdue
        ? `By that rule it closed this one at ${formatClockTime(at, now)}; the next poll should show it closing.`
        : `It closes this one ${when(at, now)}.`),
    'Keepalive probes carry no data, so they do not keep it open.',
  ];
}

function explainKeepaliveDrop(c: Connection, ctx: ExplainContext): string[] {
  const { now } = ctx;
  const e = c.effective;
  const lines: string[] = [];
  const dropAt = c.dropAt!;
  const userTimeout = c.dropReason === 'user-timeout';
  if (c.nextProbeAt !== null && c.nextProbeAt > now) {
    const after = userTimeout
      ? `once TCP_USER_TIMEOUT (${formatDurationWords(e.userTimeoutMs)}) has passed without an answer, ${when(dropAt, now)}`
      : `${formatDurationWords(e.probes * e.intervalSec * 1000)} after that (${formatClockTime(dropAt, now)})`;
    if (c.probesSent === 0) {
      lines.push(`The kernel sends the first probe ${when(c.nextProbeAt, now)} and, if none is answered, resets the connection ${after}.`);
    } else {
      lines.push(
        `${plural(c.probesSent, 'probe')} went unanswered so far. The next goes out ${when(c.nextProbeAt, now)}; ` +
          `if the peer stays silent the kernel resets the connection ${when(dropAt, now)}.`,
      );
    }
  } else if (dropAt > now) {
    lines.push(`If the peer stays silent the kernel resets the connection ${when(dropAt, now)}.`);
  } else {
    lines.push(
      `The projected reset (${formatClockTime(dropAt, now)}) has passed while the connection was still listed: the peer probably answered, which the next poll will show.`,
    );
  }
  const window = c.dropWindow;
  if (window && window[1] > window[0] && dropAt > now) {
    const [from, to] = [formatClockTime(window[0], now), formatClockTime(window[1], now)];
    if (from === to) {
      lines.push(`The timer wheel rounds each firing up, here by at most ${formatDurationWords(window[1] - window[0])}: the reset lands at ${formatClockTime(dropAt, now)}.`);
    } else if (ctx.clock.anchor) {
      lines.push(
        `The timer wheel rounds each firing up; with the kernel clock known, the reset lands at ${formatClockTime(dropAt, now)} (any clock phase would put it between ${from} and ${to}).`,
      );
    } else {
      lines.push(`The timer wheel rounds each firing up, so the reset lands between ${from} and ${to}.`);
    }
  }
  return lines;
}

function explainInFlight(c: Connection, ctx: ExplainContext): string[] {
  const { now } = ctx;
  const lines: string[] =
    c.timer === 'probe'
      ? [
          `The peer's receive window is closed; the kernel sends zero-window probes (${c.probesSent} so far) instead of keepalive probes.`,
        ]
      : [
          `${plural(c.sendQueue, 'byte')} sent are not acknowledged yet; the kernel has retransmitted ${plural(c.retransmits, 'time')}` +
            `${c.rtoMs !== null ? ` and now waits ${formatDurationWords(c.rtoMs)} between tries` : ''}. ` +
            'Keepalive does not probe while data is in flight: retransmission decides.',
        ];
  if (c.dropAt === null) {
    lines.push('No drop is projected.');
  } else if (c.dropReason === 'user-timeout') {
    lines.push(`TCP_USER_TIMEOUT (${formatDurationWords(c.effective.userTimeoutMs)}) ends it first: if nothing is acknowledged, the kernel gives up ${when(c.dropAt, now)}.`);
  } else {
    lines.push(`If nothing is acknowledged, the kernel gives up after tcp_retries2 = ${ctx.settings.tcpRetries2} retransmissions, ${when(c.dropAt, now)}.`);
  }
  return lines;
}

/** The explanation for one connection, one sentence group per entry. */
export function explainConnection(known: KnownConnection, ctx: ExplainContext): string[] {
  const c = known.connection;
  const { now } = ctx;
  if (c.state === 'LISTEN') return ['A listening socket has no peer: there is nothing to probe and nothing to drop.'];
  if (c.state === 'TIME_WAIT') {
    return [
      c.timerExpiresAt !== null
        ? `The connection is closed and waits out TIME_WAIT; the kernel forgets it ${when(c.timerExpiresAt, now)}.`
        : 'The connection is closed and waits out TIME_WAIT.',
    ];
  }
  if (c.timer === 'retransmit' || c.timer === 'probe') return explainInFlight(c, ctx);
  if (c.state !== 'ESTABLISHED' && c.state !== 'CLOSE_WAIT') {
    return [`In ${c.state} the kernel sends no keepalive probes, and Idlewatch projects no drop.`];
  }

  const lines: string[] = [];
  const keepalive = keepaliveEnabled(c);
  let first = keepalive
    ? `Keepalive is on with ${keepaliveValues(c)}.`
    : 'Keepalive is off: the kernel never probes this connection, so it does not notice a silent peer until the application sends something.';
  if (keepalive && c.effective.userTimeoutMs > 0) first += ` TCP_USER_TIMEOUT is ${formatDurationWords(c.effective.userTimeoutMs)}.`;
  const idle = idleAt(known, now);
  if (idle === null) first += ' How long the peer has been silent is unknown.';
  else if (idle < 1000) first += ' The peer was heard from less than a second ago.';
  else first += ` No packet from the peer for ${formatDurationWords(Math.floor(idle / 1000) * 1000)}.`;
  lines.push(first);

  if (c.dropReason === 'middlebox' || c.dropReason === 'application') {
    if (keepalive && c.nextProbeAt !== null && c.nextProbeAt > now) {
      lines.push(`The kernel's next probe goes out ${when(c.nextProbeAt, now)}.`);
    }
    lines.push(...explainRuleDrop(c, ctx));
  } else if (c.dropReason === 'keepalive' || c.dropReason === 'user-timeout') {
    lines.push(...explainKeepaliveDrop(c, ctx));
  } else {
    lines.push(
      keepalive
        ? 'No drop is projected.'
        : 'Nothing on this host will drop it. If a NAT, load balancer or the server closes idle connections, add a rule for it to see when.',
    );
  }
  return lines;
}

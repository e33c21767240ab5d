/**
 * "Why the projection says what it says", in plain sentences, for the UI, the CLI and reports.
 * The numbers come from the projection the core computed (./projection/); this module only puts
 * them into words, following the same rules (DESIGN.md "Projection"), so an administrator can
 * check them. Settings are named in each OS's own terms.
 */
import { printable } from './format';
import { ruleLabel } from './labels';
import type { Clock, Connection, DarwinSettings, KeepaliveSettings, LinuxSettings, Precision, Win32Settings } from './model';
import { RTO_MIN_MS, tcpModelTimeoutMs } from './projection/linux/retransmit';
import { keepaliveEnabled } from './projection/project';
import type { IdleRule } from './rules';
import { keepaliveBasis, silentPeerDropMs } from './settings';
import type { KnownConnection } from './snapshot-delta';
import { formatClockTime, formatDurationWords, formatRelative, idleAt } from './time-format';

/** One keepalive setting: its name where it is set, its value in that setting's unit, what it does. */
export interface SettingExplanation {
  /** "tcp_keepalive_time", "net.inet.tcp.keepidle", "KeepAliveTime". */
  name: string;
  /** "7200 s", "7,200,000 ms", "on". */
  value: string;
  meaning: string;
}

/** The system's keepalive settings in words, for the settings panel. */
export interface SettingsExplanation {
  /** "A silent peer is detected 2 h 11 min after its last packet (7200 s idle, then 9 probes 75 s apart)." */
  detection: string;
  settings: SettingExplanation[];
  /** Where they apply and how a program overrides them. */
  scope: string;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A duration in whole seconds when it is one ("75 s"), else in ms ("1500 ms"). */
const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);
const millis = (ms: number) => `${ms.toLocaleString('en-US')} ms`;

const timeMeaning = (ms: number) =>
  `A connection with keepalive on gets its first probe after ${formatDurationWords(ms)} without a packet from the peer.`;
const intervalMeaning = (ms: number) => `An unanswered probe is repeated every ${formatDurationWords(ms)}.`;
const probesMeaning = (n: number) =>
  `After ${plural(n, 'unanswered probe')} the system resets the connection (the application sees ETIMEDOUT).`;

function linuxSettings(s: LinuxSettings): SettingExplanation[] {
  const giveUpMs = tcpModelTimeoutMs(s.retries2);
  return [
    { name: 'tcp_keepalive_time', value: `${s.timeSec} s`, meaning: timeMeaning(s.timeSec * 1000) },
    { name: 'tcp_keepalive_intvl', value: `${s.intervalSec} s`, meaning: intervalMeaning(s.intervalSec * 1000) },
    { name: 'tcp_keepalive_probes', value: String(s.probes), meaning: probesMeaning(s.probes) },
    {
      name: 'tcp_retries2',
      value: String(s.retries2),
      meaning:
        `Data the peer does not acknowledge is retransmitted ${plural(s.retries2, 'time')} before the kernel gives up: ` +
        `about ${formatDurationWords(giveUpMs)} at the minimum retransmission timeout (${RTO_MIN_MS} ms), longer on slow paths.`,
    },
  ];
}

function darwinSettings(s: DarwinSettings): SettingExplanation[] {
  return [
    { name: 'net.inet.tcp.keepidle', value: millis(s.keepIdleMs), meaning: timeMeaning(s.keepIdleMs) },
    { name: 'net.inet.tcp.keepintvl', value: millis(s.keepIntervalMs), meaning: intervalMeaning(s.keepIntervalMs) },
    { name: 'net.inet.tcp.keepcnt', value: String(s.keepCount), meaning: probesMeaning(s.keepCount) },
    {
      name: 'net.inet.tcp.always_keepalive',
      value: s.alwaysKeepalive ? 'on' : 'off',
      meaning: s.alwaysKeepalive
        ? 'Every TCP connection is probed, whether or not its program turned keepalive on.'
        : 'Only connections whose program turned keepalive on (SO_KEEPALIVE) are probed.',
    },
  ];
}

function win32Settings(s: Win32Settings): SettingExplanation[] {
  return [
    { name: 'KeepAliveTime', value: millis(s.keepAliveTimeMs), meaning: timeMeaning(s.keepAliveTimeMs) },
    { name: 'KeepAliveInterval', value: millis(s.keepAliveIntervalMs), meaning: intervalMeaning(s.keepAliveIntervalMs) },
    { name: 'Probes', value: `${s.probes} (fixed)`, meaning: `${probesMeaning(s.probes)} Windows fixes this number; it has no setting.` },
  ];
}

const SCOPE: Record<KeepaliveSettings['os'], string> = {
  linux:
    'These sysctls belong to one network namespace and apply only to sockets with keepalive on (SO_KEEPALIVE); a program ' +
    "may override them per socket (TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT): each connection's detail shows the values that govern it.",
  darwin:
    'These sysctls apply to every socket with keepalive on; a program may override them per socket (TCP_KEEPALIVE, ' +
    "TCP_KEEPINTVL, TCP_KEEPCNT): each connection's detail shows the values that govern it.",
  win32:
    'These values live in the registry (HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters) and apply to sockets ' +
    "with keepalive on; a program may override them per socket (SIO_KEEPALIVE_VALS, TCP_KEEPIDLE): each connection's detail shows the values that govern it.",
};

export function explainSettings(settings: KeepaliveSettings): SettingsExplanation {
  const b = keepaliveBasis(settings);
  return {
    detection:
      `A silent peer is detected ${formatDurationWords(silentPeerDropMs(settings))} after its last packet ` +
      `(${seconds(b.timeMs)} idle, then ${plural(b.probes, 'probe')} ${seconds(b.intervalMs)} apart).`,
    settings:
      settings.os === 'linux' ? linuxSettings(settings) : settings.os === 'darwin' ? darwinSettings(settings) : win32Settings(settings),
    scope: SCOPE[settings.os],
  };
}

/** What the timers' clock allows a projection to say, for the settings panel. */
export function explainClock(clock: Clock): { headline: string; text: string } {
  if (clock.kind === 'none') {
    return {
      headline: 'Modelled times.',
      text: 'This system shows no keepalive timers, so projections follow its documented keepalive algorithm from the last packet.',
    };
  }
  return clock.anchor
    ? { headline: 'Exact times.', text: `The kernel clock (HZ ${clock.hz}) is known, so projections name the moment each timer fires.` }
    : {
        headline: 'Windows, not moments.',
        text: `The kernel clock's phase is unknown (HZ ${clock.hz}), so each projection is a window the timer wheel can fire in. Run as root for exact times.`,
      };
}

/** How far one connection's projected times can be trusted, for its detail. */
export function explainPrecision(precision: Precision): string {
  switch (precision) {
    case 'exact':
      return 'Exact: the kernel clock is known, so these are the moments the timers fire.';
    case 'window':
      return "A window: the kernel clock's phase is unknown, so each timer fires somewhere in the span its timer wheel allows. Run as root for exact times.";
    case 'model':
      return 'Modelled: this system shows no timers, so the times follow its documented keepalive algorithm from the last packet.';
  }
}

export interface ExplainContext {
  now: number;
  settings: KeepaliveSettings;
  /** The rules in force, to name a rule's timeout; a rule renamed since the poll is simply not described. */
  rules: readonly IdleRule[];
}

function keepaliveValues(c: Connection, ctx: ExplainContext): string {
  const e = c.effective;
  const source =
    e.source === 'socket'
      ? 'read from the socket'
      : ctx.settings.os === 'linux'
        ? "assumed from the system settings; run as root to read the socket's own"
        : "assumed from the system settings; this system does not show a socket's own";
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
  const name = c.dropBy ? `“${ruleLabel({ name: c.dropBy })}”` : 'An idle-timeout rule';
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
    if (c.precision === 'model') {
      lines.push(`The reset follows the system's documented algorithm, not its timers: expect it between ${from} and ${to}.`);
    } else if (from === to) {
      lines.push(`The timer wheel rounds each firing up, here by at most ${formatDurationWords(window[1] - window[0])}: the reset lands at ${formatClockTime(dropAt, now)}.`);
    } else if (c.precision === 'exact') {
      lines.push(
        `The timer wheel rounds each firing up; with the kernel clock known, the reset lands at ${formatClockTime(dropAt, now)} (any clock phase would put it between ${from} and ${to}).`,
      );
    } else {
      lines.push(`The timer wheel rounds each firing up, so the reset lands between ${from} and ${to}.`);
    }
  }
  return lines;
}

/** "3 more retransmissions, the last at 12:00:07.368": what is still to come before the drop. */
function stillToCome(c: Connection, what: string, now: number): string {
  const left = c.probesAt.filter((at) => at >= now);
  if (left.length === 0) return `no ${what} is left: the timer's next firing`;
  return `${plural(left.length, `more ${what}`, `more ${what}s`)}, the last ${when(left.at(-1)!, now)}, then the timer's next firing`;
}

/** The window a drop of unacknowledged data may land in, when the projection gives one. */
function unackedWindow(c: Connection, now: number): string[] {
  const window = c.dropWindow;
  if (!window || window[1] <= window[0] || c.dropAt === null || c.dropAt <= now) return [];
  return [
    `The timer wheel rounds each firing up, and the moment the kernel counts from is not known to the jiffy: the drop may land between ${formatClockTime(window[0], now)} and ${formatClockTime(window[1], now)}.`,
  ];
}

/**
 * Data in flight (the retransmission timer) or a closed receive window (the zero-window probe
 * timer): which timer, how many sends are left, when the last goes out, and when the kernel gives up.
 */
function explainInFlight(c: Connection, ctx: ExplainContext): string[] {
  const { now } = ctx;
  const linux = ctx.settings.os === 'linux' ? ctx.settings : null;
  const userTimeoutMs = c.effective.userTimeoutMs;
  const zeroWindow = c.timer === 'probe';
  const lines: string[] = zeroWindow
    ? [
        `The peer's receive window is closed: the zero-window probe timer probes it (${plural(c.probesSent, 'probe')} unanswered so far) instead of keepalive. ` +
          'While the peer answers, the connection stays open however long its window stays shut.',
      ]
    : [
        `${plural(c.sendQueue, 'byte')} sent are not acknowledged yet; the retransmission timer has resent them ${plural(c.retransmits, 'time')}` +
          `${c.rtoMs !== null ? ` and now waits ${formatDurationWords(c.rtoMs)} between tries, doubling each time` : ''}. ` +
          'Keepalive does not probe while data is in flight: retransmission decides.',
      ];
  if (c.dropAt === null) {
    lines.push('No drop is projected.');
    return lines;
  }
  const what = zeroWindow ? 'probe' : 'retransmission';
  const ends = `${stillToCome(c, what, now)} resets the connection ${when(c.dropAt, now)}`;
  if (c.dropAt <= now) {
    lines.push(`The projected reset (${formatClockTime(c.dropAt, now)}) has passed while the connection was still listed: the peer probably answered, which the next poll will show.`);
  } else if (c.dropReason === 'user-timeout') {
    const since = zeroWindow ? 'the first probe' : 'when the data was first sent';
    lines.push(
      `TCP_USER_TIMEOUT (${formatDurationWords(userTimeoutMs)}) ends it first, counted from ${since}${zeroWindow ? '' : ' (it replaces tcp_retries2)'}: if nothing is acknowledged, ${ends}.`,
    );
  } else if (zeroWindow) {
    const limit = linux ? `tcp_retries2 = ${linux.retries2} unanswered probes` : 'its limit of unanswered probes';
    lines.push(`If the peer falls silent the kernel gives up after ${limit}: ${ends}.`);
  } else if (linux) {
    lines.push(
      `If nothing is acknowledged, the kernel gives up once the time tcp_retries2 = ${linux.retries2} retransmissions take from the minimum timeout ` +
        `(${formatDurationWords(tcpModelTimeoutMs(linux.retries2))}) has passed since the data was first sent: ${ends}.`,
    );
  } else {
    lines.push(`If nothing is acknowledged, the kernel gives up after its limit of retransmissions, ${when(c.dropAt, now)}.`);
  }
  lines.push(...unackedWindow(c, now));
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
    ? `Keepalive is on with ${keepaliveValues(c, ctx)}.`
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

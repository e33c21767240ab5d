/**
 * How a connection's fields are named to a person — one implementation for the table, the
 * detail pane, the CLI and reports. Every name that comes from outside (process, user, rule) is
 * made printable here (shared/format.ts).
 */
import { printable } from './format';
import { KEEPALIVE_STATES, type Connection } from './model';

/** The process as shown: its command, made safe to print (a process may name itself anything). */
export function processLabel(c: Pick<Connection, 'process'>): string | null {
  return c.process === null ? null : printable(c.process);
}

/** "101/psql"; "?" for a socket whose owner is hidden (another user's, without root); "" for one nobody owns (TIME_WAIT). */
export function pidProcessLabel(c: Pick<Connection, 'pid' | 'process' | 'inode'>): string {
  if (c.pid === null) return c.inode === null ? '' : '?';
  return `${c.pid}/${processLabel(c) ?? '?'}`;
}

/** The owner's name, else "uid N"; null for sockets nobody owns. */
export function userLabel(c: Pick<Connection, 'user' | 'uid'>): string | null {
  if (c.user !== null) return printable(c.user);
  return c.uid === null ? null : `uid ${c.uid}`;
}

/** Who drops the connection, as the table names it: the rule's name, or the kernel mechanism. */
export function dropByLabel(c: Pick<Connection, 'dropReason' | 'dropBy'>): string | null {
  switch (c.dropReason) {
    case null:
      return null;
    case 'middlebox':
    case 'application':
      return c.dropBy === null ? c.dropReason : ruleLabel({ name: c.dropBy });
    case 'user-timeout':
      return 'user timeout';
    default:
      return c.dropReason;
  }
}

/**
 * "on" (read, or inferred from an armed keepalive timer as keepaliveEnabled does), "off", "?"
 * when neither the socket nor its timer tells, and "" where it was not read and would mean
 * nothing: a socket the kernel never probes (LISTEN, TIME_WAIT, SYN_SENT…).
 */
export function keepaliveLabel(c: Pick<Connection, 'keepalive' | 'timer' | 'state'>): string {
  if (c.keepalive !== null) return c.keepalive ? 'on' : 'off';
  if (c.timer === 'keepalive') return 'on';
  return KEEPALIVE_STATES.has(c.state) ? '?' : '';
}

/**
 * A rule's name as shown (the list, the table, the detail pane, the timeline, the CLI). The
 * schema refuses control characters in rule names, so what the rules form made visible
 * ("\u202eNAT" typed or pasted) is shown as typed, not escaped a second time; anything
 * unprintable that reached it anyway is still escaped.
 */
export function ruleLabel(rule: { name: string }): string {
  return visibleControls(rule.name);
}

/**
 * Text a person edits (a filter, a rule's name) with its unprintable characters made visible as
 * printable() makes them, but its backslashes left as typed: "\u202eevil" pasted into the filter
 * shows, and matches, as the table shows it.
 */
export function visibleControls(text: string): string {
  return text.includes('\\') ? text.split('\\').map(printable).join('\\') : printable(text);
}

/** Whether text holds characters printable() would escape (other than a backslash). */
export function hasControls(text: string): boolean {
  return visibleControls(text) !== text;
}

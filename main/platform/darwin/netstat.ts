/**
 * `netstat -anv -p tcp` on macOS, parsed by its header (STYLE.md point 5): the columns changed
 * between releases (netstat.tproj/inet.c in apple-oss-distributions/network_cmds) — older ones
 * print `rhiwat shiwat pid epid state options`, current ones `rxbytes txbytes rhiwat shiwat
 * process:pid state options gencnt flags flags1 usecnt rtncnt fltrs`, where the process name
 * may hold spaces and is cut to the kernel's short name. Pure: text in, rows out.
 */
import type { TcpState } from '../../../shared/model';

/** XNU's tcpstates[] (bsd/netinet/tcp_fsm.h) → the shared enum, right here at the adapter (STYLE.md point 4). */
const STATES: Readonly<Record<string, TcpState>> = {
  CLOSED: 'CLOSE',
  LISTEN: 'LISTEN',
  SYN_SENT: 'SYN_SENT',
  SYN_RCVD: 'SYN_RECV',
  ESTABLISHED: 'ESTABLISHED',
  CLOSE_WAIT: 'CLOSE_WAIT',
  FIN_WAIT_1: 'FIN_WAIT1',
  CLOSING: 'CLOSING',
  LAST_ACK: 'LAST_ACK',
  FIN_WAIT_2: 'FIN_WAIT2',
  TIME_WAIT: 'TIME_WAIT',
};

/**
 * The longest name the kernel keeps for a process (MAXCOMLEN, 16): a `process:pid` name this
 * long may have been cut, and ps completes it.
 */
export const SHORT_NAME_MAX = 16;

/** bsd/sys/socket.h */
const SO_KEEPALIVE = 0x0008;

export interface NetstatRow {
  proto: 'tcp4' | 'tcp6' | 'tcp46';
  family: 'ipv4' | 'ipv6';
  state: TcpState;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  recvQueue: number;
  sendQueue: number;
  /** Bytes received and sent over the socket's life; null in layouts without them. */
  rxBytes: number | null;
  txBytes: number | null;
  pid: number | null;
  /** The name netstat shows (current layout only); null when it shows none. */
  process: string | null;
  /** The name may have been cut to the kernel's short name: ps should complete it. */
  processTruncated: boolean;
  /**
   * SO_KEEPALIVE from the `options` column (the socket's so_options in hex; SO_KEEPALIVE is
   * 0x0008 in bsd/sys/socket.h); null when the column is absent or unreadable.
   */
  keepalive: boolean | null;
}

export interface NetstatParse {
  rows: NetstatRow[];
  /** Socket lines that could not be read (cut short, unknown state, bad address). */
  malformedLines: number;
  /** Which header was seen: 'current' (process:pid), 'older' (pid epid), or null when none. */
  layout: 'current' | 'older' | null;
}

const HEADER_START = /^Proto\s+Recv-Q\s+Send-Q\s+/;

/** The header's column names; the two-word address columns become one name each. */
function headerColumns(line: string): string[] {
  return line
    .replace('Local Address', 'Local-Address')
    .replace('Foreign Address', 'Foreign-Address')
    .trim()
    .split(/\s+/);
}

const DIGITS = /^\d+$/;
const num = (text: string | undefined): number | null => (text !== undefined && DIGITS.test(text) ? Number(text) : null);

/**
 * `a.b.c.d.port`, `v6addr.port` (`fe80::1%en0.49152`), `*.port`, `*.*`: the port is after the
 * last dot. A wildcard address becomes the family's any-address so that rows compare as on Linux.
 */
function parseEndpoint(text: string, proto: NetstatRow['proto']): { address: string; port: number; family: 'ipv4' | 'ipv6' } | null {
  const dot = text.lastIndexOf('.');
  if (dot <= 0) return null;
  const host = text.slice(0, dot);
  const portText = text.slice(dot + 1);
  const port = portText === '*' ? 0 : num(portText);
  if (port === null || port > 65535) return null;
  if (host === '*') {
    const family = proto === 'tcp4' ? 'ipv4' : 'ipv6';
    return { address: family === 'ipv4' ? '0.0.0.0' : '::', port, family };
  }
  if (host.includes(':')) {
    if (!/^[0-9a-fA-F:.]+(%[\w.]+)?$/.test(host)) return null;
    return { address: host, port, family: 'ipv6' };
  }
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return null;
  return { address: host, port, family: 'ipv4' };
}

/** `Google Chrome H:1234` → name and pid; the name is everything before the last colon. */
function parseProcessPid(text: string): { process: string | null; pid: number | null } | null {
  const colon = text.lastIndexOf(':');
  if (colon < 0) return null;
  const pid = num(text.slice(colon + 1));
  if (pid === null) return null;
  const name = text.slice(0, colon);
  return { process: name.length ? name : null, pid };
}

interface Layout {
  columns: string[];
  /** Index of `process:pid` (current layout), the one column whose value may hold spaces. */
  spaced: number;
}

function parseRow(line: string, layout: Layout): NetstatRow | null {
  const tokens = line.trim().split(/\s+/);
  const { columns, spaced } = layout;
  let values: string[];
  if (spaced < 0) {
    if (tokens.length !== columns.length) return null;
    values = tokens;
  } else {
    const after = columns.length - spaced - 1;
    if (tokens.length < columns.length) return null;
    values = [...tokens.slice(0, spaced), tokens.slice(spaced, tokens.length - after).join(' '), ...tokens.slice(tokens.length - after)];
  }
  const get = (name: string) => {
    const i = columns.indexOf(name);
    return i < 0 ? undefined : values[i];
  };
  const proto = get('Proto');
  if (proto !== 'tcp4' && proto !== 'tcp6' && proto !== 'tcp46') return null;
  const state = STATES[get('(state)') ?? ''];
  const local = parseEndpoint(get('Local-Address') ?? '', proto);
  const remote = parseEndpoint(get('Foreign-Address') ?? '', proto);
  const recvQueue = num(get('Recv-Q'));
  const sendQueue = num(get('Send-Q'));
  if (!state || !local || !remote || recvQueue === null || sendQueue === null) return null;
  // A tcp46 socket's family follows its address form: `*.443` is the dual-stack listener.
  const family = proto === 'tcp4' ? 'ipv4' : proto === 'tcp6' ? 'ipv6' : local.family;
  const rxText = get('rxbytes');
  const txText = get('txbytes');
  const rxBytes = num(rxText);
  const txBytes = num(txText);
  if ((rxText !== undefined && rxBytes === null) || (txText !== undefined && txBytes === null)) return null;
  let pid: number | null = null;
  let process: string | null = null;
  if (spaced >= 0) {
    const owner = parseProcessPid(values[spaced]!);
    if (!owner) return null;
    ({ pid, process } = owner);
  } else {
    pid = num(get('pid'));
  }
  if (pid === 0) pid = null;
  const optionsText = get('options');
  const options = optionsText !== undefined && /^(0x)?[0-9a-fA-F]{1,8}$/.test(optionsText) ? parseInt(optionsText, 16) : null;
  return {
    proto,
    family,
    state,
    localAddress: local.address,
    localPort: local.port,
    remoteAddress: remote.address,
    remotePort: remote.port,
    recvQueue,
    sendQueue,
    rxBytes,
    txBytes,
    pid,
    process,
    processTruncated: process !== null && process.length >= SHORT_NAME_MAX - 1,
    keepalive: options === null ? null : (options & SO_KEEPALIVE) !== 0,
  };
}

export function parseNetstatDarwin(text: string): NetstatParse {
  const rows: NetstatRow[] = [];
  let malformedLines = 0;
  let layout: Layout | null = null;
  let layoutName: NetstatParse['layout'] = null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (!line.trim() || line.startsWith('Active ')) continue;
    if (HEADER_START.test(line)) {
      const columns = headerColumns(line);
      const spaced = columns.indexOf('process:pid');
      layout = { columns, spaced };
      layoutName = spaced >= 0 ? 'current' : columns.includes('pid') ? 'older' : null;
      continue;
    }
    const row = layout ? parseRow(line, layout) : null;
    if (row) rows.push(row);
    else malformedLines++;
  }
  return { rows, malformedLines, layout: layoutName };
}

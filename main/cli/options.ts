import { isIP } from 'node:net';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { ReportFormat } from '../../shared/api/schemas';
import { NO_FILTER, type FilterSpec } from '../../shared/connection-filter';
import { printable } from '../../shared/format';
import { TCP_STATES, type TcpState } from '../../shared/model';
import { parseProfileSpec, PRESETS, PROFILE_LIMITS } from '../../shared/profiles';
import { everyConnectionRule, type IdleRule } from '../../shared/rules';
import { parseDurationInput } from '../../shared/time-format';

/** A mistake in how the command was called: printed with the usage hint, exit code 2. */
export class UsageError extends Error {}

export interface SnapshotCommand {
  command: 'snapshot';
  json: boolean;
  middleboxIdleSec: number | null;
  idleMinSec: number | undefined;
  state: TcpState | undefined;
  /** --netns: a namespace as typed (id, pid or ip netns name; main/cli/netns.ts resolves it); null = the current one. */
  netns: string | null;
  /** --all-namespaces: every namespace in use, with a NETNS column. */
  allNamespaces: boolean;
}

/** `idlewatch namespaces`: every network namespace with its settings beside the host's. */
export interface NamespacesCommand {
  command: 'namespaces';
  json: boolean;
  /** What AT RISK counts against: one middlebox in front of every connection. */
  middleboxIdleSec: number | null;
}

export interface ServeCommand {
  /** `start` runs the desktop app and falls back to serving when it cannot. */
  command: 'serve' | 'start';
  host: string;
  port: number;
  /** Browser mode may call privileged methods (apply keepalive settings as root). */
  allowApply: boolean;
}

/** `idlewatch profiles` and `idlewatch history`. */
export interface ListCommand {
  command: 'profiles' | 'history';
  json: boolean;
}

export interface ApplyCommand {
  command: 'apply';
  /** A profile id (`server`, `custom:db`) or values (`600/60/5`, already range-checked here). */
  profile: string;
  persist: boolean;
  dryRun: boolean;
  /** Do not ask, even in a terminal. */
  yes: boolean;
  /** --netns as typed; null = the current namespace. */
  netns: string | null;
}

export interface ReportCommand {
  command: 'report';
  format: ReportFormat;
  /** Where to write; null = stdout (text formats only). */
  out: string | null;
  middleboxIdleSec: number | null;
  idleMinSec: number | undefined;
  state: TcpState | undefined;
  /** A recording to report a post-mortem of, instead of a snapshot taken now. */
  from: string | null;
  /** --netns as typed; null = the current namespace. */
  netns: string | null;
}

export interface RecordCommand {
  command: 'record';
  out: string;
  intervalMs: number;
  /** null: until interrupted. */
  durationMs: number | null;
  middleboxIdleSec: number | null;
  /** --netns as typed; null = the current namespace. */
  netns: string | null;
}

export type Command =
  | SnapshotCommand
  | NamespacesCommand
  | ServeCommand
  | ListCommand
  | ApplyCommand
  | ReportCommand
  | RecordCommand
  | { command: 'undo' }
  | { command: 'help' }
  /** `idlewatch --version`: "Idlewatch 0.1.0". */
  | { command: 'version' };

/**
 * The contract's REPORT_FORMATS (shared/api/schemas.ts), spelled out here because that module
 * loads zod, which `idlewatch snapshot` must not pay for; a unit test keeps the two equal.
 */
export const REPORT_FORMAT_NAMES = ['csv', 'json', 'html', 'pdf'] as const satisfies readonly ReportFormat[];

/** One year: longer than any middlebox keeps idle state, and small enough to stay exact. */
const MAX_IDLE_SEC = 31_536_000;
const RECORD_INTERVAL_SEC = { min: 1, max: 60, default: 2 } as const;

const limits = (field: keyof typeof PROFILE_LIMITS) => `${PROFILE_LIMITS[field].min}-${PROFILE_LIMITS[field].max}`;

export const USAGE = `Usage: idlewatch <command> [options]

Commands:
  snapshot               Print every TCP connection with its keepalive projection
  namespaces             Every network namespace in use (containers, ip netns), its keepalive
                         settings next to the host's, its sockets, idle and at-risk connections
  serve                  Serve the app to a browser (for headless servers), on loopback with a token
  start                  Open the desktop app; without Electron or a display, serve instead
  profiles               Keepalive profiles, the values in force now and after the next boot
  apply PROFILE          Apply a keepalive profile: a preset, a saved custom:NAME, or
                         TIME/INTERVAL/PROBES in seconds such as 600/60/5
                         (time ${limits('timeSec')}, interval ${limits('intervalSec')}, probes ${limits('probes')}).
                         Presets: ${PRESETS.map((p) => p.id).join(', ')}
  undo                   Restore what was in force before the last apply
  history                Every apply and undo: when, who, before, after, result
  report                 A report of the connections as CSV, JSON, HTML or PDF
  record                 Record what the connections do, to report later why they ended
  help                   Show this help
  --version              Print the name and version

Options for snapshot:
  --json                 One JSON document (schema idlewatch.snapshot/2) instead of a table
  --middlebox-idle SEC   A NAT / load balancer on the path forgets idle flows after SEC seconds
  --idle-min SEC         Only connections idle for at least SEC seconds
  --state STATE          Only connections in STATE (e.g. ESTABLISHED, TIME_WAIT)
  --netns NS             Read another network namespace: its id (the inode \`idlewatch
                         namespaces\` shows), the pid of a process in it, or its ip netns name
  --all-namespaces       Every network namespace in use, with a NETNS column (root)

Options for namespaces:
  --json                 One JSON array, one object per namespace, instead of a table
  --middlebox-idle SEC   As for snapshot: AT RISK counts the connections it drops first

Options for report:
  --format FORMAT        csv, json, html or pdf (required). PDF is printed by a local Chromium
                         or Google Chrome and needs --out.
  --out FILE             Write to FILE instead of standard output
  --idle-min SEC         Only connections idle for at least SEC seconds
  --state STATE          Only connections in STATE
  --middlebox-idle SEC   As for snapshot
  --from RECORDING       A post-mortem of a recording (made by \`idlewatch record\`): which
                         connections ended while it ran, and why
  --netns NS             As for snapshot

Options for record:
  --out FILE             The recording to write (required)
  --interval SEC         Seconds between polls, ${RECORD_INTERVAL_SEC.min}-${RECORD_INTERVAL_SEC.max} (default ${RECORD_INTERVAL_SEC.default})
  --duration TIME        Stop after TIME: 90s, 10m, 2h or plain seconds (default: until Ctrl-C)
  --middlebox-idle SEC   As for snapshot
  --netns NS             As for snapshot

Options for serve and start:
  --port N               Port to listen on (default 8787; 0 picks a free one)
  --host ADDRESS         Address to bind (default 127.0.0.1). Anything but loopback exposes
                         the app to the network; the token is still required.
  --allow-apply          Let the browser apply keepalive settings (privileged methods);
                         without it browser mode can watch and steer polling only.

Options for profiles and history:
  --json                 One JSON document instead of text

Options for apply:
  --persist              Also write the values for the next boot (the default)
  --no-persist           Change the running values only
  --dry-run              Show the changes and what they do to the open connections; change nothing
  --yes                  Do not ask for confirmation (it is asked only in a terminal)
  --netns NS             Apply to another network namespace (as for snapshot), at run time only:
                         a container keeps its settings through its engine's sysctl option

apply and undo change the system: as root they run at once, otherwise through pkexec
(polkit asks for authorization). Exit status: 0 done, 1 failed or refused (nothing
changed), 2 bad usage.
`;

/** A whole number of seconds within [min, max]; anything else is a UsageError naming the option. */
function seconds(option: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${option} expects a whole number of seconds, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`--${option} must be between ${min} and ${max} seconds, got ${n}`);
  return n;
}

function tcpState(value: string | undefined): TcpState | undefined {
  if (value === undefined) return undefined;
  const upper = value.toUpperCase().replace(/-/g, '_');
  const state = TCP_STATES.find((s) => s === upper);
  if (!state) throw new UsageError(`--state must be one of ${TCP_STATES.join(', ')}; got "${value}"`);
  return state;
}

/**
 * --netns as typed: digits (a namespace id or a pid) or an ip netns name; main/cli/netns.ts
 * resolves it. Anything else could not name a namespace and is refused before anything is read.
 */
function netnsOption(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(value) || value === '.' || value === '..') {
    throw new UsageError(`--netns expects a namespace id, a pid or an ip netns name, got "${printable(value.slice(0, 40))}"`);
  }
  return value;
}

/** An IP address or "localhost": a host name could resolve anywhere. */
function bindAddress(value: string | undefined): string {
  if (value === undefined) return '127.0.0.1';
  if (value === 'localhost' || isIP(value) !== 0) return value;
  throw new UsageError(`--host expects an IP address such as 127.0.0.1 or ::1, got "${value}"`);
}

/** parseArgs, strict, with its complaints turned into usage errors. */
function strictArgs<const O extends ParseArgsConfig['options']>(args: string[], options: O) {
  try {
    return parseArgs({ args, strict: true, allowPositionals: false, options }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function parseServe(command: 'serve' | 'start', rest: string[]): ServeCommand {
  const values = strictArgs(rest, { port: { type: 'string' }, host: { type: 'string' }, 'allow-apply': { type: 'boolean', default: false } });
  const port = values.port === undefined ? 8787 : Number(values.port);
  if (values.port !== undefined && (!/^\d+$/.test(values.port) || port > 65535)) {
    throw new UsageError(`--port expects a port number from 0 to 65535, got "${values.port}"`);
  }
  return { command, host: bindAddress(values.host), port, allowApply: values['allow-apply'] ?? false };
}

/** A profile as typed: values are range-checked here (naming the field and its range); an id is looked up by the core. */
function profileArgument(text: string): string {
  if (/^\d/.test(text)) {
    const spec = parseProfileSpec(text);
    if (!spec.ok) throw new UsageError(`PROFILE: ${spec.error}`);
    return text;
  }
  if (!/^[a-z0-9][a-z0-9:-]{0,63}$/.test(text)) {
    throw new UsageError(`PROFILE "${text.slice(0, 40)}" is neither a profile name (such as server or custom:db) nor TIME/INTERVAL/PROBES such as 600/60/5`);
  }
  return text;
}

function parseApply(rest: string[]): ApplyCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      strict: true,
      allowPositionals: true,
      options: {
        persist: { type: 'boolean' },
        'no-persist': { type: 'boolean' },
        'dry-run': { type: 'boolean', default: false },
        yes: { type: 'boolean', default: false },
        netns: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length === 0) throw new UsageError('apply needs a PROFILE: a preset such as server, custom:NAME, or TIME/INTERVAL/PROBES such as 600/60/5');
  if (positionals.length > 1) throw new UsageError(`apply takes one PROFILE, got ${positionals.length}: ${positionals.map((p) => `"${p.slice(0, 20)}"`).join(' ')}`);
  if (values.persist && values['no-persist']) throw new UsageError('--persist and --no-persist contradict each other: give one');
  // Another namespace (a container's) has no sysctl files of its own: apply --netns is runtime
  // only, and the command prints the container engine's lines that persist it instead.
  if (values.persist && values.netns !== undefined) {
    throw new UsageError("--persist cannot be used with --netns: another network namespace is applied at run time only (its container engine's sysctl option persists it; apply --netns prints the lines)");
  }
  return {
    command: 'apply',
    profile: profileArgument(positionals[0]!),
    persist: !values['no-persist'],
    dryRun: values['dry-run'] ?? false,
    yes: values.yes ?? false,
    netns: netnsOption(values.netns),
  };
}

/** --out FILE / --from FILE: a path, given. */
function path(option: string, value: string | undefined): string | null {
  if (value === undefined) return null;
  if (value.trim() === '') throw new UsageError(`--${option} expects a file name, got an empty one`);
  return value;
}

function parseReport(rest: string[]): ReportCommand {
  const values = strictArgs(rest, {
    format: { type: 'string' },
    out: { type: 'string' },
    'middlebox-idle': { type: 'string' },
    'idle-min': { type: 'string' },
    state: { type: 'string' },
    from: { type: 'string' },
    netns: { type: 'string' },
  });
  if (values.format === undefined) throw new UsageError(`report needs --format: one of ${REPORT_FORMAT_NAMES.join(', ')}`);
  const format = REPORT_FORMAT_NAMES.find((f) => f === values.format!.toLowerCase());
  if (!format) throw new UsageError(`--format must be one of ${REPORT_FORMAT_NAMES.join(', ')}; got "${values.format.slice(0, 40)}"`);
  const out = path('out', values.out);
  if (format === 'pdf' && out === null) throw new UsageError('--format pdf writes a binary file: give --out FILE');
  const from = path('from', values.from);
  if (from !== null && values['middlebox-idle'] !== undefined) {
    throw new UsageError('--middlebox-idle describes a live snapshot; a post-mortem (--from) uses the rules the recording was made with');
  }
  if (from !== null && values.netns !== undefined) {
    throw new UsageError('--netns chooses what a live snapshot reads; a post-mortem (--from) reports the namespace the recording was made in');
  }
  return {
    command: 'report',
    format,
    out,
    middleboxIdleSec: seconds('middlebox-idle', values['middlebox-idle'], 1, MAX_IDLE_SEC) ?? null,
    idleMinSec: seconds('idle-min', values['idle-min'], 0, MAX_IDLE_SEC),
    state: tcpState(values.state),
    from,
    netns: netnsOption(values.netns),
  };
}

/** A duration as typed ("90s", "10m", "2h", "1h30m" or seconds), at least a second and at most a year. */
function duration(option: string, value: string | undefined): number | null {
  if (value === undefined) return null;
  const sec = parseDurationInput(value);
  if (sec === null || Number.isNaN(sec)) throw new UsageError(`--${option} expects a duration such as 90s, 10m, 2h or plain seconds, got "${value.slice(0, 40)}"`);
  if (sec < 1 || sec > MAX_IDLE_SEC) throw new UsageError(`--${option} must be between 1 second and ${MAX_IDLE_SEC} seconds (a year), got ${sec}`);
  return Math.round(sec * 1000);
}

function parseRecord(rest: string[]): RecordCommand {
  const values = strictArgs(rest, {
    out: { type: 'string' },
    interval: { type: 'string' },
    duration: { type: 'string' },
    'middlebox-idle': { type: 'string' },
    netns: { type: 'string' },
  });
  const out = path('out', values.out);
  if (out === null) throw new UsageError('record needs --out FILE: where to write the recording');
  const intervalSec = seconds('interval', values.interval, RECORD_INTERVAL_SEC.min, RECORD_INTERVAL_SEC.max) ?? RECORD_INTERVAL_SEC.default;
  return {
    command: 'record',
    out,
    intervalMs: intervalSec * 1000,
    durationMs: duration('duration', values.duration),
    middleboxIdleSec: seconds('middlebox-idle', values['middlebox-idle'], 1, MAX_IDLE_SEC) ?? null,
    netns: netnsOption(values.netns),
  };
}

/** The rules `--middlebox-idle SEC` stands for: one middlebox in front of every connection. */
export function middleboxRules(middleboxIdleSec: number | null): IdleRule[] {
  return middleboxIdleSec === null ? [] : [everyConnectionRule('middlebox', middleboxIdleSec, `middlebox ${middleboxIdleSec}s`)];
}

/** The filter `--state` and `--idle-min` stand for. */
export function commandFilter(cmd: { state: TcpState | undefined; idleMinSec: number | undefined }): FilterSpec {
  return { ...NO_FILTER, state: cmd.state ?? null, minIdleSec: cmd.idleMinSec ?? null };
}

export function parseCommand(argv: string[]): Command {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return { command: 'help' };
  if (command === '--version') {
    strictArgs(rest, {});
    return { command: 'version' };
  }
  if (command === 'serve' || command === 'start') return parseServe(command, rest);
  if (command === 'namespaces') {
    const values = strictArgs(rest, { json: { type: 'boolean', default: false }, 'middlebox-idle': { type: 'string' } });
    return { command, json: values.json ?? false, middleboxIdleSec: seconds('middlebox-idle', values['middlebox-idle'], 1, MAX_IDLE_SEC) ?? null };
  }
  if (command === 'profiles' || command === 'history') {
    return { command, json: strictArgs(rest, { json: { type: 'boolean', default: false } }).json ?? false };
  }
  if (command === 'apply') return parseApply(rest);
  if (command === 'undo') {
    strictArgs(rest, {});
    return { command: 'undo' };
  }
  if (command === 'report') return parseReport(rest);
  if (command === 'record') return parseRecord(rest);
  if (command !== 'snapshot') throw new UsageError(`unknown command "${command}"`);
  const values = strictArgs(rest, {
    json: { type: 'boolean', default: false },
    'middlebox-idle': { type: 'string' },
    'idle-min': { type: 'string' },
    state: { type: 'string' },
    netns: { type: 'string' },
    'all-namespaces': { type: 'boolean', default: false },
  });
  const allNamespaces = values['all-namespaces'] ?? false;
  if (allNamespaces && values.netns !== undefined) throw new UsageError('--netns reads one namespace and --all-namespaces every one: give one of them');
  return {
    command: 'snapshot',
    json: values.json ?? false,
    middleboxIdleSec: seconds('middlebox-idle', values['middlebox-idle'], 1, MAX_IDLE_SEC) ?? null,
    idleMinSec: seconds('idle-min', values['idle-min'], 0, MAX_IDLE_SEC),
    state: tcpState(values.state),
    netns: netnsOption(values.netns),
    allNamespaces,
  };
}

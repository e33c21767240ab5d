/**
 * The Windows adapter: sockets from Get-NetTCPConnection (netstat -ano when PowerShell fails),
 * settings from the registry, apply through UAC and a fixed helper. One network stack ('host'),
 * no timers, no idle times: projections are Microsoft's documented model (shared/projection/
 * win32/win32-projector.ts), each value marked where it comes from.
 */
import { arch, hostname, release } from 'node:os';
import type { HostInfo, HostNetwork, KeepaliveSettings, NetworkNamespace, SocketFacts, Win32Settings } from '../../../shared/model';
import { assertHostNamespace, HOST_NAMESPACE, nodeNetwork, oneStackReason } from '../single-stack';
import { ApiFailure } from '../../../shared/api/result';
import type { BootSettings } from '../../../shared/api/schemas';
import type {
  AdapterCapabilities,
  ApplyAvailability,
  ApplyOptions,
  KeepaliveChange,
  KeepaliveRecord,
  NamespaceRef,
  PlatformAdapter,
  SocketTable,
  Verification,
} from '../../../shared/platform-adapter';
import type { KeepaliveValues } from '../../../shared/profiles';
import { msToWholeSec, win32Projector } from '../../../shared/projection/win32/win32-projector';
import {
  ELEVATION_TIMEOUT_MS,
  NET_TCP_CONNECTION_SCRIPT,
  execRunner,
  netstatArgs,
  powershellArgs,
  win32Commands,
  type Runner,
  type Win32Commands,
} from './commands';
import { DEFAULT_HELPER_PATH, elevationArgs, elevationOutcome, isSafeHelperPath, toRegistryValues, WIN32_APPLY_NOTE } from './elevation';
import type { Win32Parse, Win32Row } from './endpoint';
import { idleBound } from './idle-estimator';
import { parseNetstatAno } from './netstat';
import { getProcessScript, parseGetProcessJson, ProcessNames } from './processes';
import { KEEPALIVE_VALUES, regQueryArgs, valueFromQuery, win32Settings, type KeepaliveValueName } from './registry';
import { parseNetTcpConnectionJson } from './tcp-connections';

/** Windows has one network stack: one namespace. */

const NAMESPACES_REASON = oneStackReason('Windows');

export interface Win32AdapterOptions {
  env?: NodeJS.ProcessEnv;
  /** Tests stand in for the commands; production runs them with execFile. */
  run?: Runner;
  /** The installed helper; tests may name another fixed path. */
  helperPath?: string;
  /** Epoch ms now; tests fix it. */
  now?: () => number;
}

/** Ids unique within one table: the tuple, with `#n` for a repeat (TIME_WAIT twins, a listener on two stacks). */
function assignIds(rows: Win32Row[]): string[] {
  const seen = new Map<string, number>();
  return rows.map((r) => {
    const base = `win32:${r.localAddress}:${r.localPort}>${r.remoteAddress}:${r.remotePort}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n === 0 ? base : `${base}#${n}`;
  });
}

export function toSocketFacts(row: Win32Row, id: string, processName: string | null, now: number): SocketFacts {
  const idle = idleBound(row.createdAt, now);
  return {
    id,
    netns: HOST_NAMESPACE.id,
    family: row.family,
    state: row.state,
    localAddress: row.localAddress,
    localPort: row.localPort,
    remoteAddress: row.remoteAddress,
    remotePort: row.remotePort,
    pid: row.pid,
    process: processName,
    uid: null,
    user: null,
    inode: null,
    sendQueue: 0,
    recvQueue: 0,
    timer: 'unknown',
    timerExpiresAt: null,
    probesSent: 0,
    retransmits: 0,
    rtoMs: null,
    backoff: 0,
    rtoRecoveryStartedAt: null,
    idleMs: idle.idleMs,
    idleProvenance: idle.idleProvenance,
    lastSendMs: null,
    lastDataMs: null,
    keepalive: null,
    socketKeepalive: null,
  };
}

export class Win32Adapter implements PlatformAdapter {
  readonly os = 'win32';
  readonly projector = win32Projector;
  private readonly commands: Win32Commands;
  private readonly run: Runner;
  private readonly helperPath: string;
  private readonly now: () => number;
  private readonly names = new ProcessNames();
  /** The values before this process's last apply, for undo (no history file on Windows yet). */
  private lastBefore: KeepaliveValues | null = null;

  constructor(options: Win32AdapterOptions = {}) {
    this.commands = win32Commands(options.env ?? process.env);
    this.run = options.run ?? execRunner;
    this.helperPath = options.helperPath ?? DEFAULT_HELPER_PATH;
    this.now = options.now ?? Date.now;
  }

  get capabilities(): AdapterCapabilities {
    return { perSocketOptions: false, timers: false, namespaces: false, namespacesReason: NAMESPACES_REASON, apply: this.applyAvailability().available };
  }

  async listNamespaces(): Promise<NetworkNamespace[]> {
    return [HOST_NAMESPACE];
  }

  async listSockets(ref: NamespaceRef = 'current'): Promise<SocketTable> {
    this.checkNamespace(ref);
    const warnings: string[] = [];
    const takenAt = this.now();
    const parsed = await this.readRows(warnings);
    const pids = parsed.rows.map((r) => r.pid);
    await this.nameNewPids(pids, warnings);
    this.names.keepOnly(pids);
    const ids = assignIds(parsed.rows);
    const sockets = parsed.rows.map((row, i) => toSocketFacts(row, ids[i]!, this.names.name(row.pid), takenAt));
    return {
      takenAt,
      namespace: HOST_NAMESPACE,
      clock: { kind: 'none' },
      sockets,
      diagnostics: {
        malformedLines: parsed.malformed,
        processesDenied: 0,
        processesUnscanned: 0,
        unattributedSockets: sockets.filter((s) => s.pid === null).length,
        processesScanned: 0,
        warnings,
      },
    };
  }

  /** Get-NetTCPConnection first; netstat -ano (both families) when PowerShell fails or prints no JSON. */
  private async readRows(warnings: string[]): Promise<Win32Parse> {
    const ps = await this.run(this.commands.powershell, powershellArgs(NET_TCP_CONNECTION_SCRIPT));
    if (ps.ok) {
      try {
        return parseNetTcpConnectionJson(ps.stdout);
      } catch {
        warnings.push('Get-NetTCPConnection printed no readable JSON; read netstat -ano instead.');
      }
    } else {
      warnings.push(`Get-NetTCPConnection failed (${ps.stderr.trim().split(/\r?\n/)[0] || `exit ${ps.exitCode}`}); read netstat -ano instead.`);
    }
    const rows: Win32Row[] = [];
    let malformed = 0;
    for (const family of ['ipv4', 'ipv6'] as const) {
      const out = await this.run(this.commands.netstat, netstatArgs(family));
      if (!out.ok) {
        if (family === 'ipv4') throw new ApiFailure('collector', `Reading the socket table failed: netstat -ano: ${out.stderr.trim() || `exit ${out.exitCode}`}`);
        warnings.push(`netstat -ano -p TCPv6 failed: ${out.stderr.trim() || `exit ${out.exitCode}`}`);
        continue;
      }
      const parsed = parseNetstatAno(out.stdout);
      rows.push(...parsed.rows);
      malformed += parsed.malformed;
    }
    return { rows, malformed };
  }

  private async nameNewPids(pids: (number | null)[], warnings: string[]): Promise<void> {
    const unknown = this.names.unknown(pids);
    if (unknown.length === 0) return;
    const out = await this.run(this.commands.powershell, powershellArgs(getProcessScript(unknown)));
    if (out.ok) this.names.learn(unknown, parseGetProcessJson(out.stdout));
    else warnings.push('Get-Process failed: process names are unknown for this poll.');
  }

  async readSettings(ref: NamespaceRef = 'current'): Promise<KeepaliveSettings> {
    this.checkNamespace(ref);
    return this.readRegistry();
  }

  private async readRegistry(): Promise<Win32Settings> {
    const read = async (name: KeepaliveValueName) => {
      const out = await this.run(this.commands.reg, regQueryArgs(name));
      try {
        return valueFromQuery(name, out.ok ? { ok: true, stdout: out.stdout } : { ok: false, exitCode: out.exitCode, stderr: out.stderr });
      } catch (error) {
        throw new ApiFailure('collector', (error as Error).message);
      }
    };
    const time = await read(KEEPALIVE_VALUES.keepAliveTimeMs);
    const interval = await read(KEEPALIVE_VALUES.keepAliveIntervalMs);
    return win32Settings(time, interval);
  }

  async describeHost(): Promise<HostInfo> {
    return { hostname: hostname(), os: 'win32', distro: null, kernel: release(), arch: arch(), network: null };
  }

  async describeNetwork(): Promise<HostNetwork> {
    return nodeNetwork();
  }

  async verifySettings(expected: KeepaliveSettings, ref: NamespaceRef = 'current'): Promise<Verification> {
    this.checkNamespace(ref);
    const read = await this.readRegistry();
    if (expected.os !== 'win32') return { ok: false, read, mismatches: [`expected ${expected.os} settings on Windows`] };
    const mismatches = (Object.keys(KEEPALIVE_VALUES) as (keyof typeof KEEPALIVE_VALUES)[])
      .filter((key) => read[key] !== expected[key])
      .map((key) => `${KEEPALIVE_VALUES[key]} is ${read[key]} ms, expected ${expected[key]} ms`);
    return { ok: mismatches.length === 0, read, mismatches };
  }

  applyAvailability(): ApplyAvailability {
    return isSafeHelperPath(this.helperPath)
      ? { available: true, reason: null }
      : { available: false, reason: 'the keepalive helper is not installed at a fixed, plain path' };
  }

  async applyKeepalive(values: KeepaliveValues, options: ApplyOptions): Promise<KeepaliveChange> {
    this.checkNamespace(options.namespace ?? 'current');
    const checked = toRegistryValues(values);
    if (!checked.ok) throw new ApiFailure('bad-request', checked.reason);
    const before = await this.readRegistry();
    const args = elevationArgs(this.commands, this.helperPath, checked.value);
    const out = await this.run(this.commands.powershell, args, { timeoutMs: ELEVATION_TIMEOUT_MS });
    const ended = elevationOutcome(out.ok ? 0 : out.exitCode, out.stderr);
    const beforeValues = valuesOf(before);
    let outcome: KeepaliveChange['outcome'] = ended.outcome === 'ran' ? 'applied' : ended.outcome;
    let after: KeepaliveValues | null = null;
    let message = ended.message;
    if (ended.outcome !== 'refused') {
      const read = await this.readRegistry();
      after = valuesOf(read);
      if (outcome === 'applied' && (read.keepAliveTimeMs !== checked.value.keepAliveTimeMs || read.keepAliveIntervalMs !== checked.value.keepAliveIntervalMs)) {
        outcome = 'failed';
        message = `The registry does not hold the values written (KeepAliveTime ${read.keepAliveTimeMs} ms, KeepAliveInterval ${read.keepAliveIntervalMs} ms).`;
      }
    }
    if (outcome === 'applied') {
      this.lastBefore = beforeValues;
      if (values.probes !== 10) message = `${message} The requested ${values.probes} probes do not apply.`;
    }
    return this.change('apply', beforeValues, after, outcome, message);
  }

  async undoKeepalive(options: Pick<ApplyOptions, 'rootCommand'> = {}): Promise<KeepaliveChange> {
    void options;
    if (!this.lastBefore) {
      return this.change('undo', null, null, 'refused', 'No apply from this session to undo: Windows keeps no history of keepalive changes here.');
    }
    const change = await this.applyKeepalive(this.lastBefore, { persist: true });
    if (change.outcome === 'applied') this.lastBefore = null;
    return { ...change, action: 'undo' };
  }

  async recoverInterruptedApply(): Promise<KeepaliveChange | null> {
    return null;
  }

  /** The registry is what the next boot reads: the values in force now are the values after it. */
  async readBootSettings(): Promise<BootSettings> {
    const s = await this.readRegistry();
    return { timeSec: msToWholeSec(s.keepAliveTimeMs), intervalSec: msToWholeSec(s.keepAliveIntervalMs), probes: s.probes, dropIn: null, overriddenBy: [] };
  }

  async readHistory(): Promise<KeepaliveRecord[]> {
    return [];
  }

  close(): void {}

  private checkNamespace(ref: NamespaceRef): void {
    assertHostNamespace(ref, 'Windows');
  }

  private change(action: 'apply' | 'undo', before: KeepaliveValues | null, after: KeepaliveValues | null, outcome: KeepaliveChange['outcome'], message: string): KeepaliveChange {
    return { at: this.now(), user: 'current user', action, before, after, persisted: outcome === 'applied', outcome, message, dropIn: null, namespace: null };
  }
}

function valuesOf(s: Win32Settings): KeepaliveValues {
  return { timeSec: msToWholeSec(s.keepAliveTimeMs), intervalSec: msToWholeSec(s.keepAliveIntervalMs), probes: s.probes };
}

export { WIN32_APPLY_NOTE };

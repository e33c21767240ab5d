/**
 * The macOS adapter (issue 10; KEEPALIVE.md §2): sockets from `netstat -anv -p tcp`, settings
 * from `sysctl`, idle time estimated from byte counters, projections modelled (precision
 * 'model'). One network stack: one namespace, 'host'. Commands run from fixed system paths, or
 * from PATH when `IDLEWATCH_PLATFORM=darwin` emulates the platform (./commands.ts).
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { arch, hostname, release } from 'node:os';
import type { DarwinSettings, HostInfo, HostNetwork, KeepaliveSettings, NetworkNamespace, SocketFacts } from '../../../shared/model';
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
import { darwinProjector } from '../../../shared/projection/darwin/darwin-projector';
import { commandPath, execFileRunner, type DarwinCommand, type Runner } from './commands';
import { DARWIN_HELPER_INSTALL, HELPER_PATH, LAUNCH_DAEMON_PATH, osascriptArgv, toDarwinValues } from './elevation';
import { IdleEstimator } from './idle-estimator';
import { parseNetstatDarwin, type NetstatRow } from './netstat';
import { parsePs, psArgv } from './ps';
import { DARWIN_SYSCTLS, parseDarwinSysctl, sysctlReadArgv } from './sysctl';

/** macOS has one network stack: this is all of it. */

export const NETSTAT_ARGV = ['-anv', '-p', 'tcp'] as const;

const NAMESPACES_REASON = oneStackReason('macOS');

export interface DarwinAdapterOptions {
  env?: NodeJS.ProcessEnv;
  /** Tests see every command through this; production runs execFile. */
  runner?: Runner;
  /** Whether the helper is installed at HELPER_PATH; tests stand in for the file check. */
  helperInstalled?: () => boolean;
}

/** `host/<local>-<remote>`; IPv6 addresses in brackets so the port stays apart. */
function endpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

const toSec = (ms: number) => Math.round(ms / 1000);
const valuesOf = (s: DarwinSettings): KeepaliveValues => ({ timeSec: toSec(s.keepIdleMs), intervalSec: toSec(s.keepIntervalMs), probes: s.keepCount });

/** The three values the LaunchDaemon sets at boot, from its ProgramArguments. */
export function parseLaunchDaemon(text: string): Pick<BootSettings, 'timeSec' | 'intervalSec' | 'probes'> {
  const value = (key: string) => {
    const m = new RegExp(`<string>${key.replace(/\./g, '\\.')}=(\\d+)</string>`).exec(text);
    return m ? Number(m[1]) : null;
  };
  const idle = value(DARWIN_SYSCTLS.keepIdleMs);
  const intvl = value(DARWIN_SYSCTLS.keepIntervalMs);
  return { timeSec: idle === null ? null : toSec(idle), intervalSec: intvl === null ? null : toSec(intvl), probes: value(DARWIN_SYSCTLS.keepCount) };
}

export class DarwinAdapter implements PlatformAdapter {
  readonly os = 'darwin';
  readonly projector = darwinProjector;
  private readonly env: NodeJS.ProcessEnv;
  private readonly runner: Runner;
  private readonly helperInstalled: () => boolean;
  private readonly estimator = new IdleEstimator();
  /** Full names from ps, by pid and the short name netstat showed (a reused pid shows another). */
  private readonly names = new Map<string, string>();
  /** What the last apply replaced, for undo (macOS keeps no record of its own). */
  private lastBefore: KeepaliveValues | null = null;

  constructor(options: DarwinAdapterOptions = {}) {
    this.env = options.env ?? process.env;
    this.runner = options.runner ?? execFileRunner;
    this.helperInstalled = options.helperInstalled ?? (() => existsSync(HELPER_PATH));
  }

  get capabilities(): AdapterCapabilities {
    return { perSocketOptions: false, timers: false, namespaces: false, namespacesReason: NAMESPACES_REASON, apply: this.applyAvailability().available };
  }

  private run(command: DarwinCommand, argv: readonly string[], timeoutMs?: number) {
    return this.runner(commandPath(command, this.env), argv, { timeoutMs });
  }

  private checkNamespace(ref: NamespaceRef): void {
    assertHostNamespace(ref, 'macOS');
  }

  async listNamespaces(): Promise<NetworkNamespace[]> {
    return [HOST_NAMESPACE];
  }

  async listSockets(ref: NamespaceRef = 'current'): Promise<SocketTable> {
    this.checkNamespace(ref);
    const { stdout } = await this.run('netstat', NETSTAT_ARGV);
    const takenAt = Date.now();
    const parsed = parseNetstatDarwin(stdout);
    const warnings: string[] = [];
    if (parsed.layout === null) warnings.push('netstat printed no header Idlewatch knows: no sockets read.');
    const ids = new Map<string, number>();
    const rows = parsed.rows.map((row) => {
      const base = `host/${endpoint(row.localAddress, row.localPort)}-${endpoint(row.remoteAddress, row.remotePort)}`;
      const n = (ids.get(base) ?? 0) + 1;
      ids.set(base, n);
      return { row, id: n === 1 ? base : `${base}#${n}` };
    });
    const idle = this.estimator.update(takenAt, rows.map(({ id, row }) => ({ id, rxBytes: row.rxBytes, txBytes: row.txBytes })));
    const scanned = await this.completeNames(rows.map((r) => r.row), warnings);
    if (parsed.layout === 'older') warnings.push('This netstat shows no byte counters: idle times are unknown.');
    const sockets = rows.map(({ id, row }): SocketFacts => {
      const estimate = idle.get(id) ?? { idleMs: null, idleProvenance: null };
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
        process: this.nameOf(row),
        uid: null,
        user: null,
        inode: null,
        sendQueue: row.sendQueue,
        recvQueue: row.recvQueue,
        timer: 'unknown',
        timerExpiresAt: null,
        probesSent: 0,
        retransmits: 0,
        rtoMs: null,
        backoff: 0,
        rtoRecoveryStartedAt: null,
        idleMs: estimate.idleMs,
        idleProvenance: estimate.idleProvenance,
        lastSendMs: null,
        // Unchanged byte counters mean no data either way: the same lower bound.
        lastDataMs: estimate.idleMs,
        keepalive: row.keepalive,
        socketKeepalive: null,
      };
    });
    return {
      takenAt,
      namespace: HOST_NAMESPACE,
      clock: { kind: 'none' },
      sockets,
      diagnostics: {
        malformedLines: parsed.malformedLines,
        processesDenied: 0,
        processesUnscanned: 0,
        unattributedSockets: sockets.filter((s) => s.pid === null && s.state !== 'TIME_WAIT').length,
        processesScanned: scanned,
        warnings,
      },
    };
  }

  private nameOf(row: NetstatRow): string | null {
    if (row.pid === null || row.process === null) return row.process;
    return row.processTruncated ? (this.names.get(`${row.pid}/${row.process}`) ?? row.process) : row.process;
  }

  /** One ps for the pids whose names netstat cut and that are not known yet; returns how many were asked. */
  private async completeNames(rows: NetstatRow[], warnings: string[]): Promise<number> {
    const wanted = new Map<number, string>();
    for (const row of rows) {
      if (row.pid !== null && row.process !== null && row.processTruncated && !this.names.has(`${row.pid}/${row.process}`)) wanted.set(row.pid, row.process);
    }
    if (wanted.size === 0) return 0;
    try {
      const { stdout } = await this.run('ps', psArgv([...wanted.keys()].sort((a, b) => a - b)));
      const full = parsePs(stdout);
      for (const [pid, short] of wanted) {
        const name = full.get(pid);
        // Only a name that begins with what netstat showed: else the pid was reused meanwhile.
        this.names.set(`${pid}/${short}`, name && name.startsWith(short) ? name : short);
      }
    } catch (error) {
      // ps exits 1 when a pid has gone; what it printed still counts.
      const stdout = (error as { stdout?: string }).stdout;
      if (!stdout) {
        warnings.push(`ps failed: ${(error as Error).message}`);
        return wanted.size;
      }
      for (const [pid, name] of parsePs(stdout)) {
        const short = wanted.get(pid);
        if (short !== undefined && name.startsWith(short)) this.names.set(`${pid}/${short}`, name);
      }
    }
    return wanted.size;
  }

  async readSettings(ref: NamespaceRef = 'current'): Promise<DarwinSettings> {
    this.checkNamespace(ref);
    const { stdout } = await this.run('sysctl', sysctlReadArgv());
    const parsed = parseDarwinSysctl(stdout);
    if (!parsed.ok) throw new ApiFailure('collector', parsed.error);
    return parsed.settings;
  }

  async describeHost(): Promise<HostInfo> {
    return { hostname: hostname(), os: 'darwin', distro: null, kernel: `Darwin ${release()}`, arch: arch(), network: null };
  }

  async describeNetwork(): Promise<HostNetwork> {
    return nodeNetwork();
  }

  async verifySettings(expected: KeepaliveSettings, ref: NamespaceRef = 'current'): Promise<Verification> {
    const read = await this.readSettings(ref);
    if (expected.os !== 'darwin') return { ok: false, read, mismatches: [`expected ${expected.os} settings on macOS`] };
    const mismatches = (['keepIdleMs', 'keepIntervalMs', 'keepCount', 'alwaysKeepalive'] as const)
      .filter((key) => read[key] !== expected[key])
      .map((key) => `${DARWIN_SYSCTLS[key]} is ${String(read[key])}, expected ${String(expected[key])}`);
    return { ok: mismatches.length === 0, read, mismatches };
  }

  applyAvailability(): ApplyAvailability {
    if (this.env.IDLEWATCH_PLATFORM === 'darwin') return { available: false, reason: 'The macOS adapter is emulated (IDLEWATCH_PLATFORM=darwin): nothing is applied.' };
    if (!this.helperInstalled()) return { available: false, reason: `The keepalive helper is not installed at ${HELPER_PATH}. Install it once: ${DARWIN_HELPER_INSTALL}` };
    return { available: true, reason: null };
  }

  async applyKeepalive(values: KeepaliveValues, options: ApplyOptions): Promise<KeepaliveChange> {
    this.checkNamespace(options.namespace ?? 'current');
    return this.change('apply', values, options.persist);
  }

  async undoKeepalive(): Promise<KeepaliveChange> {
    if (!this.lastBefore) return this.outcome('undo', null, null, false, 'refused', 'Nothing to undo: no apply from this session.');
    return this.change('undo', this.lastBefore, false);
  }

  /** Validated before anything runs; then the elevated helper, then a read back. */
  private async change(action: 'apply' | 'undo', values: KeepaliveValues, persist: boolean): Promise<KeepaliveChange> {
    const checked = toDarwinValues(values);
    if (!checked.ok) return this.outcome(action, null, null, false, 'refused', checked.error);
    const available = this.applyAvailability();
    if (!available.available) return this.outcome(action, null, null, false, 'refused', available.reason ?? 'unavailable');
    const before = await this.readSettings();
    try {
      await this.run('osascript', osascriptArgv(persist ? 'persist' : 'apply', checked.value), 120_000);
    } catch (error) {
      const stderr = String((error as { stderr?: string }).stderr ?? '');
      // osascript: "User canceled. (-128)" when the administrator prompt is dismissed.
      const canceled = stderr.includes('-128');
      return this.outcome(action, valuesOf(before), null, false, canceled ? 'refused' : 'failed', canceled ? 'The administrator prompt was canceled: nothing changed.' : `The helper failed: ${stderr.trim() || (error as Error).message}`);
    }
    const expected: DarwinSettings = { ...before, ...checked.value };
    const verified = await this.verifySettings(expected);
    if (verified.ok && action === 'apply') this.lastBefore = valuesOf(before);
    if (verified.ok && action === 'undo') this.lastBefore = null;
    return this.outcome(
      action,
      valuesOf(before),
      verified.read.os === 'darwin' ? valuesOf(verified.read) : null,
      verified.ok && persist,
      verified.ok ? 'applied' : 'failed',
      verified.ok ? 'Applied.' : `Read back differs: ${verified.mismatches.join('; ')}`,
    );
  }

  private outcome(action: 'apply' | 'undo', before: KeepaliveValues | null, after: KeepaliveValues | null, persisted: boolean, outcome: KeepaliveChange['outcome'], message: string): KeepaliveChange {
    return { at: Date.now(), user: this.env.USER ?? 'unknown', action, before, after, persisted, outcome, message, namespace: null, dropIn: persisted ? LAUNCH_DAEMON_PATH : null };
  }

  async recoverInterruptedApply(): Promise<KeepaliveChange | null> {
    return null;
  }

  async readBootSettings(): Promise<BootSettings> {
    let text: string;
    try {
      text = await readFile(LAUNCH_DAEMON_PATH, 'utf8');
    } catch {
      return { timeSec: null, intervalSec: null, probes: null, dropIn: null, overriddenBy: [] };
    }
    return { ...parseLaunchDaemon(text), dropIn: LAUNCH_DAEMON_PATH, overriddenBy: [] };
  }

  async readHistory(): Promise<KeepaliveRecord[]> {
    return [];
  }

  close(): void {
    // No helper process is kept between calls.
  }
}

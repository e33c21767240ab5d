import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { release } from 'node:os';
import { gunzipSync } from 'node:zlib';
import type { KeepaliveSettings, NetworkNamespace, SocketFacts } from '../../../shared/model';
import { ApiFailure } from '../../../shared/api/result';
import { linuxProjector } from '../../../shared/projection/linux/linux-projector';
import type {
  AdapterCapabilities,
  ApplyAvailability,
  ApplyOptions,
  EndWatchHandlers,
  EndWatchStart,
  KeepaliveChange,
  KeepaliveRecord,
  NamespaceRef,
  PlatformAdapter,
  SocketTable,
  Verification,
} from '../../../shared/platform-adapter';
import type { BootSettings } from '../../../shared/api/schemas';
import type { KeepaliveValues } from '../../../shared/profiles';
import { HISTORY_FILE, JOURNAL_FILE, KeepaliveElevation, type ElevationOptions, type HelperRequest, type HelperRun } from './elevation';
import { describeLinuxHost, describeLinuxNetwork } from './host';
import { inferHz, jiffiesOffset, parseKernelConfigHz, parseTimerList } from './kernel-clock';
import { watchConnectionEnds } from './connection-ends';
import { currentNamespace } from './namespace';
import { dumpTime, toSocketFacts, type DumpTime } from './socket-facts';
import { SockdiagReader } from './sockdiag-output';
import { SockdiagProcess } from './sockdiag-process';
import { parseHistory } from './keepalive-helper-output';
import { UserNames } from './user-names';
import { KEEPALIVE_SYSCTLS, readKeepaliveSettings } from './sysctl';
import { readBootSettings } from './sysctl-files';

interface ClockBasis {
  hz: number;
  offset: bigint | null;
  warnings: string[];
}

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

async function configuredHz(): Promise<number | null> {
  try {
    const hz = parseKernelConfigHz(gunzipSync(await readFile('/proc/config.gz')).toString('utf8'));
    if (hz) return hz;
  } catch {
    // not built with IKCONFIG_PROC; try /boot
  }
  const boot = await readText(`/boot/config-${release()}`);
  return boot ? parseKernelConfigHz(boot) : null;
}

/**
 * HZ and the boot's jiffies offset, read once: both are fixed until reboot. The offset
 * needs /proc/timer_list, which only root may read.
 */
async function readClockBasis(): Promise<ClockBasis> {
  const warnings: string[] = [];
  const first = await readText('/proc/timer_list').then((t) => (t ? parseTimerList(t) : null));
  let hz = await configuredHz();
  if (!hz && first) {
    await new Promise((r) => setTimeout(r, 50));
    const second = await readText('/proc/timer_list').then((t) => (t ? parseTimerList(t) : null));
    hz = second ? inferHz(first, second) : null;
  }
  if (!hz) {
    hz = 250;
    warnings.push('Kernel HZ unknown (no kernel config, /proc/timer_list unreadable); assumed 250.');
  }
  if (!first) warnings.push('Jiffies phase unknown (/proc/timer_list needs root): drop times are estimates within their window.');
  return { hz, offset: first ? jiffiesOffset(first, hz) : null, warnings };
}

/** Until container support (reading other namespaces through the helper) lands, only the current one is read. */
function unsupportedNamespace(ref: string): ApiFailure {
  return new ApiFailure('unsupported', `reading network namespace ${ref} is not supported yet: Idlewatch reads the namespace it runs in`);
}

const sameValues = (a: KeepaliveValues | null, b: KeepaliveValues | null) =>
  a !== null && b !== null && a.timeSec === b.timeSec && a.intervalSec === b.intervalSec && a.probes === b.probes;

export interface LinuxAdapterOptions {
  /** Tests take the pkexec route with a stand-in; production passes nothing. */
  elevation?: ElevationOptions;
}

export class LinuxAdapter implements PlatformAdapter {
  readonly os = 'linux';
  readonly projector = linuxProjector;
  private readonly elevation: KeepaliveElevation;
  private readonly userNames = new UserNames();
  private sockdiag: SockdiagProcess | null = null;
  private clockBasis: Promise<ClockBasis> | null = null;
  private namespace: Promise<NetworkNamespace> | null = null;

  constructor(options: LinuxAdapterOptions = {}) {
    this.elevation = new KeepaliveElevation(options.elevation);
  }

  /** Asked afresh each time: `apply` follows the helper being built or installed while running. */
  get capabilities(): AdapterCapabilities {
    return {
      // pidfd_getfd on other users' processes needs root (KEEPALIVE.md §1.3).
      perSocketOptions: process.getuid?.() === 0,
      timers: true,
      namespaces: false,
      apply: this.elevation.availability().available,
    };
  }

  async listNamespaces(): Promise<NetworkNamespace[]> {
    return [await this.resolve('current')];
  }

  async listSockets(ref: NamespaceRef = 'current'): Promise<SocketTable> {
    const namespace = await this.resolve(ref);
    this.sockdiag ??= new SockdiagProcess();
    this.clockBasis ??= readClockBasis();
    const basis = await this.clockBasis;
    const sockets: SocketFacts[] = [];
    let time: DumpTime | null = null;
    // Facts are made while the helper is still writing: the two overlap on two cores.
    const reader = new SockdiagReader((socket, sofar) => {
      time ??= dumpTime(sofar, basis.hz, basis.offset);
      // The helper names processes and users (through NSS) before the first socket line.
      sockets.push(toSocketFacts(socket, time, sofar, namespace.id));
    });
    await this.sockdiag.stream((piece) => reader.push(piece), 1e9 / basis.hz);
    const output = reader.finish();
    if (output.errors.length && sockets.length === 0) throw new Error(`Reading the socket table failed: ${output.errors.join('; ')}`);
    time ??= dumpTime(output, basis.hz, basis.offset);
    return {
      takenAt: Math.round(time.takenAt),
      namespace,
      clock: time.clock,
      sockets,
      diagnostics: {
        malformedLines: output.malformedLines,
        processesDenied: output.stats.denied ?? 0,
        processesUnscanned: output.stats.unscanned ?? 0,
        unattributedSockets: sockets.filter((s) => s.inode !== null && s.pid === null).length,
        processesScanned: output.stats.processes ?? 0,
        warnings: [...basis.warnings, ...output.errors],
      },
    };
  }

  async readSettings(ref: NamespaceRef = 'current'): Promise<KeepaliveSettings> {
    await this.resolve(ref);
    return readKeepaliveSettings();
  }

  describeHost() {
    return describeLinuxHost();
  }

  describeNetwork() {
    return describeLinuxNetwork();
  }

  async verifySettings(expected: KeepaliveSettings, ref: NamespaceRef = 'current'): Promise<Verification> {
    await this.resolve(ref);
    const read = await readKeepaliveSettings();
    if (expected.os !== 'linux') return { ok: false, read, mismatches: [`expected ${expected.os} settings on Linux`] };
    const mismatches = (Object.keys(KEEPALIVE_SYSCTLS) as (keyof typeof KEEPALIVE_SYSCTLS)[])
      .filter((key) => read[key] !== expected[key])
      .map((key) => `${KEEPALIVE_SYSCTLS[key]} is ${read[key]}, expected ${expected[key]}`);
    return { ok: mismatches.length === 0, read, mismatches };
  }

  applyAvailability(): ApplyAvailability {
    return this.elevation.availability();
  }

  async applyKeepalive(values: KeepaliveValues, options: ApplyOptions): Promise<KeepaliveChange> {
    const request: HelperRequest = { verb: 'apply', values, persist: options.persist };
    return this.change(request, await this.elevation.run(request, options.rootCommand), options.persist);
  }

  async undoKeepalive(options: Pick<ApplyOptions, 'rootCommand'> = {}): Promise<KeepaliveChange> {
    const request: HelperRequest = { verb: 'undo' };
    const run = await this.elevation.run(request, options.rootCommand);
    // Whether the undo touched the persisted file (restored or removed it) is in the helper's
    // record of it, not in its output (`D -` is both "removed" and "untouched").
    const recorded = run.outcome === 'applied' ? (await this.readHistory()).at(-1) : undefined;
    const persisted = recorded?.action === 'undo' && sameValues(recorded.before, run.output.before) ? recorded.persisted : false;
    return this.change(request, run, persisted);
  }

  /**
   * Only as root: recovery must not prompt anyone at start. (Every verb of the helper recovers
   * first anyway, so an apply through pkexec recovers too.)
   */
  async recoverInterruptedApply(): Promise<KeepaliveChange | null> {
    if (!this.elevation.isRoot || !existsSync(JOURNAL_FILE)) return null;
    const request: HelperRequest = { verb: 'recover' };
    const run = await this.elevation.run(request);
    if (run.outcome === 'applied' && run.output.rollbacks.length === 0) return null;
    // The helper records the rollback in its history itself; this says it happened.
    const change = await this.change(request, run, false);
    return { ...change, outcome: run.outcome === 'applied' ? 'rolled-back' : run.outcome };
  }

  readBootSettings(): Promise<BootSettings> {
    return readBootSettings();
  }

  async readHistory(): Promise<KeepaliveRecord[]> {
    const text = await readText(HISTORY_FILE);
    if (text === null) return [];
    const records = parseHistory(text);
    const users = await Promise.all(records.map(({ uid }) => this.userNames.name(uid)));
    return records.map(({ uid: _uid, ...record }, i) => ({ ...record, user: users[i]! }));
  }

  private async change(request: HelperRequest, run: HelperRun, persisted: boolean): Promise<KeepaliveChange> {
    const user = await this.userNames.name(process.getuid?.() ?? -1);
    return {
      at: Date.now(),
      // The helper records PKEXEC_UID, which pkexec sets to this process's uid.
      user,
      action: request.verb === 'undo' ? 'undo' : 'apply',
      before: run.output.before,
      after: run.output.after,
      persisted: run.outcome === 'applied' && persisted,
      outcome: run.outcome,
      message: run.message,
      dropIn: run.output.dropIn,
    };
  }

  /**
   * The kernel's announcement of every TCP socket's end in this namespace (./connection-ends.ts).
   * The announcements come from the namespace the helper runs in, so only Idlewatch's own for now.
   * The caller owns the watch: close() leaves it running, its stop() ends it.
   */
  async watchConnectionEnds(handlers: EndWatchHandlers, ref: NamespaceRef = 'current'): Promise<EndWatchStart> {
    try {
      await this.resolve(ref);
    } catch (error) {
      return { ok: false, reason: `${(error as Error).message}; ends are seen as disappearances between polls` };
    }
    return watchConnectionEnds(handlers);
  }

  close(): void {
    this.sockdiag?.close();
    this.sockdiag = null;
  }

  private async resolve(ref: NamespaceRef): Promise<NetworkNamespace> {
    this.namespace ??= currentNamespace();
    const current = await this.namespace;
    if (ref !== 'current' && ref !== current.id) throw unsupportedNamespace(ref);
    return current;
  }
}

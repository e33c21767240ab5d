import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { release } from 'node:os';
import { gunzipSync } from 'node:zlib';
import type { KeepaliveSettings, LinuxSettings, NetworkNamespace, SocketFacts } from '../../../shared/model';
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
import {
  HISTORY_FILE,
  JOURNAL_FILE,
  KeepaliveElevation,
  NAMESPACE_NOT_PERSISTED,
  namespaceWords,
  type ElevationOptions,
  type HelperNamespace,
  type HelperRequest,
  type HelperRun,
} from './elevation';
import { describeLinuxHost, describeLinuxNetwork } from './host';
import { inferHz, jiffiesOffset, parseKernelConfigHz, parseTimerList } from './kernel-clock';
import { watchConnectionEnds } from './connection-ends';
import { currentNamespace } from './namespace';
import { discoverNamespaces, type DiscoveredNamespace } from './namespaces/discover';
import type { NamespaceEntry } from './namespaces/entry';
import { dumpTime, toSocketFacts, type DumpTime } from './socket-facts';
import { NO_HEADER, SockdiagReader } from './sockdiag-output';
import { NamespaceRefused, SockdiagProcess } from './sockdiag-process';
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

/** Why other namespaces are out of reach without root (capabilities.namespacesReason, and refusals). */
const NAMESPACES_NEED_ROOT =
  "reading other network namespaces needs root (only root may open other users' processes' /proc/PID/ns/net): run Idlewatch as root to see containers' namespaces";

/** Reading other processes' namespace links takes root (ptrace access), whatever the elevation route. */
const isRoot = () => process.getuid?.() === 0;

/** How long a discovery answers locate() before /proc is scanned again: pids come and go. */
const DISCOVERY_MAX_AGE_MS = 10_000;

/** Whether two entries lead the same way: the same pid or name, for the same inode. */
const sameEntry = (a: NamespaceEntry | null, b: NamespaceEntry | null) =>
  a !== null &&
  b !== null &&
  a.inode === b.inode &&
  (a.kind === 'pid' ? b.kind === 'pid' && a.pid === b.pid : b.kind === 'name' && a.name === b.name);

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
  private discovery: { at: number; namespaces: Promise<DiscoveredNamespace[]> } | null = null;

  constructor(options: LinuxAdapterOptions = {}) {
    this.elevation = new KeepaliveElevation(options.elevation);
  }

  /** Asked afresh each time: `apply` follows the helper being built or installed while running. */
  get capabilities(): AdapterCapabilities {
    return {
      // pidfd_getfd on other users' processes needs root (KEEPALIVE.md §1.3).
      perSocketOptions: process.getuid?.() === 0,
      timers: true,
      namespaces: isRoot(),
      namespacesReason: isRoot() ? null : NAMESPACES_NEED_ROOT,
      apply: this.elevation.availability().available,
    };
  }

  /** As root every namespace in use, the current one first (./namespaces/discover.ts); else the current one only. */
  async listNamespaces(): Promise<NetworkNamespace[]> {
    if (!isRoot()) return [(await this.locate('current')).namespace];
    return (await this.discover()).map((d) => d.namespace);
  }

  /** The socket table of any namespace, through the one helper (it holds a sock_diag socket in each; ./sockdiag/sockdiag.c). */
  async listSockets(ref: NamespaceRef = 'current'): Promise<SocketTable> {
    return this.inNamespace(ref, (target) => this.readSocketTable(target));
  }

  private async readSocketTable({ namespace, entry }: DiscoveredNamespace): Promise<SocketTable> {
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
    // The kernel's clock (jiffies, the tick) is one for every namespace: only the table differs.
    await this.sockdiag.stream((piece) => reader.push(piece), 1e9 / basis.hz, entry);
    const output = reader.finish();
    // An answer without a header is a refusal: nothing of the namespace was read.
    const refusal = output.format ? [] : output.errors.filter((e) => e !== NO_HEADER);
    if (entry && refusal.length) throw new NamespaceRefused(refusal);
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
    return this.readLinuxSettings(ref);
  }

  /**
   * The current namespace's from /proc/sys (no helper needed); another's through the helper,
   * which opened the sysctl files inside it (/proc/sys/net shows the reader's own namespace).
   */
  private readLinuxSettings(ref: NamespaceRef): Promise<LinuxSettings> {
    return this.inNamespace(ref, ({ entry }) => {
      if (!entry) return readKeepaliveSettings();
      this.sockdiag ??= new SockdiagProcess();
      return this.sockdiag.sysctls(entry);
    });
  }

  describeHost() {
    return describeLinuxHost();
  }

  describeNetwork() {
    return describeLinuxNetwork();
  }

  async verifySettings(expected: KeepaliveSettings, ref: NamespaceRef = 'current'): Promise<Verification> {
    const read = await this.readLinuxSettings(ref);
    if (expected.os !== 'linux') return { ok: false, read, mismatches: [`expected ${expected.os} settings on Linux`] };
    const mismatches = (Object.keys(KEEPALIVE_SYSCTLS) as (keyof typeof KEEPALIVE_SYSCTLS)[])
      .filter((key) => read[key] !== expected[key])
      .map((key) => `${KEEPALIVE_SYSCTLS[key]} is ${read[key]}, expected ${expected[key]}`);
    return { ok: mismatches.length === 0, read, mismatches };
  }

  applyAvailability(): ApplyAvailability {
    return this.elevation.availability();
  }

  /**
   * Another namespace is entered by the helper itself, by the way discovery found into it (a pid
   * in it, or its ip netns name) with its inode; discovered afresh first, so that the way in is
   * as recent as it can be (a pid may have exited since the last look).
   */
  async applyKeepalive(values: KeepaliveValues, options: ApplyOptions): Promise<KeepaliveChange> {
    const namespace = await this.helperNamespace(options.namespace ?? 'current');
    if (namespace && options.persist) {
      throw new ApiFailure('bad-request', `${namespaceWords(namespace.entry.inode, namespace.label)}: ${NAMESPACE_NOT_PERSISTED}`);
    }
    const request: HelperRequest = { verb: 'apply', values, persist: options.persist, namespace };
    const run = await this.elevation.run(request, options.rootCommand);
    return this.change(request, run, options.persist, run.output.namespace ?? namespace?.entry.inode ?? null);
  }

  /**
   * The helper undoes the last apply in the namespace that apply changed (its record says which,
   * and how it got in). When the history names another namespace that can still be found, it is
   * given a fresh way in to it; otherwise it uses the one it recorded.
   */
  async undoKeepalive(options: Pick<ApplyOptions, 'rootCommand'> = {}): Promise<KeepaliveChange> {
    const last = (await this.readHistory()).findLast((r) => r.outcome === 'applied');
    const namespace = last?.action === 'apply' && last.namespace !== null ? await this.helperNamespace(last.namespace).catch(() => undefined) : undefined;
    const request: HelperRequest = { verb: 'undo', namespace };
    const run = await this.elevation.run(request, options.rootCommand);
    // Whether the undo touched the persisted file (restored or removed it) is in the helper's
    // record of it, not in its output (`D -` is both "removed" and "untouched").
    const recorded = run.outcome === 'applied' ? (await this.readHistory()).at(-1) : undefined;
    const persisted = recorded?.action === 'undo' && sameValues(recorded.before, run.output.before) ? recorded.persisted : false;
    return this.change(request, run, persisted, run.output.namespace ?? namespace?.entry.inode ?? null);
  }

  /** How the helper enters the namespace ref names (undefined: the one Idlewatch runs in); freshly discovered. */
  private async helperNamespace(ref: NamespaceRef): Promise<HelperNamespace | undefined> {
    const located = await this.locate(ref);
    if (!located.entry) return undefined;
    const fresh = await this.rediscover(located);
    if (!fresh?.entry) throw new ApiFailure('bad-request', `${namespaceWords(located.namespace.id, located.namespace.label)} has ended: nothing was changed`);
    return { entry: fresh.entry, label: fresh.namespace.label };
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
    // The helper records the rollback in its history itself (with the namespace); this says it happened.
    const change = await this.change(request, run, false, null);
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

  private async change(request: HelperRequest, run: HelperRun, persisted: boolean, namespace: string | null): Promise<KeepaliveChange> {
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
      namespace,
    };
  }

  /**
   * The kernel's announcement of every TCP socket's end in a namespace (./connection-ends.ts):
   * the helper enters it before subscribing, as announcements go to the namespace a socket was
   * opened in. An entry the helper refuses (its pid gone) is discovered afresh and tried once more.
   * The caller owns the watch: close() leaves it running, its stop() ends it.
   */
  async watchConnectionEnds(handlers: EndWatchHandlers, ref: NamespaceRef = 'current'): Promise<EndWatchStart> {
    let target: DiscoveredNamespace;
    try {
      target = await this.locate(ref);
    } catch (error) {
      return { ok: false, reason: `${(error as Error).message}; ends are seen as disappearances between polls` };
    }
    const started = await watchConnectionEnds(handlers, { entry: target.entry });
    if (started.ok || !('namespaceRefused' in started) || !target.entry) return started;
    const again = await this.rediscover(target).catch(() => undefined);
    return again && !sameEntry(again.entry, target.entry) ? watchConnectionEnds(handlers, { entry: again.entry }) : started;
  }

  close(): void {
    this.sockdiag?.close();
    this.sockdiag = null;
  }

  /** A fresh discovery, kept for locate(). */
  private discover(): Promise<DiscoveredNamespace[]> {
    const discovery = discoverNamespaces();
    this.discovery = { at: Date.now(), namespaces: discovery };
    discovery.catch(() => {
      if (this.discovery?.namespaces === discovery) this.discovery = null;
    });
    return discovery;
  }

  /**
   * The namespace a ref names and how to enter it (entry null: the one Idlewatch runs in), from
   * the last discovery while it is recent, else from a fresh one; an id not found is looked for
   * once more afresh (a namespace made since) before it is refused. Other namespaces need root.
   */
  private async locate(ref: NamespaceRef): Promise<DiscoveredNamespace> {
    this.namespace ??= currentNamespace();
    const current = await this.namespace;
    if (ref === 'current' || ref === current.id) return { namespace: current, entry: null };
    if (!isRoot()) throw new ApiFailure('unsupported', `network namespace ${ref}: ${NAMESPACES_NEED_ROOT}`);
    const recent = this.discovery && Date.now() - this.discovery.at < DISCOVERY_MAX_AGE_MS ? this.discovery.namespaces : null;
    const found = (await recent?.catch(() => null))?.find((d) => d.namespace.id === ref) ?? (await this.discover()).find((d) => d.namespace.id === ref);
    if (!found) throw new ApiFailure('bad-request', `no network namespace ${ref} (it may have ended; \`idlewatch namespaces\` lists those in use)`);
    return found;
  }

  /**
   * Runs a read of the namespace ref names. The helper checks an entry at every read; when it
   * refuses one (the pid exited or was reused, the name was deleted or rebound), the namespace is
   * discovered afresh and read once more by its new entry.
   */
  private async inNamespace<T>(ref: NamespaceRef, read: (target: DiscoveredNamespace) => Promise<T>): Promise<T> {
    const target = await this.locate(ref);
    try {
      return await read(target);
    } catch (error) {
      if (!(error instanceof NamespaceRefused) || !target.entry) throw error;
      const again = await this.rediscover(target);
      if (!again) throw new ApiFailure('collector', `network namespace ${target.namespace.id} has ended (${error.message})`);
      const cannot = (refused: NamespaceRefused) => new ApiFailure('collector', `cannot read network namespace ${target.namespace.id}: ${refused.message}`);
      if (sameEntry(again.entry, target.entry)) throw cannot(error);
      try {
        return await read(again);
      } catch (second) {
        throw second instanceof NamespaceRefused ? cannot(second) : second;
      }
    }
  }

  /** The same namespace found by a fresh discovery, with its entry as of now; undefined when it has gone. */
  private async rediscover(target: DiscoveredNamespace): Promise<DiscoveredNamespace | undefined> {
    const found = (await this.discover()).find((d) => d.namespace.id === target.namespace.id);
    return found?.entry ? found : undefined;
  }
}

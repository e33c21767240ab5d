import { readFile, stat } from 'node:fs/promises';
import { release } from 'node:os';
import { gunzipSync } from 'node:zlib';
import si from 'systeminformation';
import type { HostInfo, KeepaliveSettings, SocketFacts } from '../../../shared/model';
import type { PlatformAdapter, SocketTable } from '../../../shared/platform-adapter';
import { inferHz, jiffiesOffset, parseKernelConfigHz, parseTimerList } from './kernel-clock';
import { parsePasswd } from './passwd';
import { dumpTime, toSocketFacts, type DumpTime } from './socket-facts';
import { SockdiagReader } from './sockdiag-output';
import { SockdiagProcess } from './sockdiag-process';
import { readKeepaliveSettings } from './sysctl';

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

export class LinuxAdapter implements PlatformAdapter {
  readonly platform = 'linux';
  private sockdiag: SockdiagProcess | null = null;
  private clockBasis: Promise<ClockBasis> | null = null;
  private host: Promise<HostInfo> | null = null;
  private users: { mtimeMs: number; map: Map<number, string> } | null = null;

  async listSockets(): Promise<SocketTable> {
    this.sockdiag ??= new SockdiagProcess();
    this.clockBasis ??= readClockBasis();
    const [basis, users] = await Promise.all([this.clockBasis, this.userNames()]);
    const sockets: SocketFacts[] = [];
    let time: DumpTime | null = null;
    // Facts are made while the helper is still writing: the two overlap on two cores.
    const reader = new SockdiagReader((socket, sofar) => {
      time ??= dumpTime(sofar, basis.hz, basis.offset);
      sockets.push(toSocketFacts(socket, time, { processes: sofar.processes, users }));
    });
    await this.sockdiag.stream((piece) => reader.push(piece), 1e9 / basis.hz);
    const output = reader.finish();
    if (output.errors.length && sockets.length === 0) throw new Error(`Reading the socket table failed: ${output.errors.join('; ')}`);
    time ??= dumpTime(output, basis.hz, basis.offset);
    return {
      takenAt: Math.round(time.takenAt),
      clock: time.clock,
      sockets,
      diagnostics: {
        malformedLines: output.malformedLines,
        processesDenied: output.stats.denied ?? 0,
        unattributedSockets: sockets.filter((s) => s.inode !== null && s.pid === null).length,
        processesScanned: output.stats.processes ?? 0,
        warnings: [...basis.warnings, ...output.errors],
      },
    };
  }

  readSettings(): Promise<KeepaliveSettings> {
    return readKeepaliveSettings();
  }

  describeHost(): Promise<HostInfo> {
    this.host ??= si.osInfo().then((os) => ({
      hostname: os.hostname,
      platform: 'linux',
      distro: os.distro,
      release: os.release,
      kernel: os.kernel,
      arch: os.arch,
    }));
    return this.host;
  }

  close(): void {
    this.sockdiag?.close();
    this.sockdiag = null;
  }

  /** /etc/passwd, re-read only when it changes. */
  private async userNames(): Promise<Map<number, string>> {
    const mtimeMs = await stat('/etc/passwd').then((s) => s.mtimeMs, () => 0);
    if (this.users?.mtimeMs !== mtimeMs) {
      this.users = { mtimeMs, map: parsePasswd((await readText('/etc/passwd')) ?? '') };
    }
    return this.users.map;
  }
}

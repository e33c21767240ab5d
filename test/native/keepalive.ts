/**
 * What the tests of idlewatch-keepalive share: its sources, builds of them, a reader of its
 * output, and a snapshot of everything it may change (the three sysctls of this network
 * namespace, the drop-in directory and its state directory), to prove that nothing changed.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unescapeComm } from '../../main/platform/linux/sockdiag-output';
import { compile, REPO, SANITIZE, WARN } from './compile';

export const KEEPALIVE_DIR = join(REPO, 'main/platform/linux/keepalive-helper');
/** What `npm run build` makes (build/compile-sockdiag.mjs). */
export const BUILT_HELPER = join(REPO, 'out/bin/idlewatch-keepalive');

export const SYSCTL_KEYS = ['tcp_keepalive_time', 'tcp_keepalive_intvl', 'tcp_keepalive_probes'] as const;
export const DROPIN_DIR = '/etc/sysctl.d';
export const DROPIN = '/etc/sysctl.d/99-zz-idlewatch-keepalive.conf';
export const STATE_DIR = '/var/lib/idlewatch';
export const JOURNAL = `${STATE_DIR}/apply.journal`;
export const LAST_APPLY = `${STATE_DIR}/last-apply`;
export const HISTORY = `${STATE_DIR}/history`;

export function keepaliveSources(): string[] {
  return readdirSync(KEEPALIVE_DIR)
    .filter((f) => f.endsWith('.c'))
    .sort()
    .map((f) => join(KEEPALIVE_DIR, f));
}

/** The pure half alone, for drivers and fuzz targets. */
export const KEEPALIVE_CORE = join(KEEPALIVE_DIR, 'keepalive-core.c');

/** Builds the helper into dir: as build/compile-sockdiag.mjs does, and with sanitizers. */
export function buildHelpers(dir: string): { shipped: string; sanitized: string } {
  const shipped = join(dir, 'idlewatch-keepalive');
  const sanitized = join(dir, 'idlewatch-keepalive-asan');
  const a = compile('cc', shipped, keepaliveSources(), ['-O2', ...WARN]);
  if (!a.ok) throw new Error(`cannot build idlewatch-keepalive:\n${a.output}`);
  const b = compile('cc', sanitized, keepaliveSources(), [...SANITIZE, ...WARN]);
  if (!b.ok) throw new Error(`cannot build idlewatch-keepalive with sanitizers:\n${b.output}`);
  return { shipped, sanitized };
}

export interface Values {
  timeSec: number;
  intervalSec: number;
  probes: number;
}

export interface HelperOutput {
  /** Every line, split at tabs, unescaped. */
  lines: string[][];
  before: Values | null;
  after: Values | null;
  /** D: the drop-in path, '-' for none, undefined when absent. */
  dropIn: string | undefined;
  rolledBack: string[];
  errors: string[];
  /** The last line: OK or FAIL. */
  last: string;
}

function values(fields: string[] | undefined): Values | null {
  if (!fields || fields[1] === '-') return null;
  return { timeSec: Number(fields[1]), intervalSec: Number(fields[2]), probes: Number(fields[3]) };
}

export function parseHelperOutput(stdout: string): HelperOutput {
  const lines = stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t').map((f, i) => (i === 0 ? f : unescapeComm(f))));
  const of = (type: string) => lines.filter((l) => l[0] === type);
  return {
    lines,
    before: values(of('B')[0]),
    after: values(of('A')[0]),
    dropIn: of('D')[0]?.[1],
    rolledBack: of('R').map((l) => l.slice(1).join('\t')),
    errors: of('E').map((l) => l.slice(1).join('\t')),
    last: lines.at(-1)?.[0] ?? '',
  };
}

export interface HistoryLine {
  atMs: number;
  uid: number;
  action: 'apply' | 'undo';
  before: Values;
  after: Values;
  persisted: boolean;
  outcome: 'applied' | 'rolled-back' | 'failed';
  message: string;
  /** The other network namespace changed (its inode); absent for the helper's own. */
  netns?: string;
}

/** The protocol's history lines (`H\t…`, a 14th field for another namespace), strictly: a line that does not fit throws. */
export function parseHistory(text: string): HistoryLine[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const f = line.split('\t');
      const numbers = f.slice(1, 3).concat(f.slice(4, 10), f.slice(13));
      if ((f.length !== 13 && f.length !== 14) || f[0] !== 'H' || !numbers.every((x) => /^(0|[1-9]\d*)$/.test(x)) || f[13] === '0') {
        throw new Error(`not a history line: ${JSON.stringify(line)}`);
      }
      if (!['apply', 'undo'].includes(f[3]!) || !['0', '1'].includes(f[10]!) || !['applied', 'rolled-back', 'failed'].includes(f[11]!)) {
        throw new Error(`not a history line: ${JSON.stringify(line)}`);
      }
      const n = (i: number) => Number(f[i]);
      return {
        atMs: n(1),
        uid: n(2),
        action: f[3] as HistoryLine['action'],
        before: { timeSec: n(4), intervalSec: n(5), probes: n(6) },
        after: { timeSec: n(7), intervalSec: n(8), probes: n(9) },
        persisted: f[10] === '1',
        outcome: f[11] as HistoryLine['outcome'],
        message: unescapeComm(f[12]!),
        ...(f.length === 14 ? { netns: f[13]! } : {}),
      };
    });
}

export function readKeepalive(): Values {
  const read = (key: string) => Number(readFileSync(`/proc/sys/net/ipv4/${key}`, 'utf8').trim());
  return { timeSec: read('tcp_keepalive_time'), intervalSec: read('tcp_keepalive_intvl'), probes: read('tcp_keepalive_probes') };
}

/** Each entry of a directory tree: type, owner, mode, size, and a hash of a file's bytes. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (path: string) => {
    let names: string[];
    try {
      names = readdirSync(path).sort();
    } catch (error) {
      out.push(`${path}: ${(error as NodeJS.ErrnoException).code}`);
      return;
    }
    for (const name of names) {
      const full = join(path, name);
      const st = lstatSync(full);
      let detail = '';
      if (st.isFile()) {
        try {
          detail = createHash('sha256').update(readFileSync(full)).digest('hex').slice(0, 16);
        } catch (error) {
          detail = (error as NodeJS.ErrnoException).code ?? 'unreadable';
        }
      }
      out.push(`${full} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.size} ${st.mtimeMs} ${detail}`);
      if (st.isDirectory()) walk(full);
    }
  };
  walk(dir);
  return out;
}

export interface SystemState {
  sysctls: string[];
  dropInDir: string[];
  stateDir: string[];
}

/** Everything idlewatch-keepalive may touch, as seen from this process's namespaces. */
export function systemState(): SystemState {
  return {
    sysctls: SYSCTL_KEYS.map((k) => `${k}=${readFileSync(`/proc/sys/net/ipv4/${k}`, 'utf8').trim()}`),
    dropInDir: listing(DROPIN_DIR),
    stateDir: listing(STATE_DIR),
  };
}

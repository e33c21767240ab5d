/**
 * What the keepalive sysctls will be after the next boot, worked out from the files the boot
 * reads, the way the program that reads them does — and which files set a keepalive key after
 * Idlewatch's drop-in, so they win over it.
 *
 * Two readers exist, with different rules:
 * - systemd-sysctl (systemd-sysctl.service, at boot wherever systemd is; src/sysctl/sysctl.c with
 *   src/basic/conf-files.c): `*.conf` of /etc/sysctl.d, /run/sysctl.d, /usr/local/lib/sysctl.d,
 *   /usr/lib/sysctl.d (and /lib/sysctl.d where /lib is its own directory: CONF_PATHS, split /usr)
 *   gathered together; a name found in an earlier directory hides the same name in later ones
 *   ("Skipping overridden file"), a /dev/null symlink that way masks one; hidden files (`.name`)
 *   are skipped (FOREACH_DIRENT); the rest are parsed in file-name order (strcmp) into one map,
 *   where a later assignment of a key replaces an earlier one ("Overwriting earlier assignment").
 *   /etc/sysctl.conf is not read, except where the distribution links it into a directory, as
 *   Debian does with /etc/sysctl.d/99-sysctl.conf → ../sysctl.conf. Files named on the command
 *   line and the `sysctl.extra` credential are not part of the boot's reading here.
 * - procps `sysctl --system` (procps-ng sysctl.c PreloadSystem, where there is no systemd): the
 *   same directories in the order /etc, /run, /usr/local/lib, /usr/lib, /lib (procps before 3.3.13
 *   listed /run first), same-name hiding and strcmp order alike but hidden names included, then
 *   /etc/sysctl.conf LAST. Every assignment is written in turn, so the last one that the kernel
 *   accepts stays.
 *
 * Lines, for both (systemd parse_line, procps parse_setting_line): surrounding whitespace
 * stripped; empty lines and those starting with `#` or `;` skipped; `key = value` with spaces or
 * none; a leading `-` on the key only ignores a failure to write (a `-key` without `=` excludes
 * the key from globs); keys with `.` or `/` separators (sysctl_normalize / slashdot: the first
 * separator decides, and if it is a dot, dots and slashes swap). A glob key (`*`, `?`, `[`) sets
 * the sysctls it matches that no explicit line names, wherever that line is: explicit settings
 * always beat globs, in both readers.
 *
 * Bounded against hostile or broken files: at most READ_LIMIT bytes of a file are read (systemd
 * itself gives up on a file at a line over 1 MiB, LONG_LINE_MAX), a line longer than LINE_LIMIT
 * characters is skipped, text is taken byte for byte (latin1) so binary garbage cannot throw, and
 * a NUL ends a line's meaningful part, as C string handling does in both readers.
 *
 * `bootSettings` is pure: the I/O (`readBootSettings`) lists and reads the directories and hands it
 * the files.
 */
import { LINUX_KEEPALIVE_DROP_IN } from '../../../shared/profiles';
import { constants } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import type { BootSettings } from '../../../shared/api/schemas';
import type { KeepaliveValues } from '../../../shared/profiles';

/** Which program applies the sysctl files at boot. */
export type SysctlReader = 'systemd' | 'procps';

/** The sysctl.d directories, highest precedence first (for same-named files), as both readers list them. */
export const SYSCTL_DIRS = ['/etc/sysctl.d', '/run/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d', '/lib/sysctl.d'] as const;
/** Read by procps after every directory; by systemd only through a link in one of them. */
export const SYSCTL_CONF = '/etc/sysctl.conf';
/** Idlewatch's drop-in (the helper writes it): "99-zz" sorts after Debian's 99-sysctl.conf. */
export const DROP_IN = LINUX_KEEPALIVE_DROP_IN;
/** Where systemd-sysctl lives when systemd applies sysctls at boot (merged and split /usr). */
export const SYSTEMD_SYSCTL = ['/usr/lib/systemd/systemd-sysctl', '/lib/systemd/systemd-sysctl'] as const;

/** Bytes of one file read at most: sysctl.d files are a few kB; systemd refuses lines over 1 MiB. */
export const READ_LIMIT = 1024 * 1024;
/** Characters of one line considered at most: a keepalive assignment takes well under a hundred. */
export const LINE_LIMIT = 4096;

/** The keys this module follows, in the normalized slash form both readers compare paths in. */
const KEYS: Record<keyof KeepaliveValues, string> = {
  timeSec: 'net/ipv4/tcp_keepalive_time',
  intervalSec: 'net/ipv4/tcp_keepalive_intvl',
  probes: 'net/ipv4/tcp_keepalive_probes',
};
const FIELDS = Object.keys(KEYS) as (keyof KeepaliveValues)[];
const dotted = (slashKey: string) => slashKey.replaceAll('/', '.');

/** One entry of a sysctl.d directory (or /etc/sysctl.conf) as the I/O found it. */
export interface SysctlFile {
  /** The directory's path joined with the entry's name, e.g. /etc/sysctl.d/99-sysctl.conf. */
  path: string;
  /**
   * Its text, read through symlinks, byte for byte (latin1); '' for a /dev/null mask; null when
   * it is not a regular file or could not be read (it still hides same-named files further on).
   */
  text: string | null;
  /** Only the first READ_LIMIT bytes were read. */
  truncated?: boolean;
}

export interface BootOptions {
  reader: SysctlReader;
  /** Idlewatch's drop-in; DROP_IN by default. */
  dropIn?: string;
}

/** One line that sets (or excludes) a key, in the order the reader meets it. */
export interface SysctlAssignment {
  path: string;
  /** 1-based line number in its file. */
  line: number;
  /** Normalized to slashes (net/ipv4/tcp_keepalive_time); may be a glob. */
  key: string;
  /** As written, stripped; null for an exclusion (`-key` without `=`). */
  value: string | null;
  glob: boolean;
}

/** Where one key's boot value comes from. */
export interface BootWinner {
  path: string;
  line: number;
  value: number;
}

/** The whole reasoning: the BootSettings, plus the reader and the file each value comes from. */
export interface BootPrecedence {
  reader: SysctlReader;
  /** The files in the order the reader applies them. */
  order: string[];
  winners: Record<keyof KeepaliveValues, BootWinner | null>;
  settings: BootSettings;
}

/** sysctl_normalize (systemd) / slashdot (procps): the first separator decides the style; dotted keys swap `.` and `/`. */
export function normalizeKey(key: string): string {
  const first = key.search(/[./]/);
  if (first < 0 || key[first] === '/') return key;
  return key.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}

const isGlob = (key: string) => /[*?[]/.test(key);

/** glob(3) on /proc/sys paths: `*` and `?` never cross a `/`; `[...]` (with `!` or `^`) is a class. */
function globMatches(pattern: string, path: string): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) {
        source += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, end);
      const negate = body[0] === '!' || body[0] === '^';
      if (negate) body = body.slice(1);
      source += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  try {
    return new RegExp(`^${source}$`).test(path);
  } catch {
    return false;
  }
}

/** Whitespace as both readers strip it (systemd WHITESPACE, procps isspace in the C locale). */
const strip = (s: string) => s.replace(/^[ \t\n\r\v\f]+|[ \t\n\r\v\f]+$/g, '');
const lstrip = (s: string) => s.replace(/^[ \t\n\r\v\f]+/, '');

/** The assignments of one file's text, as `reader` parses its lines. */
export function parseSysctlText(path: string, text: string, reader: SysctlReader, truncated = false): SysctlAssignment[] {
  const out: SysctlAssignment[] = [];
  const lines = text.split('\n');
  // A cut-off file's last line is incomplete: do not read half an assignment as a whole one.
  if (truncated) lines.pop();
  for (let n = 0; n < lines.length; n++) {
    let raw = lines[n]!;
    if (raw.length > LINE_LIMIT) continue;
    const nul = raw.indexOf('\0');
    if (nul >= 0) raw = raw.slice(0, nul);
    const line = reader === 'systemd' ? strip(raw) : lstrip(raw);
    if (line === '' || line[0] === '#' || line[0] === ';') continue;
    const eq = line.indexOf('=');
    let key: string;
    let value: string | null;
    if (eq < 0) {
      // `-key`: a negative match, excluding the key from globs; anything else is not an assignment.
      if (line[0] !== '-') continue;
      key = strip(line.slice(1));
      value = null;
    } else {
      let left = line.slice(0, eq);
      if (left[0] === '-') left = left.slice(1);
      // procps strips only the right of the key, so "- key = 1" names " key", which no sysctl is.
      key = reader === 'systemd' ? strip(left) : left.replace(/[ \t\n\r\v\f]+$/, '');
      value = strip(line.slice(eq + 1));
    }
    if (key === '') continue;
    const normalized = normalizeKey(key);
    out.push({ path, line: n + 1, key: normalized, value, glob: isGlob(normalized) });
  }
  return out;
}

/**
 * A value the kernel takes for these integer sysctls (proc_dointvec_jiffies, proc_dou8vec_minmax):
 * decimal digits. Anything else fails to write at boot. (Limits that depend on HZ or the kernel
 * version — INT_MAX/HZ seconds, probes a u8 on current kernels — are not modelled.)
 */
function kernelValue(value: string): number | null {
  return /^\d{1,10}$/.test(value) ? Number(value) : null;
}

const fileName = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const dirName = (path: string) => path.slice(0, path.lastIndexOf('/'));

/** strcmp order of the names' bytes: for UTF-8 text that is code point order (not JavaScript's UTF-16 order). */
function compareNames(a: string, b: string): number {
  const ac = Array.from(a, (c) => c.codePointAt(0)!);
  const bc = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(ac.length, bc.length); i++) if (ac[i] !== bc[i]) return ac[i]! - bc[i]!;
  return ac.length - bc.length;
}

/** The files `reader` applies, in the order it applies them. */
export function applicationOrder(files: readonly SysctlFile[], reader: SysctlReader): SysctlFile[] {
  const byName = new Map<string, SysctlFile>();
  for (const dir of SYSCTL_DIRS) {
    for (const file of files) {
      if (dirName(file.path) !== dir) continue;
      const name = fileName(file.path);
      if (!name.endsWith('.conf')) continue;
      // systemd's FOREACH_DIRENT skips hidden entries; procps takes every name of 5 or more characters ending ".conf".
      if (reader === 'systemd' ? name.startsWith('.') : name.length < 5) continue;
      if (!byName.has(name)) byName.set(name, file);
    }
  }
  const ordered = [...byName.values()].sort((a, b) => compareNames(fileName(a.path), fileName(b.path)));
  if (reader === 'procps') {
    const conf = files.find((f) => f.path === SYSCTL_CONF);
    if (conf && conf.text !== null) ordered.push(conf);
  }
  return ordered;
}

/** The reasoning behind bootSettings: which reader, in which order, and where each value comes from. */
export function bootPrecedence(files: readonly SysctlFile[], options: BootOptions): BootPrecedence {
  const { reader } = options;
  const dropIn = options.dropIn ?? DROP_IN;
  const ordered = applicationOrder(files, reader);
  const assignments = ordered.flatMap((f) => (f.text === null ? [] : parseSysctlText(f.path, f.text, reader, f.truncated)));

  const winners = {} as Record<keyof KeepaliveValues, BootWinner | null>;
  const overriddenBy: BootSettings['overriddenBy'] = [];
  for (const field of FIELDS) {
    const key = KEYS[field];
    const named = assignments.filter((a) => !a.glob && a.key === key);
    const explicit = named.filter((a) => a.value !== null);
    let winner: SysctlAssignment | null = null;
    if (reader === 'systemd' && named.length > 0) {
      // systemd keeps one entry per key, the last line's, and writes it: a value the kernel refuses
      // leaves the default, and a later `-key` exclusion replaces the assignment with nothing.
      const last = named.at(-1)!;
      winner = last.value === null ? null : last;
    } else if (explicit.length > 0) {
      // procps writes each assignment in turn, so the last one the kernel accepts stays.
      winner = explicit.findLast((a) => kernelValue(a.value!) !== null) ?? null;
    } else {
      // A glob reaches a key no line names explicitly nor excludes: systemd's exclusions match the
      // key exactly (ordered_hashmap_contains), procps's by fnmatch (settinglist_findpath).
      const excluded = assignments.some(
        (a) => a.value === null && (a.key === key || (reader === 'procps' && a.glob && globMatches(a.key, key))),
      );
      if (!excluded) winner = assignments.findLast((a) => a.glob && a.value !== null && kernelValue(a.value) !== null && globMatches(a.key, key)) ?? null;
    }
    const value = winner ? kernelValue(winner.value!) : null;
    winners[field] = winner && value !== null ? { path: winner.path, line: winner.line, value } : null;

    // Every later assignment of the key by another file is applied after ours and wins over it.
    const ours = explicit.findLastIndex((a) => a.path === dropIn);
    if (ours < 0) continue;
    for (const later of explicit.slice(ours + 1)) {
      if (later.path === dropIn) continue;
      const laterValue = kernelValue(later.value!);
      // A value the kernel refuses is not listed (nor, under systemd, a later `-key` exclusion):
      // under procps it changes nothing; under systemd it leaves the kernel default, which the
      // boot value (null) shows.
      if (laterValue !== null) overriddenBy.push({ path: later.path, key: dotted(key), value: laterValue });
    }
  }

  const hasDropIn = ordered.some((f) => f.path === dropIn && f.text !== null);
  return {
    reader,
    order: ordered.map((f) => f.path),
    winners,
    settings: {
      timeSec: winners.timeSec?.value ?? null,
      intervalSec: winners.intervalSec?.value ?? null,
      probes: winners.probes?.value ?? null,
      dropIn: hasDropIn ? dropIn : null,
      overriddenBy,
    },
  };
}

/** What the next boot sets for the three keepalive sysctls, and which files override Idlewatch's drop-in. */
export function bootSettings(files: readonly SysctlFile[], options: BootOptions): BootSettings {
  return bootPrecedence(files, options).settings;
}

// ---- I/O ----

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** systemd-sysctl present → it applies the files at boot; otherwise procps `sysctl --system` does. */
export async function detectSysctlReader(): Promise<SysctlReader> {
  for (const path of SYSTEMD_SYSCTL) if (await isFile(path)) return 'systemd';
  return 'procps';
}

/**
 * One entry, read safely: opened without blocking (a FIFO named x.conf must not hang us) and
 * checked on the open descriptor, so what is read is what was checked.
 */
export async function readSysctlFile(path: string): Promise<SysctlFile> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch {
    return { path, text: null };
  }
  try {
    const info = await handle.stat();
    // A symlink to /dev/null masks the name; it reads as nothing.
    if (info.isCharacterDevice() && info.rdev === (await stat('/dev/null')).rdev) return { path, text: '' };
    if (!info.isFile()) return { path, text: null };
    const buffer = Buffer.alloc(READ_LIMIT + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    const truncated = filled > READ_LIMIT;
    return { path, text: buffer.toString('latin1', 0, Math.min(filled, READ_LIMIT)), ...(truncated ? { truncated } : {}) };
  } catch {
    return { path, text: null };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function sameDirectory(a: string, b: string): Promise<boolean> {
  try {
    return (await realpath(a)) === (await realpath(b));
  } catch {
    return false;
  }
}

/** Every `*.conf` entry of the sysctl.d directories, and /etc/sysctl.conf. */
export async function readSysctlFiles(): Promise<SysctlFile[]> {
  const files: SysctlFile[] = [];
  for (const dir of SYSCTL_DIRS) {
    // Where /lib is a link to /usr/lib, /lib/sysctl.d is /usr/lib/sysctl.d again.
    if (dir === '/lib/sysctl.d' && (await sameDirectory(dir, '/usr/lib/sysctl.d'))) continue;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names.filter((n) => n.endsWith('.conf')).sort()) files.push(await readSysctlFile(`${dir}/${name}`));
  }
  if (await isFile(SYSCTL_CONF)) files.push(await readSysctlFile(SYSCTL_CONF));
  return files;
}

/** The boot's keepalive settings on this machine, under the reader it has. */
export async function readBootSettings(options: Partial<BootOptions> = {}): Promise<BootSettings> {
  const reader = options.reader ?? (await detectSysctlReader());
  return bootSettings(await readSysctlFiles(), { reader, ...(options.dropIn ? { dropIn: options.dropIn } : {}) });
}

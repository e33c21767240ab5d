import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  applicationOrder,
  bootPrecedence,
  bootSettings,
  DROP_IN,
  LINE_LIMIT,
  normalizeKey,
  parseSysctlText,
  READ_LIMIT,
  readSysctlFile,
  type SysctlFile,
  type SysctlReader,
} from '../../../../main/platform/linux/sysctl-files';

const OURS = (time = 600, intvl = 60, probes = 5): SysctlFile => ({
  path: DROP_IN,
  text: `# Written by Idlewatch\nnet.ipv4.tcp_keepalive_time = ${time}\nnet.ipv4.tcp_keepalive_intvl = ${intvl}\nnet.ipv4.tcp_keepalive_probes = ${probes}\n`,
});
const file = (path: string, text: string | null): SysctlFile => ({ path, text });
/** Debian's link: /etc/sysctl.d/99-sysctl.conf → ../sysctl.conf, read through the link; and the file itself. */
const debianConf = (text: string): SysctlFile[] => [file('/etc/sysctl.d/99-sysctl.conf', text), file('/etc/sysctl.conf', text)];
const both: SysctlReader[] = ['systemd', 'procps'];

describe('bootSettings: nothing set', () => {
  it.each(both)('%s: no file sets a keepalive key → null each (the kernel default applies), no drop-in', (reader) => {
    const files = [file('/usr/lib/sysctl.d/50-pid-max.conf', 'kernel.pid_max = 4194304\n'), file('/etc/sysctl.conf', '#net.ipv4.tcp_keepalive_time = 1\n')];
    expect(bootSettings(files, { reader })).toEqual({ timeSec: null, intervalSec: null, probes: null, dropIn: null, overriddenBy: [] });
  });
});

describe('bootSettings: our drop-in', () => {
  it.each(both)('%s: ours alone sets all three and nothing overrides it', (reader) => {
    expect(bootSettings([OURS()], { reader })).toEqual({ timeSec: 600, intervalSec: 60, probes: 5, dropIn: DROP_IN, overriddenBy: [] });
  });

  it('sorts after Debian’s 99-sysctl.conf, so under systemd that file does not override ours', () => {
    const files = [OURS(), ...debianConf('net.ipv4.tcp_keepalive_time = 7000\n')];
    const systemd = bootPrecedence(files, { reader: 'systemd' });
    expect(systemd.order).toEqual(['/etc/sysctl.d/99-sysctl.conf', DROP_IN]);
    expect(systemd.settings).toMatchObject({ timeSec: 600, overriddenBy: [] });
  });

  it('under procps /etc/sysctl.conf is read LAST, so a key it sets wins over ours and is reported by path', () => {
    const files = [OURS(), ...debianConf('net.ipv4.tcp_keepalive_time = 7000\n')];
    const procps = bootPrecedence(files, { reader: 'procps' });
    expect(procps.order).toEqual(['/etc/sysctl.d/99-sysctl.conf', DROP_IN, '/etc/sysctl.conf']);
    expect(procps.settings).toEqual({
      timeSec: 7000,
      intervalSec: 60,
      probes: 5,
      dropIn: DROP_IN,
      overriddenBy: [{ path: '/etc/sysctl.conf', key: 'net.ipv4.tcp_keepalive_time', value: 7000 }],
    });
    expect(procps.winners.timeSec).toEqual({ path: '/etc/sysctl.conf', line: 1, value: 7000 });
  });

  it('systemd does not read /etc/sysctl.conf where no directory links it', () => {
    const files = [OURS(), file('/etc/sysctl.conf', 'net.ipv4.tcp_keepalive_time = 7000\n')];
    expect(bootSettings(files, { reader: 'systemd' })).toMatchObject({ timeSec: 600, overriddenBy: [] });
    expect(bootSettings(files, { reader: 'procps' })).toMatchObject({ timeSec: 7000 });
  });

  it.each(both)('%s: a file named after ours in any directory overrides each key it sets, each reported', (reader) => {
    const files = [
      OURS(),
      file('/usr/lib/sysctl.d/99-zzz-vendor.conf', 'net.ipv4.tcp_keepalive_probes = 3\n'),
      file('/run/sysctl.d/zz-late.conf', 'net/ipv4/tcp_keepalive_time=120\nnet.ipv4.tcp_keepalive_intvl = 10\n'),
    ];
    const boot = bootSettings(files, { reader });
    expect(boot).toMatchObject({ timeSec: 120, intervalSec: 10, probes: 3, dropIn: DROP_IN });
    expect(boot.overriddenBy).toEqual([
      { path: '/run/sysctl.d/zz-late.conf', key: 'net.ipv4.tcp_keepalive_time', value: 120 },
      { path: '/run/sysctl.d/zz-late.conf', key: 'net.ipv4.tcp_keepalive_intvl', value: 10 },
      { path: '/usr/lib/sysctl.d/99-zzz-vendor.conf', key: 'net.ipv4.tcp_keepalive_probes', value: 3 },
    ]);
  });

  it.each(both)('%s: files that sort before ours are overridden by ours, not the other way round', (reader) => {
    const files = [file('/etc/sysctl.d/10-tuning.conf', 'net.ipv4.tcp_keepalive_time = 300\n'), OURS()];
    expect(bootSettings(files, { reader })).toMatchObject({ timeSec: 600, overriddenBy: [] });
  });

  it('honours another drop-in path when asked', () => {
    const mine = { ...OURS(900), path: '/etc/sysctl.d/50-mine.conf' };
    expect(bootSettings([mine, file('/etc/sysctl.d/60-x.conf', 'net.ipv4.tcp_keepalive_time = 1\n')], { reader: 'systemd', dropIn: mine.path })).toMatchObject({
      dropIn: mine.path,
      overriddenBy: [{ path: '/etc/sysctl.d/60-x.conf', key: 'net.ipv4.tcp_keepalive_time', value: 1 }],
    });
  });
});

describe('applicationOrder: directories and names', () => {
  it.each(both)('%s: a same-named file in an earlier directory masks the later ones (/etc, /run, /usr/local/lib, /usr/lib, /lib)', (reader) => {
    const files = [
      file('/lib/sysctl.d/50-k.conf', 'net.ipv4.tcp_keepalive_time = 5\n'),
      file('/usr/lib/sysctl.d/50-k.conf', 'net.ipv4.tcp_keepalive_time = 4\n'),
      file('/usr/local/lib/sysctl.d/50-k.conf', 'net.ipv4.tcp_keepalive_time = 3\n'),
      file('/run/sysctl.d/50-k.conf', 'net.ipv4.tcp_keepalive_time = 2\n'),
    ];
    expect(bootPrecedence(files, { reader }).winners.timeSec).toMatchObject({ path: '/run/sysctl.d/50-k.conf', value: 2 });
    expect(bootPrecedence([...files, file('/etc/sysctl.d/50-k.conf', 'net.ipv4.tcp_keepalive_time = 1\n')], { reader }).winners.timeSec).toMatchObject({
      path: '/etc/sysctl.d/50-k.conf',
      value: 1,
    });
  });

  it.each(both)('%s: a /dev/null mask (or an empty file) in /etc switches a vendor file off', (reader) => {
    const files = [file('/usr/lib/sysctl.d/60-vendor.conf', 'net.ipv4.tcp_keepalive_time = 45\n'), file('/etc/sysctl.d/60-vendor.conf', '')];
    expect(bootSettings(files, { reader }).timeSec).toBeNull();
  });

  it.each(both)('%s: an unreadable entry still hides the same name further on', (reader) => {
    const files = [file('/usr/lib/sysctl.d/60-vendor.conf', 'net.ipv4.tcp_keepalive_time = 45\n'), file('/etc/sysctl.d/60-vendor.conf', null)];
    expect(bootSettings(files, { reader }).timeSec).toBeNull();
  });

  it.each(both)('%s: files of all directories are applied together in name order (byte order, not directory order)', (reader) => {
    const files = [
      file('/etc/sysctl.d/10-a.conf', 'net.ipv4.tcp_keepalive_time = 1\n'),
      file('/usr/lib/sysctl.d/20-b.conf', 'net.ipv4.tcp_keepalive_time = 2\n'),
      file('/run/sysctl.d/30-c.conf', 'net.ipv4.tcp_keepalive_time = 3\n'),
      file('/usr/lib/sysctl.d/Z-upper.conf', 'net.ipv4.tcp_keepalive_intvl = 9\n'),
      file('/etc/sysctl.d/a-lower.conf', 'net.ipv4.tcp_keepalive_intvl = 8\n'),
    ];
    const result = bootPrecedence(files, { reader });
    expect(result.order.map((p) => p.split('/').pop())).toEqual(['10-a.conf', '20-b.conf', '30-c.conf', 'Z-upper.conf', 'a-lower.conf']);
    expect(result.settings).toMatchObject({ timeSec: 3, intervalSec: 8 });
  });

  it('only *.conf; hidden names count for procps but not for systemd (FOREACH_DIRENT skips them)', () => {
    const files = [
      file('/etc/sysctl.d/README.sysctl', 'net.ipv4.tcp_keepalive_time = 1\n'),
      file('/etc/sysctl.d/x.conf.dpkg-old', 'net.ipv4.tcp_keepalive_time = 2\n'),
      file('/etc/sysctl.d/.hidden.conf', 'net.ipv4.tcp_keepalive_time = 3\n'),
      file('/etc/sysctl.d/sub/deep.conf', 'net.ipv4.tcp_keepalive_time = 4\n'),
      file('/home/x/sysctl.d/a.conf', 'net.ipv4.tcp_keepalive_time = 5\n'),
    ];
    expect(applicationOrder(files, 'systemd')).toEqual([]);
    expect(applicationOrder(files, 'procps').map((f) => f.path)).toEqual(['/etc/sysctl.d/.hidden.conf']);
  });
});

describe('parseSysctlText: line syntax', () => {
  const keys = (text: string, reader: SysctlReader = 'systemd') => parseSysctlText('/f.conf', text, reader).map((a) => [a.key, a.value]);

  it.each(both)('%s: spacing, separators, comments, ignore-failure dashes and CRLF', (reader) => {
    const text = [
      '# a comment = 1',
      '; another = 2',
      '   # indented comment',
      '',
      'net.ipv4.tcp_keepalive_time=601',
      '\tnet.ipv4.tcp_keepalive_intvl   =   61   ',
      'net/ipv4/tcp_keepalive_probes = 6\r',
      '-net.ipv4.tcp_keepalive_time = 602',
      'not an assignment',
      '= 5',
      'kernel.domainname = example.com',
    ].join('\n');
    expect(keys(text, reader)).toEqual([
      ['net/ipv4/tcp_keepalive_time', '601'],
      ['net/ipv4/tcp_keepalive_intvl', '61'],
      ['net/ipv4/tcp_keepalive_probes', '6'],
      ['net/ipv4/tcp_keepalive_time', '602'],
      ['kernel/domainname', 'example.com'],
    ]);
  });

  it('normalizes keys as sysctl_normalize / slashdot do: the first separator decides', () => {
    expect(normalizeKey('net.ipv4.tcp_keepalive_time')).toBe('net/ipv4/tcp_keepalive_time');
    expect(normalizeKey('net/ipv4/tcp_keepalive_time')).toBe('net/ipv4/tcp_keepalive_time');
    // A dotted key's slashes become dots (an interface named "eth0.100").
    expect(normalizeKey('net.ipv4.conf.eth0/100.rp_filter')).toBe('net/ipv4/conf/eth0.100/rp_filter');
    // Slash first: dots are left alone, so this is not our key.
    expect(normalizeKey('net/ipv4.tcp_keepalive_time')).toBe('net/ipv4.tcp_keepalive_time');
  });

  it('"- key = value": systemd strips the space after the dash, procps keeps it (and so names no sysctl)', () => {
    expect(keys('- net.ipv4.tcp_keepalive_time = 5', 'systemd')).toEqual([['net/ipv4/tcp_keepalive_time', '5']]);
    expect(keys('- net.ipv4.tcp_keepalive_time = 5', 'procps')).toEqual([[' net/ipv4/tcp_keepalive_time', '5']]);
  });

  it.each(both)('%s: a key set twice in one file: the later line wins', (reader) => {
    const files = [file('/etc/sysctl.d/50-twice.conf', 'net.ipv4.tcp_keepalive_time = 100\nnet.ipv4.tcp_keepalive_time = 200\n')];
    expect(bootPrecedence(files, { reader }).winners.timeSec).toEqual({ path: '/etc/sysctl.d/50-twice.conf', line: 2, value: 200 });
  });
});

describe('values the kernel refuses', () => {
  const files = [OURS(), file('/etc/sysctl.d/zz-bad.conf', 'net.ipv4.tcp_keepalive_time = ten minutes\n')];

  it('procps writes each line in turn: the refused one changes nothing, ours stays and nothing is reported', () => {
    expect(bootSettings(files, { reader: 'procps' })).toMatchObject({ timeSec: 600, overriddenBy: [] });
  });

  it('systemd keeps only the last line per key: the refused value replaces ours and the kernel default stays', () => {
    expect(bootSettings(files, { reader: 'systemd' })).toMatchObject({ timeSec: null, intervalSec: 60 });
  });

  it('systemd: a later "-key" exclusion line replaces an assignment with nothing', () => {
    const excluded = [OURS(), file('/etc/sysctl.d/zz-ex.conf', '-net.ipv4.tcp_keepalive_probes\n')];
    expect(bootSettings(excluded, { reader: 'systemd' })).toMatchObject({ probes: null });
    expect(bootSettings(excluded, { reader: 'procps' })).toMatchObject({ probes: 5 });
  });
});

describe('glob keys', () => {
  it.each(both)('%s: a glob sets a keepalive key that no line names', (reader) => {
    const files = [file('/usr/lib/sysctl.d/50-glob.conf', 'net.ipv4.tcp_keepalive_* = 77\nnet.ipv4.conf.*.rp_filter = 2\n')];
    expect(bootSettings(files, { reader })).toMatchObject({ timeSec: 77, intervalSec: 77, probes: 77 });
  });

  it.each(both)('%s: explicit settings beat globs wherever they are, so a later glob does not override ours', (reader) => {
    const files = [OURS(), file('/etc/sysctl.d/zz-glob.conf', 'net.ipv4.tcp_keepalive_t?me = 1\nnet.ipv4.tcp_keepalive_[ip]* = 2\n')];
    expect(bootSettings(files, { reader })).toMatchObject({ timeSec: 600, intervalSec: 60, probes: 5, overriddenBy: [] });
  });

  it.each(both)('%s: a glob does not cross a separator, and unrelated globs are ignored', (reader) => {
    const files = [file('/etc/sysctl.d/50-g.conf', 'net.*_keepalive_time = 3\nnet.ipv4.conf.*.rp_filter = 1\nnet.ipv4.tcp_keep[ = 4\n')];
    expect(bootSettings(files, { reader })).toMatchObject({ timeSec: null, intervalSec: null, probes: null });
  });

  it('an exclusion keeps a glob off a key: exactly in systemd, by pattern too in procps', () => {
    const files = [file('/etc/sysctl.d/50-g.conf', 'net.ipv4.tcp_keepalive_* = 30\n-net.ipv4.tcp_keepalive_time\n-net.ipv4.tcp_keepalive_p*\n')];
    expect(bootSettings(files, { reader: 'systemd' })).toMatchObject({ timeSec: null, intervalSec: 30, probes: 30 });
    expect(bootSettings(files, { reader: 'procps' })).toMatchObject({ timeSec: null, intervalSec: 30, probes: null });
  });
});

describe('hostile and broken content is bounded and skipped', () => {
  it.each(both)('%s: a 10 MB line is skipped, the lines around it still count', (reader) => {
    const text = `net.ipv4.tcp_keepalive_time = 111\n${'x'.repeat(10 * 1024 * 1024)}\nnet.ipv4.tcp_keepalive_intvl = 22\n`;
    const started = performance.now();
    expect(bootSettings([file('/etc/sysctl.d/50-huge.conf', text)], { reader })).toMatchObject({ timeSec: 111, intervalSec: 22 });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('a long assignment is skipped rather than parsed (LINE_LIMIT)', () => {
    const padded = `net.ipv4.tcp_keepalive_time = 5${' '.repeat(LINE_LIMIT)}`;
    expect(parseSysctlText('/f.conf', padded, 'systemd')).toEqual([]);
  });

  it.each(both)('%s: binary garbage sets nothing and does not throw', (reader) => {
    let seed = 7;
    const bytes = Array.from({ length: 200_000 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff);
    const garbage = String.fromCharCode(...bytes.slice(0, 100_000)) + String.fromCharCode(...bytes.slice(100_000));
    expect(bootSettings([file('/etc/sysctl.d/50-bin.conf', garbage)], { reader })).toEqual({ timeSec: null, intervalSec: null, probes: null, dropIn: null, overriddenBy: [] });
  });

  it('a NUL ends the meaningful part of a line, as C strings do', () => {
    expect(parseSysctlText('/f.conf', 'net.ipv4.tcp_keepalive_time = 12\0 34\n', 'procps')).toMatchObject([{ value: '12' }]);
  });

  it('a file cut at the read limit loses its incomplete last line, not a value read half', () => {
    const cut = parseSysctlText('/f.conf', 'net.ipv4.tcp_keepalive_intvl = 9\nnet.ipv4.tcp_keepalive_time = 12', 'systemd', true);
    expect(cut.map((a) => a.key)).toEqual(['net/ipv4/tcp_keepalive_intvl']);
  });
});

describe('readSysctlFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'idlewatch-sysctl-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file byte for byte, and through a symlink', async () => {
    writeFileSync(join(dir, 'a.conf'), Buffer.from([0x6e, 0x3d, 0x31, 0xff, 0x0a]));
    symlinkSync('a.conf', join(dir, 'link.conf'));
    expect(await readSysctlFile(join(dir, 'link.conf'))).toEqual({ path: join(dir, 'link.conf'), text: 'n=1\u00ff\n' });
  });

  it('reads a /dev/null mask as empty, and a directory, a FIFO or a missing file as unreadable without blocking', async () => {
    symlinkSync('/dev/null', join(dir, 'mask.conf'));
    execFileSync('mkfifo', [join(dir, 'fifo.conf')]);
    expect(await readSysctlFile(join(dir, 'mask.conf'))).toEqual({ path: join(dir, 'mask.conf'), text: '' });
    expect(await readSysctlFile(join(dir, 'fifo.conf'))).toMatchObject({ text: null });
    expect(await readSysctlFile(dir)).toMatchObject({ text: null });
    expect(await readSysctlFile(join(dir, 'missing.conf'))).toMatchObject({ text: null });
  });

  it('stops at READ_LIMIT bytes and says so', async () => {
    writeFileSync(join(dir, 'big.conf'), Buffer.alloc(READ_LIMIT + 10, 0x61));
    const read = await readSysctlFile(join(dir, 'big.conf'));
    expect(read.text).toHaveLength(READ_LIMIT);
    expect(read.truncated).toBe(true);
  });
});

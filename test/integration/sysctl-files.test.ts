/**
 * The boot-time precedence read from this machine's real directories: the files written here go
 * into /etc/sysctl.d, which inside the test's mount namespace is a throwaway tmpfs (nothing else
 * is written; /usr/lib/sysctl.d and /etc/sysctl.conf are only read).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  bootPrecedence,
  detectSysctlReader,
  DROP_IN,
  readBootSettings,
  readSysctlFiles,
  SYSTEMD_SYSCTL,
} from '../../main/platform/linux/sysctl-files';
import { assertThrowawayPersistence } from './lab';

const DIR = '/etc/sysctl.d';
/** What /etc/sysctl.d held before (other test files share the namespace): put back afterwards. */
let before: Map<string, { link: string | null; text: string | null }>;
const ours = (time: number, intvl: number, probes: number) =>
  `# Idlewatch keepalive profile\nnet.ipv4.tcp_keepalive_time = ${time}\nnet.ipv4.tcp_keepalive_intvl = ${intvl}\nnet.ipv4.tcp_keepalive_probes = ${probes}\n`;

function snapshotDir() {
  return new Map(
    readdirSync(DIR).map((name) => {
      const path = `${DIR}/${name}`;
      const stat = lstatSync(path);
      return [name, { link: stat.isSymbolicLink() ? execFileSync('readlink', [path], { encoding: 'utf8' }).trim() : null, text: stat.isFile() ? readFileSync(path, 'utf8') : null }];
    }),
  );
}

function restoreDir() {
  for (const name of readdirSync(DIR)) if (!before.has(name)) rmSync(`${DIR}/${name}`, { recursive: true, force: true });
  for (const [name, { link, text }] of before) {
    const path = `${DIR}/${name}`;
    rmSync(path, { force: true });
    if (link !== null) symlinkSync(link, path);
    else if (text !== null) writeFileSync(path, text);
  }
}

beforeAll(() => {
  assertThrowawayPersistence();
  before = snapshotDir();
  for (const name of before.keys()) rmSync(`${DIR}/${name}`, { recursive: true, force: true });
});
afterEach(() => {
  for (const name of readdirSync(DIR)) rmSync(`${DIR}/${name}`, { recursive: true, force: true });
});
afterAll(() => restoreDir());

/** The host's own files may set nothing keepalive-related; the tests below assume so, and say it. */
function hostSetsKeepalive(): string | null {
  const others = ['/run/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d', '/lib/sysctl.d'].flatMap((dir) =>
    existsSync(dir) ? readdirSync(dir).map((n) => `${dir}/${n}`) : [],
  );
  for (const path of [...others, '/etc/sysctl.conf']) {
    try {
      if (/^\s*-?\s*net[./]ipv4[./]tcp_keepalive/m.test(readFileSync(path, 'utf8'))) return path;
    } catch {
      // unreadable or not a file: the reader skips it too
    }
  }
  return null;
}

describe('readBootSettings on this machine', () => {
  it('knows which program applies the files at boot: systemd-sysctl where it is installed', async () => {
    expect(await detectSysctlReader()).toBe(SYSTEMD_SYSCTL.some((p) => existsSync(p)) ? 'systemd' : 'procps');
  });

  it('without our drop-in: nothing set, nothing to report (the host sets no keepalive key)', async () => {
    expect(hostSetsKeepalive()).toBeNull();
    expect(await readBootSettings()).toEqual({ timeSec: null, intervalSec: null, probes: null, dropIn: null, overriddenBy: [] });
  });

  it('reports our drop-in and its values', async () => {
    writeFileSync(DROP_IN, ours(600, 60, 5));
    expect(await readBootSettings()).toEqual({ timeSec: 600, intervalSec: 60, probes: 5, dropIn: DROP_IN, overriddenBy: [] });
  });

  it('names a file that sorts after ours and sets a keepalive key: it wins at boot', async () => {
    writeFileSync(DROP_IN, ours(600, 60, 5));
    writeFileSync(`${DIR}/99-zzz-local.conf`, '# site tuning\nnet.ipv4.tcp_keepalive_time=7000\n');
    writeFileSync(`${DIR}/10-early.conf`, 'net.ipv4.tcp_keepalive_probes = 9\n');
    for (const reader of ['systemd', 'procps'] as const) {
      expect(await readBootSettings({ reader })).toEqual({
        timeSec: 7000,
        intervalSec: 60,
        probes: 5,
        dropIn: DROP_IN,
        overriddenBy: [{ path: `${DIR}/99-zzz-local.conf`, key: 'net.ipv4.tcp_keepalive_time', value: 7000 }],
      });
    }
  });

  it("follows Debian's 99-sysctl.conf link to /etc/sysctl.conf, which sorts before ours", async () => {
    writeFileSync(DROP_IN, ours(900, 60, 5));
    symlinkSync('../sysctl.conf', `${DIR}/99-sysctl.conf`);
    const precedence = bootPrecedence(await readSysctlFiles(), { reader: 'systemd' });
    const order = precedence.order.filter((p) => p.startsWith(DIR));
    expect(order).toEqual([`${DIR}/99-sysctl.conf`, DROP_IN]);
    expect(precedence.settings).toMatchObject({ timeSec: 900, overriddenBy: [] });
    // procps reads /etc/sysctl.conf once more, last of all.
    expect(bootPrecedence(await readSysctlFiles(), { reader: 'procps' }).order.at(-1)).toBe('/etc/sysctl.conf');
  });

  it('a /dev/null link in /etc/sysctl.d masks the vendor file of that name', async () => {
    const vendor = existsSync('/usr/lib/sysctl.d') ? readdirSync('/usr/lib/sysctl.d').find((n) => n.endsWith('.conf')) : undefined;
    expect(vendor, 'a vendor file in /usr/lib/sysctl.d to mask').toBeDefined();
    symlinkSync('/dev/null', `${DIR}/${vendor}`);
    const order = bootPrecedence(await readSysctlFiles(), { reader: 'systemd' }).order;
    expect(order).toContain(`${DIR}/${vendor}`);
    expect(order).not.toContain(`/usr/lib/sysctl.d/${vendor}`);
  });

  it('is not held up or thrown off by a FIFO, a directory, a 10 MB line or binary garbage', async () => {
    writeFileSync(DROP_IN, ours(600, 60, 5));
    execFileSync('mkfifo', [`${DIR}/50-fifo.conf`]);
    execFileSync('mkdir', [`${DIR}/50-dir.conf`]);
    writeFileSync(`${DIR}/60-huge.conf`, `net.ipv4.tcp_keepalive_intvl = 30\n${'y'.repeat(10 * 1024 * 1024)}\n`);
    writeFileSync(`${DIR}/61-binary.conf`, Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 7919) & 0xff)));
    const started = Date.now();
    expect(await readBootSettings({ reader: 'systemd' })).toMatchObject({ timeSec: 600, intervalSec: 60, probes: 5, overriddenBy: [] });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

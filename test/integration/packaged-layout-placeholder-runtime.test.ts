/**
 * What electron-builder assembles for Linux from build/electron-builder.config.mjs, packed onto a
 * PLACEHOLDER Electron runtime (placeholder-electron.ts): the real runtime cannot be downloaded
 * on these machines, so nothing here starts the app. Checked is what electron-builder itself
 * puts together: app.asar and what is unpacked beside it, the fuses it flips, and — through its
 * documented `effectiveOptionComputed` hook, called just before it would run fpm or the AppImage
 * tools (neither can be downloaded here) — the exact fpm arguments of the deb and rpm (files,
 * metadata, maintainer scripts) and the desktop entries.
 *
 * Then the pieces are used for real: polkit parses the action file the packages install; the
 * packaged `idlewatch` runs `snapshot --json` from the unpacked folder on the system's Node, both
 * directly and as the packages install it (/usr/bin/idlewatch, with the layout mounted at
 * /opt/Idlewatch in a mount namespace of its own); the maintainer scripts run against stand-ins
 * for the system commands they call.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import config, { CLI_ON_PATH, INSTALLED_HELPER, LINUX_EXECUTABLE, POLKIT_ACTION } from '../../build/electron-builder.config.mjs';
import { findElectronBinary } from '../../main/cli/start';
import { sockdiagBinaryBeside } from '../../main/platform/linux/sockdiag-process';
import { SnapshotSchema } from '../../shared/model/schemas';
import { serve } from '../e2e/browser-lab';
import { assertThrowawayNamespace } from './lab';
import { readFuses, writePlaceholderElectron } from './placeholder-electron';
import { ACTION_ID, withPolkit } from './polkit-lab';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const ICON_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];

interface FpmRun {
  args: string[];
  /** dst → src of every `src=dst` file mapping. */
  files: Map<string, string>;
  afterInstall: string;
  afterRemove: string;
  desktop: string;
}

let work: string;
let layout: string;
let unpacked: string;
const fpm = new Map<'deb' | 'rpm', FpmRun>();
let appImageDesktop: string | null = null;
let server: Server;
let listeningPort: number;

function flagValue(args: string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at < 0 ? undefined : args[at + 1];
}

/** Parses a desktop entry's [Desktop Entry] group. */
function desktopEntry(text: string): Record<string, string> {
  const lines = text.split('\n');
  expect(lines[0]).toBe('[Desktop Entry]');
  return Object.fromEntries(lines.slice(1).filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

beforeAll(async () => {
  assertThrowawayNamespace();
  for (const built of ['out/main/index.js', 'out/cli/cli.mjs', 'out/renderer/index.html', 'out/bin/idlewatch-keepalive', 'out/icons/256x256.png']) {
    if (!existsSync(join(REPO, built))) throw new Error(`${built} is missing: run \`npm run build\` first (npm test does).`);
  }
  work = mkdtempSync(join(tmpdir(), 'idlewatch-packaging-'));
  const runtime = join(work, 'placeholder-electron');
  writePlaceholderElectron(runtime);

  const { build, Platform, Arch } = await import('electron-builder');
  await build({
    projectDir: REPO,
    targets: Platform.LINUX.createTarget(['dir', 'deb', 'rpm', 'AppImage'], Arch.x64),
    config: { ...config, electronDist: runtime, directories: { ...config.directories, output: join(work, 'dist') } },
    // Called with what would go to fpm ([args, desktop file]) or to the AppImage tools ({ desktop }); true skips the tool.
    effectiveOptionComputed: async (options: unknown) => {
      if (Array.isArray(options)) {
        const [args, desktopFile] = options as [string[], string];
        const kind = flagValue(args, '--package')!.endsWith('.deb') ? 'deb' : 'rpm';
        const files = new Map(args.filter((a) => /^\/.*=\//.test(a)).map((a) => [a.slice(a.lastIndexOf('=') + 1), a.slice(0, a.lastIndexOf('='))] as const));
        fpm.set(kind, {
          args,
          files,
          afterInstall: readFileSync(flagValue(args, '--after-install')!, 'utf8'),
          afterRemove: readFileSync(flagValue(args, '--after-remove')!, 'utf8'),
          desktop: readFileSync(desktopFile, 'utf8'),
        });
      } else {
        appImageDesktop = (options as { desktop: string }).desktop;
      }
      return true;
    },
  });
  layout = join(work, 'dist/linux-unpacked');
  unpacked = join(layout, 'resources/app.asar.unpacked');

  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  listeningPort = (server.address() as { port: number }).port;
}, 180_000);

afterAll(() => {
  server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('app.asar (electron-builder on a placeholder runtime)', () => {
  it('holds the build, the launcher and the production dependencies, and nothing else from the checkout', async () => {
    const { listPackage } = await import('@electron/asar');
    const entries = listPackage(join(layout, 'resources/app.asar'), { isPack: false }).map((e) => e.replace(/^\//, ''));
    const own = entries.filter((e) => !e.startsWith('node_modules'));
    for (const needed of ['package.json', 'out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html', 'out/cli/cli.mjs', 'main/cli/idlewatch.mjs']) {
      expect(own).toContain(needed);
    }
    // No sources, tests, scratch or build tooling: only out/ and the launcher.
    expect(own.filter((e) => !/^(out|out\/.*|main|main\/cli|main\/cli\/idlewatch\.mjs|package\.json)$/.test(e))).toEqual([]);
    expect(own.filter((e) => /\.(ts|svelte|c|h|map)$/.test(e))).toEqual([]);
    const modules = new Set(entries.filter((e) => e.startsWith('node_modules/')).map((e) => e.split('/')[1]));
    for (const dependency of ['zod', 'ipaddr.js', 'ws', 'csv-stringify', 'systeminformation']) expect(modules).toContain(dependency);
    for (const devDependency of ['electron', 'electron-builder', 'vitest', 'svelte', 'playwright-core', 'typescript', 'vite']) expect(modules).not.toContain(devDependency);
  });

  it('leaves out what a child process executes or the system Node runs: the helpers, the CLI, its launcher, the page it serves', () => {
    for (const helper of ['out/bin/idlewatch-sockdiag', 'out/bin/idlewatch-keepalive']) {
      const st = statSync(join(unpacked, helper));
      expect(st.mode & 0o777, helper).toBe(0o755);
      expect(readFileSync(join(unpacked, helper)).equals(readFileSync(join(REPO, helper))), helper).toBe(true);
    }
    expect(existsSync(join(unpacked, 'out/cli/cli.mjs'))).toBe(true);
    expect(existsSync(join(unpacked, 'main/cli/idlewatch.mjs'))).toBe(true);
    expect(existsSync(join(unpacked, 'out/renderer/index.html'))).toBe(true);
    // The desktop app's code runs from app.asar/out/main; it looks for its helper beside the asar.
    expect(sockdiagBinaryBeside(join(layout, 'resources/app.asar/out/main'))).toBe(join(unpacked, 'out/bin/idlewatch-sockdiag'));
    // `idlewatch start` from the package opens the packaged app.
    expect(findElectronBinary(unpacked, 'linux')).toBe(join(layout, LINUX_EXECUTABLE));
  });

  it('ships an executable whose fuses are flipped: no RunAsNode, NODE_OPTIONS or --inspect; the app only from an integrity-checked asar', () => {
    expect(readFuses(join(layout, LINUX_EXECUTABLE))).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      loadBrowserProcessSpecificV8Snapshot: false,
      grantFileProtocolExtraPrivileges: false,
    });
  });
});

describe('the deb and rpm, as electron-builder hands them to fpm (fpm itself cannot be downloaded here)', () => {
  it.each(['deb', 'rpm'] as const)('%s: the helper, the polkit action and `idlewatch` are package files at their fixed paths, with fixed modes, owned by root', (kind) => {
    const run = fpm.get(kind)!;
    expect(run, `${kind} was not built`).toBeDefined();
    const expected = [
      [INSTALLED_HELPER, 'out/bin/idlewatch-keepalive', 0o755],
      [POLKIT_ACTION, 'build/polkit/org.idlewatch.keepalive.policy', 0o644],
      [CLI_ON_PATH, 'build/linux/idlewatch', 0o755],
    ] as const;
    for (const [destination, source, mode] of expected) {
      const staged = run.files.get(destination);
      expect(staged, destination).toBeDefined();
      expect(readFileSync(staged!).equals(readFileSync(join(REPO, source))), `${destination} is ${source}`).toBe(true);
      expect(statSync(staged!).mode & 0o7777, destination).toBe(mode);
    }
    expect(run.files.get('/opt/Idlewatch')).toBe(`${layout}/`);
    if (kind === 'deb') {
      expect([flagValue(run.args, '--deb-user'), flagValue(run.args, '--deb-group')]).toEqual(['root', 'root']);
    } else {
      expect([flagValue(run.args, '--rpm-user'), flagValue(run.args, '--rpm-group')]).toEqual(['root', 'root']);
      // rpm removes only the directories the package owns.
      expect(flagValue(run.args, '--directories')).toBe('/usr/libexec/idlewatch');
    }
  });

  it.each(['deb', 'rpm'] as const)('%s: package metadata', (kind) => {
    const { args } = fpm.get(kind)!;
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
    expect(flagValue(args, '--name')).toBe('idlewatch');
    expect(flagValue(args, '--version')).toBe(pkg.version);
    expect(flagValue(args, '--maintainer')).toBe('Idlewatch team <team@idlewatch.invalid>');
    expect(flagValue(args, '--url')).toBe(pkg.homepage);
    expect(flagValue(args, '--license')).toBe(pkg.license);
    // fpm turns amd64 into x86_64 for rpm itself.
    expect(flagValue(args, '--architecture')).toBe('amd64');
    expect(flagValue(args, '--description')).toMatch(/keepalive probe/);
    expect(flagValue(args, '--package')).toMatch(kind === 'deb' ? /idlewatch_0\.1\.0_amd64\.deb$/ : /idlewatch-0\.1\.0\.x86_64\.rpm$/);
  });

  it.each(['deb', 'rpm'] as const)('%s: a desktop entry for the app and its icon in every size', (kind) => {
    const run = fpm.get(kind)!;
    expect(run.files.get(`/usr/share/applications/${LINUX_EXECUTABLE}.desktop`)).toBeDefined();
    expect(desktopEntry(run.desktop)).toMatchObject({
      Name: 'Idlewatch',
      GenericName: 'TCP Keepalive Monitor',
      Exec: `/opt/Idlewatch/${LINUX_EXECUTABLE} %U`,
      Icon: LINUX_EXECUTABLE,
      Type: 'Application',
      Terminal: 'false',
      Categories: 'Network;System;Monitor;',
      StartupWMClass: LINUX_EXECUTABLE,
    });
    for (const size of ICON_SIZES.filter((s) => s <= 512)) {
      expect(run.files.get(`/usr/share/icons/hicolor/${size}x${size}/apps/${LINUX_EXECUTABLE}.png`), `${size} px icon`).toBe(join(REPO, `out/icons/${size}x${size}.png`));
    }
  });

  it('the AppImage keeps Chromium\'s sandbox (no --no-sandbox in its desktop entry)', () => {
    expect(appImageDesktop).not.toBeNull();
    const entry = desktopEntry(appImageDesktop!);
    expect(entry.Exec).toBe('AppRun %U');
    expect(entry.Name).toBe('Idlewatch');
  });
});

describe('the polkit action the packages install, parsed by polkit itself', () => {
  // Never skipped: without pkexec or polkitd, withPolkit fails saying what to install (README: Test it).
  it('names the installed helper as its exec.path and asks auth_admin_keep of the active session', async () => {
    const run = fpm.get('deb')!;
    await withPolkit({ authorize: false, helper: run.files.get(INSTALLED_HELPER)!, actionFile: run.files.get(POLKIT_ACTION)! }, async (lab) => {
      const shown = await lab.runAsRoot(['pkaction', '--action-id', ACTION_ID, '--verbose']);
      expect(shown.status, shown.stderr).toBe(0);
      const field = (name: string) => new RegExp(`^\\s*${name}:\\s*(.*)$`, 'm').exec(shown.stdout)?.[1]?.trim();
      expect(field('implicit active')).toBe('auth_admin_keep');
      expect(field('implicit inactive')).toBe('auth_admin');
      expect(field('implicit any')).toBe('auth_admin');
      expect(shown.stdout).toMatch(new RegExp(`annotation:\\s+org\\.freedesktop\\.policykit\\.exec\\.path -> ${INSTALLED_HELPER.replaceAll('/', '\\/')}$`, 'm'));
    });
  });
});

describe('the packaged `idlewatch`, on the system Node', () => {
  function expectSnapshotWithOurListener(stdout: string) {
    const doc = SnapshotSchema.parse(JSON.parse(stdout));
    expect(doc.connections.some((c) => c.state === 'LISTEN' && c.localPort === listeningPort && c.pid === process.pid)).toBe(true);
  }

  it('runs `snapshot --json` from the unpacked folder, with no node_modules anywhere near it', () => {
    expect(existsSync(join(unpacked, 'node_modules'))).toBe(false);
    const run = spawnSync('/usr/bin/node', [join(unpacked, 'main/cli/idlewatch.mjs'), 'snapshot', '--json'], {
      cwd: '/',
      env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' },
      encoding: 'utf8',
      maxBuffer: 256 << 20,
      timeout: 30_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expectSnapshotWithOurListener(run.stdout);
  });

  it('serves browser mode from the package: `idlewatch serve` finds the page unpacked beside the asar', async () => {
    const served = await serve({ launcher: { node: '/usr/bin/node', cli: join(unpacked, 'main/cli/idlewatch.mjs') } });
    try {
      const page = await fetch(new URL('/', served.origin));
      expect(page.status).toBe(200);
      expect(await page.text()).toBe(readFileSync(join(unpacked, 'out/renderer/index.html'), 'utf8'));
    } finally {
      await served.stop();
    }
  });

  it('runs as installed: /usr/bin/idlewatch with the layout at /opt/Idlewatch, ignoring NODE_OPTIONS', () => {
    const wrapper = fpm.get('deb')!.files.get(CLI_ON_PATH)!;
    // A mount namespace of its own: /opt is a fresh tmpfs there, the host's /opt is untouched.
    const script = 'mount -t tmpfs -o mode=0755 idlewatch-packaging /opt && mkdir /opt/Idlewatch && mount --bind "$1" /opt/Idlewatch && shift && exec "$@"';
    const run = spawnSync('unshare', ['-m', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', layout, wrapper, 'snapshot', '--json'], {
      cwd: '/',
      env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', NODE_OPTIONS: '--require /nonexistent/planted.js' },
      encoding: 'utf8',
      maxBuffer: 256 << 20,
      timeout: 30_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expectSnapshotWithOurListener(run.stdout);
  });
});

describe('the maintainer scripts', () => {
  /** Runs a script with stand-ins for the system commands it may call; returns the commands called. */
  function runScript(text: string, arg: string): string[] {
    const dir = mkdtempSync(join(work, 'script-'));
    const log = join(dir, 'calls');
    writeFileSync(log, '');
    mkdirSync(join(dir, 'bin'));
    for (const command of ['update-desktop-database', 'gtk-update-icon-cache', 'update-alternatives', 'apparmor_parser', 'ln', 'rm']) {
      writeFileSync(join(dir, 'bin', command), `#!/bin/sh\necho "${command} $*" >> ${log}\n`);
      chmodSync(join(dir, 'bin', command), 0o755);
    }
    // AppArmor is not enabled here; the profile steps are skipped as on a system without it.
    writeFileSync(join(dir, 'bin', 'apparmor_status'), '#!/bin/sh\nexit 1\n');
    chmodSync(join(dir, 'bin', 'apparmor_status'), 0o755);
    const script = join(dir, 'script');
    writeFileSync(script, text);
    execFileSync('bash', [script, arg], { env: { PATH: `${join(dir, 'bin')}:/usr/bin:/bin` }, stdio: ['ignore', 'ignore', 'inherit'] });
    return readFileSync(log, 'utf8').split('\n').filter(Boolean);
  }

  it.each(['deb', 'rpm'] as const)('%s: both are valid bash and neither makes a /usr/bin link (/usr/bin/idlewatch is a package file)', (kind) => {
    const run = fpm.get(kind)!;
    for (const text of [run.afterInstall, run.afterRemove]) {
      expect(spawnSync('bash', ['-n'], { input: text }).status).toBe(0);
      expect(text).not.toMatch(/ln -s|update-alternatives --install/);
      expect(text).not.toMatch(/\$\{[a-zA-Z]+\}/); // every template macro was filled in
    }
    expect(run.afterInstall).toContain(`/opt/Idlewatch/chrome-sandbox`);
  });

  it('after-install refreshes the desktop database and the icon cache', () => {
    expect(runScript(fpm.get('deb')!.afterInstall, 'configure')).toEqual([
      'update-desktop-database /usr/share/applications',
      'gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor',
    ]);
  });

  it.each([
    ['rpm', '1', 'an rpm upgrade (the new version\'s %post has already run)'],
    ['deb', 'upgrade', 'a deb upgrade'],
    ['deb', 'failed-upgrade', 'a failed deb upgrade'],
  ] as const)('after-remove does nothing on %s "%s": %s', (kind, arg, _why) => {
    expect(runScript(fpm.get(kind)!.afterRemove, arg)).toEqual([]);
  });

  it.each([
    ['rpm', '0'],
    ['deb', 'remove'],
  ] as const)('after-remove cleans up on %s "%s" (a real removal)', (kind, arg) => {
    expect(runScript(fpm.get(kind)!.afterRemove, arg)).toEqual(['update-desktop-database /usr/share/applications']);
  });

  it('no installer is built: every tool that would need a download was skipped', () => {
    expect(readdirSync(join(work, 'dist')).filter((f) => /\.(deb|rpm|AppImage)$/.test(f))).toEqual([]);
  });
});

// electron-builder's configuration for Idlewatch's installers (README: Installers):
//   npm run dist:linux   AppImage, deb, rpm     npm run dist:mac   dmg     npm run dist:win   nsis
// Paths are relative to the project (electron-builder's projectDir), except the files handed to
// fpm, which are absolute: fpm resolves its `src=dst` mappings against its own working directory.
import { chmodSync, copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectDir = fileURLToPath(new URL('..', import.meta.url));

/** Where the deb and rpm put the elevated helper: fixed, root's, and named by the polkit action (build/polkit/README.md). */
export const INSTALLED_HELPER = '/usr/libexec/idlewatch/idlewatch-keepalive';
export const POLKIT_ACTION = '/usr/share/polkit-1/actions/org.idlewatch.keepalive.policy';
export const CLI_ON_PATH = '/usr/bin/idlewatch';
/** Linux names the app's executable apart from `idlewatch`, which is the command-line tool on PATH. */
export const LINUX_EXECUTABLE = 'idlewatch-desktop';

/**
 * The system files of the deb and rpm, staged with the modes they must have whatever the
 * builder's umask: fpm packs each file with its mode on disk, owned by root (--deb-user/--rpm-user).
 */
export const SYSTEM_FILES = [
  { from: 'out/bin/idlewatch-keepalive', to: INSTALLED_HELPER, mode: 0o755 },
  { from: 'build/polkit/org.idlewatch.keepalive.policy', to: POLKIT_ACTION, mode: 0o644 },
  { from: 'build/linux/idlewatch', to: CLI_ON_PATH, mode: 0o755 },
];
const STAGE = join(projectDir, 'out/package/linux');
const staged = (file) => join(STAGE, file.to);

/** Copies SYSTEM_FILES into out/package/linux/ with their modes (electron-builder's beforePack). */
export function stageSystemFiles() {
  rmSync(STAGE, { recursive: true, force: true });
  for (const file of SYSTEM_FILES) {
    mkdirSync(dirname(staged(file)), { recursive: true, mode: 0o755 });
    copyFileSync(join(projectDir, file.from), staged(file));
    chmodSync(staged(file), file.mode);
  }
}

/** fpm arguments shared by deb and rpm: the system files, owned by root. */
const systemFileMappings = SYSTEM_FILES.map((file) => `${staged(file)}=${file.to}`);

/** @type {import('electron-builder').Configuration} */
const config = {
  appId: 'org.idlewatch.Idlewatch',
  productName: 'Idlewatch',
  copyright: 'Copyright © 2026 the Idlewatch team',
  directories: { output: 'dist', buildResources: 'build' },
  // What goes into the app: the build (npm run build) and package.json; electron-builder adds the
  // production node_modules the Electron main process imports. Nothing else from the checkout.
  files: [
    'package.json',
    'out/main/**',
    'out/preload/**',
    'out/renderer/**',
    'out/cli/**',
    'out/bin/idlewatch-sockdiag',
    'out/bin/idlewatch-keepalive',
    'main/cli/idlewatch.mjs',
  ],
  asar: true,
  // Outside app.asar, for what runs as a child process or under the system's Node (neither can
  // read an asar): the two helpers, the self-contained CLI (build/cli.config.ts), its launcher,
  // and the page it serves in browser mode. Electron still reads these through app.asar paths.
  asarUnpack: ['out/bin/**', 'out/cli/**', 'out/renderer/**', 'main/cli/idlewatch.mjs'],
  // Electron's fuses, flipped in the packaged executable (electronjs.org/docs/latest/tutorial/fuses):
  electronFuses: {
    // The app cannot be started as a plain Node (ELECTRON_RUN_AS_NODE), nor given code through
    // NODE_OPTIONS or a debugger through --inspect: any of those would run a stranger's code with
    // the app's identity (and its polkit action's prompt).
    runAsNode: false,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    // The app's code comes only from app.asar, checked against the hash recorded at packaging
    // (macOS and Windows check it; Linux has no embedded integrity yet, electronjs.org/docs/latest/tutorial/asar-integrity).
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    enableCookieEncryption: true,
    // The page comes through app:// (main/electron/app-protocol.ts): file:// needs no extra rights.
    grantFileProtocolExtraPrivileges: false,
  },
  beforePack: async (context) => {
    if (context.electronPlatformName === 'linux') stageSystemFiles();
  },

  linux: {
    target: ['AppImage', 'deb', 'rpm'],
    executableName: LINUX_EXECUTABLE,
    icon: 'out/icons',
    category: 'Network;System;Monitor',
    synopsis: 'Watch idle TCP connections and when keepalive will drop them',
    description:
      'Idlewatch lists idle TCP connections and projects, for each, when the kernel will send the next keepalive probe and when it, or a NAT or load balancer on the path, will drop the connection. It applies keepalive profiles through polkit, verified and reversible, and exports reports.',
    maintainer: 'Idlewatch team <team@idlewatch.invalid>',
    vendor: 'Idlewatch',
    desktop: {
      entry: {
        Name: 'Idlewatch',
        GenericName: 'TCP Keepalive Monitor',
        Keywords: 'tcp;keepalive;idle;connection;socket;network;sysctl;',
      },
    },
  },
  deb: {
    afterInstall: 'build/linux/after-install.tpl',
    afterRemove: 'build/linux/after-remove.tpl',
    priority: 'optional',
    // pkexec runs the helper; Node.js runs `idlewatch` (the desktop app needs neither).
    recommends: ['pkexec | policykit-1', 'nodejs (>= 20.19)'],
    fpm: ['--deb-user', 'root', '--deb-group', 'root', ...systemFileMappings],
  },
  rpm: {
    afterInstall: 'build/linux/after-install.tpl',
    afterRemove: 'build/linux/after-remove.tpl',
    // rpm owns only the directories it is told to: without this, /usr/libexec/idlewatch would outlive an uninstall.
    fpm: ['--rpm-user', 'root', '--rpm-group', 'root', '--directories', dirname(INSTALLED_HELPER), ...systemFileMappings],
  },
  appImage: {
    // An AppImage installs no system files (and root cannot read its FUSE mount): Apply there
    // uses the helper a deb or rpm installed, and otherwise says how to get it (README: AppImage).
    // No --no-sandbox (electron-builder's default for AppImage): the renderer keeps Chromium's
    // OS sandbox. Where unprivileged user namespaces are restricted (Ubuntu 24.04+), use the deb,
    // which installs the AppArmor profile that allows them.
    executableArgs: [],
    artifactName: '${productName}-${version}-${arch}.${ext}',
  },

  mac: {
    target: [{ target: 'dmg', arch: ['universal'] }],
    category: 'public.app-category.developer-tools',
    icon: 'out/icons/icon.icns',
    // The keepalive helper and its LaunchDaemon, for the one-time install the README describes:
    // a dmg is dragged to /Applications and cannot put files under /Library itself.
    extraResources: [{ from: 'build/darwin', to: 'darwin' }],
  },
  dmg: { title: 'Idlewatch ${version}' },

  win: {
    target: [{ target: 'nsis', arch: ['x64', 'arm64'] }],
    icon: 'out/icons/icon.ico',
    // The helper UAC runs (main/platform/win32/elevation.ts DEFAULT_HELPER_PATH):
    // C:\Program Files\Idlewatch\resources\win32\idlewatch-keepalive.ps1.
    extraResources: [{ from: 'build/win32/idlewatch-keepalive.ps1', to: 'win32/idlewatch-keepalive.ps1' }],
  },
  nsis: {
    // Per machine, into Program Files, at a fixed folder: UAC runs the helper from there as an
    // administrator, so it must sit where only administrators can write (a per-user install
    // under %LOCALAPPDATA% would let any process of the user replace it).
    oneClick: false,
    perMachine: true,
    allowElevation: true,
    allowToChangeInstallationDirectory: false,
    createDesktopShortcut: true,
    createStartMenuShortcut: true,
    shortcutName: 'Idlewatch',
    deleteAppDataOnUninstall: false,
  },
};

export default config;

/**
 * The installer configuration against the code that relies on it: the places the app looks for
 * its helpers and its own executable must be where the packages put them. (What electron-builder
 * assembles from it is test/integration/packaged-layout-placeholder-runtime.test.ts.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import config, { CLI_ON_PATH, INSTALLED_HELPER, LINUX_EXECUTABLE, SYSTEM_FILES } from '../../../build/electron-builder.config.mjs';
import { packagedAppExecutable } from '../../../main/platform/index';
import { DARWIN_HELPER_INSTALL, HELPER_PATH as DARWIN_HELPER } from '../../../main/platform/darwin/elevation';
import { INSTALLED_HELPER as LINUX_HELPER } from '../../../main/platform/linux/elevation';
import { DEFAULT_HELPER_PATH as WIN32_HELPER } from '../../../main/platform/win32/elevation';

const repo = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const pkg = JSON.parse(readFileSync(repo('package.json'), 'utf8'));

describe('electron-builder configuration', () => {
  it('installs the Linux helper where the app runs it and the polkit action names it', () => {
    expect(INSTALLED_HELPER).toBe(LINUX_HELPER);
    const policy = readFileSync(repo('build/polkit/org.idlewatch.keepalive.policy'), 'utf8');
    expect(policy).toContain(`<annotate key="org.freedesktop.policykit.exec.path">${INSTALLED_HELPER}</annotate>`);
    for (const file of SYSTEM_FILES) expect(existsSync(repo(file.from)) || file.from.startsWith('out/'), file.from).toBe(true);
  });

  it('puts `idlewatch` on PATH as a launcher of the CLI unpacked under /opt/<product>', () => {
    const wrapper = readFileSync(repo('build/linux/idlewatch'), 'utf8');
    expect(CLI_ON_PATH).toBe('/usr/bin/idlewatch');
    expect(wrapper).toContain(`CLI='/opt/${config.productName}/resources/app.asar.unpacked/main/cli/idlewatch.mjs'`);
    expect(config.files).toContain('main/cli/idlewatch.mjs');
    expect(config.asarUnpack).toEqual(expect.arrayContaining(['main/cli/idlewatch.mjs', 'out/cli/**', 'out/bin/**', 'out/renderer/**']));
    // Only fixed interpreters, never one found on PATH.
    expect(wrapper).not.toMatch(/env node|command -v|which /);
  });

  it('recommends the Node.js the CLI needs (package.json engines)', () => {
    expect(pkg.engines.node).toBe('>=20.19');
    expect(config.deb?.recommends).toContain('nodejs (>= 20.19)');
  });

  it('names the app executables where `idlewatch start` looks for them', () => {
    expect(basename(packagedAppExecutable('linux')!)).toBe(LINUX_EXECUTABLE);
    expect(config.linux?.executableName).toBe(LINUX_EXECUTABLE);
    expect(basename(packagedAppExecutable('win32')!)).toBe(`${config.productName}.exe`);
    expect(packagedAppExecutable('darwin')).toBe(`../../MacOS/${config.productName}`);
  });

  it('installs Windows per machine at a fixed folder, with the helper where UAC runs it', () => {
    expect(config.nsis).toMatchObject({ perMachine: true, allowToChangeInstallationDirectory: false, oneClick: false });
    const [resource] = config.win!.extraResources as { from: string; to: string }[];
    expect(existsSync(repo(resource!.from))).toBe(true);
    expect(WIN32_HELPER).toBe(`C:\\Program Files\\${config.productName}\\resources\\${resource!.to.replaceAll('/', '\\')}`);
  });

  it('ships the macOS helper for its one-time install', () => {
    const [resource] = config.mac!.extraResources as { from: string; to: string }[];
    expect(existsSync(repo(`${resource!.from}/${basename(DARWIN_HELPER)}`))).toBe(true);
    // The install command the app shows copies it from where the dmg's app carries it.
    expect(DARWIN_HELPER_INSTALL).toContain(` /Applications/${config.productName}.app/Contents/Resources/${resource!.to}/${basename(DARWIN_HELPER)} '${DARWIN_HELPER}'`);
  });

  it('sets the fuses the Electron security checklist asks for', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('keeps Chromium\'s sandbox in the AppImage', () => {
    expect(config.appImage?.executableArgs).toEqual([]);
  });
});

import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { desktopUnavailable, findElectronBinary, installKind } from '../../../main/cli/start';

const dir = mkdtempSync(join(tmpdir(), 'idlewatch-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function packagedLayout(name: string, withExecutable: boolean): string {
  const app = join(dir, name);
  mkdirSync(join(app, 'resources/app.asar.unpacked'), { recursive: true });
  if (withExecutable) {
    writeFileSync(join(app, 'idlewatch-desktop'), '#!/bin/sh\n');
    chmodSync(join(app, 'idlewatch-desktop'), 0o755);
  }
  return join(app, 'resources/app.asar.unpacked');
}

describe('idlewatch start: which app it opens', () => {
  it('from a package, opens the packaged app beside the folder the CLI runs from', () => {
    const base = packagedLayout('installed', true);
    expect(installKind(base)).toBe('package');
    expect(findElectronBinary(base, 'linux')).toBe(join(dir, 'installed/idlewatch-desktop'));
    expect(desktopUnavailable({ DISPLAY: ':0' }, base)).toBeNull();
  });

  it('from a package missing its executable, says so rather than looking anywhere else', () => {
    const base = packagedLayout('broken', false);
    expect(findElectronBinary(base, 'linux')).toBeNull();
    expect(desktopUnavailable({ DISPLAY: ':0' }, base)).toBe("the app's executable is missing from its package");
  });

  it('from a checkout without the Electron runtime (as here), serves the browser instead', () => {
    const checkout = join(dir, 'checkout');
    mkdirSync(join(checkout, 'node_modules/electron'), { recursive: true });
    expect(installKind(checkout)).toBe('checkout');
    expect(findElectronBinary(checkout, 'linux')).toBeNull();
    expect(desktopUnavailable({ DISPLAY: ':0' }, checkout)).toBe('the Electron runtime is not installed');
  });

  it('ignores a path.txt that climbs out of node_modules/electron/dist', () => {
    const checkout = join(dir, 'climbing');
    mkdirSync(join(checkout, 'node_modules/electron'), { recursive: true });
    writeFileSync(join(checkout, 'node_modules/electron/path.txt'), '../../../../bin/sh');
    expect(findElectronBinary(checkout, 'linux')).toBeNull();
  });
});

/**
 * A placeholder Electron runtime for packaging tests. The real one cannot be downloaded on these
 * machines (../shared/TOOLCHAIN.md), and electron-builder's documented `electronDist` option
 * packs whatever unpacked runtime it is pointed at. This one is a shell script that refuses to
 * run, carrying Electron's fuse wire (a sentinel, a version byte, a length byte, one byte per
 * fuse: electronjs.org/docs/latest/tutorial/fuses) at the values Electron ships with, so the
 * fuses electron-builder flips at packaging can be read back from the packaged executable.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const WIRE_VERSION = 1;

/** Fuse wire V1, in order (@electron/fuses FuseV1Options), with Electron's shipped values. */
export const FUSES = [
  ['runAsNode', true],
  ['enableCookieEncryption', false],
  ['enableNodeOptionsEnvironmentVariable', true],
  ['enableNodeCliInspectArguments', true],
  ['enableEmbeddedAsarIntegrityValidation', false],
  ['onlyLoadAppFromAsar', false],
  ['loadBrowserProcessSpecificV8Snapshot', false],
  ['grantFileProtocolExtraPrivileges', true],
] as const;

export type FuseName = (typeof FUSES)[number][0];

/** Writes the placeholder runtime into dir: `electron` with the fuse wire, and the files beside it that electron-builder copies. */
export function writePlaceholderElectron(dir: string): void {
  mkdirSync(join(dir, 'resources'), { recursive: true });
  const wire = Buffer.from([WIRE_VERSION, FUSES.length, ...FUSES.map(([, on]) => (on ? 0x31 : 0x30))]);
  const script = Buffer.from('#!/bin/sh\necho "placeholder Electron runtime (packaging tests): it cannot run an app" >&2\nexit 1\n# ');
  writeFileSync(join(dir, 'electron'), Buffer.concat([script, Buffer.from(SENTINEL), wire, Buffer.from('\n')]));
  chmodSync(join(dir, 'electron'), 0o755);
  writeFileSync(join(dir, 'chrome-sandbox'), '');
  chmodSync(join(dir, 'chrome-sandbox'), 0o755);
  writeFileSync(join(dir, 'LICENSE'), 'placeholder\n');
  writeFileSync(join(dir, 'LICENSES.chromium.html'), 'placeholder\n');
}

/** The fuses of an executable, read from its wire: true on, false off. */
export function readFuses(executable: string): Record<FuseName, boolean> {
  const bytes = readFileSync(executable);
  const at = bytes.indexOf(SENTINEL);
  if (at < 0) throw new Error(`${executable} carries no fuse wire`);
  const wire = at + SENTINEL.length;
  if (bytes[wire] !== WIRE_VERSION) throw new Error(`${executable}: fuse wire version ${bytes[wire]}`);
  const length = bytes[wire + 1]!;
  const state = (i: number) => {
    const byte = bytes[wire + 2 + i];
    if (byte !== 0x30 && byte !== 0x31) throw new Error(`${executable}: fuse ${FUSES[i]![0]} is ${byte} (removed or unknown)`);
    return byte === 0x31;
  };
  return Object.fromEntries(FUSES.slice(0, length).map(([name], i) => [name, state(i)])) as Record<FuseName, boolean>;
}

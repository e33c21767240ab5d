#!/usr/bin/env node
// Compiles the Linux socket-table helper (main/platform/linux/sockdiag/sockdiag.c) to
// out/bin/idlewatch-sockdiag. Runs at `npm install` (postinstall) and before builds; it is
// a no-op when the binary is newer than its source, and on operating systems other than Linux.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'main/platform/linux/sockdiag/sockdiag.c');
const binary = join(root, 'out/bin/idlewatch-sockdiag');

if (process.platform !== 'linux') process.exit(0);
const mtime = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
};
if (mtime(binary) > mtime(source) && !process.argv.includes('--force')) process.exit(0);
mkdirSync(dirname(binary), { recursive: true });
const cc = process.env.CC || 'cc';
try {
  execFileSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-o', binary, source, '-lpthread'], { stdio: 'inherit' });
} catch (error) {
  console.error(`idlewatch: could not compile ${source} with "${cc}" (${error.message}).`);
  console.error('idlewatch: install a C compiler (Debian: apt-get install gcc) and run `npm run build:native`.');
  process.exit(1);
}
console.log(`idlewatch: built ${binary}`);

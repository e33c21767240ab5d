#!/usr/bin/env node
// Compiles the Linux socket-table helper (the C files in main/platform/linux/sockdiag/) to
// out/bin/idlewatch-sockdiag. Runs at `npm install` (postinstall) and before builds; it is
// a no-op when the binary is newer than all its sources, and on operating systems other than Linux.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(root, 'main/platform/linux/sockdiag');
const binary = join(root, 'out/bin/idlewatch-sockdiag');

if (process.platform !== 'linux') process.exit(0);
const files = readdirSync(sourceDir).sort();
const sources = files.filter((f) => f.endsWith('.c')).map((f) => join(sourceDir, f));
const headers = files.filter((f) => f.endsWith('.h')).map((f) => join(sourceDir, f));
const mtime = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
};
const newestSource = Math.max(...[...sources, ...headers].map(mtime));
if (mtime(binary) > newestSource && !process.argv.includes('--force')) process.exit(0);
mkdirSync(dirname(binary), { recursive: true });
const cc = process.env.CC || 'cc';
try {
  execFileSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-o', binary, ...sources, '-lpthread'], { stdio: 'inherit' });
} catch (error) {
  console.error(`idlewatch: could not compile ${sourceDir} with "${cc}" (${error.message}).`);
  console.error('idlewatch: install a C compiler (Debian: apt-get install gcc) and run `npm run build:native`.');
  process.exit(1);
}
console.log(`idlewatch: built ${binary}`);

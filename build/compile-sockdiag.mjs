#!/usr/bin/env node
// Compiles Idlewatch's native Linux helpers to out/bin/:
//   main/platform/linux/sockdiag/          → out/bin/idlewatch-sockdiag   (the socket table)
//   main/platform/linux/keepalive-helper/  → out/bin/idlewatch-keepalive  (sets the keepalive sysctls,
//                                             run as root through pkexec; build/polkit/README.md)
// Runs at `npm install` (postinstall) and before builds; each helper is rebuilt only when one of
// its sources is newer than its binary (or with --force), and nothing runs on other operating systems.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Each helper: its source folder (every .c and .h in it), its binary, what it links. */
const HELPERS = [
  { sourceDir: 'main/platform/linux/sockdiag', binary: 'out/bin/idlewatch-sockdiag', libs: ['-lpthread'] },
  { sourceDir: 'main/platform/linux/keepalive-helper', binary: 'out/bin/idlewatch-keepalive', libs: [] },
];

if (process.platform !== 'linux') process.exit(0);
const force = process.argv.includes('--force');
const cc = process.env.CC || 'cc';
const mtime = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
};

for (const helper of HELPERS) {
  const sourceDir = join(root, helper.sourceDir);
  const binary = join(root, helper.binary);
  const files = readdirSync(sourceDir).sort();
  const sources = files.filter((f) => f.endsWith('.c')).map((f) => join(sourceDir, f));
  const headers = files.filter((f) => f.endsWith('.h')).map((f) => join(sourceDir, f));
  const newestSource = Math.max(...[...sources, ...headers].map(mtime));
  if (mtime(binary) > newestSource && !force) continue;
  mkdirSync(dirname(binary), { recursive: true });
  try {
    execFileSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-o', binary, ...sources, ...helper.libs], { stdio: 'inherit' });
  } catch (error) {
    console.error(`idlewatch: could not compile ${sourceDir} with "${cc}" (${error.message}).`);
    console.error('idlewatch: install a C compiler (Debian: apt-get install gcc) and run `npm run build:native`.');
    process.exit(1);
  }
  console.log(`idlewatch: built ${binary}`);
}

#!/usr/bin/env node
// `npm test`: the unit tests, then the real-kernel integration tests and the end-to-end tests
// (the built renderer in Debian's Chromium), each inside its own throwaway network namespace
// (`unshare -n`, as root), then one plain summary line `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const results = join(root, 'test-results');
const vitest = join(root, 'node_modules/vitest/vitest.mjs');
const config = join(root, 'test/vitest.config.ts');
for (const project of ['unit', 'integration', 'e2e']) rmSync(join(results, `${project}.json`), { force: true });
mkdirSync(results, { recursive: true });

function vitestArgs(project) {
  return [vitest, 'run', '--config', config, '--project', project, '--reporter=default', '--reporter=json', `--outputFile.json=${join(results, `${project}.json`)}`];
}

function canUseNamespaces() {
  if (process.getuid?.() !== 0) return 'integration tests need root (they run in a network namespace made with unshare -n)';
  const probe = spawnSync('unshare', ['-n', 'true']);
  if (probe.status !== 0) return `unshare -n failed: ${probe.stderr?.toString().trim() || probe.error?.message}`;
  if (spawnSync('nft', ['--version']).status !== 0) return 'nftables is missing (apt-get install nftables)';
  return null;
}

const runs = [];
function run(project, command, args, env = {}) {
  console.log(`\n=== ${project} ===`);
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  runs.push({ project, status: r.status ?? 1 });
}

run('unit', process.execPath, vitestArgs('unit'));

function canRunBrowser() {
  if (!existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium')) return 'Chromium is missing (apt-get install chromium)';
  if (!existsSync(join(root, 'out/renderer/index.html'))) return 'the UI is not built (npm run build)';
  return null;
}

/** Runs a vitest project inside a fresh network namespace with loopback up. */
function runInNamespace(project, missing) {
  if (missing) {
    console.log(`\n=== ${project}: not run: ${missing} ===`);
    runs.push({ project, status: process.env.CI ? 1 : 0, skippedBecause: missing });
    return;
  }
  // The tests refuse to touch a namespace that is the host's: tell them which one that is.
  const hostNetns = readlinkSync('/proc/self/ns/net');
  const inner = ['ip link set lo up', `exec "${process.execPath}" ${vitestArgs(project).map((a) => `'${a}'`).join(' ')}`].join(' && ');
  run(project, 'unshare', ['-n', '--', 'sh', '-c', inner], { IDLEWATCH_HOST_NETNS: hostNetns });
}

const namespaces = canUseNamespaces();
runInNamespace('integration', namespaces);
runInNamespace('e2e', namespaces ?? canRunBrowser());

let passed = 0;
let failed = 0;
let skipped = 0;
for (const r of runs) {
  try {
    const report = JSON.parse(readFileSync(join(results, `${r.project}.json`), 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    skipped += report.numPendingTests + report.numTodoTests;
    // A suite that crashed before its tests ran (import error) counts as a failure.
    failed += report.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
  } catch {
    if (!r.skippedBecause) failed += 1; // the runner itself failed
  }
  if (r.status !== 0 && failed === 0) failed += 1;
}
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || runs.some((r) => r.status !== 0) ? 1 : 0);

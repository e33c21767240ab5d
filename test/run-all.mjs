#!/usr/bin/env node
// `npm test`: builds the app if the build is missing or older than its sources, runs the unit
// tests, then the real-kernel integration tests and the end-to-end tests (the built renderer in
// Debian's Chromium), each inside its own throwaway network namespace (`unshare -n`, as root) and a
// private mount namespace with tmpfs over /etc/sysctl.d and /var/lib/idlewatch,
// then one plain summary line `N passed, N failed`. A project that cannot run because something
// is missing counts as a failure, with a message saying how to install it: nothing is skipped.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
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

const runs = [];
function run(project, command, args, env = {}) {
  console.log(`\n=== ${project} ===`);
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  runs.push({ project, status: r.status ?? 1 });
}

/** A project that could not run: one failure, said loudly, with what to do about it. */
function notRun(project, why) {
  const line = `${project}: NOT RUN, counted as a failure: ${why}`;
  console.error(`\n${'!'.repeat(line.length)}\n${line}\n${'!'.repeat(line.length)}`);
  runs.push({ project, status: 1, notRun: why });
}

// ---- The build: the integration tests run the built CLI, the e2e tests the built app. ----

const mtime = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
};
/** The newest modification time of a file or of anything under a folder. */
function newest(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return -1;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((max, name) => (name === 'node_modules' ? max : Math.max(max, newest(join(path, name)))), stat.mtimeMs);
}

/** What each build output is made from; an output older than any of its inputs is stale. */
const BUILD = [
  {
    outputs: ['out/main/index.js', 'out/cli/cli.mjs', 'out/preload/index.cjs', 'out/renderer/index.html'],
    inputs: ['main', 'shared', 'renderer', 'electron.config.ts', 'build/cli.config.ts', 'package.json', 'package-lock.json', 'tsconfig.json'],
  },
  // The native helpers are rebuilt only when their own sources change (build/compile-sockdiag.mjs).
  { outputs: ['out/bin/idlewatch-sockdiag'], inputs: ['main/platform/linux/sockdiag', 'build/compile-sockdiag.mjs'] },
  { outputs: ['out/bin/idlewatch-keepalive'], inputs: ['main/platform/linux/keepalive-helper', 'build/compile-sockdiag.mjs'] },
  // The installers' icons (the packaging test packs them).
  { outputs: ['out/icons/256x256.png', 'out/icons/icon.ico', 'out/icons/icon.icns'], inputs: ['build/icon.svg', 'build/icons.mjs'] },
];

function whyRebuild() {
  for (const { outputs, inputs } of BUILD) {
    const missing = outputs.find((o) => !existsSync(join(root, o)));
    if (missing) return `${missing} is missing`;
    const oldest = Math.min(...outputs.map((o) => mtime(join(root, o))));
    const changed = inputs.find((i) => newest(join(root, i)) > oldest);
    if (changed) return `${changed} changed since the last build`;
  }
  return null;
}

/** Runs `npm run build` when the build is missing or stale; returns why it failed, or null. */
function ensureBuilt() {
  const why = whyRebuild();
  if (!why) return null;
  console.log(`\n=== build (${why}) ===`);
  // The npm that runs `npm test`, when there is one; else the first on PATH.
  const npmCli = process.env.npm_execpath;
  const [command, args] = npmCli && /npm-cli\.js$/.test(npmCli) ? [process.execPath, [npmCli, 'run', 'build']] : ['npm', ['run', 'build']];
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) return `\`npm run build\` failed (${r.error?.message ?? `exit code ${r.status}`}); see its output above`;
  const still = whyRebuild();
  return still ? `\`npm run build\` finished but ${still}` : null;
}

// ---- Prerequisites of the projects that run in a namespace. ----

const onPath = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

function namespacesMissing() {
  if (process.getuid?.() !== 0) return 'the integration and end-to-end tests need root, to make a network namespace with unshare -n: run `sudo npm test`';
  if (!onPath('unshare')) return 'unshare is missing (Debian: apt-get install util-linux)';
  if (!onPath('ip')) return 'ip is missing (Debian: apt-get install iproute2)';
  const probe = spawnSync('unshare', ['-n', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) return `unshare -n failed: ${probe.stderr?.trim() || probe.error?.message} (a container may need --privileged or CAP_SYS_ADMIN)`;
  return null;
}

function integrationMissing() {
  if (!onPath('nft')) return 'nftables is missing (Debian: apt-get install nftables)';
  if (!onPath('strace')) return 'strace is missing (Debian: apt-get install strace)';
  if (!onPath('setpriv') || !onPath('nsenter')) return 'setpriv or nsenter is missing (Debian: apt-get install util-linux)';
  // Real elevation (test/integration/polkit-lab.ts): pkexec and polkitd on a private system bus.
  if (!onPath('pkexec')) return 'pkexec is missing (Debian: apt-get install pkexec)';
  if (!existsSync('/usr/lib/polkit-1/polkitd')) return '/usr/lib/polkit-1/polkitd is missing (Debian: apt-get install polkitd)';
  if (!onPath('dbus-daemon') || !onPath('dbus-send')) return 'dbus-daemon or dbus-send is missing (Debian: apt-get install dbus-daemon dbus-bin)';
  return null;
}

function browserMissing() {
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(chromium)) return `Chromium is missing at ${chromium} (Debian: apt-get install chromium; or set CHROMIUM_PATH)`;
  return null;
}

/**
 * Where applying a keepalive profile persists (the drop-in directory and the elevated helper's
 * state) and where the app records as root (main/core/recorder.ts recordingsDir). Inside the test namespaces each is a fresh tmpfs, so no test can write the host's.
 * (The state directory must exist to be mounted over: an empty one is made on the host once.)
 */
const PERSISTENT_PATHS = ['/etc/sysctl.d', '/var/lib/idlewatch', join(userInfo().homedir, '.local', 'share', 'idlewatch')];

/**
 * Runs a vitest project inside a fresh network namespace with loopback up, and a private mount
 * namespace in which the persistent paths above are empty tmpfs mounts.
 */
function runInNamespace(project, missing) {
  if (missing) return notRun(project, missing);
  for (const path of PERSISTENT_PATHS) mkdirSync(path, { recursive: true, mode: 0o755 });
  // The tests refuse to touch a namespace that is the host's: tell them which one that is.
  const hostNetns = readlinkSync('/proc/self/ns/net');
  const inner = [
    ...PERSISTENT_PATHS.map((path) => `mount -t tmpfs -o mode=0755 idlewatch-test '${path}'`),
    'ip link set lo up',
    `exec "${process.execPath}" ${vitestArgs(project).map((a) => `'${a}'`).join(' ')}`,
  ].join(' && ');
  run(project, 'unshare', ['-n', '-m', '--propagation', 'private', '--', 'sh', '-c', inner], { IDLEWATCH_HOST_NETNS: hostNetns });
}

const buildFailed = ensureBuilt();
if (buildFailed) console.error(`\nidlewatch: ${buildFailed}`);

run('unit', process.execPath, vitestArgs('unit'));

const namespaces = namespacesMissing();
const noBuild = buildFailed && `the app is not built: ${buildFailed}`;
runInNamespace('integration', namespaces ?? noBuild ?? integrationMissing());
runInNamespace('e2e', namespaces ?? noBuild ?? browserMissing());

let passed = 0;
let failed = 0;
let skipped = 0;
for (const r of runs) {
  if (r.notRun) {
    failed += 1;
    continue;
  }
  let failedHere = 0;
  try {
    const report = JSON.parse(readFileSync(join(results, `${r.project}.json`), 'utf8'));
    passed += report.numPassedTests;
    failedHere += report.numFailedTests;
    skipped += report.numPendingTests + report.numTodoTests;
    // A suite that crashed before its tests ran (import error) counts as a failure.
    failedHere += report.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
  } catch {
    failedHere += 1; // the runner itself failed before writing its report
  }
  if (r.status !== 0 && failedHere === 0) failedHere = 1;
  failed += failedHere;
}
const notRunProjects = runs.filter((r) => r.notRun);
for (const r of notRunProjects) console.error(`\n${r.project} was not run: ${r.notRun}`);
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || runs.some((r) => r.status !== 0) ? 1 : 0);

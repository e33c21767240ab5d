// Snapshot benchmark: how long idlewatch takes to read 1k / 10k / 100k sockets, and how much
// memory it needs, next to `ss` and systeminformation reading the same table.
//
//   npm run bench                       # 1000, 10000 and 100000 sockets, then 20 namespaces x 5000
//   npm run bench -- --sizes 1000,10000
//   npm run bench -- --sizes none --namespaces 20 --namespace-sockets 100000
//   npm run bench -- --namespaces 0     # without the namespaces case
//
// Each size runs in its own throwaway network namespace (this script re-executes itself under
// `unshare -n --inside`), so the host's sockets and sysctls are never touched and every reader
// sees exactly the sockets we made. The namespaces case (issue 9) runs in one too, and makes
// --namespaces more below it, the sockets spread over them: idlewatch reads them all at once,
// `ss -tanoi` runs inside each. Needs root. Figures are printed, never asserted.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchInNamespace, type SizeResult } from './namespace-run';
import { benchNamespaces, type NamespacesResult } from './namespaces-run';
import { rerunInNamespace, sendResult } from './in-namespace';
import { formatNamespaces, formatSize, namespacesVerdict, verdict } from './tables';

const THIS_FILE = fileURLToPath(import.meta.url);
const HELPER = fileURLToPath(new URL('../../out/bin/idlewatch-sockdiag', import.meta.url));
const DEFAULT_SIZES = [1_000, 10_000, 100_000];
/** Issue 9, acceptance 3: 20 namespaces holding 100k sockets together. */
const DEFAULT_NAMESPACES = 20;
const DEFAULT_NAMESPACE_SOCKETS = 100_000;
/** The parent reads the inside run's result from this fd, so stdout stays free for progress. */

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(1);
}

function parseSizes(text: string | undefined): number[] {
  if (text === undefined) return DEFAULT_SIZES;
  if (text === 'none') return [];
  const sizes = text.split(',').map((s) => Number(s.trim().replace(/_/g, '')));
  if (sizes.some((n) => !Number.isInteger(n) || n < 10)) fail(`--sizes expects whole numbers >= 10, e.g. 1000,10000; got "${text}"`);
  return sizes;
}

function parseCount(text: string | undefined, fallback: number, name: string, min: number): number {
  if (text === undefined) return fallback;
  const n = Number(text.trim().replace(/_/g, ''));
  if (!Number.isInteger(n) || (n !== 0 && n < min)) fail(`${name} expects 0 or a whole number >= ${min}; got "${text}"`);
  return n;
}

/** Fails early, with a message saying what to do, when the benchmark cannot run at all. */
function checkPrerequisites(): void {
  if (!existsSync(HELPER)) fail(`${HELPER} is missing: run \`npm install\` (it builds the native helper).`);
  if (process.getuid?.() !== 0) fail('needs root, to create a network namespace with `unshare -n` (try `sudo npm run bench`).');
  try {
    execFileSync('unshare', ['-n', '--', 'true'], { stdio: 'pipe' });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    fail(`cannot create a network namespace with \`unshare -n\`: ${stderr || (error as Error).message}`);
  }
}

/** Runs one size in a fresh namespace and resolves with what it measured. */
function runSizeInNamespace(size: number): Promise<SizeResult> {
  return rerunInNamespace<SizeResult>(THIS_FILE, ['--size', String(size)], `${size}-socket`);
}

async function outside(sizes: number[], namespaces: number, namespaceSockets: number): Promise<void> {
  checkPrerequisites();
  const results: SizeResult[] = [];
  for (const size of sizes) {
    process.stdout.write(`\n== ${size} sockets (new network namespace) ==\n`);
    const result = await runSizeInNamespace(size);
    results.push(result);
    process.stdout.write(`\n${formatSize(result)}\n`);
  }
  let spread: NamespacesResult | null = null;
  if (namespaces > 0) {
    process.stdout.write(`\n== ${namespaceSockets} sockets in ${namespaces} network namespaces ==\n`);
    spread = await rerunInNamespace<NamespacesResult>(
      THIS_FILE,
      ['--namespaces', String(namespaces), '--namespace-sockets', String(namespaceSockets)],
      `${namespaces}-namespace`,
    );
    process.stdout.write(`\n${formatNamespaces(spread)}\n`);
  }
  process.stdout.write('\nVerdict (idlewatch cold/warm snapshot vs ss -tanoi; peak RSS of node + idlewatch-sockdiag):\n');
  for (const result of results) process.stdout.write(`${verdict(result)}\n`);
  if (spread) process.stdout.write(`${namespacesVerdict(spread)}\n`);
}

async function inside(size: number): Promise<void> {
  const result = await benchInNamespace(size);
  sendResult(result);
}

async function insideNamespaces(count: number, sockets: number): Promise<void> {
  sendResult(await benchNamespaces(count, sockets));
}

const { values } = parseArgs({
  options: {
    sizes: { type: 'string' },
    inside: { type: 'boolean', default: false },
    size: { type: 'string' },
    namespaces: { type: 'string' },
    'namespace-sockets': { type: 'string' },
  },
});

try {
  const namespaces = parseCount(values.namespaces, DEFAULT_NAMESPACES, '--namespaces', 1);
  const namespaceSockets = parseCount(values['namespace-sockets'], DEFAULT_NAMESPACE_SOCKETS, '--namespace-sockets', 10 * Math.max(1, namespaces));
  if (values.inside && values.size === undefined) await insideNamespaces(namespaces, namespaceSockets);
  else if (values.inside) await inside(Number(values.size));
  else await outside(parseSizes(values.sizes), namespaces, namespaceSockets);
} catch (error) {
  fail((error as Error).message);
}

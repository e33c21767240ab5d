// Start-up benchmark: how long `idlewatch snapshot --json` takes end to end, Node's start-up
// included, next to a bare `node -e 0` and `ss -tanoi`, all on the same table of idle sockets in
// the same throwaway network namespace. Runs are interleaved (one of each command per round) so
// that a slower moment of the machine hits every command alike. Figures are printed, never
// asserted; the target is the CLI within 100 ms of `node -e 0`.
//
//   npm run bench:startup                      # 1000 sockets, 21 rounds
//   npm run bench:startup -- --sockets 10000 --rounds 11
//
// The CLI is the built one (out/cli/cli.mjs through main/cli/idlewatch.mjs), as installed. One
// more row prices systeminformation's osInfo() (it runs synchronous shell commands: hostname -f,
// cat /etc/*-release, dmesg, ip link …): a fresh Node loading the module and calling it once.
// An extra, untimed run says which CommonJS packages the CLI loads, to show whether that cost
// is on its path (test/bench/startup-packages-probe.mjs).
// Like snapshot.ts it re-executes itself under `unshare -n` (root).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { planSockets, startHolders } from './holders';
import { rerunInNamespace, sendResult, stopOnSignal } from './in-namespace';
import { captureRun, timeCommand, type Command } from './measure';
import { median } from './stats';

const THIS_FILE = fileURLToPath(import.meta.url);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const LAUNCHER = fileURLToPath(new URL('../../main/cli/idlewatch.mjs', import.meta.url));
const BUILT_CLI = fileURLToPath(new URL('../../out/cli/cli.mjs', import.meta.url));
const PACKAGES_PROBE = fileURLToPath(new URL('./startup-packages-probe.mjs', import.meta.url));
const WARMUP_ROUNDS = 2;
const TARGET_OVER_NODE_MS = 100;

const { values } = parseArgs({
  options: {
    inside: { type: 'boolean', default: false },
    sockets: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '21' },
  },
});

interface Row {
  name: string;
  command: Command;
}

const node = (args: string[]): Command => ({ file: process.execPath, args, cwd: REPO });
const ROWS: Row[] = [
  { name: 'node -e 0', command: node(['-e', '0']) },
  { name: 'idlewatch snapshot --json', command: node([LAUNCHER, 'snapshot', '--json']) },
  { name: 'ss -tanoi', command: { file: 'ss', args: ['-tanoi'] } },
  { name: 'node, systeminformation osInfo()', command: node(['--input-type=module', '-e', "await (await import('systeminformation')).default.osInfo()"]) },
];

interface RowResult {
  name: string;
  medianMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
}

export interface StartupResult {
  sockets: number;
  /** Connections in the CLI's JSON: what it really read. */
  cliConnections: number;
  /** CommonJS packages the CLI loaded during a snapshot. */
  cliPackages: string[];
  rows: RowResult[];
  /**
   * Median over rounds of (row − node -e 0) within the same round, by row name: paired, so a
   * busy moment of the machine mostly cancels out.
   */
  pairedOverNodeMs: Record<string, number>;
}

function log(message: string): void {
  process.stdout.write(`  [${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function inside(sockets: number, rounds: number): Promise<void> {
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  const plan = planSockets(sockets);
  log(`creating ${plan.sockets} sockets: ${plan.connections} connections + ${plan.listeners} listeners`);
  const holders = await startHolders(plan);
  stopOnSignal(holders);
  try {
    const cli = ROWS[1]!.command;
    const doc = JSON.parse((await captureRun(cli)).stdout) as { connections: unknown[] };
    const probe = spawnSync(process.execPath, ['--import', PACKAGES_PROBE, ...cli.args], { cwd: REPO, encoding: 'utf8', maxBuffer: 1 << 30 });
    const packagesLine = /^STARTUP-PACKAGES (.*)$/m.exec(probe.stderr);
    if (!packagesLine) throw new Error(`the CLI run with the packages probe printed no list: ${probe.stderr.slice(0, 500)}`);
    const times = ROWS.map(() => [] as number[]);
    for (let round = 0; round < WARMUP_ROUNDS + rounds; round++) {
      for (const [i, row] of ROWS.entries()) {
        const ms = await timeCommand(row.command);
        if (round >= WARMUP_ROUNDS) times[i]!.push(ms);
      }
    }
    const rows = ROWS.map((row, i) => ({
      name: row.name,
      medianMs: median(times[i]!),
      minMs: Math.min(...times[i]!),
      maxMs: Math.max(...times[i]!),
      runs: times[i]!.length,
    }));
    const nodeTimes = times[0]!;
    const pairedOverNodeMs = Object.fromEntries(ROWS.map((row, i) => [row.name, median(times[i]!.map((t, round) => t - nodeTimes[round]!))]));
    const result: StartupResult = {
      sockets: plan.sockets,
      cliConnections: doc.connections.length,
      cliPackages: JSON.parse(packagesLine[1]!),
      rows,
      pairedOverNodeMs,
    };
    sendResult(result);
  } finally {
    holders.stop();
  }
}

export function formatStartup(r: StartupResult): string {
  const ms = (n: number) => n.toFixed(1).padStart(8);
  const byName = (name: string) => r.rows.find((row) => row.name === name)!.medianMs;
  const nodeMs = byName('node -e 0');
  const overNodeMs = byName('idlewatch snapshot --json') - nodeMs;
  const pairedMs = r.pairedOverNodeMs['idlewatch snapshot --json']!;
  const osInfoMs = r.pairedOverNodeMs['node, systeminformation osInfo()']!;
  const loadsSi = r.cliPackages.includes('systeminformation');
  const lines = [
    `${'command'.padEnd(34)}  median ms       min       max  runs`,
    ...r.rows.map((row) => `${row.name.padEnd(34)}  ${ms(row.medianMs)}  ${ms(row.minMs)}  ${ms(row.maxMs)}  ${String(row.runs).padStart(4)}`),
    '',
    `  table: ${r.sockets} sockets; the CLI listed ${r.cliConnections} connections`,
    `  idlewatch snapshot --json - node -e 0: ${overNodeMs.toFixed(1)} ms between the medians, ${pairedMs.toFixed(1)} ms paired by round ` +
      `(target <= ${TARGET_OVER_NODE_MS} ms: ${pairedMs <= TARGET_OVER_NODE_MS ? 'yes' : 'NO'})`,
    `  systeminformation: loading it and one osInfo() cost ${osInfoMs.toFixed(1)} ms over node -e 0 (paired); ` +
      `the CLI ${loadsSi ? 'loads it during a snapshot' : 'does not load it during a snapshot'} (CommonJS packages it loads: ${r.cliPackages.join(', ') || 'none'})`,
  ];
  return lines.join('\n');
}

function fail(message: string): never {
  process.stderr.write(`bench:startup: ${message}\n`);
  process.exit(1);
}

async function outside(sockets: number, rounds: number): Promise<void> {
  if (!existsSync(BUILT_CLI)) fail(`${BUILT_CLI} is missing: run \`npm run build\` (npm run bench does).`);
  if (process.getuid?.() !== 0) fail('needs root, to create a network namespace with `unshare -n` (try `sudo npm run bench:startup`).');
  process.stdout.write(`\n== start-up: ${sockets} sockets (new network namespace), ${rounds} interleaved rounds ==\n`);
  const result = await rerunInNamespace<StartupResult>(THIS_FILE, ['--sockets', String(sockets), '--rounds', String(rounds)], 'start-up');
  process.stdout.write(`\n${formatStartup(result)}\n`);
}

const sockets = Number(values.sockets);
const rounds = Number(values.rounds);
if (!Number.isInteger(sockets) || sockets < 10) fail(`--sockets expects a whole number >= 10, got "${values.sockets}"`);
if (!Number.isInteger(rounds) || rounds < 1) fail(`--rounds expects a whole number >= 1, got "${values.rounds}"`);
try {
  if (values.inside) await inside(sockets, rounds);
  else await outside(sockets, rounds);
} catch (error) {
  fail((error as Error).message);
}

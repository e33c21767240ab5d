// Report benchmark: how long `idlewatch report` takes, and how much memory it needs, to write
// 100,000 connections as CSV and as HTML, next to `ss -tanoi` reading the same table in the same
// run. Target: under 2 s and 300 MB each. Figures are printed, never asserted.
//
//   npm run bench:report                      # 100000 sockets
//   npm run bench:report -- --sockets 10000
//
// Like snapshot.ts it re-executes itself in a throwaway network namespace (`unshare -n`, root)
// filled with idle loopback sockets by the socket holders, so every reader sees the same table.
// Two measures per format:
//   - the built CLI end to end (`node main/cli/idlewatch.mjs report --format F`, stdout to a
//     file), Node's start-up and the snapshot included; peak RSS by /usr/bin/time (the largest
//     process: node, not node + the idlewatch-sockdiag helper summed);
//   - the same in one fresh process (--probe F): the snapshot and the rendering timed apart, and
//     the Node process's own peak RSS.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { planSockets, startHolders } from './holders';
import { rerunInNamespace, sendResult, stopOnSignal } from './in-namespace';
import { captureRun, hasGnuTime, runJson, timeRuns, type Command } from './measure';
import { kibToMb, median } from './stats';

const THIS_FILE = fileURLToPath(import.meta.url);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const LAUNCHER = fileURLToPath(new URL('../../main/cli/idlewatch.mjs', import.meta.url));
const BUILT_CLI = fileURLToPath(new URL('../../out/cli/cli.mjs', import.meta.url));
const HELPER = fileURLToPath(new URL('../../out/bin/idlewatch-sockdiag', import.meta.url));
const FORMATS = ['csv', 'html'] as const;
type Format = (typeof FORMATS)[number];
const RUNS = 3;
const TARGET_MS = 2000;
const TARGET_MB = 300;

const { values } = parseArgs({
  options: {
    inside: { type: 'boolean', default: false },
    sockets: { type: 'string', default: '100000' },
    probe: { type: 'string' },
  },
});

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(1);
}

function log(message: string): void {
  process.stdout.write(`  [${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

interface ProbeResult {
  format: Format;
  rows: number;
  snapshotMs: number;
  renderMs: number;
  bytes: number;
  nodePeakKiB: number;
}

interface Row {
  name: string;
  medianMs: number;
  runs: number;
  peakKiB: number | null;
  rows: number | null;
  /** For the in-process probe: the part spent taking the snapshot. */
  snapshotMs?: number;
}

interface ReportResult {
  sockets: number;
  setupMs: number;
  rows: Row[];
}

/** --probe FORMAT: one snapshot and one report in this fresh process, written to /dev/null as the CLI writes a file. */
async function probe(format: Format): Promise<void> {
  const { takeSnapshot } = await import('../../main/core/snapshot');
  const { LinuxAdapter } = await import('../../main/platform/linux/index');
  const { reportChunks } = await import('../../main/report/index');
  const { NO_FILTER } = await import('../../shared/connection-filter');
  const adapter = new LinuxAdapter();
  try {
    const t0 = performance.now();
    const snapshot = await takeSnapshot(adapter, { rules: [] });
    const t1 = performance.now();
    const out = openSync('/dev/null', 'w');
    let bytes = 0;
    try {
      const input = { snapshot, rules: [], history: [], scope: { kind: 'all' as const, filter: { ...NO_FILTER } }, generatedAt: Date.now() };
      for (const chunk of reportChunks(input, format)) {
        bytes += Buffer.byteLength(chunk);
        writeSync(out, chunk);
      }
    } finally {
      closeSync(out);
    }
    const result: ProbeResult = {
      format,
      rows: snapshot.connections.length,
      snapshotMs: t1 - t0,
      renderMs: performance.now() - t1,
      bytes,
      nodePeakKiB: process.resourceUsage().maxRSS,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    adapter.close();
  }
}

const node = (args: string[]): Command => ({ file: process.execPath, args, cwd: REPO });

async function measureCli(format: Format): Promise<Row> {
  const command = node([LAUNCHER, 'report', '--format', format]);
  const times = await timeRuns(command, RUNS);
  const extra = await captureRun(command);
  // CSV: a header and one CRLF-ended line per connection (no text cell holds a line end); HTML:
  // the connection table's rows, the only ones that open with a TCP state.
  const rows = format === 'csv' ? extra.stdout.split('\r\n').length - 2 : (extra.stdout.match(/^<tr(?: class="risk")?><td>[A-Z0-9_]+<\/td>/gm) ?? []).length;
  log(`idlewatch report --format ${format}: ${times.map((t) => t.toFixed(0)).join(', ')} ms, ${(extra.stdout.length / 1e6).toFixed(1)} MB written`);
  return { name: `idlewatch report --format ${format} (CLI)`, medianMs: median(times), runs: RUNS, peakKiB: extra.peakKiB, rows };
}

async function measureProbe(format: Format): Promise<Row> {
  const command = node(['--import', 'tsx', THIS_FILE, '--probe', format]);
  const results: ProbeResult[] = [];
  for (let i = 0; i < RUNS; i++) results.push(await runJson<ProbeResult>(command));
  log(`in-process ${format}: snapshot ${results.map((r) => r.snapshotMs.toFixed(0)).join(', ')} ms, render ${results.map((r) => r.renderMs.toFixed(0)).join(', ')} ms`);
  return {
    name: `  in one process: snapshot + ${format}`,
    medianMs: median(results.map((r) => r.snapshotMs + r.renderMs)),
    snapshotMs: median(results.map((r) => r.snapshotMs)),
    runs: RUNS,
    peakKiB: Math.max(...results.map((r) => r.nodePeakKiB)),
    rows: results[0]!.rows,
  };
}

async function measureSs(): Promise<Row> {
  const ss: Command = { file: 'ss', args: ['-tanoi'] };
  const times = await timeRuns(ss, RUNS + 2);
  const extra = await captureRun(ss);
  const rows = extra.stdout.split('\n').filter((l) => l && !/^\s/.test(l)).length - 1;
  log(`ss -tanoi: ${times.map((t) => t.toFixed(1)).join(', ')} ms`);
  return { name: 'ss -tanoi', medianMs: median(times), runs: RUNS + 2, peakKiB: extra.peakKiB, rows };
}

async function inside(sockets: number): Promise<void> {
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  const plan = planSockets(sockets);
  log(`creating ${plan.sockets} sockets in ${plan.holders.length} holder process(es)`);
  const t0 = performance.now();
  const holders = await startHolders(plan);
  const setupMs = performance.now() - t0;
  stopOnSignal(holders);
  try {
    const rows = [await measureSs()];
    for (const format of FORMATS) rows.push(await measureCli(format), await measureProbe(format));
    sendResult({ sockets: plan.sockets, setupMs, rows } satisfies ReportResult);
  } finally {
    holders.stop();
  }
}

const ms = (value: number) => (value < 100 ? value.toFixed(1) : value.toFixed(0));
const mb = (kib: number | null) => (kib === null ? '-' : kibToMb(kib).toFixed(1));

function format(result: ReportResult): string {
  const header = ['', 'median ms', 'of which snapshot', 'runs', 'peak RSS MB', 'rows'];
  const cells = result.rows.map((r) => [r.name, ms(r.medianMs), r.snapshotMs === undefined ? '' : ms(r.snapshotMs), String(r.runs), mb(r.peakKiB), r.rows === null ? '-' : String(r.rows)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const verdicts = result.rows
    .filter((r) => r.name.includes('(CLI)'))
    .map((r) => {
      const peakMb = r.peakKiB === null ? NaN : kibToMb(r.peakKiB);
      const check = (ok: boolean) => (ok ? 'yes' : 'NO');
      return `${r.name}: ${ms(r.medianMs)} ms < ${TARGET_MS} ms: ${check(r.medianMs < TARGET_MS)}; peak RSS ${peakMb.toFixed(1)} MB < ${TARGET_MB} MB: ${check(peakMb < TARGET_MB)}`;
    });
  return [
    line(header),
    ...cells.map(line),
    '',
    `  ${result.sockets} sockets (connections × 2 + listeners) made in ${(result.setupMs / 1000).toFixed(1)} s; every socket is a row of the report.`,
    '  CLI peak RSS: /usr/bin/time %M, the largest single process (node; the idlewatch-sockdiag helper is measured by `npm run bench`).',
    '',
    'Verdict:',
    ...verdicts,
  ].join('\n');
}

async function outside(sockets: number): Promise<void> {
  if (!existsSync(BUILT_CLI)) fail(`${BUILT_CLI} is missing: run \`npm run build\` (npm run bench:report does).`);
  if (!existsSync(HELPER)) fail(`${HELPER} is missing: run \`npm install\` (it builds the native helper).`);
  if (process.getuid?.() !== 0) fail('needs root, to create a network namespace with `unshare -n` (try `sudo npm run bench:report`).');
  if (!hasGnuTime) process.stderr.write('bench: /usr/bin/time is missing (Debian: apt-get install time): peak RSS of the CLI and ss will show as "-".\n');
  process.stdout.write(`\n== ${sockets} sockets (new network namespace) ==\n`);
  const result = await rerunInNamespace<ReportResult>(THIS_FILE, ['--sockets', String(sockets)], `${sockets}-socket`);
  process.stdout.write(`\n${format(result)}\n`);
}

try {
  const sockets = Number(values.sockets);
  if (!Number.isInteger(sockets) || sockets < 10) fail(`--sockets expects a whole number >= 10, got "${values.sockets}"`);
  if (values.probe !== undefined) {
    if (!(FORMATS as readonly string[]).includes(values.probe)) fail(`--probe expects one of ${FORMATS.join(', ')}`);
    await probe(values.probe as Format);
  } else if (values.inside) await inside(sockets);
  else await outside(sockets);
} catch (error) {
  fail((error as Error).message);
}

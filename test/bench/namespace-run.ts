// The part of the benchmark that runs inside a throwaway network namespace (`unshare -n`):
// fills it with idle loopback sockets, then times every socket-table reader against them.
// The namespace has only our sockets, so every reader sees the same, known table.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { planSockets, startHolders } from './holders';
import { stopOnSignal } from './in-namespace';
import { captureRun, runJson, timeRuns, type Command } from './measure';
import type { ProbeResult } from './snapshot-probe';
import { median } from './stats';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const PROBE = fileURLToPath(new URL('./snapshot-probe.ts', import.meta.url));
const SI_PROBE = fileURLToPath(new URL('./si-probe.mjs', import.meta.url));
const WARM_RUNS_PER_PROBE = 5;

export interface ReaderResult {
  medianMs: number;
  runs: number;
  peakKiB: number | null;
  rows: number | null;
}

export interface SizeResult {
  size: number;
  setup: { sockets: number; connections: number; listeners: number; holders: number; keepalive: number; ms: number };
  idlewatch: {
    cold: ReaderResult;
    warm: ReaderResult;
    /** Worst run, right after the cold snapshot. */
    coldNodePeakKiB: number;
    coldHelperPeakKiB: number | null;
    /** Worst run, over the whole probe (cold + warm snapshots). */
    nodePeakKiB: number;
    helperPeakKiB: number | null;
    withPid: number;
  };
  cli: ReaderResult;
  ssTano: ReaderResult;
  ssTanoi: ReaderResult;
  systeminformation: ReaderResult & { tcpRows: number };
}

function log(message: string): void {
  process.stdout.write(`  [${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Fewer repetitions where one run costs seconds; never fewer than 3. */
function runsFor(size: number): number {
  return size >= 100_000 ? 3 : 5;
}

export async function benchInNamespace(size: number): Promise<SizeResult> {
  // A new namespace's loopback is down; nothing can connect until it is up.
  execFileSync('ip', ['link', 'set', 'lo', 'up']);

  const plan = planSockets(size);
  log(`creating ${plan.sockets} sockets: ${plan.connections} connections + ${plan.listeners} listeners in ${plan.holders.length} holder process(es)`);
  const t0 = performance.now();
  const holders = await startHolders(plan);
  const setupMs = performance.now() - t0;
  log(`sockets ready in ${(setupMs / 1000).toFixed(1)} s (${holders.keepalive} client sockets with keepalive)`);

  // Holders die with us anyway (their stdin closes), but a signal should not wait for that.
  stopOnSignal(holders);
  try {
    const runs = runsFor(size);
    return {
      size,
      setup: {
        sockets: plan.sockets,
        connections: plan.connections,
        listeners: plan.listeners,
        holders: plan.holders.length,
        keepalive: holders.keepalive,
        ms: setupMs,
      },
      ...(await measureIdlewatch(runs)),
      cli: await measureCli(runs),
      ssTano: await measureSs(['-tano'], runs),
      ssTanoi: await measureSs(['-tanoi'], runs),
      systeminformation: await measureSystemInformation(runs),
    };
  } finally {
    holders.stop();
  }
}

/** Cold and warm in-process snapshots, each probe a fresh process. */
async function measureIdlewatch(runs: number): Promise<Pick<SizeResult, 'idlewatch'>> {
  const probe: Command = {
    file: process.execPath,
    args: ['--import', 'tsx', PROBE, '--warm-runs', String(WARM_RUNS_PER_PROBE)],
    cwd: REPO,
  };
  const results: ProbeResult[] = [];
  for (let i = 0; i < runs; i++) results.push(await runJson<ProbeResult>(probe));
  log(`idlewatch probe: cold ${results.map((r) => r.coldMs.toFixed(0)).join(', ')} ms`);

  // Peak RSS: the worst run, since a budget has to hold for every run. The cold row has the
  // peak right after the first snapshot; the warm row the peak over the whole probe.
  const worst = (values: (number | null)[]) => {
    const known = values.filter((k): k is number => k !== null);
    return known.length ? Math.max(...known) : null;
  };
  const coldPeak = worst(results.map((r) => r.coldNodePeakKiB + (r.coldHelperPeakKiB ?? 0)));
  const overallPeak = worst(results.map((r) => r.nodePeakKiB + (r.helperPeakKiB ?? 0)));
  const last = results[results.length - 1]!;
  return {
    idlewatch: {
      cold: { medianMs: median(results.map((r) => r.coldMs)), runs, peakKiB: coldPeak, rows: last.connections },
      warm: {
        medianMs: median(results.flatMap((r) => r.warmMs)),
        runs: runs * WARM_RUNS_PER_PROBE,
        peakKiB: overallPeak,
        rows: last.connections,
      },
      coldNodePeakKiB: worst(results.map((r) => r.coldNodePeakKiB))!,
      coldHelperPeakKiB: worst(results.map((r) => r.coldHelperPeakKiB)),
      nodePeakKiB: worst(results.map((r) => r.nodePeakKiB))!,
      helperPeakKiB: worst(results.map((r) => r.helperPeakKiB)),
      withPid: last.withPid,
    },
  };
}

/** The CLI end to end, Node startup included, as a user or a script would run it. */
async function measureCli(runs: number): Promise<ReaderResult> {
  const cli: Command = { file: process.execPath, args: ['main/cli/idlewatch.mjs', 'snapshot', '--json'], cwd: REPO };
  const times = await timeRuns(cli, runs);
  const extra = await captureRun(cli);
  const rows = (JSON.parse(extra.stdout) as { connections: unknown[] }).connections.length;
  log(`idlewatch CLI: ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
  return { medianMs: median(times), runs, peakKiB: extra.peakKiB, rows };
}

async function measureSs(flags: string[], runs: number): Promise<ReaderResult> {
  const ss: Command = { file: 'ss', args: flags };
  const times = await timeRuns(ss, runs);
  const extra = await captureRun(ss);
  // One line per socket plus the header; -i adds indented continuation lines.
  const rows = extra.stdout.split('\n').filter((l) => l && !/^\s/.test(l)).length - 1;
  log(`ss ${flags.join(' ')}: ${times.map((t) => t.toFixed(1)).join(', ')} ms`);
  return { medianMs: median(times), runs, peakKiB: extra.peakKiB, rows };
}

async function measureSystemInformation(runs: number): Promise<SizeResult['systeminformation']> {
  const probe: Command = { file: process.execPath, args: [SI_PROBE], cwd: REPO };
  const results: { ms: number; rows: number; tcpRows: number; nodePeakKiB: number }[] = [];
  for (let i = 0; i < runs; i++) results.push(await runJson(probe));
  log(`systeminformation: ${results.map((r) => r.ms.toFixed(0)).join(', ')} ms`);
  return {
    medianMs: median(results.map((r) => r.ms)),
    runs,
    peakKiB: Math.max(...results.map((r) => r.nodePeakKiB)),
    rows: results[results.length - 1]!.rows,
    tcpRows: results[results.length - 1]!.tcpRows,
  };
}

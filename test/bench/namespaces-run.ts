// The namespaces case of the snapshot benchmark (issue 9, acceptance 3): N network namespaces,
// each a holder process in its own `unshare -n` with its share of the sockets, read all at once
// by idlewatch (one sockdiag helper holding a socket in each), next to `ss -tanoi` run inside
// each of them (`nsenter --net=/proc/PID/ns/net`), summed. Runs inside a throwaway namespace
// itself (snapshot.ts re-executes under `unshare -n`), so the current namespace is empty.
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { planSockets, startHolders, type RunningHolders } from './holders';
import { stopOnSignal } from './in-namespace';
import { captureRun, runJson, timeCommand, type Command } from './measure';
import type { NamespacesProbeResult } from './namespaces-probe';
import { median } from './stats';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const PROBE = fileURLToPath(new URL('./namespaces-probe.ts', import.meta.url));
const WARM_RUNS_PER_PROBE = 5;
const RUNS = 3;

export interface NamespacesResult {
  namespaces: number;
  sockets: number;
  setup: { connections: number; listeners: number; keepalive: number; ms: number };
  idlewatch: {
    discoverMs: number;
    coldMs: number;
    warmMs: number;
    probes: number;
    warmRuns: number;
    nodePeakKiB: number;
    rows: number;
    withPid: number;
    failed: string[];
  };
  /** `ss -tanoi` in each namespace, one after the other: the sum per round, median of rounds. */
  ss: { sumMs: number; runs: number; perNamespaceMs: number; rows: number; peakKiB: number | null };
}

function log(message: string): void {
  process.stdout.write(`  [${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Fills `count` new namespaces with `total` sockets between them, a holder process in each. */
async function startNamespaces(count: number, total: number): Promise<{ holders: RunningHolders[]; connections: number; listeners: number }> {
  const holders: RunningHolders[] = [];
  let connections = 0;
  let listeners = 0;
  try {
    for (let i = 0; i < count; i++) {
      const share = Math.floor(total / count) + (i < total % count ? 1 : 0);
      const plan = planSockets(share);
      if (plan.holders.length !== 1) throw new Error(`${share} sockets need ${plan.holders.length} holders in one namespace; use more namespaces`);
      holders.push(await startHolders(plan, { ownNamespace: true }));
      connections += plan.connections;
      listeners += plan.listeners;
    }
    return { holders, connections, listeners };
  } catch (error) {
    holders.forEach((h) => h.stop());
    throw error;
  }
}

export async function benchNamespaces(count: number, total: number): Promise<NamespacesResult> {
  log(`creating ${total} sockets in ${count} network namespaces, one holder process in each`);
  const t0 = performance.now();
  const { holders, connections, listeners } = await startNamespaces(count, total);
  const setupMs = performance.now() - t0;
  const all: RunningHolders = {
    pids: holders.flatMap((h) => h.pids),
    keepalive: holders.reduce((n, h) => n + h.keepalive, 0),
    stop: () => holders.forEach((h) => h.stop()),
  };
  stopOnSignal(all);
  log(`sockets ready in ${(setupMs / 1000).toFixed(1)} s`);
  try {
    const ids = all.pids.map((pid) => String(statSync(`/proc/${pid}/ns/net`).ino));
    // Turn and turn about, so neither reader runs on a cache the other warmed.
    const probes: NamespacesProbeResult[] = [];
    const ssSums: number[] = [];
    let ssRows = 0;
    for (let round = 0; round < RUNS; round++) {
      const probe: Command = { file: process.execPath, args: ['--import', 'tsx', PROBE, '--ids', ids.join(','), '--warm-runs', String(WARM_RUNS_PER_PROBE)], cwd: REPO };
      const result = await runJson<NamespacesProbeResult>(probe);
      if (result.failed.length) throw new Error(`idlewatch could not read every namespace: ${result.failed.join('; ')}`);
      probes.push(result);
      log(`idlewatch all namespaces: discovery ${result.discoverMs.toFixed(0)} ms, cold ${result.coldMs.toFixed(0)} ms, warm ${result.warmMs.map((t) => t.toFixed(0)).join(', ')} ms`);
      let sum = 0;
      for (const pid of all.pids) sum += await timeCommand(ssIn(pid));
      ssSums.push(sum);
      log(`ss -tanoi in each of ${count}: ${sum.toFixed(0)} ms summed`);
    }
    let ssPeak: number | null = null;
    for (const pid of all.pids) {
      const run = await captureRun(ssIn(pid));
      ssRows += run.stdout.split('\n').filter((l) => l && !/^\s/.test(l)).length - 1;
      if (run.peakKiB !== null) ssPeak = Math.max(ssPeak ?? 0, run.peakKiB);
    }
    const last = probes[probes.length - 1]!;
    return {
      namespaces: count,
      sockets: connections * 2 + listeners,
      setup: { connections, listeners, keepalive: all.keepalive, ms: setupMs },
      idlewatch: {
        discoverMs: median(probes.map((p) => p.discoverMs)),
        coldMs: median(probes.map((p) => p.coldMs)),
        warmMs: median(probes.flatMap((p) => p.warmMs)),
        probes: probes.length,
        warmRuns: probes.length * WARM_RUNS_PER_PROBE,
        nodePeakKiB: Math.max(...probes.map((p) => p.nodePeakKiB)),
        rows: last.connections,
        withPid: last.withPid,
        failed: last.failed,
      },
      ss: { sumMs: median(ssSums), runs: RUNS, perNamespaceMs: median(ssSums) / count, rows: ssRows, peakKiB: ssPeak },
    };
  } finally {
    all.stop();
  }
}

function ssIn(pid: number): Command {
  return { file: 'nsenter', args: [`--net=/proc/${pid}/ns/net`, 'ss', '-tanoi'] };
}

// Runs idlewatch's snapshot in a fresh process, the way the app does it, and prints one JSON
// line with its timings and peak memory. A separate process so that the RSS is its own and the
// first snapshot is truly cold (no inode→pid cache in the helper, nothing JIT-compiled).
//
//   node --import tsx test/bench/snapshot-probe.ts --warm-runs 5
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import type { Snapshot } from '../../shared/model';
import { takeSnapshot } from '../../main/core/snapshot';
import { LinuxAdapter } from '../../main/platform/linux/index';
import { median } from './stats';

export interface ProbeResult {
  coldMs: number;
  warmMs: number[];
  warmMedianMs: number;
  connections: number;
  withPid: number;
  /** Peak RSS right after the cold snapshot, before any warm run added its garbage. */
  coldNodePeakKiB: number;
  coldHelperPeakKiB: number | null;
  /** Peak RSS over the whole probe: cold + warm runs, read just before close. */
  nodePeakKiB: number;
  helperPeakKiB: number | null;
}

const { values } = parseArgs({ options: { 'warm-runs': { type: 'string', default: '5' } } });
const warmRuns = Number(values['warm-runs']);

/** Direct children of this process, from every thread's children list. */
function childPids(): number[] {
  const pids: number[] = [];
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const list = readFileSync(`/proc/self/task/${tid}/children`, 'utf8').trim();
      if (list) pids.push(...list.split(/\s+/).map(Number));
    } catch {
      // thread ended while we looked
    }
  }
  return pids;
}

/**
 * Peak RSS (VmHWM) of the idlewatch-sockdiag helper. Read while it is alive: once it exits,
 * nothing in this process reports it (resourceUsage() covers this process only).
 */
function helperPeakKiB(): number | null {
  for (const pid of childPids()) {
    try {
      if (basename(readlinkSync(`/proc/${pid}/exe`)) !== 'idlewatch-sockdiag') continue;
      const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) return Number(match[1]);
    } catch {
      // not ours any more
    }
  }
  return null;
}

const adapter = new LinuxAdapter();
try {
  const t0 = performance.now();
  let snap: Snapshot | null = await takeSnapshot(adapter, { rules: [] });
  const coldMs = performance.now() - t0;
  const coldNodePeakKiB = process.resourceUsage().maxRSS;
  const coldHelperPeakKiB = helperPeakKiB();
  const connections = snap.connections.length;
  const withPid = snap.connections.filter((c) => c.pid !== null).length;
  snap = null; // not kept alive through the warm runs: each one stands on its own

  // Warm: the helper is running and has its inode→pid cache, as in the app's steady polling.
  const warmMs: number[] = [];
  for (let i = 0; i < warmRuns; i++) {
    const t = performance.now();
    await takeSnapshot(adapter, { rules: [] });
    warmMs.push(performance.now() - t);
  }

  const result: ProbeResult = {
    coldMs,
    warmMs,
    warmMedianMs: median(warmMs),
    connections,
    withPid,
    coldNodePeakKiB,
    coldHelperPeakKiB,
    nodePeakKiB: process.resourceUsage().maxRSS,
    helperPeakKiB: helperPeakKiB(),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  adapter.close();
}

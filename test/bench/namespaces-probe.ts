// Reads every namespace of a list with idlewatch's all-namespaces snapshot, in a fresh process, the
// way the app's "all namespaces" view does (main/core/namespaces.ts: one sockdiag helper holding
// a socket in each namespace), and prints one JSON line with the timings.
//
//   node --import tsx test/bench/namespaces-probe.ts --ids 4026532177,4026532300 --warm-runs 5
import { parseArgs } from 'node:util';
import { takeAllNamespacesSnapshot } from '../../main/core/namespaces';
import { LinuxAdapter } from '../../main/platform/linux/index';
import { median } from './stats';

export interface NamespacesProbeResult {
  /** Discovery of every namespace in use (adapter.listNamespaces). */
  discoverMs: number;
  /** The first all-namespaces snapshot: a new helper enters each namespace and scans /proc. */
  coldMs: number;
  /** The next ones: sockets cached in the helper, as in the app's steady polling. */
  warmMs: number[];
  warmMedianMs: number;
  /** Namespaces read (the benchmark's, plus the current one, which is empty) and connections in all. */
  namespaces: number;
  connections: number;
  withPid: number;
  failed: string[];
  nodePeakKiB: number;
}

const { values } = parseArgs({ options: { ids: { type: 'string' }, 'warm-runs': { type: 'string', default: '5' } } });
const ids = new Set((values.ids ?? '').split(',').filter(Boolean));
const warmRuns = Number(values['warm-runs']);

const adapter = new LinuxAdapter();
try {
  const host = await adapter.describeHost();
  const t0 = performance.now();
  const listed = await adapter.listNamespaces();
  const discoverMs = performance.now() - t0;
  // The benchmark's namespaces and the current one: not the machine's others (the real host's).
  const namespaces = listed.filter((n) => n.current || ids.has(n.id));
  const missing = [...ids].filter((id) => !namespaces.some((n) => n.id === id));
  if (missing.length) throw new Error(`discovery did not find namespaces ${missing.join(', ')}`);

  const t1 = performance.now();
  const first = await takeAllNamespacesSnapshot(adapter, { rules: [], host, namespaces });
  const coldMs = performance.now() - t1;
  const connections = first.snapshot.connections.length;
  const withPid = first.snapshot.connections.filter((c) => c.pid !== null).length;
  const failed = first.reads.filter((r) => r.error !== null).map((r) => `${r.namespace.id}: ${r.error}`);

  const warmMs: number[] = [];
  for (let i = 0; i < warmRuns; i++) {
    const t = performance.now();
    await takeAllNamespacesSnapshot(adapter, { rules: [], host, namespaces });
    warmMs.push(performance.now() - t);
  }
  const result: NamespacesProbeResult = {
    discoverMs,
    coldMs,
    warmMs,
    warmMedianMs: median(warmMs),
    namespaces: namespaces.length,
    connections,
    withPid,
    failed,
    nodePeakKiB: process.resourceUsage().maxRSS,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  adapter.close();
}

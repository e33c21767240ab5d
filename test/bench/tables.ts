// Formats benchmark results as plain text tables and verdict lines. Figures only: nothing here
// passes or fails a run.
import type { ReaderResult, SizeResult } from './namespace-run';
import type { NamespacesResult } from './namespaces-run';
import { kibToMb } from './stats';

/** Peak RSS budget for idlewatch's snapshot: Node process + idlewatch-sockdiag helper. */
export const RSS_BUDGET_MB = 250;

const COLUMNS = [
  { title: 'sockets', width: 8, align: 'left' },
  { title: 'reader', width: 38, align: 'left' },
  { title: 'median ms', width: 10, align: 'right' },
  { title: 'runs', width: 5, align: 'right' },
  { title: 'peak RSS MB', width: 12, align: 'right' },
  { title: 'rows', width: 8, align: 'right' },
] as const;

function row(cells: string[]): string {
  return COLUMNS.map((c, i) => (c.align === 'left' ? cells[i]!.padEnd(c.width) : cells[i]!.padStart(c.width)))
    .join('  ')
    .trimEnd();
}

function ms(value: number): string {
  return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0);
}

function mb(kib: number | null): string {
  return kib === null ? '-' : kibToMb(kib).toFixed(1);
}

function readerRow(size: number, name: string, r: ReaderResult): string {
  return row([String(size), name, ms(r.medianMs), String(r.runs), mb(r.peakKiB), r.rows === null ? '-' : String(r.rows)]);
}

export function formatSize(r: SizeResult): string {
  const s = r.setup;
  const iw = r.idlewatch;
  const lines = [
    row(COLUMNS.map((c) => c.title)),
    readerRow(r.size, 'idlewatch snapshot (cold, in-proc)', iw.cold),
    readerRow(r.size, 'idlewatch snapshot (warm)', iw.warm),
    readerRow(r.size, 'idlewatch snapshot --json (CLI)', r.cli),
    readerRow(r.size, 'ss -tano', r.ssTano),
    readerRow(r.size, 'ss -tanoi', r.ssTanoi),
    readerRow(r.size, 'systeminformation networkConnections', r.systeminformation),
    '',
    `  table: ${s.sockets} sockets = ${s.connections} connections x 2 + ${s.listeners} listeners, ` +
      `${s.keepalive} client sockets with keepalive, ${s.holders} holder process(es), created in ${(s.ms / 1000).toFixed(1)} s`,
    `  idlewatch in-proc peak RSS (worst probe): after the cold snapshot node ${mb(iw.coldNodePeakKiB)} MB` +
      ` + idlewatch-sockdiag ${mb(iw.coldHelperPeakKiB)} MB = ${mb(iw.cold.peakKiB)} MB;` +
      ` over cold + ${iw.warm.runs / iw.cold.runs} warm snapshots node ${mb(iw.nodePeakKiB)} MB` +
      ` + idlewatch-sockdiag ${mb(iw.helperPeakKiB)} MB = ${mb(iw.warm.peakKiB)} MB`,
    `  connections with a pid: ${iw.withPid} of ${iw.cold.rows}`,
    `  CLI and ss peak RSS: /usr/bin/time %M (largest single process, not node + helper summed)` +
      `; systeminformation: its Node process only (netstat child excluded), ${r.systeminformation.tcpRows} tcp rows`,
  ];
  return lines.join('\n');
}

export function verdict(r: SizeResult): string {
  const ss = r.ssTanoi.medianMs;
  const cold = r.idlewatch.cold.medianMs;
  const warm = r.idlewatch.warm.medianMs;
  // The budget has to hold for the whole probe, warm runs included; the cold-only figure is
  // shown beside it because the two differ a lot when garbage from warm runs piles up.
  const peakMb = kibToMb(r.idlewatch.warm.peakKiB ?? 0);
  const coldPeakMb = kibToMb(r.idlewatch.cold.peakKiB ?? 0);
  const check = (ok: boolean) => (ok ? 'yes' : 'NO');
  return (
    `${String(r.size).padEnd(7)} cold ${ms(cold)} ms <= ss -tanoi ${ms(ss)} ms: ${check(cold <= ss)}; ` +
    `warm ${ms(warm)} ms <= ss -tanoi: ${check(warm <= ss)}; ` +
    `peak RSS node+helper ${peakMb.toFixed(1)} MB (cold only ${coldPeakMb.toFixed(1)} MB) < ${RSS_BUDGET_MB} MB: ${check(peakMb < RSS_BUDGET_MB)}`
  );
}

/** The namespaces case: idlewatch reading every namespace at once, next to ss run in each. */
export function formatNamespaces(r: NamespacesResult): string {
  const iw = r.idlewatch;
  const label = `${r.namespaces} ns`;
  const lines = [
    row(COLUMNS.map((c) => c.title)),
    row([label, 'idlewatch all namespaces (cold)', ms(iw.coldMs), String(iw.probes), mb(iw.nodePeakKiB), String(iw.rows)]),
    row([label, 'idlewatch all namespaces (warm)', ms(iw.warmMs), String(iw.warmRuns), mb(iw.nodePeakKiB), String(iw.rows)]),
    row([label, `nsenter + ss -tanoi in each, summed`, ms(r.ss.sumMs), String(r.ss.runs), mb(r.ss.peakKiB), String(r.ss.rows)]),
    '',
    `  table: ${r.sockets} sockets in ${r.namespaces} network namespaces (${r.setup.connections} connections x 2 + ${r.setup.listeners} listeners), ` +
      `${r.setup.keepalive} client sockets with keepalive, created in ${(r.setup.ms / 1000).toFixed(1)} s`,
    `  idlewatch: one process, one idlewatch-sockdiag helper holding a sock_diag socket in each namespace; ` +
      `discovery of the namespaces in use (not in the times above) ${ms(iw.discoverMs)} ms; connections with a pid: ${iw.withPid} of ${iw.rows}`,
    `  ss: ${ms(r.ss.perNamespaceMs)} ms per namespace on average, process start included; peak RSS of the largest single ss`,
  ];
  return lines.join('\n');
}

export function namespacesVerdict(r: NamespacesResult): string {
  const check = (ok: boolean) => (ok ? 'yes' : 'NO');
  const { coldMs, warmMs } = r.idlewatch;
  return (
    `${r.namespaces} namespaces, ${r.sockets} sockets: all-namespace snapshot cold ${ms(coldMs)} ms <= ss -tanoi in each ${ms(r.ss.sumMs)} ms: ${check(coldMs <= r.ss.sumMs)}; ` +
    `warm ${ms(warmMs)} ms <= ss -tanoi in each: ${check(warmMs <= r.ss.sumMs)}`
  );
}

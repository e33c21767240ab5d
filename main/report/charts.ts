/**
 * The report's two charts as inline SVG text: no DOM, no script, nothing fetched, so they print
 * as they show and pass the report's CSP. Scales, ticks and shapes come from d3-scale and
 * d3-shape (their path generators return a path string when given no context); this module
 * only places them. Every number drawn comes from ./summary.ts.
 */
import { scaleBand, scaleLinear, scaleTime } from 'd3-scale';
import { line, stack, symbol, symbolSquare } from 'd3-shape';
import { DROP_REASONS, type DropReason } from '../../shared/model';
import { escapeHtml } from './html-escape';
import type { ReportSummary, TimelineBin } from './summary';

/** Okabe–Ito colours: told apart with the common colour-vision deficiencies, and in greyscale print by their order. */
export const REASON_COLOURS: Record<DropReason, string> = {
  keepalive: '#E69F00',
  retransmit: '#CC79A7',
  'user-timeout': '#56B4E9',
  'zero-window': '#009E73',
  middlebox: '#D55E00',
  application: '#0072B2',
};

export const REASON_NAMES: Record<DropReason, string> = {
  keepalive: 'keepalive',
  retransmit: 'retransmission',
  'user-timeout': 'user timeout',
  'zero-window': 'zero-window probes',
  middlebox: 'middlebox',
  application: 'application',
};

const INK = '#1a1e24';
const MUTED = '#59626e';
const GRID = '#d6dae0';
const BAR = '#1f55c0';
const PROBE = '#009E73';
const FONT = "font-family=\"system-ui, 'DejaVu Sans', Arial, sans-serif\"";

const round = (n: number) => Math.round(n * 10) / 10;
const pad = (n: number) => String(n).padStart(2, '0');
/** "14:05" in the report's time zone (the machine's that made it, as every time in the report). */
const clock = (at: Date) => `${pad(at.getHours())}:${pad(at.getMinutes())}`;

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${round(x)}" y="${round(y)}" ${attrs}>${escapeHtml(content)}</text>`;
}

/** Horizontal grid lines and labels for a count axis; whole numbers only (half a connection means nothing). */
function countAxis(y: ReturnType<typeof scaleLinear<number, number>>, left: number, right: number): string {
  const ticks = y.ticks(5).filter(Number.isInteger);
  return ticks
    .map((t) => {
      const at = round(y(t));
      return `<line x1="${left}" x2="${right}" y1="${at}" y2="${at}" stroke="${GRID}" stroke-width="${t === 0 ? 1 : 0.6}"/>` + text(left - 6, at + 3.5, String(t), `text-anchor="end" font-size="10" fill="${MUTED}"`);
    })
    .join('');
}

function svg(width: number, height: number, title: string, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(title)}" ${FONT}>` +
    `<title>${escapeHtml(title)}</title>${body}</svg>`
  );
}

/** Bars of connections per idle-time bucket, each labelled with its count. */
export function idleHistogram(summary: Pick<ReportSummary, 'idle'>): string {
  const width = 560;
  const height = 250;
  const m = { top: 18, right: 12, bottom: 46, left: 48 };
  const buckets = summary.idle.buckets;
  const x = scaleBand<string>()
    .domain(buckets.map((b) => b.label))
    .range([m.left, width - m.right])
    .padding(0.18);
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const y = scaleLinear().domain([0, max]).nice().range([height - m.bottom, m.top]);
  const bars = buckets
    .map((b) => {
      const left = x(b.label)!;
      const top = y(b.count);
      const barHeight = y(0) - top;
      return (
        `<rect x="${round(left)}" y="${round(top)}" width="${round(x.bandwidth())}" height="${round(barHeight)}" fill="${BAR}"/>` +
        text(left + x.bandwidth() / 2, top - 4, String(b.count), `text-anchor="middle" font-size="10" fill="${INK}"`) +
        text(left + x.bandwidth() / 2, height - m.bottom + 14, b.label, `text-anchor="middle" font-size="10" fill="${INK}"`)
      );
    })
    .join('');
  return svg(
    width,
    height,
    'Connections by idle time',
    countAxis(y, m.left, width - m.right) +
      bars +
      text((m.left + width - m.right) / 2, height - 8, 'Idle time (since the last packet from the peer)', `text-anchor="middle" font-size="11" fill="${INK}"`) +
      text(12, (m.top + height - m.bottom) / 2, 'Connections', `text-anchor="middle" font-size="11" fill="${INK}" transform="rotate(-90 12 ${(m.top + height - m.bottom) / 2})"`),
  );
}

/**
 * The hour after the snapshot: a lane of projected keepalive probes (a mark per 10 s, taller
 * for more probes), and below it the projected drops per minute, stacked by who drops them.
 */
export function dropTimeline(summary: Pick<ReportSummary, 'timeline'>): string {
  const width = 560;
  const height = 250;
  const m = { top: 14, right: 12, bottom: 46, left: 48 };
  const lane = { top: m.top, height: 34 };
  const barsTop = lane.top + lane.height + 14;
  const t = summary.timeline;
  const x = scaleTime()
    .domain([new Date(t.from), new Date(t.to)])
    .range([m.left, width - m.right]);

  // Probes: one vertical mark per slot with probes, its height by how many.
  const maxProbes = Math.max(1, ...t.probeMarks.map((p) => p.probes));
  const probeHeight = scaleLinear().domain([0, maxProbes]).range([4, lane.height]);
  const laneBottom = lane.top + lane.height;
  const probeMarks = t.probeMarks
    .map((p) => {
      const at = round(x(new Date(p.at + t.probeMarkMs / 2)));
      return (
        line()([
          [at, laneBottom],
          [at, laneBottom - probeHeight(p.probes)],
        ]) ?? ''
      );
    })
    .join('');
  const probeLane =
    `<rect x="${m.left}" y="${lane.top}" width="${width - m.left - m.right}" height="${lane.height}" fill="#f4f5f7"/>` +
    (probeMarks ? `<path d="${probeMarks}" stroke="${PROBE}" stroke-width="1.6" fill="none"/>` : '') +
    text(m.left - 6, lane.top + lane.height / 2 + 3.5, 'probes', `text-anchor="end" font-size="10" fill="${MUTED}"`);

  // Drops: a bar per minute, stacked by reason.
  const totals = t.bins.map((b) => DROP_REASONS.reduce((n, r) => n + b.drops[r], 0));
  const y = scaleLinear()
    .domain([0, Math.max(1, ...totals)])
    .nice()
    .range([height - m.bottom, barsTop]);
  const series = stack<TimelineBin, DropReason>()
    .keys(DROP_REASONS)
    .value((bin, reason) => bin.drops[reason])(t.bins);
  const barWidth = x(new Date(t.from + t.binMs)) - x(new Date(t.from));
  const rects = series
    .map((s) =>
      s
        .map(([low, high], i) => {
          if (high <= low) return '';
          const left = x(new Date(t.bins[i]!.startAt)) + 0.5;
          return `<rect x="${round(left)}" y="${round(y(high))}" width="${round(barWidth - 1)}" height="${round(y(low) - y(high))}" fill="${REASON_COLOURS[s.key]}"/>`;
        })
        .join(''),
    )
    .join('');

  const timeTicks = x
    .ticks(6)
    .map((d) => {
      const at = round(x(d));
      return (
        `<line x1="${at}" x2="${at}" y1="${lane.top}" y2="${height - m.bottom + 4}" stroke="${GRID}" stroke-width="0.6"/>` +
        text(at, height - m.bottom + 16, clock(d), `text-anchor="middle" font-size="10" fill="${INK}"`)
      );
    })
    .join('');
  const start = round(x(new Date(t.from)));
  const snapshotMark = `<line x1="${start}" x2="${start}" y1="${lane.top}" y2="${height - m.bottom}" stroke="${INK}" stroke-width="1"/>`;

  return svg(
    width,
    height,
    'Projected keepalive probes and drops in the next hour',
    timeTicks +
      countAxis(y, m.left, width - m.right) +
      probeLane +
      rects +
      snapshotMark +
      text((m.left + width - m.right) / 2, height - 8, `Time (from the snapshot at ${clock(new Date(t.from))}, next hour)`, `text-anchor="middle" font-size="11" fill="${INK}"`) +
      text(12, (barsTop + height - m.bottom) / 2, 'Drops per minute', `text-anchor="middle" font-size="11" fill="${INK}" transform="rotate(-90 12 ${(barsTop + height - m.bottom) / 2})"`),
  );
}

/** The colour key of the timeline, as HTML (it wraps with the page, unlike text in an SVG). */
export function reasonLegend(): string {
  const square = symbol(symbolSquare, 80)();
  const key = (mark: string, name: string) =>
    `<span class="key"><svg viewBox="-6 -6 12 12" width="10" height="10" aria-hidden="true">${mark}</svg>${escapeHtml(name)}</span>`;
  return [
    key(`<path d="M0,-6V6" stroke="${PROBE}" stroke-width="2.5"/>`, 'probe'),
    '<span class="muted">drop by</span>',
    ...DROP_REASONS.map((r) => key(`<path d="${square}" fill="${REASON_COLOURS[r]}"/>`, REASON_NAMES[r])),
  ].join('');
}

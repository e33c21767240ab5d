/**
 * The report as one self-contained HTML document: inline CSS and SVG, no script, nothing fetched
 * (its CSP says so, for a browser that opens it from a mail or a ticket), laid out for A4
 * landscape so that printing it — or ./pdf.ts, or Electron's printToPDF — gives the PDF: the
 * table breaks between rows and repeats its header on every page.
 *
 * Every text goes through ./html-escape.ts; text from the system through ./text.ts before that.
 */
import { formatEndpoint, printable } from '../../shared/format';
import { dropByLabel, keepaliveLabel, pidProcessLabel, userLabel } from '../../shared/labels';
import { DROP_REASONS, type Connection, type Snapshot } from '../../shared/model';
import { profileSpec } from '../../shared/profiles';
import { silentPeerDropMs } from '../../shared/settings';
import { formatClockTime, formatCountdown, formatDurationWords, formatElapsed, NONE } from '../../shared/time-format';
import type { HistoryEntry } from '../../shared/api/schemas';
import { dropTimeline, idleHistogram, REASON_NAMES, reasonLegend } from './charts';
import { GENERATOR } from './generator';
import { ESTIMATED_MARK, idleMark, MODEL_MARK, projectionMark, type ProvenanceMark } from '../../shared/provenance';
import { escapeHtml, htmlLabel, htmlText } from './html-escape';
import { END_CAUSES, type EndedConnection, type PostMortem, type ReportInput } from './model';
import { scopeOf } from './scope';
import { summarize, type ReportSummary } from './summary';
import { reportText } from './text';
import { ruleWords, settingsWords } from './words';

/** No script at all; styles and images only from the document itself. */
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/** A table cell holds at most this much of a name: a 10 kB process name must not fill a page. */
const CELL_LIMIT_CHARS = 160;
const ROWS_PER_CHUNK = 1000;

const STYLE = `
@page { size: A4 landscape; margin: 11mm 10mm 13mm;
  @bottom-left { content: "Idlewatch report"; font: 8pt system-ui, 'DejaVu Sans', sans-serif; color: #59626e; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 8pt system-ui, 'DejaVu Sans', sans-serif; color: #59626e; }
}
:root { --ink: #1a1e24; --muted: #59626e; --line: #d6dae0; --soft: #f4f5f7; --accent: #1f55c0; --danger: #a4221a; --danger-bg: #fdeceb; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0 auto; padding: 8mm; max-width: 297mm; color: var(--ink); background: #fff;
  font: 9.5pt/1.4 system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', Arial, sans-serif; }
@media print { body { padding: 0; max-width: none; } }
h1 { font-size: 17pt; margin: 0; }
h2 { font-size: 12.5pt; margin: 7mm 0 2mm; padding-bottom: 1mm; border-bottom: 1.5px solid var(--ink); break-after: avoid; }
h3 { font-size: 10.5pt; margin: 4mm 0 1.5mm; break-after: avoid; }
p { margin: 1mm 0 2mm; }
.muted { color: var(--muted); }
.num, .tnum { font-variant-numeric: tabular-nums; }
.mono { font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; }
header.report { display: grid; grid-template-columns: 1fr auto; gap: 2mm 8mm; padding-bottom: 3mm; border-bottom: 3px solid var(--accent); }
header.report .host { font-size: 12pt; margin-top: 1mm; }
header.report dl { display: grid; grid-template-columns: auto 1fr; gap: 0.5mm 4mm; margin: 2mm 0 0; }
header.report dt { color: var(--muted); }
header.report dd { margin: 0; }
header.report .stamp { text-align: right; color: var(--muted); }
header.report .stamp strong { display: block; color: var(--ink); font-size: 11pt; }
.scope { margin-top: 2mm; padding: 1.5mm 3mm; background: var(--soft); border-left: 3px solid var(--accent); }
.cards { display: grid; grid-template-columns: repeat(6, 1fr); gap: 3mm; margin: 4mm 0; break-inside: avoid; }
.card { border: 1px solid var(--line); border-radius: 2mm; padding: 2.5mm 3mm; background: #fff; }
.card .label { color: var(--muted); font-size: 8.5pt; text-transform: uppercase; letter-spacing: 0.03em; }
.card .value { font-size: 19pt; font-weight: 650; line-height: 1.2; font-variant-numeric: tabular-nums; }
.card .sub { font-size: 8.5pt; color: var(--muted); }
.card.alert { border-color: #f0b7b2; background: var(--danger-bg); }
.card.alert .value { color: var(--danger); }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 6mm; break-inside: avoid; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 2mm; padding: 2mm 3mm; }
figure > svg { width: 100%; height: auto; display: block; }
figcaption { font-weight: 600; margin-bottom: 1mm; }
figure .note { font-size: 8.5pt; color: var(--muted); margin: 1mm 0 0; }
.pmark { color: var(--muted); margin-right: 0.5mm; }
.vh { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.legend { display: flex; flex-wrap: wrap; gap: 1mm 4mm; font-size: 8.5pt; margin-top: 1mm; }
.legend .key svg { width: 10px; height: 10px; vertical-align: -1px; margin-right: 1.2mm; }
table { border-collapse: collapse; width: 100%; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th { text-align: left; font-weight: 600; background: var(--soft); border-bottom: 1.5px solid var(--ink); }
th, td { padding: 0.8mm 1.6mm; vertical-align: top; }
td { border-bottom: 0.5px solid var(--line); }
td.text { overflow-wrap: anywhere; }
td.states { white-space: nowrap; font-size: 7.6pt; }
table.data { font-size: 8.3pt; }
table.data td.num, table.data th.num { text-align: right; white-space: nowrap; }
table.data td.nowrap { white-space: nowrap; }
tr.risk td:first-child { box-shadow: inset 2px 0 0 var(--danger); }
.tag { display: inline-block; padding: 0 1.2mm; border-radius: 1mm; font-size: 7.8pt; font-weight: 600; color: #fff; }
.tag.risk { background: var(--danger); }
table.settings th[scope=row] { background: none; border-bottom: 0.5px solid var(--line); white-space: nowrap; }
table.settings td.value { white-space: nowrap; }
ul.plain { margin: 1mm 0; padding-left: 5mm; }
.two { display: grid; grid-template-columns: 3fr 2fr; gap: 8mm; }
.counts { display: flex; flex-wrap: wrap; gap: 1.5mm 5mm; margin: 1mm 0 3mm; }
.counts span strong { font-variant-numeric: tabular-nums; }
footer { margin-top: 6mm; padding-top: 2mm; border-top: 1px solid var(--line); color: var(--muted); font-size: 8.5pt; }
`;

const pad = (n: number) => String(n).padStart(2, '0');

/** "UTC", "UTC+02:00": the zone every time in the report is in (the machine's that made it). */
export function zoneLabel(at: number): string {
  const offsetMin = -new Date(at).getTimezoneOffset();
  if (offsetMin === 0) return 'UTC';
  const abs = Math.abs(offsetMin);
  return `UTC${offsetMin > 0 ? '+' : '-'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** "2026-11-25 14:03:21" in the report's zone. */
function dateTime(at: number): string {
  const d = new Date(at);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "14:03:21 · in 5m 48s", "14:03:21 · overdue", "—". */
function moment(at: number | null, takenAt: number): string {
  if (at === null) return NONE;
  const countdown = formatCountdown(at, takenAt);
  return `${formatClockTime(at, takenAt)} · ${countdown === 'overdue' ? 'overdue' : `in ${countdown}`}`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

function header(input: ReportInput, description: string): string {
  const { snapshot } = input;
  const { host, namespace } = snapshot;
  const zone = zoneLabel(snapshot.takenAt);
  const system = [host.distro ?? host.os, host.arch].filter(Boolean).map((s) => htmlText(s, 200)).join(' · ');
  const ns = namespace.name === null ? escapeHtml(namespace.id) : `${htmlText(namespace.name, 200)} (${escapeHtml(namespace.id)})`;
  return `<header class="report">
<div>
<h1>${input.postMortem ? 'Idlewatch post-mortem' : 'Idlewatch report'}</h1>
<div class="host"><strong>${htmlText(host.hostname, 200)}</strong></div>
<dl>
<dt>System</dt><dd>${system}</dd>
<dt>Kernel</dt><dd>${htmlText(host.kernel, 200)}${snapshot.clock.kind === 'tick' ? ` · HZ ${snapshot.clock.hz}` : ''}</dd>
<dt>Network namespace</dt><dd>${ns}${namespace.current ? ' (the one Idlewatch ran in)' : ''}</dd>
</dl>
</div>
<div class="stamp">
${input.postMortem ? 'Last poll of the recording' : 'Snapshot taken'}<strong>${escapeHtml(dateTime(snapshot.takenAt))} ${escapeHtml(zone)}</strong>
<span class="mono">${escapeHtml(new Date(snapshot.takenAt).toISOString())}</span><br>
Report made ${escapeHtml(dateTime(input.generatedAt))} ${escapeHtml(zoneLabel(input.generatedAt))}<br>
All times ${escapeHtml(zone)}
</div>
</header>
<p class="scope"><strong>Scope${input.postMortem ? ' of the connections open at the end' : ''}:</strong> ${escapeHtml(description)}.${
    input.postMortem ? ' Every connection that ended while the recording ran is listed.' : ''
  }</p>`;
}

function card(label: string, value: string, sub: string, alert = false): string {
  return `<div class="card${alert ? ' alert' : ''}"><div class="label">${escapeHtml(label)}</div><div class="value">${escapeHtml(value)}</div><div class="sub">${escapeHtml(sub)}</div></div>`;
}

function cards(summary: ReportSummary, snapshot: Snapshot, total: number): string {
  const k = summary.keepalive;
  const next = summary.nextHour;
  const byReason = DROP_REASONS.filter((r) => next.dropsByReason[r] > 0).map((r) => `${next.dropsByReason[r]} ${REASON_NAMES[r]}`);
  const states = summary.byState.map((s) => `${s.state} ${s.count}`).join(' · ');
  return `<section class="cards" aria-label="Summary">
${card('Connections', summary.connections.toLocaleString('en-US'), summary.connections === total ? states || 'none' : `of ${total.toLocaleString('en-US')} · ${states}`)}
${card('Keepalive on', k.on.toLocaleString('en-US'), `off ${k.off} · unknown ${k.unknown} · not applicable ${k.notApplicable}`)}
${card('At risk', summary.atRisk.toLocaleString('en-US'), 'closed by a middlebox or the application before the first keepalive probe', summary.atRisk > 0)}
${card('Drops next hour', next.drops.toLocaleString('en-US'), (byReason.length ? byReason.join(' · ') : 'none projected') + (next.overdue ? ` · ${next.overdue} overdue` : ''), next.drops > 0)}
${card('Probes next hour', next.probes.toLocaleString('en-US'), 'keepalive probes, if every silent peer stays silent')}
${card('Silent peer found', formatDurationWords(silentPeerDropMs(snapshot.settings)), 'after its last packet, with the settings in force')}
</section>`;
}

function charts(summary: ReportSummary): string {
  const unknown = summary.idle.unknown;
  return `<section class="charts">
<figure><figcaption>Idle time</figcaption>${idleHistogram(summary)}
<p class="note">How long since each connection last heard from its peer.${unknown ? ` ${plural(unknown, 'socket')} without an idle time (listeners, TIME_WAIT) not counted.` : ''}</p></figure>
<figure><figcaption>The next hour: projected probes and drops</figcaption>${dropTimeline(summary)}
<div class="legend">${reasonLegend()}</div>
<p class="note">If every peer stays silent: a peer that answers a probe keeps its connection, and its later probes move.</p></figure>
</section>`;
}

function settingsSection(input: ReportInput): string {
  const words = settingsWords(input.snapshot, input.rules);
  const rows = words.settings
    .map((s) => `<tr><th scope="row" class="mono">${escapeHtml(s.name)}</th><td class="value num">${escapeHtml(s.value)}</td><td>${escapeHtml(s.meaning)}</td></tr>`)
    .join('\n');
  const rules = input.rules.map(ruleWords);
  const ruleList = rules.length
    ? `<ul class="plain">${rules.map((r) => `<li><strong>${escapeHtml(r.name)}</strong> · ${escapeHtml(r.text)}</li>`).join('')}</ul>`
    : '<p>None: only the kernel’s keepalive and retransmission are projected. A NAT, load balancer or server that closes idle connections is invisible from this host until a rule describes it.</p>';
  return `<section class="two">
<div>
<h2>Keepalive settings in force</h2>
<p><strong>${escapeHtml(words.detection)}</strong> <span class="muted mono">${escapeHtml(words.summary)}</span></p>
<table class="settings"><tbody>
${rows}
</tbody></table>
<p class="muted">${escapeHtml(words.scope)}</p>
<p><strong>${escapeHtml(words.clock.headline)}</strong> ${escapeHtml(words.clock.text)}</p>
</div>
<div>
<h2>Idle-timeout rules assumed</h2>
${ruleList}
<h3>What the settings do for middleboxes</h3>
<ul class="plain">${words.middleboxes.map((line) => `<li>${htmlLabel(line)}</li>`).join('')}</ul>
</div>
</section>`;
}

/** A mark as the app's table shows it: the symbol with its words as a tooltip, the provenance for a screen reader. */
const markHtml = (mark: ProvenanceMark): string =>
  `<span class="pmark" title="${escapeHtml(mark.title)}"><span aria-hidden="true">${escapeHtml(mark.symbol)}</span><span class="vh">${escapeHtml(mark.spoken)} </span></span>`;
const IDLE_MARK_HTML = markHtml(ESTIMATED_MARK);
const MODEL_MARK_HTML = markHtml(MODEL_MARK);

const CONNECTION_HEADER = `<thead><tr>
<th>State</th><th>Local</th><th>Remote</th><th>PID/process</th><th>User</th><th class="num">Idle</th><th>KA</th><th class="num">Probes</th><th>Next probe</th><th>Projected drop</th><th>Dropped by</th>
</tr></thead>`;

function connectionRow(c: Connection, takenAt: number): string {
  const risk = c.atRisk ? ' <span class="tag risk">at risk</span>' : '';
  const probes = c.keepalive || c.probesSent > 0 ? String(c.probesSent) : '';
  const idleMarkHtml = idleMark(c) ? IDLE_MARK_HTML : '';
  const modelMark = projectionMark(c) ? MODEL_MARK_HTML : '';
  return (
    `<tr${c.atRisk ? ' class="risk"' : ''}><td>${escapeHtml(c.state)}</td>` +
    `<td class="nowrap tnum">${htmlLabel(formatEndpoint(printable(c.localAddress), c.localPort), 80)}</td>` +
    `<td class="nowrap tnum">${htmlLabel(formatEndpoint(printable(c.remoteAddress), c.remotePort), 80)}</td>` +
    `<td class="text">${htmlLabel(pidProcessLabel(c), CELL_LIMIT_CHARS)}</td>` +
    `<td class="text">${htmlLabel(userLabel(c) ?? '', CELL_LIMIT_CHARS)}</td>` +
    `<td class="num">${c.idleMs === null ? '' : idleMarkHtml + escapeHtml(formatElapsed(c.idleMs))}</td>` +
    `<td>${escapeHtml(keepaliveLabel(c))}</td>` +
    `<td class="num">${probes}</td>` +
    `<td class="nowrap tnum">${c.nextProbeAt === null ? '' : modelMark}${escapeHtml(moment(c.nextProbeAt, takenAt))}</td>` +
    `<td class="nowrap tnum">${c.dropAt === null ? '' : modelMark}${escapeHtml(moment(c.dropAt, takenAt))}</td>` +
    `<td class="text">${htmlLabel(dropByLabel(c) ?? '', CELL_LIMIT_CHARS)}${risk}</td></tr>`
  );
}

/** Under the table, only where a value was not read from the OS: what its marks mean. */
function markNote(used: readonly ProvenanceMark[]): string {
  if (used.length === 0) return '';
  return `<p class="muted">${used.map((m) => `${escapeHtml(m.symbol)} ${escapeHtml(m.title)}`).join(' · ')}</p>`;
}

function* connectionTable(connections: readonly Connection[], takenAt: number, description: string, used: readonly ProvenanceMark[]): Generator<string> {
  yield `<section><h2>Connections</h2>
<p class="muted">${escapeHtml(description)}; soonest projected drop first. Times are when the kernel acts if the peer stays silent; “overdue” means the projected moment passed while the connection was still listed.</p>`;
  if (connections.length === 0) {
    yield '<p>No connection in this scope.</p></section>';
    return;
  }
  yield `<table class="data">${CONNECTION_HEADER}<tbody>\n`;
  for (let i = 0; i < connections.length; i += ROWS_PER_CHUNK) {
    const rows: string[] = [];
    for (const c of connections.slice(i, i + ROWS_PER_CHUNK)) rows.push(connectionRow(c, takenAt));
    yield `${rows.join('\n')}\n`;
  }
  yield `</tbody></table>${markNote(used)}</section>`;
}

function historySection(history: readonly HistoryEntry[]): string {
  if (history.length === 0) return '<section><h2>Profile history</h2><p>No apply or undo recorded on this system.</p></section>';
  const rows = history
    .map(
      (e) =>
        `<tr><td class="nowrap tnum">${escapeHtml(dateTime(e.at))}</td><td class="text">${htmlText(e.user, 100)}</td><td>${escapeHtml(e.action)}</td>` +
        `<td class="text">${htmlText(e.profile ?? NONE, 64)}</td><td class="tnum">${escapeHtml(e.before ? profileSpec(e.before) : NONE)}</td>` +
        `<td class="tnum">${escapeHtml(e.after ? profileSpec(e.after) : NONE)}</td><td>${e.persisted ? 'yes' : 'no'}</td><td>${escapeHtml(e.outcome)}</td>` +
        `<td class="text">${htmlText(e.message, 600)}</td></tr>`,
    )
    .join('\n');
  return `<section><h2>Profile history</h2>
<p class="muted">Every apply and undo, newest first. Values are TIME/INTERVAL/PROBES in seconds.</p>
<table class="data"><thead><tr><th>When</th><th>User</th><th>Action</th><th>Profile</th><th>Before</th><th>After</th><th>Persisted</th><th>Outcome</th><th>Message</th></tr></thead><tbody>
${rows}
</tbody></table></section>`;
}

function endedRow(e: EndedConnection, takenAt: number): string {
  const process = e.process === null ? '' : `${e.pid ?? '?'}/${e.process}`;
  const ended = e.endedWindow ? `${formatClockTime(e.endedWindow[0], takenAt)} – ${formatClockTime(e.endedWindow[1], takenAt)}` : formatClockTime(e.endedAt, takenAt);
  const projected = e.projectedDropAt === null ? NONE : `${formatClockTime(e.projectedDropAt, takenAt)}${e.projectedDropReason ? ` (${REASON_NAMES[e.projectedDropReason]})` : ''}`;
  return (
    `<tr><td class="nowrap tnum">${escapeHtml(ended)}</td>` +
    `<td class="nowrap tnum">${htmlText(formatEndpoint(e.localAddress, e.localPort), 80)}</td>` +
    `<td class="nowrap tnum">${htmlText(formatEndpoint(e.remoteAddress, e.remotePort), 80)}</td>` +
    `<td class="text">${htmlText(process, CELL_LIMIT_CHARS)}</td><td class="text">${htmlText(e.user ?? '', CELL_LIMIT_CHARS)}</td>` +
    `<td class="num">${escapeHtml(e.idleAtEndMs === null ? NONE : formatElapsed(e.idleAtEndMs))}</td>` +
    `<td class="nowrap tnum">${escapeHtml(projected)}</td><td><strong>${escapeHtml(e.cause)}</strong></td>` +
    `<td class="text">${e.evidence.map((line) => htmlText(line, 600)).join('<br>')}</td>` +
    // One state per line: a state name is never broken, the column stays narrow.
    `<td class="states">${e.statesSeen.map((state) => escapeHtml(state)).join('<br>')}</td></tr>`
  );
}

function postMortemSection(pm: PostMortem, takenAt: number): string {
  const r = pm.recording;
  const stopped = r.stoppedAt === null ? `cut short; last record ${dateTime(r.lastAt)}` : `stopped ${dateTime(r.stoppedAt)}`;
  const causes = END_CAUSES.filter((c) => pm.byCause[c] > 0)
    .map((c) => `<span>${escapeHtml(c)} <strong>${pm.byCause[c]}</strong></span>`)
    .join('');
  const rows = pm.ended.map((e) => endedRow(e, takenAt)).join('\n');
  return `<section><h2>Connections that ended</h2>
<p>Recording <span class="mono">${htmlText(r.name, 200)}</span>: started ${escapeHtml(dateTime(r.startedAt))}, ${escapeHtml(stopped)};
${plural(r.polls, 'poll')} every ${escapeHtml(formatDurationWords(r.intervalMs))}; ends seen by ${r.endSource === 'kernel-events' ? 'the kernel’s announcements (exact times)' : 'polls (each end between two polls)'}.
${r.endSourceNote ? htmlText(r.endSourceNote, 500) : ''}${r.truncated ? ' Its last line was cut short (a crash) and was skipped.' : ''}</p>
<div class="counts">${causes || '<span>No connection ended while it ran.</span>'}</div>
${
  pm.ended.length
    ? `<table class="data"><thead><tr><th>Ended</th><th>Local</th><th>Remote</th><th>PID/process</th><th>User</th><th class="num">Idle at end</th><th>Projected drop</th><th>Cause</th><th>Evidence</th><th>States seen</th></tr></thead><tbody>
${rows}
</tbody></table>`
    : ''
}
</section>`;
}

function diagnostics(snapshot: Snapshot): string {
  const d = snapshot.diagnostics;
  const notes = [
    d.unattributedSockets ? `${plural(d.unattributedSockets, 'socket')} with no visible process` : '',
    d.processesDenied ? `${plural(d.processesDenied, 'process', 'processes')} not readable (run as root to see them)` : '',
    d.processesUnscanned ? `${plural(d.processesUnscanned, 'process', 'processes')} could not be scanned` : '',
    d.malformedLines ? `${plural(d.malformedLines, 'malformed line')} skipped` : '',
  ].filter(Boolean);
  const warnings = d.warnings.map((w) => htmlText(w, 1000));
  if (notes.length === 0 && warnings.length === 0) return '';
  return `<section><h2>What the collector could not see</h2><ul class="plain">${[...notes.map(escapeHtml), ...warnings].map((n) => `<li>${n}</li>`).join('')}</ul></section>`;
}

/** The HTML in pieces, to write as they come (the connection table is most of it). */
export function* htmlChunks(input: ReportInput): Generator<string> {
  const { snapshot } = input;
  const scoped = scopeOf(input);
  const summary = summarize(scoped.connections, snapshot.takenAt);
  const title = `${input.postMortem ? 'Idlewatch post-mortem' : 'Idlewatch report'} — ${reportText(snapshot.host.hostname, 100)} — ${dateTime(snapshot.takenAt)}`;
  yield `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(REPORT_CSP)}">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="${escapeHtml(`${GENERATOR.name} ${GENERATOR.version}`)}">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${header(input, scoped.description)}
`;
  if (input.postMortem) yield postMortemSection(input.postMortem, snapshot.takenAt);
  yield `${input.postMortem ? '<h2>At the end of the recording</h2>' : ''}${cards(summary, snapshot, scoped.total)}\n${charts(summary)}\n${settingsSection(input)}\n`;
  const { idle, projection } = summary.provenance;
  yield* connectionTable(scoped.connections, snapshot.takenAt, scoped.description, [...(idle.estimated > 0 ? [ESTIMATED_MARK] : []), ...(projection.model > 0 ? [MODEL_MARK] : [])]);
  yield historySection(input.history);
  yield diagnostics(snapshot);
  yield `<footer>Made by ${escapeHtml(`${GENERATOR.name} ${GENERATOR.version}`)}. Projections assume each peer stays silent from its last packet; they are what the kernel does then, not a forecast of the network.</footer>
</body>
</html>
`;
}

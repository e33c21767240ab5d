import { Window } from 'happy-dom';
import { afterAll, describe, expect, it } from 'vitest';
import { REPORT_CSP } from '../../../main/report/html';
import { renderReport } from '../../../main/report/index';
import { connection, NOW } from '../../fixtures/connection';
import { historyEntry } from '../../fixtures/profiles';
import { endedConnection, HOSTILE_NAMES, hostileConnections, postMortem, reportInput } from './report-input';

import { PROVENANCE_WORDS } from '../../../shared/provenance';

const MODELLED = {
  idleProvenance: 'estimated',
  precision: 'model',
  effective: { timeSec: 7200, intervalSec: 75, probes: 8, userTimeoutMs: 0, source: 'assumed' },
} as const;

const window = new Window();
afterAll(() => window.happyDOM.close());

function parseHtml(html: string) {
  return new window.DOMParser().parseFromString(html, 'text/html');
}

/** Every element and attribute that could run code or fetch something. */
function activeContent(doc: ReturnType<typeof parseHtml>): string[] {
  const found: string[] = [];
  for (const el of doc.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    if (['script', 'iframe', 'object', 'embed', 'link', 'img', 'image', 'base', 'form', 'use', 'foreignobject'].includes(tag)) found.push(`<${tag}>`);
    for (const attr of el.getAttributeNames()) {
      if (/^on/i.test(attr) || /^(src|href|xlink:href|action|srcdoc)$/i.test(attr)) found.push(`${tag}[${attr}]`);
    }
  }
  return found;
}

describe('HTML report', () => {
  it('(the check for active content sees what it looks for)', () => {
    expect(activeContent(parseHtml('<p onclick="x"><img src="x"><script>1</script><svg><a href="y">z</a></svg></p>'))).toEqual(['p[onclick]', '<img>', 'img[src]', '<script>', 'a[href]']);
  });

  it('is one self-contained document: a CSP that forbids scripts, no script, nothing fetched', () => {
    const doc = parseHtml(renderReport(reportInput([connection()]), 'html'));
    expect(doc.querySelector('meta[http-equiv="Content-Security-Policy"]')!.getAttribute('content')).toBe(REPORT_CSP);
    expect(REPORT_CSP).toBe("default-src 'none'; style-src 'unsafe-inline'; img-src data:");
    expect(activeContent(doc)).toEqual([]);
    expect(doc.querySelectorAll('style')).toHaveLength(1);
    expect(doc.title).toBe('Idlewatch report — db1 — ' + doc.title.split(' — ')[2]);
  });

  it('has the header block, the summary cards and both charts with labelled axes', () => {
    const doc = parseHtml(renderReport(reportInput([connection(), connection({ id: 'r', localPort: 40001, atRisk: true, dropReason: 'middlebox', dropBy: 'AWS NLB', dropAt: NOW + 98_000 })]), 'html'));
    const header = doc.querySelector('header.report')!.textContent!;
    expect(header).toContain('db1');
    expect(header).toContain('Debian GNU/Linux 12 (bookworm)');
    expect(header).toContain('6.1.0');
    expect(header).toContain(new Date(NOW).toISOString());
    expect(doc.querySelector('.scope')!.textContent).toBe('Scope: All 2 connections.');
    const cards = [...doc.querySelectorAll('.card')].map((c) => [c.querySelector('.label')!.textContent, c.querySelector('.value')!.textContent]);
    expect(cards).toEqual([
      ['Connections', '2'],
      ['Keepalive on', '2'],
      ['At risk', '1'],
      ['Drops next hour', '2'],
      ['Probes next hour', '10'],
      ['Silent peer found', '15 min'],
    ]);
    const charts = [...doc.querySelectorAll('figure > svg')];
    expect(charts.map((svg) => svg.getAttribute('aria-label'))).toEqual(['Connections by idle time', 'Projected keepalive probes and drops in the next hour']);
    const texts = charts.map((svg) => [...svg.querySelectorAll('text')].map((t) => t.textContent));
    expect(texts[0]).toEqual(expect.arrayContaining(['Connections', 'Idle time (since the last packet from the peer)', '1 – 5 min']));
    expect(texts[1]).toEqual(expect.arrayContaining(['Drops per minute', 'probes', expect.stringMatching(/^Time \(from the snapshot at \d\d:\d\d, next hour\)$/)]));
    // A bar for the middlebox drop and one for the keepalive drop, in their colours.
    expect(charts[1]!.querySelectorAll('rect[fill="#D55E00"]')).toHaveLength(1);
    expect(charts[1]!.querySelectorAll('rect[fill="#E69F00"]')).toHaveLength(1);
  });

  it('explains the settings in force and lists the rules assumed, in the words the app uses', () => {
    const doc = parseHtml(renderReport(reportInput([connection()]), 'html'));
    const text = doc.body.textContent!;
    expect(text).toContain('A silent peer is detected 15 min after its last packet (600 s idle, then 5 probes 60 s apart).');
    expect([...doc.querySelectorAll('table.settings th')].map((th) => th.textContent)).toEqual([
      'tcp_keepalive_time',
      'tcp_keepalive_intvl',
      'tcp_keepalive_probes',
      'tcp_retries2',
    ]);
    expect(text).toContain('AWS NLB · Middlebox · closes after 5 min 50 s idle · remote port 5432');
  });

  it('has a connection table whose header repeats on each printed page, and the profile history', () => {
    const doc = parseHtml(renderReport(reportInput([connection(), connection({ id: 'b', localPort: 40001 })], { history: [historyEntry(), historyEntry({ action: 'undo' })] }), 'html'));
    const tables = doc.querySelectorAll('table.data');
    expect(tables).toHaveLength(2);
    expect([...tables[0]!.querySelectorAll('thead th')].map((th) => th.textContent)).toEqual([
      'State', 'Local', 'Remote', 'PID/process', 'User', 'Idle', 'KA', 'Probes', 'Next probe', 'Projected drop', 'Dropped by',
    ]);
    expect(tables[0]!.querySelectorAll('tbody tr')).toHaveLength(2);
    expect(tables[1]!.querySelectorAll('tbody tr')).toHaveLength(2);
    const css = doc.querySelector('style')!.textContent!;
    expect(css).toContain('size: A4 landscape');
    expect(css).toContain('thead { display: table-header-group; }');
    expect(css).toContain('tr { break-inside: avoid; }');
  });

  it('shows every hostile name as inert, visible text: no markup, no control or bidi character, bounded', () => {
    const doc = parseHtml(renderReport(reportInput(hostileConnections(), { rules: [] }), 'html'));
    expect(activeContent(doc)).toEqual([]);
    const rows = [...doc.querySelectorAll('table.data')[0]!.querySelectorAll('tbody tr')];
    expect(rows).toHaveLength(Object.keys(HOSTILE_NAMES).length);
    const text = doc.body.textContent!;
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]/);
    expect(text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    const cells = rows.map((r) => r.querySelectorAll('td')[3]!.textContent!);
    expect(cells).toContain(`101/${HOSTILE_NAMES.markup}`);
    expect(cells).toContain(`101/${HOSTILE_NAMES.attribute}`);
    expect(cells).toContain('101/evil\\x1b[31m\\x07\\x00name\\x9b');
    expect(cells).toContain('101/\\u202eexe.evil');
    expect(cells).toContain('101/x\uFFFDy');
    const long = cells.find((c) => c.startsWith('101/AAAA'))!;
    expect(long.length).toBeLessThanOrEqual(200);
    expect(long.endsWith('…')).toBe(true);
  });

  it('bounds and escapes the host and namespace names too', () => {
    const input = reportInput([connection()]);
    input.snapshot.host = { ...input.snapshot.host, hostname: '<b>h</b>\u202e', kernel: 'k"><svg onload=alert(1)>' };
    const doc = parseHtml(renderReport(input, 'html'));
    expect(activeContent(doc)).toEqual([]);
    expect(doc.querySelector('header.report .host')!.textContent).toBe('<b>h</b>\\u202e');
  });

  it('says which scope it shows', () => {
    const input = reportInput([connection({ idleMs: 5000 }), connection({ id: 'b', localPort: 40001, idleMs: 120_000 })], {
      scope: { kind: 'filtered', filter: { text: '', state: 'ESTABLISHED', minIdleSec: 60, keepalive: 'any', atRiskOnly: false } },
    });
    const doc = parseHtml(renderReport(input, 'html'));
    expect(doc.querySelector('.scope')!.textContent).toBe('Scope: 1 of 2 connections: state ESTABLISHED, idle ≥ 60 s.');
    expect(doc.querySelectorAll('table.data')[0]!.querySelectorAll('tbody tr')).toHaveLength(1);
  });

  it('puts the connections that ended first in a post-mortem: cause counts, then a table with the evidence', () => {
    const ended = [endedConnection(), endedConnection({ cause: 'middlebox', process: HOSTILE_NAMES.markup, evidence: ['Seen <b>idle</b> 350 s.'] })];
    const doc = parseHtml(renderReport(reportInput([connection()], { postMortem: postMortem(ended) }), 'html'));
    expect(activeContent(doc)).toEqual([]);
    const headings = [...doc.querySelectorAll('h2')].map((h) => h.textContent);
    expect(headings[0]).toBe('Connections that ended');
    expect(doc.querySelector('h1')!.textContent).toBe('Idlewatch post-mortem');
    expect(doc.querySelector('.counts')!.textContent).toBe('keepalive 1middlebox 1');
    const table = doc.querySelectorAll('table.data')[0]!;
    expect([...table.querySelectorAll('thead th')].map((th) => th.textContent)).toContain('Evidence');
    const rows = [...table.querySelectorAll('tbody tr')].map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent));
    expect(rows[0]).toContain('It ended 0.2 s after its projected keepalive drop.5 probes were out unanswered when it ended.');
    expect(rows[1]).toContain(`101/${HOSTILE_NAMES.markup}`);
    expect(rows[1]).toContain('Seen <b>idle</b> 350 s.');
  });

  it('marks nothing, and has no legend, when every value was read from the kernel', () => {
    const doc = parseHtml(renderReport(reportInput([connection()]), 'html'));
    expect(doc.querySelectorAll('.pmark')).toHaveLength(0);
    expect(doc.body.textContent).not.toContain(PROVENANCE_WORDS.model);
  });

  it('marks an estimated idle time ≈ and a modelled next probe and drop ~, as the app does, with a legend under the table', () => {
    const doc = parseHtml(renderReport(reportInput([connection({ ...MODELLED })]), 'html'));
    const cells = [...doc.querySelectorAll('table.data tbody tr')[0]!.querySelectorAll('td')];
    const marks = cells.map((td) => td.querySelector('.pmark'));
    expect(marks[5]!.getAttribute('title')).toBe(`estimated: ${PROVENANCE_WORDS.estimated}`);
    expect(marks[5]!.querySelector('[aria-hidden="true"]')!.textContent).toBe('≈');
    expect(marks[5]!.querySelector('.vh')!.textContent).toBe('estimated: ');
    expect(marks[8]!.querySelector('[aria-hidden="true"]')!.textContent).toBe('~');
    expect(marks[9]!.getAttribute('title')).toBe(`model: ${PROVENANCE_WORDS.model}`);
    expect(marks.filter(Boolean)).toHaveLength(3);
    const section = doc.querySelector('table.data')!.closest('section')!.textContent!;
    expect(section).toContain(`≈ estimated: ${PROVENANCE_WORDS.estimated}`);
    expect(section).toContain(`~ model: ${PROVENANCE_WORDS.model}`);
  });
});

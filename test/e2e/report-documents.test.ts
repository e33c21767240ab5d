/**
 * `idlewatch report` on a real snapshot: real connections in this throwaway namespace (some with
 * keepalive, one with its own TCP_KEEPIDLE, some without; two batches, so idle times differ),
 * processes with hostile names, a profile history made by real applies and an undo, and a
 * middlebox rule. The HTML report is rendered in Chromium and the PDF (printed by the CLI through
 * the local Chromium) turned into PNG pages with pdftoppm; both are kept under
 * test-results/screenshots/ for tickets.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'csv-parse/sync';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnapshotSchema } from '../../shared/model/schemas';
import { assertThrowawayPersistence, readSysctl, setKeepaliveSysctls, sleep, type KeepaliveSysctls } from '../integration/lab';
import { launchChromium, screenshotPath } from './browser-lab';

const CLI = fileURLToPath(new URL('../../main/cli/idlewatch.mjs', import.meta.url));
/** Names a process gives itself (comm holds 15 bytes): markup, a formula, a bidi override. */
const HOSTILE = ['<script>alert', '=HYPERLINK("x")', '\u202eexe.live'];
const MIDDLEBOX_SEC = '240';

let work = '';
/** What this namespace held before the applies, put back afterwards for the test files that follow. */
let sysctlsBefore: KeepaliveSysctls | null = null;
const PERSISTENT = ['/etc/sysctl.d', '/var/lib/idlewatch'];
let persistedBefore: { path: string; content: Buffer }[] = [];
let browser: Browser;
let listener: net.Server;
const sockets: net.Socket[] = [];
const children: ChildProcess[] = [];

const idlewatch = (...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, XDG_CONFIG_HOME: work },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

function ok(run: ReturnType<typeof idlewatch>): string {
  if (run.status !== 0) throw new Error(`idlewatch exited ${run.status}: ${run.stderr}`);
  return run.stdout;
}

async function connect(port: number, setup: (s: net.Socket) => void): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  setup(socket);
  sockets.push(socket);
}

/** A node child that renames itself, then holds one idle connection to `port`. */
async function hostileChild(name: string, port: number): Promise<void> {
  const script = `
    require('node:fs').writeFileSync('/proc/self/comm', ${JSON.stringify(name)});
    const s = require('node:net').connect(${port}, '127.0.0.1', () => process.stdout.write('up\\n'));
    s.on('error', () => process.exit(1));
    setInterval(() => {}, 1 << 30);
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the renamed child exited (${code})`)));
  });
}

beforeAll(async () => {
  assertThrowawayPersistence();
  for (const built of ['../../out/cli/cli.mjs', '../../out/bin/idlewatch-keepalive', '../../out/bin/idlewatch-sockdiag']) {
    if (!existsSync(fileURLToPath(new URL(built, import.meta.url)))) throw new Error(`${built.slice(6)} is missing: run \`npm run build\` first (npm test does).`);
  }
  work = mkdtempSync(join(tmpdir(), 'idlewatch-report-e2e-'));

  sysctlsBefore = {
    timeSec: Number(readSysctl('net.ipv4.tcp_keepalive_time')),
    intervalSec: Number(readSysctl('net.ipv4.tcp_keepalive_intvl')),
    probes: Number(readSysctl('net.ipv4.tcp_keepalive_probes')),
  };
  persistedBefore = PERSISTENT.flatMap((dir) =>
    readdirSync(dir)
      .map((name) => join(dir, name))
      .filter((path) => statSync(path).isFile())
      .map((path) => ({ path, content: readFileSync(path) })),
  );
  // A history to report: real applies and an undo, as root in this namespace (persisted nowhere: --no-persist).
  setKeepaliveSysctls({ timeSec: 7200, intervalSec: 75, probes: 9 });
  ok(idlewatch('apply', 'cloud-nat', '--yes', '--no-persist'));
  ok(idlewatch('undo'));
  ok(idlewatch('apply', 'server', '--yes', '--no-persist'));

  listener = net.createServer((s) => {
    s.on('error', () => undefined);
    sockets.push(s);
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as net.AddressInfo).port;

  // First batch: older, so the idle-time chart has more than one bar.
  for (let i = 0; i < 30; i++) await connect(port, (s) => s.setKeepAlive(i % 2 === 0));
  for (const name of HOSTILE) await hostileChild(name, port);
  await sleep(12_000);
  // Second batch: fresh; some with their own keepalive time (1, 2 or 3 min), under the middlebox's timeout.
  for (let i = 0; i < 40; i++) {
    await connect(port, (s) => (i % 4 === 0 ? s.setKeepAlive(true, (1 + ((i / 4) % 3)) * 60_000) : s.setKeepAlive(i % 3 === 0)));
  }
  // Some traffic on a few, so not every connection has the same idle time.
  for (const s of sockets.slice(-10)) s.write('ping');
  await sleep(1500);

  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  for (const child of children) child.kill('SIGKILL');
  for (const s of sockets) s.destroy();
  listener?.close();
  if (work) rmSync(work, { recursive: true, force: true });
  if (sysctlsBefore) {
    setKeepaliveSysctls(sysctlsBefore);
    for (const dir of PERSISTENT) for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
    for (const { path, content } of persistedBefore) writeFileSync(path, content);
  }
});

describe('idlewatch report on a real snapshot', () => {
  it('writes CSV that csv-parse reads, one row per connection, the hostile names neutralised', () => {
    const rows = parse(ok(idlewatch('report', '--format', 'csv', '--middlebox-idle', MIDDLEBOX_SEC)), { columns: true, record_delimiter: '\r\n' }) as Record<string, string>[];
    expect(rows.length).toBeGreaterThanOrEqual(2 * 73);
    const processes = rows.map((r) => r.process);
    expect(processes).toContain("'=HYPERLINK(\"x\")");
    expect(processes).toContain('<script>alert');
    expect(processes).toContain('\\u202eexe.live');
    for (const p of processes) expect(p).not.toMatch(/^[=+\-@\t\r\n]/);
    expect(rows.some((r) => r['drop reason'] === 'middlebox' && r['at risk'] === 'yes')).toBe(true);
  });

  it('writes JSON whose snapshot SnapshotSchema accepts, with the history of applies and the undo', () => {
    const doc = JSON.parse(ok(idlewatch('report', '--format', 'json', '--middlebox-idle', MIDDLEBOX_SEC, '--state', 'ESTABLISHED')));
    expect(doc.schema).toBe('idlewatch.report/1');
    const check = SnapshotSchema.safeParse(doc.snapshot);
    expect(check.success, JSON.stringify(check.error?.issues?.slice(0, 3))).toBe(true);
    expect(doc.snapshot.connections.every((c: { state: string }) => c.state === 'ESTABLISHED')).toBe(true);
    expect(doc.scope.description).toMatch(/^\d+ of \d+ connections: state ESTABLISHED$/);
    // Newest first; other e2e files apply in the same namespace before this one, so only the top three are this test's.
    expect(doc.history.slice(0, 3).map((e: { action: string; profile: string | null }) => `${e.action} ${e.profile ?? ''}`.trim())).toEqual(['apply server', 'undo', 'apply cloud-nat']);
    expect(doc.rules).toEqual([expect.objectContaining({ kind: 'middlebox', idleTimeoutSec: 240 })]);
  });

  it('renders the HTML report in Chromium: nothing fetched, no script, the hostile names shown as text', async () => {
    const out = join(work, 'report.html');
    ok(idlewatch('report', '--format', 'html', '--out', out, '--middlebox-idle', MIDDLEBOX_SEC));
    expect(statSync(out).mode & 0o777).toBe(0o644 & ~process.umask());
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(pathToFileURL(out).href);
    expect(requests).toEqual([pathToFileURL(out).href]);
    expect(errors).toEqual([]);
    expect(await page.evaluate(() => document.scripts.length)).toBe(0);
    const text = await page.locator('body').innerText();
    expect(text).toContain('<script>alert');
    expect(text).toContain('\\u202eexe.live');
    expect(text).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
    expect(await page.locator('figure > svg').count()).toBe(2);
    expect(await page.locator('.card').count()).toBe(6);
    // The first screen (header, cards, charts) for a ticket, and the whole document. Pictures to
    // look at, not assertions: a full-page capture of a long report once took over 30 s on a
    // loaded 2-core machine, so it gets longer than playwright's default.
    await page.screenshot({ path: screenshotPath('report-html') });
    await page.screenshot({ path: screenshotPath('report-html-full'), fullPage: true, timeout: 90_000 });
    await page.close();
  });

  it('prints the PDF through the local Chromium: A4 landscape, the table across pages with its header on each', () => {
    const out = join(work, 'report.pdf');
    ok(idlewatch('report', '--format', 'pdf', '--out', out, '--middlebox-idle', MIDDLEBOX_SEC));
    expect(readFileSync(out).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const info = execFileSync('pdfinfo', [out], { encoding: 'utf8' });
    expect(info).toMatch(/Page size:\s+84[12]\.\d+ x 59[45]\.\d+ pts \(A4\)/);
    const pages = Number(/Pages:\s+(\d+)/.exec(info)![1]);
    expect(pages).toBeGreaterThanOrEqual(3);
    // Every page that holds connection rows opens with the table's header.
    const perPage = Array.from({ length: pages }, (_, i) =>
      execFileSync('pdftotext', ['-f', String(i + 1), '-l', String(i + 1), '-layout', out, '-'], { encoding: 'utf8' }),
    );
    const withRows = perPage.filter((t) => /ESTABLISHED\s+127\.0\.0\.1:\d+/.test(t));
    expect(withRows.length).toBeGreaterThanOrEqual(2);
    for (const t of withRows) expect(t).toMatch(/State\s+Local\s+Remote\s+PID\/process/);

    const prefix = join(work, 'page');
    execFileSync('pdftoppm', ['-png', '-r', '80', out, prefix]);
    const pngs = readdirSync(work).filter((f) => f.startsWith('page') && f.endsWith('.png')).sort();
    expect(pngs).toHaveLength(pages);
    pngs.forEach((png, i) => copyFileSync(join(work, png), screenshotPath(`report-pdf-page-${i + 1}`)));
  });

  it('refuses PDF to standard output, naming the option to give', () => {
    const run = idlewatch('report', '--format', 'pdf');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--format pdf writes a binary file: give --out FILE');
  });
});

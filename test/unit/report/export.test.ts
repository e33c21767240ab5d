import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportReport, renderReport, reportFileName } from '../../../main/report/index';
import { CHROMIUM_PATHS, chromiumPrinter, NO_CHROMIUM } from '../../../main/report/pdf';
import { ExportedFileSchema } from '../../../shared/api/schemas';
import { ApiFailure } from '../../../shared/api/result';
import { connection, NOW } from '../../fixtures/connection';
import { reportInput } from './report-input';

const work = mkdtempSync(join(tmpdir(), 'idlewatch-report-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A stand-in browser: writes what it was given next to itself, and a PDF where --print-to-pdf says. */
function fakeBrowser(name: string, body: string): string {
  const path = join(work, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return path;
}

const PRINTS = fakeBrowser(
  'prints',
  `log="${work}/prints.log"
: > "$log"
for arg in "$@"; do
  echo "arg $arg" >> "$log"
  case "$arg" in --print-to-pdf=*) out="\${arg#--print-to-pdf=}" ;; esac
done
env | sort | sed 's/^/env /' >> "$log"
page="$(echo "$@" | tr ' ' '\\n' | tail -n 1 | sed 's|^file://||')"
cp "$page" "${work}/printed.html"
printf '%%PDF-1.4 fake' > "$out"`,
);

describe('report files', () => {
  it('are named idlewatch-<host>-<UTC time of the snapshot>.<format>, the host reduced to [A-Za-z0-9._-]', () => {
    expect(reportFileName(reportInput([]), 'csv')).toBe('idlewatch-db1-20251124T120000Z.csv');
    const input = reportInput([]);
    input.snapshot.host = { ...input.snapshot.host, hostname: '../évil host/\u202e;rm -rf' };
    const name = reportFileName(input, 'pdf');
    expect(name).toBe('idlewatch-vil-host-rm--rf-20251124T120000Z.pdf');
    input.snapshot.host = { ...input.snapshot.host, hostname: '///' };
    expect(reportFileName(input, 'html')).toBe('idlewatch-host-20251124T120000Z.html');
    expect(ExportedFileSchema.shape.fileName.safeParse(name).success).toBe(true);
  });

  it('carry text formats as UTF-8 with their MIME type', async () => {
    const input = reportInput([connection()]);
    const file = await exportReport(input, 'csv', null);
    expect(ExportedFileSchema.parse(file)).toEqual({
      fileName: 'idlewatch-db1-20251124T120000Z.csv',
      mimeType: 'text/csv; charset=utf-8',
      encoding: 'utf8',
      content: renderReport(input, 'csv'),
    });
    expect((await exportReport(input, 'json', null)).mimeType).toBe('application/json');
    expect((await exportReport(input, 'html', null)).mimeType).toBe('text/html; charset=utf-8');
  });

  it('print PDF from the HTML report with the printer given, base64-encoded', async () => {
    const input = reportInput([connection()]);
    let printed = '';
    const file = await exportReport(input, 'pdf', async (html) => {
      printed = html;
      return Buffer.from('%PDF-1.7 \x00\xff binary', 'latin1');
    });
    expect(printed).toBe(renderReport(input, 'html'));
    expect(file).toMatchObject({ fileName: 'idlewatch-db1-20251124T120000Z.pdf', mimeType: 'application/pdf', encoding: 'base64' });
    expect(Buffer.from(file.content, 'base64').toString('latin1')).toBe('%PDF-1.7 \x00\xff binary');
  });

  it('pass on a printer’s failure as it is', async () => {
    const failing = async () => {
      throw new ApiFailure('unsupported', 'no printer here');
    };
    await expect(exportReport(reportInput([]), 'pdf', failing)).rejects.toMatchObject({ code: 'unsupported', message: 'no printer here' });
  });
});

describe('PDF through a local Chromium', () => {
  it('looks only at fixed, absolute install paths, and says what to install when none is there', () => {
    for (const path of CHROMIUM_PATHS) expect(path).toMatch(/^(\/|C:\\)/);
    expect(CHROMIUM_PATHS).toContain('/usr/bin/chromium');
    expect(NO_CHROMIUM).toMatch(/^PDF needs Chromium or Google Chrome: install it \(Debian and Ubuntu: apt-get install chromium/);
  });

  it('runs the browser headless with its own profile in a private directory, with a fixed environment, and removes it afterwards', async () => {
    process.env.IDLEWATCH_TEST_SECRET = 'must-not-reach-the-browser';
    try {
      const pdf = await chromiumPrinter(PRINTS)('<!DOCTYPE html><p>hello</p>');
      expect(pdf.toString()).toBe('%PDF-1.4 fake');
    } finally {
      delete process.env.IDLEWATCH_TEST_SECRET;
    }
    const log = readFileSync(join(work, 'prints.log'), 'utf8').trim().split('\n');
    const args = log.filter((l) => l.startsWith('arg ')).map((l) => l.slice(4));
    const profile = args.find((a) => a.startsWith('--user-data-dir='))!.slice('--user-data-dir='.length);
    const dir = profile.replace(/\/profile$/, '');
    expect(args).toEqual([
      '--headless',
      '--no-pdf-header-footer',
      `--print-to-pdf=${dir}/report.pdf`,
      `--user-data-dir=${dir}/profile`,
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-extensions',
      '--disable-sync',
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      `file://${dir}/report.html`,
    ]);
    expect(dir).toMatch(/\/idlewatch-pdf-[^/]+$/);
    expect(existsSync(dir)).toBe(false);
    expect(readFileSync(join(work, 'printed.html'), 'utf8')).toBe('<!DOCTYPE html><p>hello</p>');
    const env = log.filter((l) => l.startsWith('env ')).join('\n');
    expect(env).not.toContain('IDLEWATCH_TEST_SECRET');
    expect(env).toContain(`env HOME=${dir}`);
  });

  it('fails with the browser’s own words when it fails, and when it writes no PDF', async () => {
    const failing = fakeBrowser('fails', 'echo "[0101/000000:ERROR] something broke" >&2; exit 3');
    await expect(chromiumPrinter(failing)('<p>x</p>')).rejects.toThrow(/fails failed to print the report \(exit code 3\): .*something broke/);
    const silent = fakeBrowser('silent', 'exit 0');
    await expect(chromiumPrinter(silent)('<p>x</p>')).rejects.toThrow(/silent exited without writing the PDF/);
  });

  it('ends the browser and every process it started when it takes too long', async () => {
    const hangs = fakeBrowser('hangs', `sleep 30 & echo $! > "${work}/child.pid"; wait`);
    await expect(chromiumPrinter(hangs, { timeoutMs: 300 })('<p>x</p>')).rejects.toThrow(/did not finish printing within 0.3 s/);
    const child = Number(readFileSync(join(work, 'child.pid'), 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Gone, or a zombie waiting for whoever adopted it to reap it: either way no longer running.
    const state = existsSync(`/proc/${child}/stat`) ? readFileSync(`/proc/${child}/stat`, 'utf8').split(') ')[1]![0] : 'gone';
    expect(['gone', 'Z', 'X']).toContain(state);
  });

  it.runIf(process.getuid?.() === 0)('as root, refuses a browser another user could have replaced', async () => {
    const replaceable = fakeBrowser('replaceable', 'exit 0');
    const { chmodSync } = await import('node:fs');
    chmodSync(replaceable, 0o777);
    await expect(chromiumPrinter(replaceable)('<p>x</p>')).rejects.toThrow(/Refusing to run .*replaceable as root: it .* is writable by every user/);
  });
});

describe('report times', () => {
  it('count the timeline from the snapshot, not from when the report was made', () => {
    const input = reportInput([connection({ dropAt: NOW + 30 * 60_000 })], { generatedAt: NOW + 2 * 3_600_000 });
    const doc = JSON.parse(renderReport(input, 'json'));
    expect(doc.summary.nextHour).toMatchObject({ from: NOW, drops: 1 });
  });
});

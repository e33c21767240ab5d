/**
 * PDF without Electron (the CLI, browser mode): the HTML report printed by a local Chromium or
 * Google Chrome in headless mode. The desktop app prints the same HTML with Electron's
 * printToPDF instead; both honour the report's `@page` size (A4 landscape).
 *
 * The browser is looked for at fixed install paths only, never through PATH or an environment
 * variable, and as root it must pass the same check as Idlewatch's own helpers: the CLI may run
 * as root, and a browser another user could replace would then run as root (DESIGN.md,
 * Security model).
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { assertSafeToRunAsRoot } from '../platform/run-as-root';

/** Turns the HTML report into PDF bytes. */
export type PdfPrinter = (html: string) => Promise<Buffer>;

/** Where Debian, Ubuntu, Fedora, Google's packages, snap, macOS and Windows install the browser. */
export const CHROMIUM_PATHS: readonly string[] = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/opt/google/chrome/chrome',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
  'C:\\Program Files (x86)\\Google\\Chrome\\Application\\chrome.exe',
];

export const NO_CHROMIUM =
  'PDF needs Chromium or Google Chrome: install it (Debian and Ubuntu: apt-get install chromium; Fedora: dnf install chromium; ' +
  `macOS and Windows: Google Chrome), then try again. Looked for it at ${CHROMIUM_PATHS.join(', ')}. ` +
  'Meanwhile the HTML report prints to PDF from any browser.';

/** A report of 100,000 rows is thousands of pages; printing one that large should fail, not hang. */
const PRINT_TIMEOUT_MS = 180_000;
const STDERR_KEEP_CHARS = 2000;

const isExecutable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

export function findChromiumPrinter(): { ok: true; print: PdfPrinter } | { ok: false; reason: string } {
  const binary = CHROMIUM_PATHS.find(isExecutable);
  return binary === undefined ? { ok: false, reason: NO_CHROMIUM } : { ok: true, print: chromiumPrinter(binary) };
}

/**
 * A printer using the browser at `binary`. Each print gets a fresh private directory (mode 0700,
 * from mkdtemp) for the page, the PDF and the browser's profile, removed afterwards.
 */
export function chromiumPrinter(binary: string, { timeoutMs = PRINT_TIMEOUT_MS } = {}): PdfPrinter {
  return async (html) => {
    const root = process.getuid?.() === 0;
    if (root) assertSafeToRunAsRoot(binary);
    // As root not $TMPDIR, which the caller's environment chooses: /tmp, sticky, root's own entry.
    const dir = await mkdtemp(join(root ? '/tmp' : tmpdir(), 'idlewatch-pdf-'));
    try {
      const page = join(dir, 'report.html');
      const pdf = join(dir, 'report.pdf');
      await writeFile(page, html, { mode: 0o600 });
      const args = [
        '--headless',
        '--no-pdf-header-footer',
        `--print-to-pdf=${pdf}`,
        `--user-data-dir=${join(dir, 'profile')}`,
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-extensions',
        '--disable-sync',
        // Chromium's sandbox refuses to start as root; the page has no script and loads nothing.
        ...(root ? ['--no-sandbox'] : []),
        pathToFileURL(page).href,
      ];
      await run(binary, args, dir, timeoutMs);
      try {
        return await readFile(pdf);
      } catch {
        throw new Error(`${binary} exited without writing the PDF`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

/**
 * Runs the browser with argv (no shell) in its own process group, so that a timeout ends the
 * browser and every helper process it started, not just the launcher script.
 */
function run(binary: string, args: string[], home: string, timeoutMs: number): Promise<void> {
  // A fixed environment on POSIX: nothing of the caller's (LD_PRELOAD, CHROMIUM_FLAGS…) reaches
  // a browser that may run as root. Windows needs its own variables to start a program at all.
  const env = process.getuid ? { HOME: home, PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' } : process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true, env });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr = (stderr + text).slice(-STDERR_KEEP_CHARS);
    });
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      reject(new Error(`${binary} did not finish printing within ${timeoutMs / 1000} s; a report this large prints better as HTML from a browser`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${binary}: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${binary} failed to print the report (${signal ?? `exit code ${code}`}): ${stderr.trim().split('\n').slice(-3).join(' ')}`));
    });
  });
}

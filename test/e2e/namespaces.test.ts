import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { assertThrowawayPersistence, openPair, setKeepaliveSysctls, type KeepaliveSysctls, type Pair } from '../integration/lab';
import { launchChromium, screenshotPath, serve, type Served } from './browser-lab';

/**
 * Issue 9 in Chromium: the namespace selector, a namespace's own table, the all-namespaces view
 * and the drift mark, against `idlewatch serve --allow-apply` run as root in this test's
 * namespace (the "host" here: 600/60/5). Two more namespaces are made by `unshare -n` child
 * processes holding a few keepalive connections each: one keeps the kernel defaults a fresh
 * namespace starts with (7200/75/9), one writes 300/30/5 into its own /proc/sys.
 *
 * Idlewatch sees every namespace of the machine (it runs as root), so the lists hold more than
 * these three; the test looks only at its own.
 */
assertThrowawayPersistence();

const HOST_SETTINGS: KeepaliveSysctls = { timeSec: 600, intervalSec: 60, probes: 5 };
const SHORT_SETTINGS: KeepaliveSysctls = { timeSec: 300, intervalSec: 30, probes: 5 };
const CONNECTIONS = 2;

/**
 * The child: names itself (its label is "<title> (pid N)"), sets its namespace's sysctls before
 * any socket exists (a keepalive timer is armed with the values of the moment), opens a listener
 * and keepalive connections to it on its own loopback, says which ports, and lives until its
 * stdin closes.
 */
const CHILD = `
const fs = require('node:fs');
const net = require('node:net');
const config = JSON.parse(process.env.IDLEWATCH_NS_CHILD);
process.title = config.title;
for (const [name, value] of Object.entries(config.sysctls ?? {})) fs.writeFileSync('/proc/sys/net/ipv4/tcp_keepalive_' + name, String(value));
const held = [];
const server = net.createServer((socket) => { socket.on('error', () => {}); held.push(socket); });
server.listen(0, '127.0.0.1', async () => {
  const port = server.address().port;
  const locals = [];
  for (let i = 0; i < config.connections; i++) {
    const client = net.connect(port, '127.0.0.1');
    client.on('error', () => {});
    await new Promise((resolve) => client.once('connect', resolve));
    client.setKeepAlive(true);
    held.push(client);
    locals.push(client.localPort);
  }
  process.stdout.write(JSON.stringify({ port, locals }) + '\\n');
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

interface Holder {
  title: string;
  process: ChildProcess;
  pid: number;
  /** The listener's port and the clients' local ports, on the namespace's own 127.0.0.1. */
  port: number;
  locals: number[];
  /** The label and id Idlewatch gives its namespace. */
  label: string;
  id: string;
}

/** A process in a new network namespace (`unshare -n`) holding keepalive connections. */
async function holder(title: string, sysctls: KeepaliveSysctls | null): Promise<Omit<Holder, 'label' | 'id'>> {
  const config = {
    title,
    connections: CONNECTIONS,
    sysctls: sysctls && { time: sysctls.timeSec, intvl: sysctls.intervalSec, probes: sysctls.probes },
  };
  // unshare and sh exec in turn: the pid is node's, the namespace's first process.
  const child = spawn('unshare', ['-n', '--', 'sh', '-c', 'ip link set lo up && exec "$0" -e "$IDLEWATCH_NS_SCRIPT"', process.execPath], {
    env: { ...process.env, IDLEWATCH_NS_CHILD: JSON.stringify(config), IDLEWATCH_NS_SCRIPT: CHILD },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${title}: no ports within 10 s`)), 10_000);
    createInterface({ input: child.stdout! }).once('line', (text) => {
      clearTimeout(timer);
      resolve(text);
    });
    child.once('exit', (code) => reject(new Error(`${title} exited (${code})`)));
  });
  const { port, locals } = JSON.parse(line) as { port: number; locals: number[] };
  return { title, process: child, pid: child.pid!, port, locals };
}

/** The namespace's sysctl as the process in it sees it. */
function sysctlIn(pid: number, name: string): string {
  return execFileSync('nsenter', ['-t', String(pid), '-n', 'cat', `/proc/sys/net/ipv4/${name}`], { encoding: 'utf8' }).trim();
}
const triple = (pid: number) => ['tcp_keepalive_time', 'tcp_keepalive_intvl', 'tcp_keepalive_probes'].map((n) => sysctlIn(pid, n)).join('/');

let served: Served;
let browser: Browser;
const hostPairs: Pair[] = [];
let defaults: Holder;
let short: Holder;

/** What `idlewatch namespaces --json` says of a namespace one of our processes is in. */
function describedBy(pid: number): { id: string; label: string } {
  const cli = new URL('../../main/cli/idlewatch.mjs', import.meta.url).pathname;
  const listed = JSON.parse(execFileSync(process.execPath, [cli, 'namespaces', '--json'], { encoding: 'utf8' })) as unknown;
  const rows = (Array.isArray(listed) ? listed : ((listed as { namespaces?: unknown[] }).namespaces ?? [])) as Record<string, unknown>[];
  for (const row of rows) {
    const ns = (row.namespace ?? row) as { id: string; label: string; pids: number[] };
    if (ns.pids?.includes(pid)) return { id: ns.id, label: ns.label };
  }
  throw new Error(`idlewatch namespaces --json does not list the namespace of pid ${pid}: ${JSON.stringify(listed).slice(0, 2000)}`);
}

beforeAll(async () => {
  assertThrowawayPersistence();
  setKeepaliveSysctls(HOST_SETTINGS);
  for (let i = 0; i < 2; i++) {
    const pair = await openPair();
    pair.client.setKeepAlive(true);
    hostPairs.push(pair);
  }
  const [a, b] = await Promise.all([holder('ns-defaults', null), holder('ns-short', SHORT_SETTINGS)]);
  defaults = { ...a, ...describedBy(a.pid) };
  short = { ...b, ...describedBy(b.pid) };
  served = await serve({ pollIntervalMs: 1000, args: ['--allow-apply'] });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  // A server that does not stop on SIGTERM within 15 s is killed: it must not outlive the test's namespace.
  if (served) {
    const stopped = await Promise.race([served.stop().then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 15_000))]);
    if (!stopped) {
      served.process.kill('SIGKILL');
      console.warn('idlewatch serve did not stop within 15 s of SIGTERM: killed');
    }
  }
  hostPairs.forEach((p) => p.close());
  for (const h of [defaults, short]) h?.process.stdin?.end();
});

const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
const startsWith = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
const ROWS = '[role="rowgroup"] [role="row"]';

/**
 * The app, reading the namespace the server runs in: which namespace the poller reads is the
 * server's (every window shows the same), so a test starts by choosing it.
 */
async function openApp(colorScheme: 'light' | 'dark'): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme });
  await page.goto(served.url);
  await page.getByRole('grid', { name: 'TCP connections' }).waitFor();
  await expect.poll(() => selectorButton(page).getAttribute('aria-disabled'), { timeout: 10_000 }).toBe('false');
  await choose(page, HOST);
  await expect.poll(() => kernelLine(page).innerText(), { timeout: 15_000 }).toMatch(/^keepalive 600s \/ 60s × 5/);
  return page;
}

const selectorButton = (page: Page) => page.getByRole('button', { name: /^Namespace / });
const kernelLine = (page: Page) => page.locator('.kernel-line');

async function openSelector(page: Page): Promise<Locator> {
  await selectorButton(page).click();
  const list = page.getByRole('listbox', { name: 'Namespace' });
  await list.waitFor();
  return list;
}

const HOST = Symbol('the namespace the server runs in');
/** How the namespace the server runs in is labelled: not init's, it is "this namespace (pid N)". */
const HOST_LABEL = /^(this namespace \(pid \d+\)|host)/;

/** Chooses by the start of its label; HOST chooses the first entry, the namespace the server runs in. */
async function choose(page: Page, label: string | typeof HOST): Promise<void> {
  const list = await openSelector(page);
  await (label === HOST ? list.getByRole('option').first() : list.getByRole('option', { name: startsWith(label) })).click();
  await expect.poll(() => list.count()).toBe(0);
}

/** The Local cells of every row the table renders (the namespaces here hold a few: all are rendered). */
const locals = (page: Page) => page.locator(ROWS).locator('[role="gridcell"]:nth-child(2)').allInnerTexts();

/** The row of a client connection, by its local port (on its namespace's 127.0.0.1). */
const clientRow = (page: Page, port: number, column = 1) =>
  page.locator(ROWS).filter({ has: page.locator(`[role="gridcell"]:nth-child(${column + 1})`, { hasText: exactly(`127.0.0.1:${port}`) }) });

const KERNEL_DEFAULTS_DRIFT = "kernel defaults 7200/75/9 — the host's 600/60/5 does not reach it";

describe('the namespace selector', () => {
  it.each(['light', 'dark'] as const)('lists each namespace with its kind, counts and drift mark; a namespace shows its own connections and settings (%s)', async (scheme) => {
    const page = await openApp(scheme);
    await expect.poll(() => kernelLine(page).innerText(), { timeout: 10_000 }).toContain('keepalive 600s / 60s × 5');

    // The list: this namespace first, then ours with their kind and counts; the kernel-defaults one marked.
    const list = await openSelector(page);
    const options = list.getByRole('option');
    await expect.poll(() => options.count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
    expect(await options.first().getAttribute('aria-selected')).toBe('true');
    expect(await options.first().locator('.label').innerText()).toMatch(HOST_LABEL);
    expect(await options.last().innerText()).toMatch(/^.*All namespaces/);
    const defaultsOption = list.getByRole('option', { name: startsWith(defaults.label) });
    const shortOption = list.getByRole('option', { name: startsWith(short.label) });
    // Counted afresh when the list opens: a listener, two clients and their server ends.
    await expect.poll(() => defaultsOption.innerText(), { timeout: 15_000 }).toMatch(/5 sockets/);
    const defaultsText = await defaultsOption.innerText();
    expect(defaultsText).toContain(defaults.label);
    expect(defaultsText).toMatch(/\bprocess\b/);
    expect(defaultsText).toContain('7200/75/9');
    expect(defaultsText).toContain(KERNEL_DEFAULTS_DRIFT);
    expect(await defaultsOption.locator('.drift-mark').count()).toBe(1);
    expect(await shortOption.innerText()).toContain('300/30/5');
    expect(await shortOption.innerText()).toContain('300/30/5 here, 600/60/5 on the host');
    // From the keyboard: the arrows move, Esc closes and gives the focus back.
    await page.keyboard.press('ArrowDown');
    expect(await list.getAttribute('aria-activedescendant')).toBe('ns-option-1');
    await page.screenshot({ path: screenshotPath(`namespaces-selector-${scheme}`) });
    await page.keyboard.press('Escape');
    await expect.poll(() => list.count()).toBe(0);
    expect(await selectorButton(page).evaluate((el) => el === document.activeElement)).toBe(true);

    // The kernel-defaults namespace: only its connections, projected with 7200/75/9; the drift said beside the selector.
    await choose(page, defaults.label);
    const own = [defaults.port, ...defaults.locals].map((port) => `127.0.0.1:${port}`);
    await expect.poll(async () => (await locals(page)).sort(), { timeout: 15_000 }).toEqual(
      [...own, ...defaults.locals.map(() => `127.0.0.1:${defaults.port}`)].sort(),
    );
    expect(await selectorButton(page).innerText()).toContain(defaults.label);
    expect(await selectorButton(page).getAttribute('title')).toContain(KERNEL_DEFAULTS_DRIFT);
    await expect.poll(() => kernelLine(page).innerText(), { timeout: 10_000 }).toContain('keepalive 7200s / 75s × 9');
    expect(await kernelLine(page).innerText()).toContain(KERNEL_DEFAULTS_DRIFT);
    for (const port of defaults.locals) {
      const cells = clientRow(page, port).getByRole('gridcell');
      // The first probe 2 h after the last packet, the drop 9 × 75 s later (each firing rounded up
      // by the timer wheel: up to 131 s for a 7200 s timer at HZ 250).
      await expect.poll(() => cells.nth(9).innerText(), { timeout: 10_000 }).toMatch(/^2h 1[1-4]m$/);
      expect(await cells.nth(8).innerText()).toMatch(/^(1h 59m|2h 0[0-2]m)$/);
      expect(await cells.nth(6).innerText()).toBe('on');
    }
    await page.screenshot({ path: screenshotPath(`namespaces-drift-${scheme}`) });

    // The 300/30/5 one: its own projections, the drop 7 min 30 s after the last packet (and the wheel's rounding).
    await choose(page, short.label);
    await expect.poll(async () => (await locals(page)).length, { timeout: 15_000 }).toBe(1 + 2 * CONNECTIONS);
    await expect.poll(() => kernelLine(page).innerText(), { timeout: 10_000 }).toContain('keepalive 300s / 30s × 5');
    for (const port of short.locals) {
      await expect.poll(() => clientRow(page, port).getByRole('gridcell').nth(9).innerText(), { timeout: 10_000 }).toMatch(/^[78]m \d\ds$/);
    }

    // Back to this namespace: the kernel line is the host's again, with no namespace named.
    await choose(page, HOST);
    await expect.poll(() => kernelLine(page).innerText(), { timeout: 15_000 }).toMatch(/^keepalive 600s \/ 60s × 5/);
    await page.close();
  });
});

describe('the all-namespaces view', () => {
  it.each(['light', 'dark'] as const)('adds a sortable, filterable Namespace column with each label and marks the namespaces that drift (%s)', async (scheme) => {
    const page = await openApp(scheme);
    await choose(page, 'All namespaces');
    const header = page.getByRole('columnheader', { name: 'Namespace' });
    await header.waitFor({ timeout: 15_000 });
    await expect.poll(() => kernelLine(page).innerText(), { timeout: 15_000 }).toMatch(/^All namespaces: ⚠\s*settings differ per namespace: \d+ of \d+ differs? from the host's/);

    // Each namespace's connections, labelled, found by the label in the text filter.
    const search = page.getByRole('searchbox');
    for (const h of [defaults, short]) {
      await search.fill(h.label);
      await expect.poll(async () => (await page.locator(ROWS).count()), { timeout: 10_000 }).toBe(1 + 2 * CONNECTIONS);
      const labels = await page.locator(ROWS).locator('[role="gridcell"]:nth-child(1)').allInnerTexts();
      expect(new Set(labels.map((l) => l.replace('⚠', '').trim()))).toEqual(new Set([h.label]));
    }
    // The drift mark in the kernel-defaults namespace's cells.
    await search.fill(defaults.label);
    const mark = page.locator(ROWS).first().locator('[role="gridcell"]:nth-child(1) .drift-mark');
    expect(await mark.getAttribute('aria-label')).toContain(KERNEL_DEFAULTS_DRIFT);

    // Ours together, sorted by namespace: this namespace's connections first.
    await search.fill('127.0.0.1');
    await header.getByRole('button').click();
    expect(await header.getAttribute('aria-sort')).toBe('ascending');
    const first = await page.locator(ROWS).first().locator('[role="gridcell"]:nth-child(1)').innerText();
    expect(first).toMatch(HOST_LABEL);
    await page.screenshot({ path: screenshotPath(`namespaces-all-${scheme}`) });
    await search.fill('');
    await choose(page, HOST);
    await expect.poll(() => header.count(), { timeout: 15_000 }).toBe(0);
    await page.close();
  });
});

describe('a profile for one namespace', () => {
  it('previews and applies at runtime to the namespace shown, gives the container lines instead of persisting, and the drift mark goes', async () => {
    const page = await openApp('light');
    await choose(page, defaults.label);
    await expect.poll(() => kernelLine(page).innerText(), { timeout: 15_000 }).toContain('keepalive 7200s / 75s × 9');
    await page.getByRole('button', { name: /^Profiles/ }).click();
    const panel = page.getByRole('region', { name: 'Keepalive profiles' });
    await panel.waitFor();
    expect(await panel.getByRole('group', { name: 'Applies to' }).innerText()).toContain(defaults.label);
    await panel.getByRole('radio', { name: 'Server', exact: true }).check();
    const diff = panel.getByRole('table', { name: 'Settings' });
    await expect.poll(() => diff.count(), { timeout: 15_000 }).toBe(1);
    expect(await diff.innerText()).toMatch(/net\.ipv4\.tcp_keepalive_time\s+7200\s+→\s+600/);
    // The cards speak of that namespace: the kernel default is what is in force there.
    await expect.poll(() => panel.locator('.card', { has: page.getByRole('radio', { name: 'Kernel default', exact: true }) }).innerText()).toContain('in force now');
    await page.screenshot({ path: screenshotPath('namespaces-profile-light') });
    // No persisting into a namespace: the container engine's own setting instead, to copy.
    expect(await panel.getByRole('checkbox', { name: 'Persist across reboots' }).count()).toBe(0);
    const persist = panel.getByRole('region', { name: /^Keep it/ });
    // A namespace known by its process: the sysctl line for whatever makes it; the engines' lines folded below.
    expect(await persist.innerText()).toContain('sysctl -w net.ipv4.tcp_keepalive_time=600 net.ipv4.tcp_keepalive_intvl=60 net.ipv4.tcp_keepalive_probes=5');
    expect(await persist.getByRole('button', { name: /^Copy/ }).count()).toBe(1);
    await persist.getByText(/^If it is a container/).click();
    expect(await persist.innerText()).toContain('docker run --sysctl net.ipv4.tcp_keepalive_time=600 --sysctl net.ipv4.tcp_keepalive_intvl=60');
    expect(await persist.getByRole('button', { name: /^Copy/ }).count()).toBe(4);
    await persist.scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('namespaces-profile-keep-light') });

    await panel.getByRole('button', { name: 'Apply Server…' }).click();
    const dialog = page.getByRole('dialog', { name: /^Apply Server .* to / });
    await dialog.waitFor();
    expect(await dialog.innerText()).toMatch(/Runtime only/);
    await dialog.getByRole('button', { name: 'Apply at runtime' }).click();
    await expect.poll(() => panel.getByTestId('apply-outcome').innerText(), { timeout: 30_000 }).toMatch(/applied/);
    // That namespace only: ours and the other one keep theirs.
    expect(triple(defaults.pid)).toBe('600/60/5');
    expect(triple(short.pid)).toBe('300/30/5');
    expect(triple(process.pid)).toBe('600/60/5');
    await page.keyboard.press('Escape');
    await expect.poll(() => kernelLine(page).innerText(), { timeout: 15_000 }).toContain('keepalive 600s / 60s × 5');
    expect(await kernelLine(page).innerText()).not.toContain('kernel defaults');
    const list = await openSelector(page);
    await expect.poll(() => list.getByRole('option', { name: startsWith(defaults.label) }).locator('.drift-mark').count(), { timeout: 15_000 }).toBe(0);
    await page.keyboard.press('Escape');
    await page.close();
  });

  it('asks which namespace while the table shows all of them, then previews in the one picked', async () => {
    const page = await openApp('dark');
    await choose(page, 'All namespaces');
    await page.getByRole('columnheader', { name: 'Namespace' }).waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: /^Profiles/ }).click();
    const panel = page.getByRole('region', { name: 'Keepalive profiles' });
    await panel.waitFor();
    await panel.getByRole('radio', { name: 'Server', exact: true }).check();
    const target = panel.getByRole('group', { name: 'Applies to' });
    expect(await target.innerText()).toMatch(/choose the one this profile is for/);
    expect(await panel.getByRole('button', { name: 'Apply Server…' }).count()).toBe(0);
    await page.screenshot({ path: screenshotPath('namespaces-profile-choose-dark') });
    const picker = target.getByRole('combobox', { name: /^Network namespace to preview and apply to/ });
    const value = await picker.locator('option', { hasText: startsWith(short.label) }).getAttribute('value');
    await picker.selectOption(value!);
    const diff = panel.getByRole('table', { name: 'Settings' });
    await expect.poll(() => diff.count(), { timeout: 15_000 }).toBe(1);
    expect(await diff.innerText()).toMatch(/net\.ipv4\.tcp_keepalive_time\s+300\s+→\s+600/);
    await page.keyboard.press('Escape');
    await choose(page, HOST);
    await page.close();
  });
});

describe('without root', () => {
  /** `idlewatch serve` as nobody: it may read its own namespace only. */
  let unprivileged: Served | null = null;
  const NOBODY = 65534;

  beforeAll(async () => {
    unprivileged = await serve({ pollIntervalMs: 1000, asUid: NOBODY });
  });

  afterAll(async () => {
    await unprivileged?.stop();
  });

  it('shows only this namespace, the selector disabled with the reason beside it', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    await page.goto(unprivileged!.url);
    await page.getByRole('grid', { name: 'TCP connections' }).waitFor();
    const button = selectorButton(page);
    await expect.poll(() => page.locator('#ns-reason').count(), { timeout: 10_000 }).toBe(1);
    expect(await button.getAttribute('aria-disabled')).toBe('true');
    const reason = await page.locator('#ns-reason').innerText();
    expect(reason).toMatch(/needs root/);
    expect(await button.getAttribute('title')).toBe(reason);
    expect(await button.getAttribute('aria-describedby')).toBe('ns-reason');
    // Focusable (so the reason is read out), but it opens nothing, by click or by key.
    await button.click({ force: true });
    await button.press('ArrowDown');
    expect(await page.getByRole('listbox').count()).toBe(0);
    await page.screenshot({ path: screenshotPath('namespaces-no-root-light') });
    await page.close();
  });
});

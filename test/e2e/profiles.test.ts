import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { TOKEN_STORAGE_KEY, WS_PATH, WS_PROTOCOL, WS_TOKEN_PROTOCOL_PREFIX } from '../../shared/api/wire';
import { assertThrowawayPersistence, openPair, readSysctl, setKeepaliveSysctls, type Pair } from '../integration/lab';
import { launchChromium, screenshotPath, serve, type Served } from './browser-lab';

/**
 * The Profiles panel in Chromium against `idlewatch serve --allow-apply`, run as root in this
 * test's namespaces, where /etc/sysctl.d and /var/lib/idlewatch are tmpfs: choose a preset, see
 * the diff and the what-if of the real connections, apply it through the real helper, see the
 * banner, the countdowns and the history follow, undo. Then a server without --allow-apply:
 * Apply is disabled with the reason, and the API itself refuses the call.
 */
assertThrowawayPersistence();

const DROP_IN = '/etc/sysctl.d/99-zz-idlewatch-keepalive.conf';
const KERNEL_DEFAULT = { timeSec: 7200, intervalSec: 75, probes: 9 };

let served: Served;
let browser: Browser;
/** The connection whose keepalive timer was armed under 7200 s, and one without keepalive. */
let keepalive: Pair;
let plain: Pair;
const later: Pair[] = [];

const sysctls = () =>
  ['time', 'intvl', 'probes'].map((name) => Number(readSysctl(`net.ipv4.tcp_keepalive_${name}`))).join('/');

beforeAll(async () => {
  assertThrowawayPersistence();
  rmSync(DROP_IN, { force: true });
  setKeepaliveSysctls(KERNEL_DEFAULT);
  keepalive = await openPair();
  keepalive.client.setKeepAlive(true);
  plain = await openPair();
  served = await serve({ pollIntervalMs: 1000, args: ['--allow-apply'] });
  browser = await launchChromium();
});

// Each test starts from the kernel default with no drop-in, even after a failed one.
beforeEach(() => {
  setKeepaliveSysctls(KERNEL_DEFAULT);
  rmSync(DROP_IN, { force: true });
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  [keepalive, plain, ...later].forEach((p) => p?.close());
  // Whatever a failed run left: the next test file in this namespace starts from the kernel default.
  setKeepaliveSysctls(KERNEL_DEFAULT);
  rmSync(DROP_IN, { force: true });
});

const endpoint = (address: string, port: number) => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);
const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

async function openApp(url: string, colorScheme: 'light' | 'dark'): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme });
  await page.goto(url);
  await page.getByRole('grid', { name: 'TCP connections' }).waitFor();
  return page;
}

/** The main table's row whose Local cell is this endpoint. */
function tableRow(page: Page, local: string): Locator {
  return page.locator('[role="rowgroup"] [role="row"]').filter({ has: page.locator('[role="gridcell"]:nth-child(2)', { hasText: exactly(local) }) });
}

/**
 * The what-if table's row whose connection starts at this local endpoint. The table renders only
 * the rows in view (the namespace may hold thousands of sockets from earlier tests): the
 * table's filter brings this one into view first.
 */
async function whatIfRow(page: Page, local: string): Promise<Locator> {
  await page.getByRole('searchbox', { name: /^Filter the what-if/ }).fill(local);
  const from = new RegExp(`^${local.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `);
  return page
    .getByRole('table', { name: /^What-if/ })
    .getByRole('row')
    .filter({ has: page.locator('[role="cell"]:nth-child(1) .endpoints', { hasText: from }) });
}


const banner = (page: Page) => page.locator('.kernel-line');

/** The moment a countdown cell counts down to, from its tooltip ("At 14:03:21…"), as seconds of the day. */
async function momentOf(cell: Locator): Promise<number> {
  const title = (await cell.getAttribute('title')) ?? '';
  const match = /At (\d\d):(\d\d):(\d\d)/.exec(title);
  if (!match) throw new Error(`no moment in the tooltip "${title}"`);
  return Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]);
}

/** b − a in seconds, across midnight (moments here are at most a few hours apart). */
const secondsBetween = (a: number, b: number) => ((((b - a) % 86_400) + 86_400 + 43_200) % 86_400) - 43_200;

async function openProfiles(page: Page): Promise<Locator> {
  await page.getByRole('button', { name: /^Profiles/ }).click();
  const panel = page.getByRole('region', { name: 'Keepalive profiles' });
  await panel.waitFor();
  return panel;
}

async function chooseServer(panel: Locator): Promise<void> {
  await panel.getByRole('radio', { name: 'Server', exact: true }).check();
  await expect.poll(() => panel.getByRole('table', { name: 'Settings' }).count(), { timeout: 15_000 }).toBe(1);
}

describe('the Profiles panel with --allow-apply', () => {
  it.each(['light', 'dark'] as const)('previews server, applies it, follows the banner, countdowns and history, and undoes it (%s)', async (scheme) => {
    const page = await openApp(served.url, scheme);
    const keepaliveLocal = endpoint('127.0.0.1', keepalive.client.localPort!);
    const plainLocal = endpoint('127.0.0.1', plain.client.localPort!);
    await expect.poll(() => banner(page).innerText(), { timeout: 10_000 }).toContain('keepalive 7200s / 75s × 9');

    // The armed timer's drop under the kernel default, about 2 h 11 min ahead.
    const dropCell = tableRow(page, keepaliveLocal).getByRole('gridcell').nth(9);
    await expect.poll(() => dropCell.innerText(), { timeout: 10_000 }).toMatch(/^2h \d\dm$/);
    const dropBefore = await momentOf(dropCell);

    const panel = await openProfiles(page);
    await expect.poll(() => panel.getByTestId('in-force-now').innerText(), { timeout: 10_000 }).toContain('7200 s / 75 s × 9');
    const kernelCard = panel.locator('.card', { has: page.getByRole('radio', { name: 'Kernel default', exact: true }) });
    await expect.poll(() => kernelCard.innerText()).toContain('in force now');
    expect(await panel.locator('.card', { has: page.getByRole('radio', { name: 'Cloud NAT', exact: true }) }).innerText()).toMatch(
      /180 s idle · 30 s apart · 5 probes[\s\S]*AWS NLB/,
    );
    await page.screenshot({ path: screenshotPath(`profiles-panel-${scheme}`) });

    // The diff and the what-if.
    await chooseServer(panel);
    const diff = await panel.getByRole('table', { name: 'Settings' }).innerText();
    expect(diff).toMatch(/net\.ipv4\.tcp_keepalive_time\s+7200\s+→\s+600/);
    expect(diff).toMatch(/net\.ipv4\.tcp_keepalive_intvl\s+75\s+→\s+60/);
    expect(diff).toMatch(/net\.ipv4\.tcp_keepalive_probes\s+9\s+→\s+5/);
    expect(await panel.innerText()).toMatch(/Silent-peer detection: 2 h 11 min → 15 min \(1 h 56 min sooner\)/);

    const armed = await whatIfRow(page, keepaliveLocal);
    await expect.poll(() => armed.count(), { timeout: 10_000 }).toBe(1);
    const cells = armed.getByRole('cell');
    // The armed timer keeps its expiry (about 2 h ahead, wherever the timer wheel put it): the first
    // probe stays where it is, and the drop comes 9 × 75 s after it today, 5 × 60 s after it under Server.
    expect(await cells.nth(0).innerText()).toMatch(new RegExp(`\\n${process.pid} \\S`));
    expect(await cells.nth(1).innerText()).toMatch(/^[12]h \d\dm$/);
    const [probeNow, probeAfter, dropNow, dropAfter] = await Promise.all([
      momentOf(cells.nth(1)),
      momentOf(cells.nth(2)),
      momentOf(cells.nth(3)),
      momentOf(cells.nth(4)),
    ]);
    expect(probeAfter).toBe(probeNow);
    // (Each probe's timer is rounded up by the timer wheel, a second or two at these intervals.)
    expect(secondsBetween(probeNow, dropNow)).toBeGreaterThanOrEqual(9 * 75);
    expect(secondsBetween(probeNow, dropNow)).toBeLessThan(9 * 75 + 25);
    expect(secondsBetween(probeAfter, dropAfter)).toBeGreaterThanOrEqual(5 * 60);
    expect(secondsBetween(probeAfter, dropAfter)).toBeLessThan(5 * 60 + 15);
    expect(await cells.nth(6).innerText()).toMatch(/^keeps its armed timer, new values from its next firing at \d\d:\d\d:\d\d$/);
    expect(await (await whatIfRow(page, plainLocal)).getByRole('cell').nth(6).innerText()).toBe('no keepalive probes: not affected');
    await page.getByRole('searchbox', { name: /^Filter the what-if/ }).fill('');
    // Sortable like the main table.
    const header = page.getByRole('table', { name: /^What-if/ }).getByRole('columnheader', { name: 'Drop after' });
    await header.getByRole('button').click();
    expect(await header.getAttribute('aria-sort')).toBe('ascending');
    await page.screenshot({ path: screenshotPath(`profiles-preview-${scheme}`) });

    // Apply: the confirmation names exactly what changes and where it persists.
    const persist = panel.getByRole('checkbox', { name: 'Persist across reboots' });
    expect(await persist.isChecked()).toBe(true);
    await panel.getByRole('button', { name: 'Apply Server…' }).click();
    const dialog = page.getByRole('dialog', { name: /^Apply Server/ });
    await dialog.waitFor();
    const named = await dialog.innerText();
    expect(named).toMatch(/net\.ipv4\.tcp_keepalive_time 7200 → 600/);
    expect(named).toMatch(/net\.ipv4\.tcp_keepalive_intvl 75 → 60/);
    expect(named).toMatch(/net\.ipv4\.tcp_keepalive_probes 9 → 5/);
    expect(named).toContain(`Persisted to ${DROP_IN}`);
    await page.screenshot({ path: screenshotPath(`profiles-confirm-${scheme}`) });
    await dialog.getByRole('button', { name: 'Apply and persist' }).click();

    // The result, the system, the banner.
    const outcome = panel.getByTestId('apply-outcome');
    await expect.poll(() => outcome.innerText(), { timeout: 30_000 }).toMatch(/Server applied: 600 s \/ 60 s × 5 in force and persisted/);
    expect(sysctls()).toBe('600/60/5');
    expect(readFileSync(DROP_IN, 'utf8')).toMatch(/net\.ipv4\.tcp_keepalive_time\s*=\s*600/);
    await expect.poll(() => banner(page).innerText(), { timeout: 10_000 }).toContain('keepalive 600s / 60s × 5');
    await expect.poll(() => panel.getByTestId('in-force-now').innerText(), { timeout: 10_000 }).toContain('600 s / 60 s × 5');
    const history = panel.getByRole('region', { name: 'History' });
    const newest = history.getByRole('listitem').first();
    await expect.poll(() => newest.innerText(), { timeout: 10_000 }).toMatch(/root[\s\S]*apply Server[\s\S]*applied[\s\S]*7200\/75\/9 → 600\/60\/5[\s\S]*persisted/);
    // The result offers the undo right there, as the history does.
    expect(await outcome.getByRole('button', { name: 'Undo this apply…' }).count()).toBe(1);
    await history.scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath(`profiles-result-history-${scheme}`) });

    // The countdowns: the armed connection's drop came 6 min closer; a new one probes after 10 min.
    const fresh = await openPair();
    fresh.client.setKeepAlive(true);
    later.push(fresh);
    await page.keyboard.press('Escape');
    await page.getByRole('grid', { name: 'TCP connections' }).waitFor();
    // About 9 × 75 s − 5 × 60 s = 6 min 15 s sooner: at the very moment the preview said.
    await expect.poll(async () => secondsBetween(await momentOf(dropCell), dropBefore), { timeout: 10_000 }).toBeGreaterThan(5 * 60);
    expect(Math.abs(secondsBetween(dropAfter, await momentOf(dropCell)))).toBeLessThanOrEqual(1);
    const freshProbe = tableRow(page, endpoint('127.0.0.1', fresh.client.localPort!)).getByRole('gridcell').nth(8);
    await expect.poll(() => freshProbe.innerText(), { timeout: 10_000 }).toMatch(/^(9|10|11)m \d\ds$/);

    // Undo, confirmed: the kernel default again, the drop-in gone, the history says so.
    const again = await openProfiles(page);
    await again.getByRole('region', { name: 'History' }).getByRole('button', { name: 'Undo this apply…' }).click();
    const undoDialog = page.getByRole('dialog', { name: /^Undo the apply of/ });
    await undoDialog.waitFor();
    expect(await undoDialog.innerText()).toMatch(/net\.ipv4\.tcp_keepalive_time 600 → 7200/);
    await page.screenshot({ path: screenshotPath(`profiles-undo-confirm-${scheme}`) });
    await undoDialog.getByRole('button', { name: 'Undo', exact: true }).click();
    await expect.poll(() => banner(page).innerText(), { timeout: 30_000 }).toContain('keepalive 7200s / 75s × 9');
    expect(sysctls()).toBe('7200/75/9');
    expect(existsSync(DROP_IN)).toBe(false);
    await expect.poll(() => again.getByRole('region', { name: 'History' }).getByRole('listitem').first().innerText(), { timeout: 10_000 }).toMatch(
      /undo[\s\S]*applied[\s\S]*600\/60\/5 → 7200\/75\/9/,
    );
    await page.close();
  });
});

describe('the settings after the next boot', () => {
  it('names by path a sysctl file that sorts after the drop-in and wins at boot, and flags the drift', async () => {
    const other = '/etc/sysctl.d/zzz-other.conf';
    writeFileSync(DROP_IN, 'net.ipv4.tcp_keepalive_time = 600\nnet.ipv4.tcp_keepalive_intvl = 60\nnet.ipv4.tcp_keepalive_probes = 5\n');
    writeFileSync(other, 'net.ipv4.tcp_keepalive_time = 300\n');
    try {
      const page = await openApp(served.url, 'light');
      const panel = await openProfiles(page);
      const boot = panel.getByTestId('after-boot');
      await expect.poll(() => boot.innerText(), { timeout: 10_000 }).toContain('300 s / 60 s × 5');
      expect(await boot.innerText()).toContain(`Idlewatch's drop-in: ${DROP_IN}`);
      const settings = panel.getByRole('region', { name: 'Keepalive settings' });
      expect(await settings.innerText()).toContain(`${other} sets net.ipv4.tcp_keepalive_time = 300 later and wins at boot.`);
      expect(await settings.innerText()).toMatch(/The settings in force differ from what the next boot sets/);
      await page.screenshot({ path: screenshotPath('profiles-boot-override-light') });
      await page.close();
    } finally {
      rmSync(other, { force: true });
    }
  });
});

describe('what a profile saves and what it puts at risk', () => {
  it('marks the connection a profile saves from a middlebox rule, the one an armed timer keeps at risk, and the one it newly puts at risk', async () => {
    // Two keepalive connections to 127.0.0.2, behind a NAT that forgets flows idle for 350 s:
    // one whose timer was armed under 180 s, one whose timer was armed under 7200 s.
    setKeepaliveSysctls({ timeSec: 180, intervalSec: 30, probes: 5 });
    const short = await openPair('127.0.0.2');
    short.client.setKeepAlive(true);
    setKeepaliveSysctls(KERNEL_DEFAULT);
    const long = await openPair('127.0.0.2');
    long.client.setKeepAlive(true);
    later.push(short, long);
    const rule = { id: 'rule-office-nat', name: 'Office NAT', kind: 'middlebox', idleTimeoutSec: 350, match: { remoteCidr: '127.0.0.2/32' }, enabled: true };
    const withRule = await serve({ pollIntervalMs: 1000, rules: [rule] });
    try {
      const page = await openApp(withRule.url, 'light');
      const panel = await openProfiles(page);
      // The card says what the profile does for the user's own middlebox.
      const cloudCard = panel.locator('.card', { has: page.getByRole('radio', { name: 'Cloud NAT', exact: true }) });
      await expect.poll(() => cloudCard.innerText(), { timeout: 10_000 }).toMatch(/your middlebox “Office NAT” \(5 min 50 s\)/);
      await panel.getByRole('radio', { name: 'Cloud NAT', exact: true }).check();
      const row = (pair: Pair) => whatIfRow(page, endpoint(pair.client.localAddress!, pair.client.localPort!));
      await expect.poll(async () => (await row(short)).count(), { timeout: 15_000 }).toBe(1);
      // Its 180 s timer fires before the NAT forgets the flow, and probes under Cloud NAT: saved.
      expect(await (await row(short)).getByRole('cell').nth(5).innerText()).toBe('saved');
      // The other's timer is armed 2 h ahead: the NAT forgets it first, whatever the sysctl says now.
      const longRow = await row(long);
      expect(await longRow.getByRole('cell').nth(5).innerText()).toBe('still at risk');
      expect(await longRow.getByRole('cell').nth(6).innerText()).toMatch(/^keeps its armed timer/);
      // Both connections behind the NAT, side by side for the screenshot.
      await page.getByRole('searchbox', { name: /^Filter the what-if/ }).fill('127.0.0.2:');
      expect(await panel.innerText()).toMatch(/Saves 1 connection from an idle-timeout rule/);
      await page.screenshot({ path: screenshotPath('profiles-effects-light') });

      // With 180 s in force, going back to the kernel default puts the first one at risk.
      setKeepaliveSysctls({ timeSec: 180, intervalSec: 30, probes: 5 });
      await expect.poll(() => banner(page).innerText(), { timeout: 10_000 }).toContain('keepalive 180s / 30s × 5');
      // Changed behind Idlewatch's back: the panel follows what the poll read.
      await expect.poll(() => panel.getByTestId('in-force-now').innerText(), { timeout: 10_000 }).toContain('180 s / 30 s × 5 · Cloud NAT');
      await panel.getByRole('radio', { name: 'Kernel default', exact: true }).check();
      await expect.poll(async () => (await row(short)).getByRole('cell').nth(5).innerText({ timeout: 1000 }).catch(() => ''), { timeout: 15_000 }).toBe('newly at risk');
      await expect.poll(() => panel.innerText()).toMatch(/Puts 1 connection newly at risk/);
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.screenshot({ path: screenshotPath('profiles-effects-dark') });
      await page.close();
    } finally {
      await withRule.stop();
    }
  });
});

describe('the Profiles panel from the keyboard', () => {
  it('chooses with the arrow keys, opens and cancels the confirmation with Esc, and gives focus back when it closes', async () => {
    const page = await openApp(served.url, 'light');
    const button = page.getByRole('button', { name: /^Profiles/ });
    await button.focus();
    await page.keyboard.press('Enter');
    const panel = page.getByRole('region', { name: 'Keepalive profiles' });
    await panel.waitFor();
    await panel.getByRole('radio', { name: 'Kernel default', exact: true }).focus();
    await page.keyboard.press('ArrowDown');
    expect(await panel.getByRole('radio', { name: 'Server', exact: true }).isChecked()).toBe(true);
    await expect.poll(() => panel.getByRole('table', { name: 'Settings' }).count(), { timeout: 15_000 }).toBe(1);

    await panel.getByRole('button', { name: 'Apply Server…' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: /^Apply Server/ });
    await dialog.waitFor();
    // The modal starts on Cancel: Enter right away changes nothing.
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Cancel');
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);
    // Esc closed the dialog only; the panel is still open, and nothing was applied.
    expect(await panel.isVisible()).toBe(true);
    expect(sysctls()).toBe('7200/75/9');
    await page.keyboard.press('Escape');
    await expect.poll(() => panel.count()).toBe(0);
    expect(await button.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.close();
  });
});

describe('custom profiles', () => {
  it('validates the editor live, saves, exports and imports custom profiles, and refuses a bad file without changing anything', async () => {
    const page = await openApp(served.url, 'light');
    const panel = await openProfiles(page);
    await panel.getByRole('button', { name: 'New custom profile…' }).click();
    const form = panel.getByRole('form', { name: 'New custom profile' });
    await form.getByRole('textbox', { name: 'Name' }).fill('Database');
    const time = form.getByRole('textbox', { name: /^Idle time before the first probe/ });
    await time.fill('40000');
    // Live: the message names the field and its range as soon as the value is out of it.
    await expect.poll(() => form.innerText()).toContain('Time must be from 1–32767 s, got 40000.');
    expect(await time.getAttribute('aria-invalid')).toBe('true');
    await page.screenshot({ path: screenshotPath('profiles-editor-light') });
    await form.getByRole('textbox', { name: /^Interval between probes/ }).fill('60');
    await form.getByRole('textbox', { name: /^Unanswered probes/ }).fill('4');
    await time.fill('300');
    await expect.poll(() => form.innerText()).toContain('300/60/4: a silent peer is found after 9 min.');
    await form.getByRole('button', { name: 'Save profile' }).click();
    const card = panel.locator('.card', { has: page.getByRole('radio', { name: 'Database', exact: true }) });
    await expect.poll(() => card.count(), { timeout: 10_000 }).toBe(1);
    expect(await card.innerText()).toMatch(/300 s idle · 60 s apart · 4 probes/);
    // Saving selects it: its preview follows.
    await expect.poll(() => panel.getByRole('table', { name: 'Settings' }).innerText(), { timeout: 10_000 }).toMatch(/7200\s+→\s+300/);

    // Export: the file is the list the core keeps.
    const [download] = await Promise.all([page.waitForEvent('download'), panel.getByRole('button', { name: 'Export…' }).click()]);
    expect(download.suggestedFilename()).toBe('idlewatch-profiles.json');
    const exported = JSON.parse(readFileSync(await download.path(), 'utf8'));
    expect(exported).toEqual([{ id: 'custom:database', name: 'Database', timeSec: 300, intervalSec: 60, probes: 4, rationale: '', builtIn: false }]);

    const importFile = async (name: string, content: unknown) => {
      const [chooser] = await Promise.all([page.waitForEvent('filechooser'), panel.getByRole('button', { name: 'Import…' }).click()]);
      await chooser.setFiles({ name, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(content)) });
    };
    // A bad file: the message says which profile and field, and nothing changes.
    await importFile('bad.json', [{ ...exported[0], id: 'custom:lb', name: 'LB', probes: 300 }]);
    await expect.poll(() => panel.getByRole('alert').allInnerTexts()).toContainEqual(
      'Nothing was imported. Profile 1 (LB), probes: probes must be from 1–255, got 300.',
    );
    expect(await panel.getByRole('radio', { name: 'LB', exact: true }).count()).toBe(0);
    // A good one joins the saved profiles.
    await importFile('good.json', [{ ...exported[0], id: 'custom:lb', name: 'LB', timeSec: 120 }]);
    await expect.poll(() => panel.getByRole('radio', { name: 'LB', exact: true }).count(), { timeout: 10_000 }).toBe(1);
    expect(await panel.getByRole('status').allInnerTexts()).toContainEqual('Imported good.json: 1 added.');

    // Delete both again: the other tests see only the presets.
    await panel.getByRole('button', { name: 'Delete LB' }).click();
    await panel.getByRole('button', { name: 'Delete Database' }).click();
    await expect.poll(() => panel.getByRole('radio', { name: 'Database', exact: true }).count(), { timeout: 10_000 }).toBe(0);
    await page.close();
  });
});

describe('the Profiles panel without --allow-apply', () => {
  let readOnly: Served;
  beforeAll(async () => {
    readOnly = await serve({ pollIntervalMs: 1000 });
  });
  afterAll(async () => {
    await readOnly?.stop();
  });

  it.each(['light', 'dark'] as const)('disables Apply with the reason, and the API refuses the call with forbidden (%s)', async (scheme) => {
    const page = await openApp(readOnly.url, scheme);
    const panel = await openProfiles(page);
    await chooseServer(panel);
    const apply = panel.getByRole('button', { name: 'Apply Server…' });
    expect(await apply.isDisabled()).toBe(true);
    const reason = await page.locator('#apply-reason').innerText();
    expect(reason).toMatch(/--allow-apply/);
    expect(await apply.getAttribute('aria-describedby')).toBe('apply-reason');
    await page.screenshot({ path: screenshotPath(`profiles-apply-disabled-${scheme}`) });

    // The page's own token, straight to the WebSocket API: refused by the dispatcher, nothing changed.
    const replies = await page.evaluate(
      async ({ key, path, protocol, prefix }) => {
        const token = sessionStorage.getItem(key);
        const ws = new WebSocket(`ws://${location.host}${path}`, [protocol, `${prefix}${token}`]);
        await new Promise((resolve, reject) => {
          ws.onopen = resolve;
          ws.onerror = reject;
        });
        const answers = new Map<number, unknown>();
        const done = new Promise<void>((resolve) => {
          ws.onmessage = (event) => {
            const message = JSON.parse(String(event.data));
            if (typeof message.id === 'number') answers.set(message.id, message.result);
            if (answers.size === 2) resolve();
          };
        });
        ws.send(JSON.stringify({ id: 1, method: 'applyProfile', args: ['server', { persist: true }] }));
        ws.send(JSON.stringify({ id: 2, method: 'undoLastApply', args: [] }));
        await done;
        ws.close();
        return [answers.get(1), answers.get(2)];
      },
      { key: TOKEN_STORAGE_KEY, path: WS_PATH, protocol: WS_PROTOCOL, prefix: WS_TOKEN_PROTOCOL_PREFIX },
    );
    expect(replies).toEqual([
      { ok: false, error: { code: 'forbidden', message: expect.stringMatching(/applyProfile .*--allow-apply/) } },
      { ok: false, error: { code: 'forbidden', message: expect.stringMatching(/undoLastApply .*--allow-apply/) } },
    ]);
    expect(sysctls()).toBe('7200/75/9');
    expect(existsSync(DROP_IN)).toBe(false);
    await page.close();
  });
});

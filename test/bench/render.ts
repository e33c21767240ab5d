// Render benchmark: the real renderer in Debian's Chromium showing 100,000 connections that
// `idlewatch serve` updates every second while 1% of them see fresh activity each second.
// Prints the bytes pushed per update next to a full snapshot's, the renderer's frame times
// (p50/p95) while the table scrolls, and its memory. Figures are printed, never asserted.
//
//   npm run bench:render                 # 100,000 sockets
//   npm run bench:render -- --sockets 10000 --seconds 10
//
// Like test/bench/snapshot.ts it re-executes itself under `unshare -n` (root), so the sockets,
// the server and the browser live in a throwaway network namespace.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { launchChromium, screenshotPath, serve } from '../e2e/browser-lab';
import { planSockets, startHolders } from './holders';
import { median } from './stats';

const THIS_FILE = fileURLToPath(import.meta.url);
const { values } = parseArgs({
  options: {
    inside: { type: 'boolean', default: false },
    sockets: { type: 'string', default: '100000' },
    seconds: { type: 'string', default: '15' },
    'changed-percent': { type: 'string', default: '1' },
  },
});
const sockets = Number(values.sockets);
const seconds = Number(values.seconds);
const changedPercent = Number(values['changed-percent']);

function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '—');
const kb = (bytes: number) => `${fmt(bytes / 1024, 1)} KB`;

async function inside(): Promise<void> {
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  const plan = planSockets(sockets);
  // Each touched connection changes two rows (both ends): touch half the changed rows' worth.
  const touchPerSecond = Math.round((sockets * changedPercent) / 100 / 2);
  process.stdout.write(`creating ${plan.sockets} sockets (${plan.connections} connections), touching ${touchPerSecond} connections a second\n`);
  const holders = await startHolders(plan, { touchPerSecond });
  const served = await serve({ pollIntervalMs: 1000 });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const replies: number[] = [];
    const deltas: { bytes: number; upserts: number; removed: number }[] = [];
    page.on('websocket', (ws) =>
      ws.on('framereceived', ({ payload }) => {
        const text = typeof payload === 'string' ? payload : payload.toString();
        const bytes = Buffer.byteLength(text);
        if (text.startsWith('{"event":"delta"')) {
          const delta = JSON.parse(text).payload;
          deltas.push({ bytes, upserts: delta.upserts.length, removed: delta.removed.length });
        } else if (text.startsWith('{"id"')) replies.push(bytes);
      }),
    );
    await page.goto(served.url);
    // The whole table arrives as the reply to getSnapshot: the largest reply.
    const loadStarted = Date.now();
    while (!replies.some((b) => b > sockets * 100) && Date.now() - loadStarted < 120_000) await page.waitForTimeout(250);
    const fullBytes = Math.max(0, ...replies);
    await page.waitForTimeout(3000); // let it settle, and a few deltas arrive
    deltas.length = 0;

    // Frame times while the table scrolls: one scroll step per frame, as a user dragging would.
    // A string, not a function: tsx would wrap a function's inner arrows in a helper the page lacks.
    const frames = (await page.evaluate(`(async () => {
      const scrollers = [...document.querySelectorAll('*')].filter((e) => e.scrollHeight > e.clientHeight + 200);
      const scroller = scrollers.sort((a, b) => b.scrollHeight - a.scrollHeight)[0] ?? document.scrollingElement;
      const gaps = [];
      let last = performance.now();
      const end = last + ${seconds * 1000};
      await new Promise((resolve) => {
        const step = (now) => {
          gaps.push(now - last);
          last = now;
          scroller.scrollTop = (scroller.scrollTop + 97) % Math.max(1, scroller.scrollHeight - scroller.clientHeight);
          if (now < end) requestAnimationFrame(step);
          else resolve();
        };
        requestAnimationFrame(step);
      });
      return gaps.slice(1);
    })()`)) as number[];

    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const { metrics } = await cdp.send('Performance.getMetrics');
    const metric = (name: string) => metrics.find((m) => m.name === name)?.value ?? NaN;
    await page.screenshot({ path: screenshotPath(`bench-render-${sockets}`) });

    const rows = sockets;
    const deltaBytes = deltas.map((d) => d.bytes);
    const changed = deltas.map((d) => d.upserts + d.removed);
    const p50Delta = median(deltaBytes);
    process.stdout.write(`
render benchmark: ${rows} sockets in the table, 1 s polls, ~${changedPercent}% of rows touched each second, ${seconds} s of scrolling

pushes over ${deltas.length} updates
  full snapshot (getSnapshot reply)        ${kb(fullBytes)}
  update, median / max                     ${kb(p50Delta)} / ${kb(Math.max(0, ...deltaBytes))}
  rows changed per update, median          ${median(changed)} (${fmt((median(changed) / rows) * 100, 2)}% of rows)
  update / full snapshot, median           ${fmt((p50Delta / fullBytes) * 100, 2)}%   (target < 5%)

renderer (Chromium ${browser.version()})
  frames while scrolling                   ${frames.length} in ${seconds} s (${fmt(frames.length / seconds, 0)} fps)
  frame time p50 / p95 / max               ${fmt(median(frames))} / ${fmt(percentile(frames, 95))} / ${fmt(Math.max(...frames))} ms   (target p95 <= 16 ms; the display refreshes every 16.7 ms)
  frames longer than 25 ms (dropped one+)  ${frames.filter((f) => f > 25).length} of ${frames.length}
  JS heap used / total                     ${fmt(metric('JSHeapUsedSize') / 1048576)} / ${fmt(metric('JSHeapTotalSize') / 1048576)} MB
  DOM nodes                                ${metric('Nodes')}
  screenshot                               ${screenshotPath(`bench-render-${sockets}`)}
`);
  } finally {
    await browser.close();
    await served.stop();
    holders.stop();
  }
}

function outside(): void {
  if (process.getuid?.() !== 0) throw new Error('needs root, to create a network namespace with `unshare -n`');
  if (!existsSync(fileURLToPath(new URL('../../out/renderer/index.html', import.meta.url)))) throw new Error('the UI is not built: run `npm run build`');
  const child = spawn('unshare', ['-n', '--', process.execPath, '--import', 'tsx', THIS_FILE, '--inside', ...process.argv.slice(2)], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 1));
}

if (values.inside) {
  await inside();
  process.exit(0);
} else {
  try {
    outside();
  } catch (error) {
    process.stderr.write(`bench:render: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

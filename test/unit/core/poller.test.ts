import { describe, expect, it } from 'vitest';
import { Poller, type PollerEvents } from '../../../main/core/poller';
import type { PollState } from '../../../shared/api/contract';
import { emptyTable, fakeAdapter } from '../../fixtures/adapter';

const host = async () => ({ hostname: 'h', os: 'linux', distro: null, kernel: 'k', arch: 'x64', network: null });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function recorder() {
  const states: PollState[] = [];
  let polls = 0;
  const events: PollerEvents = { delta: () => void polls++, state: (s) => void states.push(s), error: () => undefined };
  return { events, states, polls: () => polls };
}

describe('Poller cadence', () => {
  it('keeps polling while a client changes the interval faster than it', async () => {
    // Reproduces the attack: setPollInterval every 40 ms with a 100 ms interval restarted the
    // wait each time, so no poll ever came.
    const r = recorder();
    const poller = new Poller(fakeAdapter(), { intervalMs: 100, rules: [], host }, r.events);
    poller.start();
    await sleep(20);
    const before = r.polls();
    for (let i = 0; i < 25; i++) {
      poller.setIntervalMs(i % 2 ? 100 : 110);
      await sleep(40);
    }
    // 1 s of 100–110 ms intervals: about 9 polls; starved, 0.
    expect(r.polls() - before).toBeGreaterThanOrEqual(6);
    poller.stop();
  });

  it('a shorter interval brings the next poll forward from the last one, not from now', async () => {
    const r = recorder();
    const poller = new Poller(fakeAdapter(), { intervalMs: 60_000, rules: [], host }, r.events);
    poller.start();
    await sleep(50);
    expect(r.polls()).toBe(1);
    poller.setIntervalMs(200);
    await sleep(250);
    expect(r.polls()).toBe(2);
    poller.stop();
  });
});

describe('Poller late data', () => {
  it('reports a poll that overruns its interval as late at once, and clears it when the poll ends', async () => {
    let release!: () => void;
    let calls = 0;
    const adapter = fakeAdapter({
      listSockets: async () => {
        calls += 1;
        // The second poll hangs, as a helper stuck in the kernel or stopped by a debugger would.
        if (calls === 2) await new Promise<void>((resolve) => (release = resolve));
        return emptyTable();
      },
    });
    const r = recorder();
    const poller = new Poller(adapter, { intervalMs: 100, rules: [], host }, r.events);
    poller.start();
    await sleep(150); // second poll started at ~100 ms
    expect(r.states.some((s) => s.late)).toBe(false);
    await sleep(150); // it has now run past its 100 ms interval
    const late = r.states.at(-1)!;
    expect(late).toMatchObject({ late: true, running: true });
    expect(late.pollStartedAt).not.toBeNull();
    expect(poller.state().late).toBe(true);
    release();
    await sleep(20);
    expect(r.states.at(-1)).toMatchObject({ late: false, pollStartedAt: null });
    poller.stop();
  });
});

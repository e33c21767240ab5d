import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dumpTime, socketId, toSocketFacts } from '../../../../main/platform/linux/socket-facts';
import type { TickClock } from '../../../../shared/model';
import { parseSockdiagOutput } from '../../../../main/platform/linux/sockdiag-output';

const out = parseSockdiagOutput(readFileSync(new URL('../../../fixtures/linux/sockdiag-snapshot.txt', import.meta.url), 'utf8'));
const names = { processes: out.processes, users: new Map([[0, 'root']]) };
const OFFSET = 4294892235n;
const NS = '4026531840';
const tickClock = (t: { clock: TickClock }) => t.clock;

describe('toSocketFacts', () => {
  const time = dumpTime(out, 250, OFFSET);
  const facts = out.sockets.map((s) => toSocketFacts(s, time, names, NS));
  const byPort = (port: number) => facts.find((f) => f.localPort === port)!;

  it('puts the dump on the jiffies grid: jiffies = offset + ⌊monotonic / 4 ms⌋', () => {
    expect(time.clock).toEqual({ kind: 'tick', hz: 250, anchor: { tick: Number(OFFSET), epochMs: expect.any(Number) } });
    expect(time.takenAt - tickClock(time).anchor!.epochMs).toBeCloseTo(762241.039686, 3);
  });

  it('turns a relative timer into an absolute expiry on a jiffy boundary', () => {
    const ka = byPort(47666);
    const anchor = tickClock(time).anchor!;
    const jiffy = (ka.timerExpiresAt! - anchor.epochMs) / 4;
    expect(Math.abs(jiffy - Math.round(jiffy))).toBeLessThan(0.2);
    expect(ka.timerExpiresAt! - time.takenAt).toBeGreaterThan(598_172 - 4);
    expect(ka.timerExpiresAt! - time.takenAt).toBeLessThan(598_172 + 4);
  });

  it('names state, timer, owner, user and the options read from the socket', () => {
    expect(byPort(47666)).toMatchObject({
      family: 'ipv4',
      state: 'ESTABLISHED',
      timer: 'keepalive',
      pid: 3976,
      process: 'node',
      uid: 0,
      user: 'root',
      idleMs: 1828,
      keepalive: true,
      socketKeepalive: { timeSec: 600, intervalSec: 60, probes: 5, userTimeoutMs: 0 },
    });
  });

  it('infers keepalive off for an established socket with no timer armed', () => {
    expect(byPort(47682)).toMatchObject({ timer: 'none', keepalive: false, socketKeepalive: null, timerExpiresAt: null });
  });

  it('leaves keepalive unknown when data in flight hides the keepalive timer and the socket was not read', () => {
    const stuck = out.sockets.find((s) => s.localPort === 47722)!;
    const unread = toSocketFacts({ ...stuck, sockopts: null }, time, names, NS);
    expect(unread).toMatchObject({ timer: 'retransmit', keepalive: null, retransmits: 2, rtoMs: 800, sendQueue: 1000 });
  });

  it('dates the first retransmission from tcpi_total_rto_time when the current RTO recovery is the only one', () => {
    const stuck = out.sockets.find((s) => s.localPort === 47722)!;
    const filledAt = time.takenAt + Number((stuck.fill.startNs + stuck.fill.endNs) / 2n - time.monotonicNs) / 1e6;
    const dated = toSocketFacts({ ...stuck, rtoRecoveries: 1, rtoTimeMs: 1092 }, time, names, NS);
    expect(Math.abs(dated.rtoRecoveryStartedAt! - (filledAt - 1092))).toBeLessThanOrEqual(1);
    // Earlier recoveries are in the total too: then it does not say when this one began.
    expect(toSocketFacts({ ...stuck, rtoRecoveries: 2, rtoTimeMs: 1092 }, time, names, NS).rtoRecoveryStartedAt).toBeNull();
    expect(toSocketFacts({ ...stuck, rtoRecoveries: null, rtoTimeMs: null }, time, names, NS).rtoRecoveryStartedAt).toBeNull();
  });

  it('gives TIME_WAIT sockets no owner, uid or idle time', () => {
    expect(facts.find((f) => f.state === 'TIME_WAIT')).toMatchObject({ inode: null, uid: null, user: null, pid: null, idleMs: null });
  });

  it('keeps the hostile process name as data', () => {
    expect(byPort(47706).process).toBe('ev\til\n\x1b[2J');
  });

  it('without the jiffies offset adds relative timers to the wall clock and says the phase is unknown', () => {
    const loose = dumpTime(out, 250, null);
    expect(tickClock(loose).anchor).toBeNull();
    expect(toSocketFacts(out.sockets.find((s) => s.localPort === 47666)!, loose, names, NS).timerExpiresAt).toBe(
      Math.round(loose.takenAt + 598_172),
    );
  });

  it('counts a record’s timers from the jiffy of its fill window when it lies within one tick', () => {
    const ka = out.sockets.find((s) => s.localPort === 47666)!;
    const tick = 4_000_000n;
    const jiffy = (ns: bigint) => Number(OFFSET + ns / tick);
    const fillNs = 762241039686n + 10n * tick; // filled 10 ticks after the dump began
    const at = toSocketFacts({ ...ka, fill: { startNs: fillNs, endNs: fillNs + 100_000n } }, time, names, NS).timerExpiresAt!;
    const expected = tickClock(time).anchor!.epochMs + (jiffy(fillNs) + 598_172 / 4 - Number(OFFSET)) * 4;
    expect(at).toBe(Math.round(expected));
  });

  it('takes the middle jiffy of a fill window that spans ticks', () => {
    const ka = out.sockets.find((s) => s.localPort === 47666)!;
    const start = 762240000000n;
    const short = toSocketFacts({ ...ka, fill: { startNs: start, endNs: start } }, time, names, NS).timerExpiresAt!;
    const long = toSocketFacts({ ...ka, fill: { startNs: start, endNs: start + 40_000_000n } }, time, names, NS).timerExpiresAt!;
    expect(long - short).toBe(20);
  });

  it('counts idle times from the dump’s start, not from when the kernel filled the record', () => {
    const ka = out.sockets.find((s) => s.localPort === 47666)!;
    const late = { startNs: 762241039686n + 150_000_000n, endNs: 762241039686n + 150_000_000n };
    // read 150 ms into the dump: 1828 ms idle then was 1678 ms idle when the dump began
    expect(toSocketFacts({ ...ka, fill: late }, time, names, NS)).toMatchObject({ idleMs: 1678, lastSendMs: 1678, lastDataMs: 1678 });
    const atStart = { startNs: 762241039686n, endNs: 762241039686n };
    expect(toSocketFacts({ ...ka, fill: atStart }, time, names, NS).idleMs).toBe(1828);
  });

  it('gives every socket a distinct id', () => {
    expect(new Set(facts.map((f) => f.id)).size).toBe(facts.length);
  });

  it('makes ids unique across network namespaces, TIME_WAIT sockets included', () => {
    const timeWait = out.sockets.find((s) => s.inode === 0)!;
    const live = out.sockets.find((s) => s.inode !== 0)!;
    for (const s of [timeWait, live]) {
      const here = toSocketFacts(s, time, names, NS).id;
      const there = toSocketFacts(s, time, names, '4026532999').id;
      expect(here).not.toBe(there);
      expect(here.startsWith(`${NS}/`)).toBe(true);
    }
  });

  it('tells a request socket from a TIME_WAIT socket on the same 4-tuple', () => {
    const timeWait = out.sockets.find((s) => s.inode === 0)!;
    expect(socketId(NS, timeWait)).not.toBe(socketId(NS, { ...timeWait, state: 12 }));
  });
});

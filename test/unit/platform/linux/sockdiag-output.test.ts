import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSockdiagOutput, SockdiagReader, unescapeComm } from '../../../../main/platform/linux/sockdiag-output';

/** Recorded from idlewatch-sockdiag --once in a namespace with 600/60/5 (see test/fixtures/linux/README.md). */
const recorded = readFileSync(new URL('../../../fixtures/linux/sockdiag-snapshot.txt', import.meta.url), 'utf8');

describe('parseSockdiagOutput on recorded output', () => {
  const out = parseSockdiagOutput(recorded);

  it('reads the header clocks and every socket line', () => {
    expect(out.format).toBe('idlewatch-sockdiag/1');
    expect(out.realtimeNs).toBe(1795502861576967857n);
    expect(out.monotonicNs).toBe(762241039686n);
    expect(out.sockets).toHaveLength(13);
    expect(out.malformedLines).toBe(0);
    expect(out.errors).toEqual([]);
    expect(out.stats).toMatchObject({ sockets: 13, rescans: 1, sockopt_reads: 3 });
  });

  it('reads a keepalive socket with its timer, tcp_info idle times, owner and effective options', () => {
    const ka = out.sockets.find((s) => s.localPort === 47666)!;
    expect(ka).toMatchObject({
      family: 4,
      state: 1,
      localAddress: '127.0.0.1',
      remoteAddress: '127.0.0.1',
      remotePort: 8080,
      inode: 10264,
      timer: 2,
      expiresMs: 598172,
      pid: 3976,
      fd: 21,
      sockopts: { keepalive: true, keepIdleSec: 600, keepIntervalSec: 60, keepCount: 5, userTimeoutMs: 0 },
    });
    expect(ka).toMatchObject({ lastDataRecvMs: 1828, lastAckRecvMs: 1828, rtoUs: 204000 });
  });

  it('reads unacknowledged data on a retransmit timer', () => {
    const stuck = out.sockets.find((s) => s.localPort === 47722)!;
    expect(stuck).toMatchObject({ timer: 1, sendQueue: 1000, retrans: 2 });
    expect(stuck).toMatchObject({ retransmits: 2, backoff: 2, rtoUs: 800000, unacked: 1 });
  });

  it('reads TIME_WAIT sockets, which have no inode, no owner and no tcp_info', () => {
    const tw = out.sockets.find((s) => s.state === 6)!;
    expect(tw).toMatchObject({ inode: 0, timer: 3, expiresMs: 58176, probes: null, lastDataRecvMs: null, pid: null, fd: null, sockopts: null });
  });

  it('reads IPv6 sockets', () => {
    const v6 = out.sockets.filter((s) => s.family === 6);
    expect(v6.map((s) => s.localAddress)).toEqual(['::1', '::1', '::1']);
    expect(v6.find((s) => s.timer === 2)?.sockopts).toMatchObject({ keepIdleSec: 30, keepIntervalSec: 1, keepCount: 10 });
  });

  it('unescapes a hostile process name back to the bytes the process chose', () => {
    expect(out.processes.get(3987)).toBe('ev\til\n\x1b[2J');
    expect(out.processes.get(3976)).toBe('node');
  });
});

describe('parseSockdiagOutput on a recording of the current helper', () => {
  const text = readFileSync(new URL('../../../fixtures/linux/sockdiag-first-snapshot.txt', import.meta.url), 'utf8');
  const current = parseSockdiagOutput(text);

  it('reads process names before the sockets, and every socket with its owner', () => {
    expect(current.malformedLines).toBe(0);
    expect(current.sockets).toHaveLength(13);
    expect(current.monotonicAfterNs).toBe(2281654016386n);
    expect(current.sockets.find((s) => s.localPort === 41014)).toMatchObject({
      inode: 2328893,
      pid: 22830,
      fd: 21,
      sockopts: { keepalive: true, keepIdleSec: 600, keepIntervalSec: 60, keepCount: 5 },
    });
    expect(current.sockets.find((s) => s.localPort === 41044 && s.state === 1)).toMatchObject({ pid: 22841, sockopts: null });
  });

  it('keeps the fill window of each netlink buffer with its sockets', () => {
    const v4 = current.sockets.find((s) => s.family === 4)!;
    const v6 = current.sockets.find((s) => s.family === 6)!;
    expect(v4.fill).toEqual({ startNs: 2281653494481n, endNs: 2281653743691n });
    expect(v6.fill).toEqual({ startNs: 2281653787006n, endNs: 2281654006832n });
  });

  it('reads the text the same however it is cut into pieces', () => {
    for (const size of [1, 7, 64, 1000]) {
      const seen: number[] = [];
      const reader = new SockdiagReader((s) => seen.push(s.inode));
      for (let i = 0; i < text.length; i += size) reader.push(text.slice(i, i + size));
      const summary = reader.finish();
      expect(seen).toEqual(current.sockets.map((s) => s.inode));
      expect(summary.processes.get(22841)).toBe('ev\til\n\x1b[2J');
      expect(summary.malformedLines).toBe(0);
    }
  });
});

describe('parseSockdiagOutput on bad input', () => {
  const header = 'H\tidlewatch-sockdiag/1\t1795502861576967857\t762241039686';
  const good = recorded.split('\n').find((l) => l.startsWith('S\t4\t1\t'))!;

  it.each([
    ['a truncated line', good.split('\t').slice(0, 10).join('\t')],
    ['an extra field', `${good}\t7`],
    ['a negative number', good.replace(/\t0\t/, '\t-1\t')],
    ['a port above 65535', good.replace('\t8080\t', '\t65536\t')],
    ['an unknown state', good.replace(/^S\t4\t1\t/, 'S\t4\t99\t')],
    ['an unknown family', good.replace(/^S\t4\t/, 'S\t5\t')],
    ['a mangled address', good.replace('127.0.0.1', '127.0.0.1;rm')],
    ['an unknown record type', 'Z\t1\t2'],
    ['binary noise', '\u0000\u0001garbage'],
  ])('skips and counts %s, keeping the good lines', (_, bad) => {
    const out = parseSockdiagOutput([header, good, bad, good, '.'].join('\n'));
    expect(out.sockets).toHaveLength(2);
    expect(out.malformedLines).toBe(1);
  });

  it('reads the monotonic clock after the dump, and takes the one before when an older helper printed none', () => {
    expect(parseSockdiagOutput(`${header}\t762241990000\n.`).monotonicAfterNs).toBe(762241990000n);
    expect(parseSockdiagOutput(`${header}\n.`).monotonicAfterNs).toBe(762241039686n);
  });

  it('attaches each fill window to the socket lines that follow it', () => {
    const out = parseSockdiagOutput([header, 'F\t100\t200', good, 'F\t300\t450', good, '.'].join('\n'));
    expect(out.sockets.map((s) => s.fill)).toEqual([
      { startNs: 100n, endNs: 200n },
      { startNs: 300n, endNs: 450n },
    ]);
  });

  it('rejects a fill window that ends before it starts', () => {
    const out = parseSockdiagOutput([header, 'F\t300\t200', good, '.'].join('\n'));
    expect(out.malformedLines).toBe(1);
    expect(out.sockets[0]!.fill).toBeNull();
  });

  it('reports output without a header as an error', () => {
    expect(parseSockdiagOutput(good).errors).toContain('sockdiag output has no header line');
  });

  it('reports the helper’s own errors', () => {
    expect(parseSockdiagOutput(`${header}\nE\tnetlink: Operation not permitted\n.`).errors).toEqual([
      'netlink: Operation not permitted',
    ]);
  });
});

describe('unescapeComm', () => {
  it('turns \\xHH and \\\\ back into bytes and leaves other text alone', () => {
    expect(unescapeComm('a\\x09b\\\\c\\x1b')).toBe('a\tb\\c\x1b');
    expect(unescapeComm('plain name')).toBe('plain name');
  });
});

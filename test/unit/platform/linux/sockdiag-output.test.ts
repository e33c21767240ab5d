import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSockdiagOutput, SockdiagReader, unescapeComm } from '../../../../main/platform/linux/sockdiag-output';

/** Recorded from idlewatch-sockdiag --once in a namespace with 600/60/5 (see test/fixtures/linux/README.md). */
const recorded = readFileSync(new URL('../../../fixtures/linux/sockdiag-snapshot.txt', import.meta.url), 'utf8');

/** An S line with its inode field replaced. */
function withInode(line: string, inode: number): string {
  const fields = line.split('\t');
  fields[8] = String(inode);
  return fields.join('\t');
}

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

  it('reads the RTO recovery fields a newer helper appends (tcpi_total_rto_*), and a line without them as unknown', () => {
    const stuck = recorded.split('\n').find((l) => l.startsWith('S\t') && l.split('\t')[4] === '47722')!;
    const head = recorded.split('\n').filter((l) => !l.startsWith('S\t') && !l.startsWith('P\t') && l !== '.').join('\n');
    const [withFields] = parseSockdiagOutput(`${head}\n${stuck}\t1\t1092\n`).sockets;
    expect(withFields).toMatchObject({ rtoRecoveries: 1, rtoTimeMs: 1092 });
    expect(out.sockets.find((s) => s.localPort === 47722)).toMatchObject({ rtoRecoveries: null, rtoTimeMs: null });
    expect(parseSockdiagOutput(`${head}\n${stuck}\t1\t1092\t7\n`).malformedLines).toBe(1);
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
  const header = 'H\tidlewatch-sockdiag/1\t1795502861576967857\t762241039686\t762241039686\nF\t762241039686\t762241039686';
  const good = recorded.split('\n').find((l) => l.startsWith('S\t4\t1\t'))!;
  /** The same socket line with another inode: a second socket (one inode is one row). */
  const good2 = withInode(good, 10999);

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
    const out = parseSockdiagOutput([header, good, bad, good2, '.'].join('\n'));
    expect(out.sockets).toHaveLength(2);
    expect(out.malformedLines).toBe(1);
  });

  it('reads the monotonic clock after the dump, and refuses a header without it: no older helper format is read', () => {
    const bare = 'H\tidlewatch-sockdiag/1\t1795502861576967857\t762241039686';
    expect(parseSockdiagOutput(`${bare}\t762241990000\n.`).monotonicAfterNs).toBe(762241990000n);
    const old = parseSockdiagOutput(`${bare}\n.`);
    expect(old.malformedLines).toBe(1);
    expect(old.errors).toContain('sockdiag output has no header line');
  });

  it('skips and counts a socket line that comes before any fill window: its timers could not be placed', () => {
    const bare = 'H\tidlewatch-sockdiag/1\t1795502861576967857\t762241039686\t762241039686';
    const out = parseSockdiagOutput([bare, good, 'F\t100\t200', good2, '.'].join('\n'));
    expect(out.sockets.map((s) => s.inode)).toEqual([10999]);
    expect(out.malformedLines).toBe(1);
  });

  it('attaches each fill window to the socket lines that follow it', () => {
    const out = parseSockdiagOutput([header, 'F\t100\t200', good, 'F\t300\t450', good2, '.'].join('\n'));
    expect(out.sockets.map((s) => s.fill)).toEqual([
      { startNs: 100n, endNs: 200n },
      { startNs: 300n, endNs: 450n },
    ]);
  });

  it('rejects a fill window that ends before it starts, and the socket lines that would count from it', () => {
    const bare = 'H\tidlewatch-sockdiag/1\t1795502861576967857\t762241039686\t762241039686';
    const out = parseSockdiagOutput([bare, 'F\t300\t200', good, 'F\t300\t450', good2, '.'].join('\n'));
    expect(out.malformedLines).toBe(2);
    expect(out.sockets.map((s) => s.fill)).toEqual([{ startNs: 300n, endNs: 450n }]);
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

describe('parseSockdiagOutput hardening', () => {
  const header = 'H\tidlewatch-sockdiag/1\t1795502861576967857\t762241039686\t762241039686\nF\t762241039686\t762241039686';
  const good = recorded.split('\n').find((l) => l.startsWith('S\t4\t1\t'))!;
  const good6 = recorded.split('\n').find((l) => l.startsWith('S\t6\t1\t'))!;

  it('skips a 100 MB line without a newline, pushed in 64 KiB pieces, in linear time, as one malformed line', () => {
    const seen: number[] = [];
    const counting = new SockdiagReader((s) => seen.push(s.inode));
    const piece = 'x'.repeat(64 * 1024);
    const started = performance.now();
    counting.push(`${header}\n`);
    for (let sent = 0; sent < 100 * 1024 * 1024; sent += piece.length) counting.push(piece);
    counting.push(`\n${good}\n.\n`);
    const summary = counting.finish();
    const elapsedMs = performance.now() - started;
    expect(summary.malformedLines).toBe(1);
    expect(seen).toHaveLength(1); // the line after it is read
    expect(elapsedMs).toBeLessThan(10_000); // well under a second in practice; quadratic took minutes
  }, 20_000);

  it('counts an over-long line once however it ends: at a newline, or at the end of the answer', () => {
    const reader = new SockdiagReader(() => undefined);
    reader.push(`${header}\n`);
    reader.push('y'.repeat(40 * 1024));
    reader.push('y'.repeat(40 * 1024));
    expect(reader.finish().malformedLines).toBe(1);
    expect(parseSockdiagOutput(`${header}\n${'z'.repeat(70 * 1024)}\n${good}\n.`)).toMatchObject({ malformedLines: 1 });
  });

  it.each([
    ['an IPv4 octet above 255', good.replace('127.0.0.1', '999.0.0.1')],
    ['an IPv4 address with a leading zero', good.replace('127.0.0.1', '127.0.0.01')],
    ['an IPv6 address with nine groups', good6.replace('::1', '1:2:3:4:5:6:7:8:9')],
    ['an IPv6 address with a triple colon', good6.replace('::1', ':::1')],
    ['an IPv6 zone id, which inet_ntop never prints', good6.replace('::1', 'fe80::1%eth0')],
    ['an IPv4 address in an IPv6 row', good6.replace('::1', '127.0.0.1')],
  ])('rejects %s', (_, bad) => {
    const out = parseSockdiagOutput([header, good, bad, good6, '.'].join('\n'));
    expect(out.sockets).toHaveLength(2);
    expect(out.malformedLines).toBe(1);
  });

  it('accepts every address form inet_ntop prints', () => {
    const lines = ['0.0.0.0', '255.255.255.255', '10.1.2.3'].map((a) => withInode(good.replace('127.0.0.1', a), 100 + a.length));
    const lines6 = ['::', '::ffff:127.0.0.1', '2001:db8::8a2e:370:7334', 'fe80::1'].map((a) => withInode(good6.replace('::1', a), 200 + a.length));
    const out = parseSockdiagOutput([header, ...lines, ...lines6, '.'].join('\n'));
    expect(out.malformedLines).toBe(0);
    expect(out.sockets.map((s) => s.localAddress)).toEqual(['0.0.0.0', '255.255.255.255', '10.1.2.3', '::', '::ffff:127.0.0.1', '2001:db8::8a2e:370:7334', 'fe80::1']);
  });

  it('drops a second row with an inode already seen in this answer, and counts it', () => {
    const out = parseSockdiagOutput([header, withInode(good, 5), withInode(good6, 5), withInode(good, 6), '.'].join('\n'));
    expect(out.sockets.map((s) => [s.family, s.inode])).toEqual([
      [4, 5],
      [4, 6],
    ]);
    expect(out.malformedLines).toBe(1);
  });

  it('keeps every TIME_WAIT row: they all have inode 0', () => {
    const tw = recorded.split('\n').find((l) => l.startsWith('S\t4\t6\t'))!;
    const out = parseSockdiagOutput([header, tw, tw.replace('47694', '47695'), '.'].join('\n'));
    expect(out.sockets).toHaveLength(2);
    expect(out.malformedLines).toBe(0);
  });

  it('forgets the inodes of one answer when the next reader starts', () => {
    for (let i = 0; i < 2; i++) expect(parseSockdiagOutput([header, withInode(good, 5), '.'].join('\n')).malformedLines).toBe(0);
  });
});

describe('user names (U records)', () => {
  const header = 'H\tidlewatch-sockdiag/1\t1795502861576967857\t762241039686\t762241039686\nF\t762241039686\t762241039686';

  it('reads the owners’ user names of a recording with a socket owned by nobody', () => {
    // test/native/record-fixture-sockets.mjs, then idlewatch-sockdiag --once 4000000 (three netlink fills).
    const text = readFileSync(new URL('../../../fixtures/linux/sockdiag-users-snapshot.txt', import.meta.url), 'utf8');
    const out = parseSockdiagOutput(text);
    expect(out.malformedLines).toBe(0);
    expect([...out.users]).toEqual([
      [0, 'root'],
      [65534, 'nobody'],
    ]);
    expect(out.sockets).toHaveLength(30);
    expect(out.sockets.find((s) => s.localPort === 8090)).toMatchObject({ uid: 65534, state: 10, pid: 30741 });
    expect(out.stats).toMatchObject({ sockets: 30, unscanned: 0, denied: 0 });
    expect(new Set(out.sockets.map((s) => s.fill.startNs)).size).toBe(3);
  });

  it('maps each uid to its name, unescaped like a process name', () => {
    const out = parseSockdiagOutput([header, 'U\t0\troot', 'U\t65534\tnobody', 'U\t4242\tev\\x09il\\x1b[2J\\\\x', '.'].join('\n'));
    expect([...out.users]).toEqual([
      [0, 'root'],
      [65534, 'nobody'],
      [4242, 'ev\til\x1b[2J\\x'],
    ]);
    expect(out.malformedLines).toBe(0);
  });

  it.each([
    ['no name', 'U\t7'],
    ['a uid that is not a number', 'U\tx\tname'],
    ['an extra field', 'U\t7\ta\tb'],
  ])('skips and counts a U line with %s', (_, bad) => {
    const out = parseSockdiagOutput([header, bad, '.'].join('\n'));
    expect(out.users.size).toBe(0);
    expect(out.malformedLines).toBe(1);
  });

  it('has no user names from a helper that printed none', () => {
    expect(parseSockdiagOutput(recorded).users.size).toBe(0);
  });

  it('unescapes the helper’s error messages', () => {
    expect(parseSockdiagOutput(`${header}\nE\tcannot scan 3 processes: Too many open files\nE\ta\\x09b\n.`).errors).toEqual([
      'cannot scan 3 processes: Too many open files',
      'a\tb',
    ]);
  });
});

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { analyseRecording, readPostMortem } from '../../../main/report/post-mortem';
import type { EndedConnection } from '../../../main/report/model';
import { readRecording, type RecordingLine } from '../../../main/report/recording-file';
import type { Connection } from '../../../shared/model';
import type { IdleRule } from '../../../shared/rules';
import { connection } from '../../fixtures/connection';
import { deltaLine, endLine, header, NOW, recordingText, snapshotLine, stopLine } from '../../fixtures/recordings/lines';

async function postMortem(lines: RecordingLine[]) {
  return analyseRecording(await readRecording(recordingText(lines)), 'recording-20251124T120000Z.ndjson');
}

/** An idle keepalive connection whose last projection drops it 1.5 s after NOW. */
const dying = connection({ probesSent: 4, dropAt: NOW + 1500, dropWindow: [NOW + 1500, NOW + 1756], dropReason: 'keepalive', idleMs: 838_500 });

/** The same addresses as `c`, as another socket sees them (the peer on this host, or what outlives it). */
function sameAddresses(c: Connection, over: Partial<Connection>): Connection {
  return connection({ ...c, inode: null, pid: null, process: null, uid: null, user: null, timer: 'none', dropAt: null, dropWindow: null, dropReason: null, probesAt: [], nextProbeAt: null, ...over });
}
const peerOf = (c: Connection, over: Partial<Connection>) =>
  connection({ ...c, localAddress: c.remoteAddress, localPort: c.remotePort, remoteAddress: c.localAddress, remotePort: c.localPort, ...over });

describe('post-mortem: keepalive', () => {
  it('a kernel announcement with probes out = the limit, 30 ms after the projection: keepalive, exact time, with both facts', async () => {
    const pm = await postMortem([
      header(),
      snapshotLine(1, NOW, [dying]),
      endLine(dying, NOW + 1530, { probesSent: 5, lastDataRecvMs: 840_030, lastAckRecvMs: 840_030 }, dying.id),
      deltaLine(2, NOW + 2000, [], [dying.id]),
      stopLine(NOW + 2500),
    ]);
    expect(pm.ended).toHaveLength(1);
    const e = pm.ended[0]!;
    expect(e).toMatchObject({
      cause: 'keepalive',
      endedAt: NOW + 1530,
      endedWindow: null,
      endSource: 'kernel-event',
      projectedDropAt: NOW + 1500,
      projectedDropReason: 'keepalive',
      idleAtEndMs: 840_030,
      statesSeen: ['ESTABLISHED'],
      process: 'psql',
    });
    expect(e.lastSeen?.id).toBe(dying.id);
    expect(e.evidence.join('\n')).toContain('The kernel announced its end at 12:00:01.530 UTC');
    expect(e.evidence.join('\n')).toContain('projected a keepalive drop at 12:00:01.500 UTC; it ended +30 ms from that (within 1 s)');
    expect(e.evidence.join('\n')).toContain('5 keepalive probe(s) unanswered, the limit for this socket (5, the system setting)');
    expect(pm.byCause).toMatchObject({ keepalive: 1, closed: 0, reset: 0 });
    expect(pm.recording).toMatchObject({ name: 'recording-20251124T120000Z.ndjson', polls: 2, stoppedAt: NOW + 2500, lastAt: NOW + 2500, truncated: false, endSource: 'kernel-events' });
  });

  it('probes out = the limit alone is enough when the projection is off', async () => {
    const pm = await postMortem([header(), snapshotLine(1, NOW, [connection({ probesSent: 4 })]), endLine(dying, NOW + 5000, { probesSent: 5 }, dying.id)]);
    expect(pm.ended[0]).toMatchObject({ cause: 'keepalive', endedAt: NOW + 5000 });
    expect(pm.ended[0]!.evidence.join('\n')).toContain('was a keepalive drop at');
  });

  it('without announcements: the projected drop inside the window between the last poll that saw it and the first that did not', async () => {
    const pm = await postMortem([
      header({ endSource: 'polls', endSourceNote: 'not root' }),
      snapshotLine(1, NOW, [dying]),
      deltaLine(2, NOW + 1000),
      deltaLine(3, NOW + 2000, [], [dying.id]),
    ]);
    const e = pm.ended[0]!;
    expect(e).toMatchObject({ cause: 'keepalive', endedAt: NOW + 2000, endedWindow: [NOW + 1000, NOW + 2000], endSource: 'poll', idleAtEndMs: 838_500 + 2000 });
    expect(e.evidence[0]).toBe('A poll saw it open at 12:00:01.000 UTC; the next, at 12:00:02.000 UTC, no longer did (it ended in between).');
    expect(e.evidence[1]).toContain('inside that window (±1 s)');
    expect(pm.recording).toMatchObject({ endSource: 'polls', endSourceNote: 'not root', stoppedAt: null, polls: 3 });
  });

  it('the application held the dead socket: polls time the end, the late announcement still counts the probes', async () => {
    const pm = await postMortem([
      header(),
      snapshotLine(1, NOW, [dying]),
      deltaLine(2, NOW + 1000),
      deltaLine(3, NOW + 2000, [], [dying.id]),
      // The recorder no longer held it: no id.
      endLine(dying, NOW + 32_000, { probesSent: 5 }),
    ]);
    expect(pm.ended).toHaveLength(1);
    const e = pm.ended[0]!;
    expect(e).toMatchObject({ cause: 'keepalive', endedAt: NOW + 2000, endedWindow: [NOW + 1000, NOW + 2000], endSource: 'poll' });
    expect(e.evidence.join('\n')).toContain('the application held the dead socket until then');
  });
});

describe('post-mortem: the kernel’s other timeouts', () => {
  it('retransmit: data unacknowledged after tcp_retries2 retransmissions', async () => {
    const c = connection({ timer: 'retransmit', sendQueue: 120, dropAt: NOW + 900_000, dropReason: 'retransmit' });
    const pm = await postMortem([header(), snapshotLine(1, NOW, [c]), endLine(c, NOW + 4000, { unacked: 2, retransmits: 15, backoff: 15 }, c.id)]);
    expect(pm.ended[0]!.cause).toBe('retransmit');
    expect(pm.ended[0]!.evidence.join('\n')).toContain('the kernel reported 2 segment(s) still unacknowledged, 15 retransmission(s) of unacknowledged data; tcp_retries2 is 15');
  });

  it('retransmit: the retransmission count alone, as the kernel leaves it after purging the queue', async () => {
    const c = connection({ timer: 'retransmit', sendQueue: 1, dropAt: null, dropReason: null });
    const pm = await postMortem([header(), snapshotLine(1, NOW, [c]), endLine(c, NOW + 4000, { retransmits: 15 }, c.id)]);
    expect(pm.ended[0]!.cause).toBe('retransmit');
    expect(pm.ended[0]!.evidence.join('\n')).toContain('15 retransmission(s) of unacknowledged data; tcp_retries2 is 15');
  });

  it('retransmit: the retransmission projection matched', async () => {
    const c = connection({ timer: 'retransmit', dropAt: NOW + 1500, dropReason: 'retransmit' });
    const pm = await postMortem([header(), snapshotLine(1, NOW, [c]), endLine(c, NOW + 1600, { unacked: 1, retransmits: 6 }, c.id)]);
    expect(pm.ended[0]!.cause).toBe('retransmit');
    expect(pm.ended[0]!.evidence.join('\n')).toContain('drop by retransmission timeout (tcp_retries2) at 12:00:01.500 UTC; it ended +100 ms');
  });

  it('zero-window: a silent peer with its window closed, the zero-window projection matched', async () => {
    const c = connection({ timer: 'probe', sendQueue: 65_536, probesSent: 2, dropAt: NOW + 1500, dropReason: 'zero-window' });
    const pm = await postMortem([header(), snapshotLine(1, NOW, [c]), endLine(c, NOW + 1502, { probesSent: 15 }, c.id)]);
    expect(pm.ended[0]!.cause).toBe('zero-window');
    const evidence = pm.ended[0]!.evidence.join('\n');
    expect(evidence).toContain('drop by unanswered zero-window probes (tcp_retries2) at 12:00:01.500 UTC; it ended +2 ms');
    expect(evidence).toContain('At its end the kernel reported 15 zero-window probe(s) unanswered');
  });

  it('user-timeout: TCP_USER_TIMEOUT set and its projection matched', async () => {
    const c = connection({ dropAt: NOW + 1500, dropReason: 'user-timeout', effective: { timeSec: 600, intervalSec: 60, probes: 5, userTimeoutMs: 20_000, source: 'socket' } });
    const pm = await postMortem([header(), snapshotLine(1, NOW, [c]), endLine(c, NOW + 1400, { probesSent: 1 }, c.id)]);
    expect(pm.ended[0]!.cause).toBe('user-timeout');
    expect(pm.ended[0]!.evidence.join('\n')).toContain('drop by TCP_USER_TIMEOUT at 12:00:01.500 UTC; it ended −100 ms');
  });

  it('user-timeout: the announcement shows a probe out and nothing acknowledged for longer than it, even with probes < the limit', async () => {
    const c = connection({ effective: { timeSec: 600, intervalSec: 60, probes: 5, userTimeoutMs: 5000, source: 'socket' } });
    const pm = await postMortem([header(), snapshotLine(1, NOW, [c]), endLine(c, NOW + 1000, { probesSent: 1, lastAckRecvMs: 6000 }, c.id)]);
    expect(pm.ended[0]!.cause).toBe('user-timeout');
    expect(pm.ended[0]!.evidence.join('\n')).toContain('TCP_USER_TIMEOUT was 5000 ms; at its end nothing had been acknowledged for 6 s');
  });
});

describe('post-mortem: idle-timeout rules', () => {
  const nlb: IdleRule = { id: 'r1', name: 'AWS NLB / NAT Gateway', kind: 'middlebox', idleTimeoutSec: 350, match: {}, enabled: true };

  it('middlebox: the rule’s drop matched, named with its rule', async () => {
    const c = connection({ dropAt: NOW + 1500, dropReason: 'middlebox', dropBy: nlb.name, atRisk: true });
    const pm = await postMortem([header({ rules: [nlb] }), snapshotLine(1, NOW, [c]), endLine(c, NOW + 1700, {}, c.id)]);
    expect(pm.ended[0]!.cause).toBe('middlebox');
    expect(pm.ended[0]!.evidence.join('\n')).toContain('projected a middlebox drop by “AWS NLB / NAT Gateway” at 12:00:01.500 UTC; it ended +200 ms');
  });

  it('application: the server closed at its idle timeout, the FIN seen too', async () => {
    const c = connection({ dropAt: NOW + 700, dropReason: 'application', dropBy: 'nginx keepalive_timeout' });
    const pm = await postMortem([
      header(),
      snapshotLine(1, NOW, [c]),
      deltaLine(2, NOW + 1000, [{ ...c, state: 'CLOSE_WAIT' }]),
      endLine(c, NOW + 1200, {}, c.id),
    ]);
    const e = pm.ended[0]!;
    expect(e.cause).toBe('application');
    expect(e.statesSeen).toEqual(['ESTABLISHED', 'CLOSE_WAIT']);
    expect(e.evidence.join('\n')).toContain('A poll saw it in CLOSE_WAIT');
  });
});

describe('post-mortem: closes and resets', () => {
  const quiet = connection({ keepalive: false, timer: 'none', dropAt: null, dropWindow: null, dropReason: null, probesAt: [], nextProbeAt: null, idleMs: 300 });
  const peer = peerOf(quiet, { id: '4026531840/i2', inode: 2 });
  const timeWait = sameAddresses(quiet, { id: '4026531840/sTIME_WAIT/ipv4/10.0.0.1/40000/10.0.0.2/5432', state: 'TIME_WAIT', timer: 'timewait' });

  it('closed: the TIME_WAIT left behind by this end and, for the peer on this host, the same TIME_WAIT reversed', async () => {
    const pm = await postMortem([
      header(),
      snapshotLine(1, NOW, [quiet, peer]),
      endLine(quiet, NOW + 300, {}, quiet.id),
      endLine(peer, NOW + 301, {}, peer.id),
      deltaLine(2, NOW + 1000, [timeWait], [quiet.id, peer.id]),
    ]);
    // TIME_WAIT is what remains of the first one, not a connection of its own.
    expect(pm.ended).toHaveLength(2);
    const [mine, theirs] = pm.ended;
    expect(mine).toMatchObject({ cause: 'closed', localPort: 40000, endedAt: NOW + 300, statesSeen: ['ESTABLISHED', 'TIME_WAIT'] });
    expect(mine!.evidence.join('\n')).toContain('A socket with the same addresses was in TIME_WAIT at 12:00:01.000 UTC, after it was last seen open: this end closed first');
    expect(theirs).toMatchObject({ cause: 'closed', localPort: 5432, statesSeen: ['ESTABLISHED'] });
    expect(theirs!.evidence.join('\n')).toContain("The peer's socket on this host (the same addresses, reversed) was in TIME_WAIT at 12:00:01.000 UTC, after it was last seen open: the peer closed first");
    expect(pm.byCause.closed).toBe(2);
  });

  it('closed: the orphan a close leaves (new identity, no inode) continues the connection, and its FIN state proves the close', async () => {
    const orphan = sameAddresses(quiet, { id: '4026531840/sFIN_WAIT2/ipv4/10.0.0.1/40000/10.0.0.2/5432', state: 'FIN_WAIT2' });
    const pm = await postMortem([
      header({ endSource: 'polls' }),
      snapshotLine(1, NOW, [quiet]),
      deltaLine(2, NOW + 1000, [orphan], [quiet.id]),
      deltaLine(3, NOW + 2000, [timeWait], [orphan.id]),
      deltaLine(4, NOW + 62_000, [], [timeWait.id]),
    ]);
    expect(pm.ended).toHaveLength(1);
    expect(pm.ended[0]).toMatchObject({ cause: 'closed', endedAt: NOW + 1000, statesSeen: ['ESTABLISHED', 'FIN_WAIT2', 'TIME_WAIT'] });
    expect(pm.ended[0]!.evidence.join('\n')).toContain('A poll saw it in FIN_WAIT2');
  });

  it('reset: ESTABLISHED at the last poll, gone with no FIN and no timeout; the evidence says a fast close looks the same', async () => {
    const pm = await postMortem([header(), snapshotLine(1, NOW, [quiet]), endLine(quiet, NOW + 400, {}, quiet.id), deltaLine(2, NOW + 1000, [], [quiet.id])]);
    const e = pm.ended[0]!;
    expect(e.cause).toBe('reset');
    expect(e.evidence.join('\n')).toContain('It was ESTABLISHED at the last poll (12:00:00.000 UTC)');
    expect(e.evidence.join('\n')).toContain('0 probe(s) out and 0 segment(s) unacknowledged');
    expect(e.evidence.join('\n')).toContain('A close by both ends within one poll interval');
  });

  it('closed, as a hint: no FIN state seen, but nothing left in flight and an ACK just before the free', async () => {
    const pm = await postMortem([header(), snapshotLine(1, NOW, [quiet]), endLine(quiet, NOW + 400, { lastAckRecvMs: 2, unacknowledgedBytes: 0 }, quiet.id), deltaLine(2, NOW + 1000, [], [quiet.id])]);
    expect(pm.ended[0]!.cause).toBe('closed');
    expect(pm.ended[0]!.evidence.join('\n')).toMatch(/last ACK had arrived 2 ms before.*a reset right after traffic looks the same/);
  });

  it('reset: bytes never acknowledged at the free are named, even with an ACK just before it', async () => {
    const pm = await postMortem([header(), snapshotLine(1, NOW, [quiet]), endLine(quiet, NOW + 400, { lastAckRecvMs: 2, unacknowledgedBytes: 65538 }, quiet.id), deltaLine(2, NOW + 1000, [], [quiet.id])]);
    expect(pm.ended[0]!.cause).toBe('reset');
    expect(pm.ended[0]!.evidence.join('\n')).toContain('65538 byte(s) written had never been acknowledged: not an orderly close');
  });

  it('a projection that did not come true is said, and does not decide the cause', async () => {
    const pm = await postMortem([header({ endSource: 'polls' }), snapshotLine(1, NOW, [connection()]), deltaLine(2, NOW + 1000, [], [connection().id])]);
    expect(pm.ended[0]!.cause).toBe('reset');
    expect(pm.ended[0]!.evidence.join('\n')).toContain('was a keepalive drop at 12:10:48.000 UTC: not when it ended');
  });
});

describe('post-mortem: what is and is not a connection that ended', () => {
  it('a connection born and ended between two polls is listed with lastSeen null; a listener or unconnected socket is not', async () => {
    const brief = { family: 'ipv4' as const, localAddress: '10.0.0.1', localPort: 40001, remoteAddress: '10.0.0.3', remotePort: 80 };
    const closedBrief = { ...brief, localPort: 40002 };
    const pm = await postMortem([
      header(),
      snapshotLine(1, NOW, []),
      endLine(brief, NOW + 400, { lastDataRecvMs: 120, lastAckRecvMs: 90 }),
      endLine(closedBrief, NOW + 500),
      endLine({ ...brief, localPort: 8080, remoteAddress: '0.0.0.0', remotePort: 0 }, NOW + 600),
      deltaLine(2, NOW + 1000, [sameAddresses(connection(), { ...closedBrief, id: 'tw', state: 'TIME_WAIT' })]),
    ]);
    expect(pm.ended).toHaveLength(2);
    expect(pm.ended[0]).toMatchObject({ lastSeen: null, cause: 'unknown', localPort: 40001, remotePort: 80, endSource: 'kernel-event', idleAtEndMs: 90, process: null });
    expect(pm.ended[0]!.evidence.join('\n')).toContain('No poll saw this connection');
    expect(pm.ended[1]).toMatchObject({ lastSeen: null, cause: 'closed', localPort: 40002 });
  });

  it('listeners, TIME_WAIT sockets expiring and connects that never completed are not listed', async () => {
    const listener = connection({ id: 'l', state: 'LISTEN', remoteAddress: '0.0.0.0', remotePort: 0 });
    const tw = connection({ id: 'tw', state: 'TIME_WAIT', localPort: 40010 });
    const connecting = connection({ id: 'syn', state: 'SYN_SENT', localPort: 40011 });
    const pm = await postMortem([header(), snapshotLine(1, NOW, [listener, tw, connecting]), deltaLine(2, NOW + 1000, [], ['l', 'tw', 'syn'])]);
    expect(pm.ended).toEqual([]);
    expect(Object.values(pm.byCause).every((n) => n === 0)).toBe(true);
  });

  it('a snapshot after a gap ends what it no longer holds', async () => {
    const other = connection({ id: 'other', localPort: 40020 });
    const pm = await postMortem([header({ endSource: 'polls' }), snapshotLine(1, NOW, [dying, other]), snapshotLine(7, NOW + 4000, [other])]);
    expect(pm.ended.map((e) => e.lastSeen?.id)).toEqual([dying.id]);
    expect(pm.ended[0]).toMatchObject({ endedWindow: [NOW, NOW + 4000] });
  });
});

describe('readPostMortem', () => {
  it('reads a file into a report: the last table aged to its last poll, the rules in force, every connection in scope', async () => {
    const rule: IdleRule = { id: 'app', name: 'nginx', kind: 'application', idleTimeoutSec: 75, match: { localPort: 80 }, enabled: true };
    const alive = connection({ id: 'alive', localPort: 40030, idleMs: 5000, lastSendMs: 7000, lastDataMs: 9000 });
    const dir = mkdtempSync(join(tmpdir(), 'idlewatch-pm-'));
    const path = join(dir, 'recording-20251124T120000Z.ndjson');
    const text = recordingText([
      header(),
      snapshotLine(1, NOW, [dying, alive]),
      endLine(dying, NOW + 1530, { probesSent: 5 }, dying.id),
      { type: 'rules', at: NOW + 1600, rules: [rule] },
      deltaLine(2, NOW + 2000, [], [dying.id]),
    ]);
    // Cut short in the middle of the stop line, as a kill would leave it.
    writeFileSync(path, `${text}{"type":"stop","at":`);
    const report = await readPostMortem(path, NOW + 10_000);
    expect(report.generatedAt).toBe(NOW + 10_000);
    expect(report.history).toEqual([]);
    expect(report.scope).toEqual({ kind: 'all', filter: { text: '', state: null, minIdleSec: null, keepalive: 'any', atRiskOnly: false } });
    expect(report.rules).toEqual([rule]);
    expect(report.snapshot).toMatchObject({ schema: 'idlewatch.snapshot/2', takenAt: NOW + 2000 });
    expect(report.snapshot).not.toHaveProperty('seq');
    expect(report.snapshot.connections).toHaveLength(1);
    expect(report.snapshot.connections[0]).toMatchObject({ id: 'alive', idleMs: 7000, lastSendMs: 9000, lastDataMs: 11_000 });
    expect(report.postMortem).toMatchObject({ recording: { name: 'recording-20251124T120000Z.ndjson', truncated: true, stoppedAt: null, polls: 2 }, byCause: { keepalive: 1 } });
  });

  it('a recording cut short before its first table is an error that says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'idlewatch-pm-'));
    const path = join(dir, 'recording-20251124T120000Z.ndjson');
    writeFileSync(path, recordingText([header()]));
    await expect(readPostMortem(path, NOW)).rejects.toThrow('recording-20251124T120000Z.ndjson holds no poll');
  });
});

describe('post-mortem of recordings made on the real kernel (test/integration/recording-post-mortem.test.ts)', () => {
  const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/recordings/${name}.ndjson`, import.meta.url));
  const summary = (ended: EndedConnection[]) => ended.map((e) => [`${e.localPort}>${e.remotePort}`, e.cause, e.endSource, e.statesSeen.join('>')]);

  it('time=2 intvl=1 probes=3, a silenced peer and a closed pair, with the kernel’s announcements', async () => {
    const { postMortem: pm } = await readPostMortem(fixture('linux-keepalive-and-close-events'), 0);
    expect(pm!.recording).toMatchObject({ endSource: 'kernel-events', polls: 14, truncated: false });
    expect(summary(pm!.ended)).toEqual([
      ['39279>50808', 'closed', 'kernel-event', 'ESTABLISHED'],
      ['50808>39279', 'closed', 'kernel-event', 'ESTABLISHED>TIME_WAIT'],
      ['45246>38177', 'keepalive', 'kernel-event', 'ESTABLISHED'],
      // The silenced side's peer: the RST of the kernel's drop reached it.
      ['38177>45246', 'reset', 'kernel-event', 'ESTABLISHED'],
    ]);
    const keepalive = pm!.ended[2]!;
    expect(Math.abs(keepalive.endedAt - keepalive.projectedDropAt!)).toBeLessThan(10);
    expect(keepalive.idleAtEndMs).toBe(5084);
    expect(keepalive.evidence.join('\n')).toContain('3 keepalive probe(s) unanswered, the limit for this socket (3, read from the socket)');
  });

  it('the same with polls only', async () => {
    const { postMortem: pm } = await readPostMortem(fixture('linux-keepalive-and-close-polls'), 0);
    expect(summary(pm!.ended)).toEqual([
      ['42653>58230', 'closed', 'poll', 'ESTABLISHED'],
      ['58230>42653', 'closed', 'poll', 'ESTABLISHED>TIME_WAIT'],
      ['38847>39640', 'reset', 'poll', 'ESTABLISHED'],
      ['39640>38847', 'keepalive', 'poll', 'ESTABLISHED'],
    ]);
    const keepalive = pm!.ended[3]!;
    expect(keepalive.endedWindow![1] - keepalive.endedWindow![0]).toBeLessThanOrEqual(510);
    expect(keepalive.projectedDropAt).toBeGreaterThanOrEqual(keepalive.endedWindow![0]);
    expect(keepalive.projectedDropAt).toBeLessThanOrEqual(keepalive.endedWindow![1]);
  });

  it('tcp_retries2=3 and data to a silenced peer: retransmit; the announcement kept 4 retransmissions but zeroed unacked', async () => {
    const { postMortem: pm } = await readPostMortem(fixture('linux-retransmit-events'), 0);
    expect(summary(pm!.ended)).toEqual([['35848>33769', 'retransmit', 'kernel-event', 'ESTABLISHED']]);
    const recording = await readRecording(readFileSync(fixture('linux-retransmit-events'), 'utf8'));
    expect(recording.entries.find((e) => e.type === 'end')).toMatchObject({ retransmits: 4, unacked: 0, backoff: 0, probesSent: 0 });
  });
});

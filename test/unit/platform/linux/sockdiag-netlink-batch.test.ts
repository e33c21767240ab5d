import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, NATIVE_DIR, recordedDump, SANITIZE, SANITIZER_ENV, SOCKDIAG_DIR, WARN } from '../../../native/compile';

/**
 * nl_batch_parse (main/platform/linux/sockdiag/netlink-batch.c), run through a small driver
 * built with AddressSanitizer and UndefinedBehaviorSanitizer, on buffers recorded from the
 * kernel (test/fixtures/linux/sockdiag-netlink-dump.hex) and on broken copies of them.
 */

const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const SOCK_DIAG_BY_FAMILY = 20;
const NLM_F_MULTI = 0x2;
const NLM_F_DUMP_INTR = 0x10;
const INET_DIAG_INFO = 2;
const HEADER = 16;
const DIAG_MSG = 72;

interface Rec {
  family: number;
  state: number;
  lport: number;
  rport: number;
  inode: number;
  uid: number;
  timer: number;
  expiresMs: number;
  hasInfo: boolean;
  lastDataRecvMs: number;
  rtoUs: number;
  batch: number;
}

interface Batch {
  records: Rec[];
  status: 'more' | 'done' | 'error';
  appended: number;
  foreign: number;
  unexpected: number;
  interrupted: boolean;
  error: string | null;
}

interface Frame {
  seq: number;
  portid: number;
  bytes: Buffer;
}

let dir = '';
let driver = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'idlewatch-netlink-batch-'));
  driver = join(dir, 'driver');
  const built = compile('cc', driver, [join(NATIVE_DIR, 'netlink-batch-driver.c'), join(SOCKDIAG_DIR, 'netlink-batch.c')], [...SANITIZE, ...WARN]);
  if (!built.ok) throw new Error(`cannot build the netlink-batch driver:\n${built.output}`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function parse(frames: Frame[]): Batch[] {
  const input = Buffer.concat(
    frames.flatMap((f) => {
      const head = Buffer.alloc(12);
      head.writeUInt32LE(f.seq >>> 0, 0);
      head.writeUInt32LE(f.portid >>> 0, 4);
      head.writeUInt32LE(f.bytes.length, 8);
      return [head, f.bytes];
    }),
  );
  const r = spawnSync(driver, { input, encoding: 'utf8', env: { ...process.env, ...SANITIZER_ENV } });
  // A sanitizer finding (read past the buffer, overflow, leak) fails here, whatever was parsed.
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const batches: Batch[] = [];
  let records: Rec[] = [];
  for (const line of r.stdout.split('\n')) {
    const f = line.split(' ');
    if (f[0] === 'R') {
      const n = f.slice(1).map(Number);
      records.push({
        family: n[0]!,
        state: n[1]!,
        lport: n[2]!,
        rport: n[3]!,
        inode: n[4]!,
        uid: n[5]!,
        timer: n[6]!,
        expiresMs: n[7]!,
        hasInfo: n[8] === 1,
        lastDataRecvMs: n[9]!,
        rtoUs: n[10]!,
        batch: n[11]!,
      });
    } else if (f[0] === 'B') {
      batches.push({
        records,
        status: f[1] as Batch['status'],
        appended: Number(f[2]),
        foreign: Number(f[3]),
        unexpected: Number(f[4]),
        interrupted: f[5] === '1',
        error: f[6] === '-' ? null : f.slice(6).join(' '),
      });
      records = [];
    }
  }
  expect(batches).toHaveLength(frames.length);
  return batches;
}

const one = (frame: Frame): Batch => parse([frame])[0]!;

const dump = recordedDump();
/** The first IPv4 buffer: nine diag messages. */
const first = dump[0]!;
const { seq, portid } = first;

/** The byte offsets of the messages in a buffer, read from their nlmsg_len. */
function messageOffsets(bytes: Buffer): number[] {
  const offsets: number[] = [];
  for (let at = 0; at + HEADER <= bytes.length; at += (bytes.readUInt32LE(at) + 3) & ~3) offsets.push(at);
  return offsets;
}

/** A copy of the first buffer with `edit` applied to it. */
function edited(edit: (bytes: Buffer, offsets: number[]) => void): Frame {
  const bytes = Buffer.from(first.bytes);
  edit(bytes, messageOffsets(bytes));
  return { seq, portid, bytes };
}

function message(type: number, payload: Buffer, { flags = NLM_F_MULTI, msgSeq = seq, msgPortid = portid } = {}): Buffer {
  const head = Buffer.alloc(HEADER);
  head.writeUInt32LE(HEADER + payload.length, 0);
  head.writeUInt16LE(type, 4);
  head.writeUInt16LE(flags, 6);
  head.writeUInt32LE(msgSeq, 8);
  head.writeUInt32LE(msgPortid, 12);
  const padding = Buffer.alloc((4 - (payload.length % 4)) % 4);
  return Buffer.concat([head, payload, padding]);
}

function int32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value);
  return b;
}

/** An established IPv4 inet_diag_msg, then its attributes. */
function diag({ family = 2, inode = 777 } = {}, ...attributes: Buffer[]): Buffer {
  const d = Buffer.alloc(DIAG_MSG);
  d.writeUInt8(family, 0);
  d.writeUInt8(1, 1); // ESTABLISHED
  d.writeUInt16BE(40000, 4);
  d.writeUInt16BE(443, 6);
  d.writeUInt32LE(inode, 68);
  return Buffer.concat([d, ...attributes]);
}

function attribute(type: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(4 + payload.length, 0);
  head.writeUInt16LE(type, 2);
  return Buffer.concat([head, payload, Buffer.alloc((4 - (payload.length % 4)) % 4)]);
}

describe('nl_batch_parse on a recorded dump', () => {
  let batches: Batch[] = [];
  let v4: Rec[] = [];
  let v6: Rec[] = [];
  beforeAll(() => {
    batches = parse(dump);
    v4 = batches.slice(0, 3).flatMap((b) => b.records);
    v6 = batches.slice(3).flatMap((b) => b.records);
  });

  it('reads every buffer to the end and stops at NLMSG_DONE', () => {
    expect(batches.map((b) => [b.status, b.appended])).toEqual([
      ['more', 9],
      ['more', 18],
      ['done', 0],
      ['more', 3],
      ['done', 0],
    ]);
    expect(batches.every((b) => b.error === null && b.foreign === 0 && b.unexpected === 0 && !b.interrupted)).toBe(true);
  });

  it('reads each socket with its timer, owner uid and tcp_info, tagged with its buffer', () => {
    expect(v4).toHaveLength(27);
    expect(v4.find((r) => r.lport === 55588)).toMatchObject({ family: 4, state: 1, rport: 8080, timer: 2, hasInfo: true, rtoUs: 204000 });
    expect(v4.find((r) => r.lport === 55588)!.expiresMs).toBeGreaterThan(7_190_000);
    expect(v4.find((r) => r.lport === 8090)).toMatchObject({ state: 10, uid: 65534 });
    expect(v4.find((r) => r.state === 6)).toMatchObject({ lport: 55680, inode: 0, timer: 3, hasInfo: false });
    expect(v6.map((r) => [r.state, r.lport])).toEqual([
      [10, 8443],
      [1, 36292],
      [1, 8443],
    ]);
    batches.forEach((b, i) => expect(b.records.every((r) => r.batch === i)).toBe(true));
  });
});

describe('nl_batch_parse on broken buffers', () => {
  it('stops at a buffer cut inside a message, keeping the records before the cut', () => {
    const b = one({ seq, portid, bytes: first.bytes.subarray(0, 1000) });
    expect(b.status).toBe('error');
    expect(b.records).toHaveLength(2);
    expect(b.error).toMatch(/overruns the buffer/);
  });

  it.each([
    ['4 bytes more than the buffer holds', first.bytes.length + 4],
    ['4 GiB', 0xffffffff],
    ['less than its own header', 8],
    ['zero', 0],
  ])('rejects a message whose nlmsg_len claims %s', (_, length) => {
    const b = one(edited((bytes) => bytes.writeUInt32LE(length, 0)));
    expect(b).toMatchObject({ status: 'error', appended: 0 });
    expect(b.error).toMatch(/overruns the buffer/);
  });

  it('rejects a length that overruns the buffer after messages that fit', () => {
    const b = one(edited((bytes, at) => bytes.writeUInt32LE(bytes.length, at[3]!)));
    expect(b).toMatchObject({ status: 'error', appended: 3 });
  });

  it('rejects a diag message shorter than inet_diag_msg instead of reading past it', () => {
    const short = message(SOCK_DIAG_BY_FAMILY, Buffer.alloc(DIAG_MSG - 4));
    const b = one({ seq, portid, bytes: short });
    expect(b).toMatchObject({ status: 'error', appended: 0 });
    expect(b.error).toMatch(/shorter than inet_diag_msg/);
  });

  it('rejects an NLMSG_ERROR too short to hold struct nlmsgerr', () => {
    const b = one({ seq, portid, bytes: message(NLMSG_ERROR, int32(-1)) });
    expect(b.status).toBe('error');
    expect(b.error).toMatch(/error message of 20 bytes is too short/);
  });

  it('reports the errno of a whole NLMSG_ERROR, and passes over an acknowledgement', () => {
    const original = first.bytes.subarray(0, HEADER);
    expect(one({ seq, portid, bytes: message(NLMSG_ERROR, Buffer.concat([int32(-1), original])) }).error).toBe('netlink: Operation not permitted');
    expect(one({ seq, portid, bytes: message(NLMSG_ERROR, Buffer.concat([int32(-2147483648), original])) }).error).toBe('netlink: error -2147483648');
    const ackMessage = message(NLMSG_ERROR, Buffer.concat([int32(0), original]));
    const ack = one({ seq, portid, bytes: Buffer.concat([ackMessage, message(SOCK_DIAG_BY_FAMILY, diag())]) });
    expect(ack).toMatchObject({ status: 'more', appended: 1, error: null });
  });

  it('reports a dump that failed in the kernel, from the status in NLMSG_DONE', () => {
    expect(one({ seq, portid, bytes: message(NLMSG_DONE, int32(-16)) })).toMatchObject({ status: 'error', error: 'netlink dump: Device or resource busy' });
    expect(one({ seq, portid, bytes: message(NLMSG_DONE, int32(0)) })).toMatchObject({ status: 'done', error: null });
  });

  it('rejects an attribute that runs past the end of its message', () => {
    const b = one(edited((bytes, at) => bytes.writeUInt16LE(0xfff0, at[1]! + HEADER + DIAG_MSG)));
    expect(b.status).toBe('error');
    expect(b.error).toMatch(/attribute of 65520 bytes overruns its message/);
    expect(b.appended).toBe(2); // the record itself was appended before its attributes were read
  });

  it('copies as much tcp_info as the kernel sent, and no more than it knows', () => {
    const rto = Buffer.alloc(12);
    rto.writeUInt32LE(200000, 8); // tcpi_rto sits after 8 bytes of u8 fields
    const b = one({
      seq,
      portid,
      bytes: Buffer.concat([
        message(SOCK_DIAG_BY_FAMILY, diag({ inode: 1 }, attribute(INET_DIAG_INFO, Buffer.alloc(8)))),
        message(SOCK_DIAG_BY_FAMILY, diag({ inode: 2 }, attribute(INET_DIAG_INFO, rto))),
        message(SOCK_DIAG_BY_FAMILY, diag({ inode: 3 }, attribute(INET_DIAG_INFO, Buffer.concat([rto, Buffer.alloc(4000, 0xff)])))),
      ]),
    });
    expect(b.records.map((r) => [r.inode, r.hasInfo, r.rtoUs])).toEqual([
      [1, true, 0],
      [2, true, 200000],
      [3, true, 200000],
    ]);
  });

  it('rejects stray bytes after the last message', () => {
    const b = one({ seq, portid, bytes: Buffer.concat([first.bytes, Buffer.alloc(8)]) });
    expect(b).toMatchObject({ status: 'error', appended: 9 });
    expect(b.error).toMatch(/8 stray bytes/);
  });

  it('skips a diag message of a family other than IPv4 and IPv6', () => {
    const b = one(edited((bytes, at) => bytes.writeUInt8(7, at[0]! + HEADER)));
    expect(b).toMatchObject({ status: 'more', appended: 8, unexpected: 1 });
  });
});

describe('nl_batch_parse keeps to its own dump', () => {
  it('skips every message of another sequence number', () => {
    expect(one({ ...first, seq: seq + 1 })).toMatchObject({ status: 'more', appended: 0, foreign: 9 });
  });

  it('skips every message addressed to another port', () => {
    expect(one({ ...first, portid: portid + 1 })).toMatchObject({ status: 'more', appended: 0, foreign: 9 });
  });

  it('skips one message with a stale sequence number or a foreign port among good ones', () => {
    const b = one(
      edited((bytes, at) => {
        bytes.writeUInt32LE(seq - 1, at[2]! + 8);
        bytes.writeUInt32LE(portid + 7, at[5]! + 12);
      }),
    );
    expect(b).toMatchObject({ status: 'more', appended: 7, foreign: 2 });
  });

  it('does not take a foreign NLMSG_DONE or NLMSG_ERROR for the end of its dump', () => {
    const b = one({
      seq,
      portid,
      bytes: Buffer.concat([
        message(NLMSG_DONE, int32(0), { msgSeq: seq + 1 }),
        message(NLMSG_ERROR, Buffer.concat([int32(-1), first.bytes.subarray(0, HEADER)]), { msgPortid: 1 }),
        message(SOCK_DIAG_BY_FAMILY, diag()),
      ]),
    });
    expect(b).toMatchObject({ status: 'more', appended: 1, foreign: 2, error: null });
  });

  it('reports NLM_F_DUMP_INTR on any message, still reading the records', () => {
    const b = one(edited((bytes, at) => bytes.writeUInt16LE(NLM_F_MULTI | NLM_F_DUMP_INTR, at[4]! + 6)));
    expect(b).toMatchObject({ status: 'more', appended: 9, interrupted: true });
    expect(one({ seq, portid, bytes: message(NLMSG_DONE, int32(0), { flags: NLM_F_MULTI | NLM_F_DUMP_INTR }) })).toMatchObject({
      status: 'done',
      interrupted: true,
    });
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WS_PROTOCOL, WS_TOKEN_PROTOCOL_PREFIX } from '../../../shared/api/wire';
import { callFrame, closeOf, credentialHeaders, ended, frame, parseFrames, rawUpgrade } from './raw-client';
import { ask } from './api-client';
import { makeRendererDir } from './renderer-dir';

/**
 * A client holding the token sends what no WebSocket library would. The server runs as a child
 * process, so a frame that ends it shows as its exit.
 */
const TOKEN = 'test-token-0123456789abcdef';
const CHILD = fileURLToPath(new URL('./serve-child.ts', import.meta.url));
let child: ChildProcess;
let port: number;
let childOutput = '';

beforeAll(async () => {
  // No tsx cache: it would sit in $TMPDIR, where another user could plant code this root process runs.
  child = spawn(process.execPath, ['--import', 'tsx', CHILD, TOKEN, makeRendererDir().dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TSX_DISABLE_CACHE: '1' },
  });
  child.stderr!.on('data', (d) => (childOutput += d));
  port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      childOutput += d;
      const match = /\{"port":(\d+)\}/.exec(childOutput);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the server exited (${code}): ${childOutput}`)));
  });
}, 30_000);
afterAll(() => {
  child?.kill();
});

/** A well-behaved page's socket. */
async function goodClient(): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api`, [WS_PROTOCOL, `${WS_TOKEN_PROTOCOL_PREFIX}${TOKEN}`], { origin: `http://127.0.0.1:${port}` });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}


const text = (s: string) => Buffer.from(s);

describe('idlewatch serve: a malformed frame closes only the client that sent it', () => {
  it.each([
    ['a text message over the size limit (300 kB)', frame('x'.repeat(300_000)), 1009],
    ['invalid UTF-8 in a text message', frame(Buffer.from([0x22, 0xff, 0xfe, 0x22])), 1007],
    ['a frame without the client mask', frame(JSON.stringify({ id: 1, method: 'getRules', args: [] }), { masked: false }), 1002],
    ['a reserved data opcode (0x3)', frame(text('x'), { opcode: 0x3 }), 1002],
    ['a reserved control opcode (0xB)', frame(text('x'), { opcode: 0xb }), 1002],
    ['the RSV1 bit (no compression was agreed)', frame(text('{}'), { rsv: 0x40 }), 1002],
    ['the RSV2 bit', frame(text('{}'), { rsv: 0x20 }), 1002],
    ['a fragmented ping', frame(text('x'), { opcode: 0x9, fin: false }), 1002],
    ['a continuation with nothing to continue', frame(text('x'), { opcode: 0x0 }), 1002],
  ])('%s', async (_, bytes, expectedCode) => {
    const good = await goodClient();
    const bad = await rawUpgrade(port, credentialHeaders(port, TOKEN));
    expect(bad.status).toMatch(/ 101 /);
    // The socket is accepted: a call is answered before the bad frame.
    bad.socket.write(callFrame(1, 'getRules'));
    await expect.poll(() => parseFrames(bad.received).frames.length).toBe(1);

    bad.socket.write(bytes);
    await ended(bad.socket);
    expect(closeOf(parseFrames(bad.received).frames)?.code).toBe(expectedCode);

    expect(child.exitCode, childOutput).toBe(null);
    expect(await ask(good, 2, 'getRules', 3000)).toEqual({ id: 2, result: { ok: true, value: [] } });
    good.close();
  });

  it('survives a client that resets its connection in the middle of a refused upgrade', async () => {
    for (let i = 0; i < 20; i++) {
      const bad = await rawUpgrade(port, { origin: 'http://evil.example' }).catch(() => null);
      bad?.socket.resetAndDestroy();
    }
    const good = await goodClient();
    expect(child.exitCode, childOutput).toBe(null);
    expect(await ask(good, 3, 'getRules', 3000)).toEqual({ id: 3, result: { ok: true, value: [] } });
    good.close();
  });
});

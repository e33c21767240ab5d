import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listDockerContainers, parseContainerList } from '../../../../../main/platform/linux/namespaces/docker-engine';

/** A /containers/json answer shaped like the Engine API v1.43's (test/fixtures/docker/README.md). */
const recorded = readFileSync(new URL('../../../../fixtures/docker/containers-json.json', import.meta.url), 'utf8');

let dir: string;
let server: Server | null = null;
const requests: string[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'idlewatch-docker-'));
  requests.length = 0;
});

afterEach(async () => {
  if (server) {
    server.closeAllConnections();
    await new Promise((resolve) => server!.close(resolve));
    server = null;
  }
  rmSync(dir, { recursive: true, force: true });
});

/** A throwaway Engine on a unix socket of this test's own. */
async function engine(handler: RequestListener): Promise<string> {
  const socketPath = join(dir, 'docker.sock');
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server!.listen(socketPath, resolve));
  return socketPath;
}

describe('the Docker Engine client', () => {
  it("maps running containers' ids to their names from a recorded answer", async () => {
    const socketPath = await engine((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(recorded));
    const answer = await listDockerContainers({ socketPath });
    expect(requests).toEqual(['GET /containers/json']);
    expect(answer.reason).toBeNull();
    expect([...answer.names]).toEqual([
      ['3f2a1b9c0d4e9b8bc9b7fba0ab5aa37f28351f938c773b284a26ad9491afabff', 'web-1'],
      // A legacy link alias ("/web-1/db") is not the container's own name.
      ['20624e991494b3758bd921dd09e269cbd192268d5c1116cedf0ceb6d11784890', 'shop-db-1'],
      ['8a7b6c5d4e3f20191817161514131211100f0e0d0c0b0a090807060504030201', 'metrics-sidecar'],
    ]);
  });

  it('is an empty map with a reason when there is no socket', async () => {
    const answer = await listDockerContainers({ socketPath: join(dir, 'absent.sock') });
    expect(answer).toEqual({ names: new Map(), reason: expect.stringMatching(/no Docker Engine socket \(ENOENT\)/) });
  });

  it('does not talk to something that is not a socket', async () => {
    const path = join(dir, 'docker.sock');
    writeFileSync(path, recorded);
    expect(await listDockerContainers({ socketPath: path })).toEqual({ names: new Map(), reason: `${path} is not a socket` });
  });

  it('gives up after its timeout on an engine that never answers', async () => {
    const socketPath = await engine(() => undefined);
    const started = Date.now();
    const answer = await listDockerContainers({ socketPath, timeoutMs: 100 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(answer).toEqual({ names: new Map(), reason: 'the Docker Engine did not answer within 100 ms' });
  });

  it('is an empty map on an answer that is not JSON', async () => {
    const socketPath = await engine((_req, res) => res.writeHead(200).end('<html>garbage</html>'));
    expect(await listDockerContainers({ socketPath })).toEqual({ names: new Map(), reason: 'the Docker Engine answered something other than JSON' });
  });

  it('is an empty map on an error status', async () => {
    const socketPath = await engine((_req, res) => res.writeHead(500).end('{"message":"server error"}'));
    expect(await listDockerContainers({ socketPath })).toEqual({ names: new Map(), reason: 'the Docker Engine answered HTTP 500' });
  });

  it('stops reading an answer over 4 MiB', async () => {
    const socketPath = await engine((_req, res) => {
      res.writeHead(200);
      res.write('[');
      const filler = `"${'x'.repeat(64 * 1024)}",`;
      // Keeps writing until the client hangs up.
      const more = () => {
        while (res.write(filler));
        res.once('drain', more);
      };
      res.on('error', () => undefined);
      more();
    });
    const answer = await listDockerContainers({ socketPath, timeoutMs: 5000 });
    expect(answer).toEqual({ names: new Map(), reason: "the Docker Engine's answer is over 4194304 bytes" });
  });

  it('skips entries without a usable id or name and keeps the rest', () => {
    const id = 'f'.repeat(64);
    const answer = parseContainerList(
      JSON.stringify([
        { Id: id, Names: ['/ok'], Unknown: { nested: true } },
        { Id: 'short', Names: ['/bad-id'] },
        { Id: 'a'.repeat(64), Names: [] },
        { Id: 'b'.repeat(64) },
        'not an object',
      ]),
    );
    expect([...answer.names]).toEqual([[id, 'ok']]);
    expect(answer.reason).toBe("4 container(s) in the Docker Engine's answer had no usable id or name");
  });

  it('is an empty map when the JSON is not a list', () => {
    expect(parseContainerList('{"message":"page not found"}')).toEqual({
      names: new Map(),
      reason: 'the Docker Engine answered something other than a container list',
    });
  });
});

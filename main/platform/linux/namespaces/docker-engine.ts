/**
 * The names of running Docker containers, from the Docker Engine API over its local socket
 * (GET /containers/json, https://docs.docker.com/reference/api/engine/version/v1.43/#tag/Container/operation/ContainerList).
 * Only a label depends on it: an engine that is absent, refuses us, is slow or answers nonsense
 * gives an empty map and a reason, never an error. What it answers is untrusted text.
 */
import { lstat } from 'node:fs/promises';
import { request } from 'node:http';
import { z } from 'zod';

/** The Engine's socket at its fixed, root-owned place; rootless Docker's per-user socket is not asked. */
export const DOCKER_SOCKET = '/var/run/docker.sock';

const TIMEOUT_MS = 1000;
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** The fields of a ContainerSummary we use; zod drops the rest. */
const ContainerSummarySchema = z.object({
  Id: z.string().regex(/^[0-9a-f]{64}$/),
  Names: z.array(z.string().max(1024)).max(64).nullish(),
});

export interface DockerContainers {
  /** Container id (64 hex) → name without Docker's leading "/". */
  names: Map<string, string>;
  /** Why the map is empty or partial (for a debug line), or null when the engine answered in full. */
  reason: string | null;
}

export interface DockerEngineOptions {
  /** Tests serve a recorded answer on their own socket; production asks the fixed one. */
  socketPath?: string;
  timeoutMs?: number;
}

/** The name Docker shows: "/web-1" → "web-1"; a link alias ("/app/db") only when there is nothing else. */
function containerName(names: string[]): string | null {
  const plain = names.map((n) => n.replace(/^\//, '')).filter((n) => n !== '');
  return plain.find((n) => !n.includes('/')) ?? plain[0] ?? null;
}

function fetchContainers(socketPath: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/containers/json', method: 'GET', headers: { Host: 'docker' }, agent: false }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`the Docker Engine answered HTTP ${res.statusCode}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          reject(new Error(`the Docker Engine's answer is over ${MAX_RESPONSE_BYTES} bytes`));
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    const timer = setTimeout(() => {
      reject(new Error(`the Docker Engine did not answer within ${timeoutMs} ms`));
      req.destroy();
    }, timeoutMs);
    req.on('error', reject);
    req.on('close', () => clearTimeout(timer));
    req.end();
  });
}

/** Parses a /containers/json answer: entries that do not fit are skipped, not fatal. */
export function parseContainerList(body: string): DockerContainers {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { names: new Map(), reason: 'the Docker Engine answered something other than JSON' };
  }
  if (!Array.isArray(json)) return { names: new Map(), reason: 'the Docker Engine answered something other than a container list' };
  const names = new Map<string, string>();
  let skipped = 0;
  for (const item of json) {
    const parsed = ContainerSummarySchema.safeParse(item);
    const name = parsed.success ? containerName(parsed.data.Names ?? []) : null;
    if (parsed.success && name !== null) names.set(parsed.data.Id, name);
    else skipped++;
  }
  return { names, reason: skipped ? `${skipped} container(s) in the Docker Engine's answer had no usable id or name` : null };
}

/** Running containers' names by id; an empty map with the reason when the engine cannot be asked. */
export async function listDockerContainers(options: DockerEngineOptions = {}): Promise<DockerContainers> {
  const socketPath = options.socketPath ?? DOCKER_SOCKET;
  try {
    const st = await lstat(socketPath);
    // Only a socket root (or we) own: another user's socket could feed us names of its choosing.
    if (!st.isSocket()) return { names: new Map(), reason: `${socketPath} is not a socket` };
    if (st.uid !== 0 && st.uid !== process.getuid?.()) return { names: new Map(), reason: `${socketPath} is owned by uid ${st.uid}, not root` };
  } catch (error) {
    return { names: new Map(), reason: `no Docker Engine socket (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` };
  }
  try {
    return parseContainerList(await fetchContainers(socketPath, options.timeoutMs ?? TIMEOUT_MS));
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    return { names: new Map(), reason: code ? `the Docker Engine is unreachable (${code})` : message };
  }
}

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { preferencesFile, defaultConfigDir } from '../core/preferences-file';
import { createIdlewatchService } from '../core/service';
import { createPlatformAdapter } from '../platform/index';
import { startServer } from '../serve/server';

/** The built renderer of this checkout (npm run build). */
export function rendererDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '../../out/renderer');
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Runs browser mode until SIGINT/SIGTERM. */
export async function runServe(options: { host: string; port: number }, say: (line: string) => void): Promise<void> {
  const dir = rendererDir();
  if (!existsSync(join(dir, 'index.html'))) {
    throw new Error(`the UI is not built (${dir} is missing): run \`npm run build\` first.`);
  }
  const service = await createIdlewatchService(createPlatformAdapter(), preferencesFile(join(defaultConfigDir(), 'preferences.json')));
  const server = await startServer({ ...options, rendererDir: dir, service }).catch((error: Error) => {
    service.close();
    throw new Error(`cannot listen on ${options.host}:${options.port}: ${error.message}`);
  });
  if (!LOOPBACK.has(options.host)) say(`Warning: listening on ${options.host}, reachable from the network. Anyone with the URL below can see this machine's connections.`);
  say(`Idlewatch is serving on ${server.url}`);
  say('Open that URL in a browser (the token in it is required). Press Ctrl+C to stop.');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  service.close();
}

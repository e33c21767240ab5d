import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { browserPolicy } from '../core/dispatcher';
import { preferencesFile, defaultConfigDir } from '../core/preferences-file';
import { createIdlewatchService } from '../core/service';
import { createPlatformAdapter } from '../platform/index';
import { isLoopback, startServer } from '../serve/server';

/**
 * The built renderer (npm run build): beside out/cli when this module runs bundled there
 * (out/cli/cli.mjs, in a checkout or unpacked in a package), under out/ when it runs from its
 * source in main/cli/.
 */
export function rendererDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const bundled = basename(here) === 'cli' && basename(dirname(here)) === 'out';
  return join(here, bundled ? '../renderer' : '../../out/renderer');
}

/** Runs browser mode until SIGINT/SIGTERM. */
export async function runServe(options: { host: string; port: number; allowApply: boolean }, say: (line: string) => void): Promise<void> {
  const dir = rendererDir();
  if (!existsSync(join(dir, 'index.html'))) {
    throw new Error(`the UI is not built (${dir} is missing): run \`npm run build\` first.`);
  }
  // The server's dispatcher enforces browser mode's policy; the service says it in ProfilesView.apply.
  const service = await createIdlewatchService(createPlatformAdapter(), preferencesFile(join(defaultConfigDir(), 'preferences.json')), {
    policy: browserPolicy({ allowApply: options.allowApply }),
  });
  const server = await startServer({ ...options, rendererDir: dir, service }).catch(async (error: Error) => {
    await service.close();
    throw new Error(`cannot listen on ${options.host}:${options.port}: ${error.message}`);
  });
  if (options.allowApply) say('Privileged methods are allowed: anyone with the URL below can change this machine\'s keepalive settings.');
  if (!isLoopback(options.host)) say(`Warning: listening on ${options.host}, reachable from the network. Anyone with the URL below can see this machine's connections.`);
  say(`Idlewatch is serving on ${server.url}`);
  say('Open that URL in a browser. The token after "#" is the key to this server: it stays in that browser tab. Press Ctrl+C to stop.');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  await service.close();
}

/**
 * `idlewatch serve`'s server in a process of its own, over the fake core, for tests that must
 * see whether a client can end the process: prints `{"port": N}` once listening.
 * Run: node --import tsx serve-child.ts TOKEN RENDERER_DIR
 */
import { startServer } from '../../../main/serve/server';
import { fakeService } from './fake-service';

const [token, rendererDir] = process.argv.slice(2);
const server = await startServer({ host: '127.0.0.1', port: 0, rendererDir: rendererDir!, service: fakeService().service, token });
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);

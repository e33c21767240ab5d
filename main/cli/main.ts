import { byIdleDescending, filterConnections, NO_FILTER } from '../../shared/connection-filter';
import type { Snapshot } from '../../shared/model';
import { everyConnectionRule } from '../../shared/rules';
import { takeSnapshot } from '../core/snapshot';
import { createPlatformAdapter } from '../platform/index';
import { parseCommand, USAGE, UsageError, type SnapshotCommand } from './options';
import { snapshotJsonChunks } from './snapshot-json';
import { formatSnapshotTable } from './snapshot-table';

// Built to out/main/cli.js (electron.config.ts) and run by main/cli/idlewatch.mjs. `serve`,
// `start` and the profile commands are imported when chosen: `snapshot` should not pay for the
// HTTP server, ws or the core's schemas.

// `idlewatch snapshot | head` closes the pipe early: that is the reader's choice, not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

async function write(text: string): Promise<void> {
  if (!process.stdout.write(text)) await new Promise((resolve) => process.stdout.once('drain', resolve));
}

async function runSnapshot(cmd: SnapshotCommand): Promise<void> {
  const adapter = createPlatformAdapter();
  try {
    const rules = cmd.middleboxIdleSec === null ? [] : [everyConnectionRule('middlebox', cmd.middleboxIdleSec, `middlebox ${cmd.middleboxIdleSec}s`)];
    const snapshot = await takeSnapshot(adapter, { rules });
    const filtered: Snapshot = {
      ...snapshot,
      connections: filterConnections(snapshot.connections, {
        ...NO_FILTER,
        state: cmd.state ?? null,
        minIdleSec: cmd.idleMinSec ?? null,
      }).sort(byIdleDescending),
    };
    if (cmd.json) {
      for (const chunk of snapshotJsonChunks(filtered)) await write(chunk);
    } else {
      await write(formatSnapshotTable(filtered, Date.now()));
    }
  } finally {
    adapter.close();
  }
}

/** Runs the CLI; returns the exit code (0 ok, 1 failed, 2 bad usage). */
export async function main(argv: string[]): Promise<number> {
  try {
    const cmd = parseCommand(argv);
    if (cmd.command === 'help') {
      await write(USAGE);
      return 0;
    }
    const say = (line: string) => process.stdout.write(`${line}\n`);
    switch (cmd.command) {
      case 'serve': {
        const { runServe } = await import('./serve');
        await runServe(cmd, say);
        break;
      }
      case 'start': {
        const { runStart } = await import('./start');
        await runStart(cmd, say);
        break;
      }
      case 'snapshot':
        await runSnapshot(cmd);
        break;
      case 'profiles':
      case 'history':
      case 'apply':
      case 'undo': {
        const profiles = await import('./profiles');
        const io = profiles.processIo(write);
        return await profiles.withCore((call) => {
          if (cmd.command === 'apply') return profiles.runApply(cmd, call, io);
          if (cmd.command === 'undo') return profiles.runUndo(call, io);
          return profiles.runProfiles(cmd, call, io);
        });
      }
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`idlewatch: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    process.stderr.write(`idlewatch: ${(error as Error).message}\n`);
    return 1;
  }
}

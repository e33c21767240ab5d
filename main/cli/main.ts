import { byIdleDescending, filterConnections } from '../../shared/connection-filter';
import type { Snapshot } from '../../shared/model';
import { takeSnapshot } from '../core/snapshot';
import { createPlatformAdapter } from '../platform/index';
import { commandFilter, middleboxRules, parseCommand, USAGE, UsageError, type SnapshotCommand } from './options';
import { snapshotJsonChunks } from './snapshot-json';
import { formatSnapshotTable } from './snapshot-table';

// Built to out/main/cli.js (electron.config.ts) and run by main/cli/idlewatch.mjs. `serve`,
// `start`, `report`, `record` and the profile commands are imported when chosen: `snapshot`
// should not pay for the HTTP server, ws, the core's schemas or the report's d3 and CSV writer.

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
    const snapshot = await takeSnapshot(adapter, { rules: middleboxRules(cmd.middleboxIdleSec) });
    const filtered: Snapshot = {
      ...snapshot,
      connections: filterConnections(snapshot.connections, commandFilter(cmd)).sort(byIdleDescending),
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
      case 'report': {
        const { runReport } = await import('./report');
        await runReport(cmd, write);
        break;
      }
      case 'record': {
        const { runRecord } = await import('./record');
        await runRecord(cmd, say);
        break;
      }
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

import { ABOUT, aboutLines } from '../../shared/about';
import { byIdleDescending, filterConnections } from '../../shared/connection-filter';
import type { Snapshot } from '../../shared/model';
import type { PlatformAdapter } from '../../shared/platform-adapter';
import type { IdleRule } from '../../shared/rules';
import { takeSnapshot } from '../core/snapshot';
import { createPlatformAdapter } from '../platform/index';
import { commandFilter, middleboxRules, parseCommand, USAGE, UsageError, type SnapshotCommand } from './options';
import { snapshotJsonChunks } from './snapshot-json';
import { formatSnapshotTable } from './snapshot-table';

// Built to out/cli/cli.mjs (build/cli.config.ts) and run by main/cli/idlewatch.mjs. `serve`,
// `start`, `report`, `record`, `namespaces` and the profile commands are imported when chosen,
// and so are --netns and --all-namespaces: a plain `snapshot` should not pay for the HTTP
// server, ws, the core's schemas, namespace discovery or the report's d3 and CSV writer.

// `idlewatch snapshot | head` closes the pipe early: that is the reader's choice, not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

async function write(text: string): Promise<void> {
  if (!process.stdout.write(text)) await new Promise((resolve) => process.stdout.once('drain', resolve));
}

/** Every namespace in use, merged; where only the current one can be read, that one, and why on stderr. */
async function allNamespacesSnapshot(adapter: PlatformAdapter, rules: IdleRule[]): Promise<Snapshot> {
  const { takeAllNamespacesSnapshot } = await import('../core/namespaces');
  if (!adapter.capabilities.namespaces) {
    process.stderr.write(`idlewatch: only the current network namespace is read: ${adapter.capabilities.namespacesReason ?? 'other namespaces cannot be read here'}\n`);
  }
  return (await takeAllNamespacesSnapshot(adapter, { rules })).snapshot;
}

async function runSnapshot(cmd: SnapshotCommand): Promise<void> {
  const adapter = createPlatformAdapter();
  try {
    const rules = middleboxRules(cmd.middleboxIdleSec);
    let snapshot: Snapshot;
    if (cmd.allNamespaces) {
      snapshot = await allNamespacesSnapshot(adapter, rules);
    } else if (cmd.netns !== null) {
      const { netnsRef } = await import('./netns');
      snapshot = await takeSnapshot(adapter, { rules, namespace: await netnsRef(adapter, cmd.netns) });
    } else {
      snapshot = await takeSnapshot(adapter, { rules });
    }
    const filtered: Snapshot = {
      ...snapshot,
      connections: filterConnections(snapshot.connections, commandFilter(cmd)).sort(byIdleDescending),
    };
    if (cmd.json) {
      for (const chunk of snapshotJsonChunks(filtered)) await write(chunk);
    } else {
      await write(formatSnapshotTable(filtered, Date.now(), { namespaceColumn: cmd.allNamespaces }));
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
    if (cmd.command === 'version') {
      await write(`${aboutLines(ABOUT)[0]}\n`);
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
      case 'namespaces': {
        const { runNamespaces } = await import('./namespaces');
        await runNamespaces(cmd, write);
        break;
      }
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
        return await profiles.withCore((call, namespaces) => {
          if (cmd.command === 'apply') return profiles.runApply(cmd, call, io, namespaces);
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

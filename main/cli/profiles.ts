/**
 * `idlewatch profiles`, `apply`, `undo` and `history`: the command line as one more transport of
 * the one API. It runs the same core as the app (createIdlewatchService with the platform's
 * adapter) through the same dispatcher, so an apply from here takes exactly the app's path:
 * the helper directly as root, else pkexec.
 */
import { createInterface } from 'node:readline/promises';
import { join } from 'node:path';
import type { MethodArgs, MethodResult, MethodName, Preview } from '../../shared/api/contract';
import { ApiFailure, fromResult } from '../../shared/api/result';
import { printable } from '../../shared/format';
import type { NetworkNamespace } from '../../shared/model';
import type { PlatformAdapter } from '../../shared/platform-adapter';
import type { KeepaliveValues } from '../../shared/profiles';
import { createDispatcher, type TransportPolicy } from '../core/dispatcher';
import { defaultConfigDir, preferencesFile } from '../core/preferences-file';
import { createIdlewatchService } from '../core/service';
import { createPlatformAdapter } from '../platform/index';
import { UsageError, type ApplyCommand, type ListCommand } from './options';
import { formatHistory, formatOutcome, formatPersistInstead, formatPreview, formatProfilesView, namespaceName } from './profiles-text';

/** What `--netns` is resolved against (main/cli/netns.ts): the namespaces the adapter lists. */
export type NamespaceLookup = Pick<PlatformAdapter, 'listNamespaces' | 'capabilities'>;

/** The user at the terminal may do what their own rights allow; elevation asks polkit (or they are root). */
export const CLI_POLICY: TransportPolicy = { name: 'the command line', allows: new Set(['read', 'control', 'privileged']) };

/** Calls one method of the API; a bad request becomes a usage error (exit 2). */
export type Call = <M extends MethodName>(method: M, ...args: MethodArgs<M>) => Promise<MethodResult<M>>;

export interface CliIo {
  out(text: string): Promise<void>;
  err(text: string): void;
  /** stdin and stdout are both a terminal: someone can answer a question. */
  interactive: boolean;
  ask(question: string): Promise<string>;
}

export function processIo(write: (text: string) => Promise<void>): CliIo {
  return {
    out: write,
    err: (text) => void process.stderr.write(text),
    interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    async ask(question) {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
  };
}

/** Runs `work` against the core, closing it afterwards; `--netns` is resolved against the same adapter. */
export async function withCore<T>(work: (call: Call, namespaces: NamespaceLookup) => Promise<T>): Promise<T> {
  const adapter = createPlatformAdapter();
  const service = await createIdlewatchService(adapter, preferencesFile(join(defaultConfigDir(), 'preferences.json')), {
    policy: CLI_POLICY,
  });
  const dispatch = createDispatcher(service.api, CLI_POLICY);
  const call: Call = async (method, ...args) => {
    try {
      return fromResult(await dispatch(method, args)) as MethodResult<typeof method>;
    } catch (error) {
      if (error instanceof ApiFailure && error.code === 'bad-request') throw new UsageError(error.message);
      throw error;
    }
  };
  try {
    return await work(call, adapter);
  } finally {
    await service.close();
  }
}

export async function runProfiles(cmd: ListCommand, call: Call, io: CliIo): Promise<number> {
  const view = await call('getProfiles');
  if (cmd.command === 'history') await io.out(cmd.json ? `${JSON.stringify(view.history, null, 2)}\n` : formatHistory(view.history));
  else await io.out(cmd.json ? `${JSON.stringify(view, null, 2)}\n` : formatProfilesView(view));
  return 0;
}

/** The namespace `--netns` names when it is not the one Idlewatch runs in; null for that one (or no --netns). */
async function otherNamespace(cmd: ApplyCommand, namespaces: NamespaceLookup | undefined): Promise<NetworkNamespace | null> {
  if (cmd.netns === null) return null;
  if (!namespaces) throw new UsageError('--netns: no namespaces to look it up in');
  const { resolveNetns } = await import('./netns');
  const found = await resolveNetns(namespaces, cmd.netns);
  return found.current ? null : found;
}

/**
 * `idlewatch apply`: the preview, then (unless --dry-run) a question only when someone is at a
 * terminal and did not say --yes — so scripts and `sudo idlewatch apply …` just work — then the
 * apply and its outcome. Exit 0 applied, 1 anything else (nothing changed, or the message says what is left).
 *
 * With --netns naming another namespace (a container's), the preview is of that namespace's
 * connections and settings, the apply is at run time only (what the default --persist becomes:
 * an explicit --persist is refused by the options), and instead of persisting the command
 * prints the container engine's lines that would.
 */
export async function runApply(cmd: ApplyCommand, call: Call, io: CliIo, namespaces?: NamespaceLookup): Promise<number> {
  const other = await otherNamespace(cmd, namespaces);
  const persist = other ? false : cmd.persist;
  const where = other ? { namespace: other.id } : null;
  let preview: Preview | null = null;
  try {
    preview = where ? await call('previewProfile', cmd.profile, where) : await call('previewProfile', cmd.profile);
  } catch (error) {
    // A profile that does not resolve is bad usage; a preview that cannot be computed (the
    // socket table unreadable) does not stop an apply, only a dry run.
    if (error instanceof UsageError || cmd.dryRun) throw error;
    io.err(`idlewatch: no preview of the open connections: ${printable((error as Error).message)}\n`);
  }
  if (preview) await io.out(formatPreview(preview, persist, other));
  const persistInstead = (values: KeepaliveValues) => (other ? formatPersistInstead(values, other) : '');
  if (preview && other) await io.out(persistInstead(preview.profile));
  if (cmd.dryRun) {
    await io.out('Dry run: nothing was changed.\n');
    return 0;
  }
  if (!cmd.yes && io.interactive) {
    const what = preview ? printable(preview.profile.id) : printable(cmd.profile);
    const when = other ? ` to ${namespaceName(other)}, at run time only` : persist ? ' now and for the next boot' : ' until the next boot';
    const answer = await io.ask(`Apply ${what}${when}? [y/N] `);
    if (!/^\s*y(es)?\s*$/i.test(answer)) {
      io.err('Not applied: nothing was changed.\n');
      return 1;
    }
  }
  const { entry } = await call('applyProfile', cmd.profile, { persist, ...where });
  // Without a preview, the lines that persist it come after: with the values it applied.
  if (!preview && other && entry.outcome === 'applied' && entry.after) await io.out(persistInstead(entry.after));
  return report(entry, io);
}

export async function runUndo(call: Call, io: CliIo): Promise<number> {
  const { entry } = await call('undoLastApply');
  return report(entry, io);
}

async function report(entry: MethodResult<'applyProfile'>['entry'], io: CliIo): Promise<number> {
  if (entry.outcome === 'applied') {
    await io.out(formatOutcome(entry));
    return 0;
  }
  io.err(`idlewatch: ${entry.outcome}: ${formatOutcome(entry)}`);
  return 1;
}

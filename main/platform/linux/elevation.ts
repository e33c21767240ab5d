/**
 * Running the elevated helper `idlewatch-keepalive` as root (KEEPALIVE.md §6, DESIGN.md
 * "Security model"). As root it runs directly — the installed helper when there is one, else
 * this build's out/bin/ copy — once assertSafeToRunAsRoot has checked that no other user could
 * have replaced it. Otherwise `pkexec <installed helper> …`, so polkit matches the project's
 * action by its `org.freedesktop.policykit.exec.path` (the same action whatever the argv: a
 * namespace changes nothing there). Always execFile with an argv of a verb, decimal numbers and,
 * for another network namespace, `--netns pid PID INODE` or `--netns name NAME INODE` (an
 * `ip netns` name of [A-Za-z0-9_.-]): no shell, no path, nothing from the environment.
 */
import { execFile, type ExecFileException } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkValues, profileSpec, type KeepaliveValues } from '../../../shared/profiles';
import type { KeepaliveOutcome } from '../../../shared/platform-adapter';
import { parseHelperOutput, type HelperOutput } from './keepalive-helper-output';
import { entryArgs, type NamespaceEntry } from './namespaces/entry';
import { assertSafeToRunAsRoot } from '../run-as-root';
import { sockdiagBinaryBeside } from './sockdiag-process';

/** Where packages install the helper; the polkit action's exec.path names exactly this. */
export const INSTALLED_HELPER = '/usr/libexec/idlewatch/idlewatch-keepalive';
/** pkexec at its Debian path: a setuid program, never looked up on $PATH. */
export const PKEXEC = '/usr/bin/pkexec';
/** The helper's state directory (fixed in the helper too). */
export const STATE_DIR = '/var/lib/idlewatch';
export const HISTORY_FILE = join(STATE_DIR, 'history');
/** Written before any change, removed after a verified success or a completed rollback. */
export const JOURNAL_FILE = join(STATE_DIR, 'apply.journal');

/** This build's helper: out/bin/ beside idlewatch-sockdiag (the same fixed-place rule). */
export function builtHelperPath(): string {
  return join(dirname(sockdiagBinaryBeside(dirname(fileURLToPath(import.meta.url)))), 'idlewatch-keepalive');
}

/** Another network namespace than Idlewatch's: how the helper enters it, and how a person knows it (for messages only). */
export interface HelperNamespace {
  entry: NamespaceEntry;
  label: string;
}

export type HelperRequest =
  | { verb: 'apply'; values: KeepaliveValues; persist: boolean; namespace?: HelperNamespace }
  /** Without a namespace the helper re-enters the one the last apply changed, the way it did then. */
  | { verb: 'undo'; namespace?: HelperNamespace }
  | { verb: 'recover' };

/** Why another namespace is never persisted (the helper refuses it too). */
export const NAMESPACE_NOT_PERSISTED =
  'another network namespace is never persisted: it has no /etc/sysctl.d of its own (the container engine\'s sysctl option persists it)';

function netnsArgs(namespace: HelperNamespace | undefined): string[] {
  if (!namespace) return [];
  try {
    return ['--netns', ...entryArgs(namespace.entry)];
  } catch (error) {
    throw new RangeError((error as Error).message);
  }
}

/**
 * The helper's argv after its path: a fixed verb, decimal numbers, and the way into another
 * namespace. The ranges and the entry are checked here as well as in the core and in the
 * helper: nothing out of range is ever passed on.
 */
export function helperArgs(request: HelperRequest): string[] {
  if (request.verb === 'recover') return ['recover'];
  if (request.verb === 'undo') return ['undo', ...netnsArgs(request.namespace)];
  const checked = checkValues(request.values);
  if (!checked.ok) throw new RangeError(checked.error);
  if (request.persist && request.namespace) throw new RangeError(NAMESPACE_NOT_PERSISTED);
  const { timeSec, intervalSec, probes } = checked.value;
  return ['apply', String(timeSec), String(intervalSec), String(probes), request.persist ? 'persist' : 'runtime', ...netnsArgs(request.namespace)];
}

/** "network namespace 4026532817 (web-1)": what a message calls another namespace. */
export function namespaceWords(id: string, label: string | null | undefined): string {
  return label && label !== id ? `network namespace ${id} (${label})` : `network namespace ${id}`;
}

/** How the helper is reached from this process. */
export type HelperRoute = { via: 'direct'; path: string } | { via: 'pkexec'; path: string; pkexec: string };

export interface ElevationOptions {
  /** The uid this process runs as; tests pass a non-root one to take the pkexec route. */
  uid?: number;
  /** Tests pass a stand-in for pkexec (a script in a temporary directory). */
  pkexecPath?: string;
  installedHelperPath?: string;
  builtHelperPath?: string;
  /** How long the helper run directly may take. */
  directTimeoutMs?: number;
  /** How long a pkexec run may take, authentication dialog included. */
  pkexecTimeoutMs?: number;
}

/** What one run came to. */
export interface HelperRun {
  outcome: KeepaliveOutcome;
  message: string;
  output: HelperOutput;
}

/** How a child ended, as execFile reports it. */
export interface ChildEnd {
  /** Exit code; null when killed by a signal or when it never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The spawn error's code (ENOENT, EACCES) when it never started. */
  spawnError: string | null;
  /** Killed by our timeout. */
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

const EMPTY_OUTPUT = parseHelperOutput('');
const NOTHING_CHANGED = 'Nothing was changed.';

/** The exact command that would do the same as root, when the caller names none. */
export function helperRootCommand(request: HelperRequest, installedPath = INSTALLED_HELPER): string {
  return `sudo ${installedPath} ${helperArgs(request).join(' ')}`;
}

function lastLine(text: string): string {
  const line = text.trim().split('\n').at(-1)?.trim() ?? '';
  return line.slice(0, 200);
}

/** Plain words on what the helper's values did: "600/60/5 (was 7200/75/9)". */
function valuesMessage(output: HelperOutput): string {
  if (output.after && output.before) return `${profileSpec(output.after)} (was ${profileSpec(output.before)})`;
  if (output.after) return profileSpec(output.after);
  return '';
}

/**
 * Turns how the helper (or pkexec in front of it) ended into an outcome and a message. Pure, so
 * every exit is tested on recorded text. pkexec: 126 the dialog was dismissed, 127 not
 * authorized or no authentication agent (pkexec(1)); the helper never exits with either.
 */
export function interpretHelperEnd(request: HelperRequest, route: HelperRoute, end: ChildEnd, rootCommand: string): HelperRun {
  const asRoot = `To do it as root: ${rootCommand}`;
  const refused = (why: string): HelperRun => ({ outcome: 'refused', message: `${why} ${NOTHING_CHANGED} ${asRoot}`, output: EMPTY_OUTPUT });
  if (end.spawnError !== null) {
    if (route.via === 'pkexec' && end.spawnError === 'ENOENT') return refused(`pkexec is not installed (${route.pkexec}; Debian: apt-get install pkexec).`);
    if (route.via === 'pkexec') return refused(`pkexec (${route.pkexec}) could not be started: ${end.spawnError}.`);
    return refused(`The helper ${route.path} could not be started: ${end.spawnError}.`);
  }
  if (route.via === 'pkexec' && end.code === 126) return refused('The authentication dialog was dismissed.');
  if (route.via === 'pkexec' && end.code === 127) {
    const said = lastLine(end.stderr);
    return refused(`Not authorized to change keepalive settings: no polkit authentication agent answered, or this user is not allowed${said ? ` (pkexec: ${said})` : ''}.`);
  }
  const output = parseHelperOutput(end.stdout);
  const errors = output.errors.join('; ');
  const what = request.verb === 'undo' ? 'Undo' : request.verb === 'recover' ? 'Recovery' : 'Apply';
  if (end.timedOut || end.code === null) {
    const how = end.timedOut ? 'did not finish in time and was stopped' : `was killed by ${end.signal ?? 'a signal'}`;
    return {
      outcome: 'failed',
      message: `${what}: the helper ${how}. An interrupted change is rolled back by the helper's next run (Idlewatch runs it at start as root, or: sudo ${route.path} recover); check the values in force.`,
      output,
    };
  }
  switch (end.code) {
    case 0:
      if (output.status !== 'OK') return { outcome: 'failed', message: `${what}: the helper exited 0 without confirming (no OK line); check the values in force.${errors ? ` ${errors}` : ''}`, output };
      return { outcome: 'applied', message: doneMessage(request, output), output };
    case 1:
      // Rolled back if the helper had changed anything (R says so), else it stopped before changing anything.
      return {
        outcome: 'rolled-back',
        message: `${what} failed: ${[...output.rollbacks, ...output.errors].join('; ') || 'no reason given'}. ${NOTHING_CHANGED}`,
        output,
      };
    case 2:
      return { outcome: 'refused', message: `The helper refused the request: ${errors || 'bad usage'}. ${NOTHING_CHANGED}`, output };
    case 3:
      return { outcome: 'failed', message: `${what} failed and could not be fully rolled back: ${errors || 'no reason given'}`, output };
    default:
      return { outcome: 'failed', message: `${what}: the helper exited with ${end.code}${errors ? `: ${errors}` : ''}; check the values in force.`, output };
  }
}

function doneMessage(request: HelperRequest, output: HelperOutput): string {
  const values = valuesMessage(output);
  const label = request.verb === 'recover' ? null : request.namespace?.label;
  // N: the namespace the helper changed (undo finds it in its own record when none was given).
  const where = output.namespace ? ` in ${namespaceWords(output.namespace, label)}` : '';
  // R lines on success are an interrupted earlier change the helper rolled back first; E lines are warnings.
  const notes = [
    ...output.rollbacks.map((r) => (request.verb === 'recover' ? r : `First, ${r}.`)),
    ...output.errors.map((e) => `Warning: ${e}.`),
  ];
  let done: string;
  if (request.verb === 'recover') done = output.rollbacks.length ? 'An interrupted change was rolled back:' : 'Nothing to recover.';
  else if (request.verb === 'undo') done = `Restored ${values || 'the previous values'}${where}${output.dropIn ? `; ${output.dropIn} restored` : ''}.`;
  else done = `Applied ${values}${where}; ${output.dropIn ? `persisted in ${output.dropIn}` : 'runtime only, not persisted'}.`;
  return [done, ...notes].join(' ');
}

/**
 * The one way Idlewatch runs its elevated helper. Runs are queued: two helpers never race over
 * the journal.
 */
export class KeepaliveElevation {
  private readonly uid: number;
  private readonly pkexec: string;
  private readonly installed: string;
  private readonly built: string;
  private readonly directTimeoutMs: number;
  private readonly pkexecTimeoutMs: number;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: ElevationOptions = {}) {
    this.uid = options.uid ?? process.getuid?.() ?? -1;
    this.pkexec = options.pkexecPath ?? PKEXEC;
    this.installed = options.installedHelperPath ?? INSTALLED_HELPER;
    this.built = options.builtHelperPath ?? builtHelperPath();
    this.directTimeoutMs = options.directTimeoutMs ?? 60_000;
    // A person may take a while with the authentication dialog.
    this.pkexecTimeoutMs = options.pkexecTimeoutMs ?? 10 * 60_000;
  }

  get isRoot(): boolean {
    return this.uid === 0;
  }

  /** How the helper would be reached, or why it cannot be. No process is started. */
  route(): { route: HelperRoute } | { refusal: string } {
    if (this.isRoot) {
      const path = existsSync(this.installed) ? this.installed : existsSync(this.built) ? this.built : null;
      if (path === null) {
        return { refusal: `The helper idlewatch-keepalive is neither installed (${this.installed}) nor built (${this.built}): run \`npm run build\`.` };
      }
      // Whatever runs as root here must be writable by root alone, installed or built.
      try {
        assertSafeToRunAsRoot(path);
      } catch (error) {
        return { refusal: `${(error as Error).message}.` };
      }
      return { route: { via: 'direct', path } };
    }
    // pkexec needs the installed path: the polkit action matches it exactly. An AppImage (or a
    // checkout) cannot put it there: root cannot even read an AppImage's FUSE mount.
    if (!existsSync(this.installed)) {
      return {
        refusal: `The elevated helper is not installed at ${this.installed} (with its polkit action), which pkexec needs: the deb and rpm packages install both; an AppImage or a checkout cannot.`,
      };
    }
    if (!existsSync(this.pkexec)) return { refusal: `pkexec is not installed (${this.pkexec}; Debian: apt-get install pkexec).` };
    return { route: { via: 'pkexec', path: this.installed, pkexec: this.pkexec } };
  }

  availability(genericRootCommand = 'sudo idlewatch apply PROFILE'): { available: boolean; reason: string | null } {
    const found = this.route();
    if ('route' in found) return { available: true, reason: null };
    return { available: false, reason: `${found.refusal} As root: ${genericRootCommand}` };
  }

  /** Runs the helper once (queued after any run in flight). */
  run(request: HelperRequest, rootCommand?: string): Promise<HelperRun> {
    const args = helperArgs(request);
    const command = rootCommand ?? helperRootCommand(request, this.installed);
    const next = this.queue.then(() => this.runNow(request, args, command));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async runNow(request: HelperRequest, args: string[], rootCommand: string): Promise<HelperRun> {
    const found = this.route();
    if ('refusal' in found) {
      return { outcome: 'refused', message: `${found.refusal} ${NOTHING_CHANGED} To do it as root: ${rootCommand}`, output: EMPTY_OUTPUT };
    }
    const { route } = found;
    const [file, argv, timeoutMs] =
      route.via === 'direct' ? [route.path, args, this.directTimeoutMs] : [route.pkexec, [route.path, ...args], this.pkexecTimeoutMs];
    const end = await runChild(file, argv, timeoutMs);
    return interpretHelperEnd(request, route, end, rootCommand);
  }
}

/** execFile, never a shell; a small fixed environment (pkexec clears it anyway). */
function runChild(file: string, args: string[], timeoutMs: number): Promise<ChildEnd> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        shell: false,
        timeout: timeoutMs,
        killSignal: 'SIGTERM',
        maxBuffer: 1024 * 1024,
        encoding: 'utf8',
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
      },
      (error: ExecFileException | null, stdout: string, stderr: string) => {
        // A string code is a spawn failure (ENOENT, EACCES); too much output is a kill, not one.
        const spawnError = error && typeof error.code === 'string' && error.code !== 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER' ? error.code : null;
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
          signal: (error?.signal as NodeJS.Signals | undefined) ?? null,
          spawnError,
          timedOut: Boolean(error?.killed && error.signal === 'SIGTERM' && spawnError === null),
          stdout,
          stderr,
        });
      },
    );
  });
}

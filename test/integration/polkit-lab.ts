/**
 * Real elevation in tests (../shared/TOOLCHAIN.md "Real elevation in tests"): a private system
 * bus and polkitd inside a mount namespace of their own, with the project's polkit action file
 * (build/polkit/), a test rule that authorizes the user `nobody` (or none), and the helper
 * installed at its fixed path /usr/libexec/idlewatch/idlewatch-keepalive. Commands run as
 * `nobody` inside that namespace reach pkexec exactly as an installed app would.
 *
 *   await withPolkit({ authorize: true }, async (lab) => {
 *     const r = await lab.runAsNobody(['pkexec', lab.helperPath, 'apply', '900', '60', '5', 'persist']);
 *     // or the app's own code path: lab.runAsNobody([process.execPath, 'main/cli/idlewatch.mjs', 'apply', 'web-server', '--yes'])
 *   });
 *
 * The namespace is held by a child (`unshare -m … sleep`); every setup step and every command
 * enters it with nsenter, so the test process's own mounts never change. The network namespace is
 * the test's (so the helper sets the test namespace's sysctls), and the drop-in directory and
 * state directory are the test's tmpfs mounts: call only from the integration project, which
 * runs in a throwaway namespace (assertThrowawayPersistence is checked here).
 * Teardown kills, by pid, polkitd, dbus-daemon, anything else left in the namespace, and the holder.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertThrowawayPersistence, sleep } from './lab';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

export const ACTION_ID = 'org.idlewatch.keepalive.apply';
/** The installed path; the action file's org.freedesktop.policykit.exec.path. */
export const INSTALLED_HELPER = '/usr/libexec/idlewatch/idlewatch-keepalive';
export const ACTION_FILE = join(REPO, 'build/polkit/org.idlewatch.keepalive.policy');
export const NOBODY_UID = 65534;
const POLKITD = '/usr/lib/polkit-1/polkitd';

export interface PolkitLabOptions {
  /** Whether a rule in /etc/polkit-1/rules.d authorizes `nobody` for org.idlewatch.keepalive.apply. */
  authorize: boolean;
  /** The binary installed at INSTALLED_HELPER (root-owned, 0755); default out/bin/idlewatch-keepalive. */
  helper?: string;
  /** The action file installed beside the distribution's; default ACTION_FILE (a package's copy in the packaging test). */
  actionFile?: string;
}

export interface RunOptions {
  /** Added to a minimal environment (PATH, HOME=/nonexistent, LANG=C.UTF-8). */
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Working directory inside the namespace; default the repository. */
  cwd?: string;
  timeoutMs?: number;
}

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface PolkitLab {
  /** Where the helper is installed in the lab: INSTALLED_HELPER. */
  helperPath: string;
  /** Runs argv (no shell) as nobody (uid and gid 65534, no supplementary groups) inside the lab. */
  runAsNobody(argv: string[], options?: RunOptions): Promise<RunResult>;
  /** Runs argv (no shell) as root inside the lab. */
  runAsRoot(argv: string[], options?: RunOptions): Promise<RunResult>;
}

/** What the lab needs on this machine, or null when it is all there. */
export function polkitLabMissing(): string | null {
  const onPath = (c: string) => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', c], { stdio: 'ignore' }).status === 0;
  if (!onPath('pkexec')) return 'pkexec is missing (Debian: apt-get install pkexec)';
  if (!existsSync(POLKITD)) return `${POLKITD} is missing (Debian: apt-get install polkitd)`;
  if (!onPath('dbus-daemon') || !onPath('dbus-send')) return 'dbus-daemon or dbus-send is missing (Debian: apt-get install dbus-daemon dbus-bin)';
  if (!onPath('nsenter') || !onPath('setpriv')) return 'nsenter or setpriv is missing (Debian: apt-get install util-linux)';
  return null;
}

/** The test rule: nobody may, nobody else is mentioned (TOOLCHAIN.md). */
const RULE = `polkit.addRule(function (action, subject) {
  if (action.id == "${ACTION_ID}" && subject.user == "nobody") return polkit.Result.YES;
});
`;

/**
 * Sets the mounts up inside the namespace. Fixed text; its inputs are positional arguments:
 * $1 scratch directory (already a tmpfs of the namespace), $2 the helper to install,
 * $3 the action file, $4 1 to install the test rule.
 */
const SETUP = String.raw`set -eu
S=$1
# A private system bus.
if [ -d /run/dbus ]; then mount -t tmpfs -o mode=0755 idlewatch-polkit-lab /run/dbus
else mount -t tmpfs -o mode=0755 idlewatch-polkit-lab /run && mkdir -m 0755 /run/dbus; fi
# The distribution's actions plus ours.
mkdir "$S/actions"
cp -a /usr/share/polkit-1/actions/. "$S/actions/"
install -o root -g root -m 0644 "$3" "$S/actions/org.idlewatch.keepalive.policy"
mount --bind "$S/actions" /usr/share/polkit-1/actions
# Only the test's rule (or none) in /etc/polkit-1/rules.d.
mkdir -m 0755 "$S/rules"
if [ "$4" = 1 ]; then install -o root -g root -m 0644 "$S/rule.js" "$S/rules/90-idlewatch-test.rules"; fi
mkdir -p /etc/polkit-1/rules.d
mount --bind "$S/rules" /etc/polkit-1/rules.d
# The helper at its installed path: a tmpfs over /usr/libexec with the original entries bound back.
mkdir "$S/libexec"
mount --bind /usr/libexec "$S/libexec"
mount -t tmpfs -o mode=0755 idlewatch-polkit-lab /usr/libexec
for entry in "$S"/libexec/* "$S"/libexec/.[!.]*; do
  [ -e "$entry" ] || [ -L "$entry" ] || continue
  name=$(basename "$entry")
  if [ -L "$entry" ]; then ln -s "$(readlink "$entry")" "/usr/libexec/$name"
  elif [ -d "$entry" ]; then mkdir "/usr/libexec/$name" && mount --bind "$entry" "/usr/libexec/$name"
  else touch "/usr/libexec/$name" && mount --bind "$entry" "/usr/libexec/$name"; fi
done
mkdir -m 0755 /usr/libexec/idlewatch
install -o root -g root -m 0755 "$2" /usr/libexec/idlewatch/idlewatch-keepalive
`;

/** nsenter's arguments to run argv in the mount namespace that holder is in. */
function enter(holder: number, argv: string[]): string[] {
  return ['-t', String(holder), '-m', '--', ...argv];
}

function run(argv: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: options.cwd ?? REPO,
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/nonexistent', LANG: 'C.UTF-8', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
    child.stdin.on('error', () => undefined); // a command that exits without reading its input
    child.stdin.end(options.input ?? '');
  });
}

/** Pids of every process whose mount namespace is `ns`, except `except`. */
function processesIn(ns: string, except: number[]): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || except.includes(Number(name))) continue;
    try {
      if (readlinkSync(`/proc/${name}/ns/mnt`) === ns) pids.push(Number(name));
    } catch {
      // exited meanwhile, or not ours to look at
    }
  }
  return pids;
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Sets the lab up, runs body, tears the lab down (also when body throws). One lab at a time:
 * they would share nothing, but the test namespace's sysctls are one.
 */
export async function withPolkit<T>(options: PolkitLabOptions, body: (lab: PolkitLab) => Promise<T>): Promise<T> {
  assertThrowawayPersistence();
  const missing = polkitLabMissing();
  if (missing) throw new Error(`polkit lab: ${missing}`);
  const helper = options.helper ?? join(REPO, 'out/bin/idlewatch-keepalive');
  if (!existsSync(helper)) throw new Error(`polkit lab: ${helper} is missing: run \`npm run build\``);

  const scratch = mkdtempSync(join(tmpdir(), 'idlewatch-polkit-lab-'));
  const ownNs = readlinkSync('/proc/self/ns/mnt');
  let holder: ChildProcess | null = null;
  let labNs: string | null = null;
  const daemons: number[] = [];
  try {
    holder = spawn('unshare', ['-m', '--propagation', 'private', '--', 'sleep', 'infinity'], { stdio: 'ignore' });
    const pid = holder.pid!;
    for (let i = 0; i < 200 && labNs === null; i++) {
      try {
        const ns = readlinkSync(`/proc/${pid}/ns/mnt`);
        if (ns !== ownNs) labNs = ns;
      } catch {
        // not started yet
      }
      if (labNs === null) await sleep(10);
    }
    if (labNs === null) throw new Error('polkit lab: unshare -m did not make a mount namespace');

    // Scratch space that exists only in the lab's namespace.
    execFileSync('nsenter', enter(pid, ['mount', '-t', 'tmpfs', '-o', 'mode=0755', 'idlewatch-polkit-lab', scratch]));
    execFileSync('nsenter', enter(pid, ['sh', '-c', 'cat > "$1"', 'sh', join(scratch, 'rule.js')]), { input: RULE });
    execFileSync('nsenter', enter(pid, ['sh', '-c', SETUP, 'setup', scratch, helper, options.actionFile ?? ACTION_FILE, options.authorize ? '1' : '0']), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });

    const dbus = execFileSync('nsenter', enter(pid, ['dbus-daemon', '--system', '--fork', '--print-pid']), { encoding: 'utf8' });
    daemons.push(Number(dbus.trim().split('\n')[0]));

    const polkitd = spawn('nsenter', enter(pid, [POLKITD, '--no-debug']), { stdio: 'ignore' });
    daemons.push(polkitd.pid!);
    // Ready when it owns its name; asked without activation, so that the bus never starts a second one.
    const owned = () =>
      spawnSync(
        'nsenter',
        enter(pid, [
          'dbus-send',
          '--system',
          '--print-reply',
          '--dest=org.freedesktop.DBus',
          '/org/freedesktop/DBus',
          'org.freedesktop.DBus.NameHasOwner',
          'string:org.freedesktop.PolicyKit1',
        ]),
        { encoding: 'utf8' },
      ).stdout.includes('boolean true');
    for (let i = 0; i < 100 && !owned(); i++) await sleep(50);
    if (!owned()) throw new Error('polkit lab: polkitd did not come up on the private system bus within 5 s');

    const lab: PolkitLab = {
      helperPath: INSTALLED_HELPER,
      runAsNobody: (argv, opts) =>
        run(['nsenter', ...enter(pid, ['setpriv', `--reuid=${NOBODY_UID}`, `--regid=${NOBODY_UID}`, '--clear-groups', '--', ...argv])], opts),
      runAsRoot: (argv, opts) => run(['nsenter', ...enter(pid, argv)], opts),
    };
    return await body(lab);
  } finally {
    for (const pid of daemons) if (pid > 0) kill(pid, 'SIGTERM');
    await sleep(100);
    // Whatever else still runs in the lab (an activated service, a helper left behind) goes too.
    if (labNs) for (const pid of processesIn(labNs, holder?.pid ? [holder.pid] : [])) kill(pid, 'SIGKILL');
    for (const pid of daemons) if (pid > 0) kill(pid, 'SIGKILL');
    if (holder?.pid) kill(holder.pid, 'SIGKILL');
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Keepalive profiles in the core: the view every UI shows (presets, custom profiles, the values
 * in force now and after the next boot, whether applying is possible here, history), the
 * what-if preview over the live connections, and apply / undo through the platform adapter.
 *
 * How outcomes surface (the contract's comment on applyProfile says the same): a request that
 * cannot become an attempt is an ApiFailure — 'bad-request' for an unknown profile or a value
 * out of the kernel's range (naming the field and its range), 'forbidden' from the dispatcher
 * for a transport that does not allow it. An attempt always answers `{ entry, view }`, whatever
 * became of it: applied, rolled-back, failed, or refused (elevation dismissed, not authorized,
 * pkexec or the helper missing) — with the message saying what happened and, on a refusal, the
 * exact root command. A refusal is an event in the machine's history like any other attempt,
 * shown where results are shown, and listed in the history of this session.
 *
 * Another network namespace (a container's): the preview is made from that namespace's
 * connections and settings, the apply is at run time only. Persisting it cannot become an
 * attempt — there is nothing in the namespace to persist to — so it is a 'bad-request'
 * ApiFailure whose message names the container engine's lines that do persist it
 * (shared/container-sysctls.ts). A runtime apply there answers like any other, its entry naming
 * the namespace, its message saying how to keep the values.
 */
import type { ApplyResult, CustomProfile, HistoryEntry, Preview, ProfilesView, SnapshotView } from '../../shared/api/contract';
import type { BootSettings } from '../../shared/api/schemas';
import { ApiFailure } from '../../shared/api/result';
import { persistHint, persistRefusal } from '../../shared/container-sysctls';
import type { Connection, KeepaliveSettings, NetworkNamespace } from '../../shared/model';
import type { KeepaliveChange, KeepaliveRecord, PlatformAdapter } from '../../shared/platform-adapter';
import { PRESETS, profileSpec, resolveProfile, type KeepaliveProfile, type KeepaliveValues } from '../../shared/profiles';
import { previewProfile } from '../../shared/projection/what-if';
import type { IdleRule } from '../../shared/rules';
import { keepaliveValuesOf } from '../../shared/settings';
import { takeSnapshot } from './snapshot';

/** The history the view carries, newest first (the schema's bound). */
export const HISTORY_LIMIT = 200;
const MESSAGE_LIMIT = 2000;
const KERNEL_DEFAULT = PRESETS.find((p) => p.id === 'kernel-default')!;

export interface ProfilesCoreOptions {
  adapter: PlatformAdapter;
  customProfiles: () => readonly CustomProfile[];
  saveCustomProfiles: (profiles: CustomProfile[]) => void;
  rules: () => readonly IdleRule[];
  /** The current snapshot (waits for the first poll). */
  snapshot: () => Promise<SnapshotView>;
  /** A poll that starts now: after an apply the banner and countdowns show the new values. */
  pollNow: () => Promise<void>;
  /** Pushes the `profiles` event. */
  emit: (view: ProfilesView) => void;
  /**
   * Why the transport this core serves does not let its callers apply (browser mode without
   * --allow-apply), or null. The dispatcher enforces it; the view only says it.
   */
  transportRefusal: string | null;
}

/** A KeepaliveSettings of any OS in whole seconds, as profiles speak. */
export const valuesInForce = (settings: KeepaliveSettings): KeepaliveValues => keepaliveValuesOf(settings);

/** What the next boot sets: a value no file sets is the kernel's default. */
export function valuesAfterBoot(boot: BootSettings): KeepaliveValues {
  return {
    timeSec: boot.timeSec ?? KERNEL_DEFAULT.timeSec,
    intervalSec: boot.intervalSec ?? KERNEL_DEFAULT.intervalSec,
    probes: boot.probes ?? KERNEL_DEFAULT.probes,
  };
}

const sameValues = (a: KeepaliveValues, b: KeepaliveValues) => a.timeSec === b.timeSec && a.intervalSec === b.intervalSec && a.probes === b.probes;

/** "persisted, but /etc/sysctl.d/99-sysctl.conf sets net.ipv4.tcp_keepalive_time later and will win at boot", or null. */
export function overrideWarning(boot: BootSettings): string | null {
  if (boot.overriddenBy.length === 0) return null;
  const byPath = new Map<string, string[]>();
  for (const { path, key, value } of boot.overriddenBy) byPath.set(path, [...(byPath.get(path) ?? []), `${key} = ${value}`]);
  const files = [...byPath].map(([path, keys]) => `${path} sets ${keys.join(', ')}`);
  return `Persisted, but ${files.join('; ')} later and will win at boot.`;
}

/**
 * The command that does the same as root; presets by name, anything else by its values (root's
 * saved profiles are not this user's). In another namespace `apply` is at run time by default.
 */
export function rootApplyCommand(profile: KeepaliveProfile, persist: boolean, namespace?: string): string {
  const ref = profile.builtIn ? profile.id : profileSpec(profile);
  if (namespace !== undefined) return `sudo idlewatch apply ${ref} --netns ${namespace}`;
  return `sudo idlewatch apply ${ref}${persist ? '' : ' --no-persist'}`;
}

/** The name a set of values goes by: a preset's or a saved profile's id, else its spec. */
function profileOf(values: KeepaliveValues | null, custom: readonly CustomProfile[]): string | null {
  if (!values) return null;
  return [...PRESETS, ...custom].find((p) => sameValues(p, values))?.id ?? profileSpec(values);
}

/**
 * The system's records of applies and undos as history entries, in their order: an apply is named
 * by the profile its values match. The profiles view and reports (main/report/) both show these.
 */
export function historyEntries(records: readonly KeepaliveRecord[], custom: readonly CustomProfile[]): HistoryEntry[] {
  return records.map((r) => entryOf(r, r.action === 'apply' ? profileOf(r.after, custom) : null));
}

function entryOf(record: KeepaliveRecord, profile: string | null, message = record.message): HistoryEntry {
  return {
    at: record.at,
    user: record.user.slice(0, 256),
    action: record.action,
    profile: profile?.slice(0, 64) ?? null,
    before: record.before,
    after: record.after,
    persisted: record.persisted,
    outcome: record.outcome,
    message: message.slice(0, MESSAGE_LIMIT),
    namespace: record.namespace,
  };
}

/**
 * Whether a system record is the twin of an attempt this session remembers: the helper records
 * what it did (not refusals, nor a failure before it changed anything), with its own clock and,
 * for a rollback, the target rather than what was read back — so `after` is not compared.
 */
const sameEvent = (system: HistoryEntry, session: HistoryEntry) =>
  system.action === session.action &&
  system.namespace === session.namespace &&
  system.outcome === session.outcome &&
  Math.abs(system.at - session.at) < 60_000 &&
  JSON.stringify(system.before) === JSON.stringify(session.before);

export function createProfilesCore(options: ProfilesCoreOptions) {
  const { adapter } = options;
  /** Every attempt of this session; those the system's history does not hold (refusals, early failures) are shown from here. */
  const session: HistoryEntry[] = [];
  /** Recovery of an interrupted apply, started once; applies wait for it. */
  let recovering: Promise<void> = Promise.resolve();

  function resolve(ref: string): KeepaliveProfile {
    const resolved = resolveProfile(ref, options.customProfiles());
    if (!resolved.ok) throw new ApiFailure('bad-request', resolved.error);
    return resolved.value;
  }

  /**
   * The namespace an id names when it is not the one Idlewatch runs in; null for that one. An id
   * the adapter does not list is passed on as it is: the adapter says why it cannot be read.
   */
  async function otherNamespace(id: string | undefined): Promise<NetworkNamespace | { id: string; unlisted: true } | null> {
    if (id === undefined) return null;
    const listed = (await adapter.listNamespaces()).find((n) => n.id === id);
    if (listed) return listed.current ? null : listed;
    return { id, unlisted: true };
  }

  /**
   * A namespace's connections, settings and clock for a preview: from the poller's snapshot when
   * it holds that namespace (alone or among all of them), else read now.
   */
  async function previewSource(id: string | undefined) {
    const polled = await options.snapshot();
    const held = polled.namespaces?.length ? polled.namespaces : [{ namespace: polled.namespace, settings: polled.settings }];
    const match = held.find(({ namespace }) => (id === undefined ? namespace.current : namespace.id === id));
    if (match) {
      const only = held.length === 1 && polled.namespace.id === match.namespace.id;
      const connections: Connection[] = only ? polled.connections : polled.connections.filter((c) => c.netns === match.namespace.id);
      return { connections, settings: match.settings, clock: polled.clock, takenAt: polled.takenAt };
    }
    const taken = await takeSnapshot(adapter, { rules: options.rules(), namespace: id ?? 'current', host: polled.host });
    return { connections: taken.connections, settings: taken.settings, clock: taken.clock, takenAt: taken.takenAt };
  }

  async function view(): Promise<ProfilesView> {
    const custom = options.customProfiles();
    const [settings, boot, records] = await Promise.all([
      adapter.readSettings().catch(() => null),
      adapter.readBootSettings().catch(() => null),
      adapter.readHistory().catch(() => []),
    ]);
    const inForce = settings ? valuesInForce(settings) : null;
    const system = historyEntries(records, custom);
    const unmatched = [...system];
    const own = session.filter((entry) => {
      const twin = unmatched.findIndex((s) => sameEvent(s, entry));
      if (twin < 0) return true;
      unmatched.splice(twin, 1);
      return false;
    });
    return {
      presets: [...PRESETS],
      custom: [...custom],
      inForce,
      afterBoot: boot,
      drift: inForce !== null && boot !== null && !sameValues(inForce, valuesAfterBoot(boot)),
      apply: options.transportRefusal ? { available: false, reason: options.transportRefusal } : adapter.applyAvailability(),
      history: [...system, ...own].sort((a, b) => b.at - a.at).slice(0, HISTORY_LIMIT),
    };
  }

  async function publish(): Promise<ProfilesView> {
    const current = await view();
    options.emit(current);
    return current;
  }

  /**
   * After an attempt: the session remembers it (the view shows it unless the system's history
   * holds its twin), a poll shows the new values, everyone hears of it.
   */
  async function settle(change: KeepaliveChange, entry: HistoryEntry): Promise<ApplyResult> {
    session.push(entry);
    if (session.length > HISTORY_LIMIT) session.shift();
    if (change.outcome !== 'refused') await options.pollNow().catch(() => undefined);
    return { entry, view: await publish() };
  }

  return {
    /** Puts back an apply a crash interrupted (the adapter decides whether it may); applies wait for it. */
    recoverAtStart(): Promise<void> {
      recovering = adapter
        .recoverInterruptedApply()
        .then(async (change) => {
          if (!change) return;
          // The helper recorded the rollback in the system's history; only a recovery that could not run is ours to list.
          if (change.outcome === 'refused') session.push(entryOf(change, null));
          await options.pollNow().catch(() => undefined);
          await publish();
        })
        .catch(() => undefined);
      return recovering;
    },

    getProfiles: view,

    async saveProfiles(profiles: CustomProfile[]): Promise<ProfilesView> {
      options.saveCustomProfiles(profiles);
      return publish();
    },

    async previewProfile(ref: string, { namespace }: { namespace?: string } = {}): Promise<Preview> {
      const profile = resolve(ref);
      const snapshot = await previewSource(namespace);
      return previewProfile(
        {
          connections: snapshot.connections,
          settings: snapshot.settings,
          clock: snapshot.clock,
          now: snapshot.takenAt,
          projector: adapter.projector,
          rules: options.rules(),
        },
        profile,
      );
    },

    async applyProfile(ref: string, { persist, namespace }: { persist: boolean; namespace?: string }): Promise<ApplyResult> {
      const profile = resolve(ref);
      const values = { timeSec: profile.timeSec, intervalSec: profile.intervalSec, probes: profile.probes };
      const other = await otherNamespace(namespace);
      if (other && 'kind' in other && persist) throw new ApiFailure('bad-request', persistRefusal(values, other));
      await recovering;
      const change = await adapter.applyKeepalive(values, {
        persist,
        ...(other ? { namespace: other.id } : {}),
        rootCommand: rootApplyCommand(profile, persist, other?.id),
      });
      let message = change.message;
      if (change.outcome === 'applied' && persist) {
        const boot = await adapter.readBootSettings().catch(() => null);
        const warning = boot && overrideWarning(boot);
        if (warning) message = `${message} ${warning}`;
      }
      if (change.outcome === 'applied' && other && 'kind' in other) message = `${message} ${persistHint(values, other)}`;
      return settle(change, entryOf(change, profile.id, message));
    },

    async undoLastApply(): Promise<ApplyResult> {
      await recovering;
      const change = await adapter.undoKeepalive({ rootCommand: 'sudo idlewatch undo' });
      return settle(change, entryOf(change, null));
    },
  };
}

export type ProfilesCore = ReturnType<typeof createProfilesCore>;

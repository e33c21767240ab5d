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
 */
import type { ApplyResult, CustomProfile, HistoryEntry, Preview, ProfilesView, SnapshotView } from '../../shared/api/contract';
import type { BootSettings } from '../../shared/api/schemas';
import { ApiFailure } from '../../shared/api/result';
import type { KeepaliveSettings } from '../../shared/model';
import type { KeepaliveChange, KeepaliveRecord, PlatformAdapter } from '../../shared/platform-adapter';
import { PRESETS, profileSpec, resolveProfile, type KeepaliveProfile, type KeepaliveValues } from '../../shared/profiles';
import { previewProfile } from '../../shared/projection/what-if';
import type { IdleRule } from '../../shared/rules';
import { keepaliveValuesOf } from '../../shared/settings';

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

/** The command that does the same as root; presets by name, anything else by its values (root's saved profiles are not this user's). */
export function rootApplyCommand(profile: KeepaliveProfile, persist: boolean): string {
  const ref = profile.builtIn ? profile.id : profileSpec(profile);
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
  };
}

/**
 * Whether a system record is the twin of an attempt this session remembers: the helper records
 * what it did (not refusals, nor a failure before it changed anything), with its own clock and,
 * for a rollback, the target rather than what was read back — so `after` is not compared.
 */
const sameEvent = (system: HistoryEntry, session: HistoryEntry) =>
  system.action === session.action &&
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

    async previewProfile(ref: string): Promise<Preview> {
      const profile = resolve(ref);
      const snapshot = await options.snapshot();
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

    async applyProfile(ref: string, { persist }: { persist: boolean }): Promise<ApplyResult> {
      const profile = resolve(ref);
      await recovering;
      const values = { timeSec: profile.timeSec, intervalSec: profile.intervalSec, probes: profile.probes };
      const change = await adapter.applyKeepalive(values, { persist, rootCommand: rootApplyCommand(profile, persist) });
      let message = change.message;
      if (change.outcome === 'applied' && persist) {
        const boot = await adapter.readBootSettings().catch(() => null);
        const warning = boot && overrideWarning(boot);
        if (warning) message = `${message} ${warning}`;
      }
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

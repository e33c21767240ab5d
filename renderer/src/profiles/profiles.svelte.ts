/**
 * The Profiles panel's state: the core's ProfilesView (presets, custom profiles, the settings in
 * force now and after the next boot, whether this transport may apply, the history), the
 * selected profile's preview, and the outcome of the last apply or undo. What is shown is always
 * what the core answered or pushed (the `profiles` event), never a local guess.
 */
import type { ApplyResult, CustomProfile, HistoryEntry, Preview, ProfilesView } from '../../../shared/api/schemas';
import type { KeepaliveSettings } from '../../../shared/model';
import type { KeepaliveValues } from '../../../shared/profiles';
import { keepaliveValuesOf } from '../../../shared/settings';
import type { Bridge } from '../lib/bridge';
import { namespaceOption, type ProfileTarget } from '../namespaces/namespace-model';
import { sameValues } from './profile-words';

/** The outcome of an apply or an undo: the helper's history entry, or the call's failure (refused by the transport, elevation, …). */
export type ActionOutcome = {
  action: 'apply' | 'undo';
  /** The profile applied (id or spec); null for an undo. */
  ref: string | null;
  persist: boolean;
  /** The namespace applied to (its label); null for the host. */
  namespace: string | null;
  /** When the answer came (page clock; for "at 14:03:21"). */
  at: number;
} & ({ entry: HistoryEntry; error: null } | { entry: null; error: { code: string; message: string } });

/** Any OS's settings in whole seconds, as ProfilesView.inForce says them. */
const valuesOf = (settings: KeepaliveSettings): KeepaliveValues => keepaliveValuesOf(settings);

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
const codeOf = (error: unknown) => (error as { code?: unknown })?.code;

export class ProfilesState {
  view = $state.raw<ProfilesView | null>(null);
  loadError = $state<string | null>(null);
  /** The profile to preview: an id (`server`, `custom:db`) or a spec (`600/60/5`). */
  selected = $state<string | null>(null);
  preview = $state.raw<Preview | null>(null);
  /** When the preview arrived (page clock). */
  previewAt = $state<number | null>(null);
  previewError = $state<string | null>(null);
  previewLoading = $state(false);
  saving = $state(false);
  saveError = $state<string | null>(null);
  /** An apply or undo is on its way. */
  busy = $state<'apply' | 'undo' | null>(null);
  outcome = $state.raw<ActionOutcome | null>(null);
  /**
   * The network namespace previews and applies go to: the host (the namespace Idlewatch runs
   * in), another one (runtime only), or none yet (the table shows every namespace: one must be
   * picked). Set by the panel from the namespace selector.
   */
  target = $state.raw<ProfileTarget>({ kind: 'host' });

  readonly #bridge: Bridge;
  /** Only the answer to the latest preview request is shown. */
  #previewSeq = 0;
  #loading: Promise<void> | null = null;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  /** Follows the core's `profiles` event; returns the unsubscribe function. */
  start(): () => void {
    return this.#bridge.on('profiles', (view) => this.#setView(view));
  }

  load(): Promise<void> {
    this.#loading ??= this.#bridge
      .getProfiles()
      .then(
        (view) => this.#setView(view),
        (error) => {
          this.loadError = `Could not load the profiles: ${messageOf(error)}`;
        },
      )
      .finally(() => (this.#loading = null));
    return this.#loading;
  }

  /**
   * The settings a poll read. When they are not the ones the view says are in force, they were
   * changed behind Idlewatch's back (`sysctl -w`, another tool): the view, the cards' marks and
   * the preview's diff are out of date, so they are fetched again.
   */
  followSettings(settings: KeepaliveSettings) {
    const view = this.view;
    if (view === null || view.inForce === null || sameValues(view.inForce, valuesOf(settings))) return;
    void this.load();
  }

  #setView(view: ProfilesView) {
    const previous = this.view;
    this.view = view;
    this.loadError = null;
    // A deleted custom profile cannot stay selected.
    const selected = this.selected;
    if (selected?.startsWith('custom:') && !view.custom.some((p) => p.id === selected)) {
      this.select(null);
      return;
    }
    // Other settings in force (an apply, an undo, someone's sysctl -w): the diff and the what-if changed.
    // (After an apply this is how the preview follows: from the answer's view or the event, whichever comes first.)
    if (selected !== null && previous !== null && !sameValues(previous.inForce, view.inForce)) void this.refreshPreview();
  }

  /** Previews and applies go to `target` from now on; the preview follows it. */
  setTarget(target: ProfileTarget) {
    const before = this.target;
    const same =
      before.kind === target.kind && (before.kind !== 'namespace' || (target.kind === 'namespace' && before.id === target.id));
    this.target = target;
    if (same) return;
    this.outcome = null;
    this.select(this.selected);
  }

  select(ref: string | null) {
    this.selected = ref;
    this.preview = null;
    this.previewAt = null;
    this.previewError = null;
    if (ref !== null) void this.refreshPreview();
    else {
      this.#previewSeq++;
      this.previewLoading = false;
    }
  }

  async refreshPreview(): Promise<void> {
    const ref = this.selected;
    const target = this.target;
    if (ref === null) return;
    const seq = ++this.#previewSeq;
    if (target.kind === 'choose') {
      // Nothing to preview until a namespace is picked: the panel asks for one.
      this.previewLoading = false;
      return;
    }
    this.previewLoading = true;
    try {
      const preview = await this.#bridge.previewProfile(ref, namespaceOption(target));
      if (seq !== this.#previewSeq) return;
      this.preview = preview;
      this.previewAt = Date.now();
      this.previewError = null;
    } catch (error) {
      if (seq !== this.#previewSeq) return;
      this.preview = null;
      this.previewError = messageOf(error);
    } finally {
      if (seq === this.#previewSeq) this.previewLoading = false;
    }
  }

  /** Saves the whole list of custom profiles; true when the core accepted it. */
  async saveCustom(custom: CustomProfile[]): Promise<boolean> {
    this.saving = true;
    try {
      this.#setView(await this.#bridge.saveProfiles(custom));
      this.saveError = null;
      return true;
    } catch (error) {
      this.saveError = `The profiles were not saved: ${messageOf(error)}`;
      return false;
    } finally {
      this.saving = false;
    }
  }

  /** Applies `ref` to the target; another namespace than the host's is never persisted (its engine's sysctl option does that). */
  apply(ref: string, persist: boolean): Promise<void> {
    const target = this.target;
    if (target.kind === 'choose') return Promise.resolve();
    const options = target.kind === 'namespace' ? { persist: false, ...namespaceOption(target) } : { persist };
    const where = target.kind === 'namespace' ? target.label : null;
    return this.#act('apply', ref, options.persist, where, () => this.#bridge.applyProfile(ref, options));
  }

  undo(): Promise<void> {
    return this.#act('undo', null, false, null, () => this.#bridge.undoLastApply());
  }

  dismissOutcome() {
    this.outcome = null;
  }

  async #act(action: 'apply' | 'undo', ref: string | null, persist: boolean, namespace: string | null, run: () => Promise<ApplyResult>) {
    if (this.busy) return;
    this.busy = action;
    this.outcome = null;
    try {
      const result = await run();
      this.outcome = { action, ref, persist, namespace, at: Date.now(), entry: result.entry, error: null };
      this.#setView(result.view);
      // The view speaks of the host: another namespace's new values reach the preview only by asking again.
      if (namespace !== null && this.selected !== null) void this.refreshPreview();
    } catch (error) {
      const code = codeOf(error);
      this.outcome = {
        action,
        ref,
        persist,
        namespace,
        at: Date.now(),
        entry: null,
        error: { code: typeof code === 'string' ? code : 'internal', message: messageOf(error) },
      };
      // The history may hold the refusal: fetch what the core has now.
      void this.load();
    } finally {
      this.busy = null;
    }
  }
}

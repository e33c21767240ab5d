/**
 * The idle-timeout rules as the editor holds them. Every change is sent whole with setRules —
 * the core validates again and the next poll projects with them — and the list shown is what
 * the core answered, so the editor never shows rules that are not in force.
 */
import type { IdleRule } from '../../../shared/rules';
import type { Bridge } from '../lib/bridge';

export class RulesState {
  rules = $state.raw<IdleRule[]>([]);
  loaded = $state(false);
  saving = $state(false);
  /** The last load or save failure, as the core worded it. */
  error = $state<string | null>(null);

  readonly #bridge: Bridge;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  async load(): Promise<void> {
    try {
      this.rules = await this.#bridge.getRules();
      this.loaded = true;
      this.error = null;
    } catch (error) {
      this.error = `Could not load the rules: ${(error as Error).message}`;
    }
  }

  /** Saves `next`; true when the core accepted it. */
  async save(next: IdleRule[]): Promise<boolean> {
    this.saving = true;
    try {
      this.rules = await this.#bridge.setRules(next);
      this.error = null;
      return true;
    } catch (error) {
      this.error = `The rules were not saved: ${(error as Error).message}`;
      return false;
    } finally {
      this.saving = false;
    }
  }

  upsert(rule: IdleRule): Promise<boolean> {
    const exists = this.rules.some((r) => r.id === rule.id);
    return this.save(exists ? this.rules.map((r) => (r.id === rule.id ? rule : r)) : [...this.rules, rule]);
  }

  remove(id: string): Promise<boolean> {
    return this.save(this.rules.filter((r) => r.id !== id));
  }

  setEnabled(id: string, enabled: boolean): Promise<boolean> {
    return this.save(this.rules.map((r) => (r.id === id ? { ...r, enabled } : r)));
  }
}

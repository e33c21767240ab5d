/**
 * The table's sort and filters, kept in localStorage so they survive a restart. What comes back
 * from storage is untrusted (an older version, a hand edit, a truncated write): each field is
 * validated on its own, and a field that does not validate falls back to its default without
 * taking the others with it.
 */
import { z } from 'zod';
import { KEEPALIVE_FILTERS, NO_FILTER, type FilterSpec } from '../../../shared/connection-filter';
import { TCP_STATES } from '../../../shared/model';
import { DEFAULT_SORT, SORT_COLUMNS, type SortSpec } from './table-model';

export const VIEW_STORAGE_KEY = 'idlewatch.view/1';

export interface ViewPreferences {
  sort: SortSpec;
  filter: FilterSpec;
}

export const DEFAULT_VIEW: ViewPreferences = { sort: DEFAULT_SORT, filter: NO_FILTER };

/** A week, as the rules allow: a longer minimum idle time can only be a typo. */
export const MAX_MIN_IDLE_SEC = 604_800;

const SortSchema = z.object({
  column: z.enum(SORT_COLUMNS),
  direction: z.enum(['asc', 'desc']),
});

const FilterSchema = z.object({
  text: z.string().max(200).catch(NO_FILTER.text),
  state: z.enum(TCP_STATES).nullable().catch(NO_FILTER.state),
  minIdleSec: z.number().finite().min(0).max(MAX_MIN_IDLE_SEC).nullable().catch(NO_FILTER.minIdleSec),
  keepalive: z.enum(KEEPALIVE_FILTERS).catch(NO_FILTER.keepalive),
  atRiskOnly: z.boolean().catch(NO_FILTER.atRiskOnly),
});

const ViewSchema = z.object({
  // The sort is one choice: a valid column with a broken direction is reset whole.
  sort: SortSchema.catch(() => ({ ...DEFAULT_SORT })),
  filter: FilterSchema.catch(() => ({ ...NO_FILTER })),
});

/** Reads stored text; anything unreadable becomes the defaults, field by field. */
export function parseViewPreferences(text: string | null): ViewPreferences {
  if (text === null) return structuredClone(DEFAULT_VIEW);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return structuredClone(DEFAULT_VIEW);
  }
  const parsed = ViewSchema.safeParse(raw);
  return parsed.success ? parsed.data : structuredClone(DEFAULT_VIEW);
}

type ReadStorage = Pick<Storage, 'getItem'>;
type WriteStorage = Pick<Storage, 'setItem'>;

/** Storage may be missing or refuse access (privacy settings): the defaults apply then. */
export function loadViewPreferences(storage: ReadStorage | null): ViewPreferences {
  try {
    return parseViewPreferences(storage?.getItem(VIEW_STORAGE_KEY) ?? null);
  } catch {
    return structuredClone(DEFAULT_VIEW);
  }
}

export function saveViewPreferences(storage: WriteStorage | null, preferences: ViewPreferences): void {
  try {
    storage?.setItem(VIEW_STORAGE_KEY, JSON.stringify(preferences));
  } catch {
    // Quota or access errors: the view still works, it just is not remembered.
  }
}

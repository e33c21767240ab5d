/**
 * Runtime schemas of what crosses a transport beyond the model (shared/model/schemas.ts): poll
 * state, rules, the snapshot view and its deltas, errors. Arguments are parsed with these before
 * the core sees them; event payloads are checked by the contract tests.
 */
import { z } from 'zod';
import {
  ClockSchema,
  ConnectionSchema,
  DiagnosticsSchema,
  HostSchema,
  KeepaliveSettingsSchema,
  NamespaceSchema,
} from '../model/schemas';
import { hasControls } from '../labels';
import { parseCidr, type IdleRule } from '../rules';
import { ERROR_CODES, type ApiError } from './result';

const epochMs = z.number().finite();
const port = z.number().int().min(0).max(65535);
const count = z.number().int().min(0);

/** Poll every 0.5 s at the fastest (a 100k-socket dump takes about that long), every minute at the slowest. */
export const PollIntervalMsSchema = z.number().int().min(500).max(60_000);

export const IdleRuleSchema = z
  .object({
    id: z.string().min(1).max(64),
    // A rule's name is shown in the table, the CLI and reports: no control or bidi characters,
    // which would move the cursor or display the name reversed.
    name: z
      .string()
      .trim()
      .min(1)
      .max(80)
      .refine((name) => !hasControls(name), 'no control or bidirectional characters in a rule name'),
    kind: z.enum(['middlebox', 'application']),
    // up to a week: longer than any middlebox or server keeps an idle connection
    idleTimeoutSec: z.number().int().min(1).max(604_800),
    match: z
      .object({
        remotePort: port.min(1).optional(),
        localPort: port.min(1).optional(),
        remoteCidr: z
          .string()
          .max(64)
          .refine((text) => parseCidr(text) !== null, 'not an IP address or network (e.g. 10.0.0.0/8)')
          .optional(),
      })
      .strict(),
    enabled: z.boolean(),
  })
  .strict();

export const IdleRulesSchema = z
  .array(IdleRuleSchema)
  .max(200)
  .refine((rules) => new Set(rules.map((r) => r.id)).size === rules.length, 'rule ids must be unique');

/** What every push carries besides the connections: small, so it is sent whole each time. */
export const SnapshotHeadSchema = z.object({
  seq: count,
  takenAt: epochMs,
  host: HostSchema,
  namespace: NamespaceSchema,
  settings: KeepaliveSettingsSchema,
  clock: ClockSchema,
  diagnostics: DiagnosticsSchema,
  /** How long the poll took (ms). */
  pollMs: z.number().min(0),
});

export const SnapshotViewSchema = SnapshotHeadSchema.extend({ connections: z.array(ConnectionSchema) });

export const SnapshotDeltaSchema = SnapshotHeadSchema.extend({
  /** The snapshot this delta applies to; a receiver holding another one fetches the whole snapshot. */
  baseSeq: count,
  /** New and changed connections. */
  upserts: z.array(ConnectionSchema),
  /** Ids of connections that are gone. */
  removed: z.array(z.string()),
});

export const PollStateSchema = z.object({
  running: z.boolean(),
  intervalMs: PollIntervalMsSchema,
  lastPollAt: epochMs.nullable(),
  lastError: z.string().nullable(),
  /** When the poll now under way started; null between polls. */
  pollStartedAt: epochMs.nullable(),
  /** The poll under way has overrun its interval: what the UI shows is getting stale. */
  late: z.boolean(),
});

export const ApiErrorSchema = z.object({ code: z.enum(ERROR_CODES), message: z.string() });

export type SnapshotHead = z.infer<typeof SnapshotHeadSchema>;
export type SnapshotView = z.infer<typeof SnapshotViewSchema>;
export type SnapshotDelta = z.infer<typeof SnapshotDeltaSchema>;
export type PollState = z.infer<typeof PollStateSchema>;

// rules.ts and result.ts keep zod-free types (the CLI's snapshot path and the preload load them);
// the compiler holds them to their schemas here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameRule: Same<z.infer<typeof IdleRuleSchema>, IdleRule> = true;
const sameError: Same<z.infer<typeof ApiErrorSchema>, ApiError> = true;
void sameRule;
void sameError;

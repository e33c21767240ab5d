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
  SnapshotNamespacesSchema,
} from '../model/schemas';
import { KEEPALIVE_FILTERS } from '../connection-filter';
import { hasControls } from '../labels';
import { TCP_STATES } from '../model/constants';
import { PROFILE_LIMITS, type ProfileField } from '../profiles';
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
  /** The namespace read; for all of them, the one Idlewatch runs in. */
  namespace: NamespaceSchema,
  /** The settings of `namespace`. */
  settings: KeepaliveSettingsSchema,
  /** Every namespace the connections come from, with its settings (to label a namespace column and mark drift). */
  namespaces: SnapshotNamespacesSchema,
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

/**
 * Which network namespace the poller reads: 'current' (the one Idlewatch runs in), 'all' (every
 * one in use, merged; connection ids stay unique), or one by id (NetworkNamespace.id, its inode).
 */
export const NamespaceSelectionSchema = z
  .string()
  .regex(/^(current|all|[0-9]{1,20})$/, "a namespace is 'current', 'all' or a namespace id (its inode, digits)");

export const PollStateSchema = z.object({
  running: z.boolean(),
  intervalMs: PollIntervalMsSchema,
  lastPollAt: epochMs.nullable(),
  lastError: z.string().nullable(),
  /** When the poll now under way started; null between polls. */
  pollStartedAt: epochMs.nullable(),
  /** The poll under way has overrun its interval: what the UI shows is getting stale. */
  late: z.boolean(),
  /** The namespace (or all of them) the poller reads. */
  namespace: NamespaceSelectionSchema,
});

export const ApiErrorSchema = z.object({ code: z.enum(ERROR_CODES), message: z.string() });

export type SnapshotHead = z.infer<typeof SnapshotHeadSchema>;
export type SnapshotView = z.infer<typeof SnapshotViewSchema>;
export type SnapshotDelta = z.infer<typeof SnapshotDeltaSchema>;
export type PollState = z.infer<typeof PollStateSchema>;
export type NamespaceSelection = z.infer<typeof NamespaceSelectionSchema>;

// ---- Network namespaces (main/core/namespaces.ts) ----

/** One network namespace as `listNamespaces` shows it: its settings beside the host's, its sockets. */
export const NamespaceSummarySchema = z.object({
  namespace: NamespaceSchema,
  /** null when they could not be read (it may have just gone: `error` says). */
  settings: KeepaliveSettingsSchema.nullable(),
  /** TCP sockets in it, every state. */
  sockets: count,
  /** Connected sockets idle for a minute or more. */
  idle: count,
  /** Connections a middlebox or the application drops before the kernel's first probe. */
  atRisk: count,
  /** Its keepalive settings (or tcp_retries2) are not the host's. */
  differsFromHost: z.boolean(),
  /** How they differ, in plain words (shared/namespace-drift.ts); null when they do not. */
  note: z.string().max(500).nullable(),
  /** Why it could not be read, or null. */
  error: z.string().max(1000).nullable(),
});

export const NamespacesViewSchema = z.object({
  /** Other namespaces can be read here (Linux, as root). */
  available: z.boolean(),
  /** Why not, when not: shown where the list would be. */
  reason: z.string().max(1000).nullable(),
  /** The id of the namespace Idlewatch runs in: what the others are compared with. */
  host: z.string().min(1).max(64),
  /** The host first, then by label. */
  namespaces: z.array(NamespaceSummarySchema).max(10_000),
});

export type NamespaceSummary = z.infer<typeof NamespaceSummarySchema>;
export type NamespacesView = z.infer<typeof NamespacesViewSchema>;

// rules.ts and result.ts keep zod-free types (the CLI's snapshot path and the preload load them);
// the compiler holds them to their schemas here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameRule: Same<z.infer<typeof IdleRuleSchema>, IdleRule> = true;
const sameError: Same<z.infer<typeof ApiErrorSchema>, ApiError> = true;
void sameRule;
void sameError;

// ---- Keepalive profiles (shared/profiles.ts holds the presets and the limits) ----

const keepaliveField = (field: ProfileField) =>
  z
    .number()
    .int(`${PROFILE_LIMITS[field].label} must be a whole number`)
    .min(PROFILE_LIMITS[field].min)
    .max(PROFILE_LIMITS[field].max);

export const KeepaliveValuesSchema = z.object({
  timeSec: keepaliveField('timeSec'),
  intervalSec: keepaliveField('intervalSec'),
  probes: keepaliveField('probes'),
});

/**
 * Values as read from the system (in force, before and after a change): whole and non-negative,
 * but not bounded by what a profile may set — the sysctls take more (tcp_keepalive_time = 86400
 * is valid to the kernel), and what is read must be shown as read.
 */
export const KeepaliveReadSchema = z.object({
  timeSec: z.number().int().min(0),
  intervalSec: z.number().int().min(0),
  probes: z.number().int().min(0),
});

/** A saved custom profile (presets are not saved: they ship with the code). */
export const CustomProfileSchema = KeepaliveValuesSchema.extend({
  id: z.string().regex(/^custom:[a-z0-9-]{1,40}$/, 'a custom profile id is custom: and a slug'),
  name: z
    .string()
    .trim()
    .min(1)
    .max(60)
    .refine((name) => !hasControls(name), 'no control or bidirectional characters in a profile name'),
  rationale: z.string().max(200).refine((text) => !hasControls(text), 'no control characters'),
  builtIn: z.literal(false),
}).strict();

export const CustomProfilesSchema = z
  .array(CustomProfileSchema)
  .max(100)
  .refine((profiles) => new Set(profiles.map((p) => p.id)).size === profiles.length, 'profile ids must be unique');

export const ProfileSchema = KeepaliveValuesSchema.extend({
  id: z.string().min(1).max(64),
  name: z.string().max(60),
  rationale: z.string().max(200),
  builtIn: z.boolean(),
});

/** A profile by id (`server`, `custom:db`) or by spec (`600/60/5`); resolved and range-checked by the core. */
export const ProfileRefSchema = z.string().trim().min(1).max(64);

/** A namespace a profile is previewed or applied in: its id (NetworkNamespace.id, the inode on Linux). */
export const ProfileNamespaceSchema = z.string().regex(/^\d{1,20}$/, 'a namespace id is its inode, in digits');

/**
 * `persist` for the next boot; `namespace` for another network namespace than the one Idlewatch
 * runs in (absent: that one). Another namespace is applied at run time only: `persist` with it is
 * refused ('bad-request', naming the container engine's lines that persist it instead).
 */
export const ApplyOptionsSchema = z.object({ persist: z.boolean(), namespace: ProfileNamespaceSchema.optional() }).strict();

/** Which namespace's connections and settings a preview is made from (absent: the one Idlewatch runs in). */
export const PreviewOptionsSchema = z.object({ namespace: ProfileNamespaceSchema.optional() }).strict();

/** What the settings will be after the next boot, worked out from the sysctl.d files the way systemd-sysctl and procps read them. */
export const BootSettingsSchema = z.object({
  /** null for a value no file sets (the kernel default applies). */
  timeSec: z.number().int().nullable(),
  intervalSec: z.number().int().nullable(),
  probes: z.number().int().nullable(),
  /** Idlewatch's drop-in, when there is one. */
  dropIn: z.string().nullable(),
  /** Files that set a keepalive key after ours and win at boot, by path, with the key. */
  overriddenBy: z.array(z.object({ path: z.string(), key: z.string(), value: z.number() })),
});

export const HistoryEntrySchema = z.object({
  at: epochMs,
  user: z.string().max(256),
  action: z.enum(['apply', 'undo']),
  /** The profile's id or spec, for an apply. */
  profile: z.string().max(64).nullable(),
  before: KeepaliveReadSchema.nullable(),
  after: KeepaliveReadSchema.nullable(),
  persisted: z.boolean(),
  outcome: z.enum(['applied', 'rolled-back', 'refused', 'failed']),
  message: z.string().max(2000),
  /** The network namespace it changed (its id); null for the one Idlewatch runs in, and for records older than namespaces. */
  namespace: z.string().min(1).max(64).nullable(),
});

export const ProfilesViewSchema = z.object({
  presets: z.array(ProfileSchema),
  custom: CustomProfilesSchema,
  /** The three values in force now, in the namespace Idlewatch runs in. */
  inForce: KeepaliveReadSchema.nullable(),
  afterBoot: BootSettingsSchema.nullable(),
  /** In force now differs from what the next boot will set. */
  drift: z.boolean(),
  /** Whether this transport and machine can apply, and if not, why (shown beside the disabled button). */
  apply: z.object({ available: z.boolean(), reason: z.string().nullable() }),
  /** Applies and undos, newest first. */
  history: z.array(HistoryEntrySchema).max(200),
});

/** One setting, current → new. */
export const SettingChangeSchema = z.object({ field: z.enum(['timeSec', 'intervalSec', 'probes']), key: z.string(), from: z.number(), to: z.number() });

/** One live connection's projection today and under the profile. */
export const WhatIfRowSchema = z.object({
  id: z.string(),
  now: z.object({ nextProbeAt: epochMs.nullable(), dropAt: epochMs.nullable(), dropReason: z.string().nullable(), atRisk: z.boolean() }),
  after: z.object({ nextProbeAt: epochMs.nullable(), dropAt: epochMs.nullable(), dropReason: z.string().nullable(), atRisk: z.boolean() }),
  /**
   * own-settings: the socket overrides the values, the profile does not reach it;
   * armed-timer: its keepalive timer is already armed and keeps its expiry, the new values apply from its next firing;
   * unchanged: keepalive is off or not applicable; null: follows the new values.
   */
  note: z.enum(['own-settings', 'armed-timer', 'unchanged']).nullable(),
});

export const PreviewSchema = z.object({
  profile: ProfileSchema,
  changes: z.array(SettingChangeSchema),
  rows: z.array(WhatIfRowSchema),
  summary: z.object({
    connections: z.number().int(),
    /** At risk from a middlebox/application rule today, safe after. */
    saved: z.number().int(),
    /** Safe today, at risk after. */
    newlyAtRisk: z.number().int(),
    /** Sockets with their own keepalive values: not affected. */
    ownSettings: z.number().int(),
    /** Sockets whose armed timer keeps its expiry: the change reaches them at its next firing. */
    armedTimer: z.number().int(),
    /** Silent-peer detection after the last packet, today and after. */
    detectionNowMs: z.number(),
    detectionAfterMs: z.number(),
  }),
  /** Plain words: detection time, which rules and known middleboxes the profile keeps alive. */
  explanation: z.array(z.string()),
});

export const ApplyResultSchema = z.object({
  entry: HistoryEntrySchema,
  view: ProfilesViewSchema,
});

export type KeepaliveValuesWire = z.infer<typeof KeepaliveValuesSchema>;
export type CustomProfile = z.infer<typeof CustomProfileSchema>;
export type BootSettings = z.infer<typeof BootSettingsSchema>;
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;
export type ProfilesView = z.infer<typeof ProfilesViewSchema>;
export type SettingChange = z.infer<typeof SettingChangeSchema>;
export type WhatIfRow = z.infer<typeof WhatIfRowSchema>;
export type Preview = z.infer<typeof PreviewSchema>;
export type ApplyResult = z.infer<typeof ApplyResultSchema>;

// ---- Reports and recordings (main/report/, main/core/recorder.ts) ----

export const REPORT_FORMATS = ['csv', 'json', 'html', 'pdf'] as const;
export const ReportFormatSchema = z.enum(REPORT_FORMATS);

/** The table's filter (shared/connection-filter.ts), as a report's scope carries it. */
export const FilterSpecSchema = z
  .object({
    text: z.string().max(200),
    state: z.enum(TCP_STATES).nullable(),
    minIdleSec: z.number().int().min(0).max(31_536_000).nullable(),
    keepalive: z.enum(KEEPALIVE_FILTERS),
    atRiskOnly: z.boolean(),
  })
  .strict();

/** A recording's file name in the recordings folder: nothing a client sends can name another path. */
export const RecordingNameSchema = z.string().regex(/^recording-[0-9]{8}T[0-9]{6}Z(-[0-9]{1,3})?\.ndjson$/, 'not a recording name (recording-YYYYMMDDTHHMMSSZ.ndjson)');

export const ExportRequestSchema = z
  .object({
    format: ReportFormatSchema,
    /** 'filtered': what `filter` shows (the app passes its table's filter); 'all': every connection. */
    scope: z.enum(['filtered', 'all']),
    filter: FilterSpecSchema,
    /** A post-mortem of this recording instead of the current snapshot. */
    recording: RecordingNameSchema.nullable(),
  })
  .strict();

/** A report as a file: what the desktop app saves through its dialog and browser mode downloads. */
export const ExportedFileSchema = z.object({
  /** A plain file name (no directory), e.g. idlewatch-myhost-20261125T164500Z.html. */
  fileName: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/),
  mimeType: z.string().max(100),
  /** PDF is binary: base64. */
  encoding: z.enum(['utf8', 'base64']),
  content: z.string(),
});

/** Where the ends of connections come from during a recording. */
export const END_SOURCES = ['kernel-events', 'polls'] as const;

export const RecordingStateSchema = z.object({
  active: z.boolean(),
  /** The file being (or last) written, in the recordings folder. */
  name: RecordingNameSchema.nullable(),
  startedAt: epochMs.nullable(),
  intervalMs: PollIntervalMsSchema.nullable(),
  /** kernel-events: every socket's end with its exact time (Linux, root); polls: what disappears between two polls. */
  endSource: z.enum(END_SOURCES).nullable(),
  /** Why kernel events are not used, when they are not. */
  endSourceNote: z.string().max(500).nullable(),
  /** Connection ends written so far. */
  ends: count,
  bytes: count,
  /** A recording that stopped on its own (disk full, file removed): why. */
  error: z.string().max(1000).nullable(),
});

export const RecordingInfoSchema = z.object({
  name: RecordingNameSchema,
  startedAt: epochMs.nullable(),
  /** null while it is being written, or when it was cut short (a crash): it still reads. */
  stoppedAt: epochMs.nullable(),
  bytes: count,
  endSource: z.enum(END_SOURCES).nullable(),
});

export const StartRecordingSchema = z.object({ intervalMs: PollIntervalMsSchema }).strict();

export type ReportFormat = z.infer<typeof ReportFormatSchema>;
export type ExportRequest = z.infer<typeof ExportRequestSchema>;
export type ExportedFile = z.infer<typeof ExportedFileSchema>;
export type EndSource = (typeof END_SOURCES)[number];
export type RecordingState = z.infer<typeof RecordingStateSchema>;
export type RecordingInfo = z.infer<typeof RecordingInfoSchema>;

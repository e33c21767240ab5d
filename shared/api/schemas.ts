/**
 * Runtime schemas for everything that crosses a transport (Electron IPC, the WebSocket of
 * browser mode). Arguments are parsed with these before the core sees them; event payloads are
 * checked by the contract tests and by the renderer in development.
 */
import { z } from 'zod';
import { DROP_REASONS, TCP_STATES, TIMER_KINDS } from '../model';
import { parseCidr } from '../rules';

const epochMs = z.number().finite();
const port = z.number().int().min(0).max(65535);
const count = z.number().int().min(0);

/** Poll every 0.5 s at the fastest (a 100k-socket dump takes about that long), every minute at the slowest. */
export const PollIntervalMsSchema = z.number().int().min(500).max(60_000);

export const IdleRuleSchema = z
  .object({
    id: z.string().min(1).max(64),
    name: z.string().trim().min(1).max(80),
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

const EffectiveKeepaliveSchema = z.object({
  timeSec: count,
  intervalSec: count,
  probes: count,
  userTimeoutMs: count,
  source: z.enum(['socket', 'assumed']),
});

export const ConnectionSchema = z.object({
  id: z.string().min(1),
  family: z.enum(['ipv4', 'ipv6']),
  state: z.enum(TCP_STATES),
  localAddress: z.string(),
  localPort: port,
  remoteAddress: z.string(),
  remotePort: port,
  pid: count.nullable(),
  process: z.string().nullable(),
  uid: count.nullable(),
  user: z.string().nullable(),
  inode: count.nullable(),
  sendQueue: count,
  recvQueue: count,
  timer: z.enum(TIMER_KINDS),
  timerExpiresAt: epochMs.nullable(),
  probesSent: count,
  retransmits: count,
  rtoMs: z.number().min(0).nullable(),
  idleMs: count.nullable(),
  lastSendMs: count.nullable(),
  lastDataMs: count.nullable(),
  keepalive: z.boolean().nullable(),
  socketKeepalive: z.object({ timeSec: count, intervalSec: count, probes: count, userTimeoutMs: count }).nullable(),
  nextProbeAt: epochMs.nullable(),
  dropAt: epochMs.nullable(),
  dropWindow: z.tuple([epochMs, epochMs]).nullable(),
  dropReason: z.enum(DROP_REASONS).nullable(),
  dropBy: z.string().nullable(),
  atRisk: z.boolean(),
  effective: EffectiveKeepaliveSchema,
});

const SettingsSchema = z.object({
  keepaliveTimeSec: count,
  keepaliveIntervalSec: count,
  keepaliveProbes: count,
  tcpRetries2: count,
});

const HostSchema = z.object({
  hostname: z.string(),
  platform: z.string(),
  distro: z.string(),
  release: z.string(),
  kernel: z.string(),
  arch: z.string(),
});

const ClockSchema = z.object({
  hz: z.number().int().positive(),
  anchor: z.object({ jiffies: z.number(), epochMs }).nullable(),
});

const DiagnosticsSchema = z.object({
  malformedLines: count,
  processesDenied: count,
  unattributedSockets: count,
  processesScanned: count,
  warnings: z.array(z.string()),
});

/** What every push carries besides the connections: small, so it is sent whole each time. */
const SnapshotHeadSchema = z.object({
  seq: count,
  takenAt: epochMs,
  host: HostSchema,
  settings: SettingsSchema,
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
});

export const ApiErrorSchema = z.object({
  code: z.enum(['bad-request', 'forbidden', 'collector', 'internal']),
  message: z.string(),
});

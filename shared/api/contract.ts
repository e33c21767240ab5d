/**
 * The one API between the core and every UI (STYLE.md points 1, 2, 15). Each method has its
 * argument tuple and its result as schemas; its name and capability are in ./channels.ts, and
 * the compiler holds this table to exactly those names. Electron IPC, the WebSocket of browser
 * mode, the renderer's bridges and main/core/dispatcher.ts all derive from here.
 */
import { z } from 'zod';
import type { EventName, MethodName } from './channels';
import { ApiFailure } from './result';
import {
  ApiErrorSchema,
  ApplyOptionsSchema,
  PreviewOptionsSchema,
  ApplyResultSchema,
  ExportedFileSchema,
  ExportRequestSchema,
  RecordingInfoSchema,
  RecordingStateSchema,
  StartRecordingSchema,
  CustomProfilesSchema,
  PreviewSchema,
  ProfileRefSchema,
  ProfilesViewSchema,
  IdleRulesSchema,
  NamespaceSelectionSchema,
  NamespacesViewSchema,
  PollIntervalMsSchema,
  PollStateSchema,
  SnapshotDeltaSchema,
  SnapshotViewSchema,
} from './schemas';

interface MethodSpec {
  args: z.ZodTuple;
  result: z.ZodType;
}

export const METHODS = {
  /** The whole current snapshot; waits for the first poll. */
  getSnapshot: { args: z.tuple([]), result: SnapshotViewSchema },
  getPollState: { args: z.tuple([]), result: PollStateSchema },
  /** Poll every `ms` milliseconds from now on. */
  setPollInterval: { args: z.tuple([PollIntervalMsSchema]), result: PollStateSchema },
  pausePolling: { args: z.tuple([]), result: PollStateSchema },
  resumePolling: { args: z.tuple([]), result: PollStateSchema },
  getRules: { args: z.tuple([]), result: IdleRulesSchema },
  /** Replaces the idle-timeout rules; the next poll projects with them. */
  setRules: { args: z.tuple([IdleRulesSchema]), result: IdleRulesSchema },
  getProfiles: { args: z.tuple([]), result: ProfilesViewSchema },
  saveProfiles: { args: z.tuple([CustomProfilesSchema]), result: ProfilesViewSchema },
  /**
   * What a profile would change, over the live connections: of the namespace Idlewatch runs in,
   * or of another one (`{ namespace }`), with that namespace's settings.
   */
  previewProfile: { args: z.tuple([ProfileRefSchema, PreviewOptionsSchema.optional()]), result: PreviewSchema },
  /**
   * Applies a profile (persisting it when `persist`) through the elevated helper. A request that
   * cannot become an attempt fails: 'bad-request' for an unknown profile or a value out of the
   * kernel's range (the message names the field and its range), 'forbidden' for a transport that
   * does not allow privileged methods. Every attempt answers `{ entry, view }`, whatever became
   * of it: entry.outcome is 'applied', 'rolled-back', 'failed', or 'refused' (the elevation was
   * dismissed or not authorized, pkexec or the helper is missing) — nothing changed unless
   * 'applied' or 'failed', and entry.message says what happened, on a refusal with the exact root
   * command that would do it. Refusals are listed in the history of the running session.
   * `namespace` applies to another network namespace, at run time only: with `persist` it fails
   * 'bad-request', and the message names the container engine's option that persists it
   * (docker run --sysctl, Compose sysctls:, a pod's securityContext.sysctls).
   */
  applyProfile: { args: z.tuple([ProfileRefSchema, ApplyOptionsSchema]), result: ApplyResultSchema },
  /** Restores what was in force before the last apply; outcomes as for applyProfile. */
  undoLastApply: { args: z.tuple([]), result: ApplyResultSchema },
  /**
   * A report in one of four formats. Fails 'bad-request' for an unknown recording, 'unsupported'
   * for PDF where no printer (Electron, or a local Chromium/Chrome) is available: the message
   * names what to install.
   */
  exportReport: { args: z.tuple([ExportRequestSchema]), result: ExportedFileSchema },
  /** Fails 'bad-request' while a recording is already running. */
  startRecording: { args: z.tuple([StartRecordingSchema]), result: RecordingStateSchema },
  /** Stops the recording (if any) and returns its final state. */
  stopRecording: { args: z.tuple([]), result: RecordingStateSchema },
  getRecordingState: { args: z.tuple([]), result: RecordingStateSchema },
  listRecordings: { args: z.tuple([]), result: z.array(RecordingInfoSchema).max(1000) },
  /**
   * Every network namespace in use (Linux, as root; elsewhere or without root, the current one
   * only, with `reason`), each with its settings, sockets, idle and at-risk counts, and how its
   * settings differ from the host's. Reads each namespace once.
   */
  listNamespaces: { args: z.tuple([]), result: NamespacesViewSchema },
  /**
   * Makes the poller read another namespace (or all of them) from the next poll, which runs now.
   * The next delta does not follow the last one (a receiver fetches the whole snapshot). Fails
   * 'bad-request' for an id not among the namespaces in use, 'unsupported' where other
   * namespaces cannot be read (the message says why).
   */
  selectNamespace: { args: z.tuple([NamespaceSelectionSchema]), result: PollStateSchema },
} as const satisfies { [M in MethodName]: MethodSpec };

/** Events the core pushes, with their payload schemas. */
export const EVENTS = {
  /** What changed since the previous poll. */
  delta: SnapshotDeltaSchema,
  pollState: PollStateSchema,
  /** A poll failed; polling goes on. */
  error: ApiErrorSchema,
  /** Profiles, settings in force and history changed (an apply, an undo, saved profiles). */
  profiles: ProfilesViewSchema,
  /** A recording started, stopped, or grew (at most once per poll). */
  recording: RecordingStateSchema,
} as const satisfies { [E in EventName]: z.ZodType };

export type MethodArgs<M extends MethodName> = z.infer<(typeof METHODS)[M]['args']>;
export type MethodResult<M extends MethodName> = z.infer<(typeof METHODS)[M]['result']>;
export type EventPayload<E extends EventName> = z.infer<(typeof EVENTS)[E]>;

/** The API as the core implements it and as the renderer calls it. */
export type IdlewatchApi = {
  [M in MethodName]: (...args: MethodArgs<M>) => Promise<MethodResult<M>>;
};

/** Subscribes to an event; returns the unsubscribe function. */
export type Subscribe = <E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void) => () => void;

/**
 * Parses a method's raw arguments. The dispatcher calls this before the core runs; anything
 * malformed becomes a 'bad-request' failure naming what is wrong.
 */
export function parseArgs<M extends MethodName>(method: M, raw: unknown): MethodArgs<M> {
  const parsed = METHODS[method].args.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
    throw new ApiFailure('bad-request', `${method}: ${issue?.message ?? 'invalid arguments'}${where}`);
  }
  return parsed.data as MethodArgs<M>;
}

export type {
  SnapshotDelta,
  SnapshotView,
  PollState,
  NamespaceSelection,
  NamespaceSummary,
  NamespacesView,
  SnapshotHead,
  ProfilesView,
  Preview,
  ApplyResult,
  HistoryEntry,
  CustomProfile,
  ExportRequest,
  ExportedFile,
  RecordingState,
  RecordingInfo,
  ReportFormat,
} from './schemas';
export type { ApiError, Result } from './result';
export type { Capability, EventName, MethodName } from './channels';
export { ApiFailure, fromResult, toResult } from './result';
export { EVENT_NAMES, METHOD_CAPABILITIES, METHOD_NAMES, callChannel, eventChannel, isEventName, isMethodName } from './channels';

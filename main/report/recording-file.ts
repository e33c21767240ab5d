/**
 * A recording: what the collector saw over time, as NDJSON (one JSON object per line, each with
 * a `type`), written by main/core/recorder.ts and read here. Every line is whole JSON followed by
 * "\n"; the writer ends every write with one, so a last line without it was cut short by a crash
 * or a kill and is skipped (`truncated: true`). Any other line that is not valid stops the read
 * with its line number.
 *
 *   {"type":"header","schema":"idlewatch.recording/1","startedAt","intervalMs","endSource",
 *    "endSourceNote","rules":[IdleRule…],"host":HostInfo}                        first line, once
 *   {"type":"snapshot",…SnapshotView}      the whole table: first, and again whenever a delta
 *                                          would not follow the last one written (a gap)
 *   {"type":"delta",…SnapshotDelta}        one per poll; baseSeq is the seq of the line before
 *   {"type":"end",…SocketEnd,"id"}         one per kernel announcement of a socket's end; `id` is
 *                                          the connection it matched in the last poll (family and
 *                                          4-tuple; TIME_WAIT and LISTEN excluded), else null
 *   {"type":"end-source","at","endSource":"polls","note"}
 *                                          kernel announcements stopped (their helper failed):
 *                                          from here on, ends are what polls see disappear
 *   {"type":"rules","at","rules":[…]}      the idle-timeout rules changed while recording
 *   {"type":"stop","at","reason"}          stopped cleanly; absent when cut short
 *
 * Snapshots and deltas carry their own moment (`takenAt`); the other lines `at`. Lines are in
 * the order written, not strictly by time: an announcement that arrives while a poll is under way
 * is written before that poll's delta, whose table was read before it. Readers order by time.
 *
 * The parsing is pure; reading takes any stream of text or bytes (a file's read stream, a string)
 * and goes line by line, so a recording of many polls is never held whole.
 */
import { z } from 'zod';
import { END_SOURCES, IdleRulesSchema, PollIntervalMsSchema, SnapshotDeltaSchema, SnapshotViewSchema } from '../../shared/api/schemas';
import { HostSchema, TcpStateSchema } from '../../shared/model/schemas';
import type { SocketEnd } from '../../shared/platform-adapter';

export const RECORDING_SCHEMA = 'idlewatch.recording/1';

const epochMs = z.number().finite();
const count = z.number().int().min(0);
const port = z.number().int().min(0).max(65535);
const ageMs = z.number().min(0).nullable();

/** One socket's end as the kernel announced it (shared/platform-adapter.ts `SocketEnd`). */
export const SocketEndSchema = z.object({
  at: epochMs,
  family: z.enum(['ipv4', 'ipv6']),
  finalState: TcpStateSchema,
  localAddress: z.string().max(64),
  localPort: port,
  remoteAddress: z.string().max(64),
  remotePort: port,
  probesSent: count,
  retransmits: count,
  backoff: count,
  unacked: count,
  rtoMs: z.number().min(0).nullable(),
  lastDataRecvMs: ageMs,
  lastAckRecvMs: ageMs,
  lastDataSentMs: ageMs,
  // Absent in recordings made before the kernel's queues were recorded.
  unreadBytes: count.nullable().default(null),
  unacknowledgedBytes: count.nullable().default(null),
});

export const RecordingHeaderSchema = z.object({
  type: z.literal('header'),
  schema: z.literal(RECORDING_SCHEMA),
  startedAt: epochMs,
  intervalMs: PollIntervalMsSchema,
  /** Where ends came from when it started; an `end-source` line says when that changed. */
  endSource: z.enum(END_SOURCES),
  /** Why kernel announcements were not used, when they were not. */
  endSourceNote: z.string().max(1000).nullable(),
  rules: IdleRulesSchema,
  host: HostSchema,
});

export const RecordingSnapshotSchema = SnapshotViewSchema.extend({ type: z.literal('snapshot') });
export const RecordingDeltaSchema = SnapshotDeltaSchema.extend({ type: z.literal('delta') });
// Loose: a field the adapter adds to SocketEnd later is kept, not stripped, by an older reader.
export const RecordingEndSchema = SocketEndSchema.extend({ type: z.literal('end'), id: z.string().max(200).nullable() }).loose();
export const RecordingEndSourceSchema = z.object({
  type: z.literal('end-source'),
  at: epochMs,
  endSource: z.enum(END_SOURCES),
  note: z.string().max(1000),
});
export const RecordingRulesSchema = z.object({ type: z.literal('rules'), at: epochMs, rules: IdleRulesSchema });
export const RecordingStopSchema = z.object({ type: z.literal('stop'), at: epochMs, reason: z.string().max(1000) });

export const RecordingLineSchema = z.discriminatedUnion('type', [
  RecordingHeaderSchema,
  RecordingSnapshotSchema,
  RecordingDeltaSchema,
  RecordingEndSchema,
  RecordingEndSourceSchema,
  RecordingRulesSchema,
  RecordingStopSchema,
]);

export type RecordingHeader = z.infer<typeof RecordingHeaderSchema>;
export type RecordingSnapshot = z.infer<typeof RecordingSnapshotSchema>;
export type RecordingDelta = z.infer<typeof RecordingDeltaSchema>;
export type RecordingEnd = z.infer<typeof RecordingEndSchema>;
export type RecordingEndSource = z.infer<typeof RecordingEndSourceSchema>;
export type RecordingRules = z.infer<typeof RecordingRulesSchema>;
export type RecordingStop = z.infer<typeof RecordingStopSchema>;
export type RecordingLine = z.infer<typeof RecordingLineSchema>;
/** Every line after the header. */
export type RecordingEntry = Exclude<RecordingLine, RecordingHeader>;

// The adapter's interface is zod-free; the compiler holds it to the schema here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameEnd: Same<z.infer<typeof SocketEndSchema>, SocketEnd> = true;
void sameEnd;

/** A recording that cannot be read: names the line (1-based) and what is wrong with it. */
export class RecordingFormatError extends Error {
  constructor(
    readonly lineNo: number,
    problem: string,
  ) {
    super(`line ${lineNo}: ${problem}`);
    this.name = 'RecordingFormatError';
  }
}

/** One line as text: JSON of a line object and its newline. */
export function formatLine(line: RecordingLine): string {
  return `${JSON.stringify(line)}\n`;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : 'line'}: ${issue.message}`)
    .join('; ');
}

/** Parses and checks one line's text. Throws RecordingFormatError naming `lineNo`. */
export function parseLine(text: string, lineNo: number): RecordingLine {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RecordingFormatError(lineNo, `not JSON (${(error as Error).message})`);
  }
  const parsed = RecordingLineSchema.safeParse(json);
  if (!parsed.success) {
    const type = (json as { type?: unknown } | null)?.type;
    throw new RecordingFormatError(lineNo, `not a valid ${typeof type === 'string' ? `"${type.slice(0, 20)}" ` : ''}line: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

/** A recording's text as lines, each with whether its newline was there (the last may lack it). */
export async function* splitLines(source: string | AsyncIterable<string | Uint8Array>): AsyncGenerator<{ text: string; terminated: boolean }> {
  if (typeof source === 'string') {
    let start = 0;
    while (start < source.length) {
      const end = source.indexOf('\n', start);
      if (end === -1) {
        yield { text: source.slice(start), terminated: false };
        return;
      }
      yield { text: source.slice(start, end), terminated: true };
      start = end + 1;
    }
    return;
  }
  // One decoder for the whole stream: a character split across two chunks is joined.
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let tail = '';
  for await (const chunk of source) {
    tail += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let end = tail.indexOf('\n'); end !== -1; end = tail.indexOf('\n', start)) {
      yield { text: tail.slice(start, end), terminated: true };
      start = end + 1;
    }
    tail = tail.slice(start);
  }
  tail += decoder.decode();
  if (tail.length > 0) yield { text: tail, terminated: false };
}

export interface RecordingSummary {
  header: RecordingHeader;
  /** A last line cut short (no newline: a crash or kill during a write) was skipped. */
  truncated: boolean;
  /** Lines read, header included, the skipped one not. */
  lines: number;
}

/**
 * Reads a recording line by line, handing each entry after the header to `visit` in file order.
 * Checks the structure as well as each line: the header comes first and once, a snapshot before
 * any delta, and each delta's baseSeq is the seq of the snapshot or delta before it.
 */
export async function readRecordingEntries(
  source: string | AsyncIterable<string | Uint8Array>,
  visit: (entry: RecordingEntry, lineNo: number) => void,
): Promise<RecordingSummary> {
  let header: RecordingHeader | null = null;
  let seq: number | null = null;
  let lineNo = 0;
  let truncated = false;
  for await (const { text, terminated } of splitLines(source)) {
    lineNo += 1;
    if (!terminated) {
      // Every write ends with "\n": a line without one is the end of a write cut short.
      truncated = true;
      lineNo -= 1;
      break;
    }
    if (text.trim() === '') continue;
    const line = parseLine(text, lineNo);
    if (header === null) {
      if (line.type !== 'header') throw new RecordingFormatError(lineNo, `not an Idlewatch recording: the first line must be its header (schema ${RECORDING_SCHEMA}), found "${line.type}"`);
      header = line;
      continue;
    }
    switch (line.type) {
      case 'header':
        throw new RecordingFormatError(lineNo, 'a second header: two recordings joined into one file?');
      case 'snapshot':
        seq = line.seq;
        break;
      case 'delta':
        if (seq === null) throw new RecordingFormatError(lineNo, 'a delta before any snapshot');
        if (line.baseSeq !== seq) throw new RecordingFormatError(lineNo, `a delta from seq ${line.baseSeq}, but the table before it is seq ${seq}`);
        seq = line.seq;
        break;
    }
    visit(line, lineNo);
  }
  if (header === null) throw new RecordingFormatError(Math.max(1, lineNo), truncated ? 'the recording was cut short before its header was complete' : 'the recording is empty');
  return { header, truncated, lines: lineNo };
}

export interface Recording extends RecordingSummary {
  entries: RecordingEntry[];
}

/** The whole recording in memory: for tests and small files; large ones go through readRecordingEntries. */
export async function readRecording(source: string | AsyncIterable<string | Uint8Array>): Promise<Recording> {
  const entries: RecordingEntry[] = [];
  const summary = await readRecordingEntries(source, (entry) => void entries.push(entry));
  return { ...summary, entries };
}

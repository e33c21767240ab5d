import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readRecording, RecordingFormatError } from '../../../main/report/recording-file';
import { connection } from '../../fixtures/connection';
import { deltaLine, endLine, header, NOW, recordingText, snapshotLine, stopLine } from '../../fixtures/recordings/lines';

const c = connection();
const whole = recordingText([
  header(),
  snapshotLine(1, NOW, [c]),
  deltaLine(2, NOW + 1000, [connection({ probesSent: 1 })]),
  endLine(c, NOW + 1500, { probesSent: 5 }, c.id),
  deltaLine(3, NOW + 2000, [], [c.id]),
  stopLine(NOW + 2100),
]);

async function readError(text: string): Promise<RecordingFormatError> {
  const error = await readRecording(text).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RecordingFormatError);
  return error as RecordingFormatError;
}

describe('reading a recording', () => {
  it('reads every line after the header, in file order, with the header apart', async () => {
    const recording = await readRecording(whole);
    expect(recording.header).toMatchObject({ schema: 'idlewatch.recording/1', intervalMs: 1000, endSource: 'kernel-events' });
    expect(recording.entries.map((e) => e.type)).toEqual(['snapshot', 'delta', 'end', 'delta', 'stop']);
    expect(recording.truncated).toBe(false);
    expect(recording.lines).toBe(6);
    expect(recording.entries[2]).toMatchObject({ type: 'end', id: c.id, probesSent: 5, finalState: 'CLOSE' });
  });

  it('reads the same from a stream cut into small chunks, a character split across two of them', async () => {
    // "é" is two bytes in UTF-8: chunks of 7 bytes split some of them.
    const text = whole.replace('"psql"', '"psqlé"');
    const bytes = Buffer.from(text, 'utf8');
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 7) chunks.push(bytes.subarray(i, i + 7));
    const recording = await readRecording(Readable.from(chunks));
    expect(recording.entries).toEqual((await readRecording(text)).entries);
    expect(recording.entries[0]).toMatchObject({ connections: [{ process: 'psqlé' }] });
  });

  it('a last line cut short (no newline) is skipped and flagged: it reads up to its last whole line', async () => {
    const cut = whole.slice(0, whole.lastIndexOf('{"type":"stop"') + 12);
    const recording = await readRecording(cut);
    expect(recording.truncated).toBe(true);
    expect(recording.entries.map((e) => e.type)).toEqual(['snapshot', 'delta', 'end', 'delta']);
    expect(recording.lines).toBe(5);
  });

  it('a last line without its newline is cut short even when it parses: every write ends with one', async () => {
    const recording = await readRecording(whole.slice(0, -1));
    expect(recording.truncated).toBe(true);
    expect(recording.entries.at(-1)!.type).toBe('delta');
  });

  it('a bad line in the middle stops the read, naming its line number', async () => {
    const lines = whole.split('\n');
    lines[2] = lines[2]!.slice(0, 40);
    const error = await readError(lines.join('\n'));
    expect(error.lineNo).toBe(3);
    expect(error.message).toMatch(/^line 3: not JSON/);
  });

  it('a line of the wrong shape names the line and the field', async () => {
    const lines = whole.split('\n');
    lines[3] = lines[3]!.replace('"probesSent":5', '"probesSent":-1');
    const error = await readError(lines.join('\n'));
    expect(error.message).toMatch(/^line 4: not a valid "end" line: probesSent/);
  });

  it('a file that does not begin with a header is not a recording', async () => {
    const error = await readError(recordingText([snapshotLine(1, NOW, [c])]));
    expect(error.message).toMatch(/line 1: not an Idlewatch recording/);
    await expect(readRecording('')).rejects.toThrow(/empty/);
    await expect(readRecording(recordingText([header()]).slice(0, 30))).rejects.toThrow(/cut short before its header/);
  });

  it('a delta that does not follow the table before it is an error at its line', async () => {
    const error = await readError(recordingText([header(), snapshotLine(1, NOW, [c]), deltaLine(3, NOW + 1000)]));
    expect(error.message).toBe('line 3: a delta from seq 2, but the table before it is seq 1');
    const first = await readError(recordingText([header(), deltaLine(1, NOW)]));
    expect(first.message).toBe('line 2: a delta before any snapshot');
  });

  it('a snapshot after a gap restarts the sequence', async () => {
    const recording = await readRecording(recordingText([header(), snapshotLine(1, NOW, [c]), snapshotLine(5, NOW + 3000, [c]), deltaLine(6, NOW + 4000)]));
    expect(recording.entries.map((e) => e.type)).toEqual(['snapshot', 'snapshot', 'delta']);
  });

  it('keeps fields an adapter adds to an announcement later', async () => {
    const text = recordingText([header(), snapshotLine(1, NOW, [c]), { ...endLine(c, NOW + 10), closedBy: 'fin' } as never]);
    const recording = await readRecording(text);
    expect(recording.entries[1]).toMatchObject({ type: 'end', closedBy: 'fin' });
  });
});

import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createIdlewatchService, type Preferences } from '../../../main/core/service';
import type { RecordingState } from '../../../shared/api/contract';
import { NO_FILTER } from '../../../shared/connection-filter';
import { fakeAdapter } from '../../fixtures/adapter';

const store = () => ({ load: async (): Promise<Partial<Preferences>> => ({ pollIntervalMs: 2000, rules: [], profiles: [] }), save: async () => undefined });
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function recordingsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'idlewatch-recordings-'));
  dirs.push(dir);
  return join(dir, 'recordings');
}

describe("the service's Record button", () => {
  it('records every poll to a new file in its folder, polling at the interval asked, until stopped', async () => {
    const dir = recordingsDir();
    const service = await createIdlewatchService(fakeAdapter(), store(), { recordingsDir: dir });
    const states: RecordingState[] = [];
    service.subscribe('recording', (s) => states.push(s));
    await service.api.getSnapshot();
    const started = await service.api.startRecording({ intervalMs: 500 });
    expect(started).toMatchObject({ active: true, intervalMs: 500, endSource: 'polls' });
    expect(started.name).toMatch(/^recording-\d{8}T\d{6}Z\.ndjson$/);
    expect((await service.api.getPollState()).intervalMs).toBe(500);
    await new Promise((r) => setTimeout(r, 1300));
    const stopped = await service.api.stopRecording();
    expect(stopped.active).toBe(false);
    expect(states.at(-1)?.active).toBe(false);
    // The folder is the owner's alone: recordings name processes and users.
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir)).toEqual([started.name]);
    const lines = readFileSync(join(dir, started.name!), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(lines[0]!.type).toBe('header');
    expect(lines[1]!.type).toBe('snapshot');
    expect(lines.filter((l) => l.type === 'delta').length).toBeGreaterThanOrEqual(1);
    expect(lines.at(-1)!.type).toBe('stop');
    const listed = await service.api.listRecordings();
    expect(listed).toEqual([expect.objectContaining({ name: started.name, endSource: 'polls', stoppedAt: expect.any(Number) })]);
    await service.close();
  });

  it('refuses a second recording while one runs, and leaves the first untouched', async () => {
    const service = await createIdlewatchService(fakeAdapter(), store(), { recordingsDir: recordingsDir() });
    const first = await service.api.startRecording({ intervalMs: 1000 });
    await expect(service.api.startRecording({ intervalMs: 1000 })).rejects.toMatchObject({ code: 'bad-request', message: /already running/ });
    expect(await service.api.getRecordingState()).toMatchObject({ active: true, name: first.name });
    await service.close();
    expect((await service.api.getRecordingState()).active).toBe(false);
  });

  it('makes a post-mortem report of a recording by name, and refuses a name that is not there', async () => {
    const service = await createIdlewatchService(fakeAdapter(), store(), { recordingsDir: recordingsDir() });
    const { name } = await service.api.startRecording({ intervalMs: 500 });
    await new Promise((r) => setTimeout(r, 700));
    await service.api.stopRecording();
    const request = { format: 'json' as const, scope: 'all' as const, filter: { ...NO_FILTER }, recording: name };
    const file = await service.api.exportReport(request);
    const report = JSON.parse(file.content) as { schema: string; postMortem: { recording: { name: string } } };
    expect(report.schema).toBe('idlewatch.report/1');
    expect(report.postMortem.recording.name).toBe(name);
    await expect(service.api.exportReport({ ...request, recording: 'recording-20000101T000000Z.ndjson' })).rejects.toMatchObject({
      code: 'bad-request',
      message: /no recording named/,
    });
    await service.close();
  });
});

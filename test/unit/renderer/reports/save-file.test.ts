// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { METHOD_NAMES } from '../../../../shared/api/channels';
import type { ExportedFile } from '../../../../shared/api/contract';
import { ApiFailure } from '../../../../shared/api/result';
import { createBridge, downloadFile, fileBytes, type PreloadApi } from '../../../../renderer/src/lib/bridge';

const csv: ExportedFile = { fileName: 'idlewatch-db1.csv', mimeType: 'text/csv', encoding: 'utf8', content: 'state,local\nESTABLISHED,10.0.0.5:5432\n' };
const pdfBytes = [0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0x80, 0x0a];
const pdf: ExportedFile = { fileName: 'idlewatch-db1.pdf', mimeType: 'application/pdf', encoding: 'base64', content: btoa(String.fromCharCode(...pdfBytes)) };

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('saving in browser mode: a download', () => {
  function watchDownloads() {
    const blobs: Blob[] = [];
    vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
      blobs.push(blob as Blob);
      return `blob:http://127.0.0.1/${blobs.length}`;
    });
    const revoke = vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined);
    const clicks: { href: string; download: string; inDocument: boolean }[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicks.push({ href: this.href, download: this.download, inDocument: document.body.contains(this) });
    });
    return { blobs, clicks, revoke };
  }

  it('clicks a download link named after the file, with the text as it is', async () => {
    const { blobs, clicks } = watchDownloads();
    await expect(downloadFile(csv, document)).resolves.toEqual({ saved: true, where: null });
    expect(clicks).toEqual([{ href: 'blob:http://127.0.0.1/1', download: 'idlewatch-db1.csv', inDocument: true }]);
    expect(blobs[0]!.type).toBe('text/csv');
    expect(await blobs[0]!.text()).toBe(csv.content);
    // the link is gone again
    expect(document.querySelectorAll('a')).toHaveLength(0);
  });

  it('a PDF downloads as the bytes its base64 carries, not as the base64 text', async () => {
    const { blobs } = watchDownloads();
    await downloadFile(pdf, document);
    expect([...new Uint8Array(await blobs[0]!.arrayBuffer())]).toEqual(pdfBytes);
    expect([...(fileBytes(pdf) as Uint8Array)]).toEqual(pdfBytes);
    expect(fileBytes(csv)).toBe(csv.content);
  });

  it('frees the file’s memory a while after the download started, not at once', async () => {
    vi.useFakeTimers();
    const { revoke } = watchDownloads();
    await downloadFile(csv, document);
    expect(revoke).not.toHaveBeenCalled();
    vi.advanceTimersByTime(60_000);
    expect(revoke).toHaveBeenCalledExactlyOnceWith('blob:http://127.0.0.1/1');
  });
});

describe('saving in the desktop app: the preload’s saveFile', () => {
  function desktopBridge(saveFile: PreloadApi['saveFile']) {
    const methods = Object.fromEntries(METHOD_NAMES.map((m) => [m, vi.fn()]));
    return createBridge({ idlewatch: { ...methods, on: vi.fn(), saveFile } } as unknown as Window);
  }

  it('hands the file over and unwraps where it went', async () => {
    const saveFile = vi.fn(async () => ({ ok: true as const, value: { saved: true, where: '/home/admin/Documents/idlewatch-db1.csv' } }));
    await expect(desktopBridge(saveFile).saveFile(csv)).resolves.toEqual({ saved: true, where: '/home/admin/Documents/idlewatch-db1.csv' });
    expect(saveFile).toHaveBeenCalledExactlyOnceWith(csv);
  });

  it('a refusal in main comes back as an ApiFailure with its code', async () => {
    const saveFile = vi.fn(async () => ({ ok: false as const, error: { code: 'bad-request' as const, message: 'saveFile: not a report' } }));
    const failure = await desktopBridge(saveFile).saveFile(csv).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiFailure);
    expect(failure).toMatchObject({ code: 'bad-request', message: 'saveFile: not a report' });
  });
});

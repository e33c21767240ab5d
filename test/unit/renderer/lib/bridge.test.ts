import { describe, expect, it, vi } from 'vitest';
import { METHOD_NAMES } from '../../../../shared/api/channels';
import { ApiFailure } from '../../../../shared/api/result';
import { createBridge, type PreloadApi } from '../../../../renderer/src/lib/bridge';

/** What the preload hands the page: every method resolves with a Result, never throws. */
function fakePreload(answer: (method: string, args: unknown[]) => unknown): PreloadApi {
  const methods = Object.fromEntries(METHOD_NAMES.map((m) => [m, vi.fn(async (...args: unknown[]) => answer(m, args))]));
  return { ...methods, on: vi.fn(() => () => undefined) } as unknown as PreloadApi;
}

const pageWith = (idlewatch: PreloadApi) => ({ idlewatch }) as unknown as Window;

describe('the Electron bridge', () => {
  it('resolves with the value of an ok Result', async () => {
    const bridge = createBridge(pageWith(fakePreload((m, args) => ({ ok: true, value: { method: m, args } }))));
    expect(bridge.transport).toBe('electron');
    await expect(bridge.setPollInterval(5000)).resolves.toEqual({ method: 'setPollInterval', args: [5000] });
  });

  it('rejects with an ApiFailure that keeps the error code main sent, across contextBridge', async () => {
    const bridge = createBridge(
      pageWith(fakePreload(() => ({ ok: false, error: { code: 'forbidden', message: 'setRules: refused, the caller is not the Idlewatch page' } }))),
    );
    const failure = await bridge.setRules([]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiFailure);
    expect(failure).toMatchObject({ code: 'forbidden', message: expect.stringContaining('refused') });
  });

  it('says the link is open: IPC does not drop', () => {
    const bridge = createBridge(pageWith(fakePreload(() => ({ ok: true, value: null }))));
    const seen: unknown[] = [];
    bridge.onLink((link) => seen.push(link));
    expect(seen).toEqual([{ status: 'open' }]);
  });
});

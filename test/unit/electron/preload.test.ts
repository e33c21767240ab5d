import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { callChannel, DESKTOP_CHANNELS, EVENT_NAMES, eventChannel, METHOD_NAMES } from '../../../shared/api/channels';
import type { PreloadApi } from '../../../main/electron/preload';
import { contextBridge, ipcRenderer } from './fake-electron';

vi.mock('electron', async () => await import('./fake-electron'));

type Bridge = PreloadApi & Record<string, unknown>;
let bridge: Bridge;

beforeAll(async () => {
  await import('../../../main/electron/preload');
  expect(contextBridge.exposeInMainWorld).toHaveBeenCalledOnce();
  const [name, exposed] = contextBridge.exposeInMainWorld.mock.calls[0]!;
  expect(name).toBe('idlewatch');
  bridge = exposed as Bridge;
});

beforeEach(() => {
  ipcRenderer.invoke.mockReset();
  ipcRenderer.removeAllListeners();
});

describe('what the preload exposes', () => {
  it('exactly one function per API method, plus on and the desktop’s saveFile', () => {
    expect(Object.keys(bridge).sort()).toEqual([...METHOD_NAMES, 'on', 'saveFile'].sort());
    for (const value of Object.values(bridge)) expect(typeof value).toBe('function');
  });

  it('nothing generic: no invoke, send, ipcRenderer or Electron object', () => {
    for (const name of ['invoke', 'send', 'sendSync', 'postMessage', 'ipcRenderer', 'removeAllListeners', 'off']) {
      expect(bridge).not.toHaveProperty(name);
    }
    for (const value of Object.values(bridge)) expect(value).not.toBe(ipcRenderer);
  });

  it('cannot be modified by the page', () => {
    expect(Object.isFrozen(bridge)).toBe(true);
  });
});

describe('methods', () => {
  it('call their contract channel with the arguments and resolve with the Result', async () => {
    ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, value: { running: true } });
    await expect(bridge.setPollInterval(5000)).resolves.toEqual({ ok: true, value: { running: true } });
    expect(ipcRenderer.invoke).toHaveBeenCalledExactlyOnceWith(callChannel('setPollInterval'), 5000);
  });

  it('every method goes to its own channel', async () => {
    for (const method of METHOD_NAMES) {
      ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, value: method });
      await expect((bridge[method] as () => Promise<unknown>)()).resolves.toEqual({ ok: true, value: method });
      expect(ipcRenderer.invoke).toHaveBeenLastCalledWith(callChannel(method));
    }
  });

  it('hand a failure over as a Result, so its code survives contextBridge (which keeps only an Error’s message)', async () => {
    const failure = { ok: false, error: { code: 'bad-request', message: 'setPollInterval: Too small: expected number to be >=500' } };
    ipcRenderer.invoke.mockResolvedValueOnce(failure);
    const result = await bridge.setPollInterval(10);
    expect(result).toEqual(failure);
    // What crosses the bridge is plain data: structured-clonable, nothing thrown.
    expect(structuredClone(result)).toEqual(failure);
  });
});

describe('saveFile', () => {
  const file = { fileName: 'idlewatch-db1.csv', mimeType: 'text/csv', encoding: 'utf8', content: 'a,b\n' };

  it('hands the file to main on the desktop save channel and resolves with the Result', async () => {
    ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, value: { saved: true, where: '/home/admin/Documents/idlewatch-db1.csv' } });
    await expect(bridge.saveFile(file)).resolves.toEqual({ ok: true, value: { saved: true, where: '/home/admin/Documents/idlewatch-db1.csv' } });
    expect(ipcRenderer.invoke).toHaveBeenCalledExactlyOnceWith(DESKTOP_CHANNELS.saveFile, file);
  });

  it('carries the file alone: whatever else the page passes stays behind', async () => {
    ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, value: { saved: false, where: null } });
    await (bridge.saveFile as (...args: unknown[]) => Promise<unknown>)(file, '/etc/passwd', { path: '/root' });
    expect(ipcRenderer.invoke).toHaveBeenCalledExactlyOnceWith(DESKTOP_CHANNELS.saveFile, file);
  });

  it('is not a way to any other channel', async () => {
    await bridge.saveFile('idlewatch:call:applyProfile');
    expect(ipcRenderer.invoke.mock.calls.map(([channel]) => channel)).toEqual([DESKTOP_CHANNELS.saveFile]);
  });
});

describe('on', () => {
  it('hands the listener the payload only, never the IpcRendererEvent', () => {
    const listener = vi.fn();
    bridge.on('delta', listener);
    const ipcEvent = { sender: ipcRenderer, senderId: 0, ports: [] };
    const payload = { seq: 2, baseSeq: 1, upserts: [], removed: [] };
    ipcRenderer.emit(eventChannel('delta'), ipcEvent, payload);
    expect(listener).toHaveBeenCalledOnce();
    expect(listener.mock.calls[0]).toEqual([payload]);
  });

  it('listens on the contract channel of each event', () => {
    for (const event of EVENT_NAMES) {
      const listener = vi.fn();
      bridge.on(event, listener);
      ipcRenderer.emit(eventChannel(event), {}, event);
      expect(listener).toHaveBeenCalledExactlyOnceWith(event);
    }
  });

  it('returns an unsubscribe function that stops delivery and releases the IPC listener', () => {
    const listener = vi.fn();
    const unsubscribe = bridge.on('pollState', listener);
    expect(ipcRenderer.listenerCount(eventChannel('pollState'))).toBe(1);
    unsubscribe();
    ipcRenderer.emit(eventChannel('pollState'), {}, { running: false });
    expect(listener).not.toHaveBeenCalled();
    expect(ipcRenderer.listenerCount(eventChannel('pollState'))).toBe(0);
  });

  it('unsubscribing one listener leaves the others subscribed', () => {
    const kept = vi.fn();
    const dropped = vi.fn();
    bridge.on('error', kept);
    bridge.on('error', dropped)();
    ipcRenderer.emit(eventChannel('error'), {}, { code: 'collector', message: 'x' });
    expect(kept).toHaveBeenCalledOnce();
    expect(dropped).not.toHaveBeenCalled();
  });

  it.each(['idlewatch:call:setRules', 'ipc-message', '__proto__', 'constructor', 'toString', ''])(
    'refuses %j, which is not an event of the contract, and listens to nothing',
    (name) => {
      expect(() => bridge.on(name as never, vi.fn())).toThrow(TypeError);
      expect(ipcRenderer.eventNames()).toEqual([]);
    },
  );

  it('refuses a listener that is not a function', () => {
    expect(() => bridge.on('delta', 'alert(1)' as never)).toThrow(TypeError);
    expect(ipcRenderer.eventNames()).toEqual([]);
  });
});

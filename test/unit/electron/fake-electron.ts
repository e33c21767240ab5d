/**
 * A stand-in for the `electron` module: the Electron binary cannot be downloaded on these
 * machines (TOOLCHAIN.md), so no test may import the real one. Each test file does
 *   vi.mock('electron', async () => await import('./fake-electron'));
 * and drives these fakes. They model only what main/electron/ uses, with Electron's shapes.
 */
import { EventEmitter } from 'node:events';
import { tmpdir } from 'node:os';
import { vi } from 'vitest';

/** Where the fake build lives; the app's page is out/renderer/index.html under it, served as APP_URL. */
export const OUT_DIR = '/opt/idlewatch/out';
export const RENDERER_DIR = `${OUT_DIR}/renderer`;
/** Spelled out rather than imported, so a change to the app's address fails the tests that use it. */
export const APP_URL = 'app://idlewatch/index.html';

let nextFrameToken = 1;
let nextContentsId = 1;

export class FakeFrame {
  readonly frameToken = `frame-${nextFrameToken++}`;
  constructor(
    public url: string,
    readonly processId = 7,
    readonly parent: FakeFrame | null = null,
  ) {}
}

type WindowOpenHandler = (details: { url: string }) => { action: 'allow' | 'deny' };

export class FakeWebContents extends EventEmitter {
  /** What printToPDF resolves or rejects with. */
  static printOutcome: () => Promise<Buffer> = async () => Buffer.from('%PDF-1.7 fake');
  readonly id = nextContentsId++;
  readonly mainFrame: FakeFrame;
  destroyed = false;
  windowOpenHandler: WindowOpenHandler | null = null;
  readonly send = vi.fn();
  readonly setWindowOpenHandler = vi.fn((handler: WindowOpenHandler) => {
    this.windowOpenHandler = handler;
  });
  readonly printToPDF = vi.fn((_options: Record<string, unknown>) => FakeWebContents.printOutcome());

  constructor(url = APP_URL) {
    super();
    this.mainFrame = new FakeFrame(url);
  }

  getURL(): string {
    return this.mainFrame.url;
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  /** An iframe inside this page. */
  subframe(url = APP_URL): FakeFrame {
    return new FakeFrame(url, this.mainFrame.processId, this.mainFrame);
  }

  /** Emits a navigation event the way Electron does; returns whether it was prevented. */
  navigate(event: 'will-navigate' | 'will-redirect', url: string): boolean {
    const details = { url, preventDefault: vi.fn() };
    this.emit(event, details, url);
    return details.preventDefault.mock.calls.length > 0;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static instances: FakeBrowserWindow[] = [];
  /** What loadFile / loadURL resolve or reject with. */
  static loadOutcome: () => Promise<undefined> = async () => undefined;
  readonly webContents = new FakeWebContents();
  destroyed = false;
  minimized = false;
  maximized = false;
  readonly loadFile = vi.fn((_path: string) => FakeBrowserWindow.loadOutcome());
  readonly loadURL = vi.fn((_url: string) => FakeBrowserWindow.loadOutcome());
  readonly show = vi.fn();
  readonly focus = vi.fn();
  readonly restore = vi.fn(() => {
    this.minimized = false;
  });
  readonly maximize = vi.fn(() => {
    this.maximized = true;
  });
  readonly getNormalBounds = vi.fn(() => ({ x: 40, y: 30, width: 1000, height: 700 }));
  readonly destroy = vi.fn(() => {
    this.destroyed = true;
    this.webContents.destroyed = true;
  });

  constructor(readonly options: Record<string, unknown>) {
    super();
    FakeBrowserWindow.instances.push(this);
    // Electron announces a window's contents while constructing it, before anything loads.
    app.emit('web-contents-created', {}, this.webContents);
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  isMinimized(): boolean {
    return this.minimized;
  }

  isMaximized(): boolean {
    return this.maximized;
  }
}

export const BrowserWindow = FakeBrowserWindow;

type InvokeHandler = (event: unknown, ...args: unknown[]) => unknown;

export const ipcMain = {
  handlers: new Map<string, InvokeHandler>(),
  handle: vi.fn((channel: string, handler: InvokeHandler) => {
    // Electron refuses a second handler on one channel; so does the fake.
    if (ipcMain.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    ipcMain.handlers.set(channel, handler);
  }),
  removeHandler: vi.fn((channel: string) => {
    ipcMain.handlers.delete(channel);
  }),
  /** What ipcRenderer.invoke would get back for a call from `sender`'s `frame`. */
  async invoke(channel: string, sender: { contents: FakeWebContents; frame: FakeFrame | null }, ...args: unknown[]) {
    const handler = ipcMain.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return handler({ sender: sender.contents, senderFrame: sender.frame }, ...args);
  },
};

class FakeIpcRenderer extends EventEmitter {
  readonly invoke = vi.fn(async (_channel: string, ..._args: unknown[]): Promise<unknown> => undefined);
}
export const ipcRenderer = new FakeIpcRenderer();

export const contextBridge = { exposeInMainWorld: vi.fn() };

type HeadersListener = (
  details: { responseHeaders?: Record<string, string[]> },
  callback: (response: { responseHeaders?: Record<string, string[]> }) => void,
) => void;

type ProtocolHandler = (request: Request) => Response | Promise<Response>;

/** A Protocol (a session's, or the module's for the default session) with its handlers. */
export function fakeProtocol() {
  const handlers = new Map<string, ProtocolHandler>();
  const protocol = {
    handlers,
    handle: vi.fn((scheme: string, handler: ProtocolHandler) => {
      // Electron refuses a second handler for one scheme; so does the fake.
      if (handlers.has(scheme)) throw new Error(`Failed to register protocol: ${scheme}`);
      handlers.set(scheme, handler);
    }),
    unhandle: vi.fn((scheme: string) => {
      handlers.delete(scheme);
    }),
  };
  return protocol;
}

export function fakeSession() {
  return {
    webRequest: { onHeadersReceived: vi.fn((_listener: HeadersListener) => undefined) },
    setPermissionRequestHandler: vi.fn(),
    setPermissionCheckHandler: vi.fn(),
    protocol: fakeProtocol(),
  };
}
export const session = { defaultSession: fakeSession() };

type CustomScheme = { scheme: string; privileges?: Record<string, boolean> };
/** The `protocol` module: scheme privileges (before ready), and handlers of the default session. */
export const protocol = {
  registerSchemesAsPrivileged: vi.fn((_schemes: CustomScheme[]) => undefined),
  ...fakeProtocol(),
};

class FakeApp extends EventEmitter {
  isPackaged = true;
  readonly enableSandbox = vi.fn();
  readonly requestSingleInstanceLock = vi.fn(() => true);
  readonly quit = vi.fn();
  readonly exit = vi.fn();
  readonly whenReady = vi.fn(() => Promise.resolve());
  readonly getVersion = vi.fn(() => '1.2.3');
  readonly getPath = vi.fn((name: string) => defaultPath(name));
}
export const app = new FakeApp();

/** app.getPath as on a Linux desktop; temp is the real one, so code may write there. */
function defaultPath(name: string): string {
  if (name === 'documents') return '/home/admin/Documents';
  if (name === 'temp') return tmpdir();
  return '/home/admin/.config/Idlewatch';
}

export const shell = { openExternal: vi.fn(async (_url: string) => undefined) };
export const nativeTheme = { shouldUseDarkColors: false };
export const screen = {
  getAllDisplays: vi.fn(() => [{ workArea: { x: 0, y: 0, width: 1920, height: 1040 } }]),
};
export const Menu = {
  buildFromTemplate: vi.fn((template: unknown[]) => ({ template })),
  setApplicationMenu: vi.fn(),
};
type SaveDialogAnswer = { canceled: boolean; filePath: string };
const cancelledSave = async (..._args: unknown[]): Promise<SaveDialogAnswer> => ({ canceled: true, filePath: '' });

export const dialog = {
  showMessageBox: vi.fn(async () => ({ response: 0, checkboxChecked: false })),
  showErrorBox: vi.fn(),
  /** Cancelled unless a test answers otherwise. */
  showSaveDialog: vi.fn(cancelledSave),
};

/** Back to a freshly started process: no windows, handlers, listeners or recorded calls. */
export function resetFakes(): void {
  vi.clearAllMocks();
  FakeBrowserWindow.instances = [];
  FakeBrowserWindow.loadOutcome = async () => undefined;
  FakeWebContents.printOutcome = async () => Buffer.from('%PDF-1.7 fake');
  dialog.showSaveDialog.mockImplementation(cancelledSave);
  app.getPath.mockImplementation(defaultPath);
  ipcMain.handlers.clear();
  ipcRenderer.removeAllListeners();
  app.removeAllListeners();
  app.isPackaged = true;
  app.requestSingleInstanceLock.mockImplementation(() => true);
  nativeTheme.shouldUseDarkColors = false;
  session.defaultSession = fakeSession();
  protocol.handlers.clear();
}

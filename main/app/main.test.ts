// The Electron composition root, run under Node with `electron` mocked: what it builds and how it
// configures the window, the IPC bridge, the app protocol and the session.
import { describe, expect, it, vi } from 'vitest';

type Handler = (...args: unknown[]) => unknown;

const electron = vi.hoisted(() => {
  const appHandlers = new Map<string, Handler>();
  const windows: Array<{ options: Record<string, unknown>; url?: string }> = [];
  const ipcHandlers = new Map<string, Handler>();
  const ipcListeners = new Map<string, Handler>();
  const calls = {
    schemes: [] as unknown[],
    protocolHandlers: new Map<string, Handler>(),
    permissionHandler: undefined as Handler | undefined,
    menuTemplate: undefined as unknown,
    sandbox: false,
  };
  class BrowserWindow {
    static getAllWindows = () => windows;
    constructor(readonly options: Record<string, unknown>) {
      windows.push(this as unknown as { options: Record<string, unknown> });
    }
    once() {}
    on() {}
    loadURL(url: string) {
      (this as unknown as { url: string }).url = url;
      return Promise.resolve();
    }
  }
  return {
    appHandlers,
    windows,
    ipcHandlers,
    ipcListeners,
    calls,
    module: {
      app: {
        enableSandbox: () => {
          calls.sandbox = true;
        },
        requestSingleInstanceLock: () => true,
        quit: vi.fn(),
        on: (event: string, handler: Handler) => appHandlers.set(event, handler),
        whenReady: () => Promise.resolve(),
      },
      BrowserWindow,
      ipcMain: {
        handle: (channel: string, handler: Handler) => ipcHandlers.set(channel, handler),
        on: (channel: string, handler: Handler) => ipcListeners.set(channel, handler),
        removeHandler: vi.fn(),
        off: vi.fn(),
      },
      Menu: {
        buildFromTemplate: (template: unknown) => {
          calls.menuTemplate = template;
          return {};
        },
        setApplicationMenu: vi.fn(),
      },
      protocol: {
        registerSchemesAsPrivileged: (schemes: unknown) => calls.schemes.push(schemes),
        handle: (scheme: string, handler: Handler) => calls.protocolHandlers.set(scheme, handler),
      },
      session: {
        defaultSession: {
          setPermissionRequestHandler: (handler: Handler) => {
            calls.permissionHandler = handler;
          },
        },
      },
      shell: { openExternal: vi.fn(() => Promise.resolve()) },
    },
  };
});

vi.mock('electron', () => electron.module);

describe('Electron main', () => {
  it('opens one sandboxed, isolated window on kubelab://app with the bridge registered', async () => {
    await import('./main');
    await new Promise((resolve) => setTimeout(resolve, 0));

    expect(electron.calls.sandbox).toBe(true);
    expect(electron.calls.schemes).toEqual([
      [
        {
          scheme: 'kubelab',
          privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
        },
      ],
    ]);
    expect(electron.windows).toHaveLength(1);
    const window = electron.windows[0]!;
    expect(window.url).toBe('kubelab://app/');
    expect(window.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
    });
    expect(String((window.options.webPreferences as { preload: string }).preload)).toMatch(
      /preload\.cjs$/,
    );

    expect([...electron.ipcHandlers.keys()]).toEqual(['kubelab:invoke']);
    expect([...electron.ipcListeners.keys()]).toEqual(['kubelab:control']);
    expect(electron.calls.protocolHandlers.has('kubelab')).toBe(true);
    expect(electron.appHandlers.has('web-contents-created')).toBe(true);
  });

  it('answers bridge calls from our page and refuses other senders', async () => {
    await import('./main');
    const invoke = electron.ipcHandlers.get('kubelab:invoke')!;
    const sender = {
      id: 1,
      isDestroyed: () => false,
      send: vi.fn(),
      once: vi.fn(),
      on: vi.fn(),
      off: vi.fn(),
    };
    const ours = { sender, senderFrame: { parent: null, url: 'kubelab://app/' } };
    await expect(
      invoke(ours, { service: 'app', method: 'getInfo', input: {} }),
    ).resolves.toMatchObject({
      ok: true,
      value: { name: 'Kubelab', mode: 'desktop' },
    });
    const foreign = { sender, senderFrame: { parent: null, url: 'https://example.com/' } };
    await expect(
      Promise.resolve(invoke(foreign, { service: 'app', method: 'getInfo', input: {} })),
    ).resolves.toMatchObject({ ok: false });
    const iframe = { sender, senderFrame: { parent: {}, url: 'kubelab://app/' } };
    await expect(
      Promise.resolve(invoke(iframe, { service: 'app', method: 'getInfo', input: {} })),
    ).resolves.toMatchObject({ ok: false });
  });

  it('denies every permission request', async () => {
    await import('./main');
    const callback = vi.fn();
    electron.calls.permissionHandler?.({}, 'media', callback);
    expect(callback).toHaveBeenCalledWith(false);
  });
});

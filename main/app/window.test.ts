import { describe, expect, it, vi } from 'vitest';
import type { WebContents } from 'electron';
import { applyContentsPolicy, isExternalUrl, mainWindowOptions } from './window';

type Listener = (...args: unknown[]) => void;

function fakeContents() {
  const listeners = new Map<string, Listener>();
  let openHandler: ((details: { url: string }) => { action: string }) | undefined;
  const contents = {
    on: (event: string, listener: Listener) => listeners.set(event, listener),
    setWindowOpenHandler: (handler: typeof openHandler) => {
      openHandler = handler;
    },
  };
  return {
    contents: contents as unknown as WebContents,
    emit(event: string, url: string) {
      const preventDefault = vi.fn();
      listeners.get(event)?.({ preventDefault }, url);
      return preventDefault.mock.calls.length > 0;
    },
    open: (url: string) => openHandler?.({ url }),
  };
}

describe('window policy', () => {
  it('uses the secure web preferences', () => {
    expect(mainWindowOptions('/x/preload.cjs').webPreferences).toEqual(
      expect.objectContaining({
        preload: '/x/preload.cjs',
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        allowRunningInsecureContent: false,
      }),
    );
  });

  it('keeps navigation inside the app and sends web links to the system browser', () => {
    const openExternal = vi.fn(() => Promise.resolve());
    const page = fakeContents();
    applyContentsPolicy(page.contents, openExternal);
    expect(page.emit('will-navigate', 'kubelab://app/labs')).toBe(false);
    expect(page.emit('will-navigate', 'https://kubernetes.io/docs/')).toBe(true);
    expect(openExternal).toHaveBeenCalledWith('https://kubernetes.io/docs/');
    expect(page.emit('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(openExternal).toHaveBeenCalledTimes(1);
    expect(page.emit('will-redirect', 'https://evil.example/')).toBe(true);
  });

  it('denies every new window, opening http(s) links externally', () => {
    const openExternal = vi.fn(() => Promise.resolve());
    const page = fakeContents();
    applyContentsPolicy(page.contents, openExternal);
    expect(page.open('https://github.com/')).toEqual({ action: 'deny' });
    expect(page.open('kubelab://app/other')).toEqual({ action: 'deny' });
    expect(page.open('javascript:alert(1)')).toEqual({ action: 'deny' });
    expect(openExternal.mock.calls).toEqual([['https://github.com/']]);
  });

  it('knows which URLs may leave the app', () => {
    expect(isExternalUrl('https://a.b/')).toBe(true);
    expect(isExternalUrl('mailto:x@y.z')).toBe(true);
    expect(isExternalUrl('file:///etc/passwd')).toBe(false);
    expect(isExternalUrl('smb://host/share')).toBe(false);
    expect(isExternalUrl('not a url')).toBe(false);
  });
});

// The preload with `electron` mocked: what it exposes, and that it refuses foreign channels and
// never hands Electron's event object to the page.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { PreloadApi } from '../bridge/contract';

const mock = vi.hoisted(() => {
  const exposed: Record<string, unknown> = {};
  const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
  return {
    exposed,
    listeners,
    module: {
      contextBridge: {
        exposeInMainWorld: (key: string, api: unknown) => {
          exposed[key] = api;
        },
      },
      ipcRenderer: {
        invoke: vi.fn((_channel: string, payload: unknown) =>
          Promise.resolve({ ok: true, value: payload }),
        ),
        send: vi.fn(),
        on: (channel: string, listener: (...args: unknown[]) => void) => {
          if (!listeners.has(channel)) listeners.set(channel, new Set());
          listeners.get(channel)!.add(listener);
        },
        removeListener: (channel: string, listener: (...args: unknown[]) => void) => {
          listeners.get(channel)?.delete(listener);
        },
      },
    },
  };
});

vi.mock('electron', () => mock.module);

let api: PreloadApi;
beforeAll(async () => {
  await import('./preload');
  api = mock.exposed.kubelab as PreloadApi;
});

describe('preload', () => {
  it('exposes exactly invoke, send and subscribe as window.kubelab', () => {
    expect(Object.keys(mock.exposed)).toEqual(['kubelab']);
    expect(Object.keys(api).sort()).toEqual(['invoke', 'send', 'subscribe']);
  });

  it('passes our channels through', async () => {
    const request = { service: 'app', method: 'getInfo', input: {} };
    await expect(api.invoke('kubelab:invoke', request)).resolves.toEqual({
      ok: true,
      value: request,
    });
    api.send('kubelab:control', { t: 'unsubscribe', id: 's1' });
    expect(mock.module.ipcRenderer.send).toHaveBeenCalledWith('kubelab:control', {
      t: 'unsubscribe',
      id: 's1',
    });
  });

  it('refuses any other channel, including ours used for the wrong direction', () => {
    const loose = api as unknown as Record<
      string,
      (channel: string, ...rest: unknown[]) => unknown
    >;
    expect(() => loose.invoke!('kubelab:control', {})).toThrow(/not allowed/);
    expect(() => loose.invoke!('some-internal-channel', {})).toThrow(/not allowed/);
    expect(() => loose.send!('kubelab:invoke', {})).toThrow(/not allowed/);
    expect(() => loose.subscribe!('kubelab:control', () => undefined)).toThrow(/not allowed/);
    expect(mock.module.ipcRenderer.invoke).not.toHaveBeenCalledWith('some-internal-channel', {});
  });

  it('strips the event object and can unsubscribe', () => {
    const received: unknown[][] = [];
    const stop = api.subscribe('kubelab:stream', (...args: unknown[]) => received.push(args));
    const fakeEvent = { sender: { secret: true }, ports: [] };
    for (const listener of mock.listeners.get('kubelab:stream') ?? []) {
      listener(fakeEvent, { t: 'event', id: 's1', data: 1 });
    }
    expect(received).toEqual([[{ t: 'event', id: 's1', data: 1 }]]);
    stop();
    expect(mock.listeners.get('kubelab:stream')?.size).toBe(0);
  });
});

/**
 * The preload: the renderer's only door to main. It exposes `window.kubelab` with exactly three
 * calls on exactly three channels (the contract's `IPC_CHANNELS`) and strips Electron's event
 * objects, which carry `sender`. No logic lives here. (Anchor: VS Code's sandbox preload.)
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { PreloadApi, StreamMessage } from '../bridge/contract';
import { IPC_CHANNELS, PRELOAD_GLOBAL } from '../bridge/ipc-channels';

function allow(channel: unknown, expected: string): void {
  if (channel !== expected)
    throw new Error(`Kubelab: IPC channel '${String(channel)}' is not allowed`);
}

const api: PreloadApi = {
  invoke(channel, payload) {
    allow(channel, IPC_CHANNELS.invoke);
    return ipcRenderer.invoke(channel, payload);
  },
  send(channel, payload) {
    allow(channel, IPC_CHANNELS.control);
    ipcRenderer.send(channel, payload);
  },
  subscribe(channel, listener) {
    allow(channel, IPC_CHANNELS.stream);
    const strip = (_event: IpcRendererEvent, message: StreamMessage): void => listener(message);
    ipcRenderer.on(channel, strip);
    return () => {
      ipcRenderer.removeListener(channel, strip);
    };
  },
};

contextBridge.exposeInMainWorld(PRELOAD_GLOBAL, api);

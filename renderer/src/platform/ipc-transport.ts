/**
 * The desktop transport: the bridge over the preload's `window.kubelab`. This is the only file of
 * the renderer that knows the preload exists.
 */
import { IPC_CHANNELS, PRELOAD_GLOBAL, type PreloadApi } from '../../../main/bridge/contract';
import type { ClientTransport } from './bridge-client';
import { TransportEvents } from './transport-base';

declare global {
  interface Window {
    [PRELOAD_GLOBAL]?: PreloadApi;
  }
}

/** The preload's API when running inside the desktop app. */
export function preloadApi(): PreloadApi | undefined {
  return typeof window === 'undefined' ? undefined : window[PRELOAD_GLOBAL];
}

export function createIpcTransport(api: PreloadApi): ClientTransport {
  // IPC to our own main process does not drop: connected for the life of the page.
  const events = new TransportEvents('connected');
  const stop = api.subscribe(IPC_CHANNELS.stream, (message) => events.deliver(message));
  return {
    get state() {
      return events.state;
    },
    call: (request) => api.invoke(IPC_CHANNELS.invoke, request),
    control: (message) => api.send(IPC_CHANNELS.control, message),
    onMessage: (listener) => events.onMessage(listener),
    onState: (listener) => events.onState(listener),
    close() {
      stop();
      events.setState('disconnected');
      events.clear();
    },
  };
}

/**
 * The browser-mode transport: the bridge over a WebSocket to `kubelab serve`, reconnecting with
 * backoff when the server goes away. Between attempts it asks `/healthz` whether the server is
 * back and still accepts this tab's cookie, so the UI can say "disconnected" (server down) apart
 * from "unauthorized" (a server with another token: open the new URL).
 */
import {
  failure,
  type CallRequest,
  type ControlMessage,
  type Result,
  type SocketServerMessage,
  type StreamMessage,
} from '../../../main/bridge/contract';
import type { ClientTransport } from './bridge-client';
import { TransportEvents } from './transport-base';

/** The subset of the WebSocket API we use (the browser's, or `ws` in tests). */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface WebSocketTransportOptions {
  /** `ws://host:port/bridge`. */
  readonly url: string;
  /** `http://host:port/healthz`; without it, reconnects are attempted blindly. */
  readonly healthUrl?: string;
  readonly createSocket?: (url: string) => SocketLike;
  readonly fetch?: (url: string) => Promise<{ status: number }>;
  /** Delays between attempts, in ms; the last one repeats. */
  readonly backoffMs?: readonly number[];
  readonly setTimeout?: (callback: () => void, ms: number) => unknown;
  readonly clearTimeout?: (handle: unknown) => void;
}

const OPEN = 1;

export function createWebSocketTransport(options: WebSocketTransportOptions): ClientTransport {
  const events = new TransportEvents('connecting');
  const createSocket =
    options.createSocket ?? ((url: string) => new WebSocket(url) as unknown as SocketLike);
  const doFetch =
    options.fetch ?? ((url: string) => globalThis.fetch(url, { credentials: 'same-origin' }));
  const backoff = options.backoffMs ?? [250, 500, 1000, 2000, 4000];
  const schedule = options.setTimeout ?? ((cb, ms) => globalThis.setTimeout(cb, ms));
  const unschedule =
    options.clearTimeout ?? ((handle) => globalThis.clearTimeout(handle as number));

  const pending = new Map<number, (result: Result<unknown>) => void>();
  let socket: SocketLike | undefined;
  let nextCallId = 1;
  let attempt = 0;
  let timer: unknown;
  let closed = false;

  const failPending = (): void => {
    for (const resolve of pending.values()) {
      resolve(failure('Unavailable', 'the connection to Kubelab was lost'));
    }
    pending.clear();
  };

  const retryLater = (): void => {
    if (closed) return;
    const delay = backoff[Math.min(attempt, backoff.length - 1)] ?? 1000;
    attempt++;
    timer = schedule(() => void probeThenConnect(), delay);
  };

  const probeThenConnect = async (): Promise<void> => {
    if (closed) return;
    if (options.healthUrl) {
      let status: number;
      try {
        status = (await doFetch(options.healthUrl)).status;
      } catch {
        events.setState('disconnected');
        retryLater();
        return;
      }
      if (closed) return;
      if (status === 401 || status === 403) {
        events.setState('unauthorized');
        retryLater();
        return;
      }
    }
    connect();
  };

  const connect = (): void => {
    if (closed) return;
    const ws = createSocket(options.url);
    socket = ws;
    ws.onopen = () => {
      if (socket !== ws) return;
      attempt = 0;
      events.setState('connected');
    };
    ws.onmessage = (event) => {
      if (socket !== ws || typeof event.data !== 'string') return;
      let message: SocketServerMessage;
      try {
        message = JSON.parse(event.data) as SocketServerMessage;
      } catch {
        return;
      }
      if (message.t === 'result') {
        const resolve = pending.get(message.id);
        pending.delete(message.id);
        resolve?.(message.result);
      } else {
        events.deliver(message as StreamMessage);
      }
    };
    ws.onerror = () => undefined;
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = undefined;
      failPending();
      if (events.state !== 'unauthorized') events.setState('disconnected');
      retryLater();
    };
  };

  connect();

  return {
    get state() {
      return events.state;
    },
    call(request: CallRequest) {
      const ws = socket;
      if (!ws || ws.readyState !== OPEN || events.state !== 'connected') {
        return Promise.resolve(failure('Unavailable', 'not connected to Kubelab; reconnecting'));
      }
      const id = nextCallId++;
      return new Promise<Result<unknown>>((resolve) => {
        pending.set(id, resolve);
        ws.send(JSON.stringify({ t: 'call', id, ...request }));
      });
    },
    control(message: ControlMessage) {
      if (socket?.readyState === OPEN && events.state === 'connected') {
        socket.send(JSON.stringify(message));
      }
    },
    onMessage: (listener) => events.onMessage(listener),
    onState: (listener) => events.onState(listener),
    close() {
      closed = true;
      if (timer !== undefined) unschedule(timer);
      socket?.close(1000, 'client closed');
      socket = undefined;
      failPending();
      events.setState('disconnected');
      events.clear();
    },
  };
}

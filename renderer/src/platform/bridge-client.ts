/**
 * The renderer's half of the bridge: a typed proxy of the contract over any transport. Calls
 * resolve to `Result`s (a dropped connection is an `Unavailable` failure, not an exception);
 * subscriptions survive reconnects — the client re-subscribes when its transport comes back, and
 * after an `Overflow` end — and acknowledge what they handled so main can apply backpressure.
 */
import {
  DEFAULT_STREAM_WINDOW,
  isStreamName,
  type CallRequest,
  type Client,
  type ContractSpec,
  type ControlMessage,
  type StreamListener,
  type StreamMessage,
  type Result,
  type Unsubscribe,
} from '../../../main/bridge/contract';

export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'unauthorized';

/** What a transport gives the client: calls, control messages out, stream messages in. */
export interface ClientTransport {
  readonly state: ConnectionState;
  call(request: CallRequest): Promise<Result<unknown>>;
  /** Sends a control message; silently dropped while not connected (re-sent on reconnect). */
  control(message: ControlMessage): void;
  onMessage(listener: (message: StreamMessage) => void): Unsubscribe;
  onState(listener: (state: ConnectionState) => void): Unsubscribe;
  close(): void;
}

export interface BridgeClientOptions {
  /** Events in flight per subscription before the server waits for an ack. */
  readonly window?: number;
}

interface ActiveSubscription {
  readonly service: string;
  readonly stream: string;
  readonly input: unknown;
  readonly listener: StreamListener<unknown>;
  unacked: number;
}

export interface BridgeClient<C extends ContractSpec> {
  /** The typed proxy: `api.app.getInfo({})`, `api.app.onDidHeartbeat({...}, listener)`. */
  readonly api: Client<C>;
  readonly transport: ClientTransport;
  close(): void;
}

/** Builds the typed proxy for contract `C` over `transport`. */
export function createBridgeClient<C extends ContractSpec>(
  transport: ClientTransport,
  options: BridgeClientOptions = {},
): BridgeClient<C> {
  const window = options.window ?? DEFAULT_STREAM_WINDOW;
  const ackEvery = Math.max(1, Math.floor(window / 2));
  const subscriptions = new Map<string, ActiveSubscription>();
  let nextId = 1;

  const sendSubscribe = (id: string, sub: ActiveSubscription): void => {
    sub.unacked = 0;
    transport.control({
      t: 'subscribe',
      id,
      service: sub.service,
      stream: sub.stream,
      input: sub.input,
      window,
    });
  };

  const stopMessages = transport.onMessage((message) => {
    const sub = subscriptions.get(message.id);
    if (!sub) return;
    if (message.t === 'event') {
      try {
        sub.listener.next(message.data);
      } finally {
        sub.unacked++;
        if (sub.unacked >= ackEvery && subscriptions.get(message.id) === sub) {
          transport.control({ t: 'ack', id: message.id, count: sub.unacked });
          sub.unacked = 0;
        }
      }
      return;
    }
    // t === 'end'
    if (message.error?.code === 'Overflow') {
      // We fell behind; start over from fresh state, as a watcher re-lists after 410 Gone.
      sendSubscribe(message.id, sub);
      return;
    }
    subscriptions.delete(message.id);
    if (message.error) sub.listener.error?.(message.error);
  });

  const stopState = transport.onState((state) => {
    if (state !== 'connected') return;
    // A new connection is a new server session: every live subscription starts again.
    for (const [id, sub] of subscriptions) sendSubscribe(id, sub);
  });

  const subscribe = (
    service: string,
    stream: string,
    input: unknown,
    listener: StreamListener<unknown>,
  ): Unsubscribe => {
    const id = `s${nextId++}`;
    const sub: ActiveSubscription = { service, stream, input, listener, unacked: 0 };
    subscriptions.set(id, sub);
    if (transport.state === 'connected') sendSubscribe(id, sub);
    return () => {
      if (subscriptions.delete(id) && transport.state === 'connected') {
        transport.control({ t: 'unsubscribe', id });
      }
    };
  };

  const serviceProxy = (service: string): object =>
    new Proxy(
      {},
      {
        get(_target, member) {
          if (typeof member !== 'string') return undefined;
          if (isStreamName(member)) {
            return (input: unknown, listener: StreamListener<unknown>) =>
              subscribe(service, member, input, listener);
          }
          return (input: unknown) => transport.call({ service, method: member, input });
        },
      },
    );

  const services = new Map<string, object>();
  const api = new Proxy(
    {},
    {
      get(_target, service) {
        if (typeof service !== 'string') return undefined;
        let proxy = services.get(service);
        if (!proxy) {
          proxy = serviceProxy(service);
          services.set(service, proxy);
        }
        return proxy;
      },
    },
  ) as Client<C>;

  return {
    api,
    transport,
    close() {
      stopMessages();
      stopState();
      subscriptions.clear();
      transport.close();
    },
  };
}

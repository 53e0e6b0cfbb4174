/**
 * THE contract between the renderer and main (DESIGN.md rule 3): every service, its methods and
 * event streams, their payload types, and the wire messages both transports carry. Main serves an
 * implementation of `Contract`; the renderer gets a typed proxy of it. Nothing else in the code
 * base spells a channel name or a message shape.
 *
 * Conventions (after VS Code's `ProxyChannel`): a member whose name starts with `on` followed by an
 * upper-case letter is an event stream, anything else is a request/response method. Every method
 * resolves to a `Result`, never throws across the boundary.
 */
import { z } from 'zod';
import type { Failure, Result } from '../base/result';
import type { Unsubscribe } from '../base/events';
import type { InvokeChannel, ReceiveChannel, SendChannel } from './ipc-channels';

export { IPC_CHANNELS, PRELOAD_GLOBAL } from './ipc-channels';
// The result and subscription types travel with the contract, so the renderer needs nothing else.
export { ok, failure } from '../base/result';
export type { Failure, FailureCode, Result } from '../base/result';
export type { Unsubscribe } from '../base/events';
export type { InvokeChannel, ReceiveChannel, SendChannel } from './ipc-channels';

// ---------------------------------------------------------------------------------------------
// Contract building blocks

/** A request/response method: payload validated in main, answer typed for the renderer. */
export interface MethodSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly kind: 'method';
  readonly input: I;
  readonly output: O;
}

/** An event stream: subscribe with an input, receive outputs until unsubscribed or ended. */
export interface StreamSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly kind: 'stream';
  readonly input: I;
  readonly output: O;
}

export type MemberSpec = MethodSpec | StreamSpec;
export type ServiceSpec = Readonly<Record<string, MemberSpec>>;
export type ContractSpec = Readonly<Record<string, ServiceSpec>>;

function method<I extends z.ZodType, O extends z.ZodType>(input: I, output: O): MethodSpec<I, O> {
  return { kind: 'method', input, output };
}

function stream<I extends z.ZodType, O extends z.ZodType>(input: I, output: O): StreamSpec<I, O> {
  return { kind: 'stream', input, output };
}

/** True for names that denote event streams (`onDidX`, `onWillY`). */
export function isStreamName(name: string): boolean {
  return /^on[A-Z]/.test(name);
}

// ---------------------------------------------------------------------------------------------
// Payloads

export const AppInfo = z.object({
  /** Product name shown in the UI. */
  name: z.string(),
  /** The app version, from package.json. */
  version: z.string(),
  /** Desktop (Electron) or browser mode. */
  mode: z.enum(['desktop', 'browser']),
  /** Host operating system (`process.platform`). */
  platform: z.string(),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const Heartbeat = z.object({
  /** Main's clock, milliseconds since the epoch. */
  serverTime: z.number(),
  /** When this main process started serving, milliseconds since the epoch. */
  startedAt: z.number(),
});
export type Heartbeat = z.infer<typeof Heartbeat>;

export const ClusterStatus = z.object({
  /** Which backend runs the cluster. */
  backend: z.enum(['embedded', 'kind', 'context', 'none']),
  state: z.enum(['stopped', 'starting', 'running', 'stopping', 'failed']),
  /** What went wrong (failed) or what is happening (starting). */
  message: z.string().optional(),
  /** The API server's URL, when running. */
  server: z.string().optional(),
  /** The kubeconfig file and context that reach it, when running. */
  kubeconfig: z.string().optional(),
  context: z.string().optional(),
  /** Progress of a start: `done` of `total` steps. */
  progress: z.object({ done: z.number().int(), total: z.number().int() }).optional(),
});
export type ClusterStatus = z.infer<typeof ClusterStatus>;

const Empty = z.object({}).strict();

// ---------------------------------------------------------------------------------------------
// The contract

export const contract = {
  app: {
    /** Name, version and mode of the running app: the status bar's round trip. */
    getInfo: method(Empty, AppInfo),
    /** A heartbeat every `intervalMs` (first one at once), so a silent peer is noticed. */
    onDidHeartbeat: stream(
      z.object({ intervalMs: z.number().int().min(250).max(60_000) }).strict(),
      Heartbeat,
    ),
  },
  cluster: {
    /** The practice cluster's state now. */
    getStatus: method(Empty, ClusterStatus),
    /** The state now, then every change (starting with progress, running, failed…). */
    onDidChangeStatus: stream(Empty, ClusterStatus),
  },
} as const satisfies ContractSpec;

export type Contract = typeof contract;

// ---------------------------------------------------------------------------------------------
// Types derived from the contract: what main implements and what the renderer calls

/** Context of one call or subscription, for implementations that care who asks. */
export interface CallContext {
  /** Which transport carried the request. */
  readonly transport: 'ipc' | 'websocket' | 'memory';
  /** Fires when the caller goes away (window closed, socket dropped, unsubscribed). */
  readonly signal: AbortSignal;
}

type In<M extends MemberSpec> = z.output<M['input']>;
type Out<M extends MemberSpec> = z.output<M['output']>;

/** Where an implementation sends stream events. */
export interface StreamSink<T> {
  next(value: T): void;
  /** Ends the stream; with a failure, the subscriber sees it as an error. */
  end(error?: Failure): void;
}

/** What main implements for one service. */
export type ServiceImplementation<S extends ServiceSpec> = {
  [K in keyof S]: S[K] extends MethodSpec
    ? (input: In<S[K]>, context: CallContext) => Promise<Result<Out<S[K]>>>
    : S[K] extends StreamSpec
      ? (input: In<S[K]>, sink: StreamSink<Out<S[K]>>, context: CallContext) => Unsubscribe
      : never;
};

/** What main implements for the whole contract. */
export type Implementation<C extends ContractSpec = Contract> = {
  [S in keyof C]: ServiceImplementation<C[S]>;
};

/** The service interfaces, by name. */
export type AppService = ServiceImplementation<Contract['app']>;
export type ClusterService = ServiceImplementation<Contract['cluster']>;

/** A subscriber's callbacks. `error` fires once when the stream ends with a failure. */
export interface StreamListener<T> {
  next(value: T): void;
  error?(failure: Failure): void;
}

/** The renderer's view of one service. */
export type ServiceClient<S extends ServiceSpec> = {
  [K in keyof S]: S[K] extends MethodSpec
    ? (input: z.input<S[K]['input']>) => Promise<Result<Out<S[K]>>>
    : S[K] extends StreamSpec
      ? (input: z.input<S[K]['input']>, listener: StreamListener<Out<S[K]>>) => Unsubscribe
      : never;
};

/** The renderer's typed proxy of the whole contract. */
export type Client<C extends ContractSpec = Contract> = {
  [S in keyof C]: ServiceClient<C[S]>;
};

// ---------------------------------------------------------------------------------------------
// Wire messages (the same over Electron IPC and the browser-mode WebSocket)

/** How many unacknowledged events a subscriber allows in flight by default. */
export const DEFAULT_STREAM_WINDOW = 64;

const Id = z.string().min(1).max(64);
const Name = z.string().min(1).max(64);

export const CallRequest = z.object({ service: Name, method: Name, input: z.unknown() }).strict();
export type CallRequest = z.infer<typeof CallRequest>;

export const SubscribeMessage = z
  .object({
    t: z.literal('subscribe'),
    id: Id,
    service: Name,
    stream: Name,
    input: z.unknown(),
    /** Credit: events the server may send before the next `ack`. */
    window: z.number().int().min(1).max(10_000),
  })
  .strict();

export const UnsubscribeMessage = z.object({ t: z.literal('unsubscribe'), id: Id }).strict();

/** The subscriber has handled `count` more events of subscription `id`. */
export const AckMessage = z
  .object({ t: z.literal('ack'), id: Id, count: z.number().int().min(1).max(10_000) })
  .strict();

export const ControlMessage = z.discriminatedUnion('t', [
  SubscribeMessage,
  UnsubscribeMessage,
  AckMessage,
]);
export type ControlMessage = z.infer<typeof ControlMessage>;

/** Client → server over the WebSocket: a call (with a correlation id) or a control message. */
export const SocketClientMessage = z.union([
  CallRequest.extend({ t: z.literal('call'), id: z.number().int().nonnegative() }).strict(),
  ControlMessage,
]);
export type SocketClientMessage = z.infer<typeof SocketClientMessage>;

/** Server → client: a stream event, or the end of a stream. */
export type StreamMessage =
  | { readonly t: 'event'; readonly id: string; readonly data: unknown }
  | { readonly t: 'end'; readonly id: string; readonly error?: Failure };

/** Server → client over the WebSocket: stream messages plus call results. */
export type SocketServerMessage =
  StreamMessage | { readonly t: 'result'; readonly id: number; readonly result: Result<unknown> };

// ---------------------------------------------------------------------------------------------
// Browser mode endpoints

/** The path of the bridge's WebSocket endpoint in browser mode. */
export const BRIDGE_PATH = '/bridge';
/** Answers 200 to an authorised client: lets a page tell "server down" from "token refused". */
export const HEALTH_PATH = '/healthz';

// ---------------------------------------------------------------------------------------------
// Electron preload surface

/** What the preload exposes as `window.kubelab` (event objects never cross). */
export interface PreloadApi {
  invoke(channel: InvokeChannel, payload: CallRequest): Promise<Result<unknown>>;
  send(channel: SendChannel, payload: ControlMessage): void;
  subscribe(channel: ReceiveChannel, listener: (message: StreamMessage) => void): Unsubscribe;
}

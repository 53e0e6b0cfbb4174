/**
 * The transport-independent half of the bridge in main: it validates every payload against the
 * contract (zod), dispatches to the implementation, and runs event streams with credit-based
 * backpressure. The IPC and WebSocket transports only move messages in and out of a `Session`.
 */
import type { z } from 'zod';
import { failure, ok, type Failure, type Result } from '../base/result';
import type { Unsubscribe } from '../base/events';
import { Queue } from '../base/queue';
import {
  CallRequest,
  ControlMessage,
  isStreamName,
  type CallContext,
  type ContractSpec,
  type Implementation,
  type MemberSpec,
  type StreamMessage,
} from './contract';

/** Where a session delivers stream messages. */
export interface Peer {
  readonly transport: CallContext['transport'];
  send(message: StreamMessage): void;
}

export interface BridgeServerOptions {
  /**
   * How many events a subscription may queue beyond the subscriber's credit before the server
   * gives up on it and ends it with `Overflow` (the subscriber re-subscribes, as a Kubernetes
   * client re-lists after a 410). A slow consumer is never buffered without bound.
   */
  readonly maxQueuedEvents?: number;
  /** Called with unexpected errors thrown by implementations. */
  readonly onError?: (error: unknown, where: string) => void;
}

const DEFAULT_MAX_QUEUED = 1_000;

/** Formats zod issues as `path: message; path: message` for a human and a log line. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) =>
      issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message,
    )
    .join('; ');
}

export class BridgeServer<C extends ContractSpec> {
  private readonly maxQueued: number;
  private readonly onError: (error: unknown, where: string) => void;

  constructor(
    private readonly contract: C,
    private readonly implementation: Implementation<C>,
    options: BridgeServerOptions = {},
  ) {
    this.maxQueued = options.maxQueuedEvents ?? DEFAULT_MAX_QUEUED;
    this.onError = options.onError ?? (() => undefined);
  }

  /** Opens a session for one connected renderer. Close it when the peer goes away. */
  connect(peer: Peer): Session {
    return new Session(this, peer);
  }

  /** @internal Looks up a member and checks it has the expected kind. */
  resolve(
    service: string,
    member: string,
    kind: MemberSpec['kind'],
  ): Result<{ spec: MemberSpec; fn: (...args: never[]) => unknown }> {
    const serviceSpec = Object.hasOwn(this.contract, service) ? this.contract[service] : undefined;
    const spec =
      serviceSpec && Object.hasOwn(serviceSpec, member) ? serviceSpec[member] : undefined;
    if (!spec || spec.kind !== kind || isStreamName(member) !== (kind === 'stream')) {
      const what = kind === 'stream' ? 'event stream' : 'method';
      return failure('NotFound', `unknown ${what} ${service}.${member}`);
    }
    const impl = this.implementation[service] as Record<string, (...args: never[]) => unknown>;
    const fn = impl[member];
    if (typeof fn !== 'function') {
      return failure('NotFound', `${service}.${member} is not implemented`);
    }
    return ok({ spec, fn });
  }

  /** @internal */
  get queueLimit(): number {
    return this.maxQueued;
  }

  /** @internal */
  reportError(error: unknown, where: string): void {
    this.onError(error, where);
  }
}

interface Subscription {
  readonly controller: AbortController;
  credit: number;
  readonly queue: Queue<unknown>;
  stop: Unsubscribe | undefined;
  ended: boolean;
  /** A normal end requested while events still wait for credit: sent once they drain. */
  endPending: boolean;
}

/** One connected renderer: its calls and its live subscriptions. */
export class Session {
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly closed = new AbortController();

  constructor(
    private readonly server: BridgeServer<ContractSpec>,
    private readonly peer: Peer,
  ) {}

  /** Handles a call payload of unknown shape; always resolves to a `Result`. */
  async call(payload: unknown): Promise<Result<unknown>> {
    const request = CallRequest.safeParse(payload);
    if (!request.success) {
      return failure('InvalidArgument', `malformed call: ${describeIssues(request.error)}`);
    }
    const { service, method, input } = request.data;
    const target = this.server.resolve(service, method, 'method');
    if (!target.ok) return target;
    const parsed = target.value.spec.input.safeParse(input);
    if (!parsed.success) {
      return failure(
        'InvalidArgument',
        `${service}.${method}: invalid input: ${describeIssues(parsed.error)}`,
      );
    }
    const context: CallContext = { transport: this.peer.transport, signal: this.closed.signal };
    try {
      const fn = target.value.fn as (input: unknown, context: CallContext) => unknown;
      const result = (await fn(parsed.data, context)) as Result<unknown>;
      return result;
    } catch (error) {
      this.server.reportError(error, `${service}.${method}`);
      return failure('Internal', `${service}.${method} failed: ${errorMessage(error)}`);
    }
  }

  /** Handles a control message of unknown shape (subscribe, unsubscribe, ack). */
  control(payload: unknown): Result<void> {
    const parsed = ControlMessage.safeParse(payload);
    if (!parsed.success) {
      return failure(
        'InvalidArgument',
        `malformed control message: ${describeIssues(parsed.error)}`,
      );
    }
    const message = parsed.data;
    switch (message.t) {
      case 'subscribe':
        return this.subscribe(
          message.id,
          message.service,
          message.stream,
          message.input,
          message.window,
        );
      case 'unsubscribe':
        this.stop(message.id);
        return ok(undefined);
      case 'ack':
        this.ack(message.id, message.count);
        return ok(undefined);
    }
  }

  /** Number of live subscriptions (for tests and diagnostics). */
  get subscriptionCount(): number {
    return this.subscriptions.size;
  }

  /** Stops every subscription; the peer is gone. */
  close(): void {
    for (const id of [...this.subscriptions.keys()]) this.stop(id);
    this.closed.abort();
  }

  private subscribe(
    id: string,
    service: string,
    stream: string,
    input: unknown,
    window: number,
  ): Result<void> {
    const target = this.server.resolve(service, stream, 'stream');
    if (!target.ok) {
      this.peer.send({ t: 'end', id, error: target.error });
      return target;
    }
    const parsed = target.value.spec.input.safeParse(input);
    if (!parsed.success) {
      const error: Failure = {
        code: 'InvalidArgument',
        message: `${service}.${stream}: invalid input: ${describeIssues(parsed.error)}`,
      };
      this.peer.send({ t: 'end', id, error });
      return { ok: false, error };
    }
    // A repeated id replaces the old subscription (a client re-subscribing after a reconnect).
    this.stop(id);
    const subscription: Subscription = {
      controller: new AbortController(),
      credit: window,
      queue: new Queue<unknown>(),
      stop: undefined,
      ended: false,
      endPending: false,
    };
    this.subscriptions.set(id, subscription);
    const context: CallContext = {
      transport: this.peer.transport,
      signal: subscription.controller.signal,
    };
    const sink = {
      next: (value: unknown) => this.emit(id, subscription, value),
      end: (error?: Failure) => this.finish(id, subscription, error),
    };
    try {
      const fn = target.value.fn as (
        input: unknown,
        sink: unknown,
        context: CallContext,
      ) => unknown;
      const stop = fn(parsed.data, sink, context);
      if (subscription.ended) {
        if (typeof stop === 'function') (stop as Unsubscribe)();
      } else {
        subscription.stop = typeof stop === 'function' ? (stop as Unsubscribe) : undefined;
      }
    } catch (error) {
      this.server.reportError(error, `${service}.${stream}`);
      this.finish(id, subscription, {
        code: 'Internal',
        message: `${service}.${stream} failed: ${errorMessage(error)}`,
      });
    }
    return ok(undefined);
  }

  private emit(id: string, subscription: Subscription, value: unknown): void {
    if (subscription.ended || subscription.endPending) return;
    if (subscription.credit > 0 && subscription.queue.length === 0) {
      subscription.credit--;
      this.peer.send({ t: 'event', id, data: value });
      return;
    }
    if (subscription.queue.length >= this.server.queueLimit) {
      this.finish(id, subscription, {
        code: 'Overflow',
        message: `subscriber fell more than ${this.server.queueLimit} events behind`,
      });
      return;
    }
    subscription.queue.push(value);
  }

  private ack(id: string, count: number): void {
    const subscription = this.subscriptions.get(id);
    if (!subscription) return;
    subscription.credit += count;
    while (subscription.credit > 0 && subscription.queue.length > 0 && !subscription.ended) {
      subscription.credit--;
      this.peer.send({ t: 'event', id, data: subscription.queue.shift() });
    }
    if (subscription.endPending && subscription.queue.length === 0) {
      this.finish(id, subscription);
    }
  }

  private finish(id: string, subscription: Subscription, error?: Failure): void {
    if (subscription.ended) return;
    if (!error && subscription.queue.length > 0) {
      // Deliver what is queued first; the end follows the last event.
      subscription.endPending = true;
      return;
    }
    this.teardown(id, subscription);
    this.peer.send(error ? { t: 'end', id, error } : { t: 'end', id });
  }

  private stop(id: string): void {
    const subscription = this.subscriptions.get(id);
    if (subscription) this.teardown(id, subscription);
  }

  private teardown(id: string, subscription: Subscription): void {
    subscription.ended = true;
    subscription.queue.clear();
    if (this.subscriptions.get(id) === subscription) this.subscriptions.delete(id);
    subscription.controller.abort();
    try {
      subscription.stop?.();
    } catch (error) {
      this.server.reportError(error, `unsubscribe ${id}`);
    }
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

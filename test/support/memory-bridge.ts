/**
 * An in-memory transport pair for tests: a renderer-side `ClientTransport` wired straight to a
 * main-side `Session`, with a switch to simulate dropping and restoring the connection.
 */
import { z } from 'zod';
import type { Result } from '../../main/base/result';
import type { ContractSpec, ControlMessage, StreamMessage } from '../../main/bridge/contract';
import { type BridgeServer, type Session } from '../../main/bridge/server';
import type { ClientTransport, ConnectionState } from '../../renderer/src/platform/bridge-client';
import { TransportEvents } from '../../renderer/src/platform/transport-base';

export interface MemoryLink {
  readonly transport: ClientTransport;
  /** Everything main sent to the client, in order. */
  readonly sent: StreamMessage[];
  /** Every control message the client sent. */
  readonly controls: ControlMessage[];
  session(): Session | undefined;
  /** Drops the connection (the session closes, as when a socket dies). */
  drop(): void;
  /** Restores it with a new session. */
  restore(): void;
}

export function memoryLink(server: BridgeServer<ContractSpec>): MemoryLink {
  const events = new TransportEvents('connecting');
  const sent: StreamMessage[] = [];
  const controls: ControlMessage[] = [];
  let session: Session | undefined;
  const open = (): void => {
    session = server.connect({
      transport: 'memory',
      send: (message) => {
        sent.push(message);
        events.deliver(message);
      },
    });
    events.setState('connected');
  };
  open();
  const transport: ClientTransport = {
    get state(): ConnectionState {
      return events.state;
    },
    call: (request): Promise<Result<unknown>> =>
      session
        ? session.call(request)
        : Promise.resolve({ ok: false, error: { code: 'Unavailable', message: 'dropped' } }),
    control: (message) => {
      controls.push(message);
      session?.control(message);
    },
    onMessage: (listener) => events.onMessage(listener),
    onState: (listener) => events.onState(listener),
    close: () => {
      session?.close();
      session = undefined;
    },
  };
  return {
    transport,
    sent,
    controls,
    session: () => session,
    drop() {
      session?.close();
      session = undefined;
      events.setState('disconnected');
    },
    restore: open,
  };
}

/** A small contract for bridge tests, independent of the app's. */
export const testContract = {
  math: {
    add: {
      kind: 'method',
      input: z.object({ a: z.number(), b: z.number() }).strict(),
      output: z.number(),
    },
    explode: { kind: 'method', input: z.object({}).strict(), output: z.number() },
    onDidCount: {
      kind: 'stream',
      input: z.object({ to: z.number().int().min(0) }).strict(),
      output: z.number(),
    },
  },
} as const satisfies ContractSpec;

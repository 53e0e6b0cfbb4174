import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ok } from '../base/result';
import type { ContractSpec, Implementation, StreamMessage, StreamSink } from './contract';
import { BridgeServer } from './server';

const spec = {
  math: {
    add: {
      kind: 'method',
      input: z.object({ a: z.number(), b: z.number() }).strict(),
      output: z.number(),
    },
    explode: { kind: 'method', input: z.object({}).strict(), output: z.number() },
    onDidTick: { kind: 'stream', input: z.object({}).strict(), output: z.number() },
  },
} as const satisfies ContractSpec;

function setup(maxQueuedEvents = 5) {
  const sinks: Array<StreamSink<number>> = [];
  let stopped = 0;
  const implementation: Implementation<typeof spec> = {
    math: {
      add: ({ a, b }) => Promise.resolve(ok(a + b)),
      explode: () => {
        throw new Error('kaboom');
      },
      onDidTick: (_input, sink) => {
        sinks.push(sink);
        return () => {
          stopped++;
        };
      },
    },
  };
  const errors: string[] = [];
  const server = new BridgeServer(spec, implementation, {
    maxQueuedEvents,
    onError: (_error, where) => errors.push(where),
  });
  const sent: StreamMessage[] = [];
  const session = server.connect({ transport: 'memory', send: (m) => sent.push(m) });
  return { session, sent, sinks, errors, stopped: () => stopped };
}

describe('BridgeServer calls', () => {
  it('answers a valid call with the implementation value', async () => {
    const { session } = setup();
    await expect(
      session.call({ service: 'math', method: 'add', input: { a: 2, b: 3 } }),
    ).resolves.toEqual({
      ok: true,
      value: 5,
    });
  });

  it('refuses a payload that is not a call, as a value', async () => {
    const { session } = setup();
    const result = await session.call({ service: 'math' });
    expect(result).toMatchObject({ ok: false, error: { code: 'InvalidArgument' } });
    expect(!result.ok && result.error.message).toContain('malformed call: method');
  });

  it('validates the input against the contract schema, naming the field', async () => {
    const { session } = setup();
    const result = await session.call({
      service: 'math',
      method: 'add',
      input: { a: 1, b: 'two' },
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'InvalidArgument' } });
    expect(!result.ok && result.error.message).toMatch(/^math\.add: invalid input: b: /);
  });

  it('rejects unknown fields (strict schemas)', async () => {
    const { session } = setup();
    const result = await session.call({
      service: 'math',
      method: 'add',
      input: { a: 1, b: 2, c: 3 },
    });
    expect(!result.ok && result.error.message).toContain('Unrecognized key');
  });

  it('answers NotFound for unknown services and methods, and for a stream called as a method', async () => {
    const { session } = setup();
    for (const [service, method] of [
      ['nope', 'add'],
      ['math', 'nope'],
      ['math', 'onDidTick'],
      ['math', 'toString'],
      ['__proto__', 'add'],
    ]) {
      const result = await session.call({ service, method, input: {} });
      expect(result).toMatchObject({ ok: false, error: { code: 'NotFound' } });
    }
  });

  it('turns an implementation exception into an Internal failure and reports it', async () => {
    const { session, errors } = setup();
    const result = await session.call({ service: 'math', method: 'explode', input: {} });
    expect(result).toEqual({
      ok: false,
      error: { code: 'Internal', message: 'math.explode failed: kaboom' },
    });
    expect(errors).toEqual(['math.explode']);
  });
});

describe('BridgeServer streams', () => {
  it('delivers events tagged with the subscription id and stops on unsubscribe', () => {
    const { session, sent, sinks, stopped } = setup();
    expect(
      session.control({
        t: 'subscribe',
        id: 's1',
        service: 'math',
        stream: 'onDidTick',
        input: {},
        window: 10,
      }),
    ).toEqual({ ok: true, value: undefined });
    sinks[0]?.next(1);
    sinks[0]?.next(2);
    expect(sent).toEqual([
      { t: 'event', id: 's1', data: 1 },
      { t: 'event', id: 's1', data: 2 },
    ]);
    session.control({ t: 'unsubscribe', id: 's1' });
    expect(stopped()).toBe(1);
    expect(session.subscriptionCount).toBe(0);
    sinks[0]?.next(3);
    expect(sent).toHaveLength(2);
  });

  it('ends a subscription with a failure when the input is invalid or the stream unknown', () => {
    const { session, sent } = setup();
    session.control({
      t: 'subscribe',
      id: 'a',
      service: 'math',
      stream: 'onDidTick',
      input: { x: 1 },
      window: 1,
    });
    session.control({
      t: 'subscribe',
      id: 'b',
      service: 'math',
      stream: 'onNothing',
      input: {},
      window: 1,
    });
    session.control({
      t: 'subscribe',
      id: 'c',
      service: 'math',
      stream: 'add',
      input: {},
      window: 1,
    });
    expect(sent.map((m) => [m.id, m.t, m.t === 'end' ? m.error?.code : undefined])).toEqual([
      ['a', 'end', 'InvalidArgument'],
      ['b', 'end', 'NotFound'],
      ['c', 'end', 'NotFound'],
    ]);
  });

  it('refuses malformed control messages as values', () => {
    const { session } = setup();
    expect(session.control({ t: 'subscribe', id: 's1' })).toMatchObject({ ok: false });
    expect(session.control('nonsense')).toMatchObject({ ok: false });
    expect(session.control({ t: 'ack', id: 's1', count: 0 })).toMatchObject({ ok: false });
  });

  it('applies backpressure: no more than the window in flight until acknowledged', () => {
    const { session, sent, sinks } = setup(100);
    session.control({
      t: 'subscribe',
      id: 's',
      service: 'math',
      stream: 'onDidTick',
      input: {},
      window: 3,
    });
    for (let i = 1; i <= 10; i++) sinks[0]?.next(i);
    expect(sent.map((m) => (m.t === 'event' ? m.data : m.t))).toEqual([1, 2, 3]);
    session.control({ t: 'ack', id: 's', count: 2 });
    expect(sent.map((m) => (m.t === 'event' ? m.data : m.t))).toEqual([1, 2, 3, 4, 5]);
    session.control({ t: 'ack', id: 's', count: 10 });
    expect(sent.map((m) => (m.t === 'event' ? m.data : m.t))).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
  });

  it('ends a subscriber that falls too far behind with Overflow instead of buffering without bound', () => {
    const { session, sent, sinks, stopped } = setup(5);
    session.control({
      t: 'subscribe',
      id: 's',
      service: 'math',
      stream: 'onDidTick',
      input: {},
      window: 2,
    });
    for (let i = 1; i <= 20; i++) sinks[0]?.next(i);
    const last = sent.at(-1);
    expect(sent.filter((m) => m.t === 'event')).toHaveLength(2);
    expect(last).toMatchObject({ t: 'end', id: 's', error: { code: 'Overflow' } });
    expect(stopped()).toBe(1);
    expect(session.subscriptionCount).toBe(0);
  });

  it('delivers queued events before a normal end', () => {
    const { session, sent, sinks } = setup(10);
    session.control({
      t: 'subscribe',
      id: 's',
      service: 'math',
      stream: 'onDidTick',
      input: {},
      window: 1,
    });
    sinks[0]?.next(1);
    sinks[0]?.next(2);
    sinks[0]?.end();
    expect(sent).toEqual([{ t: 'event', id: 's', data: 1 }]);
    session.control({ t: 'ack', id: 's', count: 1 });
    expect(sent).toEqual([
      { t: 'event', id: 's', data: 1 },
      { t: 'event', id: 's', data: 2 },
      { t: 'end', id: 's' },
    ]);
  });

  it('stops every subscription when the session closes', () => {
    const { session, stopped } = setup();
    session.control({
      t: 'subscribe',
      id: 'a',
      service: 'math',
      stream: 'onDidTick',
      input: {},
      window: 1,
    });
    session.control({
      t: 'subscribe',
      id: 'b',
      service: 'math',
      stream: 'onDidTick',
      input: {},
      window: 1,
    });
    session.close();
    expect(stopped()).toBe(2);
    expect(session.subscriptionCount).toBe(0);
  });
});

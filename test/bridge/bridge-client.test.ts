import { describe, expect, it } from 'vitest';
import { ok } from '../../main/base/result';
import type { Implementation, StreamSink } from '../../main/bridge/contract';
import { BridgeServer } from '../../main/bridge/server';
import { createBridgeClient } from '../../renderer/src/platform/bridge-client';
import { memoryLink, testContract } from '../support/memory-bridge';

type TestContract = typeof testContract;

function setup(options: { maxQueuedEvents?: number; window?: number } = {}) {
  const sinks: Array<StreamSink<number>> = [];
  const implementation: Implementation<TestContract> = {
    math: {
      add: ({ a, b }) => Promise.resolve(ok(a + b)),
      explode: () => Promise.reject(new Error('boom')),
      onDidCount: ({ to }, sink) => {
        for (let i = 1; i <= to; i++) sink.next(i);
        sinks.push(sink);
        return () => undefined;
      },
    },
  };
  const server = new BridgeServer(testContract, implementation, {
    maxQueuedEvents: options.maxQueuedEvents ?? 100,
  });
  const link = memoryLink(server);
  const client = createBridgeClient<TestContract>(link.transport, { window: options.window ?? 8 });
  return { client, link, sinks };
}

describe('the typed proxy', () => {
  it('calls methods by name and returns Results', async () => {
    const { client } = setup();
    const sum = await client.api.math.add({ a: 20, b: 22 });
    expect(sum).toEqual({ ok: true, value: 42 });
    if (sum.ok) {
      // The value is typed as a number by the contract.
      const doubled: number = sum.value * 2;
      expect(doubled).toBe(84);
    }
    await expect(client.api.math.explode({})).resolves.toMatchObject({
      ok: false,
      error: { code: 'Internal' },
    });
  });

  it('passes validation failures through as values', async () => {
    const { client } = setup();
    // @ts-expect-error: the contract says b is a number; main checks it at run time as well.
    const result = await client.api.math.add({ a: 1, b: 'x' });
    expect(result).toMatchObject({ ok: false, error: { code: 'InvalidArgument' } });
  });

  it('streams events to the listener and acknowledges them in batches', () => {
    const { client, link } = setup({ window: 4 });
    const seen: number[] = [];
    client.api.math.onDidCount({ to: 10 }, { next: (n) => seen.push(n) });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const acks = link.controls.filter((c) => c.t === 'ack');
    expect(acks.length).toBeGreaterThan(0);
    expect(acks.every((a) => a.t === 'ack' && a.count === 2)).toBe(true);
  });

  it('unsubscribes', () => {
    const { client, link, sinks } = setup();
    const seen: number[] = [];
    const stop = client.api.math.onDidCount({ to: 1 }, { next: (n) => seen.push(n) });
    stop();
    expect(link.session()?.subscriptionCount).toBe(0);
    sinks[0]?.next(99);
    expect(seen).toEqual([1]);
  });

  it('reports a failed subscription to the error callback', () => {
    const { client } = setup();
    const errors: string[] = [];
    // `to` must be a non-negative integer: main checks it.
    client.api.math.onDidCount(
      { to: -1 },
      { next: () => undefined, error: (f) => errors.push(f.code) },
    );
    expect(errors).toEqual(['InvalidArgument']);
  });

  it('re-subscribes every live stream when the connection comes back', () => {
    const { client, link, sinks } = setup();
    const seen: number[] = [];
    client.api.math.onDidCount({ to: 2 }, { next: (n) => seen.push(n) });
    link.drop();
    expect(link.session()).toBeUndefined();
    link.restore();
    expect(seen).toEqual([1, 2, 1, 2]);
    expect(link.session()?.subscriptionCount).toBe(1);
    sinks.at(-1)?.next(3);
    expect(seen.at(-1)).toBe(3);
  });

  it('re-subscribes after an Overflow end, as a watcher re-lists after 410', () => {
    const { client, link, sinks } = setup({ maxQueuedEvents: 3, window: 2 });
    const seen: number[] = [];
    client.api.math.onDidCount({ to: 0 }, { next: (n) => seen.push(n) });
    // A consumer too slow to acknowledge: acks are lost, everything else goes through.
    const send = link.transport.control.bind(link.transport);
    link.transport.control = (message) => {
      if (message.t !== 'ack') send(message);
    };
    for (let i = 1; i <= 10; i++) sinks[0]?.next(i);
    // window 2 delivered, queue of 3 overflowed: the server ended the subscription...
    expect(link.sent.filter((m) => m.t === 'event')).toHaveLength(2);
    expect(link.sent.at(-1)).toMatchObject({ t: 'end', error: { code: 'Overflow' } });
    // ...and the client subscribed again under the same id, so the stream lives on.
    const subscribes = link.controls.filter((c) => c.t === 'subscribe');
    expect(subscribes).toHaveLength(2);
    expect(subscribes[1]?.id).toBe(subscribes[0]?.id);
    expect(link.session()?.subscriptionCount).toBe(1);
    sinks.at(-1)?.next(42);
    expect(seen).toEqual([1, 2, 42]);
  });

  it('answers calls made while disconnected with Unavailable', async () => {
    const { client, link } = setup();
    link.drop();
    await expect(client.api.math.add({ a: 1, b: 1 })).resolves.toMatchObject({
      ok: false,
      error: { code: 'Unavailable' },
    });
  });
});

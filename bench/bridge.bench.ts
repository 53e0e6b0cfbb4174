// Bridge benchmark: call round trips and stream throughput over the browser-mode WebSocket,
// through the real server (auth, JSON, zod validation, credit-based backpressure).
// Prints figures; asserts nothing about time.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { ok } from '../main/base/result';
import type { ContractSpec, Implementation } from '../main/bridge/contract';
import { startBrowserServer } from '../main/bridge/browser-server';
import { BridgeServer } from '../main/bridge/server';
import { createBridgeClient } from '../renderer/src/platform/bridge-client';
import { createWebSocketTransport, type SocketLike } from '../renderer/src/platform/ws-transport';
import { percentile, report, type Figure } from './report';

const smoke = process.argv.includes('--smoke');
const CALLS = smoke ? 200 : 5_000;
const EVENTS = smoke ? 5_000 : 200_000;

const spec = {
  bench: {
    echo: { kind: 'method', input: z.object({ n: z.number() }).strict(), output: z.number() },
    onDidFlood: {
      kind: 'stream',
      input: z.object({ count: z.number().int() }).strict(),
      output: z.object({ i: z.number(), payload: z.string() }),
    },
  },
} as const satisfies ContractSpec;

const implementation: Implementation<typeof spec> = {
  bench: {
    echo: ({ n }) => Promise.resolve(ok(n)),
    onDidFlood: ({ count }, sink) => {
      let i = 0;
      let stopped = false;
      const pump = (): void => {
        // Emit in slices so the event loop can deliver acks (backpressure in action).
        for (let k = 0; k < 1_000 && i < count && !stopped; k++)
          sink.next({ i: i++, payload: 'x'.repeat(64) });
        if (i < count && !stopped) setImmediate(pump);
      };
      pump();
      return () => {
        stopped = true;
      };
    },
  },
};

async function main(): Promise<void> {
  const token = 'b'.repeat(64);
  const staticDir = await mkdtemp(join(tmpdir(), 'kubelab-bench-'));
  await writeFile(join(staticDir, 'index.html'), '<!doctype html>');
  const server = await startBrowserServer({
    bridge: new BridgeServer(spec, implementation, { maxQueuedEvents: 1_000_000 }),
    token,
    port: 0,
    staticDir,
  });
  const transport = createWebSocketTransport({
    url: `ws://127.0.0.1:${server.port}/bridge`,
    createSocket: (url) =>
      new WebSocket(url, {
        headers: { origin: `http://127.0.0.1:${server.port}`, cookie: `kubelab_session=${token}` },
      }) as unknown as SocketLike,
  });
  const client = createBridgeClient<typeof spec>(transport);
  await new Promise<void>((resolve) => {
    if (transport.state === 'connected') resolve();
    transport.onState((s) => s === 'connected' && resolve());
  });

  const latencies: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const started = process.hrtime.bigint();
    const result = await client.api.bench.echo({ n: i });
    latencies.push(Number(process.hrtime.bigint() - started) / 1e3);
    if (!result.ok || result.value !== i) throw new Error(`echo ${i} failed`);
  }

  const streamStarted = process.hrtime.bigint();
  let received = 0;
  let inOrder = true;
  await new Promise<void>((resolve) => {
    const stop = client.api.bench.onDidFlood(
      { count: EVENTS },
      {
        next: (event) => {
          if (event.i !== received) inOrder = false;
          received++;
          if (received === EVENTS) {
            stop();
            resolve();
          }
        },
      },
    );
  });
  const streamSeconds = Number(process.hrtime.bigint() - streamStarted) / 1e9;

  client.close();
  await server.close();

  const figures: Figure[] = [
    { name: 'call round trip, median', value: percentile(latencies, 50), unit: 'µs' },
    { name: 'call round trip, p95', value: percentile(latencies, 95), unit: 'µs' },
    {
      name: `stream: ${EVENTS} events (window 64)`,
      value: EVENTS / streamSeconds,
      unit: 'events/s',
    },
    {
      name: 'stream: all events delivered in order',
      value: inOrder && received === EVENTS ? 1 : 0,
      unit: 'bool',
    },
  ];
  report('bridge over WebSocket', figures);
}

void main();

import { mkdtemp, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { FakeClock } from '../../main/base/clock';
import { contract } from '../../main/bridge/contract';
import { startBrowserServer, type BrowserServer } from '../../main/bridge/browser-server';
import { BridgeServer } from '../../main/bridge/server';
import { createServices } from '../../main/services';
import { createClusterService } from '../../main/services/cluster-service';
import { createBridgeClient } from '../../renderer/src/platform/bridge-client';
import {
  createWebSocketTransport,
  type SocketLike,
} from '../../renderer/src/platform/ws-transport';

const TOKEN = 'a'.repeat(64);
let staticDir: string;
const servers: BrowserServer[] = [];

beforeAll(async () => {
  staticDir = await mkdtemp(join(tmpdir(), 'kubelab-static-'));
  await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>Kubelab</title>');
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(port = 0, token = TOKEN): Promise<BrowserServer> {
  const bridge = new BridgeServer(
    contract,
    createServices({
      clock: new FakeClock(),
      mode: 'browser',
      platform: 'linux',
      cluster: createClusterService(undefined).service,
    }),
  );
  const server = await startBrowserServer({ bridge, token, port, staticDir });
  servers.push(server);
  return server;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Opens a WebSocket to /bridge; resolves to 'open' or to the HTTP status of the refusal. */
function tryWebSocket(
  port: number,
  headers: Record<string, string>,
  path = '/bridge',
): Promise<string | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve('error'));
  });
}

const cookie = `kubelab_session=${TOKEN}`;

describe('browser mode HTTP', () => {
  it('exchanges the token in the URL for an HttpOnly SameSite=Strict cookie and drops it from the URL', async () => {
    const { port } = await start();
    const reply = await get(port, `/labs?x=1&token=${TOKEN}`);
    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe('/labs?x=1');
    expect(reply.headers['set-cookie']).toEqual([
      `kubelab_session=${TOKEN}; HttpOnly; SameSite=Strict; Path=/`,
    ]);
  });

  it('serves the app to a request with the cookie, under a strict CSP', async () => {
    const { port } = await start();
    const reply = await get(port, '/', { cookie });
    expect(reply.status).toBe(200);
    expect(reply.body).toContain('<title>Kubelab</title>');
    const csp = String(reply.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${port}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
  });

  it('refuses a request without token or cookie, or with a wrong one', async () => {
    const { port } = await start();
    expect((await get(port, '/')).status).toBe(401);
    expect((await get(port, '/?token=wrong')).status).toBe(401);
    expect((await get(port, '/', { cookie: 'kubelab_session=' + 'b'.repeat(64) })).status).toBe(
      401,
    );
    expect((await get(port, '/healthz')).status).toBe(401);
    expect((await get(port, '/healthz', { cookie })).status).toBe(200);
  });

  it('refuses a request whose Host is not loopback (DNS rebinding), even with the token', async () => {
    const { port } = await start();
    const reply = await get(port, `/?token=${TOKEN}`, { host: `attacker.example:${port}`, cookie });
    expect(reply.status).toBe(403);
    expect((await get(port, '/', { host: `127.0.0.1:${port + 1}`, cookie })).status).toBe(403);
    expect((await get(port, '/', { host: `localhost:${port}`, cookie })).status).toBe(200);
  });

  it('allows only GET and HEAD, and never serves files outside the app', async () => {
    const { port } = await start();
    expect((await get(port, '/', { cookie }, 'POST')).status).toBe(405);
    expect((await get(port, '/', { cookie }, 'HEAD')).status).toBe(200);
    // Encoded slashes survive URL normalisation and reach the file lookup as `../`.
    const traversal = await get(port, '/..%2f..%2f..%2f..%2fetc%2fpasswd', { cookie });
    expect(traversal.status).toBe(404);
    expect(traversal.body).not.toContain('root:');
    // Dot segments are normalised away first: this is the app's route /etc/passwd.
    const dots = await get(port, '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', { cookie });
    expect(dots.body).not.toContain('root:');
    expect((await get(port, '/missing.js', { cookie })).status).toBe(404);
    expect((await get(port, '/some/route', { cookie })).body).toContain('<title>Kubelab</title>');
  });
});

describe('browser mode WebSocket', () => {
  it('accepts a same-origin upgrade with the cookie', async () => {
    const { port } = await start();
    expect(await tryWebSocket(port, { origin: `http://127.0.0.1:${port}`, cookie })).toBe('open');
  });

  it('refuses a WebSocket from a foreign origin even with a valid cookie', async () => {
    const { port } = await start();
    expect(await tryWebSocket(port, { origin: 'https://evil.example', cookie })).toBe(403);
    expect(await tryWebSocket(port, { origin: `http://127.0.0.1:${port + 1}`, cookie })).toBe(403);
    expect(await tryWebSocket(port, { cookie })).toBe(403);
  });

  it('refuses a WebSocket without token or cookie, or with a wrong Host', async () => {
    const { port } = await start();
    expect(await tryWebSocket(port, { origin: `http://127.0.0.1:${port}` })).toBe(401);
    expect(
      await tryWebSocket(port, {
        origin: `http://127.0.0.1:${port}`,
        cookie,
        host: `rebind.example:${port}`,
      }),
    ).toBe(403);
    expect(await tryWebSocket(port, { origin: `http://127.0.0.1:${port}`, cookie }, '/other')).toBe(
      404,
    );
  });
});

describe('the renderer transport against the real server', () => {
  function socketFactory(port: number, token = TOKEN) {
    return (url: string): SocketLike =>
      new WebSocket(url, {
        headers: { origin: `http://127.0.0.1:${port}`, cookie: `kubelab_session=${token}` },
      }) as unknown as SocketLike;
  }

  function fetchWith(token = TOKEN) {
    return (url: string) => fetch(url, { headers: { cookie: `kubelab_session=${token}` } });
  }

  function waitFor(check: () => boolean, what: string, ms = 10_000): Promise<void> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const tick = (): void => {
        if (check()) resolve();
        else if (Date.now() - started > ms) reject(new Error(`timed out waiting for ${what}`));
        else setTimeout(tick, 20);
      };
      tick();
    });
  }

  it('round-trips, survives a server restart, and resumes its subscriptions', async () => {
    const first = await start();
    const port = first.port;
    const transport = createWebSocketTransport({
      url: `ws://127.0.0.1:${port}/bridge`,
      healthUrl: `http://127.0.0.1:${port}/healthz`,
      createSocket: socketFactory(port),
      fetch: fetchWith(),
      backoffMs: [50],
    });
    const client = createBridgeClient<typeof contract>(transport);
    const states: string[] = [];
    transport.onState((s) => states.push(s));
    const beats: number[] = [];
    client.api.app.onDidHeartbeat({ intervalMs: 60_000 }, { next: (b) => beats.push(b.startedAt) });
    await waitFor(() => transport.state === 'connected', 'connected');
    const info = await client.api.app.getInfo({});
    expect(info).toMatchObject({ ok: true, value: { name: 'Kubelab', mode: 'browser' } });
    await waitFor(() => beats.length === 1, 'first heartbeat');

    await first.close();
    servers.splice(servers.indexOf(first), 1);
    await waitFor(() => transport.state === 'disconnected', 'disconnected');
    expect(await client.api.app.getInfo({})).toMatchObject({
      ok: false,
      error: { code: 'Unavailable' },
    });

    await start(port);
    await waitFor(() => transport.state === 'connected', 'reconnected');
    await waitFor(() => beats.length === 2, 'heartbeat after resubscribe');
    expect(await client.api.app.getInfo({})).toMatchObject({ ok: true });
    expect(states).toEqual(['connected', 'disconnected', 'connected']);
    client.close();
  });

  it('says "unauthorized" when the restarted server has another token', async () => {
    const first = await start();
    const port = first.port;
    const transport = createWebSocketTransport({
      url: `ws://127.0.0.1:${port}/bridge`,
      healthUrl: `http://127.0.0.1:${port}/healthz`,
      createSocket: socketFactory(port),
      fetch: fetchWith(),
      backoffMs: [50],
    });
    await waitFor(() => transport.state === 'connected', 'connected');
    await first.close();
    servers.splice(servers.indexOf(first), 1);
    await start(port, 'c'.repeat(64));
    await waitFor(() => transport.state === 'unauthorized', 'unauthorized');
    transport.close();
  });
});

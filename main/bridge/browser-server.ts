/**
 * Browser mode: the renderer served over HTTP on 127.0.0.1 and the bridge over a WebSocket at
 * `/bridge`, with every request checked by `browser-auth.ts`. The same services as the desktop app,
 * reached from any Chromium-class browser.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { readFile } from 'node:fs/promises';
import { authorize, sessionCookie, type Verdict } from './browser-auth';
import { contentSecurityPolicy } from './csp';
import { BRIDGE_PATH, HEALTH_PATH, type ContractSpec } from './contract';
import type { BridgeServer } from './server';
import { findAsset } from './static-files';
import { createWebSocketBridge, type WebSocketBridge } from './websocket';

/** A Connect-style middleware (Vite's dev server in `--dev`). */
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export interface BrowserServerOptions {
  readonly bridge: BridgeServer<ContractSpec>;
  /** The access token; see `browser-auth.ts`. */
  readonly token: string;
  /** The port to listen on; 0 picks a free one. */
  readonly port: number;
  /** The built renderer (`out/renderer`). */
  readonly staticDir?: string;
  /**
   * Development: builds a middleware that serves the renderer instead of `staticDir` (Vite with
   * HMR), given the HTTP server before it listens so Vite can attach its HMR socket to it.
   */
  readonly devServer?: (server: Server) => Promise<Middleware>;
  readonly log?: (line: string) => void;
}

export interface BrowserServer {
  /** The URL to open, token included. */
  readonly url: string;
  readonly port: number;
  readonly webSocket: WebSocketBridge;
  close(): Promise<void>;
}

export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const log = options.log ?? (() => undefined);
  let devMiddleware: Middleware | undefined;
  const webSocket = createWebSocketBridge(options.bridge, {
    onError: (error) => log(`bridge: ${error instanceof Error ? error.message : String(error)}`),
  });
  let port = options.port;

  const server = createServer((req, res) => {
    handleRequest(req, res).catch((error: unknown) => {
      log(`http: ${req.method ?? ''} ${req.url ?? ''}: ${String(error)}`);
      if (!res.headersSent) plain(res, 500, 'Internal error');
      else res.destroy();
    });
  });

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const verdict = authorize(
      { host: req.headers.host, cookie: req.headers.cookie, url },
      { port, token: options.token, upgrade: false },
    );
    if (!verdict.allowed) {
      refuse(res, verdict);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      plain(res, 405, 'Method not allowed');
      return;
    }
    const target = new URL(url, 'http://localhost');
    if (verdict.viaQuery) {
      // Trade the token in the URL for a cookie, and drop it from the address bar.
      target.searchParams.delete('token');
      res.setHeader('Set-Cookie', sessionCookie(options.token));
      res.setHeader('Location', target.pathname + target.search);
      res.setHeader('Cache-Control', 'no-store');
      res.statusCode = 303;
      res.end();
      return;
    }
    setSecurityHeaders(res, req.headers.host ?? '', Boolean(devMiddleware));
    if (target.pathname === HEALTH_PATH) {
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.setHeader('Cache-Control', 'no-store');
      res.end('{"ok":true}');
      return;
    }
    if (devMiddleware) {
      devMiddleware(req, res, () => plain(res, 404, 'Not found'));
      return;
    }
    if (!options.staticDir) {
      plain(res, 404, 'Not found');
      return;
    }
    await serveStatic(req, res, options.staticDir, target.pathname);
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname !== BRIDGE_PATH) {
      // In --dev, Vite's HMR socket shares this server and answers its own upgrades.
      if (!devMiddleware) rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    const verdict = authorize(
      {
        host: req.headers.host,
        origin: req.headers.origin,
        cookie: req.headers.cookie,
        url: req.url ?? '/',
      },
      { port, token: options.token, upgrade: true },
    );
    if (!verdict.allowed) {
      log(`refused WebSocket: ${verdict.reason}`);
      rejectUpgrade(socket, verdict.status, verdict.status === 401 ? 'Unauthorized' : 'Forbidden');
      return;
    }
    webSocket.handleUpgrade(req, socket, head);
  });

  if (options.devServer) devMiddleware = await options.devServer(server);
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : options.port;

  return {
    url: `http://127.0.0.1:${port}/?token=${options.token}`,
    port,
    webSocket,
    async close() {
      webSocket.close();
      server.closeAllConnections();
      await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
    },
  };
}

function setSecurityHeaders(res: ServerResponse, host: string, dev: boolean): void {
  if (!dev) {
    res.setHeader('Content-Security-Policy', contentSecurityPolicy({ connect: [`ws://${host}`] }));
  }
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

function refuse(res: ServerResponse, verdict: Extract<Verdict, { allowed: false }>): void {
  if (verdict.status === 401) {
    res.statusCode = 401;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.end(
      '<!doctype html><meta charset="utf-8"><title>Kubelab</title>' +
        '<p>Kubelab needs its access token. Open the URL that <code>kubelab serve</code> ' +
        '(or <code>npm start</code>) printed; it ends in <code>?token=…</code>.</p>',
    );
    return;
  }
  plain(res, verdict.status, `Forbidden: ${verdict.reason}`);
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(`${text}\n`);
}

function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

async function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  root: string,
  pathname: string,
): Promise<void> {
  const asset = await findAsset(root, pathname);
  if (!asset) {
    plain(res, 404, 'Not found');
    return;
  }
  res.setHeader('Content-Type', asset.type);
  res.setHeader(
    'Cache-Control',
    asset.immutable ? 'public, max-age=31536000, immutable' : 'no-store',
  );
  res.setHeader('Content-Length', asset.size);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  res.end(await readFile(asset.file));
}

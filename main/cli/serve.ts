/**
 * `kubelab serve`: browser mode. The port and access token are kept in the state folder so that a
 * restarted server answers the tab that is already open (it reconnects by itself).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import { join } from 'node:path';
import { z } from 'zod';
import { realClock } from '../base/clock';
import { BridgeServer } from '../bridge/server';
import { contract } from '../bridge/contract';
import { startBrowserServer, type BrowserServer, type Middleware } from '../bridge/browser-server';
import { createServices } from '../services';
import { createClusterService } from '../services/cluster-service';
import { createPracticeBackend } from '../services/practice-cluster';
import { packageRoot, rendererDir } from '../platform/paths';
import { readJsonFile, stateDir, writeFileAtomic } from '../platform/state';
import { UsageError, type CliIo } from './io';

/** The port browser mode uses unless told otherwise. */
export const DEFAULT_PORT = 7420;

const SavedSession = z.object({
  port: z.number().int().min(1).max(65535),
  token: z.string().regex(/^[0-9a-f]{64}$/),
});

export interface ServeOptions {
  /** Explicit port; 0 picks a free one. Undefined: the last port used, else `DEFAULT_PORT`. */
  readonly port?: number | undefined;
  /** Serve the renderer from source through Vite, with hot reload. */
  readonly dev?: boolean | undefined;
  /** Forget the saved token (tabs opened before must use the new URL). */
  readonly newToken?: boolean | undefined;
  /** Start the practice cluster (default true; `--no-cluster` turns it off). */
  readonly cluster?: boolean | undefined;
}

/** A running browser-mode server and the practice cluster it started. */
export interface Serving {
  readonly server: BrowserServer;
  close(): Promise<void>;
}

export function parsePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) {
    throw new UsageError(`invalid port "${value}": expected a number from 0 to 65535`);
  }
  return Number(value);
}

export async function serve(options: ServeOptions, io: CliIo): Promise<Serving> {
  const file = join(stateDir(io.env), 'browser.json');
  const saved = SavedSession.safeParse(await readJsonFile(file));
  const token =
    saved.success && !options.newToken ? saved.data.token : randomBytes(32).toString('hex');
  const preferred = options.port ?? (saved.success ? saved.data.port : DEFAULT_PORT);

  const root = packageRoot();
  const staticDir = rendererDir(root);
  if (!options.dev && !existsSync(join(staticDir, 'index.html'))) {
    throw new UsageError(
      `the renderer is not built (${staticDir} is missing): run "npm run build"`,
    );
  }
  const cluster = createClusterService(
    options.cluster === false
      ? undefined
      : createPracticeBackend({ root, env: io.env, node: process.execPath }),
  );
  const services = createServices({
    clock: realClock,
    mode: 'browser',
    platform: process.platform,
    cluster: cluster.service,
  });
  const bridge = new BridgeServer(contract, services, {
    onError: (error, where) => io.err(`kubelab: ${where}: ${String(error)}\n`),
  });
  const devServer = options.dev ? viteDevServer(root) : undefined;
  const start = (port: number): Promise<BrowserServer> =>
    startBrowserServer({
      bridge,
      token,
      port,
      staticDir,
      ...(devServer ? { devServer } : {}),
      log: (line) => io.err(`kubelab: ${line}\n`),
    });

  let server: BrowserServer;
  try {
    server = await start(preferred);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    if (options.port !== undefined) {
      throw new UsageError(
        `port ${preferred} is already in use (another "kubelab serve"?); choose another with --port, or --port 0 for any free port`,
      );
    }
    io.err(`kubelab: port ${preferred} is in use; using a free port instead\n`);
    server = await start(0);
  }
  await writeFileAtomic(file, JSON.stringify({ port: server.port, token }, null, 2) + '\n');
  io.out(
    `Kubelab is running in browser mode. Open this URL in your browser:\n\n  ${server.url}\n\n`,
  );
  io.out('Press Ctrl+C to stop.\n');
  // The practice cluster starts behind the server; the UI shows its progress.
  const started = cluster.start();
  return {
    server,
    async close() {
      await server.close();
      await started;
      await cluster.stop();
    },
  };
}

/** Vite in middleware mode (a devDependency, loaded only for --dev). */
function viteDevServer(root: string): (server: HttpServer) => Promise<Middleware> {
  return async (httpServer) => {
    const vite = await import('vite');
    const dev = await vite.createServer({
      configFile: join(root, 'vite.config.mts'),
      server: { middlewareMode: true, hmr: { server: httpServer } },
      appType: 'spa',
    });
    return dev.middlewares as unknown as Middleware;
  };
}

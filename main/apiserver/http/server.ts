/**
 * The embedded cluster's API endpoint: HTTPS on 127.0.0.1 with a bearer token, serving version,
 * health, discovery, OpenAPI v3 and the resource API to kubectl and client libraries.
 */
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../base/clock';
import { isPlainObject, type KubeObject } from '../../kube/objects';
import { apiVersionOf, type ResourceType } from '../../kube/resources';
import { errors, StatusError, toStatus } from '../../kube/status';
import { versionInfo } from '../../kube/version';
import { bucketOf, type Registry, type WatchEvent } from '../registry/registry';
import { createDiscovery, type Document } from './discovery';
import { acceptable, parseAccept, wantsAggregatedDiscovery, wantsTable } from './negotiate';
import { createOpenApi } from './openapi';
import {
  ResourceHandlers,
  type AdvanceableClock,
  type Exchange,
  type PodRuntime,
} from './resources';
import { route } from './router';
import { ObjectJson, RawJson } from './json-cache';
import { parseIncludeObject, toTableJson } from './tables';

export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
}

export interface ApiServerOptions {
  readonly registry: Registry;
  readonly clock: Clock;
  readonly tls: TlsMaterial;
  readonly token: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly runtime?: PodRuntime;
  /** The clock that `clocks/cluster/advance` moves (the embedded cluster's SimulatedClock). */
  readonly advanceableClock?: AdvanceableClock;
  /** Called for each request (method, path, status, milliseconds) when set. */
  readonly onRequest?: (method: string, path: string, status: number, ms: number) => void;
  readonly log?: (line: string) => void;
  /** Bytes a watch may buffer for a slow client before it is closed. */
  readonly maxWatchBufferBytes?: number;
}

export interface ApiServer {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

/** What a real API server answers `/openapi/v2` with when asked for protobuf, as kubectl does. */
const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

const UNAUTHENTICATED_PATHS = /^\/(healthz|livez|readyz|version)(\/.*)?$/;
const WATCH_BUFFER = 16 * 1024 * 1024;

function tokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!match) return false;
  const a = Buffer.from(match[1]!.trim());
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A `Warning` header value (`299 - "text"`), as apiserver's NewWarningHeader writes it. */
function warningHeader(text: string): string {
  return `299 - "${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const discovery = createDiscovery();
  const openapi = createOpenApi();
  const log = options.log ?? (() => undefined);
  let serverAddress = '127.0.0.1:0';
  const json = new ObjectJson(() => options.advanceableClock?.offset ?? 0);

  const send = (exchange: Exchange, status: number, body: unknown): void => {
    const method = exchange.req.method ?? 'GET';
    if (method === 'GET' || method === 'HEAD') {
      write(exchange, status, body);
      return;
    }
    // A write is acknowledged only once the store has it on disk (persistent store; the memory
    // store resolves at once). If the disk failed, the client must not be told it succeeded.
    options.registry.store.flushed().then(
      () => write(exchange, status, body),
      (error: unknown) =>
        write(
          exchange,
          500,
          toStatus(errors.internal(error instanceof Error ? error.message : String(error))),
        ),
    );
  };

  const write = (exchange: Exchange, status: number, body: unknown): void => {
    const { res } = exchange;
    if (res.headersSent || res.destroyed) return;
    for (const warning of [...new Set(exchange.warnings)])
      res.appendHeader('Warning', warningHeader(warning));
    const text =
      body instanceof RawJson
        ? body.text
        : JSON.stringify(isPlainObject(body) ? json.toWall(body) : body);
    // Encoded once: the length and the bytes sent come from one pass over a text that can be
    // megabytes long (a page of a list).
    const bytes = Buffer.from(text);
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Content-Length': bytes.length,
    });
    res.end(bytes);
  };

  const sendDocument = (exchange: Exchange, doc: Document, contentType: string): void => {
    const { req, res } = exchange;
    if (req.headers['if-none-match'] === doc.etag) {
      res.writeHead(304, { ETag: doc.etag, Vary: 'Accept' });
      res.end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': contentType,
      ETag: doc.etag,
      Vary: 'Accept',
      'Cache-Control': 'public',
      'Content-Length': Buffer.byteLength(doc.body),
    });
    res.end(doc.body);
  };

  const watch = (exchange: Exchange, type: ResourceType, namespace: string): void => {
    const { query, res, req } = exchange;
    const predicate = options.registry.predicate(
      type,
      query.get('labelSelector') ?? undefined,
      query.get('fieldSelector') ?? undefined,
    );
    const rv = query.get('resourceVersion');
    let since: number | undefined;
    if (rv !== null && rv !== '') {
      if (!/^\d+$/.test(rv))
        throw errors.badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
      since = Number(rv);
    }
    const table = wantsTable(exchange.accept);
    const include = table ? parseIncludeObject(query.get('includeObject')) : 'Metadata';
    const timeoutParam = query.get('timeoutSeconds');
    const timeoutMs =
      timeoutParam !== null && /^\d+$/.test(timeoutParam) && Number(timeoutParam) > 0
        ? Number(timeoutParam) * 1000
        : 1800_000 * (1 + Math.random());
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    res.flushHeaders();
    let headersSent = false;
    let closed = false;
    const encode = (eventType: string, object: unknown): string => {
      if (table && eventType !== 'ERROR' && eventType !== 'BOOKMARK') {
        const tableObject = toTableJson(
          bucketOf(type),
          [object as KubeObject],
          { resourceVersion: (object as KubeObject).metadata.resourceVersion ?? '' },
          {
            version: table,
            include,
            noHeaders: headersSent || query.get('noHeaders') === 'true',
            now: options.clock.now(),
            json,
          },
        );
        headersSent = true;
        return `{"type":"${eventType}","object":${tableObject.text}}\n`;
      }
      // Stored objects are shared by every watcher: their JSON is computed once.
      return `{"type":"${eventType}","object":${json.json(object as object)}}\n`;
    };
    const limit = options.maxWatchBufferBytes ?? WATCH_BUFFER;
    const write = (line: string): boolean => {
      if (closed) return false;
      res.write(line);
      return res.writableLength <= limit;
    };
    const cleanups: Array<() => void> = [];
    const finish = (): void => {
      if (closed) return;
      closed = true;
      for (const cleanup of cleanups) cleanup();
      res.end();
    };
    let handle;
    try {
      handle = options.registry.watch(
        type,
        namespace,
        { sinceRevision: since, predicate, onClose: () => finish() },
        (event: WatchEvent) => write(encode(event.type, event.object)),
      );
    } catch (error) {
      // A too-old resourceVersion arrives in the stream as an ERROR event, then the stream ends.
      write(encode('ERROR', toStatus(error)));
      finish();
      return;
    }
    cleanups.push(() => handle.stop());
    const timer = setTimeout(finish, timeoutMs);
    cleanups.push(() => clearTimeout(timer));
    if (query.get('allowWatchBookmarks') === 'true') {
      const bookmark = setInterval(() => {
        options.registry.store.flush();
        write(
          `${JSON.stringify({ type: 'BOOKMARK', object: { kind: type.kind, apiVersion: apiVersionOf(type), metadata: { resourceVersion: String(options.registry.store.revision) } } })}\n`,
        );
      }, 60_000);
      cleanups.push(() => clearInterval(bookmark));
    }
    res.on('close', finish);
    req.on('error', finish);
  };

  const handlers = new ResourceHandlers({
    registry: options.registry,
    clock: options.clock,
    ...(options.runtime ? { runtime: options.runtime } : {}),
    ...(options.advanceableClock ? { advanceableClock: options.advanceableClock } : {}),
    json,
    send,
    watch,
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const exchange: Exchange = {
      req,
      res,
      query: url.searchParams,
      accept: parseAccept(req.headers.accept),
      warnings: [],
    };
    if (
      !UNAUTHENTICATED_PATHS.test(url.pathname) &&
      !tokenMatches(req.headers.authorization, options.token)
    ) {
      throw errors.unauthorized();
    }
    const target = route(url.pathname);
    switch (target.kind) {
      case 'version':
        send(
          exchange,
          200,
          versionInfo(`${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`),
        );
        return;
      case 'health':
        res.writeHead(200, {
          'Content-Type': 'text/plain; charset=utf-8',
          'X-Content-Type-Options': 'nosniff',
        });
        res.end('ok');
        return;
      case 'api':
      case 'apis': {
        const aggregated = wantsAggregatedDiscovery(exchange.accept);
        if (aggregated) {
          sendDocument(
            exchange,
            discovery.aggregated(target.kind === 'api' ? '/api' : '/apis', aggregated),
            `application/json;g=apidiscovery.k8s.io;v=${aggregated};as=APIGroupDiscoveryList`,
          );
        } else if (target.kind === 'api') {
          sendDocument(exchange, discovery.legacyApi(serverAddress), 'application/json');
        } else {
          sendDocument(exchange, discovery.legacyApis(), 'application/json');
        }
        return;
      }
      case 'group': {
        const doc = discovery.group(target.group);
        if (!doc) throw errors.routeNotFound();
        sendDocument(exchange, doc, 'application/json');
        return;
      }
      case 'groupVersion': {
        const doc = discovery.resourceList(target.group, target.version);
        if (!doc) throw errors.routeNotFound();
        sendDocument(exchange, doc, 'application/json');
        return;
      }
      case 'openapiRoot':
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(openapi.root());
        return;
      case 'openapiV2':
        // An empty OpenAPI v2 document (an empty protobuf message). kubectl falls back to v2 for
        // a group-version that OpenAPI v3 does not list (extensions/v1beta1 from an old
        // tutorial): with a document to read, it finds no schema for the kind, skips client-side
        // validation and says what a real cluster's kubectl says — `no matches for kind
        // "DaemonSet" in version "extensions/v1beta1"` — instead of failing to download v2.
        // Everything else kubectl does reads OpenAPI v3.
        res.writeHead(200, { 'Content-Type': OPENAPI_V2_PROTOBUF });
        res.end();
        return;
      case 'crdList':
        // The same fallback first asks whether the kind is a custom resource: none is defined
        // here (the embedded cluster serves no CustomResourceDefinitions; see ARCHITECTURE.md).
        if (req.method !== 'GET') throw errors.routeNotFound();
        send(exchange, 200, {
          kind: 'CustomResourceDefinitionList',
          apiVersion: 'apiextensions.k8s.io/v1',
          metadata: { resourceVersion: '' },
          items: [],
        });
        return;
      case 'openapiDocument': {
        const doc = openapi.document(target.key);
        if (!doc) throw errors.routeNotFound();
        const hash = url.searchParams.get('hash');
        if (hash !== null && hash !== doc.hash) {
          res.writeHead(301, { Location: `/openapi/v3/${target.key}?hash=${doc.hash}` });
          res.end();
          return;
        }
        const etag = `"${doc.hash}"`;
        if (req.headers['if-none-match'] === etag) {
          res.writeHead(304, { ETag: etag, Vary: 'Accept' });
          res.end();
          return;
        }
        res.writeHead(200, {
          'Content-Type': 'application/json',
          ETag: etag,
          Vary: 'Accept',
          ...(hash !== null
            ? {
                'Cache-Control': 'public, immutable',
                Expires: new Date(Date.now() + 365 * 86_400_000).toUTCString(),
              }
            : {}),
        });
        res.end(doc.body);
        return;
      }
      case 'resource':
        if (!acceptable(exchange.accept)) {
          throw errors.notAcceptable([
            'application/json',
            'application/yaml',
            'application/vnd.kubernetes.protobuf',
          ]);
        }
        await handlers.handle(
          exchange,
          target.type,
          target.namespace,
          target.name,
          target.subresource,
          target.watchPath,
        );
        return;
      case 'notFound':
        throw errors.routeNotFound();
    }
  };

  const server = createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, (req, res) => {
    const started = performance.now();
    res.on('finish', () =>
      options.onRequest?.(
        req.method ?? '',
        req.url ?? '',
        res.statusCode,
        performance.now() - started,
      ),
    );
    handle(req, res).catch((error: unknown) => {
      if (!(error instanceof StatusError))
        log(
          `apiserver: ${req.method ?? ''} ${req.url ?? ''}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
      if (res.headersSent) {
        res.end();
        return;
      }
      const status = toStatus(error);
      const text = JSON.stringify(status);
      req.resume();
      res.writeHead(status.code, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(text),
      });
      res.end(text);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  serverAddress = `127.0.0.1:${port}`;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    server,
    async close() {
      options.registry.store.closeAllWatches('server shutting down');
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

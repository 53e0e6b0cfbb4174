/**
 * A small Kubernetes API client for Kubelab's own commands (`kubelab node …`, `kubelab cluster
 * advance`, the backends): loads a kubeconfig context with @kubernetes/client-node (so every
 * auth method kubectl supports works, exec plugins included) and sends JSON requests over HTTPS.
 * Errors carry the server's Status message, worded as kubectl prints them.
 */
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';

export interface KubeClientOptions {
  /** A kubeconfig file; default: $KUBECONFIG or ~/.kube/config. */
  readonly kubeconfig?: string | undefined;
  /** A context in it; default: its current context. */
  readonly context?: string | undefined;
}

export interface KubeResponse {
  readonly status: number;
  readonly body: unknown;
}

/** An error answer from the API server: `Error from server (<reason>): <message>`. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(reason ? `Error from server (${reason}): ${message}` : `Error from server: ${message}`);
    this.name = 'KubeApiError';
  }
}

export interface KubeClient {
  /** The context used and its server URL. */
  readonly context: string;
  readonly server: string;
  request(
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<KubeResponse>;
  /** A request that must succeed (2xx); answers the decoded body. */
  call(method: string, path: string, body?: unknown, contentType?: string): Promise<unknown>;
}

export async function openKubeClient(options: KubeClientOptions = {}): Promise<KubeClient> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const config = new KubeConfig();
  if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
  else config.loadFromDefault();
  if (options.context) {
    if (!config.getContextObject(options.context)) {
      throw new Error(`context "${options.context}" does not exist in the kubeconfig`);
    }
    config.setCurrentContext(options.context);
  }
  const cluster = config.getCurrentCluster();
  if (!cluster) {
    throw new Error(
      `the kubeconfig has no cluster for context "${config.getCurrentContext() || '(none)'}"`,
    );
  }
  const server = cluster.server.replace(/\/+$/, '');
  const client: KubeClient = {
    context: config.getCurrentContext(),
    server,
    async request(method, path, body, contentType = 'application/json') {
      const url = new URL(path, `${server}/`);
      const requestOptions: RequestOptions = {
        method,
        headers: {
          Accept: 'application/json',
          ...(body !== undefined ? { 'Content-Type': contentType } : {}),
        },
      };
      await config.applyToHTTPSOptions(requestOptions);
      const payload = body === undefined ? undefined : JSON.stringify(body);
      return new Promise<KubeResponse>((resolve, reject) => {
        const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
        const req = send(url, requestOptions, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let decoded: unknown = text;
            try {
              decoded = text ? JSON.parse(text) : undefined;
            } catch {
              // not JSON: keep the text
            }
            resolve({ status: res.statusCode ?? 0, body: decoded });
          });
          res.on('error', reject);
        });
        req.on('error', (error) =>
          reject(new Error(`cannot reach the cluster at ${server}: ${error.message}`)),
        );
        req.end(payload);
      });
    },
    async call(method, path, body, contentType) {
      const response = await client.request(method, path, body, contentType);
      if (response.status >= 200 && response.status < 300) return response.body;
      const status = (response.body ?? {}) as { reason?: string; message?: string };
      throw new KubeApiError(
        response.status,
        status.reason ?? '',
        status.message ??
          (typeof response.body === 'string' ? response.body : `HTTP ${response.status}`),
      );
    },
  };
  return client;
}

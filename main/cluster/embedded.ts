/**
 * The embedded cluster: store, registry, controllers and the HTTPS API server in one process —
 * the process `kubelab cluster start` runs. It serves the real Kubernetes API, so kubectl and the
 * app reach it through its kubeconfig like any cluster.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../base/clock';
import type { Random } from '../base/random';
import { MemoryStore } from '../apiserver/store/store';
import { Registry } from '../apiserver/registry/registry';
import { startApiServer, type ApiServer } from '../apiserver/http/server';
import { createCertificates, type ClusterCertificates } from '../apiserver/tls';
import { NamespaceController } from '../controllers/namespaces';
import { bootstrapCluster, kindNodeNames } from './bootstrap';

export interface EmbeddedClusterOptions {
  readonly name: string;
  readonly workers: number;
  /** 0 picks a free port. */
  readonly port: number;
  readonly clock: Clock;
  readonly random: Random;
  /** Reuse a CA and token (so an existing kubeconfig keeps working); new ones otherwise. */
  readonly identity?: { readonly caCert: string; readonly caKey: string; readonly token: string };
  readonly log?: (line: string) => void;
  /** Watch history length (events); older resource versions answer 410 Gone. */
  readonly historySize?: number;
  readonly onRequest?: (method: string, path: string, status: number, ms: number) => void;
}

export interface EmbeddedCluster {
  readonly name: string;
  readonly server: string;
  readonly token: string;
  readonly certificates: ClusterCertificates;
  readonly registry: Registry;
  readonly api: ApiServer;
  stop(): Promise<void>;
}

export async function startEmbeddedCluster(
  options: EmbeddedClusterOptions,
): Promise<EmbeddedCluster> {
  const log = options.log ?? (() => undefined);
  const certificates = await createCertificates(new Date(options.clock.now()), options.identity);
  const token = options.identity?.token ?? randomBytes(32).toString('hex');
  const store = new MemoryStore(options.historySize ? { historySize: options.historySize } : {});
  const registry = new Registry({ store, clock: options.clock, random: options.random });
  const namespaceController = new NamespaceController({
    registry,
    clock: options.clock,
    caCert: certificates.caCert,
    log,
  });
  namespaceController.start();
  bootstrapCluster({
    registry,
    random: options.random,
    nodes: kindNodeNames(options.name, options.workers),
  });
  store.flush();
  const api = await startApiServer({
    registry,
    clock: options.clock,
    tls: { cert: certificates.cert, key: certificates.key },
    token,
    port: options.port,
    log,
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
  });
  return {
    name: options.name,
    server: api.url,
    token,
    certificates,
    registry,
    api,
    async stop() {
      namespaceController.stop();
      await api.close();
    },
  };
}

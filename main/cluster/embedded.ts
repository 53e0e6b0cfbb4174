/**
 * The embedded cluster: store, registry, controllers and the HTTPS API server in one process —
 * the process `kubelab cluster start` runs. It serves the real Kubernetes API, so kubectl and the
 * app reach it through its kubeconfig like any cluster.
 *
 * With a data folder (`--data-dir`) it survives restarts: the objects (store/, see
 * apiserver/store/persistent.ts), the CA and serving certificate (pki/), the bearer token (token)
 * and the last port (cluster.json), so a kubeconfig written before the restart keeps working.
 */
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { dirname, join } from 'node:path';
import { SimulatedClock, type Clock } from '../base/clock';
import { forkRandom, type Random } from '../base/random';
import { MemoryStore } from '../apiserver/store/store';
import type { DurableFs } from '../apiserver/store/durable-fs';
import {
  openPersistentStore,
  PersistentStore,
  type Failpoint,
} from '../apiserver/store/persistent';
import { bucketOf, Registry } from '../apiserver/registry/registry';
import { startApiServer, type ApiServer, type ApiServerOptions } from '../apiserver/http/server';
import { createCertificates, type ClusterCertificates } from '../apiserver/tls';
import { NamespaceController } from '../controllers/namespaces';
import { ensureClock } from '../controllers/clock';
import { findResource } from '../kube/resources';
import { CLOCK_NAME } from '../kube/simulator-types';
import { createControllers, type ClusterControllers } from './controllers';
import { bootstrapSystemWorkloads } from './system-workloads';
import { nodeDurableFs } from '../platform/durable-fs';
import { bootstrapCluster, kindNodeNames } from './bootstrap';

/** What a cluster is made of; everything with effects (clock, randomness, files) passed in. */
export interface EmbeddedClusterOptions {
  readonly name: string;
  readonly workers: number;
  /** 0 picks a free port (with a data folder: the last one, if it is still free). */
  readonly port: number;
  /** The base clock (the wall clock, or a FakeClock in tests); the cluster runs ahead of it by what it has been advanced. */
  readonly clock: Clock;
  /** The pace of a new cluster's Clock (a kept cluster keeps its own). Default: Realistic. */
  readonly pace?: 'Instant' | 'Realistic';
  /**
   * Run the controllers, scheduler and simulated kubelets (default true). Without them the
   * cluster is the API server alone: objects are stored, nothing acts on them.
   */
  readonly controllers?: boolean;
  /** Create kind's system workloads (kindnet, kube-proxy, coredns…; default true). */
  readonly systemWorkloads?: boolean;
  readonly random: Random;
  /**
   * Reuse a CA and token (so an existing kubeconfig keeps working); new ones otherwise. A data
   * folder that already holds an identity wins over this one.
   */
  readonly identity?: { readonly caCert: string; readonly caKey: string; readonly token: string };
  readonly log?: (line: string) => void;
  /** Watch history length (events); older resource versions answer 410 Gone. */
  readonly historySize?: number;
  readonly onRequest?: (method: string, path: string, status: number, ms: number) => void;
  /** Keep the cluster in this folder across restarts; without it, memory only. */
  readonly dataDir?: string;
  /** The file system under `dataDir` (node:fs by default; tests may pass another). */
  readonly fs?: DurableFs;
  /** Records in the store's log between snapshots (see PersistentStoreOptions). */
  readonly snapshotEvery?: number;
  /** Test-only crash injection in the store (see PersistentStoreOptions.failpoint). */
  readonly failpoint?: (name: Failpoint) => void;
}

/** A running cluster: where it serves, how to reach it, and how to stop it. */
export interface EmbeddedCluster {
  readonly name: string;
  readonly server: string;
  readonly token: string;
  readonly certificates: ClusterCertificates;
  readonly registry: Registry;
  readonly api: ApiServer;
  /** Cluster time: the base clock plus what the cluster has been advanced. */
  readonly clock: SimulatedClock;
  /** The controllers, when running (tests await `controllers.manager.settle()`). */
  readonly controllers: ClusterControllers | undefined;
  /** Stops serving, then (with a data folder) flushes and closes the store. */
  stop(): Promise<void>;
}

const PKI = 'pki';
const CA_CERT = 'ca.crt';
const CA_KEY = 'ca.key';
const SERVING_CERT = 'apiserver.crt';
const SERVING_KEY = 'apiserver.key';
const TOKEN = 'token';
const CLUSTER_FILE = 'cluster.json';
/** A serving certificate this close to expiry is replaced at start (kubeadm renews at 30 days). */
const RENEW_BEFORE_MS = 30 * 86_400_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function readText(fs: DurableFs, path: string): Promise<string | undefined> {
  const data = await fs.readFile(path);
  return data && decoder.decode(data);
}

/** Writes a file so that a crash leaves the old content or the new, mode 0600 (keys, tokens). */
async function writeDurably(fs: DurableFs, path: string, text: string): Promise<void> {
  const temporary = `${path}.tmp`;
  await fs.writeFile(temporary, encoder.encode(text), { mode: 0o600 });
  await fs.rename(temporary, path);
  await fs.syncDir(dirname(path));
}

/** Whether a kept serving certificate can serve again: issued by the CA, its key, not expiring. */
function servingCertificateUsable(certificates: ClusterCertificates, now: number): boolean {
  try {
    const cert = new X509Certificate(certificates.cert);
    const ca = new X509Certificate(certificates.caCert);
    return (
      cert.checkIssued(ca) &&
      cert.verify(ca.publicKey) &&
      cert.checkPrivateKey(createPrivateKey(certificates.key)) &&
      Date.parse(cert.validFrom) <= now &&
      Date.parse(cert.validTo) - now > RENEW_BEFORE_MS
    );
  } catch {
    return false;
  }
}

interface Identity {
  readonly certificates: ClusterCertificates;
  readonly token: string;
}

/**
 * The identity kept in the data folder, made on the first start. Nothing is handed out (no
 * kubeconfig written) before all of it is durable, so a half-written identity was never used
 * and is simply made again.
 */
async function keptIdentity(
  fs: DurableFs,
  dataDir: string,
  now: number,
  given: EmbeddedClusterOptions['identity'],
): Promise<Identity> {
  const pki = join(dataDir, PKI);
  await fs.mkdir(pki);
  const [caCert, caKey, cert, key, keptToken] = await Promise.all(
    [CA_CERT, CA_KEY, SERVING_CERT, SERVING_KEY]
      .map((file) => readText(fs, join(pki, file)))
      .concat(readText(fs, join(dataDir, TOKEN)).then((text) => text?.trim())),
  );
  let certificates: ClusterCertificates;
  if (caCert && caKey) {
    const kept = { caCert, caKey, cert: cert ?? '', key: key ?? '' };
    certificates = servingCertificateUsable(kept, now)
      ? kept
      : await createCertificates(new Date(now), { caCert, caKey });
  } else {
    certificates = await createCertificates(new Date(now), given);
    await writeDurably(fs, join(pki, CA_KEY), certificates.caKey);
    await writeDurably(fs, join(pki, CA_CERT), certificates.caCert);
  }
  if (certificates.cert !== cert || certificates.key !== key) {
    await writeDurably(fs, join(pki, SERVING_KEY), certificates.key);
    await writeDurably(fs, join(pki, SERVING_CERT), certificates.cert);
  }
  const token = keptToken || given?.token || randomBytes(32).toString('hex');
  if (token !== keptToken) await writeDurably(fs, join(dataDir, TOKEN), `${token}\n`);
  return { certificates, token };
}

interface ClusterFile {
  readonly name?: string;
  readonly port?: number;
}

async function readClusterFile(fs: DurableFs, dataDir: string): Promise<ClusterFile> {
  const text = await readText(fs, join(dataDir, CLUSTER_FILE));
  if (!text) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return {};
    const { name, port } = parsed as Record<string, unknown>;
    return {
      ...(typeof name === 'string' ? { name } : {}),
      ...(typeof port === 'number' && Number.isInteger(port) ? { port } : {}),
    };
  } catch {
    return {};
  }
}

/** Listens on `preferred`, or on `fallback` when something else has taken it. */
async function listen(
  options: Omit<ApiServerOptions, 'port'>,
  preferred: number,
  fallback: number,
  log: (line: string) => void,
): Promise<ApiServer> {
  try {
    return await startApiServer({ ...options, port: preferred });
  } catch (error) {
    if (preferred === fallback || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
      throw error;
    }
    log(`port ${preferred}, which this cluster used before, is taken: serving on another`);
    return startApiServer({ ...options, port: fallback });
  }
}

/**
 * Builds and starts a cluster: from its data folder when it has one (then a restart is the same
 * cluster), fresh otherwise. Resolves once it serves and every bootstrap write is durable.
 */
export async function startEmbeddedCluster(
  options: EmbeddedClusterOptions,
): Promise<EmbeddedCluster> {
  const log = options.log ?? (() => undefined);
  const { dataDir } = options;
  const fs = options.fs ?? nodeDurableFs;
  const now = options.clock.now();
  let identity: Identity;
  let kept: ClusterFile = {};
  let store: MemoryStore;
  if (dataDir) {
    await fs.mkdir(dataDir);
    kept = await readClusterFile(fs, dataDir);
    if (kept.name !== undefined && kept.name !== options.name) {
      throw new Error(
        `the data folder ${dataDir} holds the cluster "${kept.name}", not "${options.name}": start it with --name ${kept.name}, or choose another --data-dir`,
      );
    }
    identity = await keptIdentity(fs, dataDir, now, options.identity);
    store = await openPersistentStore({
      dir: join(dataDir, 'store'),
      fs,
      ...(options.historySize ? { historySize: options.historySize } : {}),
      ...(options.snapshotEvery ? { snapshotEvery: options.snapshotEvery } : {}),
      ...(options.failpoint ? { failpoint: options.failpoint } : {}),
      onFailure: (error) => log(error.message),
    });
  } else {
    identity = {
      certificates: await createCertificates(new Date(now), options.identity),
      token: options.identity?.token ?? randomBytes(32).toString('hex'),
    };
    store = new MemoryStore(options.historySize ? { historySize: options.historySize } : {});
  }
  const { certificates, token } = identity;
  const closeStore = async (): Promise<void> => {
    if (store instanceof PersistentStore) await store.close();
  };
  // A kept cluster continues from the time it had been advanced to.
  const keptClock = store.get({
    resource: bucketOf(findResource('kubelab.dev', 'v1alpha1', 'clocks')!),
    namespace: '',
    name: CLOCK_NAME,
  }) as { status?: { advancedSeconds?: unknown } } | undefined;
  const advanced = Number(keptClock?.status?.advancedSeconds ?? 0);
  const clock = new SimulatedClock(options.clock, {
    offset: Number.isFinite(advanced) ? advanced * 1000 : 0,
  });
  const registry = new Registry({ store, clock, random: options.random });
  const controllerRandom = forkRandom(options.random);
  const namespaceController = new NamespaceController({
    registry,
    clock,
    caCert: certificates.caCert,
    log,
  });
  let api: ApiServer | undefined;
  let controllers: ClusterControllers | undefined;
  try {
    namespaceController.start();
    const nodes = kindNodeNames(options.name, options.workers);
    bootstrapCluster({ registry, random: options.random, nodes });
    ensureClock(registry, options.pace ?? 'Realistic');
    const controlPlane = registry.get(findResource('', 'v1', 'nodes')!, '', nodes[0]!.name);
    if (options.systemWorkloads ?? true) bootstrapSystemWorkloads(registry, controlPlane);
    if (options.controllers ?? true) {
      controllers = createControllers({
        registry,
        clock,
        random: controllerRandom,
        controlPlaneNode: nodes[0]!.name,
        log,
      });
      controllers.start();
    }
    store.flush();
    await store.flushed();
    api = await listen(
      {
        registry,
        clock,
        advanceableClock: controllers?.advanceable ?? clock,
        ...(controllers ? { runtime: controllers.runtime } : {}),
        tls: { cert: certificates.cert, key: certificates.key },
        token,
        log,
        ...(options.onRequest ? { onRequest: options.onRequest } : {}),
      },
      options.port === 0 && kept.port ? kept.port : options.port,
      options.port,
      log,
    );
    if (dataDir && (kept.name !== options.name || kept.port !== api.port)) {
      const record: ClusterFile = { name: options.name, port: api.port };
      await writeDurably(fs, join(dataDir, CLUSTER_FILE), `${JSON.stringify(record, null, 2)}\n`);
    }
  } catch (error) {
    controllers?.stop();
    namespaceController.stop();
    await api?.close();
    await closeStore().catch(() => undefined);
    throw error;
  }
  const server = api;
  return {
    name: options.name,
    server: server.url,
    token,
    certificates,
    registry,
    api: server,
    clock,
    controllers,
    async stop() {
      controllers?.stop();
      namespaceController.stop();
      await server.close();
      await closeStore();
    },
  };
}

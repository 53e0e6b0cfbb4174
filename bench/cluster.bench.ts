// Embedded cluster benchmarks: DaemonSet convergence at 100, 1,000 and 5,000 nodes (and the
// log-log slope of time against nodes), a Deployment of 10,000 replicas over 1,000 nodes, the
// idle CPU of a 3-node cluster, and restoring a Snapshot on a 100-node cluster.
//
// Every case runs in a child process of its own (this same file, `--case …`), so each size's
// peak RSS is its own (process.resourceUsage().maxRSS) and no heap or timer carries over.
// Clusters are started in-process with startEmbeddedCluster on the real clock (the app's clock:
// timers, lease renewals and the kubelets' zero-delay stages fire as they would in the app),
// pace Instant except for the idle case (Realistic), kind's system workloads present (kindnet
// and kube-proxy run a pod on every node), controllers on. Workloads are created through the
// registry (in-process, as the API server's handlers do after decoding), Snapshots through
// HTTPS. Figures only: nothing here asserts a time.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { Session } from 'node:inspector';
import { realClock } from '../main/base/clock';
import { seededRandom } from '../main/base/random';
import { startEmbeddedCluster, type EmbeddedCluster } from '../main/cluster/embedded';
import type { KubeObject } from '../main/kube/objects';
import { findResource, type ResourceType } from '../main/kube/resources';
import { report, type Figure } from './report';

const smoke = process.argv.includes('--smoke');
const DS_SIZES = smoke ? [20, 100] : [100, 1_000, 5_000];
const DEPLOY = smoke ? { replicas: 500, nodes: 50 } : { replicas: 10_000, nodes: 1_000 };
const IDLE_SECONDS = smoke ? 5 : 60;
const RESET = smoke ? { nodes: 20, objects: 60 } : { nodes: 100, objects: 300 };
/** Longest a case may take before it is reported as not converged. */
const CASE_TIMEOUT_MS = 300_000;

const daemonSets = findResource('apps', 'v1', 'daemonsets')!;
const deployments = findResource('apps', 'v1', 'deployments')!;
const pods = findResource('', 'v1', 'pods')!;
const configMaps = findResource('', 'v1', 'configmaps')!;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null ? (v as Obj) : {});

// ---------------------------------------------------------------------------------------------
// Helpers run inside a case's process

/** `BENCH_TRACE=1`: progress lines on stderr while a case waits (for profiling, not figures). */
let trace: ((ms: number) => void) | undefined;

function traceCluster(cluster: EmbeddedCluster): void {
  if (!process.env.BENCH_TRACE) return;
  trace = (ms) => {
    const all = cluster.registry.store.list('/pods').items;
    const bound = all.filter((p) => obj(p.spec).nodeName).length;
    const ready = all.filter(isReady).length;
    process.stderr.write(
      `${(ms / 1000).toFixed(2)} s: ${all.length} pods, ${bound} bound, ${ready} ready, revision ${cluster.registry.store.revision}, cpu ${(process.cpuUsage().user / 1e6).toFixed(1)} s\n`,
    );
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `done` every few ms until it holds; answers the ms it took, or NaN on timeout. */
async function until(done: () => boolean, started = performance.now()): Promise<number> {
  let traced = 0;
  for (;;) {
    if (done()) return performance.now() - started;
    if (trace && performance.now() - traced > 250) {
      traced = performance.now();
      trace(performance.now() - started);
    }
    if (performance.now() - started > CASE_TIMEOUT_MS) return Number.NaN;
    await sleep(5);
  }
}

function isReady(pod: KubeObject): boolean {
  const conditions = obj(pod.status).conditions;
  return (
    Array.isArray(conditions) &&
    conditions.some((c) => obj(c).type === 'Ready' && obj(c).status === 'True')
  );
}

function get(cluster: EmbeddedCluster, type: ResourceType, ns: string, name: string): KubeObject {
  return cluster.registry.get(type, ns, name);
}

/** Pods controlled by `owner` (by uid), from the store. */
function podsOf(cluster: EmbeddedCluster, owner: KubeObject): KubeObject[] {
  const uid = owner.metadata.uid;
  return cluster.registry.store
    .list('/pods', owner.metadata.namespace)
    .items.filter((p) => p.metadata.ownerReferences?.some((r) => r.controller && r.uid === uid));
}

/** A DaemonSet whose status is complete for `eligible` nodes, every pod of it Ready. */
function daemonSetDone(cluster: EmbeddedCluster, ns: string, name: string, eligible: number) {
  return (): boolean => {
    const ds = get(cluster, daemonSets, ns, name);
    const s = obj(ds.status);
    const complete =
      s.desiredNumberScheduled === eligible &&
      s.currentNumberScheduled === eligible &&
      s.numberReady === eligible &&
      s.updatedNumberScheduled === eligible &&
      s.numberAvailable === eligible &&
      (s.numberMisscheduled ?? 0) === 0 &&
      s.observedGeneration === ds.metadata.generation;
    if (!complete) return false;
    const owned = podsOf(cluster, ds);
    return owned.length === eligible && owned.every(isReady);
  };
}

/** A Deployment whose every replica is updated, ready and available. */
function deploymentDone(cluster: EmbeddedCluster, ns: string, name: string, replicas: number) {
  return (): boolean => {
    const d = get(cluster, deployments, ns, name);
    const s = obj(d.status);
    return (
      s.observedGeneration === d.metadata.generation &&
      s.replicas === replicas &&
      s.updatedReplicas === replicas &&
      s.readyReplicas === replicas &&
      s.availableReplicas === replicas &&
      s.unavailableReplicas === undefined
    );
  };
}

/** kind's system workloads converged: both DaemonSets on every node, both Deployments up. */
function systemDone(cluster: EmbeddedCluster, nodes: number): () => boolean {
  const checks = [
    daemonSetDone(cluster, 'kube-system', 'kindnet', nodes),
    daemonSetDone(cluster, 'kube-system', 'kube-proxy', nodes),
    deploymentDone(cluster, 'kube-system', 'coredns', 2),
    deploymentDone(cluster, 'local-path-storage', 'local-path-provisioner', 1),
  ];
  return () => checks.every((check) => check());
}

async function start(
  nodes: number,
  pace: 'Instant' | 'Realistic',
): Promise<{ cluster: EmbeddedCluster; startMs: number; systemMs: number }> {
  const started = performance.now();
  const cluster = await startEmbeddedCluster({
    name: 'lab',
    workers: nodes - 1,
    port: 0,
    clock: realClock,
    random: seededRandom(42),
    pace,
    ...(process.env.BENCH_HISTORY ? { historySize: Number(process.env.BENCH_HISTORY) } : {}),
  });
  traceCluster(cluster);
  const startMs = performance.now() - started;
  const systemMs = await until(systemDone(cluster, nodes), started);
  if (Number.isNaN(systemMs)) throw new Error(`system workloads did not converge on ${nodes}`);
  return { cluster, startMs, systemMs };
}

/** `BENCH_TRACE=1`: counts writes by resource and type until the returned function is called. */
function countWrites(cluster: EmbeddedCluster): () => void {
  if (!process.env.BENCH_TRACE) return () => undefined;
  const counts = new Map<string, number>();
  const timings = new Map<string, { n: number; ms: number }>();
  const registry = cluster.registry as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals = new Map<string, (...args: unknown[]) => unknown>();
  let depth = 0;
  for (const method of ['create', 'update', 'modify', 'bind', 'delete']) {
    const original = registry[method]!;
    originals.set(method, original);
    registry[method] = function (this: unknown, ...args: unknown[]): unknown {
      const type = args[0] as { plural?: string };
      const options = args[args.length - 1] as { subresource?: string } | undefined;
      const key = `${method} ${type?.plural ?? 'pods'}${options?.subresource ? '/' + options.subresource : ''}`;
      const t = performance.now();
      depth++;
      try {
        return original.apply(this, args);
      } finally {
        depth--;
        if (depth === 0) {
          const entry = timings.get(key) ?? { n: 0, ms: 0 };
          entry.n++;
          entry.ms += performance.now() - t;
          timings.set(key, entry);
        }
      }
    };
  }
  const stop = cluster.registry.store.onMutation((m) => {
    const key = `${m.key.resource} ${m.op}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  return () => {
    stop();
    for (const [method, original] of originals) registry[method] = original;
    for (const [key, { n, ms }] of [...timings].sort((a, b) => b[1].ms - a[1].ms))
      process.stderr.write(
        `  ${key}: ${n} calls, ${ms.toFixed(0)} ms, ${((ms / n) * 1000).toFixed(0)} µs each\n`,
      );
    for (const [key, n] of [...counts].sort((a, b) => b[1] - a[1]))
      process.stderr.write(`  ${key}: ${n}\n`);
  };
}

/**
 * `BENCH_PROFILE=file.cpuprofile`: a CPU profile of what `measured` covers alone (the
 * convergence, not the cluster's start), for `node --cpu-prof`-style analysis.
 */
async function profiled<T>(measured: () => Promise<T>): Promise<T> {
  const file = process.env.BENCH_PROFILE;
  if (!file) return measured();
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((resolve, reject) =>
      session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
    );
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  try {
    return await measured();
  } finally {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

function writesSince(cluster: EmbeddedCluster, revision: number): number {
  return cluster.registry.store.revision - revision;
}

/** A DaemonSet that runs on every node, the tainted control plane included. */
function daemonSet(name: string): KubeObject {
  return {
    metadata: { name, labels: { app: name } },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          tolerations: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
          containers: [{ name: 'agent', image: 'busybox:1.36', command: ['sleep', 'infinity'] }],
        },
      },
    },
  };
}

function deployment(name: string, replicas: number): KubeObject {
  return {
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
      },
    },
  };
}

interface HttpsReply {
  readonly status: number;
  readonly body: string;
}

function https(
  cluster: EmbeddedCluster,
  method: string,
  path: string,
  body?: unknown,
): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${cluster.server}${path}`,
      {
        method,
        ca: cluster.certificates.caCert,
        headers: {
          authorization: `Bearer ${cluster.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function mustHttps(
  cluster: EmbeddedCluster,
  method: string,
  path: string,
  body?: unknown,
): Promise<void> {
  const reply = await https(cluster, method, path, body);
  if (reply.status < 200 || reply.status >= 300)
    throw new Error(`${method} ${path}: ${reply.status} ${reply.body}`);
}

// ---------------------------------------------------------------------------------------------
// Cases (each in its own process); each answers named numbers

type Result = Record<string, number>;

async function daemonSetCase(nodes: number): Promise<Result> {
  const { cluster, startMs, systemMs } = await start(nodes, 'Instant');
  try {
    await cluster.controllers!.manager.settle();
    const revision = cluster.registry.store.revision;
    const stopCounting = countWrites(cluster);
    const cpu = process.cpuUsage();
    const started = performance.now();
    const ms = await profiled(() => {
      cluster.registry.create(daemonSets, 'default', daemonSet('agent'));
      return until(daemonSetDone(cluster, 'default', 'agent', nodes), started);
    });
    const used = process.cpuUsage(cpu);
    stopCounting();
    if (process.env.BENCH_TRACE) {
      (globalThis as { gc?: () => void }).gc?.();
      const m = process.memoryUsage();
      {
        const { deepCopy } = await import('../main/kube/objects');
        const all = cluster.registry.store.list('/pods', 'default').items;
        for (let r = 0; r < 3; r++) {
          let t = performance.now();
          for (const p of all) deepCopy(p);
          const many = ((performance.now() - t) / all.length) * 1000;
          t = performance.now();
          for (let i = 0; i < all.length; i++) deepCopy(all[0]);
          const one = ((performance.now() - t) / all.length) * 1000;
          t = performance.now();
          for (const p of all) JSON.parse(JSON.stringify(p));
          const json = ((performance.now() - t) / all.length) * 1000;
          const fresh = all.map((p) => JSON.parse(JSON.stringify(p)) as object);
          t = performance.now();
          for (const p of fresh) deepCopy(p);
          const unfrozen = ((performance.now() - t) / all.length) * 1000;
          process.stderr.write(
            `  deepCopy: ${many.toFixed(1)} µs each (one pod: ${one.toFixed(1)}, json ${json.toFixed(1)}, unfrozen copies ${unfrozen.toFixed(1)})\n`,
          );
        }
      }
      const seen = new Set<object>();
      const perBucket = new Map<string, { n: number; nodes: number; chars: number }>();
      const walk = (v: unknown, acc: { nodes: number; chars: number }): void => {
        if (typeof v === 'string') acc.chars += v.length;
        if (typeof v !== 'object' || v === null || seen.has(v)) return;
        seen.add(v);
        acc.nodes++;
        for (const [k, c] of Object.entries(v)) {
          acc.chars += k.length;
          walk(c, acc);
        }
      };
      for (const { key, object } of cluster.registry.store.entries()) {
        const acc = perBucket.get(key.resource) ?? { n: 0, nodes: 0, chars: 0 };
        acc.n++;
        walk(object, acc);
        perBucket.set(key.resource, acc);
      }
      for (const [bucket, { n, nodes, chars }] of perBucket)
        process.stderr.write(`  ${bucket}: ${n} objects, ${nodes} nodes, ${chars} chars\n`);
      if (process.env.BENCH_HEAP)
        (await import('node:v8')).writeHeapSnapshot(process.env.BENCH_HEAP);
      process.stderr.write(
        `  after gc: heap ${(m.heapUsed / 1e6).toFixed(0)} MB, rss ${(m.rss / 1e6).toFixed(0)} MB, objects ${[...cluster.registry.store.entries()].length}\n`,
      );
    }
    return {
      startMs,
      systemMs,
      ms,
      cpuMs: (used.user + used.system) / 1000,
      writes: writesSince(cluster, revision),
      rssMb: peakRssMb(),
    };
  } finally {
    await cluster.stop();
  }
}

async function deploymentCase(replicas: number, nodes: number): Promise<Result> {
  const { cluster, systemMs } = await start(nodes, 'Instant');
  try {
    await cluster.controllers!.manager.settle();
    const revision = cluster.registry.store.revision;
    const started = performance.now();
    const ms = await profiled(() => {
      cluster.registry.create(deployments, 'default', deployment('web', replicas));
      return until(deploymentDone(cluster, 'default', 'web', replicas), started);
    });
    return { systemMs, ms, writes: writesSince(cluster, revision), rssMb: peakRssMb() };
  } finally {
    await cluster.stop();
  }
}

async function idleCase(seconds: number): Promise<Result> {
  const { cluster } = await start(3, 'Realistic');
  try {
    await cluster.controllers!.manager.settle();
    await sleep(2000);
    const revision = cluster.registry.store.revision;
    const cpu = process.cpuUsage();
    const started = performance.now();
    await sleep(seconds * 1000);
    const used = process.cpuUsage(cpu);
    const wallMs = performance.now() - started;
    return {
      cpuPercent: ((used.user + used.system) / 1000 / wallMs) * 100,
      writes: writesSince(cluster, revision),
      rssMb: peakRssMb(),
    };
  } finally {
    await cluster.stop();
  }
}

async function resetCase(nodes: number, objects: number): Promise<Result> {
  const { cluster } = await start(nodes, 'Instant');
  const manager = cluster.controllers!.manager;
  try {
    await manager.settle();
    const snapshots = '/apis/kubelab.dev/v1alpha1/snapshots';
    await mustHttps(cluster, 'POST', snapshots, {
      apiVersion: 'kubelab.dev/v1alpha1',
      kind: 'Snapshot',
      metadata: { name: 'baseline' },
    });
    // A lab's worth of changes: ConfigMaps made and some deleted again, a Deployment rolled
    // out (ReplicaSet, pods, events), a system DaemonSet's pods deleted and recreated.
    const replicas = Math.round(objects / 3);
    for (let i = 0; i < objects; i++) {
      cluster.registry.create(configMaps, 'default', {
        metadata: { name: `cm-${i}` },
        data: { i: String(i) },
      });
    }
    for (let i = 0; i < objects; i += 3) cluster.registry.delete(configMaps, 'default', `cm-${i}`);
    cluster.registry.create(deployments, 'default', deployment('web', replicas));
    const kindnet = get(cluster, daemonSets, 'kube-system', 'kindnet');
    for (const pod of podsOf(cluster, kindnet).slice(0, 10)) {
      cluster.registry.delete(pods, 'kube-system', pod.metadata.name!, { gracePeriodSeconds: 0 });
    }
    const changed = await until(() =>
      [
        deploymentDone(cluster, 'default', 'web', replicas),
        daemonSetDone(cluster, 'kube-system', 'kindnet', nodes),
      ].every((c) => c()),
    );
    if (Number.isNaN(changed)) throw new Error('the changes did not converge');
    await manager.settle();
    const revision = cluster.registry.store.revision;
    const started = performance.now();
    await mustHttps(cluster, 'POST', `${snapshots}/baseline/restore`, {
      apiVersion: 'kubelab.dev/v1alpha1',
      kind: 'SnapshotRestore',
    });
    const restoreMs = performance.now() - started;
    const restoreWrites = writesSince(cluster, revision);
    await manager.settle();
    const quiet = until(systemDone(cluster, nodes), started);
    const settledMs = await quiet;
    const back =
      cluster.registry.store
        .list('/configmaps', 'default')
        .items.every((c) => !/^cm-/.test(c.metadata.name!)) &&
      cluster.registry.store.list('/pods', 'default').items.length === 0;
    return { restoreMs, restoreWrites, settledMs, back: back ? 1 : 0, rssMb: peakRssMb() };
  } finally {
    await cluster.stop();
  }
}

async function runCase(args: string[]): Promise<Result> {
  const [name, ...rest] = args;
  const n = rest.map(Number);
  switch (name) {
    case 'daemonset':
      return daemonSetCase(n[0]!);
    case 'deployment':
      return deploymentCase(n[0]!, n[1]!);
    case 'idle':
      return idleCase(n[0]!);
    case 'reset':
      return resetCase(n[0]!, n[1]!);
    default:
      throw new Error(`unknown case ${name ?? ''}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The parent: one child process per case

const RESULT = 'RESULT ';

function child(args: readonly string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...process.execArgv, __filename, '--case', ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.on('error', reject);
    proc.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT));
      if (code !== 0 || !line) reject(new Error(`case ${args.join(' ')} failed (${code}): ${out}`));
      else resolve(JSON.parse(line.slice(RESULT.length)) as Result);
    });
  });
}

/** Least-squares slope of log(y) against log(x). */
function logLogSlope(xs: readonly number[], ys: readonly number[]): number {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < lx.length; i++) {
    num += (lx[i]! - mx) * (ly[i]! - my);
    den += (lx[i]! - mx) ** 2;
  }
  return num / den;
}

async function main(): Promise<void> {
  const caseAt = process.argv.indexOf('--case');
  if (caseAt >= 0) {
    const args = process.argv.slice(caseAt + 1).filter((a) => !a.startsWith('--'));
    const result = await runCase(args);
    process.stdout.write(`${RESULT}${JSON.stringify(result)}\n`);
    process.exit(0);
  }

  const dsFigures: Figure[] = [];
  const times: number[] = [];
  for (const nodes of DS_SIZES) {
    const r = await child(['daemonset', String(nodes)]);
    times.push(r.ms!);
    const label = `${nodes.toLocaleString('en-US')} nodes`;
    dsFigures.push(
      {
        name: `${label}: cluster start (${2 * nodes} system daemon pods)`,
        value: r.startMs!,
        unit: 'ms',
      },
      { name: `${label}: system workloads converged`, value: r.systemMs!, unit: 'ms' },
      { name: `${label}: DaemonSet converged (aim 5,000 < 5 s)`, value: r.ms!, unit: 'ms' },
      { name: `${label}: CPU during convergence`, value: r.cpuMs!, unit: 'ms' },
      { name: `${label}: API writes during convergence`, value: r.writes!, unit: 'writes' },
      { name: `${label}: peak RSS (aim 5,000 < 600 MB)`, value: r.rssMb!, unit: 'MB' },
    );
  }
  dsFigures.push({
    name: 'log-log slope of time against nodes (aim ≤ 1.2)',
    value: logLogSlope(DS_SIZES, times),
    unit: '',
  });
  report(
    'Cluster: DaemonSet convergence (registry create → every pod Ready, status complete; real clock, pace Instant)',
    dsFigures,
  );

  const d = await child(['deployment', String(DEPLOY.replicas), String(DEPLOY.nodes)]);
  report(
    `Cluster: Deployment of ${DEPLOY.replicas.toLocaleString('en-US')} replicas over ${DEPLOY.nodes.toLocaleString('en-US')} nodes (real clock, pace Instant)`,
    [
      { name: 'all replicas available', value: d.ms!, unit: 'ms' },
      { name: 'API writes', value: d.writes!, unit: 'writes' },
      { name: 'peak RSS', value: d.rssMb!, unit: 'MB' },
    ],
  );

  const idle = await child(['idle', String(IDLE_SECONDS)]);
  report(`Cluster: idle, 3 nodes, ${IDLE_SECONDS} s (real clock, pace Realistic)`, [
    { name: 'CPU, % of one core (aim < 2 %)', value: idle.cpuPercent!, unit: '%' },
    { name: 'API writes (lease renewals…)', value: idle.writes!, unit: 'writes' },
    { name: 'peak RSS', value: idle.rssMb!, unit: 'MB' },
  ]);

  const reset = await child(['reset', String(RESET.nodes), String(RESET.objects)]);
  report(
    `Cluster: restore a Snapshot over HTTPS, ${RESET.nodes} nodes, after ${RESET.objects} ConfigMaps, a Deployment and deleted daemon pods`,
    [
      { name: 'restore request', value: reset.restoreMs!, unit: 'ms' },
      { name: 'objects written back', value: reset.restoreWrites!, unit: 'writes' },
      { name: 'until the controllers are settled again', value: reset.settledMs!, unit: 'ms' },
      { name: 'cluster back as saved', value: reset.back!, unit: 'bool' },
      { name: 'peak RSS', value: reset.rssMb!, unit: 'MB' },
    ],
  );
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

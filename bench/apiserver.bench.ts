// API server benchmarks: listing 5,000 pods as kubectl does (Tables, pages of 500) against a bare
// Node HTTPS server sending the same bytes; 100 watchers over 10,000 writes (every event
// delivered, in order); cold start of `kubelab cluster start` to its `ready:` line.
import { spawn } from 'node:child_process';
import { createServer, request, Agent } from 'node:https';
import { join } from 'node:path';
import { FakeClock } from '../main/base/clock';
import { seededRandom } from '../main/base/random';
import { startEmbeddedCluster, type EmbeddedCluster } from '../main/cluster/embedded';
import { findResource } from '../main/kube/resources';
import { percentile, report, type Figure } from './report';

const smoke = process.argv.includes('--smoke');
const PODS = smoke ? 500 : 5_000;
const WATCHERS = smoke ? 10 : 100;
const WRITES = smoke ? 1_000 : 10_000;
const STARTS = smoke ? 2 : 7;
const REPEATS = smoke ? 3 : 15;
const TABLE_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

interface Fetched {
  status: number;
  body: Buffer;
}

function get(
  agent: Agent,
  url: string,
  headers: Record<string, string>,
  ca: string,
): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, ca, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Lists all pods the way `kubectl get pods -A` does; returns the page bodies and the time. */
async function listLikeKubectl(
  cluster: EmbeddedCluster,
  agent: Agent,
): Promise<{ ms: number; pages: Buffer[]; urls: string[] }> {
  const pages: Buffer[] = [];
  const urls: string[] = [];
  const started = performance.now();
  let token: string | undefined;
  do {
    const url: string = `${cluster.server}/api/v1/pods?limit=500${token ? `&continue=${encodeURIComponent(token)}` : ''}`;
    const reply = await get(
      agent,
      url,
      { authorization: `Bearer ${cluster.token}`, accept: TABLE_ACCEPT },
      cluster.certificates.caCert,
    );
    if (reply.status !== 200)
      throw new Error(`list failed: ${reply.status} ${reply.body.toString()}`);
    pages.push(reply.body);
    urls.push(url);
    // Only the continue token is needed: read it without parsing the page (the bare server's
    // loop below does the same, so both sides pay the same client cost).
    token = /"continue":"([^"]+)"/.exec(reply.body.subarray(0, 400).toString())?.[1];
  } while (token);
  return { ms: performance.now() - started, pages, urls };
}

async function seedPods(cluster: EmbeddedCluster): Promise<void> {
  const pods = findResource('', 'v1', 'pods')!;
  const namespaces = findResource('', 'v1', 'namespaces')!;
  for (let n = 0; n < 10; n++)
    cluster.registry.create(namespaces, '', { metadata: { name: `team-${n}` } });
  cluster.registry.store.flush();
  await new Promise((r) => setTimeout(r, 10));
  for (let i = 0; i < PODS; i++) {
    cluster.registry.create(pods, `team-${i % 10}`, {
      metadata: { name: `web-${i}`, labels: { app: 'web', shard: String(i % 7) } },
      spec: {
        nodeName: `lab-worker${(i % 3) + 1 === 1 ? '' : (i % 3) + 1}`,
        containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }],
      },
    });
  }
}

async function listBenchmark(): Promise<Figure[]> {
  const cluster = await startEmbeddedCluster({
    name: 'lab',
    workers: 3,
    port: 0,
    clock: new FakeClock(Date.now()),
    random: seededRandom(7),
    pace: 'Instant',
  });
  try {
    await seedPods(cluster);
    // Listed once the kubelets have run the pods and everything is quiet, as a learner lists a
    // settled cluster: what is measured is the server's answer, not controllers at work.
    await cluster.controllers?.manager.settle();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    await listLikeKubectl(cluster, agent);
    const ours: number[] = [];
    let captured: { pages: Buffer[]; urls: string[] } = { pages: [], urls: [] };
    for (let i = 0; i < REPEATS; i++) {
      const run = await listLikeKubectl(cluster, agent);
      ours.push(run.ms);
      captured = run;
    }
    // The same bytes from a Node HTTPS server that does nothing else.
    const bare = createServer(
      { cert: cluster.certificates.cert, key: cluster.certificates.key },
      (req, res) => {
        const index = captured.urls.findIndex((u) => u.endsWith(req.url ?? ''));
        const body = captured.pages[Math.max(0, index)]!;
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
        res.end(body);
      },
    );
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    const port = (bare.address() as { port: number }).port;
    const bareAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    const bareTimes: number[] = [];
    for (let i = 0; i <= REPEATS; i++) {
      const started = performance.now();
      for (const url of captured.urls) {
        const path = new URL(url).pathname + new URL(url).search;
        const reply = await get(
          bareAgent,
          `https://127.0.0.1:${port}${path}`,
          {},
          cluster.certificates.caCert,
        );
        void /"continue":"([^"]+)"/.exec(reply.body.subarray(0, 400).toString());
      }
      if (i > 0) bareTimes.push(performance.now() - started);
    }
    bare.close();
    agent.destroy();
    bareAgent.destroy();
    const bytes = captured.pages.reduce((n, p) => n + p.length, 0);
    const oursMedian = percentile(ours, 50);
    const bareMedian = percentile(bareTimes, 50);
    return [
      {
        name: `list ${PODS} pods as Tables (${captured.pages.length} pages, ${(bytes / 1e6).toFixed(1)} MB), median`,
        value: oursMedian,
        unit: 'ms',
      },
      { name: 'same bytes from a bare Node HTTPS server, median', value: bareMedian, unit: 'ms' },
      { name: 'ratio (aim ≤ 3×)', value: oursMedian / bareMedian, unit: '×' },
    ];
  } finally {
    await cluster.stop();
  }
}

async function watchBenchmark(): Promise<Figure[]> {
  const cluster = await startEmbeddedCluster({
    name: 'lab',
    workers: 1,
    port: 0,
    clock: new FakeClock(Date.now()),
    random: seededRandom(9),
    historySize: WRITES * 2,
  });
  const configMaps = findResource('', 'v1', 'configmaps')!;
  try {
    const from = cluster.registry.store.revision;
    const received: number[][] = Array.from({ length: WATCHERS }, () => []);
    const requests: Array<ReturnType<typeof request>> = [];
    await Promise.all(
      received.map(
        (events, w) =>
          new Promise<void>((resolve, reject) => {
            const req = request(
              `${cluster.server}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${from}`,
              {
                ca: cluster.certificates.caCert,
                headers: { authorization: `Bearer ${cluster.token}` },
              },
              (res) => {
                let buffer = '';
                res.setEncoding('utf8');
                res.on('data', (chunk: string) => {
                  buffer += chunk;
                  let newline: number;
                  while ((newline = buffer.indexOf('\n')) >= 0) {
                    const line = buffer.slice(0, newline);
                    buffer = buffer.slice(newline + 1);
                    const event = JSON.parse(line) as {
                      object: { metadata: { resourceVersion: string } };
                    };
                    events.push(Number(event.object.metadata.resourceVersion));
                  }
                });
                resolve();
              },
            );
            req.on('error', (error) => (w >= 0 ? reject(error) : undefined));
            req.end();
            requests.push(req);
          }),
      ),
    );
    const started = performance.now();
    for (let i = 0; i < WRITES; i++) {
      cluster.registry.create(configMaps, 'default', {
        metadata: { name: `cm-${i}` },
        data: { i: String(i) },
      });
      if (i % 500 === 499) await new Promise((r) => setImmediate(r));
    }
    const writesDone = performance.now();
    while (received.some((events) => events.length < WRITES)) {
      await new Promise((r) => setTimeout(r, 5));
      if (performance.now() - started > 120_000) break;
    }
    const allDone = performance.now();
    for (const req of requests) req.destroy();
    const complete = received.every((events) => events.length === WRITES);
    const ordered = received.every((events) =>
      events.every((rv, i) => i === 0 || rv > events[i - 1]!),
    );
    return [
      {
        name: `${WATCHERS} watchers × ${WRITES} writes: writes applied`,
        value: writesDone - started,
        unit: 'ms',
      },
      { name: 'every watcher has every event', value: allDone - started, unit: 'ms' },
      {
        name: 'events delivered per second',
        value: (WATCHERS * WRITES) / ((allDone - started) / 1000),
        unit: 'events/s',
      },
      { name: 'no event lost', value: complete ? 1 : 0, unit: 'bool' },
      { name: 'no event reordered', value: ordered ? 1 : 0, unit: 'bool' },
    ];
  } finally {
    await cluster.stop();
  }
}

function coldStart(): Promise<number> {
  return new Promise((resolve, reject) => {
    const root = join(__dirname, '..', '..');
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [
        join(root, 'bin', 'kubelab.cjs'),
        'cluster',
        'start',
        '--name',
        `bench${process.pid}`,
        '--port',
        '0',
        '--workers',
        '3',
      ],
      {
        env: { ...process.env, KUBELAB_HOME: join(root, 'out', 'bench', 'home') },
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready:')) {
        const ms = performance.now() - started;
        child.kill('SIGTERM');
        child.on('exit', () => resolve(ms));
      }
    });
    child.on('error', reject);
    setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('cluster start did not print ready: within 20 s'));
    }, 20_000).unref();
  });
}

async function startBenchmark(): Promise<Figure[]> {
  const times: number[] = [];
  for (let i = 0; i < STARTS; i++) times.push(await coldStart());
  return [
    {
      name: `cold start to "ready:" (${STARTS} runs), median (aim < 1 s)`,
      value: percentile(times, 50),
      unit: 'ms',
    },
    { name: 'cold start, max', value: Math.max(...times), unit: 'ms' },
  ];
}

async function main(): Promise<void> {
  report('API server: kubectl get pods -A', await listBenchmark());
  report('API server: watch fan-out', await watchBenchmark());
  report('API server: cold start', await startBenchmark());
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

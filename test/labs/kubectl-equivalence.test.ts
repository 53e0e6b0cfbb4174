// The solution view shows each lab operation as the command a learner would type
// (main/labs/commands.ts); the executor runs the operation through the API instead. This proves
// the two reach the same state: two identical embedded clusters, the operation run by the
// executor on one and its command run by `sh -c` (heredocs and all) with the real kubectl — and,
// for node and clock operations, the built `kubelab` — on the other, then the objects compared
// with uids, resourceVersions, timestamps and managedFields left out.
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKubeClient, type KubeClient } from '../../main/cluster/kube-client';
import { isPlainObject, type KubeObject } from '../../main/kube/objects';
import { kubectlCommand } from '../../main/labs/commands';
import { rolesFor } from '../../main/labs/roles';
import { OPERATION_KINDS, type LabOperation } from '../../main/labs/schema';
import { runOperation } from '../../main/services/lab-operations';
import { kubectlBinary, startTestCluster, type TestCluster } from '../support/cluster';
import { repoRoot } from '../support/processes';
import { apply } from './support';

/** One side of the comparison: a cluster and a client to read it. */
interface Side {
  readonly lab: TestCluster;
  readonly client: KubeClient;
  readonly roles: Record<string, string>;
}

let ours: Side;
let theirs: Side;
let home: string;
let bin: string;
let counter = 0;

async function side(): Promise<Side> {
  const lab = await startTestCluster({ workers: 3, name: 'lab' });
  const client = await openKubeClient({ kubeconfig: lab.kubeconfig });
  const nodes = (await client.call('GET', '/api/v1/nodes')) as { items: KubeObject[] };
  return { lab, client, roles: { ...rolesFor(nodes.items.map((n) => n.metadata.name ?? '')) } };
}

beforeAll(async () => {
  [ours, theirs] = [await side(), await side()];
  home = await mkdtemp(join(tmpdir(), 'kubelab-equivalence-'));
  bin = join(home, 'bin');
  await mkdir(bin);
  // `kubectl` is the pinned minor's binary; `kubelab` is the built CLI, which finds the cluster
  // through the record a running `kubelab cluster start` would write (this process runs it).
  await symlink(kubectlBinary(), join(bin, 'kubectl'));
  const shim = join(bin, 'kubelab');
  await writeFile(
    shim,
    `#!/bin/sh\nexec "${process.execPath}" "${join(repoRoot, 'bin', 'kubelab.cjs')}" "$@"\n`,
  );
  await chmod(shim, 0o755);
  await mkdir(join(home, 'state', 'clusters'), { recursive: true });
  await writeFile(
    join(home, 'state', 'clusters', 'lab.json'),
    JSON.stringify({
      name: 'lab',
      server: theirs.lab.cluster.server,
      kubeconfig: theirs.lab.kubeconfig,
      context: 'kubelab-lab',
      pid: process.pid,
      startedAt: new Date().toISOString(),
    }),
  );
}, 60_000);

afterAll(async () => {
  await ours?.lab.stop();
  await theirs?.lab.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

/** Runs a shown command in a POSIX shell against the second cluster. */
function shell(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'sh',
      ['-c', command],
      {
        env: {
          PATH: `${bin}:${process.env.PATH ?? ''}`,
          HOME: home,
          KUBECONFIG: theirs.lab.kubeconfig,
          KUBELAB_HOME: join(home, 'state'),
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const VOLATILE = new Set([
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'managedFields',
  'deletionTimestamp',
]);

/** An object without what differs between any two clusters (ids, versions, times) or is not state. */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      if (VOLATILE.has(key) || value[key] === undefined) continue;
      out[key] = normalise(value[key]);
    }
    return out;
  }
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(value)) {
    return '<time>';
  }
  return value;
}

/** What a command changes: metadata and spec (status is the controllers' business). */
async function read(client: KubeClient, path: string): Promise<unknown> {
  const response = await client.request('GET', path);
  if (response.status === 404) return 'absent';
  const object = response.body as KubeObject;
  if (Array.isArray(object.items)) {
    return (object.items as KubeObject[])
      .filter((item) => item.metadata.name !== 'kube-root-ca.crt') // each cluster's own CA
      .map((item) => normalise({ ...item, status: undefined }))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  return normalise({ ...object, status: undefined });
}

interface Scenario {
  readonly name: string;
  /** Run on both clusters (through the executor) before the operation, settling after each. */
  readonly prepare?: (ns: string) => LabOperation[];
  readonly op: (ns: string) => LabOperation;
  /** API paths whose objects (or lists) must end up equal. */
  readonly compare: (ns: string) => string[];
  /** Something besides objects to compare (a count, a clock). */
  readonly extra?: (client: KubeClient, ns: string) => Promise<unknown>;
}

function deployment(ns: string, image = 'nginx:1.27', labels = 'app: web'): LabOperation {
  return apply(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${ns}
  labels: { ${labels} }
  annotations: { note: "a <b> & c" }
spec:
  replicas: 2
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      terminationGracePeriodSeconds: 0
      containers:
        - name: web
          image: ${image}
          ports:
            - containerPort: 80
`);
}

function daemonSet(ns: string, image = 'busybox:1.36'): LabOperation {
  return apply(`apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  namespace: ${ns}
spec:
  selector:
    matchLabels: { app: agent }
  template:
    metadata:
      labels: { app: agent }
    spec:
      terminationGracePeriodSeconds: 0
      tolerations:
        - { operator: Exists }
      containers:
        - name: agent
          image: ${image}
          command: [sleep, '3600']
`);
}

const web = (ns: string): string => `/apis/apps/v1/namespaces/${ns}/deployments/web`;
const agent = (ns: string): string => `/apis/apps/v1/namespaces/${ns}/daemonsets/agent`;
const replicaSets = (ns: string): string => `/apis/apps/v1/namespaces/${ns}/replicasets`;
const revisions = (ns: string): string => `/apis/apps/v1/namespaces/${ns}/controllerrevisions`;
const webRef = (ns: string) =>
  ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web' }) as const;
const podCount = async (client: KubeClient, ns: string): Promise<number> =>
  ((await client.call('GET', `/api/v1/namespaces/${ns}/pods`)) as { items: unknown[] }).items
    .length;

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'apply: create (several documents, namespace included)',
    op: (ns) =>
      apply(`apiVersion: v1
kind: Namespace
metadata:
  name: ${ns}-extra
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: ${ns}
  labels: { tier: back }
data:
  mode: fast
  limits: '{"cpu": 2}'
`),
    compare: (ns) => [
      `/api/v1/namespaces/${ns}/configmaps/settings`,
      `/api/v1/namespaces/${ns}-extra`,
    ],
  },
  {
    name: 'apply: create a Deployment',
    op: (ns) => deployment(ns),
    compare: (ns) => [web(ns), replicaSets(ns)],
  },
  {
    name: 'apply: update what an earlier apply made (fields removed, changed, added)',
    prepare: (ns) => [deployment(ns, 'nginx:1.27', 'app: web, old: "yes"')],
    op: (ns) => deployment(ns, 'nginx:1.28', 'app: web, tier: front'),
    compare: (ns) => [web(ns), replicaSets(ns)],
  },
  {
    name: 'patch: strategic',
    prepare: (ns) => [deployment(ns)],
    op: (ns) => ({
      op: 'patch',
      target: webRef(ns),
      type: 'strategic',
      patch: {
        spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.28' }] } } },
      },
    }),
    compare: (ns) => [web(ns), replicaSets(ns)],
  },
  {
    name: 'patch: merge',
    prepare: (ns) => [deployment(ns)],
    op: (ns) => ({
      op: 'patch',
      target: webRef(ns),
      type: 'merge',
      patch: { metadata: { labels: { app: null, tier: 'front' } }, spec: { replicas: 3 } },
    }),
    compare: (ns) => [web(ns)],
  },
  {
    name: 'patch: json',
    prepare: (ns) => [deployment(ns)],
    op: (ns) => ({
      op: 'patch',
      target: webRef(ns),
      type: 'json',
      patch: [
        { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'nginx:1.29' },
        { op: 'add', path: '/metadata/labels/extra', value: 'x' },
      ],
    }),
    compare: (ns) => [web(ns), replicaSets(ns)],
  },
  {
    name: 'delete: one object (background cascade)',
    prepare: (ns) => [deployment(ns)],
    op: (ns) => ({ op: 'delete', target: webRef(ns) }),
    compare: (ns) => [web(ns), replicaSets(ns)],
    extra: podCount,
  },
  {
    name: 'delete: orphan cascade keeps the ReplicaSet',
    prepare: (ns) => [deployment(ns)],
    op: (ns) => ({ op: 'delete', target: webRef(ns), cascade: 'orphan' }),
    compare: (ns) => [web(ns), replicaSets(ns)],
    extra: podCount,
  },
  {
    name: 'delete: a query, grace period 0 (--force)',
    prepare: (ns) => [
      deployment(ns),
      apply(
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keep\n  namespace: ${ns}\n  labels: { app: other }\n`,
      ),
      apply(
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: drop\n  namespace: ${ns}\n  labels: { app: web }\n`,
      ),
    ],
    op: (ns) => ({
      op: 'delete',
      query: { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, labelSelector: 'app=web' },
      gracePeriodSeconds: 0,
    }),
    compare: (ns) => [`/api/v1/namespaces/${ns}/configmaps`],
  },
  {
    name: 'delete: every object of a kind in a namespace (--all)',
    prepare: (ns) => [
      apply(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\n  namespace: ${ns}\n`),
    ],
    op: (ns) => ({ op: 'delete', query: { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns } }),
    compare: (ns) => [`/api/v1/namespaces/${ns}/configmaps`],
  },
  {
    name: 'label: a node, set and remove',
    prepare: () => [{ op: 'label', node: '{{worker1}}', labels: ['gone=soon'], overwrite: true }],
    op: () => ({ op: 'label', node: '{{worker1}}', labels: ['zone=a', 'gone-'] }),
    compare: () => ['/api/v1/nodes/lab-worker'],
  },
  {
    name: 'label: an object, overwriting',
    prepare: (ns) => [deployment(ns, 'nginx:1.27', 'app: web, tier: back')],
    op: (ns) => ({ op: 'label', target: webRef(ns), labels: ['tier=front'], overwrite: true }),
    compare: (ns) => [web(ns)],
  },
  {
    name: 'taint: add',
    op: () => ({
      op: 'taint',
      node: '{{worker2}}',
      taints: ['gpu=true:NoSchedule', 'x:NoExecute'],
    }),
    compare: () => ['/api/v1/nodes/lab-worker2'],
  },
  {
    name: 'taint: overwrite and remove',
    op: () => ({
      op: 'taint',
      node: '{{worker2}}',
      taints: ['gpu=false:NoSchedule', 'x-', 'y:PreferNoSchedule'],
      overwrite: true,
    }),
    compare: () => ['/api/v1/nodes/lab-worker2'],
  },
  {
    name: 'cordon',
    op: () => ({ op: 'cordon', node: '{{worker3}}' }),
    compare: () => ['/api/v1/nodes/lab-worker3'],
  },
  {
    name: 'uncordon',
    op: () => ({ op: 'uncordon', node: '{{worker3}}' }),
    compare: () => ['/api/v1/nodes/lab-worker3'],
  },
  {
    name: 'nodeAdd',
    op: () => ({
      op: 'nodeAdd',
      role: 'worker4',
      labels: { disk: 'hdd' },
      taints: ['maintenance=soon:NoSchedule'],
    }),
    compare: () => ['/api/v1/nodes/lab-worker4', '/apis/kubelab.dev/v1alpha1/kubelets/lab-worker4'],
  },
  {
    name: 'nodeStop',
    op: () => ({ op: 'nodeStop', node: '{{worker4}}' }),
    compare: () => ['/apis/kubelab.dev/v1alpha1/kubelets/lab-worker4'],
  },
  {
    name: 'nodeStart',
    op: () => ({ op: 'nodeStart', node: '{{worker4}}' }),
    compare: () => ['/apis/kubelab.dev/v1alpha1/kubelets/lab-worker4'],
  },
  {
    name: 'nodeRemove',
    op: () => ({ op: 'nodeRemove', node: '{{worker4}}' }),
    compare: () => ['/api/v1/nodes/lab-worker4'],
  },
  {
    name: 'advanceClock',
    op: () => ({ op: 'advanceClock', duration: '30s' }),
    compare: () => [],
    extra: async (client) =>
      ((await client.call('GET', '/apis/kubelab.dev/v1alpha1/clocks/cluster')) as KubeObject)
        .status,
  },
  {
    name: 'rolloutUndo: a Deployment, to the previous revision',
    prepare: (ns) => [deployment(ns), deployment(ns, 'nginx:1.28')],
    op: (ns) => ({ op: 'rolloutUndo', kind: 'Deployment', name: 'web', namespace: ns }),
    compare: (ns) => [web(ns), replicaSets(ns)],
  },
  {
    name: 'rolloutUndo: a DaemonSet, to a revision',
    prepare: (ns) => [daemonSet(ns), daemonSet(ns, 'busybox:1.37')],
    op: (ns) => ({
      op: 'rolloutUndo',
      kind: 'DaemonSet',
      name: 'agent',
      namespace: ns,
      toRevision: 1,
    }),
    compare: (ns) => [agent(ns), revisions(ns)],
  },
  {
    name: 'wait: a field',
    prepare: (ns) => [daemonSet(ns)],
    op: (ns) => ({
      op: 'wait',
      target: { apiVersion: 'apps/v1', kind: 'DaemonSet', namespace: ns, name: 'agent' },
      path: '{.status.numberReady}',
      equals: 4,
      timeout: '20s',
    }),
    compare: (ns) => [agent(ns)],
  },
  {
    name: 'wait: a count, and for none',
    prepare: (ns) => [daemonSet(ns)],
    op: (ns) => ({
      op: 'wait',
      query: { apiVersion: 'v1', kind: 'Pod', namespace: ns, labelSelector: 'app=agent' },
      count: 4,
      timeout: '20s',
    }),
    compare: (ns) => [agent(ns)],
  },
  {
    name: 'wait: for deletion (count 0)',
    op: (ns) => ({
      op: 'wait',
      query: { apiVersion: 'v1', kind: 'Pod', namespace: ns, labelSelector: 'app=none' },
      count: 0,
      timeout: '20s',
    }),
    compare: () => [],
  },
];

async function settle(): Promise<void> {
  await Promise.all([ours.lab.settle(), theirs.lab.settle()]);
}

describe('the shown command reaches the state the executor reaches', () => {
  it.each(SCENARIOS)('$name', async (scenario) => {
    const ns = `eq${++counter}`;
    for (const s of [ours, theirs]) {
      await runOperation(apply(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`), {
        client: s.client,
        backend: 'embedded',
        roles: s.roles,
      });
    }
    for (const op of scenario.prepare?.(ns) ?? []) {
      for (const s of [ours, theirs]) {
        await runOperation(op, { client: s.client, backend: 'embedded', roles: s.roles });
      }
      await settle();
    }
    const op = scenario.op(ns);
    await runOperation(op, {
      client: ours.client,
      backend: 'embedded',
      roles: ours.roles,
      pollMs: 20,
    });
    const command = kubectlCommand(op, theirs.roles);
    expect(command, 'every operation has a command').toBeDefined();
    const result = await shell(command!);
    expect(result.stderr.replace(/^Warning: .*\n/gm, ''), command).toBe('');
    expect(result.code, `${command}\n${result.stderr}`).toBe(0);
    await settle();
    for (const path of scenario.compare(ns)) {
      expect(await read(theirs.client, path), path).toEqual(await read(ours.client, path));
    }
    if (scenario.extra) {
      expect(await scenario.extra(theirs.client, ns)).toEqual(
        await scenario.extra(ours.client, ns),
      );
    }
  });

  it('covers every operation kind', () => {
    const kinds = new Set(SCENARIOS.map((s) => s.op('x').op));
    expect([...kinds].sort()).toEqual([...OPERATION_KINDS].sort());
  });
});

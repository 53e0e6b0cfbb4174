// The lab operation executor against an embedded cluster (in-process, pace Instant, a clock that
// stands still): each operation kind does what its kubectl command does, with kubectl's errors,
// and node and clock operations refuse clusters that are not embedded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKubeClient, type KubeClient } from '../../main/cluster/kube-client';
import type { KubeObject } from '../../main/kube/objects';
import { rolesFor } from '../../main/labs/roles';
import type { LabOperation } from '../../main/labs/schema';
import {
  LAST_APPLIED,
  runOperation,
  runOperations,
  withLastApplied,
  type OperationContext,
} from '../../main/services/lab-operations';
import { startTestCluster, type TestCluster } from '../support/cluster';
import { apply } from './support';

let lab: TestCluster;
let client: KubeClient;
let roles: Record<string, string>;
let counter = 0;

beforeAll(async () => {
  lab = await startTestCluster({ workers: 2 });
  client = await openKubeClient({ kubeconfig: lab.kubeconfig });
  const nodes = (await client.call('GET', '/api/v1/nodes')) as { items: KubeObject[] };
  roles = { ...rolesFor(nodes.items.map((n) => n.metadata.name ?? '')) };
});

afterAll(async () => {
  await lab?.stop();
});

function context(extra: Partial<OperationContext> = {}): OperationContext & { seen: string[] } {
  const seen: string[] = [];
  return {
    client,
    backend: 'embedded',
    roles,
    pollMs: 20,
    onProgress: (message) => seen.push(message),
    seen,
    ...extra,
  };
}

async function get(path: string): Promise<KubeObject> {
  return (await client.call('GET', path)) as KubeObject;
}

async function namespace(): Promise<string> {
  const name = `ops${++counter}`;
  await runOperation(
    apply(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`),
    context(),
  );
  return name;
}

function deployment(ns: string, image = 'nginx:1.27', replicas = 1): LabOperation {
  return apply(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${ns}
spec:
  replicas: ${replicas}
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
      containers:
        - name: agent
          image: ${image}
          command: [sleep, '3600']
`);
}

describe('apply', () => {
  it('creates namespaces first, then their objects, with kubectl apply’s annotation', async () => {
    const ctx = context();
    const lines = await runOperation(
      apply(`apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: fresh
  annotations: { team: 'a&b' }
data: { mode: fast }
---
apiVersion: v1
kind: Namespace
metadata:
  name: fresh
`),
      ctx,
    );
    expect(lines).toEqual(['namespace/fresh created', 'configmap/settings created']);
    expect(ctx.seen).toEqual(['applying namespace/fresh', 'applying configmap/settings']);
    const settings = await get('/api/v1/namespaces/fresh/configmaps/settings');
    expect(settings.metadata.annotations).toEqual({
      team: 'a&b',
      [LAST_APPLIED]:
        '{"apiVersion":"v1","data":{"mode":"fast"},"kind":"ConfigMap","metadata":{"annotations":{"team":"a\\u0026b"},"name":"settings","namespace":"fresh"}}\n',
    });
    expect(settings.metadata.managedFields?.[0]).toMatchObject({
      manager: 'kubelab',
      operation: 'Apply',
    });
    // Applying again is a change in place.
    expect(
      await runOperation(
        apply(
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: fresh\ndata: { mode: slow }\n',
        ),
        ctx,
      ),
    ).toEqual(['configmap/settings configured']);
    const changed = await get('/api/v1/namespaces/fresh/configmaps/settings');
    expect(changed.metadata.uid).toBe(settings.metadata.uid);
    expect(changed.data).toEqual({ mode: 'slow' });
  });

  it('puts a namespaced object without a namespace in default, and resolves node roles', async () => {
    await runOperation(
      apply(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: where\ndata: { node: '{{worker2}}' }\n",
      ),
      context(),
    );
    expect((await get('/api/v1/namespaces/default/configmaps/where')).data).toEqual({
      node: 'lab-worker2',
    });
  });

  it('writes an empty annotations map when the manifest has none but the last-applied one', () => {
    const object = withLastApplied({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'x', annotations: { [LAST_APPLIED]: 'old' } },
    });
    expect(object.metadata.annotations).toEqual({
      [LAST_APPLIED]:
        '{"apiVersion":"v1","kind":"Namespace","metadata":{"annotations":{},"name":"x"}}\n',
    });
  });

  it('reports the API server’s error as kubectl does', async () => {
    await expect(
      runOperation(
        apply(
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: nowhere\n  namespace: missing-ns\n',
        ),
        context(),
      ),
    ).rejects.toThrow('Error from server (NotFound): namespaces "missing-ns" not found');
  });
});

describe('patch and delete', () => {
  it('patches with strategic, merge and json patches', async () => {
    const ns = await namespace();
    await runOperation(deployment(ns), context());
    const target = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web' };
    const ctx = context();
    const lines = await runOperations(
      [
        {
          op: 'patch',
          target,
          type: 'strategic',
          patch: {
            spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.28' }] } } },
          },
        },
        { op: 'patch', target, type: 'merge', patch: { metadata: { labels: { tier: 'front' } } } },
        {
          op: 'patch',
          target,
          type: 'json',
          patch: [{ op: 'replace', path: '/spec/replicas', value: 3 }],
        },
      ],
      ctx,
    );
    expect(lines).toEqual(Array(3).fill('deployment.apps/web patched'));
    expect(ctx.seen).toEqual(Array(3).fill('patching deployment.apps/web'));
    const web = await get(`/apis/apps/v1/namespaces/${ns}/deployments/web`);
    expect(web.metadata.labels).toEqual({ tier: 'front' });
    expect(web.spec).toMatchObject({
      replicas: 3,
      template: { spec: { containers: [{ name: 'web', image: 'nginx:1.28' }] } },
    });
  });

  it('deletes one object and waits until it is gone; orphan keeps the dependents', async () => {
    const ns = await namespace();
    await runOperation(deployment(ns, 'nginx:1.27', 2), context());
    await lab.settle();
    const target = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web' };
    expect(await runOperation({ op: 'delete', target, cascade: 'orphan' }, context())).toEqual([
      'deployment.apps "web" deleted',
    ]);
    expect(
      (await client.request('GET', `/apis/apps/v1/namespaces/${ns}/deployments/web`)).status,
    ).toBe(404);
    await lab.settle();
    const replicaSets = (await client.call(
      'GET',
      `/apis/apps/v1/namespaces/${ns}/replicasets`,
    )) as {
      items: KubeObject[];
    };
    expect(replicaSets.items).toHaveLength(1);
    expect(replicaSets.items[0]!.metadata.ownerReferences ?? []).toEqual([]);
    await expect(runOperation({ op: 'delete', target }, context())).rejects.toThrow(
      'Error from server (NotFound): deployments.apps "web" not found',
    );
  });

  it('deletes what a query selects (field selectors too), or says none was found', async () => {
    const ns = await namespace();
    await runOperation(deployment(ns, 'nginx:1.27', 2), context());
    await lab.settle();
    const query = { apiVersion: 'v1', kind: 'Pod', namespace: ns, labelSelector: 'app=web' };
    const lines = await runOperation(
      {
        op: 'delete',
        query: { ...query, fieldSelector: 'status.phase=Running' },
        gracePeriodSeconds: 0,
      },
      context(),
    );
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^pod "web-[a-z0-9]+-[a-z0-9]{5}" deleted$/);
    expect(
      await runOperation(
        { op: 'delete', query: { ...query, labelSelector: 'app=none' } },
        context(),
      ),
    ).toEqual(['No resources found']);
  });
});

describe('label, taint, cordon', () => {
  it('labels and unlabels nodes and objects as kubectl label does', async () => {
    const ctx = context();
    const node = { op: 'label' as const, node: '{{worker1}}' };
    expect(await runOperation({ ...node, labels: ['zone=a'] }, ctx)).toEqual([
      'node/lab-worker labeled',
    ]);
    expect(await runOperation({ ...node, labels: ['zone=a'] }, ctx)).toEqual([
      'node/lab-worker not labeled',
    ]);
    await expect(runOperation({ ...node, labels: ['zone=b'] }, ctx)).rejects.toThrow(
      "'zone' already has a value (a), and --overwrite is false",
    );
    expect(await runOperation({ ...node, labels: ['zone=b'], overwrite: true }, ctx)).toEqual([
      'node/lab-worker labeled',
    ]);
    expect(await runOperation({ ...node, labels: ['zone-', 'gone-'] }, ctx)).toEqual([
      'label "gone" not found.',
      'node/lab-worker unlabeled',
    ]);
    expect((await get('/api/v1/nodes/lab-worker')).metadata.labels?.zone).toBeUndefined();
    const ns = await namespace();
    await runOperation(deployment(ns), ctx);
    await runOperation(
      {
        op: 'label',
        target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web' },
        labels: ['tier=front'],
      },
      ctx,
    );
    expect((await get(`/apis/apps/v1/namespaces/${ns}/deployments/web`)).metadata.labels).toEqual({
      tier: 'front',
    });
  });

  it('taints as kubectl taint does: new first, no silent overwrite, removals must remove', async () => {
    const ctx = context();
    const node = { op: 'taint' as const, node: '{{worker2}}' };
    const taints = async (): Promise<unknown> =>
      ((await get('/api/v1/nodes/lab-worker2')).spec as { taints?: unknown }).taints;
    expect(await runOperation({ ...node, taints: ['a=1:NoSchedule'] }, ctx)).toEqual([
      'node/lab-worker2 tainted',
    ]);
    expect(await runOperation({ ...node, taints: ['b:PreferNoSchedule'] }, ctx)).toEqual([
      'node/lab-worker2 tainted',
    ]);
    expect(await taints()).toEqual([
      { key: 'b', effect: 'PreferNoSchedule' },
      { key: 'a', value: '1', effect: 'NoSchedule' },
    ]);
    await expect(runOperation({ ...node, taints: ['a=2:NoSchedule'] }, ctx)).rejects.toThrow(
      'Node lab-worker2 already has a taint(s) with same effect(s) and --overwrite is false',
    );
    expect(
      await runOperation({ ...node, taints: ['a=2:NoSchedule'], overwrite: true }, ctx),
    ).toEqual(['node/lab-worker2 modified']);
    await expect(runOperation({ ...node, taints: ['c-'] }, ctx)).rejects.toThrow(
      'taint "c" not found',
    );
    expect(await runOperation({ ...node, taints: ['a:NoSchedule-', 'b-'] }, ctx)).toEqual([
      'node/lab-worker2 untainted',
    ]);
    expect(await taints()).toBeUndefined();
  });

  it('cordons and uncordons, once', async () => {
    const ctx = context();
    expect(await runOperation({ op: 'cordon', node: '{{worker1}}' }, ctx)).toEqual([
      'node/lab-worker cordoned',
    ]);
    expect(await runOperation({ op: 'cordon', node: '{{worker1}}' }, ctx)).toEqual([
      'node/lab-worker already cordoned',
    ]);
    expect((await get('/api/v1/nodes/lab-worker')).spec).toMatchObject({ unschedulable: true });
    expect(await runOperation({ op: 'uncordon', node: '{{worker1}}' }, ctx)).toEqual([
      'node/lab-worker uncordoned',
    ]);
    expect((await get('/api/v1/nodes/lab-worker')).spec).not.toHaveProperty('unschedulable');
  });
});

describe('nodes and the clock', () => {
  it('adds, stops, starts and removes a node by role, and advances the clock', async () => {
    const ctx = context({ roles: { ...roles } });
    expect(
      await runOperations(
        [
          {
            op: 'nodeAdd',
            role: 'worker3',
            labels: { disk: 'hdd' },
            taints: ['maint=soon:NoSchedule'],
          },
          { op: 'nodeStop', node: '{{worker3}}' },
          { op: 'advanceClock', duration: '10s' },
          { op: 'nodeStart', node: '{{worker3}}' },
        ],
        ctx,
      ),
    ).toEqual([
      'node/lab-worker3 added',
      'node/lab-worker3 stopped',
      'cluster advanced by 10s (10s in all)',
      'node/lab-worker3 started',
    ]);
    expect(ctx.roles.worker3).toBe('lab-worker3');
    const node = await get('/api/v1/nodes/lab-worker3');
    expect(node.metadata.labels).toMatchObject({ disk: 'hdd' });
    expect((node.spec as { taints: unknown }).taints).toEqual([
      { key: 'maint', value: 'soon', effect: 'NoSchedule' },
    ]);
    expect(await runOperation({ op: 'nodeRemove', node: '{{worker3}}' }, ctx)).toEqual([
      'node/lab-worker3 removed',
    ]);
    expect(ctx.roles.worker3).toBeUndefined();
  });

  it('says which backend the lab needs on a cluster that is not embedded', async () => {
    await expect(
      runOperation(
        { op: 'nodeStop', node: '{{worker1}}' },
        context({ backend: 'kind', labBackends: ['embedded', 'kind'] }),
      ),
    ).rejects.toThrow(
      "this lab needs one of the embedded or kind backends to stop a node's kubelet (nodeStop); Kubelab can do that only on an embedded cluster, and this is a kind cluster",
    );
    await expect(
      runOperation({ op: 'advanceClock', duration: '1m' }, context({ backend: 'context' })),
    ).rejects.toThrow('this lab needs the embedded backend to advance the cluster clock');
  });
});

describe('rollout undo', () => {
  it('rolls a Deployment back as kubectl does, with kubectl’s errors', async () => {
    const ns = await namespace();
    const undo = (toRevision?: number): LabOperation => ({
      op: 'rolloutUndo',
      kind: 'Deployment',
      name: 'web',
      namespace: ns,
      ...(toRevision !== undefined ? { toRevision } : {}),
    });
    await runOperation(deployment(ns, 'nginx:1.27'), context());
    await lab.settle();
    await expect(runOperation(undo(), context())).rejects.toThrow(
      'no rollout history found for deployment "web"',
    );
    await runOperation(deployment(ns, 'nginx:1.28'), context());
    await lab.settle();
    await expect(runOperation(undo(7), context())).rejects.toThrow(
      'unable to find specified revision 7 in history',
    );
    const ctx = context();
    expect(await runOperation(undo(), ctx)).toEqual(['deployment.apps/web rolled back']);
    expect(ctx.seen).toEqual(['rolling back deployment.apps/web to revision 1']);
    await lab.settle();
    const web = await get(`/apis/apps/v1/namespaces/${ns}/deployments/web`);
    expect(web.spec).toMatchObject({
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ image: 'nginx:1.27' }] },
      },
    });
    expect(web.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '3' });
    expect(await runOperation(undo(3), context())).toEqual([
      'deployment.apps/web skipped rollback (current template already matches revision 3)',
    ]);
  });

  it('rolls a DaemonSet back to a ControllerRevision, with kubectl’s errors', async () => {
    const ns = await namespace();
    const undo = (toRevision?: number): LabOperation => ({
      op: 'rolloutUndo',
      kind: 'DaemonSet',
      name: 'agent',
      namespace: ns,
      ...(toRevision !== undefined ? { toRevision } : {}),
    });
    await runOperation(daemonSet(ns), context());
    await lab.settle();
    await expect(runOperation(undo(), context())).rejects.toThrow(
      'no last revision to roll back to',
    );
    await runOperation(daemonSet(ns, 'busybox:1.37'), context());
    await lab.settle();
    await expect(runOperation(undo(9), context())).rejects.toThrow(
      'unable to find specified revision 9 in history',
    );
    expect(await runOperation(undo(1), context())).toEqual(['daemonset.apps/agent rolled back']);
    await lab.settle();
    const agent = await get(`/apis/apps/v1/namespaces/${ns}/daemonsets/agent`);
    expect(agent.spec).toMatchObject({
      template: { spec: { containers: [{ image: 'busybox:1.36' }] } },
    });
    expect(await runOperation(undo(3), context())).toEqual([
      'daemonset.apps/agent skipped rollback (current template already matches revision 3)',
    ]);
  });
});

describe('wait', () => {
  it('waits for a field or a count, and times out with kubectl’s words', async () => {
    const ns = await namespace();
    await runOperation(daemonSet(ns), context());
    const target = { apiVersion: 'apps/v1', kind: 'DaemonSet', namespace: ns, name: 'agent' };
    const ctx = context();
    expect(
      await runOperation(
        { op: 'wait', target, path: '{.status.numberReady}', equals: 2, timeout: '20s' },
        ctx,
      ),
    ).toEqual(['daemonset.apps/agent condition met']);
    expect(ctx.seen).toEqual(['waiting for daemonset.apps/agent {.status.numberReady} to be 2']);
    const query = { apiVersion: 'v1', kind: 'Pod', namespace: ns, labelSelector: 'app=agent' };
    expect(await runOperation({ op: 'wait', query, count: 2, timeout: '20s' }, context())).toEqual([
      'pod objects condition met',
    ]);
    await expect(
      runOperation({ op: 'wait', query, count: 5, timeout: '1s' }, context()),
    ).rejects.toThrow('timed out waiting for the condition on pod objects');
  });

  it('stops when cancelled', async () => {
    const controller = new AbortController();
    const ns = await namespace();
    const pending = runOperation(
      {
        op: 'wait',
        query: { apiVersion: 'v1', kind: 'Pod', namespace: ns },
        count: 1,
        timeout: '60s',
      },
      context({ signal: controller.signal }),
    );
    setTimeout(() => controller.abort(new Error('cancelled by the test')), 50);
    await expect(pending).rejects.toThrow('cancelled by the test');
  });
});

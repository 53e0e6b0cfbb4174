import { afterEach, describe, expect, it } from 'vitest';
import { isPlainObject, type KubeObject } from '../../kube/objects';
import { boundPod, phaseOf, testCluster, types, type TestCluster } from './test-cluster';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);

let cluster: TestCluster | undefined;
afterEach(() => {
  cluster?.stop();
  cluster = undefined;
});

function lease(c: TestCluster, node: string): Obj {
  return obj(
    c.store.get({
      resource: 'coordination.k8s.io/leases',
      namespace: 'kube-node-lease',
      name: node,
    })?.spec,
  );
}

function node(c: TestCluster, name: string): KubeObject | undefined {
  return c.store.get({ resource: '/nodes', namespace: '', name });
}

function ready(c: TestCluster, name: string): Obj | undefined {
  return list(obj(node(c, name)?.status).conditions).find((x) => x.type === 'Ready');
}

function count(c: TestCluster, from: number, resource: string, name?: string): number {
  return c.writes
    .slice(from)
    .filter((w) => w.key.resource === resource && (name === undefined || w.key.name === name))
    .length;
}

describe('node heartbeats', () => {
  it('renews each lease every 10 s and posts node status only every 5 minutes when idle', async () => {
    const c = (cluster = await testCluster({ nodes: 3 }));
    c.createPod(boundPod('web', 'lab-worker', { containers: [{ name: 'nginx', image: 'nginx' }] }));
    c.createPod(
      boundPod('job', 'lab-worker2', {
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: 'busybox', command: ['echo', 'done'] }],
      }),
    );
    await c.advance(10_000);
    expect(phaseOf(c.pod('web'))).toBe('Running');
    expect(phaseOf(c.pod('job'))).toBe('Succeeded');
    const from = c.writes.length;
    const renewals: string[] = [];
    await c.advance(600_000);
    for (const name of ['lab-control-plane', 'lab-worker', 'lab-worker2']) {
      expect(count(c, from, 'coordination.k8s.io/leases', name)).toBe(60);
      const posts = count(c, from, '/nodes', name);
      expect(posts).toBeGreaterThanOrEqual(1);
      expect(posts).toBeLessThanOrEqual(2);
      renewals.push(String(lease(c, name).renewTime));
    }
    expect(count(c, from, '/pods')).toBe(0);
    expect(count(c, from, '/events')).toBe(0);
    expect(count(c, from, 'kubelab.dev/kubelets')).toBe(0);
    for (const renewTime of renewals) {
      expect(renewTime).toMatch(/^2026-01-01T00:(09|10):\d\d\.\d{6}Z$/);
      expect(Date.parse(renewTime)).toBeGreaterThan(c.clock.now() - 10_000);
    }
    expect(lease(c, 'lab-worker')).toMatchObject({
      holderIdentity: 'lab-worker',
      leaseDurationSeconds: 40,
    });
    // The refresh stamps the heartbeat but keeps the transition time.
    expect(Date.parse(String(ready(c, 'lab-worker')?.lastHeartbeatTime))).toBeGreaterThan(
      c.clock.now() - 310_000,
    );
    expect(ready(c, 'lab-worker')?.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
  });

  it('reports the node images, preloaded and pulled', async () => {
    const c = (cluster = await testCluster({ nodes: 2 }));
    const images = (): string[] =>
      list(obj(node(c, 'lab-worker')?.status).images).flatMap((i) => (i.names as string[]) ?? []);
    expect(images()).toContain('registry.k8s.io/pause:3.9');
    c.createPod(boundPod('web', 'lab-worker', { containers: [{ name: 'nginx', image: 'nginx' }] }));
    await c.settle();
    await c.advance(10_000);
    expect(images()).toContain('docker.io/library/nginx:latest');
    expect(images().some((n) => /^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/.test(n))).toBe(
      true,
    );
  });

  it('uses one timer for all nodes, not one per node', async () => {
    const c = (cluster = await testCluster({ nodes: 300 }));
    expect(c.clock.pending).toBe(1);
    const from = c.writes.length;
    await c.advance(20_000);
    expect(count(c, from, 'coordination.k8s.io/leases')).toBe(300 * 2);
    expect(c.clock.pending).toBe(1);
  });
});

describe('starting and stopping a kubelet', () => {
  it('reflects the state on the Kubelet, and a stopped kubelet writes nothing', async () => {
    const c = (cluster = await testCluster({ nodes: 2 }));
    c.setKubelet('lab-worker', 'Stopped');
    await c.settle();
    const kubelet = c.registry.get(types.kubelets, '', 'lab-worker');
    expect(obj(kubelet.status)).toEqual({
      state: 'Stopped',
      lastTransitionTime: '2026-01-01T00:00:00Z',
    });
    const from = c.writes.length;
    const renewed = lease(c, 'lab-worker').renewTime;
    await c.advance(400_000, 10_000);
    expect(lease(c, 'lab-worker').renewTime).toBe(renewed);
    expect(count(c, from, 'coordination.k8s.io/leases', 'lab-worker')).toBe(0);
    expect(count(c, from, '/nodes', 'lab-worker')).toBe(0);
    expect(count(c, from, 'coordination.k8s.io/leases', 'lab-control-plane')).toBe(40);
  });

  it('posts Ready=True at once when started again after the node went NotReady', async () => {
    const c = (cluster = await testCluster({ nodes: 2 }));
    c.setKubelet('lab-worker', 'Stopped');
    await c.advance(60_000, 10_000);
    // What the node lifecycle controller does to a silent node.
    c.registry.modify(
      types.nodes,
      '',
      'lab-worker',
      (copy) => {
        const status = obj(copy.status);
        status.conditions = list(status.conditions).map((x) => ({
          ...x,
          status: 'Unknown',
          reason: 'NodeStatusUnknown',
          message: 'Kubelet stopped posting node status.',
        }));
        return copy;
      },
      { subresource: 'status' },
    );
    await c.settle();
    c.setKubelet('lab-worker', 'Running');
    await c.settle();
    expect(ready(c, 'lab-worker')).toMatchObject({
      status: 'True',
      reason: 'KubeletReady',
      message: 'kubelet is posting ready status',
      lastHeartbeatTime: '2026-01-01T00:01:00Z',
      lastTransitionTime: '2026-01-01T00:01:00Z',
    });
    const conditions = list(obj(node(c, 'lab-worker')?.status).conditions);
    expect(conditions.map((x) => [x.type, x.status, x.reason])).toEqual([
      ['MemoryPressure', 'False', 'KubeletHasSufficientMemory'],
      ['DiskPressure', 'False', 'KubeletHasNoDiskPressure'],
      ['PIDPressure', 'False', 'KubeletHasSufficientPID'],
      ['Ready', 'True', 'KubeletReady'],
    ]);
    expect(lease(c, 'lab-worker').renewTime).toBe('2026-01-01T00:01:00.000000Z');
    expect(obj(c.registry.get(types.kubelets, '', 'lab-worker').status)).toEqual({
      state: 'Running',
      lastTransitionTime: '2026-01-01T00:01:00Z',
    });
  });
});

describe('a node created through the API', () => {
  it('gets a Kubelet owned by it, a lease, a full status, and runs its pods', async () => {
    const c = (cluster = await testCluster({ nodes: 2 }));
    const created = c.registry.create(types.nodes, '', { metadata: { name: 'extra' } });
    await c.settle();
    const kubelet = c.registry.get(types.kubelets, '', 'extra');
    expect(kubelet.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Node', name: 'extra', uid: created.metadata.uid },
    ]);
    expect(obj(kubelet.spec).state).toBe('Running');
    expect(obj(kubelet.status).state).toBe('Running');
    const leaseObject = c.store.get({
      resource: 'coordination.k8s.io/leases',
      namespace: 'kube-node-lease',
      name: 'extra',
    });
    expect(leaseObject?.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'Node',
      uid: created.metadata.uid,
    });
    const extra = node(c, 'extra')!;
    expect(extra.metadata.labels).toMatchObject({
      'kubernetes.io/hostname': 'extra',
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
    });
    const status = obj(extra.status);
    expect(ready(c, 'extra')?.status).toBe('True');
    expect(list(status.addresses)).toEqual([
      { address: '172.18.0.4', type: 'InternalIP' },
      { address: 'extra', type: 'Hostname' },
    ]);
    expect(obj(status.capacity).pods).toBe('110');
    expect(obj(status.nodeInfo).kubeletVersion).toBe('v1.30.14');
    c.createPod(boundPod('p', 'extra', { containers: [{ name: 'c', image: 'nginx' }] }));
    await c.settle();
    expect(phaseOf(c.pod('p'))).toBe('Running');
    expect(String(obj(c.pod('p')?.status).podIP)).toMatch(/^10\.244\.2\.\d+$/);
    expect(obj(c.pod('p')?.status).hostIP).toBe('172.18.0.4');
  });
});

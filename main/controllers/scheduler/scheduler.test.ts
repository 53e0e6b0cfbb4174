import { describe, expect, it } from 'vitest';
import { CONTROL_PLANE, CONTROL_PLANE_TAINT, TestCluster, podsType } from './test-cluster';

const NOT_HELPFUL = (n: number, total = n): string =>
  `preemption: 0/${total} nodes are available: ${n} Preemption is not helpful for scheduling.`;

/** Required anti-affinity against pods labelled app=<app> on the same node. */
function antiAffinity(app: string): Record<string, unknown> {
  return {
    affinity: {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { labelSelector: { matchLabels: { app } }, topologyKey: 'kubernetes.io/hostname' },
        ],
      },
    },
  };
}

/** The pod spec of a daemon pod pinned to `node` (daemonset-spec §1.2, §1.3). */
function daemonPodSpec(node: string): Record<string, unknown> {
  return {
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] },
          ],
        },
      },
    },
    tolerations: [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
    ],
  };
}

describe('Scheduler: binding and events', () => {
  it('binds a pod, sets PodScheduled=True and records Scheduled', async () => {
    const c = new TestCluster();
    c.kind(1);
    c.pod('web');
    await c.settle();
    expect(c.nodeOf('web')).toBe('kind-worker');
    expect(c.condition('web')).toMatchObject({ type: 'PodScheduled', status: 'True' });
    expect(c.condition('web')?.reason).toBeUndefined();
    const [event] = c.events('web');
    expect(event).toMatchObject({
      reason: 'Scheduled',
      type: 'Normal',
      action: 'Binding',
      message: 'Successfully assigned default/web to kind-worker',
      reportingComponent: 'default-scheduler',
      reportingInstance: `default-scheduler-${CONTROL_PLANE}`,
    });
    expect(c.events('web')).toHaveLength(1);
  });

  it('leaves pods of another scheduler, bound pods and gated pods alone', async () => {
    const c = new TestCluster();
    c.kind(1);
    c.pod('other', { schedulerName: 'my-scheduler' });
    c.pod('pinned', { nodeName: CONTROL_PLANE });
    c.pod('gated', { schedulingGates: [{ name: 'example.com/wait' }] });
    await c.settle();
    expect(c.nodeOf('other')).toBe('');
    expect(c.nodeOf('pinned')).toBe(CONTROL_PLANE);
    expect(c.nodeOf('gated')).toBe('');
    expect(c.scheduler.queuedAs('default', 'gated')).toBe('gated');
    expect(c.events('other')).toEqual([]);
    expect(c.events('pinned')).toEqual([]);
    expect(c.events('gated')).toEqual([]);
  });

  it('schedules higher-priority pods first (PrioritySort)', async () => {
    const c = new TestCluster(1, { start: false });
    c.node('only', { pods: '1' });
    c.pod('low');
    c.pod('high', { priorityClassName: 'system-cluster-critical' });
    c.start();
    await c.settle();
    expect(c.nodeOf('high')).toBe('only');
    expect(c.nodeOf('low')).toBe('');
    expect(c.lastFailure('low')).toBe(
      '0/1 nodes are available: 1 Too many pods. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    );
  });

  it('answers "no nodes available to schedule pods" and retries with backoff', async () => {
    const c = new TestCluster();
    c.pod('web');
    await c.settle();
    expect(c.lastFailure('web')).toBe('no nodes available to schedule pods');
    expect(c.condition('web')).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message: 'no nodes available to schedule pods',
    });
    expect(c.scheduler.queuedAs('default', 'web')).toBe('backoff');
    await c.advance(1000);
    // Attempt 2 after 1 s, attempt 3 after 2 s more.
    expect(c.events('web')).toHaveLength(2);
    await c.advance(1000);
    expect(c.events('web')).toHaveLength(2);
    await c.advance(1000);
    expect(c.events('web')).toHaveLength(3);
    c.node('late');
    await c.advance(4000);
    expect(c.nodeOf('web')).toBe('late');
  });
});

describe('Scheduler: FailedScheduling', () => {
  it('explains a mixed cluster exactly as FitError.Error does', async () => {
    const c = new TestCluster();
    // Created in an order whose reasons are not sorted, to see the sort.
    c.node('worker1');
    c.node('worker2');
    c.node('cordoned', { unschedulable: true, labels: { disk: 'ssd' } });
    c.node(CONTROL_PLANE, { taints: [CONTROL_PLANE_TAINT] });
    c.pod('web', { nodeSelector: { disk: 'ssd' } });
    await c.settle();
    const message =
      "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 1 node(s) were unschedulable, 2 node(s) didn't match Pod's node affinity/selector. " +
      NOT_HELPFUL(4);
    expect(c.lastFailure('web')).toBe(message);
    const [event] = c.events('web');
    expect(event).toMatchObject({
      reason: 'FailedScheduling',
      type: 'Warning',
      action: 'Scheduling',
      reportingInstance: 'default-scheduler-kind-control-plane',
    });
    expect(c.condition('web')).toMatchObject({
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message,
      lastProbeTime: null,
    });
    const status = c.get('web').status as Record<string, unknown>;
    expect(status.nominatedNodeName).toBeUndefined();
    expect(c.nodeOf('web')).toBe('');
  });

  it('prints the taint value, and checks NoExecute but not PreferNoSchedule', async () => {
    const c = new TestCluster();
    c.node('gpu', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    c.node('evicting', { taints: [{ key: 'maintenance', value: 'true', effect: 'NoExecute' }] });
    c.pod('web');
    await c.settle();
    expect(c.lastFailure('web')).toBe(
      '0/2 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) had untolerated taint {maintenance: true}. ' +
        NOT_HELPFUL(2),
    );
    const soft = new TestCluster();
    soft.node('soft', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'PreferNoSchedule' }] });
    soft.pod('web');
    await soft.settle();
    expect(soft.nodeOf('web')).toBe('soft');
  });

  it('lets tolerations through, and a cordoned node only with the unschedulable toleration', async () => {
    const c = new TestCluster();
    c.node('cordoned', { unschedulable: true });
    c.pod('plain');
    c.pod('tolerant', {
      tolerations: [
        { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
      ],
    });
    await c.settle();
    expect(c.nodeOf('plain')).toBe('');
    expect(c.lastFailure('plain')).toBe(
      '0/1 nodes are available: 1 node(s) were unschedulable. ' + NOT_HELPFUL(1),
    );
    expect(c.nodeOf('tolerant')).toBe('cordoned');
  });

  it('matches required node affinity (matchExpressions) and nodeSelector', async () => {
    const c = new TestCluster();
    c.node('a', { labels: { zone: 'east' } });
    c.node('b', { labels: { zone: 'west' } });
    c.pod('east', {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'zone', operator: 'In', values: ['east'] }] },
            ],
          },
        },
      },
    });
    c.pod('west', { nodeSelector: { zone: 'west' } });
    c.pod('north', { nodeSelector: { zone: 'north' } });
    await c.settle();
    expect(c.nodeOf('east')).toBe('a');
    expect(c.nodeOf('west')).toBe('b');
    expect(c.lastFailure('north')).toBe(
      "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. " +
        NOT_HELPFUL(2),
    );
  });

  it('refuses a host port in use (NodePorts), and frees it when the pod goes', async () => {
    const c = new TestCluster();
    c.node('only');
    c.pod('first', {}, {}, { ports: [{ containerPort: 80, hostPort: 8080 }] });
    await c.settle();
    c.pod('second', {}, {}, { ports: [{ containerPort: 80, hostPort: 8080 }] });
    c.pod('other-port', {}, {}, { ports: [{ containerPort: 80, hostPort: 8081 }] });
    await c.settle();
    expect(c.nodeOf('first')).toBe('only');
    expect(c.nodeOf('other-port')).toBe('only');
    expect(c.lastFailure('second')).toBe(
      "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.",
    );
    c.registry.delete(podsType, 'default', 'first', { gracePeriodSeconds: 0 });
    await c.advance(1000);
    expect(c.nodeOf('second')).toBe('only');
  });
});

describe('Scheduler: NodeResourcesFit', () => {
  it('counts requests of bound pods and init containers against allocatable', async () => {
    const c = new TestCluster();
    c.node('small', { cpu: '2', memory: '4Gi' });
    c.pod('half', {}, {}, { resources: { requests: { cpu: '1500m' } } });
    await c.settle();
    expect(c.nodeOf('half')).toBe('small');
    c.pod('too-much-cpu', {}, {}, { resources: { requests: { cpu: '600m' } } });
    c.pod('fits', {}, {}, { resources: { requests: { cpu: '0.5', memory: '1Gi' } } });
    await c.settle();
    expect(c.nodeOf('fits')).toBe('small');
    expect(c.lastFailure('too-much-cpu')).toBe(
      '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    );
    // An init container's request counts when it is the largest.
    c.pod(
      'init',
      {
        initContainers: [
          { name: 'setup', image: 'busybox', resources: { requests: { memory: '3500Mi' } } },
        ],
      },
      {},
      { resources: { requests: { memory: '1Mi' } } },
    );
    await c.settle();
    expect(c.lastFailure('init')).toBe(
      '0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    );
  });

  it('lists every insufficient resource, sorted with their counts', async () => {
    const c = new TestCluster();
    c.node('a', { cpu: '1', memory: '1Gi' });
    c.node('b', { cpu: '1', memory: '8Gi' });
    c.pod('big', {}, {}, { resources: { requests: { cpu: '2', memory: '2Gi' } } });
    await c.settle();
    expect(c.lastFailure('big')).toBe(
      '0/2 nodes are available: 1 Insufficient memory, 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
    );
  });

  it('says "Too many pods" against the pods allocatable', async () => {
    const c = new TestCluster();
    c.node('tiny', { pods: '2' });
    c.pod('a');
    c.pod('b');
    c.pod('c');
    await c.settle();
    const bound = ['a', 'b', 'c'].filter((p) => c.nodeOf(p) === 'tiny');
    expect(bound).toHaveLength(2);
    const pending = ['a', 'b', 'c'].find((p) => c.nodeOf(p) === '')!;
    expect(c.lastFailure(pending)).toBe(
      '0/1 nodes are available: 1 Too many pods. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    );
  });

  it('retries a pod that did not fit once a bound pod is deleted', async () => {
    const c = new TestCluster();
    c.node('small', { cpu: '2' });
    c.pod('hog', {}, {}, { resources: { requests: { cpu: '2' } } });
    await c.settle();
    c.pod('waiting', {}, {}, { resources: { requests: { cpu: '1' } } });
    await c.settle();
    expect(c.scheduler.queuedAs('default', 'waiting')).toBe('unschedulable');
    c.registry.delete(podsType, 'default', 'hog', { gracePeriodSeconds: 0 });
    await c.settle();
    // Moved at once, but its backoff (1 s after the failure) is not over yet.
    expect(c.scheduler.queuedAs('default', 'waiting')).toBe('backoff');
    await c.advance(1000);
    expect(c.nodeOf('waiting')).toBe('small');
  });

  it('says nothing about preemption when evicting a lower-priority pod would make room', async () => {
    const c = new TestCluster();
    c.node('small', { cpu: '2' });
    c.pod('low', {}, {}, { resources: { requests: { cpu: '2' } } });
    await c.settle();
    c.pod(
      'critical',
      { priorityClassName: 'system-cluster-critical' },
      {},
      {
        resources: { requests: { cpu: '1' } },
      },
    );
    c.pod(
      'huge',
      { priorityClassName: 'system-cluster-critical' },
      {},
      {
        resources: { requests: { cpu: '3' } },
      },
    );
    c.pod(
      'polite',
      { priorityClassName: 'system-cluster-critical', preemptionPolicy: 'Never' },
      {},
      {
        resources: { requests: { cpu: '1' } },
      },
    );
    await c.settle();
    // Upstream would preempt `low`; this cluster does not (see postFilter).
    expect(c.lastFailure('critical')).toBe('0/1 nodes are available: 1 Insufficient cpu.');
    expect(c.nodeOf('low')).toBe('small');
    expect(c.lastFailure('huge')).toBe(
      '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Insufficient cpu.',
    );
    expect(c.lastFailure('polite')).toBe(
      '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.',
    );
  });
});

describe('Scheduler: retries on cluster events', () => {
  it('does not retry an unschedulable pod without an event, then after 5 minutes', async () => {
    const c = new TestCluster();
    c.kind(0);
    c.pod('web');
    await c.settle();
    expect(c.events('web')).toHaveLength(1);
    await c.advance(60_000);
    expect(c.events('web')).toHaveLength(1);
    // podMaxInUnschedulablePodsDuration (5 min), checked every 30 s.
    await c.advance(4 * 60_000 + 30_000);
    expect(c.events('web')).toHaveLength(2);
  });

  it('schedules a pending pod when a worker joins', async () => {
    const c = new TestCluster();
    c.kind(0);
    c.pod('web');
    await c.settle();
    expect(c.lastFailure('web')).toBe(
      '0/1 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. ' +
        NOT_HELPFUL(1),
    );
    c.node('kind-worker');
    await c.advance(1000);
    expect(c.nodeOf('web')).toBe('kind-worker');
    expect(c.events('web').at(-1)?.message).toBe(
      'Successfully assigned default/web to kind-worker',
    );
  });

  it('schedules a pending pod when its node is untainted or uncordoned', async () => {
    const c = new TestCluster();
    c.kind(0);
    c.node('cordoned', { unschedulable: true });
    c.pod('web');
    await c.settle();
    expect(c.nodeOf('web')).toBe('');
    c.modifyNode(CONTROL_PLANE, (node) => {
      delete (node.spec as Record<string, unknown>).taints;
    });
    await c.advance(1000);
    expect(c.nodeOf('web')).toBe(CONTROL_PLANE);
    c.pod('second', { nodeSelector: { 'kubernetes.io/hostname': 'cordoned' } });
    await c.settle();
    expect(c.nodeOf('second')).toBe('');
    c.modifyNode('cordoned', (node) => {
      (node.spec as Record<string, unknown>).unschedulable = false;
    });
    await c.advance(1000);
    expect(c.nodeOf('second')).toBe('cordoned');
  });

  it('retries a pending pod that was edited (a toleration added)', async () => {
    const c = new TestCluster();
    c.node('gpu', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    c.pod('web');
    await c.settle();
    expect(c.scheduler.queuedAs('default', 'web')).toBe('unschedulable');
    // Our own status write (PodScheduled=False) did not count as an edit.
    await c.advance(2000);
    expect(c.events('web')).toHaveLength(1);
    c.registry.modify(podsType, 'default', 'web', (copy) => {
      const spec = copy.spec as Record<string, unknown>;
      spec.tolerations = [
        ...(spec.tolerations as unknown[]),
        { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' },
      ];
      return copy;
    });
    await c.settle();
    expect(c.nodeOf('web')).toBe('gpu');
  });

  it('retries when a node gets the label a pod selects', async () => {
    const c = new TestCluster();
    c.node('a');
    c.pod('web', { nodeSelector: { disk: 'ssd' } });
    await c.settle();
    c.modifyNode('a', (node) => {
      node.metadata.labels = { ...node.metadata.labels, disk: 'ssd' };
    });
    await c.advance(1000);
    expect(c.nodeOf('web')).toBe('a');
  });

  it('moves only pods that would pass the basic checks on the changed node', async () => {
    const c = new TestCluster();
    c.node('a', { labels: { disk: 'hdd' } });
    c.pod('ssd', { nodeSelector: { disk: 'ssd' } });
    await c.settle();
    c.node('b', { labels: { disk: 'hdd' } });
    await c.settle();
    // The new node does not match the pod's selector: preCheckForNode leaves it waiting.
    expect(c.scheduler.queuedAs('default', 'ssd')).toBe('unschedulable');
    expect(c.events('ssd')).toHaveLength(1);
  });
});

describe('Scheduler: spreading', () => {
  it('puts 3 replicas on 3 equal workers for every seed', async () => {
    const firstNodes = new Set<string>();
    for (let seed = 1; seed <= 60; seed++) {
      const c = new TestCluster(seed);
      const workers = c.kind(3);
      const rs = c.replicaSet('web-6d4b75cb6d', { app: 'web', 'pod-template-hash': '6d4b75cb6d' });
      c.replica(rs, 'web-6d4b75cb6d-a');
      c.replica(rs, 'web-6d4b75cb6d-b');
      c.replica(rs, 'web-6d4b75cb6d-c');
      await c.settle();
      const nodes = ['a', 'b', 'c'].map((s) => c.nodeOf(`web-6d4b75cb6d-${s}`));
      expect(new Set(nodes).size, `seed ${seed}: ${nodes.join(',')}`).toBe(3);
      for (const node of nodes) expect(workers).toContain(node);
      firstNodes.add(nodes[0]!);
    }
    // The first replica's node is a random choice among equal nodes.
    expect(firstNodes.size).toBe(3);
  });

  it('spreads 6 replicas 2 per worker', async () => {
    const c = new TestCluster(3);
    c.kind(3);
    const rs = c.replicaSet('api-55f9c', { app: 'api' });
    for (let i = 0; i < 6; i++) c.replica(rs, `api-55f9c-${i}`);
    await c.settle();
    const counts = new Map<string, number>();
    for (let i = 0; i < 6; i++) {
      const node = c.nodeOf(`api-55f9c-${i}`);
      counts.set(node, (counts.get(node) ?? 0) + 1);
    }
    expect([...counts.values()]).toEqual([2, 2, 2]);
  });

  it('makes the same choices for the same seed', async () => {
    const run = async (seed: number): Promise<string[]> => {
      const c = new TestCluster(seed);
      c.kind(4);
      for (let i = 0; i < 8; i++) c.pod(`solo-${i}`);
      await c.settle();
      return Array.from({ length: 8 }, (_, i) => c.nodeOf(`solo-${i}`));
    };
    const first = await run(42);
    expect(await run(42)).toEqual(first);
    const others = await Promise.all([7, 8, 9, 10, 11].map(run));
    expect(others.some((o) => o.join() !== first.join())).toBe(true);
  });

  it('prefers nodes without PreferNoSchedule taints and with preferred affinity', async () => {
    const c = new TestCluster();
    c.node('soft', { taints: [{ key: 'spot', effect: 'PreferNoSchedule' }] });
    c.node('plain');
    c.node('fast', { labels: { disk: 'ssd' } });
    c.pod('a', {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 50,
              preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] },
            },
          ],
        },
      },
    });
    await c.settle();
    expect(c.nodeOf('a')).toBe('fast');
    for (let seed = 1; seed <= 10; seed++) {
      const d = new TestCluster(seed);
      d.node('soft', { taints: [{ key: 'spot', effect: 'PreferNoSchedule' }] });
      d.node('plain');
      d.pod('b');
      await d.settle();
      expect(d.nodeOf('b')).toBe('plain');
    }
  });
});

describe('Scheduler: inter-pod affinity', () => {
  it('keeps replicas with required anti-affinity on different nodes', async () => {
    const c = new TestCluster();
    c.kind(2);
    for (const name of ['web-1', 'web-2', 'web-3']) {
      c.pod(name, antiAffinity('web'), { labels: { app: 'web' } });
    }
    await c.settle();
    const nodes = ['web-1', 'web-2', 'web-3'].map((p) => c.nodeOf(p));
    expect(nodes.filter((n) => n !== '').sort()).toEqual(['kind-worker', 'kind-worker2']);
    const pending = ['web-1', 'web-2', 'web-3'].find((p) => c.nodeOf(p) === '')!;
    expect(c.lastFailure(pending)).toBe(
      "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.",
    );
  });

  it("honours existing pods' anti-affinity", async () => {
    const c = new TestCluster();
    c.node('only');
    c.pod('loner', antiAffinity('noisy'), { labels: { app: 'loner' } });
    await c.settle();
    c.pod('noisy', {}, { labels: { app: 'noisy' } });
    await c.settle();
    expect(c.lastFailure('noisy')).toBe(
      "0/1 nodes are available: 1 node(s) didn't satisfy existing pods anti-affinity rules. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.",
    );
    c.registry.delete(podsType, 'default', 'loner', { gracePeriodSeconds: 0 });
    await c.advance(1000);
    expect(c.nodeOf('noisy')).toBe('only');
  });

  it('co-locates with required pod affinity, and lets the first of a group start', async () => {
    const c = new TestCluster();
    c.node('a');
    c.node('b');
    c.node('c');
    const withCache = {
      affinity: {
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            {
              labelSelector: { matchLabels: { app: 'cache' } },
              topologyKey: 'kubernetes.io/hostname',
            },
          ],
        },
      },
    };
    c.pod('orphan', withCache, { labels: { app: 'web' } });
    await c.settle();
    expect(c.lastFailure('orphan')).toBe(
      "0/3 nodes are available: 3 node(s) didn't match pod affinity rules. " + NOT_HELPFUL(3),
    );
    c.pod(
      'cache',
      { nodeSelector: { 'kubernetes.io/hostname': 'b' } },
      { labels: { app: 'cache' } },
    );
    await c.advance(1000);
    expect(c.nodeOf('cache')).toBe('b');
    // The cache pod's arrival moves the waiting pod (it has an affinity term matching it).
    expect(c.nodeOf('orphan')).toBe('b');
    // A pod matching its own affinity term may start where none exists yet.
    c.pod('first-of-group', withCache, { labels: { app: 'cache' } });
    await c.settle();
    expect(c.nodeOf('first-of-group')).toBe('b');
  });
});

describe('Scheduler: topology spread constraints', () => {
  const spread = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchLabels: { app: 'web' } },
        ...extra,
      },
    ],
  });

  it('counts the tainted control plane as a domain unless nodeTaintsPolicy is Honor', async () => {
    const c = new TestCluster();
    c.kind(2);
    for (const name of ['w-1', 'w-2', 'w-3']) c.pod(name, spread(), { labels: { app: 'web' } });
    await c.settle();
    const placed = ['w-1', 'w-2', 'w-3'].filter((p) => c.nodeOf(p) !== '');
    expect(placed).toHaveLength(2);
    const pending = ['w-1', 'w-2', 'w-3'].find((p) => c.nodeOf(p) === '')!;
    expect(c.lastFailure(pending)).toBe(
      "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 node(s) didn't match pod topology spread constraints. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.",
    );

    const honor = new TestCluster();
    honor.kind(2);
    for (const name of ['w-1', 'w-2', 'w-3', 'w-4']) {
      honor.pod(name, spread({ nodeTaintsPolicy: 'Honor' }), { labels: { app: 'web' } });
    }
    await honor.settle();
    const nodes = ['w-1', 'w-2', 'w-3', 'w-4'].map((p) => honor.nodeOf(p)).sort();
    expect(nodes).toEqual(['kind-worker', 'kind-worker', 'kind-worker2', 'kind-worker2']);
  });

  it('refuses nodes without the topology label', async () => {
    const c = new TestCluster();
    c.node('a', { labels: { 'topology.kubernetes.io/zone': 'z1' } });
    c.node('b');
    c.pod('zonal', spread({ topologyKey: 'topology.kubernetes.io/zone' }), {
      labels: { app: 'web' },
    });
    await c.settle();
    expect(c.nodeOf('zonal')).toBe('a');
    c.modifyNode('a', (node) => {
      (node.spec as Record<string, unknown>).unschedulable = true;
    });
    c.pod('zonal-2', spread({ topologyKey: 'topology.kubernetes.io/zone' }), {
      labels: { app: 'web' },
    });
    await c.settle();
    expect(c.lastFailure('zonal-2')).toBe(
      "0/2 nodes are available: 1 node(s) didn't match pod topology spread constraints (missing required label), 1 node(s) were unschedulable. " +
        NOT_HELPFUL(2),
    );
  });
});

describe('Scheduler: DaemonSet pods', () => {
  it('puts a pinned daemon pod on its node, even tainted or cordoned', async () => {
    const c = new TestCluster();
    const workers = c.kind(3);
    c.modifyNode('kind-worker2', (node) => {
      (node.spec as Record<string, unknown>).unschedulable = true;
    });
    c.pod('ds-cp', { ...daemonPodSpec(CONTROL_PLANE), tolerations: [{ operator: 'Exists' }] });
    for (const worker of workers) c.pod(`ds-${worker}`, daemonPodSpec(worker));
    await c.settle();
    expect(c.nodeOf('ds-cp')).toBe(CONTROL_PLANE);
    for (const worker of workers) expect(c.nodeOf(`ds-${worker}`)).toBe(worker);
  });

  it('reports the other nodes as filtered out by the prefilter result', async () => {
    const c = new TestCluster();
    c.kind(2);
    c.node('kind-worker3', { cpu: '100m' });
    c.pod('ds-3', daemonPodSpec('kind-worker3'), {}, { resources: { requests: { cpu: '200m' } } });
    c.pod('ds-gone', daemonPodSpec('deleted-node'));
    await c.settle();
    expect(c.lastFailure('ds-3')).toBe(
      '0/4 nodes are available: 1 Insufficient cpu, 3 node is filtered out by the prefilter result. preemption: 0/4 nodes are available: 1 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.',
    );
    expect(c.lastFailure('ds-gone')).toBe(
      '0/4 nodes are available: 4 node is filtered out by the prefilter result. ' + NOT_HELPFUL(4),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { findResource } from '../../kube/resources';
import { errors } from '../../kube/status';
import { defaultDaemonTolerations } from '../../kube/scheduling';
import {
  NodeLifecycleController,
  NODE_LIFECYCLE_DEFAULTS,
  zoneKeyOf,
} from './node-lifecycle-controller';
import { TaintEvictionController } from './taint-eviction-controller';
import {
  addNode,
  addRunningPod,
  at,
  eventList,
  getNode,
  getPod,
  makeCluster,
  nodeCondition,
  podCondition,
  postNodeStatus,
  setUnschedulable,
  stamp,
  startKubelet,
  step,
  stopKubelet,
  taintList,
  type Cluster,
} from './testing';
import { NODES, obj, objList, PODS } from './node-util';

const EVENTS = findResource('', 'v1', 'events')!;

/** A kind-like cluster: control plane and two workers, both controllers running. */
async function started(workers = 2, seed = 1): Promise<Cluster> {
  const cluster = makeCluster(seed);
  addNode(cluster, 'lab-control-plane');
  for (let i = 1; i <= workers; i++) addNode(cluster, `lab-worker${i === 1 ? '' : i}`);
  cluster.manager.add((ctx) => new NodeLifecycleController(ctx));
  cluster.manager.add((ctx) => new TaintEvictionController(ctx));
  cluster.manager.start();
  await cluster.manager.settle();
  return cluster;
}

/** Steps until `seconds` (since the start), the kubelets renewing their Leases on the way. */
async function until(cluster: Cluster, seconds: number): Promise<void> {
  await step(cluster, seconds * 1000 - (cluster.clock.now() - Date.UTC(2026, 0, 1)));
}

describe('NodeLifecycleController', () => {
  it('uses the 1.30 defaults', () => {
    expect(NODE_LIFECYCLE_DEFAULTS).toMatchObject({
      nodeMonitorPeriodMs: 5000,
      nodeMonitorGracePeriodMs: 40_000,
      nodeStartupGracePeriodMs: 60_000,
      evictionLimiterQps: 0.1,
    });
  });

  it('registers every node with an event', async () => {
    const cluster = await started();
    const registered = eventList(cluster).filter((e) => e.reason === 'RegisteredNode');
    expect(registered.map((e) => [e.name, e.message, e.source, e.type, e.namespace])).toEqual([
      [
        'lab-control-plane',
        'Node lab-control-plane event: Registered Node lab-control-plane in Controller',
        'node-controller',
        'Normal',
        'default',
      ],
      [
        'lab-worker',
        'Node lab-worker event: Registered Node lab-worker in Controller',
        'node-controller',
        'Normal',
        'default',
      ],
      [
        'lab-worker2',
        'Node lab-worker2 event: Registered Node lab-worker2 in Controller',
        'node-controller',
        'Normal',
        'default',
      ],
    ]);
    cluster.manager.stop();
  });

  it('forgets deleted nodes with an event and fills in the beta os/arch labels', async () => {
    const cluster = await started();
    cluster.registry.delete(NODES, '', 'lab-worker2', {});
    cluster.registry.create(NODES, '', {
      metadata: {
        name: 'lab-worker3',
        labels: { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'arm64' },
      },
      spec: {},
    });
    await until(cluster, 5);
    const removing = eventList(cluster).filter((e) => e.reason === 'RemovingNode');
    expect(removing.map((e) => [e.name, e.message, e.at])).toEqual([
      [
        'lab-worker2',
        'Node lab-worker2 event: Removing Node lab-worker2 from Controller',
        stamp(5),
      ],
    ]);
    expect(getNode(cluster, 'lab-worker3').metadata.labels).toEqual({
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'arm64',
      'beta.kubernetes.io/os': 'linux',
      'beta.kubernetes.io/arch': 'arm64',
    });
    cluster.manager.stop();
  });

  it('marks a silent node Unknown after the grace period and not before, taints it and marks its pods not ready', async () => {
    const cluster = await started();
    addRunningPod(cluster, 'web', 'lab-worker');
    addRunningPod(cluster, 'other', 'lab-worker2');
    await until(cluster, 20);
    // The kubelet's last Lease renewal is at 20 s; the controller saw it at 20 s.
    stopKubelet(cluster, 'lab-worker');

    await until(cluster, 60);
    expect(nodeCondition(cluster, 'lab-worker', 'Ready')?.status).toBe('True');
    expect(taintList(cluster, 'lab-worker')).toEqual([]);
    expect(podCondition(getPod(cluster, 'web'), 'Ready')?.status).toBe('True');

    // 65 s: more than 40 s since the heartbeat was seen.
    await until(cluster, 65);
    for (const type of ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']) {
      expect(nodeCondition(cluster, 'lab-worker', type)).toMatchObject({
        type,
        status: 'Unknown',
        reason: 'NodeStatusUnknown',
        message: 'Kubelet stopped posting node status.',
        lastTransitionTime: stamp(65),
        lastHeartbeatTime: stamp(0),
      });
    }
    // NoSchedule at once (node update); NoExecute at the next monitor pass.
    expect(taintList(cluster, 'lab-worker')).toEqual(['node.kubernetes.io/unreachable:NoSchedule']);
    expect(podCondition(getPod(cluster, 'web'), 'Ready')).toMatchObject({
      status: 'False',
      lastTransitionTime: stamp(65),
    });
    expect(podCondition(getPod(cluster, 'other'), 'Ready')?.status).toBe('True');

    await until(cluster, 70);
    expect(taintList(cluster, 'lab-worker')).toEqual([
      'node.kubernetes.io/unreachable:NoSchedule',
      'node.kubernetes.io/unreachable:NoExecute',
    ]);
    const taints = objList(obj(getNode(cluster, 'lab-worker').spec).taints);
    expect(taints).toEqual([
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: stamp(65) },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: stamp(70) },
    ]);
    // The healthy nodes are untouched.
    expect(taintList(cluster, 'lab-worker2')).toEqual([]);
    expect(nodeCondition(cluster, 'lab-worker2', 'Ready')?.status).toBe('True');

    const events = eventList(cluster).filter((e) => e.reason === 'NodeNotReady');
    expect(events.map((e) => [e.kind, e.name, e.type, e.message, e.source, e.at])).toEqual([
      [
        'Node',
        'lab-worker',
        'Normal',
        'Node lab-worker status is now: NodeNotReady',
        'node-controller',
        stamp(65),
      ],
      ['Pod', 'web', 'Warning', 'Node is not ready', 'node-controller', stamp(65)],
    ]);
    cluster.manager.stop();
  });

  it('evicts a pod with the default 300 s tolerations 300 s after the taint, one with none at once, a daemon pod never', async () => {
    const cluster = await started();
    addRunningPod(cluster, 'web', 'lab-worker');
    addRunningPod(cluster, 'impatient', 'lab-worker', {
      tolerations: [
        {
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 0,
        },
      ],
    });
    addRunningPod(cluster, 'agent', 'lab-worker', { tolerations: defaultDaemonTolerations(false) });
    // The DefaultTolerationSeconds admission plugin gave `web` its tolerations.
    expect(obj(getPod(cluster, 'web')?.spec).tolerations).toEqual([
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
    ]);
    await until(cluster, 20);
    stopKubelet(cluster, 'lab-worker');
    await until(cluster, 70); // Unknown at 65 s, NoExecute taint at 70 s.

    const impatient = getPod(cluster, 'impatient');
    expect(impatient?.metadata.deletionTimestamp).toBe(stamp(100)); // 30 s grace from 70 s
    expect(podCondition(impatient, 'DisruptionTarget')).toMatchObject({
      status: 'True',
      reason: 'DeletionByTaintManager',
      message: 'Taint manager: deleting due to NoExecute taint',
      lastTransitionTime: stamp(70),
    });
    expect(getPod(cluster, 'web')?.metadata.deletionTimestamp).toBeUndefined();

    await until(cluster, 365);
    expect(getPod(cluster, 'web')?.metadata.deletionTimestamp).toBeUndefined();
    await until(cluster, 370);
    const web = getPod(cluster, 'web');
    expect(web?.metadata.deletionTimestamp).toBe(stamp(400));
    expect(podCondition(web, 'DisruptionTarget')?.reason).toBe('DeletionByTaintManager');

    await until(cluster, 900);
    const agent = getPod(cluster, 'agent');
    expect(agent?.metadata.deletionTimestamp).toBeUndefined();
    expect(podCondition(agent, 'Ready')?.status).toBe('False');
    expect(podCondition(agent, 'DisruptionTarget')).toBeUndefined();

    const evictions = eventList(cluster).filter((e) => e.reason === 'TaintManagerEviction');
    expect(evictions.map((e) => [e.name, e.type, e.message, e.source, e.at])).toEqual([
      [
        'impatient',
        'Normal',
        'Marking for deletion Pod default/impatient',
        'taint-eviction-controller',
        stamp(70),
      ],
      [
        'web',
        'Normal',
        'Marking for deletion Pod default/web',
        'taint-eviction-controller',
        stamp(370),
      ],
    ]);
    cluster.manager.stop();
  });

  it('lifts the taints and cancels pending evictions when the kubelet comes back', async () => {
    const cluster = await started();
    addRunningPod(cluster, 'web', 'lab-worker');
    await until(cluster, 20);
    stopKubelet(cluster, 'lab-worker');
    await until(cluster, 200);
    expect(taintList(cluster, 'lab-worker')).toHaveLength(2);

    startKubelet(cluster, 'lab-worker');
    await cluster.manager.settle();
    // The NoSchedule taint follows the condition at once ...
    expect(taintList(cluster, 'lab-worker')).toEqual(['node.kubernetes.io/unreachable:NoExecute']);
    // ... the NoExecute one goes at the next monitor pass, which cancels the eviction.
    await until(cluster, 205);
    expect(taintList(cluster, 'lab-worker')).toEqual([]);
    expect(obj(getNode(cluster, 'lab-worker').spec).taints).toBeUndefined();
    const cancelled = eventList(cluster).filter((e) => e.message.startsWith('Cancelling'));
    expect(cancelled.map((e) => [e.name, e.reason, e.message, e.at])).toEqual([
      ['web', 'TaintManagerEviction', 'Cancelling deletion of Pod default/web', stamp(205)],
    ]);

    await until(cluster, 600);
    expect(getPod(cluster, 'web')?.metadata.deletionTimestamp).toBeUndefined();
    expect(nodeCondition(cluster, 'lab-worker', 'Ready')?.status).toBe('True');
    cluster.manager.stop();
  });

  it('retries a conflicting status write with a fresh copy of the node', async () => {
    const cluster = await started();
    const update = cluster.registry.update.bind(cluster.registry);
    let conflicts = 1;
    cluster.registry.update = (type, namespace, name, input, options) => {
      if (type.plural === 'nodes' && options?.subresource === 'status' && conflicts-- > 0) {
        throw errors.updateConflict({ group: '', resource: 'nodes' }, name);
      }
      return update(type, namespace, name, input, options);
    };
    await until(cluster, 20);
    stopKubelet(cluster, 'lab-worker');
    await until(cluster, 65);
    expect(conflicts).toBe(-1);
    expect(nodeCondition(cluster, 'lab-worker', 'Ready')).toMatchObject({
      status: 'Unknown',
      lastTransitionTime: stamp(65),
    });
    cluster.manager.stop();
  });

  it('taints a node the kubelet reports NotReady with not-ready, without marking its pods', async () => {
    const cluster = await started();
    addRunningPod(cluster, 'web', 'lab-worker');
    await until(cluster, 10);
    postNodeStatus(cluster, 'lab-worker', 'False');
    await until(cluster, 15);
    expect(taintList(cluster, 'lab-worker')).toEqual([
      'node.kubernetes.io/not-ready:NoSchedule',
      'node.kubernetes.io/not-ready:NoExecute',
    ]);
    // The kubelet is alive and in charge of its pods: no NodeNotReady from the controller.
    expect(podCondition(getPod(cluster, 'web'), 'Ready')?.status).toBe('True');
    expect(eventList(cluster).filter((e) => e.reason === 'NodeNotReady')).toEqual([]);

    // It then goes silent: not-ready becomes unreachable, swapped in one pass.
    stopKubelet(cluster, 'lab-worker');
    await until(cluster, 65);
    expect(nodeCondition(cluster, 'lab-worker', 'Ready')?.status).toBe('Unknown');
    await until(cluster, 70);
    expect(taintList(cluster, 'lab-worker').sort()).toEqual([
      'node.kubernetes.io/unreachable:NoExecute',
      'node.kubernetes.io/unreachable:NoSchedule',
    ]);
    cluster.manager.stop();
  });

  it('mirrors cordon and the pressure conditions in NoSchedule taints', async () => {
    const cluster = await started();
    setUnschedulable(cluster, 'lab-worker', true);
    await cluster.manager.settle();
    expect(objList(obj(getNode(cluster, 'lab-worker').spec).taints)).toEqual([
      { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: stamp(0) },
    ]);
    await until(cluster, 10);
    setUnschedulable(cluster, 'lab-worker', false);
    await cluster.manager.settle();
    expect(obj(getNode(cluster, 'lab-worker').spec).taints).toBeUndefined();

    postNodeStatus(cluster, 'lab-worker2', 'True', {
      MemoryPressure: 'True',
      DiskPressure: 'True',
    });
    await cluster.manager.settle();
    expect(taintList(cluster, 'lab-worker2')).toEqual([
      'node.kubernetes.io/memory-pressure:NoSchedule',
      'node.kubernetes.io/disk-pressure:NoSchedule',
    ]);
    postNodeStatus(cluster, 'lab-worker2', 'True', { DiskPressure: 'True' });
    await cluster.manager.settle();
    expect(taintList(cluster, 'lab-worker2')).toEqual([
      'node.kubernetes.io/disk-pressure:NoSchedule',
    ]);
    cluster.manager.stop();
  });

  it('taints at most one node every 10 s in a zone', async () => {
    const cluster = await started(3);
    await until(cluster, 20);
    stopKubelet(cluster, 'lab-worker');
    stopKubelet(cluster, 'lab-worker2');
    await until(cluster, 70);
    expect(taintList(cluster, 'lab-worker')).toContain('node.kubernetes.io/unreachable:NoExecute');
    expect(taintList(cluster, 'lab-worker2')).not.toContain(
      'node.kubernetes.io/unreachable:NoExecute',
    );
    await until(cluster, 75);
    expect(taintList(cluster, 'lab-worker2')).not.toContain(
      'node.kubernetes.io/unreachable:NoExecute',
    );
    await until(cluster, 80);
    const noExecute = objList(obj(getNode(cluster, 'lab-worker2').spec).taints).find(
      (t) => t.effect === 'NoExecute',
    );
    expect(noExecute).toMatchObject({
      key: 'node.kubernetes.io/unreachable',
      timeAdded: stamp(80),
    });
    cluster.manager.stop();
  });

  it('stops tainting NoExecute when every node is down (full disruption)', async () => {
    const cluster = await started();
    addRunningPod(cluster, 'web', 'lab-worker');
    await until(cluster, 20);
    for (const name of ['lab-control-plane', 'lab-worker', 'lab-worker2'])
      stopKubelet(cluster, name);
    await until(cluster, 400);
    for (const name of ['lab-control-plane', 'lab-worker', 'lab-worker2']) {
      expect(nodeCondition(cluster, name, 'Ready')?.status).toBe('Unknown');
      expect(taintList(cluster, name)).toEqual(['node.kubernetes.io/unreachable:NoSchedule']);
    }
    expect(getPod(cluster, 'web')?.metadata.deletionTimestamp).toBeUndefined();

    // One node back: tainting resumes, at the zone's rate (one node per 10 s).
    startKubelet(cluster, 'lab-control-plane');
    await until(cluster, 405);
    expect(taintList(cluster, 'lab-worker')).toEqual(['node.kubernetes.io/unreachable:NoSchedule']);
    await until(cluster, 450);
    expect(taintList(cluster, 'lab-worker')).toContain('node.kubernetes.io/unreachable:NoExecute');
    cluster.manager.stop();
  });

  it('marks a node that never posted status Unknown after the startup grace period', async () => {
    const cluster = makeCluster();
    cluster.registry.create(NODES, '', { metadata: { name: 'fresh' }, spec: {} });
    cluster.manager.add((ctx) => new NodeLifecycleController(ctx));
    cluster.manager.start();
    await until(cluster, 60);
    expect(nodeCondition(cluster, 'fresh', 'Ready')).toBeUndefined();
    await until(cluster, 65);
    expect(nodeCondition(cluster, 'fresh', 'Ready')).toMatchObject({
      status: 'Unknown',
      reason: 'NodeStatusNeverUpdated',
      message: 'Kubelet never posted node status.',
      lastTransitionTime: stamp(65),
    });
    expect(taintList(cluster, 'fresh')).toEqual(['node.kubernetes.io/unreachable:NoSchedule']);
    cluster.manager.stop();
  });

  it('keys zones by region and zone labels', () => {
    const node = (labels: Record<string, string>): Parameters<typeof zoneKeyOf>[0] => ({
      metadata: { labels },
    });
    expect(zoneKeyOf(node({}))).toBe('');
    expect(zoneKeyOf(node({ 'topology.kubernetes.io/zone': 'a' }))).toBe(':\x00:a');
    expect(
      zoneKeyOf(
        node({
          'topology.kubernetes.io/region': 'r',
          'failure-domain.beta.kubernetes.io/zone': 'b',
        }),
      ),
    ).toBe('r:\x00:b');
  });

  it('is deterministic for a given seed and clock', async () => {
    const run = async (): Promise<unknown> => {
      const cluster = await started(2, 7);
      addRunningPod(cluster, 'web', 'lab-worker');
      addRunningPod(cluster, 'agent', 'lab-worker', {
        tolerations: defaultDaemonTolerations(false),
      });
      await until(cluster, 20);
      stopKubelet(cluster, 'lab-worker');
      await until(cluster, 400);
      const state = {
        at: at(cluster),
        node: getNode(cluster, 'lab-worker'),
        pods: cluster.registry.list(PODS, 'default').items,
        events: cluster.registry.list(EVENTS, 'default').items,
      };
      cluster.manager.stop();
      return state;
    };
    const first = await run();
    const second = await run();
    expect(second).toEqual(first);
    expect(JSON.stringify(first)).toContain('Marking for deletion Pod default/web');
  });
});

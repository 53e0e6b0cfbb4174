import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/objects';
import { NODES, obj, PODS } from '../nodelifecycle/node-util';
import {
  addNode,
  addRunningPod,
  getPod,
  makeCluster,
  podCondition,
  postNodeStatus,
  setTaint,
  stamp,
  step,
  type Cluster,
} from '../nodelifecycle/testing';
import { PodGCController, POD_GC_DEFAULTS, type PodGCOptions } from './podgc-controller';

async function started(options: PodGCOptions = {}): Promise<Cluster> {
  const cluster = makeCluster();
  addNode(cluster, 'node-a');
  addNode(cluster, 'node-b');
  cluster.manager.add((ctx) => new PodGCController(ctx, options));
  cluster.manager.start();
  await cluster.manager.settle();
  return cluster;
}

function setPhase(cluster: Cluster, name: string, phase: string, reason?: string): void {
  cluster.registry.modify(
    PODS,
    'default',
    name,
    (copy) => {
      copy.status = { ...obj(copy.status), phase, ...(reason ? { reason } : {}) };
      return copy;
    },
    { subresource: 'status' },
  );
}

describe('PodGCController', () => {
  it('uses the upstream defaults', () => {
    expect(POD_GC_DEFAULTS).toEqual({
      terminatedPodGCThreshold: 12_500,
      gcCheckPeriodMs: 20_000,
      quarantineTimeMs: 40_000,
    });
  });

  it('marks pods of a deleted node Failed with DisruptionTarget, then force-deletes them after the quarantine', async () => {
    const cluster = await started();
    addRunningPod(cluster, 'web', 'node-a');
    addRunningPod(cluster, 'kept', 'node-a', { finalizers: ['example.com/keep'] });
    addRunningPod(cluster, 'other', 'node-b');
    const seen: Array<[string, string, string]> = [];
    cluster.registry.store.watch({ resource: '/pods', namespace: 'default' }, (event) => {
      if (event.object.metadata.name === 'web' && event.type !== 'ADDED') {
        seen.push([
          event.type,
          String(obj(event.object.status).phase),
          event.object.metadata.deletionTimestamp ?? '',
        ]);
      }
    });
    await step(cluster, 5000);
    cluster.registry.delete(NODES, '', 'node-a', {});

    // gc at 20 s finds the orphans and quarantines node-a until 60 s.
    await step(cluster, 35_000);
    expect(getPod(cluster, 'web')).toBeDefined();
    expect(obj(getPod(cluster, 'web')?.status).phase).toBe('Running');
    await step(cluster, 15_000);
    expect(obj(getPod(cluster, 'web')?.status).phase).toBe('Running');

    await step(cluster, 5000); // 60 s
    expect(getPod(cluster, 'web')).toBeUndefined();
    expect(seen).toEqual([
      ['MODIFIED', 'Failed', ''],
      ['DELETED', 'Failed', ''],
    ]);
    const kept = getPod(cluster, 'kept')!;
    expect(obj(kept.status).phase).toBe('Failed');
    expect(podCondition(kept, 'DisruptionTarget')).toEqual({
      type: 'DisruptionTarget',
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: stamp(60),
      reason: 'DeletionByPodGC',
      message: 'PodGC: node no longer exists',
    });
    expect(kept.metadata.deletionTimestamp).toBe(stamp(60));
    expect(kept.metadata.deletionGracePeriodSeconds).toBe(0);
    expect(obj(getPod(cluster, 'other')?.status).phase).toBe('Running');
    cluster.manager.stop();
  });

  it('spares the pods when the node comes back during the quarantine', async () => {
    const cluster = await started();
    addRunningPod(cluster, 'web', 'node-a');
    const node = cluster.registry.get(NODES, '', 'node-a');
    await step(cluster, 5000);
    cluster.registry.delete(NODES, '', 'node-a', {});
    await step(cluster, 20_000);
    cluster.registry.create(NODES, '', {
      metadata: { name: 'node-a', labels: node.metadata.labels },
      spec: {},
      status: node.status,
    } as KubeObject);
    await step(cluster, 120_000);
    expect(obj(getPod(cluster, 'web')?.status).phase).toBe('Running');
    cluster.manager.stop();
  });

  it('deletes terminated pods above the threshold, evicted first, then oldest', async () => {
    const cluster = await started({ terminatedPodGCThreshold: 2 });
    for (const name of ['old', 'middle', 'young', 'evicted', 'running']) {
      addRunningPod(cluster, name, 'node-a');
      cluster.clock.advance(1000);
    }
    setPhase(cluster, 'old', 'Succeeded');
    setPhase(cluster, 'middle', 'Failed');
    setPhase(cluster, 'young', 'Succeeded');
    setPhase(cluster, 'evicted', 'Failed', 'Evicted');
    await step(cluster, 20_000);
    const left = cluster.registry
      .list(PODS, 'default')
      .items.map((p) => p.metadata.name)
      .sort();
    expect(left).toEqual(['middle', 'running', 'young']);
    cluster.manager.stop();
  });

  it('force-deletes terminating pods on an out-of-service NotReady node, and unscheduled terminating pods', async () => {
    const cluster = await started();
    addRunningPod(cluster, 'stuck', 'node-a');
    addRunningPod(cluster, 'unscheduled', '', { finalizers: ['example.com/keep'] });
    addRunningPod(cluster, 'terminating-elsewhere', 'node-b');
    cluster.registry.delete(PODS, 'default', 'stuck', {});
    cluster.registry.delete(PODS, 'default', 'unscheduled', {});
    cluster.registry.delete(PODS, 'default', 'terminating-elsewhere', {});
    await step(cluster, 20_000);
    // node-a is Ready and not out of service yet.
    expect(getPod(cluster, 'stuck')?.metadata.deletionTimestamp).toBe(stamp(30));
    const unscheduled = getPod(cluster, 'unscheduled');
    expect(obj(unscheduled?.status).phase).toBe('Failed');
    expect(podCondition(unscheduled, 'DisruptionTarget')).toBeUndefined();

    postNodeStatus(cluster, 'node-a', 'False');
    setTaint(
      cluster,
      'node-a',
      { key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' },
      true,
    );
    await step(cluster, 20_000);
    expect(getPod(cluster, 'stuck')).toBeUndefined();
    expect(getPod(cluster, 'terminating-elsewhere')).toBeDefined();
    cluster.manager.stop();
  });
});

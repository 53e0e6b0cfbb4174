import { describe, expect, it } from 'vitest';
import { TaintEvictionController } from './taint-eviction-controller';
import {
  addNode,
  addRunningPod,
  eventList,
  getPod,
  makeCluster,
  podCondition,
  setTaint,
  stamp,
  step,
  type Cluster,
} from './testing';
import { obj, PODS } from './node-util';

const DEDICATED = { key: 'dedicated', value: 'gpu', effect: 'NoExecute' };

/** A cluster with only the taint-eviction controller: taints are set by hand (`kubectl taint`). */
async function started(): Promise<{ cluster: Cluster; controller: TaintEvictionController }> {
  const cluster = makeCluster();
  addNode(cluster, 'node-a');
  addNode(cluster, 'node-b');
  const controller = cluster.manager.add((ctx) => new TaintEvictionController(ctx));
  cluster.manager.start();
  await cluster.manager.settle();
  return { cluster, controller };
}

function evictionEvents(cluster: Cluster): string[] {
  return eventList(cluster)
    .filter((e) => e.reason === 'TaintManagerEviction')
    .map((e) => `${e.at} ${e.name}: ${e.message}`);
}

describe('TaintEvictionController', () => {
  it('deletes at once a pod that does not tolerate a NoExecute taint, and leaves one that does', async () => {
    const { cluster } = await started();
    addRunningPod(cluster, 'plain', 'node-a');
    addRunningPod(cluster, 'gpu-job', 'node-a', {
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoExecute' }],
    });
    addRunningPod(cluster, 'elsewhere', 'node-b');
    await step(cluster, 5000);
    setTaint(cluster, 'node-a', DEDICATED, true);
    await cluster.manager.settle();

    const plain = getPod(cluster, 'plain');
    expect(plain?.metadata.deletionTimestamp).toBe(stamp(35));
    expect(podCondition(plain, 'DisruptionTarget')).toEqual({
      type: 'DisruptionTarget',
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: stamp(5),
      reason: 'DeletionByTaintManager',
      message: 'Taint manager: deleting due to NoExecute taint',
    });
    expect(getPod(cluster, 'gpu-job')?.metadata.deletionTimestamp).toBeUndefined();
    expect(getPod(cluster, 'elsewhere')?.metadata.deletionTimestamp).toBeUndefined();
    expect(evictionEvents(cluster)).toEqual([
      `${stamp(5)} plain: Marking for deletion Pod default/plain`,
    ]);
    const event = eventList(cluster).find((e) => e.reason === 'TaintManagerEviction');
    expect(event).toMatchObject({
      kind: 'Pod',
      type: 'Normal',
      source: 'taint-eviction-controller',
    });
    cluster.manager.stop();
  });

  it('deletes a pod when its tolerationSeconds run out, and cancels if the taint goes first', async () => {
    const { cluster, controller } = await started();
    const toleration = (seconds: number): object => ({
      key: 'dedicated',
      operator: 'Exists',
      effect: 'NoExecute',
      tolerationSeconds: seconds,
    });
    addRunningPod(cluster, 'short', 'node-a', { tolerations: [toleration(60)] as never });
    addRunningPod(cluster, 'long', 'node-a', { tolerations: [toleration(600)] as never });
    setTaint(cluster, 'node-a', DEDICATED, true);
    await cluster.manager.settle();
    expect(controller.scheduled).toEqual(
      new Map([
        ['default/long', Date.parse(stamp(600))],
        ['default/short', Date.parse(stamp(60))],
      ]),
    );

    await step(cluster, 55_000);
    expect(getPod(cluster, 'short')?.metadata.deletionTimestamp).toBeUndefined();
    await step(cluster, 5000);
    expect(getPod(cluster, 'short')?.metadata.deletionTimestamp).toBe(stamp(90));

    await step(cluster, 40_000);
    setTaint(cluster, 'node-a', DEDICATED, false);
    await cluster.manager.settle();
    expect(controller.scheduled.size).toBe(0);
    await step(cluster, 600_000, 60_000);
    expect(getPod(cluster, 'long')?.metadata.deletionTimestamp).toBeUndefined();
    expect(evictionEvents(cluster)).toEqual([
      `${stamp(60)} short: Marking for deletion Pod default/short`,
      `${stamp(100)} long: Cancelling deletion of Pod default/long`,
    ]);
    cluster.manager.stop();
  });

  it('keeps the first schedule when a second taint with a shorter toleration arrives', async () => {
    const { cluster, controller } = await started();
    addRunningPod(cluster, 'web', 'node-a', {
      tolerations: [
        { key: 'a', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 100 },
        { key: 'b', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 },
      ],
    });
    setTaint(cluster, 'node-a', { key: 'a', effect: 'NoExecute' }, true);
    await step(cluster, 20_000);
    setTaint(cluster, 'node-a', { key: 'b', effect: 'NoExecute' }, true);
    await cluster.manager.settle();
    expect(controller.scheduled.get('default/web')).toBe(Date.parse(stamp(100)));
    await step(cluster, 75_000);
    expect(getPod(cluster, 'web')?.metadata.deletionTimestamp).toBeUndefined();
    await step(cluster, 5000);
    expect(getPod(cluster, 'web')?.metadata.deletionTimestamp).toBeDefined();
    cluster.manager.stop();
  });

  it('evicts a pod bound later to a tainted node, and forgets a pod deleted meanwhile', async () => {
    const { cluster, controller } = await started();
    setTaint(cluster, 'node-a', DEDICATED, true);
    await cluster.manager.settle();
    addRunningPod(cluster, 'late', 'node-a');
    addRunningPod(cluster, 'patient', 'node-a', {
      tolerations: [
        { key: 'dedicated', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
      ],
    });
    await cluster.manager.settle();
    expect(getPod(cluster, 'late')?.metadata.deletionTimestamp).toBe(stamp(30));
    expect(controller.scheduled.has('default/patient')).toBe(true);
    // Deleted by someone else while its eviction is pending: the eviction is cancelled.
    cluster.registry.delete(PODS, 'default', 'patient', { gracePeriodSeconds: 0 });
    await cluster.manager.settle();
    expect(controller.scheduled.has('default/patient')).toBe(false);
    expect(evictionEvents(cluster)).toEqual([
      `${stamp(0)} late: Marking for deletion Pod default/late`,
      `${stamp(0)} patient: Cancelling deletion of Pod default/patient`,
    ]);
    cluster.manager.stop();
  });

  it('leaves pods alone on NoSchedule and PreferNoSchedule taints', async () => {
    const { cluster } = await started();
    addRunningPod(cluster, 'web', 'node-a');
    setTaint(cluster, 'node-a', { key: 'x', effect: 'NoSchedule' }, true);
    setTaint(cluster, 'node-a', { key: 'y', effect: 'PreferNoSchedule' }, true);
    await step(cluster, 60_000);
    expect(obj(getPod(cluster, 'web')?.metadata).deletionTimestamp).toBeUndefined();
    expect(evictionEvents(cluster)).toEqual([]);
    cluster.manager.stop();
  });
});

/**
 * The ReplicaSet controller against a registry, the test playing scheduler and kubelet.
 *
 * | Upstream test (1.30)                                       | Here                                                           |
 * |------------------------------------------------------------|----------------------------------------------------------------|
 * | replica_set_test.go TestSyncReplicaSetCreatePods           | 'creates the missing pods from the template'                   |
 * | replica_set_test.go TestSyncReplicaSetDeletes              | 'deletes the surplus, not-ready and unscheduled first'         |
 * | replica_set_test.go TestDeletionTimestamp                  | 'a terminating pod is replaced at once'                        |
 * | replica_set_test.go TestPatchPodWithOtherOwnerRef          | 'adopts a matching orphan, keeping its other owners'           |
 * | replica_set_test.go TestUpdateLabelsRemoveControllerRef    | 'releases a pod whose labels stop matching'                    |
 * | replica_set_test.go TestDoNotAdoptOrCreateIfBeingDeleted   | 'a ReplicaSet being deleted neither adopts nor creates'        |
 * | replica_set_test.go TestRSSyncExpectations                 | 'waits for its expectations, or for them to expire'            |
 * | replica_set_test.go TestControllerBurstReplicas            | 'creates at most burstReplicas per sync, in slow-start batches'|
 * | replica_set_test.go TestSyncReplicaSetCreateFailures,      | 'a failing create: one attempt, FailedCreate, ReplicaFailure'  |
 * |   TestControllerUpdateStatusWithFailure,                   |                                                                |
 * |   replica_set_utils_test.go TestCalculateStatusConditions  |                                                                |
 * | replica_set_utils_test.go TestCalculateStatus              | 'status: omitempty shape, availability after minReadySeconds'  |
 * | (derived) getPodsRankedByRelatedPodsOnSameNode             | 'co-location: the pod on a doubled-up node goes first'         |
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/objects';
import { Harness, podsType, replicaSetsType, serviceAccountsType } from './testing';
import { obj } from './types';

function setup(options: ConstructorParameters<typeof Harness>[0] = {}): Harness {
  return new Harness({ deployments: false, ...options }).start();
}

const POD_NAME = /^foo-[bcdfghjklmnpqrstvwxz2456789]{5}$/;

describe('ReplicaSet controller', () => {
  it('creates the missing pods from the template', async () => {
    const h = setup();
    const rs = h.createReplicaSet('foo', 2, { labels: { app: 'foo', tier: 'web' } });
    await h.settle();
    const pods = h.pods();
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(pod.metadata.name).toMatch(POD_NAME);
      expect(pod.metadata.generateName).toBe('foo-');
      expect(pod.metadata.labels).toEqual({ app: 'foo', tier: 'web' });
      expect(pod.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'foo',
          uid: rs.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      expect(pod.metadata.managedFields?.[0]?.manager).toBe('kube-controller-manager');
    }
    const created = h.events.filter((e) => e.reason === 'SuccessfulCreate');
    expect(created.map((e) => e.message).sort()).toEqual(
      pods.map((p) => `Created pod: ${p.metadata.name!}`).sort(),
    );
    for (const event of created) {
      expect(event).toMatchObject({
        type: 'Normal',
        kind: 'ReplicaSet',
        name: 'foo',
        component: 'replicaset-controller',
      });
    }
    h.stop();
  });

  it('deletes the surplus, not-ready and unscheduled first', async () => {
    const h = setup();
    h.createReplicaSet('foo', 4);
    await h.settle();
    const [a, b, c, d] = h.pods().sort((x, y) => (x.metadata.name! < y.metadata.name! ? -1 : 1));
    h.bind(a!, 'node-1');
    h.bind(b!, 'node-2');
    h.bind(c!, 'node-3');
    h.markReady(a!);
    h.markReady(b!);
    h.markReady(c!, false);
    // d stays unscheduled.
    await h.settle();
    h.scale('replicaset', 'foo', 2);
    await h.settle();
    const deleted = h.eventMessages('SuccessfulDelete');
    expect(deleted).toEqual(
      expect.arrayContaining([
        `Deleted pod: ${d!.metadata.name!}`,
        `Deleted pod: ${c!.metadata.name!}`,
      ]),
    );
    expect(deleted).toHaveLength(2);
    // c was bound: it terminates gracefully; d was not: it is gone at once.
    expect(
      h
        .activePods()
        .map((p) => p.metadata.name)
        .sort(),
    ).toEqual([a!.metadata.name, b!.metadata.name].sort());
    expect(h.replicaSet('foo').status).toMatchObject({ replicas: 2, readyReplicas: 2 });
    h.stop();
  });

  it('a terminating pod is replaced at once', async () => {
    const h = setup();
    h.finishDeletions = false;
    h.createReplicaSet('foo', 2);
    await h.converge();
    const victim = h.pods()[0]!;
    h.registry.delete(podsType, 'default', victim.metadata.name!);
    await h.settle();
    // Still there, Terminating, but no longer counted: a replacement exists already.
    expect(h.pods()).toHaveLength(3);
    expect(
      h.pods().find((p) => p.metadata.name === victim.metadata.name)?.metadata.deletionTimestamp,
    ).toBeDefined();
    expect(h.activePods()).toHaveLength(2);
    expect(h.replicaSet('foo').status?.replicas).toBe(2);
    h.stop();
  });

  it('adopts a matching orphan, keeping its other owners', async () => {
    const h = setup();
    h.registry.create(podsType, 'default', {
      metadata: {
        name: 'stray',
        labels: { app: 'foo' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', uid: 'cm-uid' }],
      },
      spec: { containers: [{ name: 'web', image: 'nginx' }] },
    });
    const rs = h.createReplicaSet('foo', 2);
    await h.settle();
    const stray = h.registry.get(podsType, 'default', 'stray');
    expect(stray.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', uid: 'cm-uid' },
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: 'foo',
        uid: rs.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    // The adopted pod counts: one more is made, not two.
    expect(h.pods()).toHaveLength(2);
    expect(h.eventMessages('SuccessfulCreate')).toHaveLength(1);
    h.stop();
  });

  it('releases a pod whose labels stop matching', async () => {
    const h = setup();
    h.createReplicaSet('foo', 2);
    await h.converge();
    const pod = h.pods()[0]!;
    h.registry.modify(podsType, 'default', pod.metadata.name!, (copy) => {
      copy.metadata.labels = { app: 'debug' };
      return copy;
    });
    await h.settle();
    const released = h.registry.get(podsType, 'default', pod.metadata.name!);
    expect(released.metadata.ownerReferences).toBeUndefined();
    expect(h.pods().filter((p) => p.metadata.labels?.app === 'foo')).toHaveLength(2);
    expect(h.eventMessages('SuccessfulCreate')).toHaveLength(3);
    h.stop();
  });

  it('a ReplicaSet being deleted neither adopts nor creates', async () => {
    const h = setup();
    h.registry.create(replicaSetsType, 'default', {
      metadata: { name: 'foo', finalizers: ['example.com/hold'] },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'foo' } },
        template: {
          metadata: { labels: { app: 'foo' } },
          spec: { containers: [{ name: 'web', image: 'nginx' }] },
        },
      },
    });
    h.registry.delete(replicaSetsType, 'default', 'foo');
    h.registry.create(podsType, 'default', {
      metadata: { name: 'stray', labels: { app: 'foo' } },
      spec: { containers: [{ name: 'web', image: 'nginx' }] },
    });
    await h.settle();
    expect(h.pods().map((p) => p.metadata.name)).toEqual(['stray']);
    expect(h.registry.get(podsType, 'default', 'stray').metadata.ownerReferences).toBeUndefined();
    h.stop();
  });

  it('waits for its expectations, or for them to expire', async () => {
    const h = setup();
    h.createReplicaSet('foo', 1);
    await h.converge();
    const key = 'default/foo';
    let touches = 0;
    const touch = (): void => {
      h.registry.modify(replicaSetsType, 'default', 'foo', (copy) => {
        copy.metadata.annotations = { touched: String(++touches) };
        return copy;
      });
    };
    // A create this controller is still waiting to see.
    h.replicaSetController.expectations.expectCreations(key, 1);
    h.scale('replicaset', 'foo', 3);
    await h.settle();
    expect(h.pods()).toHaveLength(1);
    // Five minutes later the expectation has expired: the next sync acts.
    await h.advance(5 * 60_000 + 1);
    touch();
    await h.settle();
    expect(h.pods()).toHaveLength(3);
    // Observed in time, it acts at once.
    h.replicaSetController.expectations.expectCreations(key, 1);
    h.scale('replicaset', 'foo', 4);
    await h.settle();
    expect(h.pods()).toHaveLength(3);
    h.replicaSetController.expectations.creationObserved(key);
    touch();
    await h.settle();
    expect(h.pods()).toHaveLength(4);
    h.stop();
  });

  it('creates at most burstReplicas per sync, in slow-start batches', async () => {
    const h = new Harness({ deployments: false, replicaSet: { burstReplicas: 10 } });
    h.manager.context.informers.start();
    h.createReplicaSet('big', 25);
    h.store.flush();
    let creates = 0;
    const unwatch = h.store.onMutation((m) => {
      if (m.op === 'put' && m.key.resource === '/pods') creates++;
    });
    h.replicaSetController.syncReplicaSet('default/big');
    unwatch();
    // One sync: 1 + 2 + 4 + 3 pods, and expectations for all ten.
    expect(creates).toBe(10);
    expect(h.replicaSetController.expectations.get('default/big')).toEqual({ add: 10, del: 0 });
    h.start();
    await h.settle();
    expect(h.pods()).toHaveLength(25);
    h.stop();
  });

  it('a failing create: one attempt, FailedCreate, ReplicaFailure', async () => {
    const h = setup({ namespacesWithoutServiceAccount: ['nosa'] });
    h.createReplicaSet('foo', 5, {}, 'nosa');
    await h.settle();
    // Slow start: each sync's first batch (one pod) failed, so no more were tried. Two syncs
    // ran: the ReplicaSet's creation, and the status update (ReplicaFailure) that followed.
    const failed = h.events.filter((e) => e.reason === 'FailedCreate');
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatchObject({ type: 'Warning', kind: 'ReplicaSet', name: 'foo' });
    expect(failed[0]!.message).toMatch(
      /^Error creating: pods "foo-[^"]*" is forbidden: error looking up service account nosa\/default: serviceaccount "default" not found$/,
    );
    const status = h.replicaSet('foo', 'nosa').status!;
    expect(status).toEqual({
      replicas: 0,
      observedGeneration: 1,
      conditions: [
        {
          type: 'ReplicaFailure',
          status: 'True',
          lastTransitionTime: h.registry.now(),
          reason: 'FailedCreate',
          message: failed[0]!.message.slice('Error creating: '.length),
        },
      ],
    });
    // The account appears; the retry (backoff on the cluster clock) succeeds and clears it.
    h.registry.create(serviceAccountsType, 'nosa', { metadata: { name: 'default' } });
    await h.advance(10);
    expect(h.pods('nosa')).toHaveLength(5);
    expect(h.replicaSet('foo', 'nosa').status).toEqual({
      replicas: 5,
      fullyLabeledReplicas: 5,
      observedGeneration: 1,
    });
    h.stop();
  });

  it('status: omitempty shape, availability after minReadySeconds', async () => {
    const h = setup();
    h.createReplicaSet('zero', 0);
    h.createReplicaSet('foo', 3, { minReadySeconds: 10 });
    await h.settle();
    expect(h.replicaSet('zero').status).toEqual({ replicas: 0, observedGeneration: 1 });
    expect(h.replicaSet('foo').status).toEqual({
      replicas: 3,
      fullyLabeledReplicas: 3,
      observedGeneration: 1,
    });
    await h.converge();
    expect(h.replicaSet('foo').status).toEqual({
      replicas: 3,
      fullyLabeledReplicas: 3,
      readyReplicas: 3,
      observedGeneration: 1,
    });
    // Ready for minReadySeconds (+1 s, the controller's own requeue): available.
    await h.advance(11_000);
    expect(h.replicaSet('foo').status).toEqual({
      replicas: 3,
      fullyLabeledReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      observedGeneration: 1,
    });
    // A pod missing a template label is not fully labeled (the selector still matches it).
    h.registry.modify(replicaSetsType, 'default', 'foo', (copy) => {
      const template = obj(obj(copy.spec).template);
      obj(template.metadata).labels = { app: 'foo', extra: 'yes' };
      return copy;
    });
    await h.settle();
    expect(h.replicaSet('foo').status).toMatchObject({ observedGeneration: 2 });
    expect(h.replicaSet('foo').status).not.toHaveProperty('fullyLabeledReplicas');
    expect(h.pods()).toHaveLength(3);
    h.stop();
  });

  it('co-location: the pod on a doubled-up node goes first', async () => {
    for (const [otherNode, expectedNode] of [
      ['node-1', 'node-1'],
      ['node-2', 'node-2'],
    ] as const) {
      const h = setup();
      const owner = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'web',
        uid: 'deployment-uid',
        controller: true,
      };
      const make = (name: string, replicas: number): KubeObject =>
        h.registry.create(replicaSetsType, 'default', {
          metadata: { name, ownerReferences: [owner] },
          spec: {
            replicas,
            selector: { matchLabels: { app: 'web', rs: name } },
            template: {
              metadata: { labels: { app: 'web', rs: name } },
              spec: { containers: [{ name: 'web', image: 'nginx' }] },
            },
          },
        });
      const a = make('web-a', 2);
      const b = make('web-b', 1);
      await h.settle();
      const [a1, a2] = h.podsOf(a);
      h.bind(a1!, 'node-1');
      h.bind(a2!, 'node-2');
      h.bind(h.podsOf(b)[0]!, otherNode);
      for (const pod of h.pods()) h.markReady(pod);
      await h.settle();
      h.scale('replicaset', 'web-a', 1);
      await h.settle();
      const gone = h.pods().filter((p) => p.metadata.deletionTimestamp);
      expect(gone.map((p) => obj(p.spec).nodeName)).toEqual([expectedNode]);
      h.stop();
    }
  });
});

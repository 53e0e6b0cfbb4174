/**
 * The Deployment controller's pure rules (deployment_util.go).
 *
 * | Upstream test (util/deployment_util_test.go, 1.30)   | Here                                  |
 * |-------------------------------------------------------|---------------------------------------|
 * | TestResolveFenceposts                                 | 'ResolveFenceposts'                   |
 * | TestNewRSNewReplicas                                  | 'NewRSNewReplicas'                    |
 * | TestMaxUnavailable                                    | 'MaxUnavailable'                      |
 * | TestMinAvailable                                      | 'MinAvailable'                        |
 * | TestDeploymentComplete                                | 'DeploymentComplete'                  |
 * | TestDeploymentProgressing                             | 'DeploymentProgressing'               |
 * | TestDeploymentTimedOut                                | 'DeploymentTimedOut'                  |
 * | TestAnnotationUtils                                   | 'AnnotationUtils'                     |
 * | TestReplicasAnnotationsNeedUpdate                     | 'ReplicasAnnotationsNeedUpdate'       |
 * | TestGetCondition, TestSetCondition, TestRemoveCondition | 'conditions'                        |
 * | TestEqualIgnoreHash, TestFindNewReplicaSet, TestFindOldReplicaSets | 'finding the new and old ReplicaSets' |
 * | TestGetReplicaCountForReplicaSets                     | 'replica counts'                      |
 * | TestGetReplicaSetFraction (later releases)            | 'GetProportion'                       |
 * | (rollback) LastRevision / MaxRevision                 | 'revisions'                           |
 */
import { describe, expect, it } from 'vitest';
import type { Deployment, DeploymentStatus, ReplicaSet } from '../replicaset/types';
import {
  actualReplicaCount,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  equalIgnoreHash,
  findNewReplicaSet,
  findOldReplicaSets,
  getDeploymentCondition,
  getProportion,
  isSaturated,
  lastRevision,
  maxRevision,
  maxUnavailable,
  minAvailable,
  newRSNewReplicas,
  removeDeploymentCondition,
  replicaCount,
  replicasAnnotationsNeedUpdate,
  resolveFenceposts,
  setDeploymentCondition,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
} from './deployment-util';

function deployment(
  replicas: number,
  strategy: Deployment['spec']['strategy'] = {
    type: 'RollingUpdate',
    rollingUpdate: { maxSurge: 0, maxUnavailable: 0 },
  },
  status: DeploymentStatus = {},
): Deployment {
  return {
    metadata: { name: 'foo', namespace: 'default', annotations: {} },
    spec: {
      replicas,
      strategy,
      selector: { matchLabels: { app: 'foo' } },
      template: {
        metadata: { labels: { app: 'foo' } },
        spec: { containers: [{ image: 'foo/bar' }] },
      },
    },
    status,
  };
}

function rs(
  name: string,
  replicas: number,
  extra: {
    created?: string;
    available?: number;
    annotations?: Record<string, string>;
    image?: string;
    uid?: string;
    statusReplicas?: number;
  } = {},
): ReplicaSet {
  return {
    metadata: {
      name,
      namespace: 'default',
      uid: extra.uid ?? name,
      creationTimestamp: extra.created ?? '2016-05-20T00:00:00Z',
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
    },
    spec: {
      replicas,
      template: {
        metadata: { labels: { app: 'foo', 'pod-template-hash': `${name}-hash` } },
        spec: { containers: [{ image: extra.image ?? 'foo/bar' }] },
      },
    },
    status: { replicas: extra.statusReplicas ?? replicas, availableReplicas: extra.available ?? 0 },
  };
}

describe('deployment util', () => {
  it('ResolveFenceposts', () => {
    const cases: Array<[string | undefined, string | undefined, number, number, number]> = [
      ['0%', '0%', 0, 0, 1],
      ['39%', '39%', 10, 4, 3],
      [undefined, '39%', 10, 0, 3],
      ['39%', undefined, 10, 4, 0],
      [undefined, undefined, 10, 0, 1],
      // The brief's examples: 25%/25% of 4 and of 3.
      ['25%', '25%', 4, 1, 1],
      ['25%', '25%', 3, 1, 0],
    ];
    for (const [surge, unavailable, desired, expectSurge, expectUnavailable] of cases) {
      expect(resolveFenceposts(surge, unavailable, desired)).toEqual({
        surge: expectSurge,
        unavailable: expectUnavailable,
      });
    }
    expect(() => resolveFenceposts('oops', '39%', 10)).toThrow(/string is not a percentage/);
    expect(() => resolveFenceposts('55%', 'urg', 10)).toThrow(/string is not a percentage/);
    expect(resolveFenceposts(2, 1, 10)).toEqual({ surge: 2, unavailable: 1 });
  });

  it('NewRSNewReplicas', () => {
    const cases: Array<[string, 'RollingUpdate' | 'Recreate', number, number, number, number]> = [
      ['can not scale up - to newRSReplicas', 'RollingUpdate', 1, 5, 1, 5],
      ['scale up - to depReplicas', 'RollingUpdate', 6, 2, 10, 6],
      ['recreate - to depReplicas', 'Recreate', 3, 1, 1, 3],
    ];
    for (const [name, type, depReplicas, newRSReplicas, surge, expected] of cases) {
      const d = deployment(depReplicas, {
        type,
        rollingUpdate: { maxUnavailable: 1, maxSurge: surge },
      });
      const newRS = rs('new', newRSReplicas);
      expect(newRSNewReplicas(d, [rs('rs5', 5)], newRS), name).toBe(expected);
    }
  });

  it('MaxUnavailable', () => {
    const rolling = (replicas: number, unavailable: number | string): Deployment =>
      deployment(replicas, {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: 1, maxUnavailable: unavailable },
      });
    expect(maxUnavailable(rolling(10, 5))).toBe(5);
    expect(maxUnavailable(rolling(10, 10))).toBe(10);
    expect(maxUnavailable(rolling(5, 10))).toBe(5);
    expect(maxUnavailable(rolling(0, 10))).toBe(0);
    expect(maxUnavailable(deployment(1, { type: 'Recreate' }))).toBe(0);
    expect(maxUnavailable(rolling(10, '50%'))).toBe(5);
    expect(maxUnavailable(rolling(10, '100%'))).toBe(10);
    expect(maxUnavailable(rolling(5, '100%'))).toBe(5);
  });

  it('MinAvailable', () => {
    const rolling = (replicas: number, unavailable: number | string): Deployment =>
      deployment(replicas, {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: 1, maxUnavailable: unavailable },
      });
    expect(minAvailable(rolling(10, 5))).toBe(5);
    expect(minAvailable(rolling(10, 10))).toBe(0);
    expect(minAvailable(rolling(5, 10))).toBe(0);
    expect(minAvailable(rolling(0, 10))).toBe(0);
    expect(minAvailable(deployment(10, { type: 'Recreate' }))).toBe(0);
    expect(minAvailable(rolling(10, '60%'))).toBe(4);
    expect(minAvailable(rolling(10, '100%'))).toBe(0);
    expect(minAvailable(rolling(5, '100%'))).toBe(0);
  });

  it('DeploymentComplete', () => {
    const d = (
      desired: number,
      current: number,
      updated: number,
      available: number,
      unavailable: number,
      surge: number,
    ): Deployment =>
      deployment(
        desired,
        { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: unavailable, maxSurge: surge } },
        { replicas: current, updatedReplicas: updated, availableReplicas: available },
      );
    const cases: Array<[string, Deployment, boolean]> = [
      ['not complete: min but not all pods become available', d(5, 5, 5, 4, 1, 0), false],
      ['not complete: min availability is not honored', d(5, 5, 5, 3, 1, 0), false],
      ['complete', d(5, 5, 5, 5, 0, 0), true],
      ['not complete: all pods are available but not updated', d(5, 5, 4, 5, 0, 0), false],
      ['not complete: still running old pods', d(1, 2, 1, 1, 0, 1), false],
      ['not complete: one replica deployment never comes up', d(1, 1, 1, 0, 1, 1), false],
    ];
    for (const [name, dep, expected] of cases) {
      expect(deploymentComplete(dep, dep.status!), name).toBe(expected);
    }
  });

  it('DeploymentProgressing', () => {
    const s = (
      replicas: number,
      updated: number,
      ready: number,
      available: number,
    ): DeploymentStatus => ({
      replicas,
      updatedReplicas: updated,
      readyReplicas: ready,
      availableReplicas: available,
    });
    const cases: Array<[string, DeploymentStatus, DeploymentStatus, boolean]> = [
      ['progressing: updated pods', s(10, 4, 4, 4), s(10, 6, 4, 4), true],
      ['not progressing', s(10, 4, 4, 4), s(10, 4, 4, 4), false],
      ['progressing: old pods removed', s(10, 4, 6, 6), s(8, 4, 6, 6), true],
      ['not progressing: less new pods', s(10, 7, 3, 3), s(10, 6, 3, 3), false],
      ['progressing: less overall but more new pods', s(10, 4, 7, 7), s(8, 8, 5, 5), true],
      ['progressing: more ready pods', s(10, 10, 9, 8), s(10, 10, 10, 8), true],
      ['progressing: more available pods', s(10, 10, 10, 9), s(10, 10, 10, 10), true],
    ];
    for (const [name, old, next, expected] of cases) {
      expect(deploymentProgressing(deployment(10, undefined, old), next), name).toBe(expected);
    }
  });

  it('DeploymentTimedOut', () => {
    const at = (min: number, sec: number): number => Date.UTC(2016, 0, 1, 0, min, sec);
    const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
    const d = (reason: string, pds: number | undefined, from: number): Deployment => {
      const dep = deployment(1, undefined, {
        conditions: [{ type: 'Progressing', status: 'True', reason, lastUpdateTime: iso(from) }],
      });
      if (pds === undefined) delete dep.spec.progressDeadlineSeconds;
      else dep.spec.progressDeadlineSeconds = pds;
      return dep;
    };
    const cases: Array<[string, Deployment, number, boolean]> = [
      [
        'nil progressDeadlineSeconds specified - no timeout',
        d('', undefined, at(1, 9)),
        at(1, 20),
        false,
      ],
      [
        'infinite progressDeadlineSeconds specified - no timeout',
        d('', 2147483647, at(1, 9)),
        at(1, 20),
        false,
      ],
      [
        'progressDeadlineSeconds: 10s, now - started => 00:01:20 - 00:01:09 => 11s',
        d('', 10, at(1, 9)),
        at(1, 20),
        true,
      ],
      [
        'progressDeadlineSeconds: 10s, now - started => 00:01:20 - 00:01:11 => 9s',
        d('', 10, at(1, 11)),
        at(1, 20),
        false,
      ],
      [
        'previous status was a complete deployment',
        d('NewReplicaSetAvailable', 10, 0),
        at(1, 20),
        false,
      ],
    ];
    for (const [name, dep, now, expected] of cases) {
      expect(deploymentTimedOut(dep, dep.status!, now), name).toBe(expected);
    }
  });

  it('AnnotationUtils', () => {
    const d = deployment(1);
    d.metadata.annotations = { 'deployment.kubernetes.io/revision': '1', team: 'blue' };
    const target = rs('foo-rs', 1);
    // SetNewReplicaSetAnnotations: revisions 11..20 with a 5-character history limit.
    for (let i = 10; i < 20; i++) {
      const next = String(i + 1);
      setNewReplicaSetAnnotations(d, target, next, true, 5);
      if (i >= 12) {
        expect(target.metadata.annotations!['deployment.kubernetes.io/revision-history']).toBe(
          `${i - 1},${i}`,
        );
      }
      expect(target.metadata.annotations!['deployment.kubernetes.io/revision']).toBe(next);
    }
    // The Deployment's own annotations are copied, its revision is not.
    expect(target.metadata.annotations!.team).toBe('blue');
    // SetReplicasAnnotations.
    expect(setReplicasAnnotations(target, 10, 11)).toBe(true);
    expect(target.metadata.annotations!['deployment.kubernetes.io/desired-replicas']).toBe('10');
    expect(target.metadata.annotations!['deployment.kubernetes.io/max-replicas']).toBe('11');
    expect(setReplicasAnnotations(target, 10, 11)).toBe(false);
    // IsSaturated: desired annotation, size and availability all equal the Deployment's replicas.
    target.metadata.annotations!['deployment.kubernetes.io/desired-replicas'] = '1';
    target.status = { replicas: 1, availableReplicas: 1 };
    expect(isSaturated(d, target)).toBe(true);
    target.status = { replicas: 1, availableReplicas: 0 };
    expect(isSaturated(d, target)).toBe(false);
    // A new ReplicaSet gets desired and max replicas; a first revision has no history.
    const fresh = rs('fresh', 0);
    expect(
      setNewReplicaSetAnnotations(
        deployment(3, {
          type: 'RollingUpdate',
          rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
        }),
        fresh,
        '4',
        false,
      ),
    ).toBe(true);
    expect(fresh.metadata.annotations).toEqual({
      'deployment.kubernetes.io/revision': '4',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
    // Reused by a rollback: the old revision goes to revision-history.
    const reused = rs('old', 0, { annotations: { 'deployment.kubernetes.io/revision': '1' } });
    setNewReplicaSetAnnotations(deployment(3), reused, '3', true);
    expect(reused.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '3',
      'deployment.kubernetes.io/revision-history': '1',
    });
    // Never lowered.
    expect(setNewReplicaSetAnnotations(deployment(3), reused, '2', true)).toBe(false);
  });

  it('ReplicasAnnotationsNeedUpdate', () => {
    const withAnnotations = (annotations?: Record<string, string>): ReplicaSet =>
      rs('hello', 1, annotations ? { annotations } : {});
    const desired = 'deployment.kubernetes.io/desired-replicas';
    const max = 'deployment.kubernetes.io/max-replicas';
    expect(replicasAnnotationsNeedUpdate(withAnnotations(), 10, 20)).toBe(true);
    expect(
      replicasAnnotationsNeedUpdate(withAnnotations({ [desired]: '8', [max]: '20' }), 10, 20),
    ).toBe(true);
    expect(
      replicasAnnotationsNeedUpdate(withAnnotations({ [desired]: '10', [max]: '16' }), 10, 20),
    ).toBe(true);
    expect(
      replicasAnnotationsNeedUpdate(withAnnotations({ [desired]: '10', [max]: '20' }), 10, 20),
    ).toBe(false);
  });

  it('conditions', () => {
    const progressing = { type: 'Progressing', status: 'False', reason: 'ForSomeReason' };
    const progressing2 = { type: 'Progressing', status: 'True', reason: 'BecauseItIs' };
    const available = { type: 'Available', status: 'True', reason: 'AwesomeController' };
    const status: DeploymentStatus = { conditions: [progressing, available] };
    expect(getDeploymentCondition(status, 'Available')).toBe(available);
    expect(getDeploymentCondition(status, 'ReplicaFailure')).toBeUndefined();
    const first: DeploymentStatus = {};
    setDeploymentCondition(first, available);
    expect(first.conditions).toEqual([available]);
    const simple: DeploymentStatus = { conditions: [progressing] };
    setDeploymentCondition(simple, available);
    expect(simple.conditions).toEqual([progressing, available]);
    const overwrite: DeploymentStatus = { conditions: [progressing] };
    setDeploymentCondition(overwrite, progressing2);
    expect(overwrite.conditions).toEqual([progressing2]);
    // Same status, new reason: the transition time is kept, the condition moves to the end.
    const moved: DeploymentStatus = {
      conditions: [{ ...progressing2, lastTransitionTime: 'then' }, available],
    };
    setDeploymentCondition(moved, { ...progressing2, reason: 'Other', lastTransitionTime: 'now' });
    expect(moved.conditions).toEqual([
      available,
      { ...progressing2, reason: 'Other', lastTransitionTime: 'then' },
    ]);
    const removed: DeploymentStatus = { conditions: [progressing] };
    removeDeploymentCondition(removed, 'Progressing');
    expect(removed.conditions).toEqual([]);
  });

  it('finding the new and old ReplicaSets', () => {
    const d = deployment(3);
    const older = rs('foo-older', 1, { created: '2016-05-20T00:00:00Z' });
    const newer = rs('foo-newer', 1, { created: '2016-05-20T01:00:00Z' });
    const other = rs('foo-other', 0, { created: '2016-05-19T00:00:00Z', image: 'foo/baz' });
    // Equal but for the hash label.
    expect(equalIgnoreHash(older.spec.template, newer.spec.template)).toBe(true);
    expect(equalIgnoreHash(older.spec.template, d.spec.template)).toBe(true);
    expect(equalIgnoreHash(other.spec.template, d.spec.template)).toBe(false);
    // The oldest of two matching ReplicaSets is the new one.
    expect(findNewReplicaSet(d, [newer, other, older])?.metadata.name).toBe('foo-older');
    const { required, all } = findOldReplicaSets(d, [newer, other, older]);
    expect(all.map((r) => r.metadata.name)).toEqual(['foo-other', 'foo-newer']);
    expect(required.map((r) => r.metadata.name)).toEqual(['foo-newer']);
    expect(findNewReplicaSet(d, [other])).toBeUndefined();
  });

  it('replica counts', () => {
    const rs1 = rs('rs1', 1, { statusReplicas: 2 });
    const rs2 = rs('rs2', 2, { statusReplicas: 3 });
    const rs3 = rs('rs3', 3, { statusReplicas: 0 });
    expect([replicaCount([rs1]), actualReplicaCount([rs1])]).toEqual([1, 2]);
    expect([replicaCount([rs1, rs2]), actualReplicaCount([rs1, rs2])]).toEqual([3, 5]);
    expect([replicaCount([rs3]), actualReplicaCount([rs3])]).toEqual([3, 0]);
    expect([replicaCount([rs1, rs2, rs3, undefined]), actualReplicaCount([rs1, rs2, rs3])]).toEqual(
      [6, 5],
    );
  });

  it('GetProportion', () => {
    const d = (replicas: number, statusReplicas = 0): Deployment =>
      deployment(
        replicas,
        { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
        { replicas: statusReplicas },
      );
    // Scaling to 0 removes everything.
    expect(getProportion(rs('a', 10), d(0), -10, 0)).toBe(-10);
    // No max-replicas annotation and no status.replicas: no estimate.
    expect(getProportion(rs('a', 5), d(10), 5, 0)).toBe(0);
    // No annotation: the Deployment's status.replicas stands in for it.
    expect(getProportion(rs('a', 50), d(120, 100), 20, 0)).toBe(10);
    // Never beyond what is left to add.
    expect(
      getProportion(
        rs('a', 50, { annotations: { 'deployment.kubernetes.io/max-replicas': '100' } }),
        d(120),
        20,
        15,
      ),
    ).toBe(5);
  });

  it('revisions', () => {
    const withRevision = (name: string, revision: string): ReplicaSet =>
      rs(name, 0, { annotations: { 'deployment.kubernetes.io/revision': revision } });
    const list = [
      withRevision('a', '3'),
      withRevision('b', '1'),
      withRevision('c', 'x'),
      withRevision('d', '2'),
    ];
    expect(maxRevision(list)).toBe(3);
    expect(lastRevision(list)).toBe(2);
    expect(lastRevision([withRevision('a', '1')])).toBe(0);
  });
});

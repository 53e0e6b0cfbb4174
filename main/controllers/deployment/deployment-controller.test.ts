/**
 * The Deployment controller with the ReplicaSet controller against a registry, the test playing
 * scheduler and kubelet; and its sync/rolling/recreate functions called directly, as upstream's
 * unit tests call them.
 *
 * | Upstream test (1.30)                                                   | Here                                                  |
 * |------------------------------------------------------------------------|-------------------------------------------------------|
 * | deployment_controller_test.go TestSyncDeploymentCreatesReplicaSet      | 'creates the new ReplicaSet: name, hash, annotations' |
 * | deployment_controller_test.go TestGetReplicaSetsForDeployment (adopt/release) | 'adopts a matching orphan ReplicaSet and releases it' |
 * | deployment_controller_test.go TestReentrantRollback                    | 'legacy rollback annotation'                          |
 * | deployment_controller_test.go TestPodDeletionEnqueuesRecreateDeployment | 'Recreate: old pods gone before the new ReplicaSet'  |
 * | sync_test.go TestScale (every case)                                     | 'scale: <case name>'                                  |
 * | sync_test.go TestDeploymentController_cleanupDeployment (every case)    | 'cleanupDeployment: case <n>'                         |
 * | rolling_test.go TestDeploymentController_reconcileNewReplicaSet        | 'reconcileNewReplicaSet'                              |
 * | rolling_test.go TestDeploymentController_reconcileOldReplicaSets       | 'reconcileOldReplicaSets'                             |
 * | rolling_test.go TestDeploymentController_cleanupUnhealthyReplicas      | 'cleanupUnhealthyReplicas'                            |
 * | rolling_test.go TestDeploymentController_scaleDownOldReplicaSetsForRollingUpdate | 'scaleDownOldReplicaSetsForRollingUpdate'   |
 * | recreate_test.go TestScaleDownOldReplicaSets                           | 'Recreate: old pods gone before the new ReplicaSet'  |
 * | recreate_test.go TestOldPodsRunning                                    | 'oldPodsRunning'                                      |
 * | progress_test.go TestSyncRolloutStatus (timed out / complete cases)    | 'progress deadline exceeded', status shape tests      |
 * | progress_test.go TestRequeueStuckDeployment                            | 'progress deadline exceeded' (requeue on the clock)   |
 * | e2e apps/deployment.go "RollingUpdateDeployment" / docs trace           | 'rolling update, 3 replicas at 25%/25%'               |
 * | (derived) rolling.go with ResolveFenceposts 1/1                         | 'rolling update, 4 replicas at 25%/25%'               |
 * | (derived) rolling.go with maxSurge 0                                    | 'rolling update with maxSurge=0'                      |
 * | kubectl rollout undo (1.30 patches the template) + sync.go revisions    | 'rollout undo reuses the old ReplicaSet …'            |
 * | e2e "deployment should delete old replica sets" / cleanupDeployment     | 'revisionHistoryLimit keeps N old ReplicaSets'        |
 * | e2e "deployment should support proportional scaling" / docs example     | 'proportional scaling during a stuck rollout'         |
 * | checkPausedConditions, sync (paused)                                    | 'pause blocks the rollout, not scaling'               |
 * | getNewReplicaSet hash collision branch                                 | 'a hash collision bumps collisionCount'               |
 * | kubectl polymorphichelpers DeploymentStatusViewer                       | the rollout-status lines asserted along the way       |
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/objects';
import { computeHash } from '../util/controller-util';
import { Harness, replicaSetsType } from '../replicaset/testing';
import { obj, type Deployment, type ReplicaSet } from '../replicaset/types';
import { oldPodsRunning } from './deployment-controller';
import { getDeploymentCondition, revisionOf } from './deployment-util';

const REVISION = 'deployment.kubernetes.io/revision';
const HISTORY = 'deployment.kubernetes.io/revision-history';

/**
 * `kubectl rollout status deployment/<name>` (1.30 DeploymentStatusViewer.Status): the line it
 * prints for a Deployment's current state, or its error.
 */
function rolloutStatus(d: Deployment): string {
  const name = d.metadata.name ?? '';
  const status = d.status ?? {};
  if ((d.metadata.generation ?? 0) > (status.observedGeneration ?? 0)) {
    return 'Waiting for deployment spec update to be observed...';
  }
  const cond = getDeploymentCondition(status, 'Progressing');
  if (cond?.reason === 'ProgressDeadlineExceeded') {
    return `error: deployment "${name}" exceeded its progress deadline`;
  }
  const replicas = d.spec.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const total = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (updated < replicas) {
    return `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${replicas} new replicas have been updated...`;
  }
  if (total > updated) {
    return `Waiting for deployment "${name}" rollout to finish: ${total - updated} old replicas are pending termination...`;
  }
  if (available < updated) {
    return `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`;
  }
  return `deployment "${name}" successfully rolled out`;
}

/** A pod whose image never starts (the kubelet leaves it not Ready). */
function broken(pod: KubeObject): boolean {
  const containers = obj(pod.spec).containers as Array<{ image?: string }>;
  return containers[0]?.image === 'nginx:broken';
}

function isReady(pod: KubeObject): boolean {
  const conditions = obj(pod.status).conditions;
  return (
    Array.isArray(conditions) &&
    conditions.some((c) => obj(c).type === 'Ready' && obj(c).status === 'True')
  );
}

interface Trace {
  /** `old/new` spec.replicas after each settle. */
  sizes: string[];
  /** ScalingReplicaSet messages, RS names replaced by `old`/`new`. */
  events: string[];
  /** Distinct `kubectl rollout status` lines, in order. */
  status: string[];
  maxActive: number;
  minAvailable: number;
}

/**
 * Sets the image and plays scheduler and kubelet round by round until nothing moves,
 * recording what the controllers did after each settle.
 */
async function rollout(h: Harness, image: string, name = 'web'): Promise<Trace> {
  const before = h.events.length;
  const oldRS = h.replicaSets().find((rs) => (rs.spec.replicas ?? 0) > 0)!.metadata.name!;
  h.setImage(name, image);
  const trace: Trace = { sizes: [], events: [], status: [], maxActive: 0, minAvailable: Infinity };
  for (let round = 0; round < 40; round++) {
    await h.settle();
    const sizes = h.sizes();
    const newRS = Object.keys(sizes).find((n) => n !== oldRS);
    trace.sizes.push(`${sizes[oldRS] ?? 0}/${newRS ? sizes[newRS] : '-'}`);
    const line = rolloutStatus(h.deployment(name));
    if (trace.status.at(-1) !== line) trace.status.push(line);
    const active = h.activePods();
    trace.maxActive = Math.max(trace.maxActive, active.length);
    trace.minAvailable = Math.min(trace.minAvailable, active.filter(isReady).length);
    if (h.kubelet() === 0) break;
  }
  const newRS = h.replicaSets().find((rs) => rs.metadata.name !== oldRS)?.metadata.name ?? '?';
  trace.events = h.events
    .slice(before)
    .filter((e) => e.reason === 'ScalingReplicaSet')
    .map((e) => e.message.replace(oldRS, 'old').replace(newRS, 'new'));
  // Collapse repeated identical sizes (rounds where only the kubelet moved).
  trace.sizes = trace.sizes.filter((s, i) => s !== trace.sizes[i - 1]);
  return trace;
}

async function running(
  spec: Parameters<Harness['createDeployment']>[1] = {},
  options: ConstructorParameters<typeof Harness>[0] = {},
): Promise<Harness> {
  const h = new Harness(options).start();
  h.createDeployment('web', spec);
  await h.converge();
  return h;
}

describe('Deployment controller', () => {
  it('creates the new ReplicaSet: name, hash, annotations, pods, events, status', async () => {
    const h = new Harness().start();
    const created = h.createDeployment('web', { replicas: 3 });
    await h.settle();
    const d = h.deployment('web');
    const [rs] = h.replicaSets();
    const hash = computeHash(d.spec.template);
    expect(hash).toMatch(/^[4-9bcdf]{1,10}$/);
    expect(rs!.metadata.name).toBe(`web-${hash}`);
    const labels = { app: 'web', 'pod-template-hash': hash };
    expect(rs!.metadata.labels).toEqual(labels);
    expect(rs!.spec.selector).toEqual({ matchLabels: labels });
    expect(rs!.spec.template?.metadata?.labels).toEqual(labels);
    expect(rs!.spec.replicas).toBe(3);
    expect(rs!.metadata.annotations).toEqual({
      [REVISION]: '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
    expect(rs!.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'web',
        uid: created.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    for (const pod of h.pods()) {
      expect(pod.metadata.name).toMatch(
        new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`),
      );
      expect(pod.metadata.labels).toEqual(labels);
    }
    expect(h.events.filter((e) => e.reason === 'ScalingReplicaSet')).toEqual([
      {
        reason: 'ScalingReplicaSet',
        message: `Scaled up replica set web-${hash} to 3`,
        type: 'Normal',
        kind: 'Deployment',
        name: 'web',
        component: 'deployment-controller',
      },
    ]);
    // The revision annotation arrives through the status subresource: no new generation.
    expect(d.metadata.annotations).toEqual({ [REVISION]: '1' });
    expect(d.metadata.generation).toBe(1);
    const t = h.registry.now();
    expect(d.status).toEqual({
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      unavailableReplicas: 3,
      conditions: [
        {
          type: 'Available',
          status: 'False',
          lastUpdateTime: t,
          lastTransitionTime: t,
          reason: 'MinimumReplicasUnavailable',
          message: 'Deployment does not have minimum availability.',
        },
        {
          type: 'Progressing',
          status: 'True',
          lastUpdateTime: t,
          lastTransitionTime: t,
          reason: 'ReplicaSetUpdated',
          message: `ReplicaSet "web-${hash}" is progressing.`,
        },
      ],
    });
    expect(rolloutStatus(d)).toBe(
      'Waiting for deployment "web" rollout to finish: 0 of 3 updated replicas are available...',
    );
    await h.converge();
    expect(h.deployment('web').status).toEqual({
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      conditions: [
        {
          type: 'Available',
          status: 'True',
          lastUpdateTime: t,
          lastTransitionTime: t,
          reason: 'MinimumReplicasAvailable',
          message: 'Deployment has minimum availability.',
        },
        {
          type: 'Progressing',
          status: 'True',
          lastUpdateTime: t,
          lastTransitionTime: t,
          reason: 'NewReplicaSetAvailable',
          message: `ReplicaSet "web-${hash}" has successfully progressed.`,
        },
      ],
    });
    expect(h.replicaSet(`web-${hash}`).status).toEqual({
      replicas: 3,
      fullyLabeledReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      observedGeneration: 1,
    });
    expect(rolloutStatus(h.deployment('web'))).toBe('deployment "web" successfully rolled out');
    h.stop();
  });

  it('rolling update, 3 replicas at 25%/25% (surge 1, unavailable 0)', async () => {
    const h = await running({ replicas: 3 });
    const trace = await rollout(h, 'nginx:1.26');
    expect(trace.events).toEqual([
      'Scaled up replica set new to 1',
      'Scaled down replica set old to 2 from 3',
      'Scaled up replica set new to 2 from 1',
      'Scaled down replica set old to 1 from 2',
      'Scaled up replica set new to 3 from 2',
      'Scaled down replica set old to 0 from 1',
    ]);
    expect(trace.sizes).toEqual(['3/1', '2/2', '1/3', '0/3']);
    // Never more than replicas + maxSurge pods, never fewer than replicas - maxUnavailable ready.
    expect(trace.maxActive).toBe(4);
    expect(trace.minAvailable).toBe(3);
    expect(trace.status).toEqual([
      'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...',
      'Waiting for deployment "web" rollout to finish: 2 out of 3 new replicas have been updated...',
      'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...',
      // The last new pod became Ready in the round its old one went: no "2 of 3 … available".
      'deployment "web" successfully rolled out',
    ]);
    const d = h.deployment('web');
    expect(d.metadata.annotations?.[REVISION]).toBe('2');
    expect(getDeploymentCondition(d.status, 'Progressing')?.reason).toBe('NewReplicaSetAvailable');
    h.stop();
  });

  it('rolling update, 4 replicas at 25%/25% (surge 1, unavailable 1)', async () => {
    const h = await running({ replicas: 4 });
    const trace = await rollout(h, 'nginx:1.26');
    expect(trace.events).toEqual([
      'Scaled up replica set new to 1',
      'Scaled down replica set old to 3 from 4',
      'Scaled up replica set new to 2 from 1',
      'Scaled down replica set old to 1 from 3',
      'Scaled up replica set new to 4 from 2',
      'Scaled down replica set old to 0 from 1',
    ]);
    expect(trace.sizes).toEqual(['3/2', '1/4', '0/4']);
    expect(trace.maxActive).toBe(5);
    expect(trace.minAvailable).toBe(3);
    h.stop();
  });

  it('rolling update with maxSurge=0: delete first, then create', async () => {
    const h = await running({
      replicas: 3,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
    });
    const trace = await rollout(h, 'nginx:1.26');
    expect(trace.events).toEqual([
      // The new ReplicaSet is created with 0 replicas: no "Scaled up … to 0" event.
      'Scaled down replica set old to 2 from 3',
      'Scaled up replica set new to 1 from 0',
      'Scaled down replica set old to 1 from 2',
      'Scaled up replica set new to 2 from 1',
      'Scaled down replica set old to 0 from 1',
      'Scaled up replica set new to 3 from 2',
    ]);
    expect(trace.maxActive).toBe(3);
    expect(trace.minAvailable).toBe(2);
    h.stop();
  });

  it('Recreate: old pods gone before the new ReplicaSet', async () => {
    const h = await running({ replicas: 3, strategy: { type: 'Recreate' } });
    const [old] = h.replicaSets();
    h.finishDeletions = false;
    h.setImage('web', 'nginx:1.26');
    await h.converge();
    // Old ReplicaSet at 0, its pods terminating: no new ReplicaSet yet.
    expect(h.replicaSets().map((rs) => rs.metadata.name)).toEqual([old!.metadata.name]);
    expect(h.replicaSet(old!.metadata.name!).spec.replicas).toBe(0);
    expect(h.pods().every((p) => p.metadata.deletionTimestamp)).toBe(true);
    expect(h.eventMessages('ScalingReplicaSet').at(-1)).toBe(
      `Scaled down replica set ${old!.metadata.name!} to 0 from 3`,
    );
    const waiting = h.deployment('web');
    expect(getDeploymentCondition(waiting.status, 'Available')).toMatchObject({
      status: 'False',
      reason: 'MinimumReplicasUnavailable',
    });
    // The last old pod goes: the pod-deletion handler wakes the Deployment.
    h.finishDeletions = true;
    await h.converge();
    const rsNames = h.replicaSets().map((rs) => rs.metadata.name!);
    expect(rsNames).toHaveLength(2);
    const newName = rsNames.find((n) => n !== old!.metadata.name)!;
    expect(h.eventMessages('ScalingReplicaSet').at(-1)).toBe(
      `Scaled up replica set ${newName} to 3`,
    );
    expect(h.activePods().every((p) => p.metadata.name!.startsWith(newName))).toBe(true);
    expect(rolloutStatus(h.deployment('web'))).toBe('deployment "web" successfully rolled out');
    h.stop();
  });

  it('rollout undo reuses the old ReplicaSet with a new revision (kubectl 1.30 patch)', async () => {
    const h = await running({ replicas: 2 });
    await rollout(h, 'nginx:1.26');
    const byRevision = (revision: number): ReplicaSet =>
      h.replicaSets().find((rs) => revisionOf(rs) === revision)!;
    const v1 = byRevision(1);
    const v2 = byRevision(2);
    // kubectl rollout undo: the previous revision's template (hash label removed) and its
    // annotations are patched into the Deployment.
    h.patchDeployment('web', (d) => {
      const template = structuredClone(v1.spec.template!);
      delete template.metadata!.labels!['pod-template-hash'];
      d.spec.template = template;
    });
    await h.converge();
    expect(
      h
        .replicaSets()
        .map((rs) => rs.metadata.name)
        .sort(),
    ).toEqual([v1.metadata.name, v2.metadata.name].sort());
    const reused = h.replicaSet(v1.metadata.name!);
    expect(reused.metadata.annotations).toMatchObject({ [REVISION]: '3', [HISTORY]: '1' });
    expect(reused.spec.replicas).toBe(2);
    expect(h.replicaSet(v2.metadata.name!).spec.replicas).toBe(0);
    expect(h.deployment('web').metadata.annotations?.[REVISION]).toBe('3');
    expect(h.eventMessages('ScalingReplicaSet').slice(-4)).toEqual([
      `Scaled up replica set ${v1.metadata.name!} to 1 from 0`,
      `Scaled down replica set ${v2.metadata.name!} to 1 from 2`,
      `Scaled up replica set ${v1.metadata.name!} to 2 from 1`,
      `Scaled down replica set ${v2.metadata.name!} to 0 from 1`,
    ]);
    h.stop();
  });

  it('legacy rollback annotation (deprecated.deployment.rollback.to)', async () => {
    const h = await running({ replicas: 1 });
    await rollout(h, 'nginx:1.26');
    const v1 = h.replicaSets().find((rs) => revisionOf(rs) === 1)!;
    const annotate = (value: string): void =>
      h.patchDeployment('web', (d) => {
        d.metadata.annotations = {
          ...d.metadata.annotations,
          'deprecated.deployment.rollback.to': value,
        };
      });
    // 0 = the previous revision.
    annotate('0');
    await h.converge();
    const d = h.deployment('web');
    expect(d.metadata.annotations).not.toHaveProperty('deprecated.deployment.rollback.to');
    expect(obj(d.spec.template?.spec).containers).toEqual(obj(v1.spec.template?.spec).containers);
    expect(h.events.filter((e) => e.reason === 'DeploymentRollback').map((e) => e.message)).toEqual(
      ['Rolled back deployment "web" to revision 1'],
    );
    expect(h.replicaSet(v1.metadata.name!).metadata.annotations).toMatchObject({
      [REVISION]: '3',
      [HISTORY]: '1',
    });
    // A revision that no longer exists (1 became 3).
    annotate('1');
    await h.converge();
    expect(h.eventMessages('DeploymentRollbackRevisionNotFound')).toEqual([
      'Unable to find the revision to rollback to.',
    ]);
    // The current revision: nothing to do (TestReentrantRollback: the annotation is cleared).
    annotate('3');
    await h.converge();
    expect(h.eventMessages('DeploymentRollbackTemplateUnchanged')).toEqual([
      'The rollback revision contains the same template as current deployment "web"',
    ]);
    expect(h.deployment('web').metadata.annotations).not.toHaveProperty(
      'deprecated.deployment.rollback.to',
    );
    expect(h.replicaSets()).toHaveLength(2);
    h.stop();
  });

  it('revisionHistoryLimit keeps N old ReplicaSets', async () => {
    const h = await running({ replicas: 1, revisionHistoryLimit: 2 });
    for (const tag of ['2', '3', '4', '5']) await rollout(h, `nginx:1.${tag}`);
    const revisions = h
      .replicaSets()
      .map((rs) => revisionOf(rs))
      .sort();
    expect(revisions).toEqual([3, 4, 5]);
    h.patchDeployment('web', (d) => {
      d.spec.revisionHistoryLimit = 0;
    });
    await h.converge();
    expect(h.replicaSets().map((rs) => revisionOf(rs))).toEqual([5]);
    h.stop();
  });

  it('pause blocks the rollout, not scaling', async () => {
    const h = await running({ replicas: 3 });
    const [old] = h.replicaSets();
    h.patchDeployment('web', (d) => {
      d.spec.paused = true;
    });
    await h.converge();
    expect(getDeploymentCondition(h.deployment('web').status, 'Progressing')).toMatchObject({
      status: 'Unknown',
      reason: 'DeploymentPaused',
      message: 'Deployment is paused',
    });
    h.setImage('web', 'nginx:1.26');
    await h.converge();
    expect(h.replicaSets()).toHaveLength(1);
    expect(rolloutStatus(h.deployment('web'))).toBe(
      'Waiting for deployment "web" rollout to finish: 0 out of 3 new replicas have been updated...',
    );
    h.scale('deployment', 'web', 5);
    await h.converge();
    expect(h.replicaSets()).toHaveLength(1);
    expect(h.replicaSet(old!.metadata.name!).spec.replicas).toBe(5);
    expect(h.eventMessages('ScalingReplicaSet').at(-1)).toBe(
      `Scaled up replica set ${old!.metadata.name!} to 5 from 3`,
    );
    h.patchDeployment('web', (d) => {
      d.spec.paused = false;
    });
    await h.settle();
    expect(h.replicaSets()).toHaveLength(2);
    await h.converge();
    const d = h.deployment('web');
    expect(getDeploymentCondition(d.status, 'Progressing')?.reason).toBe('NewReplicaSetAvailable');
    expect(h.replicaSet(old!.metadata.name!).spec.replicas).toBe(0);
    expect(rolloutStatus(d)).toBe('deployment "web" successfully rolled out');
    h.stop();
  });

  it('pausing and resuming record DeploymentPaused then DeploymentResumed', async () => {
    const h = await running({ replicas: 1 });
    // Every Progressing reason the Deployment's status goes through, as a watcher sees it.
    const reasons: string[] = [];
    h.store.watch({ resource: 'apps/deployments' }, (event) => {
      const reason = getDeploymentCondition(
        (event.object as Deployment).status,
        'Progressing',
      )?.reason;
      if (reason && reasons.at(-1) !== reason) reasons.push(reason);
    });
    h.patchDeployment('web', (d) => {
      d.spec.paused = true;
    });
    await h.settle();
    expect(getDeploymentCondition(h.deployment('web').status, 'Progressing')).toMatchObject({
      status: 'Unknown',
      reason: 'DeploymentPaused',
      message: 'Deployment is paused',
    });
    h.patchDeployment('web', (d) => {
      d.spec.paused = false;
    });
    await h.settle();
    // Resumed (Unknown, so paused time never counts against the deadline), then — nothing left
    // to roll out — complete again in the same sync.
    expect(reasons).toEqual([
      'NewReplicaSetAvailable',
      'DeploymentPaused',
      'DeploymentResumed',
      'NewReplicaSetAvailable',
    ]);
    h.stop();
  });

  it('progress deadline exceeded, on the cluster clock', async () => {
    const h = await running({ replicas: 3, progressDeadlineSeconds: 30 });
    h.notReady = broken;
    await rollout(h, 'nginx:broken');
    const progressing = (): ReturnType<typeof getDeploymentCondition> =>
      getDeploymentCondition(h.deployment('web').status, 'Progressing');
    expect(progressing()).toMatchObject({ status: 'True', reason: 'ReplicaSetUpdated' });
    await h.advance(20_000);
    expect(progressing()?.reason).toBe('ReplicaSetUpdated');
    await h.advance(12_000);
    const newRS = h.replicaSets().find((rs) => revisionOf(rs) === 2)!;
    expect(progressing()).toEqual({
      type: 'Progressing',
      status: 'False',
      lastUpdateTime: h.registry.now(),
      lastTransitionTime: h.registry.now(),
      reason: 'ProgressDeadlineExceeded',
      message: `ReplicaSet "${newRS.metadata.name!}" has timed out progressing.`,
    });
    // The old pods still serve.
    expect(getDeploymentCondition(h.deployment('web').status, 'Available')?.status).toBe('True');
    expect(rolloutStatus(h.deployment('web'))).toBe(
      'error: deployment "web" exceeded its progress deadline',
    );
    h.stop();
  });

  it('proportional scaling during a stuck rollout (the docs example)', async () => {
    const h = await running({
      replicas: 10,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } },
    });
    const [old] = h.replicaSets();
    h.notReady = broken;
    await rollout(h, 'nginx:broken');
    const newRS = h.replicaSets().find((rs) => rs.metadata.name !== old!.metadata.name)!;
    expect(h.sizes()).toEqual({ [old!.metadata.name!]: 8, [newRS.metadata.name!]: 5 });
    h.scale('deployment', 'web', 15);
    await h.converge();
    expect(h.sizes()).toEqual({ [old!.metadata.name!]: 11, [newRS.metadata.name!]: 7 });
    expect(h.eventMessages('ScalingReplicaSet').slice(-2)).toEqual([
      `Scaled up replica set ${old!.metadata.name!} to 11 from 8`,
      `Scaled up replica set ${newRS.metadata.name!} to 7 from 5`,
    ]);
    h.stop();
  });

  it('adopts a matching orphan ReplicaSet and releases it', async () => {
    const h = new Harness().start();
    const orphan = h.createReplicaSet('manual', 2, { labels: { app: 'web', made: 'by-hand' } });
    await h.converge();
    const d = h.createDeployment('web', { replicas: 2 });
    await h.converge();
    const adopted = h.replicaSet('manual');
    expect(adopted.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Deployment', uid: d.metadata.uid, controller: true }),
    ]);
    // Adopted as an old ReplicaSet: the rollout scaled it to 0.
    expect(adopted.spec.replicas).toBe(0);
    expect(adopted.metadata.uid).toBe(orphan.metadata.uid);
    // Its labels stop matching the Deployment's selector: released.
    h.registry.modify(replicaSetsType, 'default', 'manual', (copy) => {
      copy.metadata.labels = { app: 'other', made: 'by-hand' };
      return copy;
    });
    await h.settle();
    expect(h.replicaSet('manual').metadata.ownerReferences).toBeUndefined();
    h.stop();
  });

  it('a hash collision bumps collisionCount', async () => {
    const h = new Harness().start();
    h.createDeployment('web', { replicas: 1, paused: true });
    await h.settle();
    const template = h.deployment('web').spec.template;
    const taken = `web-${computeHash(template)}`;
    h.registry.create(replicaSetsType, 'default', {
      metadata: { name: taken, labels: { someone: 'else' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { someone: 'else' } },
        template: {
          metadata: { labels: { someone: 'else' } },
          spec: { containers: [{ name: 'x', image: 'busybox' }] },
        },
      },
    });
    h.patchDeployment('web', (d) => {
      d.spec.paused = false;
    });
    await h.converge();
    const d = h.deployment('web');
    expect(d.status?.collisionCount).toBe(1);
    const ours = h.replicaSets().filter((rs) => rs.metadata.ownerReferences);
    expect(ours.map((rs) => rs.metadata.name)).toEqual([`web-${computeHash(template, 1)}`]);
    expect(rolloutStatus(d)).toBe('deployment "web" successfully rolled out');
    h.stop();
  });
});

// ---------------------------------------------------------------------------------------------
// The controller's functions, called directly on ReplicaSets in a registry (no manager running).

const HOUR = 3600_000;

/** `newDeployment` of deployment_controller_test.go: surge and unavailable default to 0. */
function newDeployment(
  replicas: number,
  maxSurge: number | string = 0,
  maxUnavailable: number | string = 0,
  revisionHistoryLimit?: number,
): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'foo', namespace: 'default', uid: 'foo-uid', annotations: {}, generation: 1 },
    spec: {
      replicas,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } },
      selector: { matchLabels: { foo: 'bar' } },
      template: {
        metadata: { labels: { foo: 'bar' } },
        spec: { containers: [{ image: 'foo/bar' }] },
      },
      ...(revisionHistoryLimit !== undefined ? { revisionHistoryLimit } : {}),
    },
    status: {},
  };
}

/** An idle Harness whose clock is moved between creations to order ReplicaSets by age. */
function bench(): Harness {
  return new Harness();
}

function makeRS(
  h: Harness,
  name: string,
  replicas: number,
  status: { replicas?: number; availableReplicas?: number } = {},
  annotations?: Record<string, string>,
): ReplicaSet {
  h.registry.create(replicaSetsType, 'default', {
    metadata: { name, ...(annotations ? { annotations } : {}) },
    spec: {
      replicas,
      selector: { matchLabels: { foo: 'bar', rs: name } },
      template: {
        metadata: { labels: { foo: 'bar', rs: name } },
        spec: { containers: [{ name: 'c', image: 'foo/bar' }] },
      },
    },
  });
  return h.registry.modify(
    replicaSetsType,
    'default',
    name,
    (copy) => {
      copy.status = {
        replicas: status.replicas ?? 0,
        availableReplicas: status.availableReplicas ?? 0,
        observedGeneration: 1,
      };
      return copy;
    },
    { subresource: 'status' },
  ) as ReplicaSet;
}

function size(h: Harness, name: string): number {
  return h.replicaSet(name).spec.replicas ?? 0;
}

describe('sync.go scale (TestScale)', () => {
  interface ScaleCase {
    name: string;
    deployment: Deployment;
    oldDeployment: Deployment;
    newRS?: [string, number];
    /** Newest first, as upstream lists them. */
    oldRSs: Array<[string, number]>;
    expected: Record<string, number>;
    desiredReplicasAnnotations?: Record<string, number>;
    newAvailable?: number;
  }
  const updatedTemplate = (replicas: number): Deployment => {
    const d = newDeployment(replicas);
    d.spec.template!.metadata!.labels = { foo: 'bar', another: 'label' };
    return d;
  };
  const cases: ScaleCase[] = [
    {
      name: 'normal scaling event: 10 -> 12',
      deployment: newDeployment(12),
      oldDeployment: newDeployment(10),
      newRS: ['foo-v1', 10],
      oldRSs: [],
      expected: { 'foo-v1': 12 },
    },
    {
      name: 'normal scaling event: 10 -> 5',
      deployment: newDeployment(5),
      oldDeployment: newDeployment(10),
      newRS: ['foo-v1', 10],
      oldRSs: [],
      expected: { 'foo-v1': 5 },
    },
    {
      name: 'proportional scaling: 5 -> 10',
      deployment: newDeployment(10),
      oldDeployment: newDeployment(5),
      newRS: ['foo-v2', 2],
      oldRSs: [['foo-v1', 3]],
      expected: { 'foo-v2': 4, 'foo-v1': 6 },
    },
    {
      name: 'proportional scaling: 5 -> 3',
      deployment: newDeployment(3),
      oldDeployment: newDeployment(5),
      newRS: ['foo-v2', 2],
      oldRSs: [['foo-v1', 3]],
      expected: { 'foo-v2': 1, 'foo-v1': 2 },
    },
    {
      name: 'proportional scaling: 9 -> 4',
      deployment: newDeployment(4),
      oldDeployment: newDeployment(9),
      newRS: ['foo-v2', 8],
      oldRSs: [['foo-v1', 1]],
      expected: { 'foo-v2': 4, 'foo-v1': 0 },
    },
    {
      name: 'proportional scaling: 7 -> 10',
      deployment: newDeployment(10),
      oldDeployment: newDeployment(7),
      newRS: ['foo-v3', 2],
      oldRSs: [
        ['foo-v2', 3],
        ['foo-v1', 2],
      ],
      expected: { 'foo-v3': 3, 'foo-v2': 4, 'foo-v1': 3 },
    },
    {
      name: 'proportional scaling: 13 -> 8',
      deployment: newDeployment(8),
      oldDeployment: newDeployment(13),
      newRS: ['foo-v3', 2],
      oldRSs: [
        ['foo-v2', 8],
        ['foo-v1', 3],
      ],
      expected: { 'foo-v3': 1, 'foo-v2': 5, 'foo-v1': 2 },
    },
    {
      name: 'leftover distribution: 3 -> 4',
      deployment: newDeployment(4),
      oldDeployment: newDeployment(3),
      newRS: ['foo-v3', 1],
      oldRSs: [
        ['foo-v2', 1],
        ['foo-v1', 1],
      ],
      expected: { 'foo-v3': 2, 'foo-v2': 1, 'foo-v1': 1 },
    },
    {
      name: 'leftover distribution: 3 -> 2',
      deployment: newDeployment(2),
      oldDeployment: newDeployment(3),
      newRS: ['foo-v3', 1],
      oldRSs: [
        ['foo-v2', 1],
        ['foo-v1', 1],
      ],
      expected: { 'foo-v3': 1, 'foo-v2': 1, 'foo-v1': 0 },
    },
    {
      name: 'proportional scaling (no new rs): 4 -> 5',
      deployment: newDeployment(5),
      oldDeployment: newDeployment(4),
      oldRSs: [
        ['foo-v2', 2],
        ['foo-v1', 2],
      ],
      expected: { 'foo-v2': 3, 'foo-v1': 2 },
    },
    {
      name: 'proportional scaling: 6 -> 0',
      deployment: newDeployment(0),
      oldDeployment: newDeployment(6),
      newRS: ['foo-v3', 3],
      oldRSs: [
        ['foo-v2', 2],
        ['foo-v1', 1],
      ],
      expected: { 'foo-v3': 0, 'foo-v2': 0, 'foo-v1': 0 },
    },
    {
      name: 'proportional scaling: 0 -> 6',
      deployment: newDeployment(6),
      oldDeployment: newDeployment(6),
      newRS: ['foo-v3', 0],
      oldRSs: [
        ['foo-v2', 0],
        ['foo-v1', 0],
      ],
      expected: { 'foo-v3': 6, 'foo-v2': 0, 'foo-v1': 0 },
    },
    {
      name: 'failed rs update',
      deployment: newDeployment(5),
      oldDeployment: newDeployment(5),
      newRS: ['foo-v3', 2],
      oldRSs: [
        ['foo-v2', 1],
        ['foo-v1', 1],
      ],
      expected: { 'foo-v3': 2, 'foo-v2': 2, 'foo-v1': 1 },
      desiredReplicasAnnotations: { 'foo-v2': 3 },
    },
    {
      name: 'deployment with surge pods',
      deployment: newDeployment(20, 2),
      oldDeployment: newDeployment(10, 2),
      newRS: ['foo-v2', 6],
      oldRSs: [['foo-v1', 6]],
      expected: { 'foo-v2': 11, 'foo-v1': 11 },
    },
    {
      name: 'change both surge and size',
      deployment: newDeployment(50, 6),
      oldDeployment: newDeployment(10, 3),
      newRS: ['foo-v2', 5],
      oldRSs: [['foo-v1', 8]],
      expected: { 'foo-v2': 22, 'foo-v1': 34 },
    },
    {
      name: 'change both size and template',
      deployment: updatedTemplate(14),
      oldDeployment: newDeployment(10),
      oldRSs: [
        ['foo-v2', 7],
        ['foo-v1', 3],
      ],
      expected: { 'foo-v2': 10, 'foo-v1': 4 },
    },
    {
      name: 'saturated but broken new replica set does not affect old pods',
      deployment: newDeployment(2, 1, 1),
      oldDeployment: newDeployment(2, 1, 1),
      newRS: ['foo-v2', 2],
      oldRSs: [['foo-v1', 1]],
      expected: { 'foo-v2': 2, 'foo-v1': 1 },
      newAvailable: 0,
    },
  ];
  for (const c of cases) {
    it(`scale: ${c.name}`, () => {
      const h = bench();
      const controller = h.deploymentController!;
      const annotate = (name: string): Record<string, string> => {
        const desired = c.desiredReplicasAnnotations?.[name] ?? c.oldDeployment.spec.replicas!;
        const surge = Number(c.oldDeployment.spec.strategy?.rollingUpdate?.maxSurge ?? 0);
        return {
          'deployment.kubernetes.io/desired-replicas': String(desired),
          'deployment.kubernetes.io/max-replicas': String(desired + surge),
        };
      };
      // Oldest first on the clock: older, old, new.
      const oldRSs = [...c.oldRSs].reverse().map(([name, replicas]) => {
        const made = makeRS(h, name, replicas, { availableReplicas: replicas }, annotate(name));
        h.clock.advance(HOUR);
        return made;
      });
      const newRS = c.newRS
        ? makeRS(
            h,
            c.newRS[0],
            c.newRS[1],
            { availableReplicas: c.newAvailable ?? 0 },
            annotate(c.newRS[0]),
          )
        : undefined;
      controller.scale(c.deployment, newRS, oldRSs.reverse());
      const sizes = Object.fromEntries(
        Object.keys(c.expected).map((name) => [name, size(h, name)]),
      );
      expect(sizes).toEqual(c.expected);
    });
  }
});

describe('sync.go cleanupDeployment (TestDeploymentController_cleanupDeployment)', () => {
  const cases: Array<{
    oldRSs: Array<[string, number, number]>;
    deleted?: string;
    limit: number;
    expectedDeletions: number;
  }> = [
    {
      oldRSs: [
        ['foo-1', 0, 0],
        ['foo-2', 0, 0],
        ['foo-3', 0, 0],
      ],
      limit: 1,
      expectedDeletions: 2,
    },
    {
      oldRSs: [
        ['foo-1', 0, 0],
        ['foo-2', 0, 1],
        ['foo-3', 1, 0],
        ['foo-4', 1, 1],
      ],
      limit: 0,
      expectedDeletions: 1,
    },
    {
      oldRSs: [
        ['foo-1', 0, 0],
        ['foo-2', 0, 0],
      ],
      limit: 0,
      expectedDeletions: 2,
    },
    {
      oldRSs: [
        ['foo-1', 1, 1],
        ['foo-2', 1, 1],
      ],
      limit: 0,
      expectedDeletions: 0,
    },
    { oldRSs: [], deleted: 'foo-1', limit: 0, expectedDeletions: 0 },
    {
      oldRSs: [
        ['foo-1', 0, 0],
        ['foo-2', 0, 0],
        ['foo-3', 0, 0],
      ],
      limit: 2147483647,
      expectedDeletions: 0,
    },
  ];
  cases.forEach((c, i) => {
    it(`cleanupDeployment: case ${i}`, () => {
      const h = bench();
      const list = c.oldRSs.map(([name, spec, status]) =>
        makeRS(h, name, spec, { replicas: status }),
      );
      if (c.deleted) {
        h.registry.create(replicaSetsType, 'default', {
          metadata: { name: c.deleted, finalizers: ['example.com/hold'] },
          spec: {
            replicas: 0,
            selector: { matchLabels: { foo: 'bar' } },
            template: {
              metadata: { labels: { foo: 'bar' } },
              spec: { containers: [{ name: 'c', image: 'x' }] },
            },
          },
        });
        h.registry.delete(replicaSetsType, 'default', c.deleted);
        list.push(h.replicaSet(c.deleted));
      }
      const before = h.replicaSets().length;
      h.deploymentController!.cleanupDeployment(list, newDeployment(1, 0, 0, c.limit));
      expect(before - h.replicaSets().length).toBe(c.expectedDeletions);
    });
  });

  it('deletes the lowest revisions first', () => {
    const h = bench();
    const list = ['3', '1', '2'].map((revision) =>
      makeRS(h, `foo-r${revision}`, 0, {}, { [REVISION]: revision }),
    );
    h.deploymentController!.cleanupDeployment(list, newDeployment(1, 0, 0, 1));
    expect(h.replicaSets().map((rs) => rs.metadata.name)).toEqual(['foo-r3']);
  });
});

describe('rolling.go', () => {
  it('reconcileNewReplicaSet', () => {
    const cases: Array<[number, number, number, number, number | undefined]> = [
      // replicas, maxSurge, old, new, expected new size (undefined: no scaling)
      [10, 0, 10, 0, undefined],
      [10, 2, 10, 0, 2],
      [10, 2, 5, 0, 7],
      [10, 2, 10, 2, undefined],
      [10, 2, 2, 11, 10],
    ];
    for (const [replicas, surge, oldReplicas, newReplicas, expected] of cases) {
      const h = bench();
      const oldRS = makeRS(h, 'foo-old', oldReplicas);
      const newRS = makeRS(h, 'foo-new', newReplicas);
      const d = newDeployment(replicas, surge, 0);
      const scaled = h.deploymentController!.reconcileNewReplicaSet([newRS, oldRS], newRS, d);
      expect(scaled).toBe(expected !== undefined);
      expect(size(h, 'foo-new')).toBe(expected ?? newReplicas);
    }
  });

  it('reconcileOldReplicaSets', () => {
    const cases: Array<[number, number, number, number, number, number, number | undefined]> = [
      // replicas, maxUnavailable, old, new, ready old, ready new, expected old size
      [10, 0, 10, 0, 10, 0, 9],
      [10, 2, 10, 0, 10, 0, 8],
      // Unhealthy old replicas are cleaned up first.
      [10, 2, 10, 0, 8, 0, 8],
      [10, 2, 10, 0, 9, 0, 8],
      // Unavailable new pods hold old ones back.
      [10, 2, 8, 2, 8, 0, undefined],
    ];
    for (const [
      replicas,
      unavailable,
      oldReplicas,
      newReplicas,
      readyOld,
      readyNew,
      expected,
    ] of cases) {
      const h = bench();
      const oldRS = makeRS(h, 'foo-old', oldReplicas, {
        replicas: oldReplicas,
        availableReplicas: readyOld,
      });
      const newRS = makeRS(h, 'foo-new', newReplicas, {
        replicas: newReplicas,
        availableReplicas: readyNew,
      });
      const d = newDeployment(replicas, 0, unavailable);
      const scaled = h.deploymentController!.reconcileOldReplicaSets(
        [oldRS, newRS],
        [oldRS],
        newRS,
        d,
      );
      expect(scaled).toBe(expected !== undefined);
      expect(size(h, 'foo-old')).toBe(expected ?? oldReplicas);
    }
  });

  it('cleanupUnhealthyReplicas', () => {
    const cases: Array<[number, number, number, number]> = [
      // old replicas, ready, maxCleanupCount, expected cleaned up
      [10, 8, 1, 1],
      [10, 8, 3, 2],
      [10, 8, 0, 0],
      [10, 10, 3, 0],
    ];
    for (const [oldReplicas, ready, max, expected] of cases) {
      const h = bench();
      const oldRS = makeRS(h, 'foo-v2', oldReplicas, {
        replicas: oldReplicas,
        availableReplicas: ready,
      });
      const d = newDeployment(10, 2, 2);
      const { count } = h.deploymentController!.cleanupUnhealthyReplicas([oldRS], d, max);
      expect(count).toBe(expected);
      expect(size(h, 'foo-v2')).toBe(oldReplicas - expected);
    }
  });

  it('scaleDownOldReplicaSetsForRollingUpdate', () => {
    const cases: Array<[number, number, number, number, number | undefined]> = [
      // replicas, maxUnavailable, ready, old replicas, expected old size
      [10, 0, 10, 10, 9],
      [10, 2, 10, 10, 8],
      [10, 2, 8, 10, undefined],
      [10, 2, 10, 0, undefined],
      [10, 2, 1, 10, undefined],
    ];
    for (const [replicas, unavailable, ready, oldReplicas, expected] of cases) {
      const h = bench();
      const oldRS = makeRS(h, 'foo-v2', oldReplicas, {
        replicas: oldReplicas,
        availableReplicas: ready,
      });
      const d = newDeployment(replicas, 0, unavailable);
      const scaled = h.deploymentController!.scaleDownOldReplicaSetsForRollingUpdate(
        [oldRS],
        [oldRS],
        d,
      );
      expect(scaled > 0).toBe(expected !== undefined);
      expect(size(h, 'foo-v2')).toBe(expected ?? oldReplicas);
    }
  });
});

describe('recreate.go', () => {
  it('oldPodsRunning', () => {
    const rsWith = (uid: string, statusReplicas: number): ReplicaSet => ({
      metadata: { name: uid, uid },
      spec: { replicas: statusReplicas },
      status: { replicas: statusReplicas },
    });
    const pod = (phase: string): KubeObject => ({ metadata: { name: phase }, status: { phase } });
    const newRS = rsWith('new', 1);
    const cases: Array<
      [string, ReplicaSet | undefined, ReplicaSet[], Array<[string, KubeObject[]]>, boolean]
    > = [
      ['no old RSs', newRS, [], [], false],
      ['old RSs with running pods', newRS, [rsWith('old-1', 1), rsWith('old-2', 1)], [], true],
      [
        'old RSs without pods but with non-zero status replicas',
        newRS,
        [rsWith('old-1', 1)],
        [],
        true,
      ],
      ['old RSs without pods or non-zero status replicas', newRS, [rsWith('old-1', 0)], [], false],
      [
        'old RSs with zero status replicas but pods in terminal state are present',
        newRS,
        [rsWith('old-1', 0)],
        [['old-1', [pod('Failed'), pod('Succeeded')]]],
        false,
      ],
      [
        'old RSs with zero status replicas but pod in unknown phase present',
        newRS,
        [rsWith('old-1', 0)],
        [['old-1', [pod('Unknown')]]],
        true,
      ],
      [
        'old RSs with zero status replicas with pending pod present',
        newRS,
        [rsWith('old-1', 0)],
        [['old-1', [pod('Pending')]]],
        true,
      ],
      [
        'old RSs with zero status replicas with running pod present',
        newRS,
        [rsWith('old-1', 0)],
        [['old-1', [pod('Running')]]],
        true,
      ],
      [
        'old RSs with zero status replicas with only the new pods',
        newRS,
        [rsWith('old-1', 0)],
        [['new', [pod('Running')]]],
        false,
      ],
    ];
    for (const [name, n, old, map, expected] of cases) {
      expect(oldPodsRunning(n, old, new Map(map)), name).toBe(expected);
    }
  });
});

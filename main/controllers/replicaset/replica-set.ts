/**
 * The ReplicaSet controller, after pkg/controller/replicaset/replica_set.go (1.30): it keeps
 * `spec.replicas` active pods for each ReplicaSet — claiming (adopting and releasing) pods by
 * selector, creating missing ones from the template in slow-start batches of at most 500 and
 * deleting surplus ones in `ActivePodsWithRanks` order — and reports what it sees in `status`.
 * Expectations stop it acting twice on one decision before its informer has seen the result.
 *
 * A pod with a deletionTimestamp is not active: it no longer counts, so its replacement is made at
 * once, while the old pod is still terminating (the kubelet removes it later).
 */
import { deepEqual, type KubeObject, type OwnerReference } from '../../kube/objects';
import { labelSelectorAsSelector, type Selector } from '../../kube/labels';
import { findResource } from '../../kube/resources';
import { StatusError, isNamespaceTerminating, isNotFound } from '../../kube/status';
import type { Controller, ControllerContext } from '../runtime/manager';
import type { EventRecorder } from '../runtime/events';
import { keyOf, type Informer } from '../runtime/informer';
import type { WorkQueue } from '../runtime/queue';
import {
  claimObjects,
  controllerOf,
  isPodActive,
  isPodAvailable,
  isPodReady,
  podFromTemplate,
  podsPrefix,
  slowStartBatch,
  SLOW_START_INITIAL_BATCH_SIZE,
} from '../util/controller-util';
import { UidTrackingExpectations } from './expectations';
import { addOwnershipIndexes, claimCandidates, CONTROLLER_UID_INDEX } from './indexes';
import { getPodsToDelete } from './ranks';
import {
  FIELD_MANAGER,
  podKey,
  rsStatus,
  specReplicas,
  type ReplicaSet,
  type ReplicaSetCondition,
  type ReplicaSetStatus,
} from './types';

const podsType = findResource('', 'v1', 'pods')!;
const replicaSetsType = findResource('apps', 'v1', 'replicasets')!;

/** `BurstReplicas`: the most pods one sync creates or deletes. */
export const BURST_REPLICAS = 500;

/** Reasons of pkg/controller/controller_utils.go. */
export const FAILED_CREATE_POD_REASON = 'FailedCreate';
export const SUCCESSFUL_CREATE_POD_REASON = 'SuccessfulCreate';
export const FAILED_DELETE_POD_REASON = 'FailedDelete';
export const SUCCESSFUL_DELETE_POD_REASON = 'SuccessfulDelete';

/** `apps.ReplicaSetReplicaFailure`. */
export const REPLICA_FAILURE = 'ReplicaFailure';

export interface ReplicaSetControllerOptions {
  /** Pods created or deleted per sync at most (upstream `--replicaset burst`, 500). */
  readonly burstReplicas?: number;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Several errors as one (`utilerrors.NewAggregate`). */
class AggregateError extends Error {
  constructor(readonly errors: readonly unknown[]) {
    super(
      errors.length === 1 ? message(errors[0]) : `[${errors.map((e) => message(e)).join(', ')}]`,
    );
  }
}

/**
 * The status a ReplicaSet should report for its active, claimed pods (`calculateStatus` of
 * replica_set_utils.go): counts of pods, of pods carrying every template label, of Ready pods and
 * of pods Ready for minReadySeconds; and a ReplicaFailure condition while creating or deleting
 * fails (removed once it works again).
 */
export function calculateReplicaSetStatus(
  rs: ReplicaSet,
  pods: readonly KubeObject[],
  manageError: unknown,
  now: number,
  nowText: string,
): ReplicaSetStatus {
  const current = rsStatus(rs);
  const templateLabels = rs.spec.template?.metadata?.labels ?? {};
  const minReadySeconds = rs.spec.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of pods) {
    const labels = pod.metadata.labels ?? {};
    if (Object.entries(templateLabels).every(([k, v]) => labels[k] === v)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReadySeconds, now)) available++;
    }
  }
  let conditions = current.conditions;
  const failure = conditions.find((c) => c.type === REPLICA_FAILURE);
  if (manageError !== undefined && !failure) {
    const diff = pods.length - specReplicas(rs);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    const condition: ReplicaSetCondition = {
      type: REPLICA_FAILURE,
      status: 'True',
      lastTransitionTime: nowText,
      reason,
      message: message(manageError),
    };
    conditions = [...conditions.filter((c) => c.type !== REPLICA_FAILURE), condition];
  } else if (manageError === undefined && failure) {
    conditions = conditions.filter((c) => c.type !== REPLICA_FAILURE);
  }
  return {
    replicas: pods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: current.observedGeneration,
    conditions,
  };
}

/** The status as the API returns it: Go field order, zero values omitted but `replicas`. */
export function replicaSetStatusShape(status: ReplicaSetStatus): ReplicaSetStatus {
  const shaped: ReplicaSetStatus = { replicas: status.replicas ?? 0 };
  if (status.fullyLabeledReplicas) shaped.fullyLabeledReplicas = status.fullyLabeledReplicas;
  if (status.readyReplicas) shaped.readyReplicas = status.readyReplicas;
  if (status.availableReplicas) shaped.availableReplicas = status.availableReplicas;
  if (status.observedGeneration) shaped.observedGeneration = status.observedGeneration;
  if (status.conditions?.length) shaped.conditions = status.conditions;
  return shaped;
}

export class ReplicaSetController implements Controller {
  private readonly replicaSets: Informer;
  private readonly pods: Informer;
  private readonly queue: WorkQueue;
  private readonly recorder: EventRecorder;
  readonly expectations: UidTrackingExpectations;
  private readonly burstReplicas: number;

  constructor(
    private readonly ctx: ControllerContext,
    options: ReplicaSetControllerOptions = {},
  ) {
    this.burstReplicas = options.burstReplicas ?? BURST_REPLICAS;
    this.expectations = new UidTrackingExpectations(ctx.clock);
    this.recorder = ctx.recorder({ component: 'replicaset-controller' });
    this.replicaSets = ctx.informers.for(replicaSetsType);
    this.pods = ctx.informers.for(podsType);
    addOwnershipIndexes(this.replicaSets);
    addOwnershipIndexes(this.pods);
    this.queue = ctx.queue('replicaset', (key) => this.syncReplicaSet(key));
    this.replicaSets.addHandlers({
      add: (rs) => this.queue.add(keyOf(rs)),
      update: (old, cur) => {
        if (old.metadata.uid !== cur.metadata.uid) this.deleteReplicaSet(old);
        this.queue.add(keyOf(cur));
      },
      delete: (rs) => this.deleteReplicaSet(rs),
    });
    this.pods.addHandlers({
      add: (pod) => this.addPod(pod),
      update: (old, cur) => this.updatePod(old, cur),
      delete: (pod) => this.deletePod(pod),
    });
  }

  /** Informer handlers are registered in the constructor; the initial lists fill the queue. */
  start(): void {}

  stop(): void {}

  // -------------------------------------------------------------------------------------------
  // Event handlers (replica_set.go addRS/updateRS/deleteRS/addPod/updatePod/deletePod)

  private deleteReplicaSet(rs: KubeObject): void {
    const key = keyOf(rs);
    this.expectations.delete(key);
    this.queue.add(key);
  }

  /** `resolveControllerRef`: the ReplicaSet a controller reference names, if it still exists. */
  private resolveControllerRef(namespace: string, ref: OwnerReference): ReplicaSet | undefined {
    if (ref.kind !== 'ReplicaSet') return undefined;
    const rs = this.replicaSets.get(namespace, ref.name);
    return rs && rs.metadata.uid === ref.uid ? (rs as ReplicaSet) : undefined;
  }

  /** `GetPodReplicaSets`: ReplicaSets whose (non-empty) selector matches an orphan's labels. */
  private podReplicaSets(pod: KubeObject): ReplicaSet[] {
    const labels = pod.metadata.labels;
    if (!labels || Object.keys(labels).length === 0) return [];
    const out: ReplicaSet[] = [];
    for (const rs of this.replicaSets.list(pod.metadata.namespace ?? '') as ReplicaSet[]) {
      let selector: Selector;
      try {
        selector = labelSelectorAsSelector(rs.spec.selector);
      } catch {
        continue;
      }
      if (selector.empty || !selector.matches(labels)) continue;
      out.push(rs);
    }
    return out;
  }

  private addPod(pod: KubeObject): void {
    if (pod.metadata.deletionTimestamp) {
      // Already terminating (seen after a restart): not a creation to observe.
      this.deletePod(pod);
      return;
    }
    const ref = controllerOf(pod);
    if (ref) {
      const rs = this.resolveControllerRef(pod.metadata.namespace ?? '', ref);
      if (!rs) return;
      const key = keyOf(rs);
      this.expectations.creationObserved(key);
      this.queue.add(key);
      return;
    }
    for (const rs of this.podReplicaSets(pod)) this.queue.add(keyOf(rs));
  }

  private updatePod(old: KubeObject, cur: KubeObject): void {
    const labelChanged = !deepEqual(old.metadata.labels ?? {}, cur.metadata.labels ?? {});
    if (cur.metadata.deletionTimestamp) {
      // A graceful deletion began: count it as deleted now, so the replacement is made at once.
      this.deletePod(cur);
      if (labelChanged) this.deletePod(old);
      return;
    }
    const curRef = controllerOf(cur);
    const oldRef = controllerOf(old);
    const refChanged = !deepEqual(curRef, oldRef);
    const namespace = cur.metadata.namespace ?? '';
    if (refChanged && oldRef) {
      const rs = this.resolveControllerRef(namespace, oldRef);
      if (rs) this.queue.add(keyOf(rs));
    }
    if (curRef) {
      const rs = this.resolveControllerRef(namespace, curRef);
      if (!rs) return;
      this.queue.add(keyOf(rs));
      const minReadySeconds = rs.spec.minReadySeconds ?? 0;
      if (!isPodReady(old) && isPodReady(cur) && minReadySeconds > 0) {
        // Look again once the pod may have become available (a second more, as upstream).
        this.queue.addAfter(keyOf(rs), minReadySeconds * 1000 + 1000);
      }
      return;
    }
    if (labelChanged || refChanged) {
      for (const rs of this.podReplicaSets(cur)) this.queue.add(keyOf(rs));
    }
  }

  private deletePod(pod: KubeObject): void {
    const ref = controllerOf(pod);
    if (!ref) return;
    const rs = this.resolveControllerRef(pod.metadata.namespace ?? '', ref);
    if (!rs) return;
    const key = keyOf(rs);
    this.expectations.deletionObserved(key, podKey(pod));
    this.queue.add(key);
  }

  // -------------------------------------------------------------------------------------------
  // Sync (replica_set.go syncReplicaSet)

  /** `syncReplicaSet`: claim, create or delete if expectations allow, then report status. */
  syncReplicaSet(key: string): void {
    const rs = this.replicaSets.getByKey(key) as ReplicaSet | undefined;
    if (!rs) {
      this.expectations.delete(key);
      return;
    }
    const needsSync = this.expectations.satisfied(key);
    let selector: Selector;
    try {
      selector = labelSelectorAsSelector(rs.spec.selector);
    } catch (error) {
      this.ctx.log(`replicaset-controller: ${key}: invalid selector: ${message(error)}`);
      return;
    }
    const namespace = rs.metadata.namespace ?? '';
    const active = claimCandidates(this.pods, namespace, rs.metadata.uid ?? '').filter(isPodActive);
    const pods = this.claimPods(rs, selector, active);
    let manageError: unknown;
    if (needsSync && !rs.metadata.deletionTimestamp) {
      try {
        this.manageReplicas(pods, rs);
      } catch (error) {
        manageError = error;
      }
    }
    const now = this.ctx.clock.now();
    const status = calculateReplicaSetStatus(rs, pods, manageError, now, this.ctx.registry.now());
    const updated = this.updateStatus(rs, status);
    const minReadySeconds = updated.spec.minReadySeconds ?? 0;
    const after = rsStatus(updated);
    if (
      manageError === undefined &&
      minReadySeconds > 0 &&
      after.readyReplicas === specReplicas(updated) &&
      after.availableReplicas !== specReplicas(updated)
    ) {
      // A last line of defence against clock skew, as upstream: look again after minReadySeconds.
      this.queue.addAfter(key, minReadySeconds * 1000);
    }
    if (manageError !== undefined) throw manageError;
  }

  /**
   * `claimPods` (`PodControllerRefManager.ClaimPods`): keeps the pods this ReplicaSet controls and
   * selects, adopts selected orphans and releases controlled pods it no longer selects. The
   * first adoption re-reads the ReplicaSet uncached (`RecheckDeletionTimestamp`). Errors are
   * collected and thrown once every pod was looked at, like upstream's aggregate.
   */
  private claimPods(rs: ReplicaSet, selector: Selector, pods: readonly KubeObject[]): KubeObject[] {
    const errors: unknown[] = [];
    const namespace = rs.metadata.namespace ?? '';
    const name = rs.metadata.name ?? '';
    let canAdopt: boolean | undefined;
    const claimed = claimObjects(rs, selector, pods, {
      canAdopt: () => {
        if (canAdopt === undefined) {
          canAdopt = this.recheckDeletion(rs, errors);
        }
        return canAdopt;
      },
      adopt: (pod) => {
        try {
          return this.ctx.registry.modify(
            podsType,
            namespace,
            pod.metadata.name ?? '',
            (copy) => {
              if (copy.metadata.uid !== pod.metadata.uid) throw uidConflict(pod);
              const refs = (copy.metadata.ownerReferences ?? []).filter(
                (r) => r.uid !== rs.metadata.uid,
              );
              copy.metadata.ownerReferences = [...refs, ownerRef(rs)];
              return copy;
            },
            { fieldManager: FIELD_MANAGER },
          );
        } catch (error) {
          if (!isNotFound(error)) errors.push(error);
          return undefined;
        }
      },
      release: (pod) => {
        try {
          this.ctx.registry.modify(
            podsType,
            namespace,
            pod.metadata.name ?? '',
            (copy) => {
              if (copy.metadata.uid !== pod.metadata.uid) throw uidConflict(pod);
              const refs = (copy.metadata.ownerReferences ?? []).filter(
                (r) => r.uid !== rs.metadata.uid,
              );
              if (refs.length) copy.metadata.ownerReferences = refs;
              else delete copy.metadata.ownerReferences;
              return copy;
            },
            { fieldManager: FIELD_MANAGER },
          );
        } catch (error) {
          if (!isNotFound(error)) errors.push(error);
        }
      },
    });
    if (errors.length) {
      this.ctx.log(`replicaset-controller: ${namespace}/${name}: claiming pods failed`);
      throw new AggregateError(errors);
    }
    return claimed;
  }

  /** `RecheckDeletionTimestamp` on an uncached read of the ReplicaSet. */
  private recheckDeletion(rs: ReplicaSet, errors: unknown[]): boolean {
    const namespace = rs.metadata.namespace ?? '';
    const name = rs.metadata.name ?? '';
    try {
      const fresh = this.ctx.registry.get(replicaSetsType, namespace, name);
      if (fresh.metadata.uid !== rs.metadata.uid) {
        throw new Error(
          `original ReplicaSet ${namespace}/${name} is gone: got uid ${fresh.metadata.uid ?? ''}, wanted ${rs.metadata.uid ?? ''}`,
        );
      }
      if (fresh.metadata.deletionTimestamp) {
        throw new Error(
          `${namespace}/${name} has just been deleted at ${fresh.metadata.deletionTimestamp}`,
        );
      }
      return true;
    } catch (error) {
      errors.push(error);
      return false;
    }
  }

  /**
   * `manageReplicas`: creates the missing pods (at most `burstReplicas`, in slow-start batches
   * of 1, 2, 4 … stopping at the first failing batch) or deletes the surplus (at most
   * `burstReplicas`, first in `ActivePodsWithRanks` order among the pods of every ReplicaSet of
   * the same owner), recording expectations first.
   */
  private manageReplicas(pods: readonly KubeObject[], rs: ReplicaSet): void {
    const key = keyOf(rs);
    let diff = pods.length - specReplicas(rs);
    if (diff < 0) {
      diff = Math.min(-diff, this.burstReplicas);
      this.expectations.expectCreations(key, diff);
      const { successes, error } = slowStartBatch(diff, SLOW_START_INITIAL_BATCH_SIZE, () =>
        this.createPod(rs),
      );
      // Pods never attempted (or failed) will not be observed: stop expecting them.
      for (let i = successes; i < diff; i++) this.expectations.creationObserved(key);
      if (error !== undefined) throw error;
      return;
    }
    if (diff > 0) {
      diff = Math.min(diff, this.burstReplicas);
      const related = this.relatedPods(rs);
      const doomed = getPodsToDelete(pods, related, diff, this.ctx.clock.now());
      this.expectations.expectDeletions(key, doomed.map(podKey));
      const errors: unknown[] = [];
      for (const pod of doomed) {
        try {
          this.deletePodOf(rs, pod);
        } catch (error) {
          // The informer will not see this deletion: stop expecting it.
          this.expectations.deletionObserved(key, podKey(pod));
          if (!isNotFound(error)) errors.push(error);
        }
      }
      if (errors.length) throw errors[0];
    }
  }

  /** `RealPodControl.CreatePods`: a pod from the template, and its event. */
  private createPod(rs: ReplicaSet): void {
    const namespace = rs.metadata.namespace ?? '';
    const pod = podFromTemplate(rs.spec.template, rs, podsPrefix(rs.metadata.name ?? ''));
    if (!pod.metadata.labels || Object.keys(pod.metadata.labels).length === 0) {
      throw new Error('unable to create pods, no labels');
    }
    let created: KubeObject;
    try {
      created = this.ctx.registry.create(podsType, namespace, pod, { fieldManager: FIELD_MANAGER });
    } catch (error) {
      // A terminating namespace refuses every create: nothing to report, nothing to retry.
      if (isNamespaceTerminating(error)) return;
      this.recorder.event(
        rs,
        'Warning',
        FAILED_CREATE_POD_REASON,
        `Error creating: ${message(error)}`,
      );
      throw error;
    }
    this.recorder.event(
      rs,
      'Normal',
      SUCCESSFUL_CREATE_POD_REASON,
      `Created pod: ${created.metadata.name ?? ''}`,
    );
  }

  /** `RealPodControl.DeletePod`: a graceful delete, and its event. */
  private deletePodOf(rs: ReplicaSet, pod: KubeObject): void {
    const name = pod.metadata.name ?? '';
    try {
      this.ctx.registry.delete(podsType, pod.metadata.namespace ?? '', name, {});
    } catch (error) {
      if (isNotFound(error)) throw error;
      this.recorder.event(
        rs,
        'Warning',
        FAILED_DELETE_POD_REASON,
        `Error deleting: ${message(error)}`,
      );
      throw new Error(`unable to delete pods: ${message(error)}`);
    }
    this.recorder.event(rs, 'Normal', SUCCESSFUL_DELETE_POD_REASON, `Deleted pod: ${name}`);
  }

  /**
   * `getIndirectlyRelatedPods`: the pods selected by every ReplicaSet with the same controller as
   * this one (itself included), each once. None when the ReplicaSet has no controller.
   */
  private relatedPods(rs: ReplicaSet): KubeObject[] {
    const ref = controllerOf(rs);
    if (!ref) return [];
    const namespace = rs.metadata.namespace ?? '';
    const seen = new Set<string>();
    const out: KubeObject[] = [];
    const namespacePods = this.pods.list(namespace);
    for (const related of this.replicaSets.byIndex(CONTROLLER_UID_INDEX, ref.uid) as ReplicaSet[]) {
      if ((related.metadata.namespace ?? '') !== namespace) continue;
      let selector: Selector;
      try {
        selector = labelSelectorAsSelector(related.spec.selector);
      } catch {
        continue;
      }
      for (const pod of namespacePods) {
        if (!selector.matches(pod.metadata.labels)) continue;
        const uid = pod.metadata.uid ?? '';
        if (seen.has(uid)) continue;
        seen.add(uid);
        out.push(pod);
      }
    }
    return out;
  }

  /**
   * `updateReplicaSetStatus`: writes the status subresource unless nothing changed and the
   * generation was already observed; records the generation acted on.
   */
  private updateStatus(rs: ReplicaSet, status: ReplicaSetStatus): ReplicaSet {
    const current = rsStatus(rs);
    const generation = rs.metadata.generation ?? 0;
    if (
      current.replicas === status.replicas &&
      current.fullyLabeledReplicas === status.fullyLabeledReplicas &&
      current.readyReplicas === status.readyReplicas &&
      current.availableReplicas === status.availableReplicas &&
      generation === current.observedGeneration &&
      deepEqual(current.conditions, status.conditions ?? [])
    ) {
      return rs;
    }
    const shaped = replicaSetStatusShape({ ...status, observedGeneration: generation });
    return this.ctx.registry.modify(
      replicaSetsType,
      rs.metadata.namespace ?? '',
      rs.metadata.name ?? '',
      (copy) => {
        if (copy.metadata.uid !== rs.metadata.uid) throw uidConflict(rs);
        copy.status = shaped;
        return copy;
      },
      { subresource: 'status', fieldManager: FIELD_MANAGER },
    ) as ReplicaSet;
  }
}

function ownerRef(rs: ReplicaSet): OwnerReference {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    name: rs.metadata.name ?? '',
    uid: rs.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

function uidConflict(object: KubeObject): StatusError {
  return new StatusError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `Precondition failed: UID in precondition: ${object.metadata.uid ?? ''}, UID in object meta: `,
    reason: 'Conflict',
    code: 409,
  });
}

/**
 * The Deployment controller, after pkg/controller/deployment (1.30): deployment_controller.go
 * (handlers, syncDeployment, claiming ReplicaSets), sync.go (the new ReplicaSet, revisions,
 * proportional scaling, history cleanup, status), rolling.go, recreate.go, rollback.go (the
 * legacy `deprecated.deployment.rollback.to` annotation, still honoured by 1.30) and progress.go
 * (the Progressing condition and progressDeadlineSeconds on the injected clock).
 *
 * It never touches pods: it sizes ReplicaSets, and the ReplicaSet controller makes the pods.
 *
 * Deviation, everywhere a write happens: upstream sends each update with the resourceVersion of
 * the object it read and, when an earlier write of the same sync made that stale, gets a 409 and
 * retries the whole sync later (the familiar "the object has been modified" log line). Here
 * writes are read-modify-write on the current object (Registry.modify), so the outcome upstream
 * converges to is reached without the retry.
 */
import { deepCopy, deepEqual, type KubeObject, type OwnerReference } from '../../kube/objects';
import { labelSelectorAsSelector, type Selector } from '../../kube/labels';
import { findResource } from '../../kube/resources';
import { isAlreadyExists, isNamespaceTerminating, isNotFound } from '../../kube/status';
import type { Controller, ControllerContext } from '../runtime/manager';
import type { EventRecorder } from '../runtime/events';
import { keyOf, type Informer } from '../runtime/informer';
import type { WorkQueue } from '../runtime/queue';
import { claimObjects, computeHash, controllerOf, newControllerRef } from '../util/controller-util';
import { addOwnershipIndexes, claimCandidates, CONTROLLER_UID_INDEX } from '../replicaset/indexes';
import { REPLICA_FAILURE } from '../replicaset/replica-set';
import {
  byCreationTimestamp,
  filterActiveReplicaSets,
  FIELD_MANAGER,
  POD_TEMPLATE_HASH_LABEL,
  rsStatus,
  specReplicas,
  timeOf,
  type Deployment,
  type DeploymentCondition,
  type DeploymentStatus,
  type ReplicaSet,
} from '../replicaset/types';
import {
  actualReplicaCount,
  availableReplicaCount,
  cloneSelectorAndAddLabel,
  DEPLOYMENT_AVAILABLE,
  DEPLOYMENT_PROGRESSING,
  DEPRECATED_ROLLBACK_TO_ANNOTATION,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  desiredReplicasAnnotation,
  equalIgnoreHash,
  FAILED_RS_CREATE_REASON,
  findActiveOrLatest,
  findNewReplicaSet,
  findOldReplicaSets,
  FOUND_NEW_RS_REASON,
  getDeploymentCondition,
  hasProgressDeadline,
  hasRevisionHistoryLimit,
  isRollingUpdate,
  isSaturated,
  lastRevision,
  maxRevision,
  maxSurge,
  maxUnavailable,
  MINIMUM_REPLICAS_AVAILABLE,
  MINIMUM_REPLICAS_UNAVAILABLE,
  NEW_REPLICA_SET_REASON,
  NEW_RS_AVAILABLE_REASON,
  newDeploymentCondition,
  newRSNewReplicas,
  PAUSED_DEPLOY_REASON,
  proportionalScale,
  readyReplicaCount,
  removeDeploymentCondition,
  REPLICA_SET_UPDATED_REASON,
  replicaCount,
  replicasAnnotationsNeedUpdate,
  replicaSetToDeploymentCondition,
  RESUMED_DEPLOY_REASON,
  REVISION_ANNOTATION,
  revisionOf,
  ROLLBACK_DONE,
  ROLLBACK_REVISION_NOT_FOUND,
  ROLLBACK_TEMPLATE_UNCHANGED,
  setDeploymentAnnotationsTo,
  setDeploymentCondition,
  setDeploymentRevision,
  setFromReplicaSetTemplate,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  TIMED_OUT_REASON,
} from './deployment-util';

const deploymentsType = findResource('apps', 'v1', 'deployments')!;
const replicaSetsType = findResource('apps', 'v1', 'replicasets')!;
const podsType = findResource('', 'v1', 'pods')!;

/** The event reason of every ReplicaSet resize. */
export const SCALING_REPLICA_SET = 'ScalingReplicaSet';

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The status as the API returns it: Go field order, every zero omitted (`collisionCount` is a
 * pointer: kept once set, even at 0).
 */
export function deploymentStatusShape(status: DeploymentStatus): DeploymentStatus {
  const shaped: DeploymentStatus = {};
  if (status.observedGeneration) shaped.observedGeneration = status.observedGeneration;
  if (status.replicas) shaped.replicas = status.replicas;
  if (status.updatedReplicas) shaped.updatedReplicas = status.updatedReplicas;
  if (status.readyReplicas) shaped.readyReplicas = status.readyReplicas;
  if (status.availableReplicas) shaped.availableReplicas = status.availableReplicas;
  if (status.unavailableReplicas) shaped.unavailableReplicas = status.unavailableReplicas;
  if (status.conditions?.length) shaped.conditions = status.conditions;
  if (typeof status.collisionCount === 'number') shaped.collisionCount = status.collisionCount;
  return shaped;
}

/**
 * `calculateStatus` (sync.go): counts summed over the ReplicaSets (updated = the new one's),
 * the conditions carried over, and Available set from whether at least replicas -
 * maxUnavailable are available.
 */
export function calculateDeploymentStatus(
  allRSs: readonly (ReplicaSet | undefined)[],
  newRS: ReplicaSet | undefined,
  d: Deployment,
  now: string,
): DeploymentStatus {
  const available = availableReplicaCount(allRSs);
  const unavailable = Math.max(0, replicaCount(allRSs) - available);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: actualReplicaCount(allRSs),
    updatedReplicas: actualReplicaCount([newRS]),
    readyReplicas: readyReplicaCount(allRSs),
    availableReplicas: available,
    unavailableReplicas: unavailable,
    conditions: [...(d.status?.conditions ?? [])],
  };
  if (typeof d.status?.collisionCount === 'number') status.collisionCount = d.status.collisionCount;
  if (available >= specReplicas(d) - maxUnavailable(d)) {
    setDeploymentCondition(
      status,
      newDeploymentCondition(
        DEPLOYMENT_AVAILABLE,
        'True',
        MINIMUM_REPLICAS_AVAILABLE,
        'Deployment has minimum availability.',
        now,
      ),
    );
  } else {
    setDeploymentCondition(
      status,
      newDeploymentCondition(
        DEPLOYMENT_AVAILABLE,
        'False',
        MINIMUM_REPLICAS_UNAVAILABLE,
        'Deployment does not have minimum availability.',
        now,
      ),
    );
  }
  return deploymentStatusShape(status);
}

/** `getRollbackTo`: the revision of the legacy rollback annotation (0 = the previous one). */
export function getRollbackTo(d: Deployment): number | undefined {
  const value = d.metadata.annotations?.[DEPRECATED_ROLLBACK_TO_ANNOTATION];
  if (!value || !/^[+-]?\d+$/.test(value)) return undefined;
  return Number(value);
}

/** `ReplicaSetsByRevision`: by revision, creation time (then name) when equal or unparsable. */
function byRevision(a: ReplicaSet, b: ReplicaSet): number {
  const ra = revisionOf(a);
  const rb = revisionOf(b);
  if (ra === undefined || rb === undefined || ra === rb) return byCreationTimestamp(a, b);
  return ra - rb;
}

export class DeploymentController implements Controller {
  private readonly deployments: Informer;
  private readonly replicaSets: Informer;
  private readonly pods: Informer;
  readonly queue: WorkQueue;
  private readonly recorder: EventRecorder;

  constructor(private readonly ctx: ControllerContext) {
    this.recorder = ctx.recorder({ component: 'deployment-controller' });
    this.deployments = ctx.informers.for(deploymentsType);
    this.replicaSets = ctx.informers.for(replicaSetsType);
    this.pods = ctx.informers.for(podsType);
    addOwnershipIndexes(this.replicaSets);
    addOwnershipIndexes(this.pods);
    this.queue = ctx.queue('deployment', (key) => this.syncDeployment(key));
    this.deployments.addHandlers({
      add: (d) => this.queue.add(keyOf(d)),
      update: (_, d) => this.queue.add(keyOf(d)),
      delete: (d) => this.queue.add(keyOf(d)),
    });
    this.replicaSets.addHandlers({
      add: (rs) => this.addReplicaSet(rs as ReplicaSet),
      update: (old, cur) => this.updateReplicaSet(old as ReplicaSet, cur as ReplicaSet),
      delete: (rs) => this.deleteReplicaSet(rs as ReplicaSet),
    });
    this.pods.addHandlers({ delete: (pod) => this.deletePod(pod) });
  }

  /** Informer handlers are registered in the constructor; the initial lists fill the queue. */
  start(): void {}

  stop(): void {}

  // -------------------------------------------------------------------------------------------
  // Event handlers (deployment_controller.go)

  /** `resolveControllerRef`. */
  private resolveControllerRef(namespace: string, ref: OwnerReference): Deployment | undefined {
    if (ref.kind !== 'Deployment') return undefined;
    const d = this.deployments.get(namespace, ref.name);
    return d && d.metadata.uid === ref.uid ? (d as Deployment) : undefined;
  }

  /** `GetDeploymentsForReplicaSet`: Deployments whose (non-empty) selector matches an orphan. */
  private deploymentsForReplicaSet(rs: ReplicaSet): Deployment[] {
    const labels = rs.metadata.labels;
    if (!labels || Object.keys(labels).length === 0) return [];
    const out: Deployment[] = [];
    for (const d of this.deployments.list(rs.metadata.namespace ?? '') as Deployment[]) {
      let selector: Selector;
      try {
        selector = labelSelectorAsSelector(d.spec.selector);
      } catch {
        continue;
      }
      if (selector.empty || !selector.matches(labels)) continue;
      out.push(d);
    }
    return out;
  }

  private addReplicaSet(rs: ReplicaSet): void {
    if (rs.metadata.deletionTimestamp) {
      this.deleteReplicaSet(rs);
      return;
    }
    const ref = controllerOf(rs);
    if (ref) {
      const d = this.resolveControllerRef(rs.metadata.namespace ?? '', ref);
      if (d) this.queue.add(keyOf(d));
      return;
    }
    for (const d of this.deploymentsForReplicaSet(rs)) this.queue.add(keyOf(d));
  }

  private updateReplicaSet(old: ReplicaSet, cur: ReplicaSet): void {
    const curRef = controllerOf(cur);
    const oldRef = controllerOf(old);
    const refChanged = !deepEqual(curRef, oldRef);
    const namespace = cur.metadata.namespace ?? '';
    if (refChanged && oldRef) {
      const d = this.resolveControllerRef(namespace, oldRef);
      if (d) this.queue.add(keyOf(d));
    }
    if (curRef) {
      const d = this.resolveControllerRef(namespace, curRef);
      if (d) this.queue.add(keyOf(d));
      return;
    }
    const labelChanged = !deepEqual(cur.metadata.labels ?? {}, old.metadata.labels ?? {});
    if (labelChanged || refChanged) {
      for (const d of this.deploymentsForReplicaSet(cur)) this.queue.add(keyOf(d));
    }
  }

  private deleteReplicaSet(rs: ReplicaSet): void {
    const ref = controllerOf(rs);
    if (!ref) return;
    const d = this.resolveControllerRef(rs.metadata.namespace ?? '', ref);
    if (d) this.queue.add(keyOf(d));
  }

  /** `deletePod`: wakes a Recreate Deployment once the last of its pods is gone. */
  private deletePod(pod: KubeObject): void {
    const d = this.deploymentForPod(pod);
    if (!d || d.spec.strategy?.type !== 'Recreate') return;
    let selector: Selector;
    try {
      selector = labelSelectorAsSelector(d.spec.selector);
    } catch {
      return;
    }
    const owned = (
      this.replicaSets.byIndex(CONTROLLER_UID_INDEX, d.metadata.uid ?? '') as ReplicaSet[]
    )
      .filter((rs) => rs.metadata.namespace === d.metadata.namespace)
      .filter((rs) => selector.matches(rs.metadata.labels));
    let count = 0;
    for (const list of this.podMap(d, owned).values()) count += list.length;
    if (count === 0) this.queue.add(keyOf(d));
  }

  /** `getDeploymentForPod`: the Deployment controlling the ReplicaSet controlling a pod. */
  private deploymentForPod(pod: KubeObject): Deployment | undefined {
    const ref = controllerOf(pod);
    if (!ref || ref.kind !== 'ReplicaSet') return undefined;
    const rs = this.replicaSets.get(pod.metadata.namespace ?? '', ref.name);
    if (!rs || rs.metadata.uid !== ref.uid) return undefined;
    const rsRef = controllerOf(rs);
    return rsRef ? this.resolveControllerRef(rs.metadata.namespace ?? '', rsRef) : undefined;
  }

  // -------------------------------------------------------------------------------------------
  // syncDeployment (deployment_controller.go)

  /**
   * `syncDeployment`: status only while being deleted; paused → scale only; a legacy rollback
   * annotation → rollback; a resize → proportional scaling; otherwise roll out by strategy.
   */
  syncDeployment(key: string): void {
    const cached = this.deployments.getByKey(key) as Deployment | undefined;
    if (!cached) return;
    const d = deepCopy(cached);
    const selector = d.spec.selector;
    if (
      selector !== undefined &&
      selector.matchLabels === undefined &&
      selector.matchExpressions === undefined
    ) {
      this.recorder.event(
        d,
        'Warning',
        'SelectingAll',
        'This deployment is selecting all pods. A non-empty selector is required.',
      );
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        d.status = { ...d.status, observedGeneration: d.metadata.generation ?? 0 };
        this.updateDeploymentStatus(d);
      }
      return;
    }
    const rsList = this.getReplicaSetsForDeployment(d);
    if (d.metadata.deletionTimestamp) {
      this.syncStatusOnly(d, rsList);
      return;
    }
    this.checkPausedConditions(d);
    if (d.spec.paused) {
      this.sync(d, rsList);
      return;
    }
    if (getRollbackTo(d) !== undefined) {
      this.rollback(d, rsList);
      return;
    }
    if (this.isScalingEvent(d, rsList)) {
      this.sync(d, rsList);
      return;
    }
    switch (d.spec.strategy?.type) {
      case 'Recreate':
        this.rolloutRecreate(d, rsList, this.podMap(d, rsList));
        return;
      case 'RollingUpdate':
        this.rolloutRolling(d, rsList);
        return;
    }
    throw new Error(`unexpected deployment strategy type: ${String(d.spec.strategy?.type)}`);
  }

  /**
   * `getReplicaSetsForDeployment`: the ReplicaSets this Deployment controls and selects, after
   * adopting selected orphans and releasing the ones it no longer selects; oldest first.
   */
  private getReplicaSetsForDeployment(d: Deployment): ReplicaSet[] {
    const namespace = d.metadata.namespace ?? '';
    let selector: Selector;
    try {
      selector = labelSelectorAsSelector(d.spec.selector);
    } catch (error) {
      throw new Error(
        `deployment ${namespace}/${d.metadata.name ?? ''} has invalid label selector: ${message(error)}`,
      );
    }
    const errors: unknown[] = [];
    let canAdopt: boolean | undefined;
    const claimed = claimObjects(
      d,
      selector,
      claimCandidates(this.replicaSets, namespace, d.metadata.uid ?? ''),
      {
        canAdopt: () => (canAdopt ??= this.recheckDeletion(d, errors)),
        adopt: (rs) => this.patchOwnerReferences(rs, d, true, errors),
        release: (rs) => {
          this.patchOwnerReferences(rs, d, false, errors);
        },
      },
    ) as ReplicaSet[];
    if (errors.length) throw errors[0];
    return claimed.sort(byCreationTimestamp);
  }

  /** `RecheckDeletionTimestamp` on an uncached read of the Deployment. */
  private recheckDeletion(d: Deployment, errors: unknown[]): boolean {
    const namespace = d.metadata.namespace ?? '';
    const name = d.metadata.name ?? '';
    try {
      const fresh = this.ctx.registry.get(deploymentsType, namespace, name);
      if (fresh.metadata.uid !== d.metadata.uid) {
        throw new Error(
          `original Deployment ${namespace}/${name} is gone: got uid ${fresh.metadata.uid ?? ''}, wanted ${d.metadata.uid ?? ''}`,
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

  /** AdoptReplicaSet / ReleaseReplicaSet: adds or removes the Deployment's owner reference. */
  private patchOwnerReferences(
    rs: KubeObject,
    d: Deployment,
    adopt: boolean,
    errors: unknown[],
  ): KubeObject | undefined {
    try {
      return this.ctx.registry.modify(
        replicaSetsType,
        rs.metadata.namespace ?? '',
        rs.metadata.name ?? '',
        (copy) => {
          if (copy.metadata.uid !== rs.metadata.uid) {
            throw new Error(`ReplicaSet ${rs.metadata.name ?? ''} was replaced`);
          }
          const refs = (copy.metadata.ownerReferences ?? []).filter(
            (r) => r.uid !== d.metadata.uid,
          );
          if (adopt) refs.push(newControllerRef(d));
          if (refs.length) copy.metadata.ownerReferences = refs;
          else delete copy.metadata.ownerReferences;
          return copy;
        },
        { fieldManager: FIELD_MANAGER },
      );
    } catch (error) {
      if (!isNotFound(error)) errors.push(error);
      return undefined;
    }
  }

  /**
   * `getPodMapForDeployment`: the Deployment's pods (by its selector) grouped by the UID of the
   * ReplicaSet in `rsList` controlling them, inactive ones included (Recreate must see every
   * old pod gone).
   */
  private podMap(d: Deployment, rsList: readonly ReplicaSet[]): Map<string, KubeObject[]> {
    const map = new Map<string, KubeObject[]>();
    let selector: Selector;
    try {
      selector = labelSelectorAsSelector(d.spec.selector);
    } catch {
      return map;
    }
    for (const rs of rsList) {
      const uid = rs.metadata.uid ?? '';
      map.set(
        uid,
        this.pods
          .byIndex(CONTROLLER_UID_INDEX, uid)
          .filter(
            (pod) =>
              pod.metadata.namespace === d.metadata.namespace &&
              selector.matches(pod.metadata.labels),
          ),
      );
    }
    return map;
  }

  // -------------------------------------------------------------------------------------------
  // sync.go

  /** `syncStatusOnly`: the status, nothing else (a Deployment being deleted). */
  private syncStatusOnly(d: Deployment, rsList: ReplicaSet[]): void {
    const { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    this.syncDeploymentStatus([...oldRSs, newRS], newRS, d);
  }

  /** `sync`: scaling events and paused Deployments — resize, clean up history when paused. */
  private sync(d: Deployment, rsList: ReplicaSet[]): void {
    const { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    this.scale(d, newRS, oldRSs);
    if (d.spec.paused && getRollbackTo(d) === undefined) this.cleanupDeployment(oldRSs, d);
    this.syncDeploymentStatus([...oldRSs, newRS], newRS, d);
  }

  /**
   * `checkPausedConditions`: Progressing Unknown `DeploymentPaused` on pause and
   * `DeploymentResumed` on resume, so time spent paused never counts against the deadline;
   * never over a ProgressDeadlineExceeded.
   */
  private checkPausedConditions(d: Deployment): void {
    if (!hasProgressDeadline(d)) return;
    const cond = getDeploymentCondition(d.status, DEPLOYMENT_PROGRESSING);
    if (cond && cond.reason === TIMED_OUT_REASON) return;
    const pausedCondExists = cond !== undefined && cond.reason === PAUSED_DEPLOY_REASON;
    const status = (d.status ??= {});
    const now = this.ctx.registry.now();
    if (d.spec.paused && !pausedCondExists) {
      setDeploymentCondition(
        status,
        newDeploymentCondition(
          DEPLOYMENT_PROGRESSING,
          'Unknown',
          PAUSED_DEPLOY_REASON,
          'Deployment is paused',
          now,
        ),
      );
    } else if (!d.spec.paused && pausedCondExists) {
      setDeploymentCondition(
        status,
        newDeploymentCondition(
          DEPLOYMENT_PROGRESSING,
          'Unknown',
          RESUMED_DEPLOY_REASON,
          'Deployment is resumed',
          now,
        ),
      );
    } else {
      return;
    }
    this.updateDeploymentStatus(d);
  }

  /**
   * `getAllReplicaSetsAndSyncRevision`: the new ReplicaSet (created when asked and missing) with
   * its revision brought to max(old) + 1, and every old one.
   */
  private getAllReplicaSetsAndSyncRevision(
    d: Deployment,
    rsList: ReplicaSet[],
    createIfNotExisted: boolean,
  ): { newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] } {
    const { all: oldRSs } = findOldReplicaSets(d, rsList);
    const newRS = this.getNewReplicaSet(d, rsList, oldRSs, createIfNotExisted);
    return { newRS, oldRSs };
  }

  /**
   * `getNewReplicaSet`: syncs an existing new ReplicaSet's annotations and minReadySeconds and
   * the Deployment's revision (and a first Progressing condition, `FoundNewReplicaSet`); or
   * creates it: named `<deployment>-<pod-template-hash>`, the hash (of the template and
   * collisionCount) added to its selector and template labels, replicas from NewRSNewReplicas.
   * A name taken by a ReplicaSet that is not this template's bumps `status.collisionCount`.
   */
  private getNewReplicaSet(
    d: Deployment,
    rsList: ReplicaSet[],
    oldRSs: ReplicaSet[],
    createIfNotExisted: boolean,
  ): ReplicaSet | undefined {
    const existing = findNewReplicaSet(d, rsList);
    const newRevision = String(maxRevision(oldRSs) + 1);
    const namespace = d.metadata.namespace ?? '';
    const now = this.ctx.registry.now();
    if (existing) {
      const rsCopy = deepCopy(existing);
      const annotationsUpdated = setNewReplicaSetAnnotations(d, rsCopy, newRevision, true);
      const minReadySecondsNeedsUpdate =
        (rsCopy.spec.minReadySeconds ?? 0) !== (d.spec.minReadySeconds ?? 0);
      if (annotationsUpdated || minReadySecondsNeedsUpdate) {
        if (d.spec.minReadySeconds) rsCopy.spec.minReadySeconds = d.spec.minReadySeconds;
        else delete rsCopy.spec.minReadySeconds;
        return this.writeReplicaSet(rsCopy);
      }
      let needsUpdate = setDeploymentRevision(
        d,
        rsCopy.metadata.annotations?.[REVISION_ANNOTATION] ?? '',
      );
      const cond = getDeploymentCondition(d.status, DEPLOYMENT_PROGRESSING);
      if (hasProgressDeadline(d) && !cond) {
        setDeploymentCondition(
          (d.status ??= {}),
          newDeploymentCondition(
            DEPLOYMENT_PROGRESSING,
            'True',
            FOUND_NEW_RS_REASON,
            `Found new replica set ${JSON.stringify(rsCopy.metadata.name ?? '')}`,
            now,
          ),
        );
        needsUpdate = true;
      }
      if (needsUpdate) this.updateDeploymentStatus(d);
      return rsCopy;
    }
    if (!createIfNotExisted) return undefined;

    const template = deepCopy(d.spec.template ?? {});
    const hash = computeHash(d.spec.template ?? {}, d.status?.collisionCount);
    const labels = {
      ...(d.spec.template?.metadata?.labels ?? {}),
      [POD_TEMPLATE_HASH_LABEL]: hash,
    };
    template.metadata = { ...(template.metadata ?? {}), labels };
    const name = `${d.metadata.name ?? ''}-${hash}`;
    const newRS: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace,
        ownerReferences: [newControllerRef(d)],
        labels: { ...labels },
      },
      spec: {
        replicas: 0,
        ...(d.spec.minReadySeconds ? { minReadySeconds: d.spec.minReadySeconds } : {}),
        selector: cloneSelectorAndAddLabel(d.spec.selector, POD_TEMPLATE_HASH_LABEL, hash),
        template,
      },
    };
    const newReplicasCount = newRSNewReplicas(d, [...oldRSs, newRS], newRS);
    newRS.spec.replicas = newReplicasCount;
    setNewReplicaSetAnnotations(d, newRS, newRevision, false);

    let created: ReplicaSet;
    let alreadyExists = false;
    try {
      created = this.ctx.registry.create(replicaSetsType, namespace, newRS, {
        fieldManager: FIELD_MANAGER,
      }) as ReplicaSet;
    } catch (error) {
      if (isAlreadyExists(error)) {
        alreadyExists = true;
        const rs = this.replicaSets.get(namespace, name) as ReplicaSet | undefined;
        if (!rs) throw error;
        const ref = controllerOf(rs);
        if (
          ref &&
          ref.uid === d.metadata.uid &&
          equalIgnoreHash(d.spec.template, rs.spec.template)
        ) {
          created = rs;
        } else {
          // A hash collision: count it, so the next sync hashes differently.
          const status = (d.status ??= {});
          status.collisionCount = (status.collisionCount ?? 0) + 1;
          this.updateDeploymentStatus(d);
          throw error;
        }
      } else if (isNamespaceTerminating(error)) {
        throw error;
      } else {
        const msg = `Failed to create new replica set ${JSON.stringify(name)}: ${message(error)}`;
        if (hasProgressDeadline(d)) {
          setDeploymentCondition(
            (d.status ??= {}),
            newDeploymentCondition(
              DEPLOYMENT_PROGRESSING,
              'False',
              FAILED_RS_CREATE_REASON,
              msg,
              now,
            ),
          );
          try {
            this.updateDeploymentStatus(d);
          } catch {
            // The bigger problem is being reported.
          }
        }
        this.recorder.event(d, 'Warning', FAILED_RS_CREATE_REASON, msg);
        throw error;
      }
    }
    if (!alreadyExists && newReplicasCount > 0) {
      this.recorder.event(
        d,
        'Normal',
        SCALING_REPLICA_SET,
        `Scaled up replica set ${created.metadata.name ?? ''} to ${newReplicasCount}`,
      );
    }
    let needsUpdate = setDeploymentRevision(d, newRevision);
    if (!alreadyExists && hasProgressDeadline(d)) {
      setDeploymentCondition(
        (d.status ??= {}),
        newDeploymentCondition(
          DEPLOYMENT_PROGRESSING,
          'True',
          NEW_REPLICA_SET_REASON,
          `Created new replica set ${JSON.stringify(created.metadata.name ?? '')}`,
          now,
        ),
      );
      needsUpdate = true;
    }
    if (needsUpdate) this.updateDeploymentStatus(d);
    return created;
  }

  /**
   * `scale`: one active (or, with none, the newest) ReplicaSet takes the Deployment's replicas;
   * a saturated new ReplicaSet leaves old ones at 0; otherwise a rolling Deployment's change of
   * size is spread over its active ReplicaSets in proportion (`proportionalScale`).
   */
  scale(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): void {
    // FindActiveOrLatest sorts the caller's old ReplicaSets newest first, upstream: so do we.
    oldRSs.sort((a, b) => byCreationTimestamp(b, a));
    const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
    if (activeOrLatest) {
      if (specReplicas(activeOrLatest) === specReplicas(d)) return;
      this.scaleReplicaSetAndRecordEvent(activeOrLatest, specReplicas(d), d);
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const old of filterActiveReplicaSets(oldRSs)) {
        this.scaleReplicaSetAndRecordEvent(old, 0, d);
      }
      return;
    }
    if (isRollingUpdate(d)) {
      for (const step of proportionalScale(d, newRS, oldRSs)) {
        this.scaleReplicaSet(step.rs, step.replicas, d, step.operation);
      }
    }
  }

  /** `scaleReplicaSetAndRecordEvent`: resizes when the size differs. */
  scaleReplicaSetAndRecordEvent(
    rs: ReplicaSet,
    newScale: number,
    d: Deployment,
  ): { scaled: boolean; rs: ReplicaSet } {
    if (specReplicas(rs) === newScale) return { scaled: false, rs };
    return this.scaleReplicaSet(rs, newScale, d, specReplicas(rs) < newScale ? 'up' : 'down');
  }

  /**
   * `scaleReplicaSet`: writes the size and the desired/max-replicas annotations when either
   * changed; a size change is a `ScalingReplicaSet` event, worded as 1.30 words it
   * ("Scaled up replica set web-… to 3 from 1": PR #101142; the "from 1 to 3" order is 1.31's).
   */
  private scaleReplicaSet(
    rs: ReplicaSet,
    newScale: number,
    d: Deployment,
    operation: string,
  ): { scaled: boolean; rs: ReplicaSet } {
    const replicas = specReplicas(d);
    const max = replicas + maxSurge(d);
    const sizeNeedsUpdate = specReplicas(rs) !== newScale;
    if (!sizeNeedsUpdate && !replicasAnnotationsNeedUpdate(rs, replicas, max)) {
      return { scaled: false, rs };
    }
    const oldScale = specReplicas(rs);
    const copy = deepCopy(rs);
    copy.spec.replicas = newScale;
    setReplicasAnnotations(copy, replicas, max);
    const updated = this.writeReplicaSet(copy);
    if (sizeNeedsUpdate) {
      this.recorder.event(
        d,
        'Normal',
        SCALING_REPLICA_SET,
        `Scaled ${operation} replica set ${updated.metadata.name ?? ''} to ${newScale} from ${oldScale}`,
      );
    }
    return { scaled: sizeNeedsUpdate, rs: updated };
  }

  /**
   * `cleanupDeployment`: deletes old ReplicaSets beyond revisionHistoryLimit, lowest revision
   * first, skipping any that still has (or may have) pods or is already going.
   */
  cleanupDeployment(oldRSs: readonly ReplicaSet[], d: Deployment): void {
    if (!hasRevisionHistoryLimit(d)) return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
    const diff = cleanable.length - (d.spec.revisionHistoryLimit ?? 0);
    if (diff <= 0) return;
    cleanable.sort(byRevision);
    for (let i = 0; i < diff; i++) {
      const rs = cleanable[i]!;
      const status = rsStatus(rs);
      if (
        status.replicas !== 0 ||
        specReplicas(rs) !== 0 ||
        (rs.metadata.generation ?? 0) > status.observedGeneration ||
        rs.metadata.deletionTimestamp
      ) {
        continue;
      }
      try {
        this.ctx.registry.delete(
          replicaSetsType,
          rs.metadata.namespace ?? '',
          rs.metadata.name ?? '',
        );
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
  }

  /** `syncDeploymentStatus`: writes the calculated status when it changed. */
  private syncDeploymentStatus(
    allRSs: readonly (ReplicaSet | undefined)[],
    newRS: ReplicaSet | undefined,
    d: Deployment,
  ): void {
    const status = calculateDeploymentStatus(allRSs, newRS, d, this.ctx.registry.now());
    if (deepEqual(deploymentStatusShape(d.status ?? {}), status)) return;
    d.status = status;
    this.updateDeploymentStatus(d);
  }

  /**
   * `isScalingEvent`: an active ReplicaSet's desired-replicas annotation differs from the
   * Deployment's replicas.
   */
  private isScalingEvent(d: Deployment, rsList: ReplicaSet[]): boolean {
    const { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    for (const rs of filterActiveReplicaSets([...oldRSs, newRS])) {
      const desired = desiredReplicasAnnotation(rs);
      if (desired === undefined) continue;
      if (desired !== specReplicas(d)) return true;
    }
    return false;
  }

  // -------------------------------------------------------------------------------------------
  // rolling.go

  /** `rolloutRolling`: scale the new ReplicaSet up if possible, else old ones down, then status. */
  private rolloutRolling(d: Deployment, rsList: ReplicaSet[]): void {
    const { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(d, rsList, true);
    const created = newRS!;
    const allRSs = [...oldRSs, created];
    if (this.reconcileNewReplicaSet(allRSs, created, d)) {
      this.syncRolloutStatus(allRSs, created, d);
      return;
    }
    if (this.reconcileOldReplicaSets(allRSs, filterActiveReplicaSets(oldRSs), created, d)) {
      this.syncRolloutStatus(allRSs, created, d);
      return;
    }
    if (deploymentComplete(d, d.status ?? {})) this.cleanupDeployment(oldRSs, d);
    this.syncRolloutStatus(allRSs, created, d);
  }

  /**
   * `reconcileNewReplicaSet`: down to replicas if above, else up as far as NewRSNewReplicas
   * allows. True when it resized.
   */
  reconcileNewReplicaSet(allRSs: readonly ReplicaSet[], newRS: ReplicaSet, d: Deployment): boolean {
    const replicas = specReplicas(d);
    if (specReplicas(newRS) === replicas) return false;
    if (specReplicas(newRS) > replicas) {
      return this.scaleReplicaSetAndRecordEvent(newRS, replicas, d).scaled;
    }
    return this.scaleReplicaSetAndRecordEvent(newRS, newRSNewReplicas(d, allRSs, newRS), d).scaled;
  }

  /**
   * `reconcileOldReplicaSets`: with `maxScaledDown = all pods - (replicas - maxUnavailable) -
   * the new ReplicaSet's unavailable pods` > 0, first drop old ReplicaSets' unavailable replicas
   * (`cleanupUnhealthyReplicas`), then scale old ones down while more than replicas -
   * maxUnavailable are available. True when it resized. Errors end it quietly, as upstream.
   */
  reconcileOldReplicaSets(
    allRSs: readonly ReplicaSet[],
    oldRSs: ReplicaSet[],
    newRS: ReplicaSet,
    d: Deployment,
  ): boolean {
    if (replicaCount(oldRSs) === 0) return false;
    const allPodsCount = replicaCount(allRSs);
    const minAvailable = specReplicas(d) - maxUnavailable(d);
    const newRSUnavailable = specReplicas(newRS) - rsStatus(newRS).availableReplicas;
    const maxScaledDown = allPodsCount - minAvailable - newRSUnavailable;
    if (maxScaledDown <= 0) return false;
    let cleaned: { oldRSs: ReplicaSet[]; count: number };
    try {
      cleaned = this.cleanupUnhealthyReplicas(oldRSs, d, maxScaledDown);
    } catch (error) {
      this.ctx.log(`deployment-controller: ${keyOf(d)}: ${message(error)}`);
      return false;
    }
    let scaledDown: number;
    try {
      scaledDown = this.scaleDownOldReplicaSetsForRollingUpdate(
        [...cleaned.oldRSs, newRS],
        cleaned.oldRSs,
        d,
      );
    } catch (error) {
      this.ctx.log(`deployment-controller: ${keyOf(d)}: ${message(error)}`);
      return false;
    }
    return cleaned.count + scaledDown > 0;
  }

  /**
   * `cleanupUnhealthyReplicas`: oldest first, removes old ReplicaSets' replicas that are not
   * available, at most `maxCleanupCount` in all.
   */
  cleanupUnhealthyReplicas(
    oldRSs: ReplicaSet[],
    d: Deployment,
    maxCleanupCount: number,
  ): { oldRSs: ReplicaSet[]; count: number } {
    oldRSs.sort(byCreationTimestamp);
    let total = 0;
    for (let i = 0; i < oldRSs.length; i++) {
      if (total >= maxCleanupCount) break;
      const target = oldRSs[i]!;
      const replicas = specReplicas(target);
      if (replicas === 0) continue;
      const available = rsStatus(target).availableReplicas;
      if (replicas === available) continue;
      const count = Math.min(maxCleanupCount - total, replicas - available);
      const newReplicas = replicas - count;
      if (newReplicas > replicas) {
        throw new Error(
          `when cleaning up unhealthy replicas, got invalid request to scale down ${keyOf(target)} ${replicas} -> ${newReplicas}`,
        );
      }
      const { rs } = this.scaleReplicaSetAndRecordEvent(target, newReplicas, d);
      total += count;
      oldRSs[i] = rs;
    }
    return { oldRSs, count: total };
  }

  /**
   * `scaleDownOldReplicaSetsForRollingUpdate`: oldest first, removes available replicas of old
   * ReplicaSets down to replicas - maxUnavailable available in all.
   */
  scaleDownOldReplicaSetsForRollingUpdate(
    allRSs: readonly ReplicaSet[],
    oldRSs: ReplicaSet[],
    d: Deployment,
  ): number {
    const minAvailable = specReplicas(d) - maxUnavailable(d);
    const availablePodCount = availableReplicaCount(allRSs);
    if (availablePodCount <= minAvailable) return 0;
    oldRSs.sort(byCreationTimestamp);
    let total = 0;
    const totalScaleDownCount = availablePodCount - minAvailable;
    for (const target of oldRSs) {
      if (total >= totalScaleDownCount) break;
      const replicas = specReplicas(target);
      if (replicas === 0) continue;
      const count = Math.min(replicas, totalScaleDownCount - total);
      this.scaleReplicaSetAndRecordEvent(target, replicas - count, d);
      total += count;
    }
    return total;
  }

  // -------------------------------------------------------------------------------------------
  // recreate.go

  /**
   * `rolloutRecreate`: scale every old ReplicaSet to 0; wait until none of their pods is left
   * running (terminating ones count); only then create the new ReplicaSet and scale it up.
   */
  private rolloutRecreate(
    d: Deployment,
    rsList: ReplicaSet[],
    podMap: Map<string, KubeObject[]>,
  ): void {
    let { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    let allRSs: (ReplicaSet | undefined)[] = [...oldRSs, newRS];
    const activeOldRSs = filterActiveReplicaSets(oldRSs);
    if (this.scaleDownOldReplicaSetsForRecreate(activeOldRSs, d)) {
      this.syncRolloutStatus(allRSs, newRS, d);
      return;
    }
    if (oldPodsRunning(newRS, oldRSs, podMap)) {
      this.syncRolloutStatus(allRSs, newRS, d);
      return;
    }
    if (!newRS) {
      ({ newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(d, rsList, true));
      allRSs = [...oldRSs, newRS];
    }
    this.scaleReplicaSetAndRecordEvent(newRS!, specReplicas(d), d);
    if (deploymentComplete(d, d.status ?? {})) this.cleanupDeployment(oldRSs, d);
    this.syncRolloutStatus(allRSs, newRS, d);
  }

  /** `scaleDownOldReplicaSetsForRecreate`: every old ReplicaSet to 0; true if any changed. */
  private scaleDownOldReplicaSetsForRecreate(oldRSs: ReplicaSet[], d: Deployment): boolean {
    let scaled = false;
    for (let i = 0; i < oldRSs.length; i++) {
      const rs = oldRSs[i]!;
      if (specReplicas(rs) === 0) continue;
      const result = this.scaleReplicaSetAndRecordEvent(rs, 0, d);
      if (result.scaled) {
        oldRSs[i] = result.rs;
        scaled = true;
      }
    }
    return scaled;
  }

  // -------------------------------------------------------------------------------------------
  // rollback.go

  /**
   * `rollback`: for the legacy `deprecated.deployment.rollback.to` annotation (0 = the previous
   * revision), copy that revision's ReplicaSet template into the Deployment; in every case clear
   * the annotation. `kubectl rollout undo` (1.30) does not use this: it patches the template
   * itself, and the controller then reuses the matching ReplicaSet under a new revision.
   */
  private rollback(d: Deployment, rsList: ReplicaSet[]): void {
    const { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(d, rsList, true);
    const allRSs = [...oldRSs, ...(newRS ? [newRS] : [])];
    let revision = getRollbackTo(d) ?? 0;
    if (revision === 0) {
      revision = lastRevision(allRSs);
      if (revision === 0) {
        this.recorder.event(
          d,
          'Warning',
          ROLLBACK_REVISION_NOT_FOUND,
          'Unable to find last revision.',
        );
        this.updateDeploymentAndClearRollbackTo(d);
        return;
      }
    }
    for (const rs of allRSs) {
      const v = revisionOf(rs);
      if (v === undefined || v !== revision) continue;
      if (this.rollbackToTemplate(d, rs)) {
        this.recorder.event(
          d,
          'Normal',
          ROLLBACK_DONE,
          `Rolled back deployment ${JSON.stringify(d.metadata.name ?? '')} to revision ${revision}`,
        );
      }
      return;
    }
    this.recorder.event(
      d,
      'Warning',
      ROLLBACK_REVISION_NOT_FOUND,
      'Unable to find the revision to rollback to.',
    );
    this.updateDeploymentAndClearRollbackTo(d);
  }

  /**
   * `rollbackToTemplate`: takes the ReplicaSet's template and annotations unless the template is
   * already the Deployment's (a warning event); clears the rollback annotation either way.
   */
  private rollbackToTemplate(d: Deployment, rs: ReplicaSet): boolean {
    let performed = false;
    if (!equalIgnoreHash(d.spec.template, rs.spec.template)) {
      setFromReplicaSetTemplate(d, rs.spec.template ?? {});
      setDeploymentAnnotationsTo(d, rs);
      performed = true;
    } else {
      this.recorder.event(
        d,
        'Warning',
        ROLLBACK_TEMPLATE_UNCHANGED,
        `The rollback revision contains the same template as current deployment ${JSON.stringify(d.metadata.name ?? '')}`,
      );
    }
    this.updateDeploymentAndClearRollbackTo(d);
    return performed;
  }

  /** `updateDeploymentAndClearRollbackTo`: an update of the Deployment without the annotation. */
  private updateDeploymentAndClearRollbackTo(d: Deployment): void {
    const annotations = { ...(d.metadata.annotations ?? {}) };
    delete annotations[DEPRECATED_ROLLBACK_TO_ANNOTATION];
    d.metadata.annotations = annotations;
    this.ctx.registry.modify(
      deploymentsType,
      d.metadata.namespace ?? '',
      d.metadata.name ?? '',
      (copy) => {
        copy.metadata.annotations = annotations;
        if (Object.keys(annotations).length === 0) delete copy.metadata.annotations;
        (copy as Deployment).spec = { ...(copy as Deployment).spec, template: d.spec.template };
        return copy;
      },
      { fieldManager: FIELD_MANAGER },
    );
  }

  // -------------------------------------------------------------------------------------------
  // progress.go

  /**
   * `syncRolloutStatus`: the calculated status plus the Progressing condition —
   * `NewReplicaSetAvailable` once complete, `ReplicaSetUpdated` (last update time moved) on any
   * progress, `ProgressDeadlineExceeded` once progressDeadlineSeconds passed without — and the
   * ReplicaSets' ReplicaFailure. Unchanged, it requeues a rollout that may time out.
   */
  private syncRolloutStatus(
    allRSs: readonly (ReplicaSet | undefined)[],
    newRS: ReplicaSet | undefined,
    d: Deployment,
  ): void {
    const now = this.ctx.registry.now();
    const newStatus = calculateDeploymentStatus(allRSs, newRS, d, now);
    if (!hasProgressDeadline(d)) removeDeploymentCondition(newStatus, DEPLOYMENT_PROGRESSING);
    const currentCond = getDeploymentCondition(d.status, DEPLOYMENT_PROGRESSING);
    const isCompleteDeployment =
      (newStatus.replicas ?? 0) === (newStatus.updatedReplicas ?? 0) &&
      currentCond?.reason === NEW_RS_AVAILABLE_REASON;
    if (hasProgressDeadline(d) && !isCompleteDeployment) {
      const rsName = newRS ? JSON.stringify(newRS.metadata.name ?? '') : undefined;
      const dName = JSON.stringify(d.metadata.name ?? '');
      if (deploymentComplete(d, newStatus)) {
        setDeploymentCondition(
          newStatus,
          newDeploymentCondition(
            DEPLOYMENT_PROGRESSING,
            'True',
            NEW_RS_AVAILABLE_REASON,
            rsName
              ? `ReplicaSet ${rsName} has successfully progressed.`
              : `Deployment ${dName} has successfully progressed.`,
            now,
          ),
        );
      } else if (deploymentProgressing(d, newStatus)) {
        const condition = newDeploymentCondition(
          DEPLOYMENT_PROGRESSING,
          'True',
          REPLICA_SET_UPDATED_REASON,
          rsName ? `ReplicaSet ${rsName} is progressing.` : `Deployment ${dName} is progressing.`,
          now,
        );
        if (currentCond) {
          if (currentCond.status === 'True') {
            condition.lastTransitionTime = currentCond.lastTransitionTime;
          }
          removeDeploymentCondition(newStatus, DEPLOYMENT_PROGRESSING);
        }
        setDeploymentCondition(newStatus, condition);
      } else if (deploymentTimedOut(d, newStatus, this.ctx.clock.now())) {
        setDeploymentCondition(
          newStatus,
          newDeploymentCondition(
            DEPLOYMENT_PROGRESSING,
            'False',
            TIMED_OUT_REASON,
            rsName
              ? `ReplicaSet ${rsName} has timed out progressing.`
              : `Deployment ${dName} has timed out progressing.`,
            now,
          ),
        );
      }
    }
    const failure = replicaFailures(allRSs, newRS)[0];
    if (failure) setDeploymentCondition(newStatus, failure);
    else removeDeploymentCondition(newStatus, 'ReplicaFailure');
    const shaped = deploymentStatusShape(newStatus);
    if (deepEqual(deploymentStatusShape(d.status ?? {}), shaped)) {
      this.requeueStuckDeployment(d, shaped);
      return;
    }
    d.status = shaped;
    this.updateDeploymentStatus(d);
  }

  /**
   * `requeueStuckDeployment`: a rollout with a deadline that is neither complete nor timed out
   * is looked at again when its deadline passes (+1 s), on the injected clock.
   */
  private requeueStuckDeployment(d: Deployment, newStatus: DeploymentStatus): void {
    const cond = getDeploymentCondition(d.status, DEPLOYMENT_PROGRESSING);
    if (!hasProgressDeadline(d) || !cond) return;
    if (deploymentComplete(d, newStatus) || cond.reason === TIMED_OUT_REASON) return;
    const after =
      timeOf(cond.lastUpdateTime) +
      (d.spec.progressDeadlineSeconds ?? 0) * 1000 -
      this.ctx.clock.now();
    if (after < 1000) {
      this.queue.addRateLimited(keyOf(d));
      return;
    }
    this.queue.addAfter(keyOf(d), after + 1000);
  }

  // -------------------------------------------------------------------------------------------
  // Writes

  /** `UpdateStatus`: the status subresource, which also carries the revision annotation. */
  private updateDeploymentStatus(d: Deployment): void {
    const status = deploymentStatusShape(d.status ?? {});
    const annotations = d.metadata.annotations;
    this.ctx.registry.modify(
      deploymentsType,
      d.metadata.namespace ?? '',
      d.metadata.name ?? '',
      (copy) => {
        if (copy.metadata.uid !== d.metadata.uid) throw new Error('the Deployment was replaced');
        if (annotations && Object.keys(annotations).length) copy.metadata.annotations = annotations;
        else delete copy.metadata.annotations;
        copy.status = status;
        return copy;
      },
      { subresource: 'status', fieldManager: FIELD_MANAGER },
    );
  }

  /** `ReplicaSets.Update`: what this controller changes on a ReplicaSet. */
  private writeReplicaSet(rs: ReplicaSet): ReplicaSet {
    return this.ctx.registry.modify(
      replicaSetsType,
      rs.metadata.namespace ?? '',
      rs.metadata.name ?? '',
      (copy) => {
        if (copy.metadata.uid !== rs.metadata.uid) throw new Error('the ReplicaSet was replaced');
        const current = copy as ReplicaSet;
        if (rs.metadata.annotations) current.metadata.annotations = rs.metadata.annotations;
        current.spec = { ...current.spec, replicas: rs.spec.replicas };
        if (rs.spec.minReadySeconds) current.spec.minReadySeconds = rs.spec.minReadySeconds;
        else delete current.spec.minReadySeconds;
        return current;
      },
      { fieldManager: FIELD_MANAGER },
    ) as ReplicaSet;
  }
}

/**
 * `oldPodsRunning`: an old ReplicaSet still reports pods, or a pod of one is not Succeeded or
 * Failed (a terminating pod is still running).
 */
export function oldPodsRunning(
  newRS: ReplicaSet | undefined,
  oldRSs: readonly ReplicaSet[],
  podMap: ReadonlyMap<string, readonly KubeObject[]>,
): boolean {
  if (actualReplicaCount(oldRSs) > 0) return true;
  for (const [uid, pods] of podMap) {
    if (newRS && newRS.metadata.uid === uid) continue;
    for (const pod of pods) {
      const phase = (pod.status as { phase?: string } | undefined)?.phase;
      if (phase === 'Failed' || phase === 'Succeeded') continue;
      return true;
    }
  }
  return false;
}

/**
 * `getReplicaFailures`: the new ReplicaSet's ReplicaFailure conditions, else the old ones', as
 * Deployment conditions.
 */
function replicaFailures(
  allRSs: readonly (ReplicaSet | undefined)[],
  newRS: ReplicaSet | undefined,
): DeploymentCondition[] {
  const fromRS = (rs: ReplicaSet): DeploymentCondition[] =>
    rsStatus(rs)
      .conditions.filter((c) => c.type === REPLICA_FAILURE)
      .map(replicaSetToDeploymentCondition);
  if (newRS) {
    const conditions = fromRS(newRS);
    if (conditions.length) return conditions;
  }
  return allRSs.flatMap((rs) => (rs ? fromRS(rs) : []));
}

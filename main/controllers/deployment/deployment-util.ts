/**
 * The Deployment controller's rules that need no API, each after the function of
 * pkg/controller/deployment/util/deployment_util.go (1.30) it names: revisions and the
 * annotations a Deployment puts on its ReplicaSets, conditions, the surge/unavailable fenceposts,
 * how many replicas the new ReplicaSet may have, proportional scaling, and when a rollout is
 * complete, progressing or timed out.
 */
import { deepCopy, deepEqual } from '../../kube/objects';
import type { LabelSelector } from '../../kube/labels';
import {
  byCreationTimestamp,
  filterActiveReplicaSets,
  POD_TEMPLATE_HASH_LABEL,
  rsStatus,
  specReplicas,
  timeOf,
  type Deployment,
  type DeploymentCondition,
  type DeploymentStatus,
  type IntOrString,
  type PodTemplateSpec,
  type ReplicaSet,
  type ReplicaSetCondition,
} from '../replicaset/types';

/** Annotations (deployment_util.go). */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
/** `apps.DeprecatedRollbackTo`: apps/v1's round-trip of extensions/v1beta1 `spec.rollbackTo`. */
export const DEPRECATED_ROLLBACK_TO_ANNOTATION = 'deprecated.deployment.rollback.to';
/** `v1.LastAppliedConfigAnnotation`. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** Event reasons of rollbacks. */
export const ROLLBACK_REVISION_NOT_FOUND = 'DeploymentRollbackRevisionNotFound';
export const ROLLBACK_TEMPLATE_UNCHANGED = 'DeploymentRollbackTemplateUnchanged';
export const ROLLBACK_DONE = 'DeploymentRollback';

/** Condition reasons. */
export const REPLICA_SET_UPDATED_REASON = 'ReplicaSetUpdated';
export const FAILED_RS_CREATE_REASON = 'ReplicaSetCreateError';
export const NEW_REPLICA_SET_REASON = 'NewReplicaSetCreated';
export const FOUND_NEW_RS_REASON = 'FoundNewReplicaSet';
export const NEW_RS_AVAILABLE_REASON = 'NewReplicaSetAvailable';
export const TIMED_OUT_REASON = 'ProgressDeadlineExceeded';
export const PAUSED_DEPLOY_REASON = 'DeploymentPaused';
export const RESUMED_DEPLOY_REASON = 'DeploymentResumed';
export const MINIMUM_REPLICAS_AVAILABLE = 'MinimumReplicasAvailable';
export const MINIMUM_REPLICAS_UNAVAILABLE = 'MinimumReplicasUnavailable';

/** Condition types. */
export const DEPLOYMENT_AVAILABLE = 'Available';
export const DEPLOYMENT_PROGRESSING = 'Progressing';
export const DEPLOYMENT_REPLICA_FAILURE = 'ReplicaFailure';

/** `maxRevHistoryLengthInChars` of sync.go. */
export const MAX_REV_HISTORY_LENGTH_IN_CHARS = 2000;

const MAX_INT32 = 2147483647;

// ---------------------------------------------------------------------------------------------
// Conditions

/** `NewDeploymentCondition`: both times now. */
export function newDeploymentCondition(
  type: string,
  status: string,
  reason: string,
  message: string,
  now: string,
): DeploymentCondition {
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

/** `GetDeploymentCondition`. */
export function getDeploymentCondition(
  status: DeploymentStatus | undefined,
  type: string,
): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/**
 * `SetDeploymentCondition`: no change when status and reason are the same; the transition time
 * kept when only the reason changes; the condition moves to the end of the list.
 */
export function setDeploymentCondition(
  status: DeploymentStatus,
  condition: DeploymentCondition,
): void {
  const current = getDeploymentCondition(status, condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) {
    return;
  }
  const next = { ...condition };
  if (current && current.status === condition.status) {
    next.lastTransitionTime = current.lastTransitionTime;
  }
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== condition.type), next];
}

/** `RemoveDeploymentCondition`. */
export function removeDeploymentCondition(status: DeploymentStatus, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c) => c.type !== type);
}

/** `ReplicaSetToDeploymentCondition`: both times the ReplicaSet condition's transition time. */
export function replicaSetToDeploymentCondition(
  condition: ReplicaSetCondition,
): DeploymentCondition {
  return {
    type: condition.type,
    status: condition.status,
    lastUpdateTime: condition.lastTransitionTime ?? '',
    lastTransitionTime: condition.lastTransitionTime ?? '',
    reason: condition.reason ?? '',
    message: condition.message ?? '',
  };
}

// ---------------------------------------------------------------------------------------------
// Revisions and annotations

/**
 * `Revision`: the revision annotation as an integer; 0 when absent; `undefined` (Go's parse
 * error) when not an integer.
 */
export function revisionOf(object: {
  metadata: { annotations?: Record<string, string> };
}): number | undefined {
  const value = object.metadata.annotations?.[REVISION_ANNOTATION];
  if (value === undefined) return 0;
  return parseInt64(value);
}

/** `strconv.ParseInt(v, 10, 64)` for the sizes revisions reach. */
function parseInt64(value: string): number | undefined {
  return /^[+-]?\d+$/.test(value) ? Number(value) : undefined;
}

/** `MaxRevision`: the highest revision among ReplicaSets (unparsable ones skipped). */
export function maxRevision(list: readonly ReplicaSet[]): number {
  let max = 0;
  for (const rs of list) {
    const v = revisionOf(rs);
    if (v !== undefined && v > max) max = v;
  }
  return max;
}

/** `LastRevision`: the second highest revision (the one before the current). */
export function lastRevision(list: readonly ReplicaSet[]): number {
  let max = 0;
  let secMax = 0;
  for (const rs of list) {
    const v = revisionOf(rs);
    if (v === undefined) continue;
    if (v >= max) {
      secMax = max;
      max = v;
    } else if (v > secMax) {
      secMax = v;
    }
  }
  return secMax;
}

/** `SetDeploymentRevision`: true when the Deployment's revision annotation changed. */
export function setDeploymentRevision(d: Deployment, revision: string): boolean {
  const annotations = (d.metadata.annotations ??= {});
  if (annotations[REVISION_ANNOTATION] === revision) return false;
  annotations[REVISION_ANNOTATION] = revision;
  return true;
}

/** `annotationsToSkip`: what a Deployment never copies to or from its ReplicaSets. */
const ANNOTATIONS_TO_SKIP = new Set([
  LAST_APPLIED_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  DEPRECATED_ROLLBACK_TO_ANNOTATION,
]);

/** `skipCopyAnnotation`. */
export function skipCopyAnnotation(key: string): boolean {
  return ANNOTATIONS_TO_SKIP.has(key);
}

/** `copyDeploymentAnnotationsToReplicaSet`: true when the ReplicaSet's annotations changed. */
function copyDeploymentAnnotationsToReplicaSet(d: Deployment, rs: ReplicaSet): boolean {
  let changed = false;
  const annotations = (rs.metadata.annotations ??= {});
  for (const [key, value] of Object.entries(d.metadata.annotations ?? {})) {
    if (skipCopyAnnotation(key) || annotations[key] === value) continue;
    annotations[key] = value;
    changed = true;
  }
  return changed;
}

/**
 * `SetDeploymentAnnotationsTo`: on rollback the Deployment takes the annotations of the
 * ReplicaSet it returns to (those never copied stay as they are).
 */
export function setDeploymentAnnotationsTo(d: Deployment, rs: ReplicaSet): void {
  const kept: Record<string, string> = {};
  for (const [key, value] of Object.entries(d.metadata.annotations ?? {})) {
    if (skipCopyAnnotation(key)) kept[key] = value;
  }
  for (const [key, value] of Object.entries(rs.metadata.annotations ?? {})) {
    if (!skipCopyAnnotation(key)) kept[key] = value;
  }
  d.metadata.annotations = kept;
}

/**
 * `SetNewReplicaSetAnnotations`: copies the Deployment's annotations, raises the revision to
 * `newRevision` if lower (keeping earlier revisions in `revision-history` when a ReplicaSet is
 * reused by a rollback), and on a ReplicaSet about to be created sets desired/max replicas.
 * Returns true when an annotation changed.
 */
export function setNewReplicaSetAnnotations(
  d: Deployment,
  rs: ReplicaSet,
  newRevision: string,
  exists: boolean,
  revHistoryLimitInChars = MAX_REV_HISTORY_LENGTH_IN_CHARS,
): boolean {
  let changed = copyDeploymentAnnotationsToReplicaSet(d, rs);
  const annotations = (rs.metadata.annotations ??= {});
  const oldRevision = annotations[REVISION_ANNOTATION];
  const had = oldRevision !== undefined;
  let oldRevisionInt = 0;
  if (oldRevision !== undefined && oldRevision !== '') {
    const parsed = parseInt64(oldRevision);
    if (parsed === undefined) return false;
    oldRevisionInt = parsed;
  }
  const newRevisionInt = parseInt64(newRevision);
  if (newRevisionInt === undefined) return false;
  if (oldRevisionInt < newRevisionInt) {
    annotations[REVISION_ANNOTATION] = newRevision;
    changed = true;
  }
  if (had && oldRevisionInt < newRevisionInt) {
    const history = annotations[REVISION_HISTORY_ANNOTATION] ?? '';
    const oldRevisions = history.split(',');
    if (oldRevisions[0]!.length === 0) {
      annotations[REVISION_HISTORY_ANNOTATION] = oldRevision;
    } else {
      let totalLen = history.length + oldRevision.length + 1;
      let start = 0;
      while (totalLen > revHistoryLimitInChars && start < oldRevisions.length) {
        totalLen = totalLen - oldRevisions[start]!.length - 1;
        start++;
      }
      if (totalLen <= revHistoryLimitInChars) {
        annotations[REVISION_HISTORY_ANNOTATION] = [...oldRevisions.slice(start), oldRevision].join(
          ',',
        );
      }
    }
  }
  const replicas = specReplicas(d);
  if (!exists && setReplicasAnnotations(rs, replicas, replicas + maxSurge(d))) changed = true;
  return changed;
}

/** `SetReplicasAnnotations`: true when desired/max replicas changed. */
export function setReplicasAnnotations(
  rs: ReplicaSet,
  desiredReplicas: number,
  maxReplicas: number,
): boolean {
  const annotations = (rs.metadata.annotations ??= {});
  let updated = false;
  if (annotations[DESIRED_REPLICAS_ANNOTATION] !== String(desiredReplicas)) {
    annotations[DESIRED_REPLICAS_ANNOTATION] = String(desiredReplicas);
    updated = true;
  }
  if (annotations[MAX_REPLICAS_ANNOTATION] !== String(maxReplicas)) {
    annotations[MAX_REPLICAS_ANNOTATION] = String(maxReplicas);
    updated = true;
  }
  return updated;
}

/** `ReplicasAnnotationsNeedUpdate`. */
export function replicasAnnotationsNeedUpdate(
  rs: ReplicaSet,
  desiredReplicas: number,
  maxReplicas: number,
): boolean {
  const annotations = rs.metadata.annotations;
  if (!annotations) return true;
  return (
    annotations[DESIRED_REPLICAS_ANNOTATION] !== String(desiredReplicas) ||
    annotations[MAX_REPLICAS_ANNOTATION] !== String(maxReplicas)
  );
}

/** `getIntFromAnnotation` (strconv.Atoi). */
function intAnnotation(rs: ReplicaSet, key: string): number | undefined {
  const value = rs.metadata.annotations?.[key];
  if (value === undefined || !/^[+-]?\d+$/.test(value)) return undefined;
  return Number(value);
}

/** `GetDesiredReplicasAnnotation`. */
export function desiredReplicasAnnotation(rs: ReplicaSet): number | undefined {
  return intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
}

// ---------------------------------------------------------------------------------------------
// Templates and finding ReplicaSets

function withoutHash(template: PodTemplateSpec | undefined): PodTemplateSpec {
  const copy = deepCopy(template ?? {});
  const labels = copy.metadata?.labels;
  if (labels) {
    delete labels[POD_TEMPLATE_HASH_LABEL];
    if (Object.keys(labels).length === 0) delete copy.metadata!.labels;
  }
  return copy;
}

/**
 * `EqualIgnoreHash`: two pod templates are equal but for the `pod-template-hash` label
 * (semantic equality: an empty label map equals none).
 */
export function equalIgnoreHash(
  a: PodTemplateSpec | undefined,
  b: PodTemplateSpec | undefined,
): boolean {
  return deepEqual(withoutHash(a), withoutHash(b));
}

/**
 * `FindNewReplicaSet`: the oldest ReplicaSet whose template equals the Deployment's (hash
 * aside): after a cluster upgrade several may.
 */
export function findNewReplicaSet(
  d: Deployment,
  list: readonly ReplicaSet[],
): ReplicaSet | undefined {
  return [...list]
    .sort(byCreationTimestamp)
    .find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template));
}

/** `FindOldReplicaSets`: every other ReplicaSet, and those of them with `spec.replicas > 0`. */
export function findOldReplicaSets(
  d: Deployment,
  list: readonly ReplicaSet[],
): { required: ReplicaSet[]; all: ReplicaSet[] } {
  const newRS = findNewReplicaSet(d, list);
  const all: ReplicaSet[] = [];
  const required: ReplicaSet[] = [];
  // Upstream iterates the list FindNewReplicaSet just sorted in place: oldest first.
  for (const rs of [...list].sort(byCreationTimestamp)) {
    if (newRS && rs.metadata.uid === newRS.metadata.uid) continue;
    all.push(rs);
    if (specReplicas(rs) !== 0) required.push(rs);
  }
  return { required, all };
}

/**
 * `SetFromReplicaSetTemplate`: the Deployment takes a ReplicaSet's template, without its
 * `pod-template-hash` label.
 */
export function setFromReplicaSetTemplate(d: Deployment, template: PodTemplateSpec): void {
  const copy = deepCopy(template);
  const labels = copy.metadata?.labels;
  if (labels) delete labels[POD_TEMPLATE_HASH_LABEL];
  d.spec.template = copy;
}

/** `labelsutil.CloneSelectorAndAddLabel`. */
export function cloneSelectorAndAddLabel(
  selector: LabelSelector | undefined,
  key: string,
  value: string,
): LabelSelector {
  const out: LabelSelector = { matchLabels: { ...(selector?.matchLabels ?? {}), [key]: value } };
  if (selector?.matchExpressions) out.matchExpressions = deepCopy(selector.matchExpressions);
  return out;
}

/**
 * `FindActiveOrLatest`: the only ReplicaSet with replicas, or the newest when none has any;
 * undefined when several have replicas (they are scaled proportionally).
 */
export function findActiveOrLatest(
  newRS: ReplicaSet | undefined,
  oldRSs: readonly ReplicaSet[],
): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => byCreationTimestamp(b, a));
  const active = filterActiveReplicaSets([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  if (active.length === 1) return active[0];
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Counting

/** `GetReplicaCountForReplicaSets`: the sum of `spec.replicas`. */
export function replicaCount(list: readonly (ReplicaSet | undefined)[]): number {
  return list.reduce((sum, rs) => sum + (rs ? specReplicas(rs) : 0), 0);
}

/** `GetActualReplicaCountForReplicaSets`: the sum of `status.replicas`. */
export function actualReplicaCount(list: readonly (ReplicaSet | undefined)[]): number {
  return list.reduce((sum, rs) => sum + (rs ? rsStatus(rs).replicas : 0), 0);
}

/** `GetReadyReplicaCountForReplicaSets`. */
export function readyReplicaCount(list: readonly (ReplicaSet | undefined)[]): number {
  return list.reduce((sum, rs) => sum + (rs ? rsStatus(rs).readyReplicas : 0), 0);
}

/** `GetAvailableReplicaCountForReplicaSets`. */
export function availableReplicaCount(list: readonly (ReplicaSet | undefined)[]): number {
  return list.reduce((sum, rs) => sum + (rs ? rsStatus(rs).availableReplicas : 0), 0);
}

// ---------------------------------------------------------------------------------------------
// Strategy arithmetic

/** `IsRollingUpdate`. */
export function isRollingUpdate(d: Deployment): boolean {
  return d.spec.strategy?.type === 'RollingUpdate';
}

/**
 * `intstr.GetScaledValueFromIntOrPercent`: an integer as is, `"N%"` of `total` rounded up or
 * down. Throws like upstream on a string that is not a percentage.
 */
export function scaledValueFromIntOrPercent(
  value: IntOrString,
  total: number,
  roundUp: boolean,
): number {
  if (typeof value === 'number') return Math.trunc(value);
  if (!value.endsWith('%')) {
    throw new Error('invalid value for IntOrString: invalid type: string is not a percentage');
  }
  const digits = value.slice(0, -1);
  if (!/^[+-]?\d+$/.test(digits)) {
    throw new Error(
      `invalid value for IntOrString: invalid value ${JSON.stringify(value)}: strconv.Atoi: parsing ${JSON.stringify(digits)}: invalid syntax`,
    );
  }
  const scaled = (Number(digits) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/**
 * `ResolveFenceposts`: maxSurge rounded up, maxUnavailable rounded down (missing = 0); when both
 * come out 0, maxUnavailable is 1 so a rollout can always move.
 */
export function resolveFenceposts(
  surgeValue: IntOrString | undefined,
  unavailableValue: IntOrString | undefined,
  desired: number,
): { surge: number; unavailable: number } {
  const surge = scaledValueFromIntOrPercent(surgeValue ?? 0, desired, true);
  let unavailable = scaledValueFromIntOrPercent(unavailableValue ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

/** `MaxUnavailable`: 0 unless RollingUpdate with replicas; never more than the replicas. */
export function maxUnavailable(d: Deployment): number {
  const replicas = specReplicas(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const rolling = d.spec.strategy?.rollingUpdate;
  const { unavailable } = resolveFenceposts(rolling?.maxSurge, rolling?.maxUnavailable, replicas);
  return Math.min(unavailable, replicas);
}

/** `MinAvailable`. */
export function minAvailable(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  return specReplicas(d) - maxUnavailable(d);
}

/** `MaxSurge`: 0 unless RollingUpdate. */
export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const rolling = d.spec.strategy?.rollingUpdate;
  return resolveFenceposts(rolling?.maxSurge, rolling?.maxUnavailable, specReplicas(d)).surge;
}

/**
 * `NewRSNewReplicas`: RollingUpdate — grow the new ReplicaSet while all ReplicaSets together stay
 * within replicas + maxSurge, never past replicas; Recreate — straight to replicas.
 */
export function newRSNewReplicas(
  d: Deployment,
  allRSs: readonly (ReplicaSet | undefined)[],
  newRS: ReplicaSet,
): number {
  const replicas = specReplicas(d);
  switch (d.spec.strategy?.type) {
    case 'RollingUpdate': {
      const surge = scaledValueFromIntOrPercent(
        d.spec.strategy.rollingUpdate?.maxSurge ?? 0,
        replicas,
        true,
      );
      const current = replicaCount(allRSs);
      const maxTotal = replicas + surge;
      if (current >= maxTotal) return specReplicas(newRS);
      const scaleUp = Math.min(maxTotal - current, replicas - specReplicas(newRS));
      return specReplicas(newRS) + scaleUp;
    }
    case 'Recreate':
      return replicas;
    default:
      throw new Error(`deployment type ${String(d.spec.strategy?.type)} isn't supported`);
  }
}

/**
 * `IsSaturated`: the new ReplicaSet has all the replicas, believes it should (desired-replicas
 * annotation), and all of them are available.
 */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = desiredReplicasAnnotation(rs);
  if (desired === undefined) return false;
  const replicas = specReplicas(d);
  return (
    specReplicas(rs) === replicas &&
    desired === replicas &&
    rsStatus(rs).availableReplicas === replicas
  );
}

/** `integer.RoundToInt32`: half away from zero. */
function roundToInt32(value: number): number {
  return value < 0 ? -Math.round(-value) : Math.round(value);
}

/**
 * `getReplicaSetFraction`: how many replicas a ReplicaSet gains (or loses) when the Deployment
 * is resized, in proportion to its share of the size before (the max-replicas annotation, else
 * the Deployment's status.replicas).
 */
function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  const replicas = specReplicas(d);
  if (replicas === 0) return -specReplicas(rs);
  const deploymentMaxReplicas = replicas + maxSurge(d);
  let before = intAnnotation(rs, MAX_REPLICAS_ANNOTATION);
  if (before === undefined || before === 0) {
    before = d.status?.replicas ?? 0;
    // Deviation: 1.30 divides by this zero (a float infinity cast to int32); later releases
    // return 0, as here, and getProportion's bounds keep the result in range either way.
    if (before === 0) return 0;
  }
  const newSize = (specReplicas(rs) * deploymentMaxReplicas) / before;
  return roundToInt32(newSize) - specReplicas(rs);
}

/**
 * `GetProportion`: a ReplicaSet's share of `toAdd` (negative when scaling down), never beyond
 * what is left to add.
 */
export function getProportion(
  rs: ReplicaSet | undefined,
  d: Deployment,
  toAdd: number,
  added: number,
): number {
  if (!rs || specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/**
 * `ReplicaSetsBySizeNewer` (scaling up: bigger first, newer first among equals) or
 * `ReplicaSetsBySizeOlder` (scaling down: bigger first, older first among equals).
 */
export function bySize(newerFirst: boolean): (a: ReplicaSet, b: ReplicaSet) => number {
  return (a, b) => {
    if (specReplicas(a) !== specReplicas(b)) return specReplicas(b) - specReplicas(a);
    return newerFirst ? byCreationTimestamp(b, a) : byCreationTimestamp(a, b);
  };
}

/** One ReplicaSet's new size in a scaling plan. */
export interface ScaleStep {
  readonly rs: ReplicaSet;
  readonly replicas: number;
  /** `up`/`down`: the event's word (the proportional path's direction, even for a no-op). */
  readonly operation: 'up' | 'down' | '';
}

/**
 * The proportional part of `DeploymentController.scale`: with several active ReplicaSets and a
 * new one not saturated, spread the difference between replicas + maxSurge and what they have
 * over them in proportion to their size (bigger first; leftovers to the first), scaling up newer
 * ones first and down older ones first. Every active ReplicaSet gets a step, in order.
 */
export function proportionalScale(
  d: Deployment,
  newRS: ReplicaSet | undefined,
  oldRSs: readonly ReplicaSet[],
): ScaleStep[] {
  const all = filterActiveReplicaSets([...oldRSs, newRS]);
  const current = replicaCount(all);
  const replicas = specReplicas(d);
  const allowedSize = replicas > 0 ? replicas + maxSurge(d) : 0;
  const toAdd = allowedSize - current;
  let operation: ScaleStep['operation'] = '';
  if (toAdd > 0) {
    all.sort(bySize(true));
    operation = 'up';
  } else if (toAdd < 0) {
    all.sort(bySize(false));
    operation = 'down';
  }
  let added = 0;
  const sizes = all.map((rs) => {
    if (toAdd === 0) return specReplicas(rs);
    const proportion = getProportion(rs, d, toAdd, added);
    added += proportion;
    return specReplicas(rs) + proportion;
  });
  if (toAdd !== 0 && sizes.length > 0) {
    sizes[0] = Math.max(0, sizes[0]! + toAdd - added);
  }
  return all.map((rs, i) => ({ rs, replicas: sizes[i]!, operation }));
}

// ---------------------------------------------------------------------------------------------
// Progress

/** `HasProgressDeadline`: set, and not MaxInt32. */
export function hasProgressDeadline(d: Deployment): boolean {
  const seconds = d.spec.progressDeadlineSeconds;
  return typeof seconds === 'number' && seconds !== MAX_INT32;
}

/** `HasRevisionHistoryLimit`: set, and not MaxInt32 (keep everything). */
export function hasRevisionHistoryLimit(d: Deployment): boolean {
  const limit = d.spec.revisionHistoryLimit;
  return typeof limit === 'number' && limit !== MAX_INT32;
}

/**
 * `DeploymentComplete`: every desired replica updated and available, no old ones left, and the
 * latest generation observed.
 */
export function deploymentComplete(d: Deployment, status: DeploymentStatus): boolean {
  const replicas = specReplicas(d);
  return (
    (status.updatedReplicas ?? 0) === replicas &&
    (status.replicas ?? 0) === replicas &&
    (status.availableReplicas ?? 0) === replicas &&
    (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

/**
 * `DeploymentProgressing`: compared with the Deployment's current status, more updated, ready or
 * available replicas, or fewer old ones.
 */
export function deploymentProgressing(d: Deployment, status: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (status.replicas ?? 0) - (status.updatedReplicas ?? 0);
  return (
    (status.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (status.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (status.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/**
 * `DeploymentTimedOut`: the Progressing condition was last updated more than
 * progressDeadlineSeconds before `now` (or already says ProgressDeadlineExceeded); never after a
 * completed rollout.
 */
export function deploymentTimedOut(d: Deployment, status: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const condition = getDeploymentCondition(status, DEPLOYMENT_PROGRESSING);
  if (!condition) return false;
  if (condition.reason === NEW_RS_AVAILABLE_REASON) return false;
  if (condition.reason === TIMED_OUT_REASON) return true;
  const from = timeOf(condition.lastUpdateTime);
  return from + (d.spec.progressDeadlineSeconds ?? 0) * 1000 < now;
}

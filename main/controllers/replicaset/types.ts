/**
 * The apps/v1 ReplicaSet and Deployment shapes the two controllers read and write, narrowed from
 * the registry's loosely typed objects (k8s.io/api/apps/v1 types.go), plus the few constants
 * both controllers share. Objects reach the controllers through the registry, so defaulting
 * (`replicas`, strategy, limits) and validation have already run; the narrowing is a cast at the
 * informer boundary, not a check.
 */
import { isPlainObject, type KubeObject } from '../../kube/objects';
import type { LabelSelector } from '../../kube/labels';

type Obj = Record<string, unknown>;
export const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});

/** Who kube-controller-manager's clients write as (their User-Agent prefix). */
export const FIELD_MANAGER = 'kube-controller-manager';

/** `apps.DefaultDeploymentUniqueLabelKey`. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** `core.PodDeletionCost`. */
export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

export type IntOrString = number | string;

export interface PodTemplateSpec {
  metadata?: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  spec?: Obj;
}

/** `apps.ReplicaSetCondition` (fields in Go declaration order). */
export interface ReplicaSetCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** `apps.ReplicaSetStatus`: `replicas` has no omitempty, the rest do. */
export interface ReplicaSetStatus {
  replicas?: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: ReplicaSetCondition[];
}

export interface ReplicaSet extends KubeObject {
  spec: {
    replicas?: number;
    minReadySeconds?: number;
    selector?: LabelSelector;
    template?: PodTemplateSpec;
  };
  status?: ReplicaSetStatus;
}

/** `apps.DeploymentCondition` (fields in Go declaration order). */
export interface DeploymentCondition {
  type: string;
  status: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** `apps.DeploymentStatus`: every field omitempty; `collisionCount` a pointer. */
export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: DeploymentCondition[];
  collisionCount?: number;
}

export interface DeploymentStrategy {
  type?: string;
  rollingUpdate?: { maxSurge?: IntOrString; maxUnavailable?: IntOrString };
}

export interface Deployment extends KubeObject {
  spec: {
    replicas?: number;
    selector?: LabelSelector;
    template?: PodTemplateSpec;
    strategy?: DeploymentStrategy;
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
    paused?: boolean;
    progressDeadlineSeconds?: number;
  };
  status?: DeploymentStatus;
}

/** `*(rs.Spec.Replicas)` (defaulted to 1 by the API server, as here). */
export function specReplicas(object: ReplicaSet | Deployment): number {
  const replicas = object.spec.replicas;
  return typeof replicas === 'number' ? replicas : 1;
}

/** A ReplicaSet's status with Go's zero values filled in. */
export function rsStatus(rs: ReplicaSet): Required<Omit<ReplicaSetStatus, 'conditions'>> & {
  conditions: ReplicaSetCondition[];
} {
  const status = rs.status ?? {};
  return {
    replicas: status.replicas ?? 0,
    fullyLabeledReplicas: status.fullyLabeledReplicas ?? 0,
    readyReplicas: status.readyReplicas ?? 0,
    availableReplicas: status.availableReplicas ?? 0,
    observedGeneration: status.observedGeneration ?? 0,
    conditions: status.conditions ?? [],
  };
}

/** Milliseconds of an RFC 3339 timestamp; 0 (Go's zero time) when absent or unparsable. */
export function timeOf(value: unknown): number {
  if (typeof value !== 'string') return 0;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : 0;
}

/**
 * `controller.ReplicaSetsByCreationTimestamp`: oldest first, names breaking ties (timestamps
 * have whole seconds).
 */
export function byCreationTimestamp(a: KubeObject, b: KubeObject): number {
  const ta = timeOf(a.metadata.creationTimestamp);
  const tb = timeOf(b.metadata.creationTimestamp);
  if (ta !== tb) return ta - tb;
  const na = a.metadata.name ?? '';
  const nb = b.metadata.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** `controller.FilterActiveReplicaSets`: those with `spec.replicas > 0`. */
export function filterActiveReplicaSets(list: readonly (ReplicaSet | undefined)[]): ReplicaSet[] {
  return list.filter((rs): rs is ReplicaSet => rs !== undefined && specReplicas(rs) > 0);
}

/** `controller.PodKey`: `namespace/name`. */
export function podKey(pod: KubeObject): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

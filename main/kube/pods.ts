/**
 * Pod and owner helpers that code outside the controllers needs too (the grader never imports
 * main/controllers): readiness and availability after pkg/api/v1/pod/util.go, and the controller
 * reference after metav1.GetControllerOf. Copied from main/controllers/util/controller-util.ts,
 * which keeps its own copy for the controllers; the two must stay the same.
 */
import { isPlainObject, type KubeObject, type OwnerReference } from './objects';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});

/** `metav1.GetControllerOf`: the owner reference with `controller: true`, if any. */
export function controllerOf(object: KubeObject): OwnerReference | undefined {
  return object.metadata.ownerReferences?.find((ref) => ref.controller === true);
}

/** `podutil.GetPodCondition`: the pod's condition of this type, if any. */
export function podCondition(pod: KubeObject, type: string): Obj | undefined {
  const conditions = obj(pod.status).conditions;
  return Array.isArray(conditions)
    ? (conditions as unknown[]).filter(isPlainObject).find((c) => c.type === type)
    : undefined;
}

/** `podutil.IsPodReady`: the Ready condition is True. */
export function isPodReady(pod: KubeObject): boolean {
  return podCondition(pod, 'Ready')?.status === 'True';
}

/**
 * `podutil.IsPodAvailable(pod, minReadySeconds, now)`: Ready, and Ready for longer than
 * minReadySeconds (its lastTransitionTime + minReadySeconds before now).
 */
export function isPodAvailable(pod: KubeObject, minReadySeconds: number, now: number): boolean {
  const ready = podCondition(pod, 'Ready');
  if (ready?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = Date.parse(String(ready.lastTransitionTime ?? ''));
  return Number.isFinite(since) && since + minReadySeconds * 1000 < now;
}

/** The pod's `status.phase`, or '' when it has none yet. */
export function podPhase(pod: KubeObject): string {
  const phase = obj(pod.status).phase;
  return typeof phase === 'string' ? phase : '';
}

/** Succeeded or Failed: the pod's containers will not run again. */
export function isPodTerminal(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Being deleted (kubectl's `Terminating`): it has a deletionTimestamp. */
export function isPodTerminating(pod: KubeObject): boolean {
  return pod.metadata.deletionTimestamp !== undefined;
}

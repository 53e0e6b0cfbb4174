/**
 * What the node lifecycle, taint-eviction and pod GC controllers do to nodes and pods, after
 * pkg/controller/util/node/controller_utils.go (MarkPodsNotReady, RecordNodeEvent,
 * RecordNodeStatusChange, SwapNodeControllerTaint), pkg/controller/controller_utils.go
 * (AddOrUpdateTaintOnNode, RemoveTaintOffNode, PatchNodeTaints) and pkg/api/v1/pod/util.go
 * (UpdatePodCondition). Every write goes through the registry as kube-controller-manager's would
 * go through the API.
 */
import { isPlainObject, type KubeObject } from '../../kube/objects';
import { findResource } from '../../kube/resources';
import { taintsOf, type Taint } from '../../kube/scheduling';
import { errors, StatusError } from '../../kube/status';
import { NO_CHANGE, type Registry } from '../../apiserver/registry/registry';
import type { EventRecorder } from '../runtime/events';
import { addOrUpdateTaint, removeTaint, taintExists } from './taints';

export type Obj = Record<string, unknown>;
export const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});
export const objList = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);

export const NODES = findResource('', 'v1', 'nodes')!;
export const PODS = findResource('', 'v1', 'pods')!;
export const LEASES = findResource('coordination.k8s.io', 'v1', 'leases')!;

/** The field manager kube-controller-manager's writes carry (its user agent). */
export const FIELD_MANAGER = 'kube-controller-manager';

/** `v1.TaintNode*` keys. */
export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_NODE_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
export const TAINT_NODE_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
export const TAINT_NODE_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';
export const TAINT_NODE_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
export const TAINT_NODE_OUT_OF_SERVICE = 'node.kubernetes.io/out-of-service';

/** `controllerutil.GetNodeCondition`: the condition of that type in a node status. */
export function getNodeCondition(status: unknown, type: string): Obj | undefined {
  return objList(obj(status).conditions).find((c) => c.type === type);
}

/** `nodeutil.IsNodeReady`: the Ready condition is True. */
export function isNodeReady(node: KubeObject): boolean {
  return getNodeCondition(node.status, 'Ready')?.status === 'True';
}

/** The pod's spec.nodeName, '' when unscheduled. */
export function nodeNameOf(pod: KubeObject): string {
  const name = obj(pod.spec).nodeName;
  return typeof name === 'string' ? name : '';
}

/** An object reference as `v1.ObjectReference` literals upstream build (no resourceVersion). */
export function referenceTo(
  kind: 'Node' | 'Pod',
  name: string,
  namespace = '',
  uid?: string,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}), ...(uid ? { uid } : {}) },
  };
}

/** `RecordNodeEvent`: "Node <name> event: <event>" about the node. */
export function recordNodeEvent(
  recorder: EventRecorder,
  node: KubeObject,
  type: 'Normal' | 'Warning',
  reason: string,
  event: string,
): void {
  const name = node.metadata.name ?? '';
  recorder.event(
    referenceTo('Node', name, '', node.metadata.uid),
    type,
    reason,
    `Node ${name} event: ${event}`,
  );
}

/** `RecordNodeStatusChange`: Normal `<status>` "Node <name> status is now: <status>". */
export function recordNodeStatusChange(
  recorder: EventRecorder,
  node: KubeObject,
  newStatus: string,
): void {
  const name = node.metadata.name ?? '';
  recorder.event(
    referenceTo('Node', name, '', node.metadata.uid),
    'Normal',
    newStatus,
    `Node ${name} status is now: ${newStatus}`,
  );
}

/**
 * `podutil.UpdatePodCondition` on a status object (mutated): the condition gets
 * lastTransitionTime `now` unless its status is unchanged. True when anything changed.
 */
export function updatePodCondition(status: Obj, condition: Obj, now: string): boolean {
  const conditions = objList(status.conditions);
  const index = conditions.findIndex((c) => c.type === condition.type);
  const next: Obj = { ...condition, lastTransitionTime: now };
  if (index < 0) {
    status.conditions = [...conditions, next];
    return true;
  }
  const old = conditions[index]!;
  if (next.status === old.status) next.lastTransitionTime = old.lastTransitionTime;
  const equal =
    next.status === old.status &&
    (next.reason ?? '') === (old.reason ?? '') &&
    (next.message ?? '') === (old.message ?? '') &&
    (next.lastProbeTime ?? null) === (old.lastProbeTime ?? null) &&
    (next.lastTransitionTime ?? null) === (old.lastTransitionTime ?? null);
  conditions[index] = next;
  status.conditions = conditions;
  return !equal;
}

/**
 * `utilpod.PatchPodStatus`: applies `change` to the live pod's status (status subresource), as
 * a strategic-merge patch would, refusing a pod that was replaced (uid precondition).
 */
export function patchPodStatus(
  registry: Registry,
  pod: KubeObject,
  change: (status: Obj) => boolean,
): void {
  const namespace = pod.metadata.namespace ?? '';
  const name = pod.metadata.name ?? '';
  registry.modify(
    PODS,
    namespace,
    name,
    (copy) => {
      if (pod.metadata.uid && copy.metadata.uid !== pod.metadata.uid) {
        throw errors.conflict(
          { group: '', resource: 'pods' },
          name,
          `Precondition failed: UID in precondition: ${pod.metadata.uid}, UID in object meta: ${copy.metadata.uid ?? ''}`,
        );
      }
      const status = obj(copy.status);
      if (!change(status)) return NO_CHANGE;
      copy.status = status;
      return copy;
    },
    { subresource: 'status', fieldManager: FIELD_MANAGER },
  );
}

/**
 * `MarkPodsNotReady`: sets Ready=False on each pod of the node that has a Ready condition
 * (status subresource, `UpdateStatus` with the cached resourceVersion) and records Warning
 * `NodeNotReady` "Node is not ready" on it. Answers the errors it met.
 */
export function markPodsNotReady(
  registry: Registry,
  recorder: EventRecorder,
  pods: readonly KubeObject[],
  nodeName: string,
): unknown[] {
  const failures: unknown[] = [];
  for (const cached of pods) {
    if (nodeNameOf(cached) !== nodeName) continue;
    const pod = structuredClone(cached);
    const status = obj(pod.status);
    const ready = objList(status.conditions).find((c) => c.type === 'Ready');
    if (!ready) continue;
    if (!updatePodCondition(status, { ...ready, status: 'False' }, registry.now())) continue;
    pod.status = status;
    try {
      registry.update(PODS, pod.metadata.namespace ?? '', pod.metadata.name ?? '', pod, {
        subresource: 'status',
        fieldManager: FIELD_MANAGER,
      });
    } catch (error) {
      // NotFound: the pod is gone, nothing left to do (and no event).
      if (error instanceof StatusError && error.code === 404) continue;
      failures.push(error);
    }
    recorder.event(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
  }
  return failures;
}

function setTaints(node: KubeObject, taints: readonly Taint[]): KubeObject {
  const spec = obj(node.spec);
  if (taints.length) spec.taints = taints;
  else delete spec.taints;
  node.spec = spec;
  return node;
}

/**
 * `controller.AddOrUpdateTaintOnNode`: one node write (PatchNodeTaints, guarded by the
 * resourceVersion it read) adding or replacing each taint. Nothing is written when nothing changes.
 */
export function addOrUpdateTaintsOnNode(
  registry: Registry,
  nodeName: string,
  taints: readonly Taint[],
): void {
  if (taints.length === 0) return;
  registry.modify(
    NODES,
    '',
    nodeName,
    (copy) => {
      let current = taintsOf(copy);
      let updated = false;
      for (const taint of taints) {
        const result = addOrUpdateTaint(current, taint);
        current = result.taints;
        updated ||= result.updated;
      }
      return updated ? setTaints(copy, current) : NO_CHANGE;
    },
    { fieldManager: FIELD_MANAGER },
  );
}

/**
 * `controller.RemoveTaintOffNode`: one node write removing the taints (by key and effect). When
 * `known` (the caller's copy of the node) has none of them, nothing is read or written.
 */
export function removeTaintsOffNode(
  registry: Registry,
  nodeName: string,
  known: KubeObject | undefined,
  taints: readonly Taint[],
): void {
  if (taints.length === 0) return;
  if (known && !taints.some((t) => taintExists(taintsOf(known), t))) return;
  registry.modify(
    NODES,
    '',
    nodeName,
    (copy) => {
      let current = taintsOf(copy);
      let removed = false;
      for (const taint of taints) {
        const result = removeTaint(current, taint);
        current = result.taints;
        removed ||= result.removed;
      }
      return removed ? setTaints(copy, current) : NO_CHANGE;
    },
    { fieldManager: FIELD_MANAGER },
  );
}

/**
 * `SwapNodeControllerTaint`: stamps `timeAdded` (now) on the taints to add, adds them, then
 * removes the others — two writes, as upstream makes two patches. False when either failed.
 */
export function swapNodeControllerTaint(
  registry: Registry,
  toAdd: readonly Taint[],
  toRemove: readonly Taint[],
  node: KubeObject,
  log: (line: string) => void,
): boolean {
  const name = node.metadata.name ?? '';
  const now = registry.now();
  const stamped = toAdd.map((t) => ({ ...t, timeAdded: now }));
  try {
    addOrUpdateTaintsOnNode(registry, name, stamped);
  } catch (error) {
    log(
      `unable to taint ${JSON.stringify(stamped)} unresponsive Node "${name}": ${message(error)}`,
    );
    return false;
  }
  try {
    removeTaintsOffNode(registry, name, node, toRemove);
  } catch (error) {
    log(
      `unable to remove ${JSON.stringify(toRemove)} unneeded taint from unresponsive Node "${name}": ${message(error)}`,
    );
    return false;
  }
  return true;
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

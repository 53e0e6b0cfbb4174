/**
 * What the grader needs to know about a workload's history: which ReplicaSet is a Deployment's
 * current one (`deploymentutil.FindNewReplicaSet`: same template but for the pod-template-hash
 * label) and which ControllerRevision is a DaemonSet's current one (`Match` in
 * pkg/controller/daemon/update.go: its data is the DaemonSet's template). The controllers have
 * their own copies; the grader may not import them.
 */
import { deepEqual, type KubeObject } from '../../kube/objects';
import { controllerOf } from '../../kube/pods';
import { obj } from './common';

export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

/** Objects whose controller reference is this owner (by uid). */
export function controlledBy(objects: readonly KubeObject[], owner: KubeObject): KubeObject[] {
  const uid = owner.metadata.uid;
  if (uid === undefined) return [];
  return objects.filter((o) => controllerOf(o)?.uid === uid);
}

/** A pod template without the pod-template-hash label (`EqualIgnoreHash`). */
function withoutHash(template: unknown): unknown {
  const t = obj(template);
  const metadata = obj(t.metadata);
  const labels = { ...obj(metadata.labels) };
  delete labels[POD_TEMPLATE_HASH_LABEL];
  const copy: Record<string, unknown> = { ...metadata };
  if (Object.keys(labels).length > 0) copy.labels = labels;
  else delete copy.labels;
  return { ...t, metadata: copy };
}

/** `deploymentutil.Revision`: the revision annotation as an integer, undefined when not one. */
export function replicaSetRevision(replicaSet: KubeObject): number | undefined {
  const value = replicaSet.metadata.annotations?.[REVISION_ANNOTATION];
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/**
 * The Deployment's current ReplicaSet: owned by it, its template equal to the Deployment's but
 * for the hash label; when several are (after an upgrade), the highest revision.
 */
export function newReplicaSet(
  deployment: KubeObject,
  replicaSets: readonly KubeObject[],
): KubeObject | undefined {
  const template = withoutHash(obj(deployment.spec).template);
  let best: KubeObject | undefined;
  for (const rs of controlledBy(replicaSets, deployment)) {
    if (!deepEqual(withoutHash(obj(rs.spec).template), template)) continue;
    if (!best || (replicaSetRevision(rs) ?? 0) > (replicaSetRevision(best) ?? 0)) best = rs;
  }
  return best;
}

/** `ControllerRevision.revision`. */
export function controllerRevisionNumber(revision: KubeObject): number {
  return typeof revision.revision === 'number' ? revision.revision : 0;
}

/**
 * The DaemonSet's current ControllerRevision: owned by it, its data the DaemonSet's template
 * (`{"spec":{"template":{…,"$patch":"replace"}}}`); when several are, the highest revision.
 */
export function currentControllerRevision(
  daemonSet: KubeObject,
  revisions: readonly KubeObject[],
): KubeObject | undefined {
  const template = obj(obj(daemonSet.spec).template);
  let best: KubeObject | undefined;
  for (const history of controlledBy(revisions, daemonSet)) {
    const stored = { ...obj(obj(obj(history.data).spec).template) };
    delete stored.$patch;
    if (!deepEqual(stored, template)) continue;
    if (!best || controllerRevisionNumber(history) > controllerRevisionNumber(best)) best = history;
  }
  return best;
}

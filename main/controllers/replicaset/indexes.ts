/**
 * Informer indexes the Deployment and ReplicaSet controllers share. Upstream lists every pod (or
 * ReplicaSet) of the namespace on each sync and lets `ClaimPods` ignore those another controller
 * owns; these indexes hand a sync exactly the objects that claim could keep or adopt — the ones
 * its owner controls plus the namespace's orphans — so a sync costs what its owner owns, not what
 * the namespace holds. The result is the same set upstream's claim ends with.
 *
 * Both controllers add the same index functions under the same names; adding one twice replaces
 * it with an identical function. Indexes must be added before the manager starts the informers.
 */
import type { KubeObject } from '../../kube/objects';
import type { Informer } from '../runtime/informer';
import { controllerOf } from '../util/controller-util';

/** `controllerUIDIndex` of replica_set.go: objects by the UID of their controller. */
export const CONTROLLER_UID_INDEX = 'kubelab/controller-uid';
/** Objects with no controller reference, by namespace. */
export const ORPHAN_INDEX = 'kubelab/orphans-by-namespace';

function controllerUid(object: KubeObject): readonly string[] {
  const uid = controllerOf(object)?.uid;
  return uid ? [uid] : [];
}

function orphanNamespace(object: KubeObject): readonly string[] {
  return controllerOf(object) ? [] : [object.metadata.namespace ?? ''];
}

export function addOwnershipIndexes(informer: Informer): void {
  informer.addIndex(CONTROLLER_UID_INDEX, controllerUid);
  informer.addIndex(ORPHAN_INDEX, orphanNamespace);
}

/**
 * The objects of `namespace` an owner with `uid` may claim: those it controls and the orphans,
 * sorted by name so every later choice is deterministic.
 */
export function claimCandidates(informer: Informer, namespace: string, uid: string): KubeObject[] {
  const owned = informer
    .byIndex(CONTROLLER_UID_INDEX, uid)
    .filter((o) => (o.metadata.namespace ?? '') === namespace);
  const orphans = informer.byIndex(ORPHAN_INDEX, namespace);
  return [...owned, ...orphans].sort((a, b) =>
    (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1,
  );
}

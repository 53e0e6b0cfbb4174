/**
 * Rolling updates and revision history of DaemonSets, after pkg/controller/daemon/update.go:
 * `rollingUpdate` (with and without surge), `updatedDesiredNodeCounts`, `findUpdatedPodsOnNode`,
 * and the ControllerRevision bookkeeping (`constructHistory`, `snapshot`, `getPatch`, `Match`,
 * `dedupCurHistories`, `cleanupHistory`) that `kubectl rollout history/undo ds` reads.
 *
 * Upstream walks a Go map of node → pods, so which candidates go first is random there; here
 * nodes are taken in name order so a cluster run is reproducible.
 */
import { deepCopy, type KubeObject } from '../../kube/objects';
import { findResource } from '../../kube/resources';
import { StatusError } from '../../kube/status';
import type { Registry } from '../../apiserver/registry/registry';
import {
  canonicalJson,
  computeHash,
  isPodAvailable,
  newControllerRef,
} from '../util/controller-util';
import {
  FIELD_MANAGER,
  REVISION_HASH_LABEL,
  isPodUpdated,
  obj,
  placementOf,
  revisionOf,
  surgeCount,
  templateGeneration,
  unavailableCount,
} from './util';

const controllerRevisions = findResource('apps', 'v1', 'controllerrevisions')!;
const daemonSets = findResource('apps', 'v1', 'daemonsets')!;
const pods = findResource('', 'v1', 'pods')!;

// -------------------------------------------------------------------------------------------
// Rolling update

/** What a rollout step asks `syncNodes` to do. */
export interface RolloutPlan {
  readonly podsToDelete: string[];
  readonly nodesToCreate: string[];
}

export interface DesiredCounts {
  readonly maxSurge: number;
  readonly maxUnavailable: number;
  readonly desiredNumberScheduled: number;
}

/**
 * `updatedDesiredNodeCounts`: how many nodes should run the daemon (counted as for status),
 * the surge and unavailability budgets (percentages rounded up), and — like upstream — an empty
 * entry in `nodeToDaemonPods` for every such node without pods. With both budgets 0 (only
 * reachable through rounding or legacy data) one unavailable pod is allowed.
 */
export function updatedDesiredNodeCounts(
  ds: KubeObject,
  nodeList: readonly KubeObject[],
  nodeToDaemonPods: Map<string, KubeObject[]>,
): DesiredCounts {
  let desiredNumberScheduled = 0;
  for (const node of nodeList) {
    if (!placementOf(node, ds).shouldRun) continue;
    desiredNumberScheduled++;
    const name = node.metadata.name ?? '';
    if (!nodeToDaemonPods.has(name)) nodeToDaemonPods.set(name, []);
  }
  let maxUnavailable: number;
  try {
    maxUnavailable = unavailableCount(ds, desiredNumberScheduled);
  } catch (error) {
    throw new Error(`invalid value for MaxUnavailable: ${message(error)}`);
  }
  let maxSurge: number;
  try {
    maxSurge = surgeCount(ds, desiredNumberScheduled);
  } catch (error) {
    throw new Error(`invalid value for MaxSurge: ${message(error)}`);
  }
  if (desiredNumberScheduled > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable, desiredNumberScheduled };
}

/**
 * `findUpdatedPodsOnNode`: the node's one new and one old pod (pods being deleted ignored), or
 * `ok: false` when there are several of either — left to `manage` to prune.
 */
export function findUpdatedPodsOnNode(
  ds: KubeObject,
  podsOnNode: readonly KubeObject[],
  hash: string,
): { newPod?: KubeObject; oldPod?: KubeObject; ok: boolean } {
  let newPod: KubeObject | undefined;
  let oldPod: KubeObject | undefined;
  const generation = templateGeneration(ds);
  for (const pod of podsOnNode) {
    if (pod.metadata.deletionTimestamp) continue;
    if (isPodUpdated(pod, hash, generation)) {
      if (newPod) return { ok: false };
      newPod = pod;
    } else {
      if (oldPod) return { ok: false };
      oldPod = pod;
    }
  }
  return { newPod, oldPod, ok: true };
}

/**
 * `rollingUpdate`: which old pods to delete and, with surge, on which nodes to start new pods,
 * within `maxUnavailable` / `maxSurge`.
 *
 * Without surge it only deletes: every unavailable old pod, plus available old pods while the
 * nodes already unavailable (no pod, an unavailable new pod, two pods, …) stay under
 * maxUnavailable; `manage` creates the replacements on its next pass. With surge it creates a
 * new pod beside each unavailable old pod and beside up to `maxSurge` available ones, deletes an
 * old pod once its new neighbour is available, and removes pods from nodes that no longer
 * qualify only while more pods are available than desired.
 */
export function planRollingUpdate(
  ds: KubeObject,
  nodeList: readonly KubeObject[],
  nodeToDaemonPods: Map<string, KubeObject[]>,
  hash: string,
  now: number,
): RolloutPlan {
  let counts: DesiredCounts;
  try {
    counts = updatedDesiredNodeCounts(ds, nodeList, nodeToDaemonPods);
  } catch (error) {
    throw new Error(`couldn't get unavailable numbers: ${message(error)}`);
  }
  const { maxSurge, maxUnavailable, desiredNumberScheduled } = counts;
  const minReadySeconds = minReadySecondsOf(ds);
  const available = (pod: KubeObject): boolean => isPodAvailable(pod, minReadySeconds, now);
  const nodeNames = [...nodeToDaemonPods.keys()].sort();

  if (maxSurge === 0) {
    let numUnavailable = 0;
    const allowedReplacementPods: string[] = [];
    const candidatePodsToDelete: string[] = [];
    for (const nodeName of nodeNames) {
      const { newPod, oldPod, ok } = findUpdatedPodsOnNode(
        ds,
        nodeToDaemonPods.get(nodeName)!,
        hash,
      );
      if (!ok) {
        numUnavailable++;
        continue;
      }
      if ((!oldPod && !newPod) || (oldPod && newPod)) {
        numUnavailable++;
      } else if (newPod) {
        if (!available(newPod)) numUnavailable++;
      } else if (oldPod) {
        if (!available(oldPod)) {
          allowedReplacementPods.push(oldPod.metadata.name ?? '');
          numUnavailable++;
        } else if (numUnavailable < maxUnavailable) {
          candidatePodsToDelete.push(oldPod.metadata.name ?? '');
        }
      }
    }
    const remaining = Math.min(
      Math.max(0, maxUnavailable - numUnavailable),
      candidatePodsToDelete.length,
    );
    return {
      podsToDelete: [...allowedReplacementPods, ...candidatePodsToDelete.slice(0, remaining)],
      nodesToCreate: [],
    };
  }

  const nodesByName = new Map(nodeList.map((node) => [node.metadata.name ?? '', node]));
  const nodeNamed = (nodeName: string): KubeObject => {
    const node = nodesByName.get(nodeName);
    if (!node) {
      throw new Error(
        `couldn't get node for nodeName ${JSON.stringify(nodeName)}: node ${JSON.stringify(nodeName)} not found`,
      );
    }
    return node;
  };
  const oldPodsToDelete: string[] = [];
  const shouldNotRunPodsToDelete: string[] = [];
  const candidateNewNodes: string[] = [];
  const allowedNewNodes: string[] = [];
  let numSurge = 0;
  let numAvailable = 0;
  for (const nodeName of nodeNames) {
    const { newPod, oldPod, ok } = findUpdatedPodsOnNode(ds, nodeToDaemonPods.get(nodeName)!, hash);
    if (!ok) {
      numSurge++;
      continue;
    }
    // Availability counts every node, including those being sunset by scheduling constraints.
    if (oldPod) {
      if (available(oldPod)) numAvailable++;
    } else if (newPod && available(newPod)) {
      numAvailable++;
    }
    if (!oldPod) continue; // manage() creates where there is nothing
    if (!newPod) {
      const shouldRun = placementOf(nodeNamed(nodeName), ds).shouldRun;
      if (!available(oldPod)) {
        if (!shouldRun) oldPodsToDelete.push(oldPod.metadata.name ?? '');
        else allowedNewNodes.push(nodeName);
      } else if (!shouldRun) {
        shouldNotRunPodsToDelete.push(oldPod.metadata.name ?? '');
      } else if (numSurge < maxSurge) {
        candidateNewNodes.push(nodeName);
      }
      continue;
    }
    // Already surged here: wait for the new pod, then retire the old one.
    if (!available(newPod)) {
      numSurge++;
      continue;
    }
    oldPodsToDelete.push(oldPod.metadata.name ?? '');
  }
  // With maxSurge the owner expects full availability: a pod on a node that no longer qualifies
  // goes only once more pods are available than desired.
  const deletable = Math.min(
    numAvailable - desiredNumberScheduled,
    shouldNotRunPodsToDelete.length,
  );
  if (deletable > 0) oldPodsToDelete.push(...shouldNotRunPodsToDelete.slice(0, deletable));
  const remainingSurge = Math.min(Math.max(0, maxSurge - numSurge), candidateNewNodes.length);
  return {
    podsToDelete: oldPodsToDelete,
    nodesToCreate: [...allowedNewNodes, ...candidateNewNodes.slice(0, remainingSurge)],
  };
}

export function minReadySecondsOf(ds: KubeObject): number {
  const value = obj(ds.spec).minReadySeconds;
  return typeof value === 'number' ? value : 0;
}

// -------------------------------------------------------------------------------------------
// Revision history

/**
 * `getPatch`: the DaemonSet's template as a strategic-merge patch that replaces it —
 * `{"spec":{"template":{…,"$patch":"replace"}}}` — which is what a ControllerRevision's `data`
 * holds and what `kubectl rollout undo` applies. Upstream marshals a Go map, so keys are sorted
 * at every level; `canonicalJson` of this object gives the same bytes.
 */
export function getPatch(ds: KubeObject): Record<string, unknown> {
  const template = deepCopy(obj(obj(ds.spec).template));
  template.$patch = 'replace';
  return JSON.parse(canonicalJson({ spec: { template } })) as Record<string, unknown>;
}

/** `Match`: the revision holds exactly this DaemonSet's template. */
export function matchesHistory(ds: KubeObject, history: KubeObject): boolean {
  return canonicalJson(getPatch(ds)) === canonicalJson(history.data);
}

/** What history bookkeeping needs from the controller. */
export interface HistoryDeps {
  readonly registry: Registry;
  /** `controlledHistories`: the DaemonSet's revisions, after adoption and release. */
  controlledHistories(ds: KubeObject): KubeObject[];
  /** `getDaemonPods`: the DaemonSet's pods, after adoption and release. */
  daemonPods(ds: KubeObject): KubeObject[];
}

/**
 * `constructHistory`: sorts the DaemonSet's revisions into the current one (same template) and
 * the old ones, labels revisions missing the hash label with their name, creates the current
 * revision if none matches, de-duplicates several matches, and renumbers the current revision
 * to max(old)+1 — which is how a rollback to an old template reuses that old object.
 */
export function constructHistory(
  deps: HistoryDeps,
  ds: KubeObject,
): { cur: KubeObject; old: KubeObject[] } {
  const namespace = ds.metadata.namespace ?? '';
  const current: KubeObject[] = [];
  const old: KubeObject[] = [];
  for (let history of deps.controlledHistories(ds)) {
    if (history.metadata.labels?.[REVISION_HASH_LABEL] === undefined) {
      const toUpdate = deepCopy(history);
      toUpdate.metadata.labels = {
        ...toUpdate.metadata.labels,
        [REVISION_HASH_LABEL]: toUpdate.metadata.name ?? '',
      };
      history = deps.registry.update(
        controllerRevisions,
        namespace,
        history.metadata.name ?? '',
        toUpdate,
        { fieldManager: FIELD_MANAGER },
      ).object;
    }
    if (matchesHistory(ds, history)) current.push(history);
    else old.push(history);
  }
  const currRevision = maxRevision(old) + 1;
  let cur: KubeObject;
  if (current.length === 0) {
    cur = snapshot(deps, ds, currRevision);
  } else {
    cur = dedupCurHistories(deps, ds, current);
    if (revisionOf(cur) < currRevision) {
      const toUpdate = deepCopy(cur);
      toUpdate.revision = currRevision;
      deps.registry.update(controllerRevisions, namespace, cur.metadata.name ?? '', toUpdate, {
        fieldManager: FIELD_MANAGER,
      });
    }
  }
  return { cur, old };
}

function maxRevision(histories: readonly KubeObject[]): number {
  let max = 0;
  for (const history of histories) max = Math.max(max, revisionOf(history));
  return max;
}

/**
 * `snapshot`: creates the revision `<ds>-<hash>` for the current template — labels of the
 * template plus the hash, a copy of the DaemonSet's annotations, a controller reference, `data`
 * from `getPatch`. On a name collision with a different template it bumps
 * `status.collisionCount` (so the next hash differs) and fails the sync.
 */
export function snapshot(deps: HistoryDeps, ds: KubeObject, revision: number): KubeObject {
  const { registry } = deps;
  const namespace = ds.metadata.namespace ?? '';
  const dsName = ds.metadata.name ?? '';
  const template = obj(obj(ds.spec).template);
  const collisionCount = collisionCountOf(ds);
  const hash = computeHash(template, collisionCount);
  const name = `${dsName}-${hash}`;
  const templateLabels = obj(obj(template.metadata).labels) as Record<string, string>;
  const history: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name,
      namespace,
      labels: { ...templateLabels, [REVISION_HASH_LABEL]: hash },
      ...(ds.metadata.annotations ? { annotations: { ...ds.metadata.annotations } } : {}),
      ownerReferences: [newControllerRef(ds)],
    },
    data: getPatch(ds),
    revision,
  };
  try {
    return registry.create(controllerRevisions, namespace, history, {
      fieldManager: FIELD_MANAGER,
    });
  } catch (outer) {
    if (!(outer instanceof StatusError) || outer.code !== 409) throw outer;
    const existing = registry.get(controllerRevisions, namespace, name);
    if (matchesHistory(ds, existing)) return existing;
    const fresh = registry.get(daemonSets, namespace, dsName);
    if (collisionCountOf(fresh) !== collisionCount) {
      throw new Error(
        `found a stale collision count (${String(collisionCount)}, expected ${String(collisionCountOf(fresh))}) of DaemonSet ${JSON.stringify(dsName)} while processing; will retry until it is updated`,
      );
    }
    const toUpdate = deepCopy(fresh);
    toUpdate.status = { ...obj(toUpdate.status), collisionCount: (collisionCount ?? 0) + 1 };
    registry.update(daemonSets, namespace, dsName, toUpdate, {
      subresource: 'status',
      fieldManager: FIELD_MANAGER,
    });
    throw outer;
  }
}

export function collisionCountOf(ds: KubeObject): number | undefined {
  const value = obj(ds.status).collisionCount;
  return typeof value === 'number' ? value : undefined;
}

/**
 * `dedupCurHistories`: several revisions match the current template; keep the highest, move
 * pods that carry another one's hash over to it, delete the rest.
 */
function dedupCurHistories(
  deps: HistoryDeps,
  ds: KubeObject,
  curHistories: KubeObject[],
): KubeObject {
  if (curHistories.length === 1) return curHistories[0]!;
  let keep = curHistories[0]!;
  let max = 0;
  for (const cur of curHistories) {
    if (revisionOf(cur) >= max) {
      keep = cur;
      max = revisionOf(cur);
    }
  }
  const namespace = ds.metadata.namespace ?? '';
  const keepHash = keep.metadata.labels?.[REVISION_HASH_LABEL] ?? '';
  for (const pod of deps.daemonPods(ds)) {
    if (pod.metadata.labels?.[REVISION_HASH_LABEL] === keepHash) continue;
    // A merge patch of the one label, as upstream sends.
    deps.registry.modify(
      pods,
      namespace,
      pod.metadata.name ?? '',
      (copy) => {
        copy.metadata.labels = { ...copy.metadata.labels, [REVISION_HASH_LABEL]: keepHash };
        return copy;
      },
      { fieldManager: FIELD_MANAGER },
    );
  }
  for (const cur of curHistories) {
    if (cur.metadata.name === keep.metadata.name) continue;
    deps.registry.delete(controllerRevisions, namespace, cur.metadata.name ?? '');
  }
  return keep;
}

/**
 * `cleanupHistory`: keeps `revisionHistoryLimit` old revisions (the current one not counted),
 * deleting the lowest-numbered first but never one whose hash a pod still carries — counting
 * terminal pods that are being deleted (`getNodesToDaemonPods(ds, true)`).
 */
export function cleanupHistory(
  deps: HistoryDeps,
  ds: KubeObject,
  old: readonly KubeObject[],
  nodesToDaemonPods: ReadonlyMap<string, readonly KubeObject[]>,
): void {
  const limit = obj(ds.spec).revisionHistoryLimit;
  const toKeep = typeof limit === 'number' ? limit : 10;
  let toKill = old.length - toKeep;
  if (toKill <= 0) return;
  const liveHashes = new Set<string>();
  for (const podsOnNode of nodesToDaemonPods.values()) {
    for (const pod of podsOnNode) {
      const hash = pod.metadata.labels?.[REVISION_HASH_LABEL];
      if (hash) liveHashes.add(hash);
    }
  }
  const sorted = [...old].sort((a, b) => revisionOf(a) - revisionOf(b));
  for (const history of sorted) {
    if (toKill <= 0) break;
    const hash = history.metadata.labels?.[REVISION_HASH_LABEL];
    if (hash !== undefined && liveHashes.has(hash)) continue;
    deps.registry.delete(
      controllerRevisions,
      ds.metadata.namespace ?? '',
      history.metadata.name ?? '',
    );
    toKill--;
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

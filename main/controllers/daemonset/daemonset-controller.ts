/**
 * # DaemonSet controller
 *
 * Kubelab's port of kube-controller-manager's `daemonset-controller`
 * (pkg/controller/daemon/daemon_controller.go, update.go, util/daemonset_util.go), behaving as
 * `research/daemonset-spec.md` §1–§3 describes:
 *
 * - **Placement**: for every node, `nodeShouldRunDaemonPod` (kube/scheduling.ts) says whether a
 *   pod should be created (`shouldRun`) and whether an existing one may stay
 *   (`shouldContinueRunning`). Pods are created with `generateName: <ds>-`, the template's labels
 *   plus `controller-revision-hash` and `pod-template-generation`, the default daemon
 *   tolerations, a controller reference, and a required node affinity pinning them to their
 *   node (`matchFields metadata.name In [node]`); the scheduler binds them.
 * - **Reconciliation** (`manage`): create on nodes missing a pod, delete duplicates, failed pods
 *   (with a per-node backoff from 1 s to 15 min) and succeeded pods, and pods on nodes that no
 *   longer qualify; at most `burstReplicas` (250) creates and deletes per sync, creates in
 *   slow-start batches, and nothing more until the informer has seen them (expectations).
 * - **Rollouts**: `RollingUpdate` without surge (delete up to maxUnavailable, `manage` recreates)
 *   or with surge (start up to maxSurge new pods beside old ones, delete old ones once the new
 *   ones are available); `OnDelete` never replaces. ControllerRevisions `<ds>-<hash>` record each
 *   template for `kubectl rollout history/undo`, trimmed to `revisionHistoryLimit`.
 * - **Status**: the eight counters of §2, written through the status subresource only when they
 *   change, `observedGeneration` raised only after a full sync.
 *
 * It reads DaemonSets, ControllerRevisions, pods and nodes from the shared informers and writes
 * only through the registry, with field manager `kube-controller-manager`. Its events
 * (`SuccessfulCreate`, `FailedCreate`, `SuccessfulDelete`, `FailedDelete`, `FailedDaemonPod`,
 * `SucceededDaemonPod`, `SelectingAll`) come from `daemonset-controller`.
 *
 * Wiring: `manager.add((ctx) => new DaemonSetController(ctx))`.
 */
import { deepCopy, type KubeObject, type OwnerReference } from '../../kube/objects';
import { labelSelectorAsSelector, type LabelSelector, type Selector } from '../../kube/labels';
import { findResource, type ResourceType } from '../../kube/resources';
import { pinToNode, targetNodeName } from '../../kube/scheduling';
import { StatusError, errors, isNamespaceTerminating, isNotFound } from '../../kube/status';
import type { Controller, ControllerContext } from '../runtime/manager';
import { keyOf, splitKey, type Informer } from '../runtime/informer';
import type { EventRecorder } from '../runtime/events';
import type { WorkQueue } from '../runtime/queue';
import {
  SLOW_START_INITIAL_BATCH_SIZE,
  claimObjects,
  controllerOf,
  isPodAvailable,
  isPodReady,
  isPodTerminal,
  newControllerRef,
  podFromTemplate,
  podsPrefix,
} from '../util/controller-util';
import { Backoff, ControllerExpectations } from './expectations';
import {
  cleanupHistory,
  constructHistory,
  minReadySecondsOf,
  planRollingUpdate,
  type HistoryDeps,
} from './update';
import {
  FIELD_MANAGER,
  REVISION_HASH_LABEL,
  aggregate,
  allowsSurge,
  compareDaemonPods,
  createPodTemplate,
  isPodUpdated,
  obj,
  placementOf,
  podNodeName,
  podPhase,
  templateGeneration,
} from './util';

const daemonSets = findResource('apps', 'v1', 'daemonsets')!;
const controllerRevisions = findResource('apps', 'v1', 'controllerrevisions')!;
const pods = findResource('', 'v1', 'pods')!;
const nodes = findResource('', 'v1', 'nodes')!;

/** `daemon.BurstReplicas`: creates (and deletes) per sync. */
export const BURST_REPLICAS = 250;
/** `daemon.StatusUpdateRetries`. */
export const STATUS_UPDATE_RETRIES = 1;
/** kube-controller-manager's `flowcontrol.NewBackOff(1*time.Second, 15*time.Minute)`. */
export const FAILED_PODS_BACKOFF_INITIAL_MS = 1000;
export const FAILED_PODS_BACKOFF_MAX_MS = 15 * 60_000;

/**
 * Pods by controller: `<namespace>/<controller uid>`, or `<namespace>/` for an orphan. ClaimPods
 * looks at every pod of the namespace, but only orphans and its own pods can come out of it, so
 * when the namespace has no orphan those are the DaemonSet's own (in the same order: every
 * index moves a pod to its end on each change).
 */
const CONTROLLER_INDEX = 'daemonset:controller';

function controllerIndexOf(pod: KubeObject): string[] {
  return [`${pod.metadata.namespace ?? ''}/${controllerOf(pod)?.uid ?? ''}`];
}

export const SELECTING_ALL_MESSAGE =
  'This daemon set is selecting all pods. A non-empty selector is required.';

export interface DaemonSetControllerOptions {
  /** Creates and deletes per sync (default 250, `BurstReplicas`). */
  readonly burstReplicas?: number;
  /** First delay before a failed daemon pod on the same node is killed again (default 1 s). */
  readonly failedPodsBackoffInitialMs?: number;
  /** Longest such delay (default 15 min). */
  readonly failedPodsBackoffMaxMs?: number;
}

/** The eight counters of `DaemonSetStatus` the controller computes (§2). */
export interface DaemonSetCounts {
  readonly desiredNumberScheduled: number;
  readonly currentNumberScheduled: number;
  readonly numberMisscheduled: number;
  readonly numberReady: number;
  readonly updatedNumberScheduled: number;
  readonly numberAvailable: number;
  readonly numberUnavailable: number;
}

type NodeToDaemonPods = Map<string, KubeObject[]>;

/** See the module comment. */
export class DaemonSetController implements Controller {
  /** The work queue of DaemonSet keys (`ns/name`). */
  readonly queue: WorkQueue;
  /** Pending creates and deletes per DaemonSet key. */
  readonly expectations: ControllerExpectations;
  /** Per `<ds-uid>/<observedGeneration>/<node>` delays between kills of failed pods. */
  readonly failedPodsBackoff: Backoff;
  private readonly dsInformer: Informer;
  private readonly historyInformer: Informer;
  private readonly podInformer: Informer;
  private readonly nodeInformer: Informer;
  private readonly recorder: EventRecorder;
  private readonly burstReplicas: number;
  private readonly historyDeps: HistoryDeps;
  /**
   * The claimed pods of the DaemonSet being synced: caches do not change during a sync, so
   * manage, the rollout, history and status (each of which calls getDaemonPods upstream) claim
   * once.
   */
  private claimed: { readonly ds: KubeObject; readonly pods: KubeObject[] } | undefined;

  constructor(
    private readonly ctx: ControllerContext,
    options: DaemonSetControllerOptions = {},
  ) {
    this.burstReplicas = options.burstReplicas ?? BURST_REPLICAS;
    this.expectations = new ControllerExpectations(ctx.clock);
    this.failedPodsBackoff = new Backoff(
      ctx.clock,
      options.failedPodsBackoffInitialMs ?? FAILED_PODS_BACKOFF_INITIAL_MS,
      options.failedPodsBackoffMaxMs ?? FAILED_PODS_BACKOFF_MAX_MS,
    );
    this.recorder = ctx.recorder({ component: 'daemonset-controller' });
    this.queue = ctx.queue('daemonset', (key) => this.syncDaemonSet(key));
    this.dsInformer = ctx.informers.for(daemonSets);
    this.historyInformer = ctx.informers.for(controllerRevisions);
    this.podInformer = ctx.informers.for(pods);
    this.podInformer.addIndex(CONTROLLER_INDEX, controllerIndexOf);
    this.nodeInformer = ctx.informers.for(nodes);
    this.historyDeps = {
      registry: ctx.registry,
      controlledHistories: (ds) => this.controlledHistories(ds),
      daemonPods: (ds) => this.getDaemonPods(ds),
    };

    this.dsInformer.addHandlers({
      add: (ds) => this.enqueue(ds),
      update: (old, cur) => {
        // updateDaemonset: a recreated DaemonSet (new uid) first clears the old one's expectations.
        if (old.metadata.uid !== cur.metadata.uid) this.deleteDaemonSet(old);
        this.enqueue(cur);
      },
      delete: (ds) => this.deleteDaemonSet(ds),
    });
    this.historyInformer.addHandlers({
      add: (history) => this.addHistory(history),
      update: (old, cur) => this.updateHistory(old, cur),
      delete: (history) => this.deleteHistory(history),
    });
    this.podInformer.addHandlers({
      add: (pod) => this.addPod(pod),
      update: (old, cur) => this.updatePod(old, cur),
      delete: (pod) => this.deletePod(pod),
    });
    // Like upstream, no delete handler: a deleted node's pods go through PodGC, and their
    // deletion re-syncs the DaemonSet.
    this.nodeInformer.addHandlers({
      add: (node) => this.addNode(node),
      update: (old, cur) => this.updateNode(old, cur),
    });
  }

  /**
   * Forgets expectations and backoffs, as a restarted kube-controller-manager would; the
   * manager shuts the queue down (with its delayed keys).
   */
  stop(): void {
    this.expectations.clear();
    this.failedPodsBackoff.clear();
  }

  // -----------------------------------------------------------------------------------------
  // Event handlers (NewDaemonSetsController)

  private enqueue(ds: KubeObject): void {
    this.queue.add(keyOf(ds));
  }

  private enqueueAfter(ds: KubeObject, ms: number): void {
    this.queue.addAfter(keyOf(ds), ms);
  }

  private deleteDaemonSet(ds: KubeObject): void {
    const key = keyOf(ds);
    this.expectations.delete(key);
    this.queue.add(key);
  }

  /** `resolveControllerRef`: the DaemonSet a controller reference names, if it still exists. */
  private resolveControllerRef(namespace: string, ref: OwnerReference): KubeObject | undefined {
    if (ref.kind !== 'DaemonSet') return undefined;
    const ds = this.dsInformer.get(namespace, ref.name);
    return ds && ds.metadata.uid === ref.uid ? ds : undefined;
  }

  /**
   * `GetPodDaemonSets` / `GetHistoryDaemonSets`: DaemonSets in the object's namespace whose
   * non-empty selector matches its labels.
   */
  private daemonSetsSelecting(object: KubeObject): KubeObject[] {
    const labels = object.metadata.labels;
    if (!labels || Object.keys(labels).length === 0) return [];
    const out: KubeObject[] = [];
    for (const ds of this.dsInformer.list(object.metadata.namespace ?? '')) {
      let selector: Selector;
      try {
        selector = selectorOf(ds);
      } catch {
        continue;
      }
      if (selector.empty || !selector.matches(labels)) continue;
      out.push(ds);
    }
    return out;
  }

  private addHistory(history: KubeObject): void {
    if (history.metadata.deletionTimestamp) {
      this.deleteHistory(history);
      return;
    }
    const ref = controllerOf(history);
    if (ref) {
      // A revision with an owner needs nothing from its owner until it changes.
      return;
    }
    for (const ds of this.daemonSetsSelecting(history)) this.enqueue(ds);
  }

  private updateHistory(old: KubeObject, cur: KubeObject): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    const curRef = controllerOf(cur);
    const oldRef = controllerOf(old);
    const refChanged = !sameRef(curRef, oldRef);
    if (refChanged && oldRef) {
      const ds = this.resolveControllerRef(old.metadata.namespace ?? '', oldRef);
      if (ds) this.enqueue(ds);
    }
    if (curRef) {
      const ds = this.resolveControllerRef(cur.metadata.namespace ?? '', curRef);
      if (ds) this.enqueue(ds);
      return;
    }
    if (refChanged || !sameLabels(old.metadata.labels, cur.metadata.labels)) {
      for (const ds of this.daemonSetsSelecting(cur)) this.enqueue(ds);
    }
  }

  private deleteHistory(history: KubeObject): void {
    const ref = controllerOf(history);
    if (!ref) return;
    const ds = this.resolveControllerRef(history.metadata.namespace ?? '', ref);
    if (ds) this.enqueue(ds);
  }

  private addPod(pod: KubeObject): void {
    if (pod.metadata.deletionTimestamp) {
      // A pod already being deleted is not a creation to observe.
      this.deletePod(pod);
      return;
    }
    const ref = controllerOf(pod);
    if (ref) {
      const ds = this.resolveControllerRef(pod.metadata.namespace ?? '', ref);
      if (!ds) return;
      this.expectations.creationObserved(keyOf(ds));
      this.enqueue(ds);
      return;
    }
    // An orphan: wake every DaemonSet that might adopt it. Not a creation anyone expects.
    for (const ds of this.daemonSetsSelecting(pod)) this.enqueue(ds);
  }

  private updatePod(old: KubeObject, cur: KubeObject): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    if (cur.metadata.deletionTimestamp) {
      // Graceful deletion starts: count it as the delete so a replacement comes at once.
      this.deletePod(cur);
      return;
    }
    const curRef = controllerOf(cur);
    const oldRef = controllerOf(old);
    const refChanged = !sameRef(curRef, oldRef);
    if (refChanged && oldRef) {
      const ds = this.resolveControllerRef(old.metadata.namespace ?? '', oldRef);
      if (ds) this.enqueue(ds);
    }
    if (curRef) {
      const ds = this.resolveControllerRef(cur.metadata.namespace ?? '', curRef);
      if (!ds) return;
      this.enqueue(ds);
      const minReadySeconds = minReadySecondsOf(ds);
      if (minReadySeconds > 0 && !isPodReady(old) && isPodReady(cur)) {
        // A second more than minReadySeconds, against skew (kubernetes/kubernetes#39785).
        this.enqueueAfter(ds, (minReadySeconds + 1) * 1000);
      }
      return;
    }
    const candidates = this.daemonSetsSelecting(cur);
    if (candidates.length === 0) return;
    if (refChanged || !sameLabels(old.metadata.labels, cur.metadata.labels)) {
      for (const ds of candidates) this.enqueue(ds);
    }
  }

  private deletePod(pod: KubeObject): void {
    const ref = controllerOf(pod);
    if (!ref) return; // nobody waits for an orphan's deletion
    const ds = this.resolveControllerRef(pod.metadata.namespace ?? '', ref);
    if (!ds) return;
    this.expectations.deletionObserved(keyOf(ds));
    this.enqueue(ds);
  }

  private addNode(node: KubeObject): void {
    for (const ds of this.dsInformer.list()) {
      if (placementOf(node, ds).shouldRun) this.enqueue(ds);
    }
  }

  private updateNode(old: KubeObject, cur: KubeObject): void {
    if (shouldIgnoreNodeUpdate(old, cur)) return;
    for (const ds of this.dsInformer.list()) {
      const before = placementOf(old, ds);
      const after = placementOf(cur, ds);
      if (
        before.shouldRun !== after.shouldRun ||
        before.shouldContinueRunning !== after.shouldContinueRunning
      ) {
        this.enqueue(ds);
      }
    }
  }

  // -----------------------------------------------------------------------------------------
  // Sync (syncDaemonSet)

  /**
   * `syncDaemonSet`: the manager calls this for each queued key (tests may call it directly, as
   * upstream's tests call `syncHandler`). A throw makes the manager retry the key with backoff.
   */
  syncDaemonSet(key: string): void {
    try {
      this.sync(key);
    } finally {
      this.claimed = undefined;
    }
  }

  private sync(key: string): void {
    const { namespace, name } = splitKey(key);
    const ds = this.dsInformer.get(namespace, name);
    if (!ds) {
      this.expectations.delete(key);
      return;
    }
    const nodeList = this.nodeList();
    if (isSelectingAll(ds)) {
      this.recorder.event(ds, 'Warning', 'SelectingAll', SELECTING_ALL_MESSAGE);
      return;
    }
    // Being deleted (foreground or orphan): its revisions may already be gone, so no status
    // can be trusted either. Do nothing.
    if (ds.metadata.deletionTimestamp) return;

    const { cur, old } = constructHistory(this.historyDeps, ds);
    const hash = cur.metadata.labels?.[REVISION_HASH_LABEL] ?? '';

    if (!this.expectations.satisfied(key)) {
      // Only status; observedGeneration stays, this generation was not fully processed.
      this.updateDaemonSetStatus(ds, nodeList, hash, false);
      return;
    }

    let error: unknown;
    try {
      this.updateDaemonSet(ds, nodeList, hash, key, old);
    } catch (e) {
      error = e;
    }
    let statusError: unknown;
    try {
      this.updateDaemonSetStatus(ds, nodeList, hash, true);
    } catch (e) {
      statusError = e;
    }
    if (error !== undefined) {
      if (statusError !== undefined) {
        this.ctx.log(
          `daemonset-controller: failed to update status of ${key}: ${messageOf(statusError)}`,
        );
      }
      throw error;
    }
    if (statusError !== undefined) throw statusError;
  }

  /** `updateDaemonSet`: manage, then the rollout once expectations allow, then history. */
  private updateDaemonSet(
    ds: KubeObject,
    nodeList: readonly KubeObject[],
    hash: string,
    key: string,
    old: KubeObject[],
  ): void {
    this.manage(ds, nodeList, hash);
    if (this.expectations.satisfied(key)) {
      if (obj(obj(ds.spec).updateStrategy).type === 'RollingUpdate') {
        this.rollingUpdate(ds, nodeList, hash);
      }
    }
    try {
      cleanupHistory(this.historyDeps, ds, old, this.nodeToDaemonPodsFor(ds, true));
    } catch (error) {
      throw new Error(`failed to clean up revisions of DaemonSet: ${messageOf(error)}`);
    }
  }

  private rollingUpdate(ds: KubeObject, nodeList: readonly KubeObject[], hash: string): void {
    const nodeToDaemonPods = this.nodeToDaemonPodsFor(ds, false);
    const plan = planRollingUpdate(ds, nodeList, nodeToDaemonPods, hash, this.ctx.clock.now());
    this.syncNodes(ds, plan.podsToDelete, plan.nodesToCreate, hash);
  }

  /** Every node, in name order (upstream's lister order is arbitrary). */
  private nodeList(): KubeObject[] {
    return this.nodeInformer
      .list()
      .sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  }

  // -----------------------------------------------------------------------------------------
  // Pods of a DaemonSet

  /**
   * `getDaemonPods`: the namespace's pods the DaemonSet controls, adopting selected orphans and
   * releasing owned pods it no longer selects (PodControllerRefManager.ClaimPods).
   */
  private getDaemonPods(ds: KubeObject): KubeObject[] {
    if (this.claimed?.ds === ds) return this.claimed.pods;
    const namespace = ds.metadata.namespace ?? '';
    const orphans = this.podInformer.byIndex(CONTROLLER_INDEX, `${namespace}/`);
    const candidates =
      orphans.length > 0
        ? this.podInformer.list(namespace)
        : this.podInformer.byIndex(CONTROLLER_INDEX, `${namespace}/${ds.metadata.uid ?? ''}`);
    const claimed = this.claim(ds, pods, candidates);
    this.claimed = { ds, pods: claimed };
    return claimed;
  }

  /**
   * `getNodesToDaemonPods`: the DaemonSet's pods by target node (`spec.nodeName`, or the pin of
   * an unbound pod). Terminal pods already being deleted are left out unless asked for.
   */
  private getNodesToDaemonPods(ds: KubeObject, includeDeletedTerminal: boolean): NodeToDaemonPods {
    const out: NodeToDaemonPods = new Map();
    for (const pod of this.getDaemonPods(ds)) {
      if (!includeDeletedTerminal && isPodTerminal(pod) && pod.metadata.deletionTimestamp) {
        continue;
      }
      const nodeName = targetNodeName(pod);
      if (nodeName === undefined) continue;
      let list = out.get(nodeName);
      if (!list) out.set(nodeName, (list = []));
      list.push(pod);
    }
    return out;
  }

  /** `getNodesToDaemonPods` with the error its callers wrap it in. */
  private nodeToDaemonPodsFor(ds: KubeObject, includeDeletedTerminal: boolean): NodeToDaemonPods {
    try {
      return this.getNodesToDaemonPods(ds, includeDeletedTerminal);
    } catch (error) {
      throw new Error(
        `couldn't get node to daemon pod mapping for daemon set ${JSON.stringify(ds.metadata.name ?? '')}: ${messageOf(error)}`,
      );
    }
  }

  /** `controlledHistories`: ControllerRevisions of the DaemonSet's namespace, claimed. */
  private controlledHistories(ds: KubeObject): KubeObject[] {
    return this.claim(
      ds,
      controllerRevisions,
      this.historyInformer.list(ds.metadata.namespace ?? ''),
    );
  }

  /**
   * `ClaimPods` / `ClaimControllerRevisions`: adoption patches in a controller reference (after
   * an uncached check that the DaemonSet is not being deleted, `RecheckDeletionTimestamp`),
   * release removes ours. Errors other than NotFound fail the sync after the whole list was
   * looked at, as upstream aggregates them.
   */
  private claim(ds: KubeObject, type: ResourceType, objects: readonly KubeObject[]): KubeObject[] {
    const selector = selectorOf(ds);
    const namespace = ds.metadata.namespace ?? '';
    const uid = ds.metadata.uid ?? '';
    const errors: unknown[] = [];
    let adoptable: boolean | undefined;
    const claimed = claimObjects(ds, selector, objects, {
      canAdopt: () => {
        if (adoptable === undefined) {
          try {
            const fresh = this.ctx.registry.get(daemonSets, namespace, ds.metadata.name ?? '');
            if (fresh.metadata.uid !== uid) {
              throw new Error(
                `original DaemonSet ${namespace}/${ds.metadata.name ?? ''} is gone: got uid ${fresh.metadata.uid ?? ''}, wanted ${uid}`,
              );
            }
            if (fresh.metadata.deletionTimestamp) {
              throw new Error(
                `${namespace}/${ds.metadata.name ?? ''} has just been deleted at ${fresh.metadata.deletionTimestamp}`,
              );
            }
            adoptable = true;
          } catch (error) {
            errors.push(
              error instanceof StatusError
                ? new Error(`can't recheck DeletionTimestamp: ${error.message}`)
                : error,
            );
            adoptable = false;
          }
        }
        return adoptable;
      },
      adopt: (object) => {
        try {
          return this.ctx.registry.modify(
            type,
            namespace,
            object.metadata.name ?? '',
            (copy) => {
              if (copy.metadata.uid !== object.metadata.uid) throw notFound(type, copy);
              const existing = controllerOf(copy);
              if (existing && existing.uid !== uid) {
                throw new Error(
                  `${type.kind} ${copy.metadata.name ?? ''} is already controlled by ${existing.kind} ${existing.name}`,
                );
              }
              if (!existing) {
                copy.metadata.ownerReferences = [
                  ...(copy.metadata.ownerReferences ?? []),
                  newControllerRef(ds),
                ];
              }
              return copy;
            },
            { fieldManager: FIELD_MANAGER },
          );
        } catch (error) {
          if (!isNotFound(error)) errors.push(error);
          return undefined;
        }
      },
      release: (object) => {
        try {
          this.ctx.registry.modify(
            type,
            namespace,
            object.metadata.name ?? '',
            (copy) => {
              if (copy.metadata.uid !== object.metadata.uid) throw notFound(type, copy);
              const refs = (copy.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
              if (refs.length > 0) copy.metadata.ownerReferences = refs;
              else delete copy.metadata.ownerReferences;
              return copy;
            },
            { fieldManager: FIELD_MANAGER },
          );
        } catch (error) {
          // NotFound: already gone. Invalid: no such reference any more. Both are fine.
          if (!isNotFound(error) && !(error instanceof StatusError && error.code === 422)) {
            errors.push(error);
          }
        }
      },
    });
    const error = aggregate(errors);
    if (error) throw error;
    return claimed;
  }

  // -----------------------------------------------------------------------------------------
  // manage / podsShouldBeOnNode / syncNodes

  /**
   * `manage`: per node, what to create and delete (`podsShouldBeOnNode`), plus unbound pods
   * pinned to nodes that no longer exist (`getUnscheduledPodsWithoutNode`).
   */
  private manage(ds: KubeObject, nodeList: readonly KubeObject[], hash: string): void {
    const nodeToDaemonPods = this.nodeToDaemonPodsFor(ds, false);
    const nodesNeedingDaemonPods: string[] = [];
    const podsToDelete: string[] = [];
    for (const node of nodeList) {
      const onNode = this.podsShouldBeOnNode(node, nodeToDaemonPods, ds, hash);
      nodesNeedingDaemonPods.push(...onNode.nodesNeedingDaemonPods);
      podsToDelete.push(...onNode.podsToDelete);
    }
    podsToDelete.push(...getUnscheduledPodsWithoutNode(nodeList, nodeToDaemonPods));
    this.syncNodes(ds, podsToDelete, nodesNeedingDaemonPods, hash);
  }

  /** `podsShouldBeOnNode`: see research/daemonset-spec.md §1.5. */
  private podsShouldBeOnNode(
    node: KubeObject,
    nodeToDaemonPods: NodeToDaemonPods,
    ds: KubeObject,
    hash: string,
  ): { nodesNeedingDaemonPods: string[]; podsToDelete: string[] } {
    const nodeName = node.metadata.name ?? '';
    const { shouldRun, shouldContinueRunning } = placementOf(node, ds);
    const daemonPods = nodeToDaemonPods.get(nodeName);
    const nodesNeedingDaemonPods: string[] = [];
    const podsToDelete: string[] = [];
    if (shouldRun && !daemonPods) {
      nodesNeedingDaemonPods.push(nodeName);
    } else if (shouldContinueRunning) {
      const running: KubeObject[] = [];
      for (const pod of daemonPods ?? []) {
        if (pod.metadata.deletionTimestamp) continue;
        const phase = podPhase(pod);
        const podRef = `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
        if (phase === 'Failed') {
          // The DaemonSet often fights a kubelet that rejects its pods: back off per node.
          const backoffKey = failedPodsBackoffKey(ds, nodeName);
          const now = this.ctx.clock.now();
          if (this.failedPodsBackoff.isInBackOffSinceUpdate(backoffKey, now)) {
            this.enqueueAfter(ds, this.failedPodsBackoff.get(backoffKey));
            continue;
          }
          this.failedPodsBackoff.next(backoffKey, now);
          this.recorder.event(
            ds,
            'Warning',
            'FailedDaemonPod',
            `Found failed daemon pod ${podRef} on node ${nodeName}, will try to kill it`,
          );
          podsToDelete.push(pod.metadata.name ?? '');
        } else if (phase === 'Succeeded') {
          this.recorder.event(
            ds,
            'Normal',
            'SucceededDaemonPod',
            `Found succeeded daemon pod ${podRef} on node ${nodeName}, will try to delete it`,
          );
          podsToDelete.push(pod.metadata.name ?? '');
        } else {
          running.push(pod);
        }
      }
      if (!allowsSurge(ds)) {
        // Keep the best-placed, oldest pod; delete the rest. Never create here: a terminating
        // pod is replaced only once it is gone.
        if (running.length > 1) {
          running.sort(compareDaemonPods);
          for (const pod of running.slice(1)) podsToDelete.push(pod.metadata.name ?? '');
        }
      } else if (running.length <= 1) {
        // Surging: a node needs one pod that is not being deleted.
        if (running.length === 0 && shouldRun) nodesNeedingDaemonPods.push(nodeName);
      } else {
        // Keep the oldest current pod and the oldest old pod; the old one goes once it is not
        // Ready or the new one is available.
        running.sort(compareDaemonPods);
        let oldestNew: KubeObject | undefined;
        let oldestOld: KubeObject | undefined;
        for (const pod of running) {
          if (pod.metadata.labels?.[REVISION_HASH_LABEL] === hash) {
            if (!oldestNew) {
              oldestNew = pod;
              continue;
            }
          } else if (!oldestOld) {
            oldestOld = pod;
            continue;
          }
          podsToDelete.push(pod.metadata.name ?? '');
        }
        if (oldestNew && oldestOld) {
          if (
            !isPodReady(oldestOld) ||
            isPodAvailable(oldestNew, minReadySecondsOf(ds), this.ctx.clock.now())
          ) {
            podsToDelete.push(oldestOld.metadata.name ?? '');
          }
        }
      }
    } else if (daemonPods) {
      for (const pod of daemonPods) {
        if (!pod.metadata.deletionTimestamp) podsToDelete.push(pod.metadata.name ?? '');
      }
    }
    return { nodesNeedingDaemonPods, podsToDelete };
  }

  /**
   * `syncNodes`: sets expectations, creates pods pinned to `nodesNeedingDaemonPods` in slow-start
   * batches (1, 2, 4 …; the first batch with an error ends the loop and the skipped creates are
   * no longer expected), then deletes `podsToDelete`; at most `burstReplicas` of each.
   */
  private syncNodes(
    ds: KubeObject,
    podsToDelete: readonly string[],
    nodesNeedingDaemonPods: readonly string[],
    hash: string,
  ): void {
    const key = keyOf(ds);
    const createDiff = Math.min(nodesNeedingDaemonPods.length, this.burstReplicas);
    const deleteDiff = Math.min(podsToDelete.length, this.burstReplicas);
    this.expectations.set(key, createDiff, deleteDiff);
    const errors: unknown[] = [];
    const template = createPodTemplate(obj(ds.spec).template, templateGeneration(ds), hash);
    let batchSize = Math.min(createDiff, SLOW_START_INITIAL_BATCH_SIZE);
    for (let pos = 0; createDiff > pos;) {
      const errorCount = errors.length;
      for (let i = pos; i < pos + batchSize; i++) {
        const podTemplate = deepCopy(template);
        const spec = obj(podTemplate.spec);
        pinToNode(spec, nodesNeedingDaemonPods[i]!);
        podTemplate.spec = spec;
        try {
          this.createPod(ds, podTemplate);
        } catch (error) {
          // A terminating namespace fails every create; nothing to count or report.
          if (isNamespaceTerminating(error)) continue;
          this.expectations.creationObserved(key);
          errors.push(error);
        }
      }
      const skippedPods = createDiff - (batchSize + pos);
      if (errors.length > errorCount && skippedPods > 0) {
        this.expectations.lower(key, skippedPods, 0);
        break;
      }
      pos += batchSize;
      batchSize = Math.min(2 * batchSize, createDiff - pos);
    }
    for (let i = 0; i < deleteDiff; i++) {
      try {
        this.deleteDaemonPod(ds, podsToDelete[i]!);
      } catch (error) {
        this.expectations.deletionObserved(key);
        if (!isNotFound(error)) errors.push(error);
      }
    }
    const error = aggregate(errors);
    if (error) throw error;
  }

  /** `RealPodControl.CreatePods` with its events. */
  private createPod(ds: KubeObject, template: Record<string, unknown>): void {
    const pod = podFromTemplate(template, ds, podsPrefix(ds.metadata.name ?? ''));
    if (!pod.metadata.labels || Object.keys(pod.metadata.labels).length === 0) {
      throw new Error('unable to create pods, no labels');
    }
    let created: KubeObject;
    try {
      created = this.ctx.registry.create(pods, ds.metadata.namespace ?? '', pod, {
        fieldManager: FIELD_MANAGER,
      });
    } catch (error) {
      if (!isNamespaceTerminating(error)) {
        this.recorder.event(ds, 'Warning', 'FailedCreate', `Error creating: ${messageOf(error)}`);
      }
      throw error;
    }
    this.recorder.event(
      ds,
      'Normal',
      'SuccessfulCreate',
      `Created pod: ${created.metadata.name ?? ''}`,
    );
  }

  /** `RealPodControl.DeletePod` with its events; NotFound is thrown as is, unreported. */
  private deleteDaemonPod(ds: KubeObject, name: string): void {
    try {
      this.ctx.registry.delete(pods, ds.metadata.namespace ?? '', name);
    } catch (error) {
      if (isNotFound(error)) throw error;
      this.recorder.event(ds, 'Warning', 'FailedDelete', `Error deleting: ${messageOf(error)}`);
      throw new Error(`unable to delete pods: ${messageOf(error)}`);
    }
    this.recorder.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
  }

  // -----------------------------------------------------------------------------------------
  // Status (updateDaemonSetStatus / storeDaemonSetStatus)

  /** `updateDaemonSetStatus`: counts as §2 of the spec, stored if changed. */
  private updateDaemonSetStatus(
    ds: KubeObject,
    nodeList: readonly KubeObject[],
    hash: string,
    updateObservedGeneration: boolean,
  ): void {
    const nodeToDaemonPods = this.nodeToDaemonPodsFor(ds, false);
    const counts = computeDaemonSetCounts(
      ds,
      nodeList,
      nodeToDaemonPods,
      hash,
      this.ctx.clock.now(),
    );
    try {
      this.storeDaemonSetStatus(ds, counts, updateObservedGeneration);
    } catch (error) {
      throw new Error(
        `error storing status for daemon set ${ds.metadata.namespace ?? ''}/${ds.metadata.name ?? ''}: ${messageOf(error)}`,
        { cause: error },
      );
    }
    // A last line of defence against clock skew: look again once minReadySeconds have passed.
    // Deviation: 1 ms later than upstream. Here a sync takes no cluster time, so when Ready was
    // written on a whole second (lastTransitionTime has whole seconds) a re-queue at exactly
    // +minReadySeconds would find the pod on the boundary of IsPodAvailable's strict "<", and —
    // the queue keeping only the earliest delay per key, like client-go's — it has already
    // replaced updatePod's +minReadySeconds+1s re-queue, so availability would show only after
    // twice minReadySeconds. Upstream's sync latency puts it past the boundary.
    const minReadySeconds = minReadySecondsOf(ds);
    if (minReadySeconds > 0 && counts.numberReady !== counts.numberAvailable) {
      this.enqueueAfter(ds, minReadySeconds * 1000 + 1);
    }
  }

  /**
   * `storeDaemonSetStatus`: nothing when the counters are unchanged and observedGeneration is
   * current; otherwise an UpdateStatus, retried once on a fresh GET (a failed GET is the error).
   */
  private storeDaemonSetStatus(
    ds: KubeObject,
    counts: DaemonSetCounts,
    updateObservedGeneration: boolean,
  ): void {
    const status = obj(ds.status);
    const unchanged = (Object.keys(counts) as Array<keyof DaemonSetCounts>).every(
      (field) => numberOf(status[field]) === counts[field],
    );
    const generation = ds.metadata.generation ?? 0;
    if (unchanged && numberOf(status.observedGeneration) >= generation) return;
    const namespace = ds.metadata.namespace ?? '';
    const name = ds.metadata.name ?? '';
    let toUpdate = ds;
    for (let attempt = 0; ; attempt++) {
      const previous = obj(toUpdate.status);
      const observedGeneration = updateObservedGeneration
        ? generation
        : numberOf(previous.observedGeneration);
      const next: KubeObject = {
        ...toUpdate,
        status: daemonSetStatus(previous, counts, observedGeneration),
      };
      try {
        this.ctx.registry.update(daemonSets, namespace, name, next, {
          subresource: 'status',
          fieldManager: FIELD_MANAGER,
        });
        return;
      } catch (error) {
        if (attempt >= STATUS_UPDATE_RETRIES) throw error;
      }
      toUpdate = this.ctx.registry.get(daemonSets, namespace, name);
    }
  }
}

// -------------------------------------------------------------------------------------------
// Pure helpers

/**
 * The status counters of §2 (`updateDaemonSetStatus`): over every existing node, desired where
 * `shouldRun`; current, ready, available and updated judged by the node's oldest pod
 * (`podByCreationTimestampAndPhase`); misscheduled where a pod sits on a node that should not run
 * one.
 */
export function computeDaemonSetCounts(
  ds: KubeObject,
  nodeList: readonly KubeObject[],
  nodeToDaemonPods: ReadonlyMap<string, readonly KubeObject[]>,
  hash: string,
  now: number,
): DaemonSetCounts {
  let desiredNumberScheduled = 0;
  let currentNumberScheduled = 0;
  let numberMisscheduled = 0;
  let numberReady = 0;
  let updatedNumberScheduled = 0;
  let numberAvailable = 0;
  const minReadySeconds = minReadySecondsOf(ds);
  const generation = templateGeneration(ds);
  for (const node of nodeList) {
    const { shouldRun } = placementOf(node, ds);
    const daemonPods = nodeToDaemonPods.get(node.metadata.name ?? '') ?? [];
    const scheduled = daemonPods.length > 0;
    if (shouldRun) {
      desiredNumberScheduled++;
      if (!scheduled) continue;
      currentNumberScheduled++;
      const pod = [...daemonPods].sort(compareDaemonPods)[0]!;
      if (isPodReady(pod)) {
        numberReady++;
        if (isPodAvailable(pod, minReadySeconds, now)) numberAvailable++;
      }
      if (isPodUpdated(pod, hash, generation)) updatedNumberScheduled++;
    } else if (scheduled) {
      numberMisscheduled++;
    }
  }
  return {
    desiredNumberScheduled,
    currentNumberScheduled,
    numberMisscheduled,
    numberReady,
    updatedNumberScheduled,
    numberAvailable,
    numberUnavailable: desiredNumberScheduled - numberAvailable,
  };
}

/**
 * A `DaemonSetStatus` as Go encodes it: `currentNumberScheduled`, `numberMisscheduled`,
 * `desiredNumberScheduled` and `numberReady` always; `observedGeneration`,
 * `updatedNumberScheduled`, `numberAvailable` and `numberUnavailable` only when non-zero;
 * `collisionCount` and `conditions` kept as they were.
 */
export function daemonSetStatus(
  previous: Record<string, unknown>,
  counts: DaemonSetCounts,
  observedGeneration: number,
): Record<string, unknown> {
  const status: Record<string, unknown> = {
    currentNumberScheduled: counts.currentNumberScheduled,
    numberMisscheduled: counts.numberMisscheduled,
    desiredNumberScheduled: counts.desiredNumberScheduled,
    numberReady: counts.numberReady,
  };
  if (observedGeneration) status.observedGeneration = observedGeneration;
  if (counts.updatedNumberScheduled) status.updatedNumberScheduled = counts.updatedNumberScheduled;
  if (counts.numberAvailable) status.numberAvailable = counts.numberAvailable;
  if (counts.numberUnavailable) status.numberUnavailable = counts.numberUnavailable;
  if (previous.collisionCount !== undefined) status.collisionCount = previous.collisionCount;
  if (previous.conditions !== undefined) status.conditions = previous.conditions;
  return status;
}

/** `failedPodsBackoffKey`: `<ds-uid>/<status.observedGeneration>/<node>`. */
export function failedPodsBackoffKey(ds: KubeObject, nodeName: string): string {
  return `${ds.metadata.uid ?? ''}/${numberOf(obj(ds.status).observedGeneration)}/${nodeName}`;
}

/**
 * `getUnscheduledPodsWithoutNode`: unbound pods pinned to a node that does not exist. Nothing
 * else would ever remove them (PodGC only looks at bound pods).
 */
export function getUnscheduledPodsWithoutNode(
  nodeList: readonly KubeObject[],
  nodeToDaemonPods: ReadonlyMap<string, readonly KubeObject[]>,
): string[] {
  const existing = new Set(nodeList.map((node) => node.metadata.name ?? ''));
  const out: string[] = [];
  for (const nodeName of [...nodeToDaemonPods.keys()].sort()) {
    if (existing.has(nodeName)) continue;
    for (const pod of nodeToDaemonPods.get(nodeName)!) {
      if (podNodeName(pod) === '') out.push(pod.metadata.name ?? '');
    }
  }
  return out;
}

/**
 * `shouldIgnoreNodeUpdate`: the same set of True conditions and nothing else changed besides the
 * resourceVersion and the conditions (heartbeats).
 */
export function shouldIgnoreNodeUpdate(old: KubeObject, cur: KubeObject): boolean {
  const trueConditions = (node: KubeObject): string[] => {
    const conditions = obj(node.status).conditions;
    return (Array.isArray(conditions) ? conditions : [])
      .map(obj)
      .filter((c) => c.status === 'True')
      .map((c) => String(c.type))
      .sort();
  };
  if (trueConditions(old).join('\n') !== trueConditions(cur).join('\n')) return false;
  // reflect.DeepEqual of the two with resourceVersion and conditions cleared. A heartbeat's node
  // shares every part it leaves unchanged with the one it replaces (stored objects are frozen
  // and writes share, ARCHITECTURE.md decision 18), so those parts compare by identity.
  const { resourceVersion: _oldVersion, ...oldMetadata } = old.metadata;
  const { resourceVersion: _curVersion, ...curMetadata } = cur.metadata;
  const { conditions: _oldConditions, ...oldStatus } = obj(old.status);
  const { conditions: _curConditions, ...curStatus } = obj(cur.status);
  return (
    jsonEqual(
      { ...old, metadata: undefined, status: undefined },
      { ...cur, metadata: undefined, status: undefined },
    ) &&
    jsonEqual(oldMetadata, curMetadata) &&
    jsonEqual(oldStatus, curStatus)
  );
}

/**
 * Whether two JSON values are equal, key order aside and keys holding undefined counted as
 * absent, as their JSON texts with sorted keys would be.
 */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item ?? null, b[i] ?? null));
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = (o: Record<string, unknown>): string[] =>
    Object.keys(o).filter((k) => o[k] !== undefined);
  const xKeys = keys(x);
  if (xKeys.length !== keys(y).length) return false;
  return xKeys.every((k) => y[k] !== undefined && jsonEqual(x[k], y[k]));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const child = (value as Record<string, unknown>)[key];
      if (child !== undefined) out[key] = sortKeys(child);
    }
    return out;
  }
  return value;
}

/** The DaemonSet's selector; throws on an invalid one (as LabelSelectorAsSelector errors). */
function selectorOf(ds: KubeObject): Selector {
  return labelSelectorAsSelector(obj(ds.spec).selector as LabelSelector | undefined);
}

/** `reflect.DeepEqual(ds.Spec.Selector, &metav1.LabelSelector{})`. */
function isSelectingAll(ds: KubeObject): boolean {
  const selector = obj(ds.spec).selector;
  if (selector === null || typeof selector !== 'object' || Array.isArray(selector)) return false;
  const s = selector as Record<string, unknown>;
  return s.matchLabels === undefined && s.matchExpressions === undefined;
}

function sameRef(a: OwnerReference | undefined, b: OwnerReference | undefined): boolean {
  if (!a || !b) return a === b;
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sameLabels(
  a: Record<string, string> | undefined,
  b: Record<string, string> | undefined,
): boolean {
  return JSON.stringify(sortKeys(a ?? {})) === JSON.stringify(sortKeys(b ?? {}));
}

function numberOf(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function notFound(type: ResourceType, object: KubeObject): StatusError {
  return errors.notFound({ group: type.group, resource: type.plural }, object.metadata.name ?? '');
}

/**
 * The garbage collector of kube-controller-manager (pkg/controller/garbagecollector,
 * garbagecollector.go and operations.go): it watches every resource the cluster serves, keeps the
 * graph of ownerReferences (graph-builder.ts) and
 * - deletes objects all of whose owners are gone — absent, or present with another uid — in the
 *   background (`attemptToDeleteItem`); references to owners that never existed are checked once
 *   with an uncached read through the registry;
 * - orphans: for an owner being deleted with the `orphan` finalizer, removes its ownerReference
 *   from every dependent, then the finalizer (`attemptToOrphanWorker`);
 * - deletes in the foreground: for an owner being deleted with the `foregroundDeletion`
 *   finalizer, deletes its dependents (in the foreground too when they have dependents of their
 *   own), and removes the finalizer once no dependent with `blockOwnerDeletion: true` remains
 *   (`processDeletingDependentsItem`). A dependent in its graceful deletion (a pod waiting for its
 *   kubelet) still blocks until it is gone.
 * The registry's DELETE puts the finalizers there (`deletionFinalizersForGarbageCollection`); this
 * controller completes those deletions. It writes only through the registry, as
 * `kube-controller-manager`.
 *
 * Deviations, each for the embedded cluster's sake:
 * - upstream collects the resources discovery lists with `delete`, `list` and `watch`; Kubelab's
 *   simulator resources (Kubelet, Clock) have no client `delete` but are collected too, so a
 *   node's Kubelet goes with its Node;
 * - one thread: graph changes are applied as informers deliver them, and a live read and the
 *   write it decides happen in one sync, so deletes carry only the uid precondition (1.30).
 */
import { deepEqual, type KubeObject, type OwnerReference } from '../../kube/objects';
import { apiVersionOf, findByKind, RESOURCES, type ResourceType } from '../../kube/resources';
import { errors, StatusError } from '../../kube/status';
import { NO_CHANGE } from '../../apiserver/registry/registry';
import type { Controller, ControllerContext } from '../runtime/manager';
import type { WorkQueue } from '../runtime/queue';
import type { EventRecorder } from '../runtime/events';
import { GraphBuilder, type GraphEventType } from './graph-builder';
import {
  FINALIZER_FOREGROUND,
  FINALIZER_ORPHAN,
  hasFinalizer,
  isBlocking,
  referenceString,
  referenceTo,
  type GraphNode,
  type ObjectReference,
} from './graph';

/** The event source of the collector's events. */
export const GC_COMPONENT = 'garbage-collector-controller';
/** The field manager of the collector's writes. */
export const GC_FIELD_MANAGER = 'kube-controller-manager';

/** `DefaultIgnoredResources`: events are never collected. */
const IGNORED_RESOURCES = new Set(['/events', 'events.k8s.io/events']);

/**
 * The resources the collector watches: every served resource that can be listed and watched
 * (Binding, create-only, is not one), events aside.
 */
export const COLLECTED_RESOURCES: readonly ResourceType[] = RESOURCES.filter(
  (type) =>
    type.verbs.includes('list') &&
    type.verbs.includes('watch') &&
    !IGNORED_RESOURCES.has(`${type.group}/${type.plural}`),
);

type DeletionPropagation = 'Orphan' | 'Background' | 'Foreground';

/** `restMappingError`: an ownerReference names an apiVersion/kind the cluster does not serve. */
export class RestMappingError extends Error {
  constructor(kind: string, apiVersion: string) {
    super(`unable to get REST mapping for ${apiVersion}/${kind}.`);
    this.name = 'RestMappingError';
  }
}

/** `namespacedOwnerOfClusterScopedObjectErr`: will not resolve on retry. */
class NamespacedOwnerOfClusterScopedObject extends Error {
  constructor() {
    super('cluster-scoped objects cannot refer to namespaced owners');
  }
}

/** What `attemptToDeleteItem` did: `virtual-delete` means the item was found absent. */
type Outcome = 'done' | 'virtual-delete';

/** Per-key exponential backoff for requeues that are not errors (5 ms doubling, as the queues). */
const BASE_DELAY_MS = 5;
const MAX_DELAY_MS = 1000 * 1000;

export class GarbageCollector implements Controller {
  private readonly graph: GraphBuilder;
  private readonly attemptToDelete: WorkQueue;
  private readonly attemptToOrphan: WorkQueue;
  private readonly recorder: EventRecorder;
  private readonly failures = new Map<string, number>();
  /** Uids whose queued attemptToDelete was for a virtual node since replaced (see `virtualReplaced`). */
  private readonly staleVirtual = new Set<string>();
  private readonly types = new Map<string, ResourceType | undefined>();

  constructor(private readonly ctx: ControllerContext) {
    this.recorder = ctx.recorder({ component: GC_COMPONENT });
    this.attemptToDelete = ctx.queue('garbage_collector_attempt_to_delete', (uid) =>
      this.processAttemptToDelete(uid),
    );
    this.attemptToOrphan = ctx.queue('garbage_collector_attempt_to_orphan', (uid) =>
      this.processAttemptToOrphan(uid),
    );
    this.graph = new GraphBuilder({
      attemptToDelete: (node) => this.enqueue(node.uid),
      attemptToDeleteRateLimited: (node) => this.requeue(this.attemptToDelete, node.uid),
      attemptToOrphan: (node) => this.attemptToOrphan.add(node.uid),
      virtualReplaced: (node) => this.staleVirtual.add(node.uid),
      invalidNamespaceOwnerRef: (dependent, owner) => this.reportInvalidNamespace(dependent, owner),
    });
    // Handlers go on before the informers start, so the initial lists build the graph.
    for (const type of COLLECTED_RESOURCES) {
      const informer = ctx.informers.for(type);
      const observe = (eventType: GraphEventType, object: KubeObject, old?: KubeObject): void =>
        this.graph.process({
          type: eventType,
          identity: {
            apiVersion: apiVersionOf(type),
            kind: type.kind,
            name: object.metadata.name ?? '',
            uid: object.metadata.uid ?? '',
            namespace: object.metadata.namespace ?? '',
          },
          meta: object.metadata,
          ...(old ? { oldMeta: old.metadata } : {}),
        });
      informer.addHandlers({
        add: (object) => observe('add', object),
        update: (old, object) => observe('update', object, old),
        delete: (object) => observe('delete', object),
      });
    }
  }

  /** The queues are shut down by the manager; what is kept here for them goes too. */
  stop(): void {
    this.failures.clear();
    this.staleVirtual.clear();
  }

  /** Objects in the dependency graph (virtual owners included), for diagnostics and tests. */
  get graphSize(): number {
    return this.graph.size;
  }

  /** `GraphHasUID`. */
  graphHas(uid: string): boolean {
    return this.graph.node(uid) !== undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Workers

  private enqueue(uid: string): void {
    this.staleVirtual.delete(uid);
    this.attemptToDelete.add(uid);
  }

  /** `attemptToDeleteWorker`. */
  private processAttemptToDelete(uid: string): void {
    const node = this.graph.node(uid);
    const stale = this.staleVirtual.delete(uid);
    if (!node || stale) {
      // Removed from the graph since it was queued (deleted, or a virtual node found absent), or
      // queued as a virtual node since observed under other coordinates.
      this.forget(this.attemptToDelete, uid);
      return;
    }
    let outcome: Outcome;
    try {
      outcome = this.attemptToDeleteItem(node);
    } catch (error) {
      if (error instanceof NamespacedOwnerOfClusterScopedObject) {
        this.forget(this.attemptToDelete, uid);
        return;
      }
      this.ctx.log(
        `garbagecollector: error syncing item ${referenceString(node.identity)}: ${message(error)}`,
      );
      this.requeue(this.attemptToDelete, uid);
      return;
    }
    if (outcome === 'done' && node.virtual) {
      // Exists, but no informer has shown it yet (a kind the collector does not watch): look
      // again later rather than leave a virtual node in the graph (kubernetes#56121).
      this.requeue(this.attemptToDelete, uid);
      return;
    }
    this.forget(this.attemptToDelete, uid);
  }

  /**
   * `attemptToDeleteItem`: reads the item live and deletes it if all its owners are gone
   * (Background, or as its own finalizers say), in the foreground if an owner waits for it and it
   * has dependents itself; removes the references to absent or waiting owners when a live owner
   * remains.
   */
  private attemptToDeleteItem(item: GraphNode): Outcome {
    // Being deleted is a one-way trip: its dependents are looked at once it is gone.
    if (item.beingDeleted && !item.deletingDependents) return 'done';
    const latest = this.getObject(item.identity);
    if (!latest || latest.metadata.uid !== item.uid) {
      this.graph.virtualDelete(item.identity);
      return 'virtual-delete';
    }
    if (item.deletingDependents) {
      this.processDeletingDependentsItem(item);
      return 'done';
    }
    const references = latest.metadata.ownerReferences ?? [];
    if (references.length === 0) return 'done';
    const { solid, dangling, waiting } = this.classifyReferences(item, references);
    if (solid.length > 0) {
      if (dangling.length === 0 && waiting.length === 0) return 'done';
      // Waiting owners must be let go of too, or their foreground deletion never ends.
      const uids = new Set([...dangling, ...waiting].map((ref) => ref.uid));
      this.patchOwnerReferences(item, (refs) => refs.filter((ref) => !uids.has(ref.uid)));
      return 'done';
    }
    if (waiting.length > 0 && item.dependents.size > 0) {
      for (const dependent of item.dependents) {
        if (!dependent.deletingDependents) continue;
        // A possible cycle (owner and dependent both deleting dependents): stop blocking owners,
        // then delete in the foreground.
        this.patchOwnerReferences(item, (refs) =>
          refs.map((ref) => (isBlocking(ref) ? { ...ref, blockOwnerDeletion: false } : ref)),
        );
        break;
      }
      return this.deleteObject(item, 'Foreground');
    }
    let policy: DeletionPropagation = 'Background';
    if (hasFinalizer(latest.metadata, FINALIZER_ORPHAN)) policy = 'Orphan';
    else if (hasFinalizer(latest.metadata, FINALIZER_FOREGROUND)) policy = 'Foreground';
    return this.deleteObject(item, policy);
  }

  /**
   * `processDeletingDependentsItem`: the owner's `foregroundDeletion` finalizer goes once no
   * blocking dependent is left; until then, blocking dependents not yet being deleted are queued.
   * (Upstream queues the ones being deleted too, which return at once.)
   */
  private processDeletingDependentsItem(item: GraphNode): void {
    if (item.blocking.size === 0) {
      this.removeFinalizer(item, FINALIZER_FOREGROUND);
      return;
    }
    for (const dependent of item.blockingNotDeleting) {
      if (!dependent.deletingDependents) this.enqueue(dependent.uid);
    }
  }

  /**
   * `classifyReferences`: solid (the owner exists and does not wait), dangling (absent, or
   * present with another uid) and waiting for its dependents' deletion (a deletionTimestamp and
   * the `foregroundDeletion` finalizer).
   */
  private classifyReferences(
    item: GraphNode,
    references: readonly OwnerReference[],
  ): { solid: OwnerReference[]; dangling: OwnerReference[]; waiting: OwnerReference[] } {
    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    for (const ref of references) {
      const owner = this.liveOwner(ref, item);
      if (!owner) dangling.push(ref);
      else if (
        owner.metadata.deletionTimestamp !== undefined &&
        hasFinalizer(owner.metadata, FINALIZER_FOREGROUND)
      )
        waiting.push(ref);
      else solid.push(ref);
    }
    return { solid, dangling, waiting };
  }

  /**
   * `isDangling`: the owner a reference names, read live (undefined when dangling). Absent owners
   * are remembered; a namespaced owner is looked for in the dependent's namespace only, so a
   * reference across namespaces dangles.
   */
  private liveOwner(ref: OwnerReference, item: GraphNode): KubeObject | undefined {
    const clusterKey = referenceTo(ref, '');
    if (this.graph.absentOwnerCache.has(clusterKey)) return undefined;
    const namespacedKey = referenceTo(ref, item.identity.namespace);
    if (this.graph.absentOwnerCache.has(namespacedKey)) return undefined;
    const type = this.resolve(ref.apiVersion, ref.kind);
    if (type.namespaced && item.identity.namespace === '') {
      throw new NamespacedOwnerOfClusterScopedObject();
    }
    const key = type.namespaced ? namespacedKey : clusterKey;
    const owner = this.get(type, type.namespaced ? item.identity.namespace : '', ref.name);
    if (!owner || owner.metadata.uid !== ref.uid) {
      this.graph.absentOwnerCache.add(key);
      return undefined;
    }
    return owner;
  }

  /** `attemptToOrphanWorker`: removes the owner from its dependents, then the `orphan` finalizer. */
  private processAttemptToOrphan(uid: string): void {
    const owner = this.graph.node(uid);
    if (!owner) {
      this.forget(this.attemptToOrphan, uid);
      return;
    }
    try {
      this.orphanDependents(owner);
    } catch (error) {
      this.ctx.log(
        `garbagecollector: orphanDependents for ${referenceString(owner.identity)} failed with ${message(error)}`,
      );
      this.requeue(this.attemptToOrphan, uid);
      return;
    }
    try {
      this.removeFinalizer(owner, FINALIZER_ORPHAN);
    } catch (error) {
      this.ctx.log(
        `garbagecollector: removeOrphanFinalizer for ${referenceString(owner.identity)} failed with ${message(error)}`,
      );
      this.requeue(this.attemptToOrphan, uid);
      return;
    }
    this.forget(this.attemptToOrphan, uid);
  }

  /** `orphanDependents`: a patch on each dependent deleting the owner's reference. */
  private orphanDependents(owner: GraphNode): void {
    const failures: string[] = [];
    for (const dependent of [...owner.dependents]) {
      try {
        this.patchOwnerReferences(dependent, (refs) => refs.filter((ref) => ref.uid !== owner.uid));
      } catch (error) {
        if (error instanceof StatusError && error.code === 404) continue;
        failures.push(`orphaning ${referenceString(dependent.identity)} failed, ${message(error)}`);
      }
    }
    if (failures.length > 0) {
      throw new Error(
        `failed to orphan dependents of owner ${referenceString(owner.identity)}, got errors: ${failures.length === 1 ? failures[0]! : `[${failures.join(', ')}]`}`,
      );
    }
  }

  // -------------------------------------------------------------------------------------------
  // Operations (operations.go, patch.go)

  /** `getObject`: an uncached read of the item; undefined when it is not found. */
  private getObject(identity: ObjectReference): KubeObject | undefined {
    const type = this.resolve(identity.apiVersion, identity.kind);
    if (type.namespaced && identity.namespace === '') {
      throw new NamespacedOwnerOfClusterScopedObject();
    }
    return this.get(type, type.namespaced ? identity.namespace : '', identity.name);
  }

  private get(type: ResourceType, namespace: string, name: string): KubeObject | undefined {
    try {
      return this.ctx.registry.get(type, namespace, name);
    } catch (error) {
      if (error instanceof StatusError && error.code === 404) return undefined;
      throw error;
    }
  }

  /** `deleteObject`: a DELETE with the item's uid as precondition and the given propagation. */
  private deleteObject(item: GraphNode, policy: DeletionPropagation): Outcome {
    const { identity } = item;
    const type = this.resolve(identity.apiVersion, identity.kind);
    try {
      this.ctx.registry.delete(type, type.namespaced ? identity.namespace : '', identity.name, {
        propagationPolicy: policy,
        preconditions: { uid: identity.uid },
      });
    } catch (error) {
      if (error instanceof StatusError && error.code === 404) {
        this.graph.virtualDelete(identity);
        return 'virtual-delete';
      }
      throw error;
    }
    return 'done';
  }

  /**
   * The collector's ownerReference patches (`deleteOwnerRefStrategicMergePatch`,
   * `unblockOwnerReferencesStrategicMergePatch`) as a read-modify-write: the patch carries the
   * dependent's uid, so another object under the same name is a conflict, not a target.
   */
  private patchOwnerReferences(
    node: GraphNode,
    edit: (refs: readonly OwnerReference[]) => OwnerReference[],
  ): void {
    const { identity } = node;
    const type = this.resolve(identity.apiVersion, identity.kind);
    this.ctx.registry.modify(
      type,
      type.namespaced ? identity.namespace : '',
      identity.name,
      (copy) => {
        if (copy.metadata.uid !== identity.uid) {
          throw errors.conflict(
            { group: type.group, resource: type.plural },
            identity.name,
            `Precondition failed: UID in precondition: ${identity.uid}, UID in object meta: ${copy.metadata.uid ?? ''}`,
          );
        }
        const before = copy.metadata.ownerReferences ?? [];
        const after = edit(before);
        if (deepEqual(after, before)) return NO_CHANGE;
        if (after.length > 0) copy.metadata.ownerReferences = after;
        else delete copy.metadata.ownerReferences;
        return copy;
      },
      { fieldManager: GC_FIELD_MANAGER },
    );
  }

  /**
   * `removeFinalizer`: takes `finalizer` off the object; with no finalizer left, its deletion
   * completes. An object already gone, or without the finalizer, is left alone. (Also left alone:
   * another object under the same name, which upstream's GET by name would not tell apart.)
   */
  private removeFinalizer(node: GraphNode, finalizer: string): void {
    const { identity } = node;
    const type = this.resolve(identity.apiVersion, identity.kind);
    try {
      this.ctx.registry.modify(
        type,
        type.namespaced ? identity.namespace : '',
        identity.name,
        (copy) => {
          if (copy.metadata.uid !== identity.uid) return NO_CHANGE;
          const finalizers = copy.metadata.finalizers ?? [];
          if (!finalizers.includes(finalizer)) return NO_CHANGE;
          const rest = finalizers.filter((f) => f !== finalizer);
          if (rest.length > 0) copy.metadata.finalizers = rest;
          else delete copy.metadata.finalizers;
          return copy;
        },
        { fieldManager: GC_FIELD_MANAGER },
      );
    } catch (error) {
      if (error instanceof StatusError && error.code === 404) return;
      throw error;
    }
  }

  /** The resource an apiVersion/kind names (the REST mapper's job). */
  private resolve(apiVersion: string, kind: string): ResourceType {
    const key = `${apiVersion}\u0000${kind}`;
    let type = this.types.get(key);
    if (!this.types.has(key)) {
      type = findByKind(apiVersion, kind);
      this.types.set(key, type);
    }
    if (!type) throw new RestMappingError(kind, apiVersion);
    return type;
  }

  /** `reportInvalidNamespaceOwnerRef`: a Warning on the dependent, as upstream words it. */
  private reportInvalidNamespace(dependent: GraphNode, owner: ObjectReference): void {
    const { identity } = dependent;
    this.recorder.event(
      {
        apiVersion: identity.apiVersion,
        kind: identity.kind,
        metadata: { namespace: identity.namespace, name: identity.name, uid: identity.uid },
      },
      'Warning',
      'OwnerRefInvalidNamespace',
      `ownerRef ${referenceString(owner)} does not exist in namespace ${JSON.stringify(identity.namespace)}`,
    );
  }

  // -------------------------------------------------------------------------------------------
  // Requeues

  /** `AddRateLimited` with this controller's own count (the manager forgets after a sync). */
  private requeue(queue: WorkQueue, uid: string): void {
    if (queue === this.attemptToDelete) this.staleVirtual.delete(uid);
    const key = `${queue.name}/${uid}`;
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    queue.addAfter(uid, Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** failures));
  }

  private forget(queue: WorkQueue, uid: string): void {
    this.failures.delete(`${queue.name}/${uid}`);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The dependency graph builder, after pkg/controller/garbagecollector/graph_builder.go
 * (`GraphBuilder.processGraphChanges`): every informer event of every collected resource updates
 * the graph incrementally — a node per object, an edge per ownerReference, virtual nodes for
 * owners not seen yet — and hands the collector the nodes that may now be garbage
 * (`attemptToDelete`) or whose dependents must be orphaned (`attemptToOrphan`).
 *
 * Upstream funnels events through a `graphChanges` queue processed by one goroutine; here the
 * informers deliver events one at a time on one thread, so each is applied as it arrives and the
 * graph is never behind the caches.
 */
import { deepEqual, type ObjectMeta, type OwnerReference } from '../../kube/objects';
import {
  FINALIZER_FOREGROUND,
  FINALIZER_ORPHAN,
  GraphNode,
  ReferenceCache,
  alternateOwnerIdentity,
  hasFinalizer,
  isBlocking,
  matchesCoordinates,
  partitionDependents,
  referenceTo,
  sameReference,
  type ObjectReference,
} from './graph';

/** Size of the absent-owner cache (`NewReferenceCache(500)`). */
const ABSENT_OWNER_CACHE_SIZE = 500;

export type GraphEventType = 'add' | 'update' | 'delete';

/** `event`: an informer event (or a virtual delete) reduced to what the graph needs. */
export interface GraphEvent {
  readonly type: GraphEventType;
  /** The object's identity: its resource's apiVersion and kind, namespace, name, uid. */
  readonly identity: ObjectReference;
  /** The object's metadata (add/update; the last state for informer deletes). */
  readonly meta?: ObjectMeta;
  /** The previous metadata, for updates. */
  readonly oldMeta?: ObjectMeta;
  /** A delete the collector made up after the API said the object is absent. */
  readonly virtual?: boolean;
}

/** Where the graph builder sends work: the collector's queues and event recorder. */
export interface GraphBuilderSink {
  attemptToDelete(node: GraphNode): void;
  attemptToDeleteRateLimited(node: GraphNode): void;
  attemptToOrphan(node: GraphNode): void;
  /**
   * A virtual node was observed under other coordinates: upstream replaces it with a copy, and
   * the virtual one still queued is dropped when its turn comes.
   */
  virtualReplaced(node: GraphNode): void;
  /** `reportInvalidNamespaceOwnerRef`: the `OwnerRefInvalidNamespace` warning. */
  invalidNamespaceOwnerRef(dependent: GraphNode, invalidOwner: ObjectReference): void;
}

export class GraphBuilder {
  private readonly uidToNode = new Map<string, GraphNode>();
  /** Owners known to be absent, shared with the collector (`absentOwnerCache`). */
  readonly absentOwnerCache = new ReferenceCache(ABSENT_OWNER_CACHE_SIZE);

  constructor(private readonly sink: GraphBuilderSink) {}

  node(uid: string): GraphNode | undefined {
    return this.uidToNode.get(uid);
  }

  get size(): number {
    return this.uidToNode.size;
  }

  /** `enqueueVirtualDeleteEvent`, applied at once. */
  virtualDelete(identity: ObjectReference): void {
    this.process({ type: 'delete', identity, virtual: true });
  }

  /** `processGraphChanges` for one event. */
  process(event: GraphEvent): void {
    const { identity } = event;
    const existing = this.uidToNode.get(identity.uid);
    if (existing && !event.virtual && existing.virtual) {
      this.observeVirtual(existing, identity);
    }
    if (event.type === 'delete') {
      if (existing) this.processDelete(event, existing);
      return;
    }
    const meta = event.meta ?? {};
    const owners = meta.ownerReferences ?? [];
    const beingDeleted = meta.deletionTimestamp !== undefined;
    if (!existing) {
      const node = new GraphNode(identity, false);
      node.owners = owners;
      node.beingDeleted = beingDeleted;
      node.deletingDependents = beingDeleted && hasFinalizer(meta, FINALIZER_FOREGROUND);
      this.uidToNode.set(node.uid, node);
      this.addDependentToOwners(node, owners);
      // An informer may fold a create and a delete into one event: look at the transitions too.
      this.processTransitions(event.oldMeta, meta, node);
      return;
    }
    const { added, removed, changed } = referencesDiffs(existing.owners, owners);
    if (added.length || removed.length || changed.length) {
      this.addUnblockedOwnersToDeleteQueue(removed, changed);
      existing.owners = owners;
      this.addDependentToOwners(existing, added);
      this.removeDependentFromOwners(existing, removed);
      for (const { newRef } of changed) this.relinkOwner(newRef.uid, existing);
    }
    if (beingDeleted && !existing.beingDeleted) {
      existing.beingDeleted = true;
      for (const ref of existing.owners) this.relinkOwner(ref.uid, existing);
    }
    this.processTransitions(event.oldMeta, meta, existing);
  }

  /**
   * The first informer event about a node known only virtually. If the dependents named it with
   * other coordinates (or from another namespace than a namespaced owner's), they are checked
   * again; the node takes the observed identity.
   */
  private observeVirtual(node: GraphNode, observed: ObjectReference): void {
    if (!sameReference(observed, node.identity)) {
      const { nonmatching } = partitionDependents(node.dependents, observed);
      for (const dependent of nonmatching) {
        if (observed.namespace !== '' && dependent.identity.namespace !== observed.namespace) {
          this.reportInvalidNamespaceOwnerRef(dependent, observed.uid);
        }
        this.sink.attemptToDelete(dependent);
      }
      node.identity = observed;
      this.sink.virtualReplaced(node);
    }
    node.virtual = false;
  }

  private processDelete(event: GraphEvent, existing: GraphNode): void {
    const deleted = event.identity;
    let remove = true;
    if (event.virtual) {
      if (existing.virtual) {
        // A virtual node's coordinates are a guess: some dependents may name the uid otherwise.
        const { matching, nonmatching } = partitionDependents(existing.dependents, deleted);
        if (nonmatching.length > 0) {
          remove = false;
          if (matching.length > 0) {
            this.absentOwnerCache.add(deleted);
            for (const dependent of matching) this.sink.attemptToDelete(dependent);
          }
          if (sameReference(existing.identity, deleted)) {
            const replacement = alternateOwnerIdentity(nonmatching, deleted);
            if (replacement) {
              existing.identity = replacement;
              this.sink.attemptToDeleteRateLimited(existing);
            }
          }
        }
      } else if (!sameReference(existing.identity, deleted)) {
        // An observed node is not removed on a virtual delete made with other coordinates.
        remove = false;
        const { matching } = partitionDependents(existing.dependents, deleted);
        if (matching.length > 0) {
          this.absentOwnerCache.add(deleted);
          for (const dependent of matching) this.sink.attemptToDelete(dependent);
        }
      }
    }
    if (!remove) return;
    this.removeNode(existing);
    if (existing.dependents.size > 0) this.absentOwnerCache.add(deleted);
    for (const dependent of existing.dependents) this.sink.attemptToDelete(dependent);
    for (const ref of existing.owners) {
      const owner = this.uidToNode.get(ref.uid);
      // Lets a foreground deletion waiting on this object see that it is gone.
      if (owner?.deletingDependents) this.sink.attemptToDelete(owner);
    }
  }

  /**
   * `addDependentToOwners`: links `node` under each owner, creating virtual owners (queued for a
   * check against the API). A reference that disagrees with an observed owner — another
   * namespace than a namespaced owner's, other coordinates — queues the dependent to be checked.
   */
  private addDependentToOwners(node: GraphNode, owners: readonly OwnerReference[]): void {
    let potentiallyInvalid = false;
    for (const ref of owners) {
      let owner = this.uidToNode.get(ref.uid);
      const known = owner !== undefined;
      if (!owner) {
        owner = new GraphNode(referenceTo(ref, node.identity.namespace), true);
        this.uidToNode.set(owner.uid, owner);
      }
      owner.dependents.add(node);
      this.relink(owner, node);
      if (!known) {
        this.sink.attemptToDelete(owner);
        continue;
      }
      if (potentiallyInvalid) continue;
      const ownerNamespaced = owner.identity.namespace !== '';
      if (ownerNamespaced && owner.identity.namespace !== node.identity.namespace) {
        // Cluster-scoped owners may be named from anywhere; namespaced ones only from their own
        // namespace.
        if (!owner.virtual) this.reportInvalidNamespaceOwnerRef(node, ref.uid);
        potentiallyInvalid = true;
      } else if (!matchesCoordinates(ref, owner.identity)) {
        potentiallyInvalid = true;
      } else if (
        !ownerNamespaced &&
        owner.identity.namespace !== node.identity.namespace &&
        owner.virtual
      ) {
        // A virtual cluster-scoped owner named from a namespace: it may be a missing namespaced
        // owner referenced by a cluster-scoped child (kubernetes#98040).
        potentiallyInvalid = true;
      }
    }
    if (potentiallyInvalid) this.sink.attemptToDelete(node);
  }

  private reportInvalidNamespaceOwnerRef(node: GraphNode, ownerUid: string): void {
    const ref = node.owners.find((r) => r.uid === ownerUid);
    if (!ref) return;
    this.sink.invalidNamespaceOwnerRef(node, referenceTo(ref, node.identity.namespace));
  }

  private removeDependentFromOwners(node: GraphNode, owners: readonly OwnerReference[]): void {
    for (const ref of owners) {
      const owner = this.uidToNode.get(ref.uid);
      if (!owner) continue;
      owner.dependents.delete(node);
      this.relink(owner, node);
    }
  }

  private removeNode(node: GraphNode): void {
    this.uidToNode.delete(node.uid);
    this.removeDependentFromOwners(node, node.owners);
  }

  private relinkOwner(ownerUid: string, dependent: GraphNode): void {
    const owner = this.uidToNode.get(ownerUid);
    if (owner) this.relink(owner, dependent);
  }

  /** Keeps `owner.blocking` and `owner.blockingNotDeleting` in step with `dependent`. */
  private relink(owner: GraphNode, dependent: GraphNode): void {
    const blocks =
      owner.dependents.has(dependent) &&
      dependent.owners.some((ref) => ref.uid === owner.uid && isBlocking(ref));
    if (!blocks) {
      owner.blocking.delete(dependent);
      owner.blockingNotDeleting.delete(dependent);
      return;
    }
    owner.blocking.add(dependent);
    if (dependent.beingDeleted) owner.blockingNotDeleting.delete(dependent);
    else owner.blockingNotDeleting.add(dependent);
  }

  /**
   * `addUnblockedOwnersToDeleteQueue`: an owner waiting for its dependents is looked at again
   * when a blocking reference to it goes away or stops blocking.
   */
  private addUnblockedOwnersToDeleteQueue(
    removed: readonly OwnerReference[],
    changed: ReadonlyArray<{ oldRef: OwnerReference; newRef: OwnerReference }>,
  ): void {
    for (const ref of removed) {
      if (!isBlocking(ref)) continue;
      const owner = this.uidToNode.get(ref.uid);
      if (owner) this.sink.attemptToDelete(owner);
    }
    for (const { oldRef, newRef } of changed) {
      if (!isBlocking(oldRef) || isBlocking(newRef)) continue;
      const owner = this.uidToNode.get(newRef.uid);
      if (owner) this.sink.attemptToDelete(owner);
    }
  }

  /**
   * `processTransitions`: an object whose deletion starts with the `orphan` finalizer goes to the
   * orphan queue; one whose deletion starts with `foregroundDeletion` is marked as deleting its
   * dependents, and they and it are queued.
   */
  private processTransitions(
    oldMeta: ObjectMeta | undefined,
    meta: ObjectMeta,
    node: GraphNode,
  ): void {
    if (deletionStartsWithFinalizer(oldMeta, meta, FINALIZER_ORPHAN)) {
      this.sink.attemptToOrphan(node);
      return;
    }
    if (deletionStartsWithFinalizer(oldMeta, meta, FINALIZER_FOREGROUND)) {
      node.deletingDependents = true;
      for (const dependent of node.dependents) this.sink.attemptToDelete(dependent);
      this.sink.attemptToDelete(node);
    }
  }
}

/** `deletionStartsWithFinalizer`. */
function deletionStartsWithFinalizer(
  oldMeta: ObjectMeta | undefined,
  meta: ObjectMeta,
  finalizer: string,
): boolean {
  if (meta.deletionTimestamp === undefined || !hasFinalizer(meta, finalizer)) return false;
  if (!oldMeta) return true;
  return oldMeta.deletionTimestamp === undefined || !hasFinalizer(oldMeta, finalizer);
}

/** `referencesDiffs`: references added, removed and changed (same uid, other content). */
export function referencesDiffs(
  oldRefs: readonly OwnerReference[],
  newRefs: readonly OwnerReference[],
): {
  added: OwnerReference[];
  removed: OwnerReference[];
  changed: Array<{ oldRef: OwnerReference; newRef: OwnerReference }>;
} {
  const added: OwnerReference[] = [];
  const changed: Array<{ oldRef: OwnerReference; newRef: OwnerReference }> = [];
  if (oldRefs === newRefs) return { added, removed: [], changed };
  const old = new Map<string, OwnerReference>();
  for (const ref of oldRefs) old.set(ref.uid, ref);
  for (const ref of newRefs) {
    const previous = old.get(ref.uid);
    if (previous === undefined) {
      added.push(ref);
      continue;
    }
    if (!deepEqual(previous, ref)) changed.push({ oldRef: previous, newRef: ref });
    old.delete(ref.uid);
  }
  return { added, removed: [...old.values()], changed };
}

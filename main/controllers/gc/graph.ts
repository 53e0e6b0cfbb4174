/**
 * The garbage collector's dependency graph, after pkg/controller/garbagecollector/graph.go: one
 * node per object (keyed by uid), each knowing its owner references and the nodes that name it as
 * an owner. A node is *virtual* while only a dependent's ownerReference has spoken of it; the
 * collector then checks the API for it. Also the small helpers the graph builder and the collector
 * share (identity comparison, dependents partitioned by the coordinates they use, the absent-owner
 * cache).
 */
import type { ObjectMeta, OwnerReference } from '../../kube/objects';

/** `metav1.FinalizerOrphanDependents`. */
export const FINALIZER_ORPHAN = 'orphan';
/** `metav1.FinalizerDeleteDependents`. */
export const FINALIZER_FOREGROUND = 'foregroundDeletion';

/**
 * `objectReference`: an owner reference's coordinates plus a namespace. For observed nodes, the
 * object's own; for virtual ones, the namespace of the dependent that referenced them (the owner
 * may turn out cluster-scoped).
 */
export interface ObjectReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly namespace: string;
}

/** `objectReference.String()`: `[apps/v1/ReplicaSet, namespace: ns, name: n, uid: u]`. */
export function referenceString(ref: ObjectReference): string {
  return `[${ref.apiVersion}/${ref.kind}, namespace: ${ref.namespace}, name: ${ref.name}, uid: ${ref.uid}]`;
}

export function sameReference(a: ObjectReference, b: ObjectReference): boolean {
  return (
    a.uid === b.uid &&
    a.name === b.name &&
    a.kind === b.kind &&
    a.apiVersion === b.apiVersion &&
    a.namespace === b.namespace
  );
}

/** `ownerReferenceMatchesCoordinates`: uid, name, kind and apiVersion agree. */
export function matchesCoordinates(
  ref: OwnerReference,
  identity: Pick<ObjectReference, 'uid' | 'name' | 'kind' | 'apiVersion'>,
): boolean {
  return (
    ref.uid === identity.uid &&
    ref.name === identity.name &&
    ref.kind === identity.kind &&
    ref.apiVersion === identity.apiVersion
  );
}

/** An owner reference's coordinates in a namespace. */
export function referenceTo(ref: OwnerReference, namespace: string): ObjectReference {
  return {
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    name: ref.name,
    uid: ref.uid,
    namespace,
  };
}

export function hasFinalizer(meta: ObjectMeta, finalizer: string): boolean {
  return (meta.finalizers ?? []).includes(finalizer);
}

export function isBlocking(ref: OwnerReference): boolean {
  return ref.blockOwnerDeletion === true;
}

/**
 * `node`. Unlike upstream, a node is changed in place when a virtual node is observed: the work
 * queues hold uids, not node pointers, so there is no stale copy to protect.
 */
export class GraphNode {
  /** Nodes whose ownerReferences name this node's uid. */
  readonly dependents = new Set<GraphNode>();
  /**
   * Of `dependents`, those whose reference to this node has `blockOwnerDeletion: true`
   * (`node.blockingDependents`, kept up to date instead of recomputed on every look).
   */
  readonly blocking = new Set<GraphNode>();
  /** Of `blocking`, those not being deleted yet: the ones a foreground deletion still has to start. */
  readonly blockingNotDeleting = new Set<GraphNode>();
  owners: readonly OwnerReference[] = [];
  /** The object has a deletionTimestamp and the `foregroundDeletion` finalizer (one way). */
  deletingDependents = false;
  /** The object has a deletionTimestamp (one way). */
  beingDeleted = false;

  constructor(
    public identity: ObjectReference,
    /** Known only from a dependent's ownerReference, never seen by an informer. */
    public virtual: boolean,
  ) {}

  get uid(): string {
    return this.identity.uid;
  }
}

/**
 * `partitionDependents`: the dependents whose reference to `identity.uid` matches its
 * coordinates, and those whose reference does not (or that live in another namespace than a
 * namespaced owner). A dependent with several references to the uid can be in both.
 */
export function partitionDependents(
  dependents: Iterable<GraphNode>,
  identity: ObjectReference,
): { matching: GraphNode[]; nonmatching: GraphNode[] } {
  const matching: GraphNode[] = [];
  const nonmatching: GraphNode[] = [];
  const ownerNamespaced = identity.namespace !== '';
  for (const dependent of dependents) {
    let match = false;
    let mismatch = false;
    if (ownerNamespaced && dependent.identity.namespace !== identity.namespace) {
      mismatch = true;
    } else {
      for (const ref of dependent.owners) {
        if (ref.uid !== identity.uid) continue;
        if (matchesCoordinates(ref, identity)) match = true;
        else mismatch = true;
      }
    }
    if (match) matching.push(dependent);
    if (mismatch) nonmatching.push(dependent);
  }
  return { matching, nonmatching };
}

/** `referenceLessThan`: kind, apiVersion, namespace, name, uid. */
export function referenceLessThan(a: ObjectReference, b: ObjectReference): boolean {
  if (a.kind !== b.kind) return a.kind < b.kind;
  if (a.apiVersion !== b.apiVersion) return a.apiVersion < b.apiVersion;
  if (a.namespace !== b.namespace) return a.namespace < b.namespace;
  if (a.name !== b.name) return a.name < b.name;
  return a.uid < b.uid;
}

/**
 * `getAlternateOwnerIdentity`: another identity the dependents give the uid `absent` was verified
 * absent under — the first following it in `referenceLessThan` order, else the first of all.
 */
export function alternateOwnerIdentity(
  dependents: Iterable<GraphNode>,
  absent: ObjectReference,
): ObjectReference | undefined {
  const absentClusterScoped = absent.namespace === '';
  const seen = new Set<string>([referenceKey(absent)]);
  let first: ObjectReference | undefined;
  let firstFollowing: ObjectReference | undefined;
  for (const dependent of dependents) {
    for (const ref of dependent.owners) {
      if (ref.uid !== absent.uid) continue;
      if (
        matchesCoordinates(ref, absent) &&
        (absentClusterScoped || absent.namespace === dependent.identity.namespace)
      ) {
        continue;
      }
      let candidate = referenceTo(ref, dependent.identity.namespace);
      // The absent identity's apiVersion/kind is known to be cluster-scoped.
      if (
        absentClusterScoped &&
        candidate.apiVersion === absent.apiVersion &&
        candidate.kind === absent.kind
      ) {
        candidate = { ...candidate, namespace: '' };
      }
      const key = referenceKey(candidate);
      if (seen.has(key)) continue;
      seen.add(key);
      if (!first || referenceLessThan(candidate, first)) first = candidate;
      if (
        referenceLessThan(absent, candidate) &&
        (!firstFollowing || referenceLessThan(candidate, firstFollowing))
      ) {
        firstFollowing = candidate;
      }
    }
  }
  return firstFollowing ?? first;
}

export function referenceKey(ref: ObjectReference): string {
  return `${ref.apiVersion}\u0000${ref.kind}\u0000${ref.namespace}\u0000${ref.name}\u0000${ref.uid}`;
}

/**
 * `ReferenceCache` (uid_cache.go): owners the API server said do not exist, so the dependents of
 * one deleted owner need not each look it up again. Least recently used out first.
 */
export class ReferenceCache {
  private readonly entries = new Set<string>();

  constructor(private readonly capacity: number) {}

  add(ref: ObjectReference): void {
    const key = referenceKey(ref);
    this.entries.delete(key);
    this.entries.add(key);
    if (this.entries.size > this.capacity) {
      this.entries.delete(this.entries.values().next().value!);
    }
  }

  has(ref: ObjectReference): boolean {
    const key = referenceKey(ref);
    if (!this.entries.has(key)) return false;
    // A lookup counts as a use (golang-lru's Get).
    this.entries.delete(key);
    this.entries.add(key);
    return true;
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Saved cluster states (kubelab.dev/v1alpha1 Snapshot): a snapshot holds the stored objects as
 * they were — stored objects are immutable, so it keeps references, not copies — and restoring
 * it writes the differences back through the store: objects made since are deleted, deleted ones
 * come back with their uid, changed ones return to their saved content, each as a normal write
 * with a new resourceVersion and a watch event, so every client and controller sees the cluster
 * go back. Leases (node heartbeats), the Clock and the Snapshots themselves keep their current
 * state: time does not go back. Kubelab's own (an etcd restore is the nearest upstream thing, and
 * it breaks watches instead).
 */
import type { KubeObject } from '../kube/objects';
import { deepEqual } from '../kube/objects';
import type { MemoryStore, ObjectKey } from './store/store';

/** Buckets a restore leaves as they are. */
const KEPT_BUCKETS = new Set([
  'coordination.k8s.io/leases',
  'kubelab.dev/clocks',
  'kubelab.dev/snapshots',
]);

export interface ClusterSnapshot {
  /** The store revision when it was taken. */
  readonly revision: number;
  readonly objects: ReadonlyMap<string, { readonly key: ObjectKey; readonly object: KubeObject }>;
}

function id(key: ObjectKey): string {
  return `${key.resource}|${key.namespace}|${key.name}`;
}

export function captureSnapshot(store: MemoryStore): ClusterSnapshot {
  const objects = new Map<string, { key: ObjectKey; object: KubeObject }>();
  for (const entry of store.entries()) {
    if (KEPT_BUCKETS.has(entry.key.resource)) continue;
    objects.set(id(entry.key), entry);
  }
  return { revision: store.revision, objects };
}

export interface RestoreResult {
  readonly deleted: number;
  readonly created: number;
  readonly updated: number;
}

/** Content as saved, ignoring the resourceVersion a write gives it. */
function sameObject(a: KubeObject, b: KubeObject): boolean {
  if (a === b) return true;
  const strip = (o: KubeObject): unknown => ({
    ...o,
    metadata: { ...o.metadata, resourceVersion: undefined },
  });
  return deepEqual(strip(a), strip(b));
}

export function restoreSnapshot(store: MemoryStore, snapshot: ClusterSnapshot): RestoreResult {
  let deleted = 0;
  let created = 0;
  let updated = 0;
  const current = new Map<string, { key: ObjectKey; object: KubeObject }>();
  for (const entry of store.entries()) {
    if (!KEPT_BUCKETS.has(entry.key.resource)) current.set(id(entry.key), entry);
  }
  for (const [entryId, entry] of current) {
    if (!snapshot.objects.has(entryId)) {
      store.delete(entry.key);
      deleted++;
    }
  }
  for (const [entryId, saved] of snapshot.objects) {
    const now = current.get(entryId);
    if (!now) {
      store.create(saved.key, saved.object);
      created++;
    } else if (!sameObject(now.object, saved.object)) {
      store.guaranteedUpdate(saved.key, () => saved.object);
      updated++;
    }
  }
  return { deleted, created, updated };
}

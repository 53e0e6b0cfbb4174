/**
 * What the grader sees: the objects of a cluster read at one moment. The grader is pure over it
 * (DESIGN.md: main/grader imports no I/O); reading it through the Kubernetes API is the caller's
 * job, so the same checks grade the embedded cluster, kind and any cluster.
 */
import type { KubeObject } from '../kube/objects';

export interface ClusterSnapshot {
  /** When it was read (ms since the epoch, the cluster's view of now for ages and minReadySeconds). */
  readonly time: number;
  /** Every object read, by `apiVersion/Kind` (e.g. `apps/v1/DaemonSet`, `v1/Node`). */
  readonly objects: ReadonlyMap<string, readonly KubeObject[]>;
}

export function kindKey(apiVersion: string, kind: string): string {
  return `${apiVersion}/${kind}`;
}

/** The kinds every grading reads, whatever its checks. */
export const BASE_KINDS: ReadonlyArray<{ apiVersion: string; kind: string }> = [
  { apiVersion: 'v1', kind: 'Node' },
  { apiVersion: 'v1', kind: 'Pod' },
  { apiVersion: 'apps/v1', kind: 'DaemonSet' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
  { apiVersion: 'apps/v1', kind: 'ControllerRevision' },
];

export function snapshotOf(time: number, objects: readonly KubeObject[]): ClusterSnapshot {
  const map = new Map<string, KubeObject[]>();
  for (const object of objects) {
    const key = kindKey(object.apiVersion ?? '', object.kind ?? '');
    let list = map.get(key);
    if (!list) map.set(key, (list = []));
    list.push(object);
  }
  return { time, objects: map };
}

export function objectsOf(
  snapshot: ClusterSnapshot,
  apiVersion: string,
  kind: string,
): readonly KubeObject[] {
  return snapshot.objects.get(kindKey(apiVersion, kind)) ?? [];
}

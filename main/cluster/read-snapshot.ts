/**
 * Reads what the grader needs from any cluster through its Kubernetes API (list calls, paged
 * with limit/continue as kubectl pages), into a ClusterSnapshot. Read-only by construction: it
 * only sends GET.
 */
import type { KubeObject } from '../kube/objects';
import { findByKind } from '../kube/resources';
import { BASE_KINDS, snapshotOf, type ClusterSnapshot } from '../grader/snapshot';
import type { KubeClient } from './kube-client';

const PAGE = 500;

export interface KindRef {
  readonly apiVersion: string;
  readonly kind: string;
}

/** The list path of a kind across all namespaces, e.g. `/apis/apps/v1/daemonsets`. */
export function listPath(ref: KindRef): string {
  const type = findByKind(ref.apiVersion, ref.kind);
  if (!type) throw new Error(`cannot read ${ref.kind} (${ref.apiVersion}): not a known resource`);
  const prefix = type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
  return `${prefix}/${type.plural}`;
}

/** Every object of one kind, all namespaces, with apiVersion and kind set on each. */
export async function listAll(client: KubeClient, ref: KindRef): Promise<KubeObject[]> {
  const items: KubeObject[] = [];
  let next = '';
  do {
    const query = `?limit=${PAGE}${next ? `&continue=${encodeURIComponent(next)}` : ''}`;
    const page = (await client.call('GET', `${listPath(ref)}${query}`)) as {
      items?: KubeObject[];
      metadata?: { continue?: string };
    };
    for (const item of page.items ?? []) {
      items.push({ ...item, apiVersion: ref.apiVersion, kind: ref.kind });
    }
    next = page.metadata?.continue ?? '';
  } while (next);
  return items;
}

/** Reads the base kinds and `extra` ones into a snapshot, timed with the local clock. */
export async function readSnapshot(
  client: KubeClient,
  extra: readonly KindRef[] = [],
  now: () => number = Date.now,
): Promise<ClusterSnapshot> {
  const kinds = new Map<string, KindRef>();
  for (const ref of [...BASE_KINDS, ...extra]) kinds.set(`${ref.apiVersion}/${ref.kind}`, ref);
  const lists = await Promise.all([...kinds.values()].map((ref) => listAll(client, ref)));
  return snapshotOf(now(), lists.flat());
}

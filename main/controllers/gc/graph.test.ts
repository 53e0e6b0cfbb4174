import { describe, expect, it } from 'vitest';
import type { OwnerReference } from '../../kube/objects';
import { GraphBuilder, referencesDiffs, type GraphBuilderSink } from './graph-builder';
import {
  GraphNode,
  ReferenceCache,
  alternateOwnerIdentity,
  partitionDependents,
  referenceString,
  type ObjectReference,
} from './graph';

function id(
  apiVersion: string,
  kind: string,
  namespace: string,
  name: string,
  uid: string,
): ObjectReference {
  return { apiVersion, kind, namespace, name, uid };
}

function ref(owner: ObjectReference, extra: Partial<OwnerReference> = {}): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.name,
    uid: owner.uid,
    ...extra,
  };
}

function dependent(identity: ObjectReference, owners: OwnerReference[]): GraphNode {
  const node = new GraphNode(identity, false);
  node.owners = owners;
  return node;
}

function recordingSink() {
  const log: string[] = [];
  const sink: GraphBuilderSink = {
    attemptToDelete: (n) => log.push(`delete ${n.identity.name}`),
    attemptToDeleteRateLimited: (n) => log.push(`delete-later ${n.identity.name}`),
    attemptToOrphan: (n) => log.push(`orphan ${n.identity.name}`),
    virtualReplaced: (n) => log.push(`replaced ${n.identity.name}`),
    invalidNamespaceOwnerRef: (d, o) =>
      log.push(`invalid ${d.identity.name} ${referenceString(o)}`),
  };
  return { log, sink };
}

const rs = id('apps/v1', 'ReplicaSet', 'ns1', 'rs', 'rs-uid');
const pod1 = id('v1', 'Pod', 'ns1', 'pod1', 'pod1-uid');
const pod2 = id('v1', 'Pod', 'ns1', 'pod2', 'pod2-uid');

describe('gc graph helpers', () => {
  it('formats references as objectReference.String()', () => {
    expect(referenceString(rs)).toBe('[apps/v1/ReplicaSet, namespace: ns1, name: rs, uid: rs-uid]');
  });

  it('referencesDiffs: added, removed, changed by uid', () => {
    const a = ref(rs, { blockOwnerDeletion: true });
    const b = ref(pod1);
    const c = ref(pod2);
    const diffs = referencesDiffs([a, b], [{ ...a, blockOwnerDeletion: false }, c]);
    expect(diffs.added).toEqual([c]);
    expect(diffs.removed).toEqual([b]);
    expect(diffs.changed).toEqual([{ oldRef: a, newRef: { ...a, blockOwnerDeletion: false } }]);
    expect(referencesDiffs([a], [a])).toEqual({ added: [], removed: [], changed: [] });
  });

  it('the absent owner cache forgets the least recently used first', () => {
    const cache = new ReferenceCache(2);
    cache.add(pod1);
    cache.add(pod2);
    expect(cache.has(pod1)).toBe(true); // pod1 is now the most recent
    cache.add(rs);
    expect(cache.has(pod2)).toBe(false);
    expect(cache.has(pod1)).toBe(true);
    expect(cache.has(rs)).toBe(true);
    expect(cache.has({ ...rs, namespace: 'other' })).toBe(false);
  });

  it('partitionDependents: by coordinates, and by namespace for namespaced owners', () => {
    const good = dependent(pod1, [ref(rs)]);
    const otherName = dependent(pod2, [ref({ ...rs, name: 'renamed' })]);
    const otherNamespace = dependent(id('v1', 'Pod', 'ns2', 'pod3', 'pod3-uid'), [ref(rs)]);
    const both = dependent(id('v1', 'Pod', 'ns1', 'pod4', 'pod4-uid'), [
      ref(rs),
      ref({ ...rs, kind: 'Deployment' }),
    ]);
    const { matching, nonmatching } = partitionDependents(
      [good, otherName, otherNamespace, both],
      rs,
    );
    expect(matching).toEqual([good, both]);
    expect(nonmatching).toEqual([otherName, otherNamespace, both]);
    // A cluster-scoped owner is matched from any namespace.
    const node = id('v1', 'Node', '', 'n', 'node-uid');
    expect(partitionDependents([dependent(pod1, [ref(node)])], node).matching).toHaveLength(1);
  });

  it('alternateOwnerIdentity: the first identity after the absent one, else the first', () => {
    const absent = id('v1', 'Pod', 'ns1', 'b', 'x');
    const deps = [
      dependent(pod1, [ref(absent)]),
      dependent(pod2, [ref({ ...absent, name: 'a' })]),
      dependent(id('v1', 'Pod', 'ns1', 'p3', 'p3'), [ref({ ...absent, name: 'c' })]),
    ];
    expect(alternateOwnerIdentity(deps, absent)).toEqual({ ...absent, name: 'c' });
    expect(alternateOwnerIdentity(deps.slice(0, 2), absent)).toEqual({ ...absent, name: 'a' });
    expect(alternateOwnerIdentity(deps.slice(0, 1), absent)).toBeUndefined();
  });
});

describe('GraphBuilder', () => {
  it('creates a virtual owner for an unseen reference and queues it for a check', () => {
    const { log, sink } = recordingSink();
    const graph = new GraphBuilder(sink);
    graph.process({ type: 'add', identity: pod1, meta: { ownerReferences: [ref(rs)] } });
    expect(graph.node(rs.uid)?.virtual).toBe(true);
    expect(graph.node(rs.uid)?.identity).toEqual(rs);
    expect([...graph.node(rs.uid)!.dependents].map((n) => n.identity)).toEqual([pod1]);
    expect(log).toEqual(['delete rs']);
    // Observed with the same coordinates: the node stays the same and is no longer virtual.
    graph.process({ type: 'add', identity: rs, meta: {} });
    expect(graph.node(rs.uid)?.virtual).toBe(false);
    expect(log).toEqual(['delete rs']);
  });

  it('tracks blocking dependents, and which of them are not being deleted yet', () => {
    const { log, sink } = recordingSink();
    const graph = new GraphBuilder(sink);
    graph.process({ type: 'add', identity: rs, meta: {} });
    graph.process({
      type: 'add',
      identity: pod1,
      meta: { ownerReferences: [ref(rs, { blockOwnerDeletion: true })] },
    });
    graph.process({ type: 'add', identity: pod2, meta: { ownerReferences: [ref(rs)] } });
    const owner = graph.node(rs.uid)!;
    expect(owner.dependents.size).toBe(2);
    expect([...owner.blocking].map((n) => n.identity.name)).toEqual(['pod1']);
    expect(owner.blockingNotDeleting.size).toBe(1);
    graph.process({
      type: 'update',
      identity: pod1,
      meta: {
        ownerReferences: [ref(rs, { blockOwnerDeletion: true })],
        deletionTimestamp: '2026-01-01T00:00:00Z',
      },
      oldMeta: { ownerReferences: [ref(rs, { blockOwnerDeletion: true })] },
    });
    expect(owner.blocking.size).toBe(1);
    expect(owner.blockingNotDeleting.size).toBe(0);
    log.length = 0;
    // The reference stops blocking: the owner is looked at again.
    graph.process({
      type: 'update',
      identity: pod1,
      meta: {
        ownerReferences: [ref(rs, { blockOwnerDeletion: false })],
        deletionTimestamp: '2026-01-01T00:00:00Z',
      },
    });
    expect(owner.blocking.size).toBe(0);
    expect(log).toEqual(['delete rs']);
    // Gone: its owner, not deleting dependents, is not queued; the node leaves the graph.
    log.length = 0;
    graph.process({ type: 'delete', identity: pod1, meta: {} });
    expect(graph.node(pod1.uid)).toBeUndefined();
    expect(owner.dependents.size).toBe(1);
    expect(log).toEqual([]);
  });

  it('queues orphaning and foreground deletion when deletion starts with their finalizer', () => {
    const { log, sink } = recordingSink();
    const graph = new GraphBuilder(sink);
    graph.process({ type: 'add', identity: rs, meta: {} });
    graph.process({ type: 'add', identity: pod1, meta: { ownerReferences: [ref(rs)] } });
    log.length = 0;
    const deleting = { deletionTimestamp: '2026-01-01T00:00:00Z' };
    graph.process({
      type: 'update',
      identity: rs,
      meta: { ...deleting, finalizers: ['orphan'] },
      oldMeta: {},
    });
    expect(log).toEqual(['orphan rs']);
    // No second transition for the same state.
    graph.process({
      type: 'update',
      identity: rs,
      meta: { ...deleting, finalizers: ['orphan'] },
      oldMeta: { ...deleting, finalizers: ['orphan'] },
    });
    expect(log).toEqual(['orphan rs']);
    log.length = 0;
    graph.process({
      type: 'update',
      identity: rs,
      meta: { ...deleting, finalizers: ['foregroundDeletion'] },
      oldMeta: { ...deleting, finalizers: ['orphan'] },
    });
    expect(graph.node(rs.uid)?.deletingDependents).toBe(true);
    expect(log).toEqual(['delete pod1', 'delete rs']);
    // A dependent leaving lets the owner waiting on it check again.
    log.length = 0;
    graph.process({ type: 'delete', identity: pod1, meta: { ownerReferences: [ref(rs)] } });
    expect(log).toEqual(['delete rs']);
  });

  it('a deleted owner with dependents is remembered as absent and its dependents are queued', () => {
    const { log, sink } = recordingSink();
    const graph = new GraphBuilder(sink);
    graph.process({ type: 'add', identity: rs, meta: {} });
    graph.process({ type: 'add', identity: pod1, meta: { ownerReferences: [ref(rs)] } });
    log.length = 0;
    graph.process({ type: 'delete', identity: rs, meta: {} });
    expect(log).toEqual(['delete pod1']);
    expect(graph.absentOwnerCache.has(rs)).toBe(true);
  });

  it('a virtual delete under other coordinates keeps the observed node', () => {
    const { log, sink } = recordingSink();
    const graph = new GraphBuilder(sink);
    graph.process({ type: 'add', identity: rs, meta: {} });
    graph.process({ type: 'add', identity: pod1, meta: { ownerReferences: [ref(rs)] } });
    log.length = 0;
    graph.virtualDelete({ ...rs, apiVersion: 'extensions/v1beta1' });
    expect(graph.node(rs.uid)).toBeDefined();
    expect(log).toEqual([]);
    graph.virtualDelete(rs);
    expect(graph.node(rs.uid)).toBeUndefined();
    expect(log).toEqual(['delete pod1']);
  });

  it('reports a dependent naming an observed namespaced owner from another namespace', () => {
    const { log, sink } = recordingSink();
    const graph = new GraphBuilder(sink);
    graph.process({ type: 'add', identity: rs, meta: {} });
    const stray = id('v1', 'ConfigMap', 'ns2', 'stray', 'stray-uid');
    graph.process({ type: 'add', identity: stray, meta: { ownerReferences: [ref(rs)] } });
    expect(log).toEqual([
      'invalid stray [apps/v1/ReplicaSet, namespace: ns2, name: rs, uid: rs-uid]',
      'delete stray',
    ]);
  });
});

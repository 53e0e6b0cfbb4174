/**
 * Scenarios of upstream's TestConflictingData and TestAttemptToDeleteItem
 * (pkg/controller/garbagecollector/garbagecollector_test.go), run on the real registry: the
 * collector's reads and writes, in order, match the client actions upstream asserts, and so do
 * its events.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../base/clock';
import { seededRandom } from '../../base/random';
import { findResource, type ResourceType } from '../../kube/resources';
import type { KubeObject, OwnerReference } from '../../kube/objects';
import { Registry, type DeleteOptions } from '../../apiserver/registry/registry';
import { MemoryStore } from '../../apiserver/store/store';
import { ControllerManager } from '../runtime/manager';
import { GarbageCollector } from './garbage-collector';

const namespaces = findResource('', 'v1', 'namespaces')!;
const serviceAccounts = findResource('', 'v1', 'serviceaccounts')!;
const pods = findResource('', 'v1', 'pods')!;
const configMaps = findResource('', 'v1', 'configmaps')!;
const nodes = findResource('', 'v1', 'nodes')!;
const events = findResource('', 'v1', 'events')!;
const replicaSets = findResource('apps', 'v1', 'replicasets')!;

interface Harness {
  readonly registry: Registry;
  readonly manager: ControllerManager;
  /** `get pods a/name`, `delete nodes name`, `patch …`: the collector's calls, in order. */
  readonly actions: string[];
  readonly deleteOptions: DeleteOptions[];
}

function harness(): Harness {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const registry = new Registry({ store: new MemoryStore(), clock, random: seededRandom(7) });
  for (const name of ['default', 'a', 'b']) {
    registry.create(namespaces, '', { metadata: { name } });
    registry.create(serviceAccounts, name, { metadata: { name: 'default' } });
  }
  const manager = new ControllerManager({ registry, clock, random: seededRandom(8) });
  manager.add((ctx) => new GarbageCollector(ctx));
  const actions: string[] = [];
  const deleteOptions: DeleteOptions[] = [];
  let recording = false;
  let depth = 0;
  const describe = (verb: string, type: ResourceType, ns: string, name: string): string =>
    `${verb} ${type.plural} ${type.namespaced ? `${ns}/` : ''}${name}`;
  const get = registry.get.bind(registry);
  const del = registry.delete.bind(registry);
  const modify = registry.modify.bind(registry);
  registry.get = (type, ns, name) => {
    if (recording && depth === 0) actions.push(describe('get', type, ns, name));
    return get(type, ns, name);
  };
  registry.delete = (type, ns, name, options) => {
    if (recording && depth === 0) {
      actions.push(describe('delete', type, ns, name));
      deleteOptions.push(options ?? {});
    }
    depth++;
    try {
      return del(type, ns, name, options);
    } finally {
      depth--;
    }
  };
  registry.modify = (type, ns, name, mutate, options) => {
    if (recording && depth === 0) actions.push(describe('patch', type, ns, name));
    depth++;
    try {
      return modify(type, ns, name, mutate, options);
    } finally {
      depth--;
    }
  };
  const start = manager.start.bind(manager);
  manager.start = () => {
    recording = true;
    start();
  };
  return { registry, manager, actions, deleteOptions };
}

function refTo(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion!,
    kind: owner.kind!,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
  };
}

function pod(registry: Registry, ns: string, name: string, owners: OwnerReference[] = []) {
  return registry.create(pods, ns, {
    metadata: { name, ...(owners.length ? { ownerReferences: owners } : {}) },
    spec: { containers: [{ name: 'c', image: 'nginx' }] },
  });
}

function node(registry: Registry, name: string, owners: OwnerReference[] = []) {
  return registry.create(nodes, '', {
    metadata: { name, ...(owners.length ? { ownerReferences: owners } : {}) },
  });
}

function warnings(registry: Registry, ns: string): string[] {
  return registry.list(events, ns).items.map((item) => {
    const e = item as KubeObject & {
      type: string;
      reason: string;
      message: string;
      involvedObject: { kind: string; apiVersion: string };
    };
    return `${e.type} ${e.reason} ${e.message} involvedObject{kind=${e.involvedObject.kind},apiVersion=${e.involvedObject.apiVersion}}`;
  });
}

const present = (registry: Registry, type: ResourceType, ns: string, name: string): boolean =>
  registry.store.get({
    resource: `${type.group}/${type.plural}`,
    namespace: type.namespaced ? ns : '',
    name,
  }) !== undefined;

describe('GarbageCollector: upstream TestConflictingData', () => {
  it('good child in ns1 -> cluster-scoped owner', async () => {
    const { registry, manager, actions } = harness();
    const owner = node(registry, 'nodename');
    // ConfigMaps are listed before Nodes: the owner starts virtual, with the child's namespace.
    registry.create(configMaps, 'a', {
      metadata: { name: 'child', ownerReferences: [refTo(owner)] },
    });
    manager.start();
    await manager.settle();
    // Observed as cluster-scoped before its turn came: the queued virtual node is dropped.
    expect(actions).toEqual([]);
    expect(present(registry, configMaps, 'a', 'child')).toBe(true);
    expect(warnings(registry, 'a')).toEqual([]);
    manager.stop();
  });

  it('bad child in ns1 -> owner in ns2 (child first)', async () => {
    const { registry, manager, actions } = harness();
    const parent = pod(registry, 'b', 'podname2');
    pod(registry, 'a', 'podname1', [refTo(parent)]);
    manager.start();
    await manager.settle();
    expect(actions).toEqual([
      'get pods a/podname1', // lookup of the child before deleting it
      'get pods a/podname2', // the bad parent reference is absent
      'delete pods a/podname1',
    ]);
    expect(warnings(registry, 'a')).toEqual([
      `Warning OwnerRefInvalidNamespace ownerRef [v1/Pod, namespace: a, name: podname2, uid: ${parent.metadata.uid}] does not exist in namespace "a" involvedObject{kind=Pod,apiVersion=v1}`,
    ]);
    expect(present(registry, pods, 'b', 'podname2')).toBe(true);
    manager.stop();
  });

  it('bad child in ns1 -> owner in ns2 (owner first)', async () => {
    const { registry, manager, actions } = harness();
    manager.start();
    const parent = pod(registry, 'b', 'podname2');
    await manager.settle();
    pod(registry, 'a', 'podname1', [refTo(parent)]);
    await manager.settle();
    expect(actions).toEqual([
      'get pods a/podname1',
      'get pods a/podname2',
      'delete pods a/podname1',
    ]);
    expect(warnings(registry, 'a')).toEqual([
      `Warning OwnerRefInvalidNamespace ownerRef [v1/Pod, namespace: a, name: podname2, uid: ${parent.metadata.uid}] does not exist in namespace "a" involvedObject{kind=Pod,apiVersion=v1}`,
    ]);
    manager.stop();
  });

  it('bad cluster-scoped child -> owner in ns1 (child first)', async () => {
    const { registry, manager, actions } = harness();
    const parent = pod(registry, 'a', 'podname1');
    node(registry, 'nodename', [refTo(parent)]);
    manager.start();
    await manager.settle();
    // Only the child is read: a cluster-scoped object cannot have a namespaced owner, and is kept.
    expect(actions).toEqual(['get nodes nodename']);
    expect(present(registry, nodes, '', 'nodename')).toBe(true);
    // Events about cluster-scoped objects go to `default`.
    expect(warnings(registry, 'default')).toEqual([
      `Warning OwnerRefInvalidNamespace ownerRef [v1/Pod, namespace: , name: podname1, uid: ${parent.metadata.uid}] does not exist in namespace "" involvedObject{kind=Node,apiVersion=v1}`,
    ]);
    manager.stop();
  });

  it('bad cluster-scoped child -> owner in ns1 (owner first)', async () => {
    const { registry, manager, actions } = harness();
    manager.start();
    const parent = pod(registry, 'a', 'podname1');
    await manager.settle();
    node(registry, 'nodename', [refTo(parent)]);
    await manager.settle();
    expect(actions).toEqual(['get nodes nodename']);
    expect(present(registry, nodes, '', 'nodename')).toBe(true);
    expect(warnings(registry, 'default')).toHaveLength(1);
    manager.stop();
  });
});

describe('GarbageCollector: upstream TestAttemptToDeleteItem', () => {
  it('reads the item, finds its owner absent, deletes it with its uid as precondition', async () => {
    const { registry, manager, actions, deleteOptions } = harness();
    const orphan = pod(registry, 'a', 'to-be-deleted-pod', [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'owner1', uid: '123' },
    ]);
    manager.start();
    await manager.settle();
    // The virtual owner first (found absent), then the dependent.
    expect(actions).toEqual([
      'get replicasets a/owner1',
      'get pods a/to-be-deleted-pod',
      'delete pods a/to-be-deleted-pod',
    ]);
    expect(deleteOptions).toEqual([
      { propagationPolicy: 'Background', preconditions: { uid: orphan.metadata.uid } },
    ]);
    manager.stop();
  });

  it('a live owner makes the reference solid: nothing is written', async () => {
    const { registry, manager, actions } = harness();
    const owner = registry.create(replicaSets, 'a', {
      metadata: { name: 'owner1' },
      spec: {
        selector: { matchLabels: { app: 'x' } },
        template: {
          metadata: { labels: { app: 'x' } },
          spec: { containers: [{ name: 'c', image: 'nginx' }] },
        },
      },
    });
    pod(registry, 'a', 'kept', [refTo(owner)]);
    manager.start();
    await manager.settle();
    // Pods are listed before ReplicaSets; the owner, observed in time, is not looked up.
    expect(actions.filter((a) => !a.startsWith('get'))).toEqual([]);
    expect(present(registry, pods, 'a', 'kept')).toBe(true);
    manager.stop();
  });
});

import { describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../base/clock';
import { seededRandom } from '../../base/random';
import { findResource, type ResourceType } from '../../kube/resources';
import type { KubeObject, OwnerReference } from '../../kube/objects';
import { Registry } from '../../apiserver/registry/registry';
import { MemoryStore } from '../../apiserver/store/store';
import { ControllerManager } from '../runtime/manager';
import { Informer } from '../runtime/informer';
import { COLLECTED_RESOURCES, GarbageCollector } from './garbage-collector';

const namespaces = findResource('', 'v1', 'namespaces')!;
const pods = findResource('', 'v1', 'pods')!;
const configMaps = findResource('', 'v1', 'configmaps')!;
const nodes = findResource('', 'v1', 'nodes')!;
const serviceAccounts = findResource('', 'v1', 'serviceaccounts')!;
const events = findResource('', 'v1', 'events')!;
const replicaSets = findResource('apps', 'v1', 'replicasets')!;
const deployments = findResource('apps', 'v1', 'deployments')!;
const leases = findResource('coordination.k8s.io', 'v1', 'leases')!;
const kubelets = findResource('kubelab.dev', 'v1alpha1', 'kubelets')!;

interface Cluster {
  readonly registry: Registry;
  readonly clock: FakeClock;
  readonly manager: ControllerManager;
  readonly gc: GarbageCollector;
  readonly logs: string[];
}

function setup(): Cluster {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const store = new MemoryStore();
  const registry = new Registry({ store, clock, random: seededRandom(1) });
  for (const name of ['default', 'kube-node-lease', 'a', 'b']) {
    registry.create(namespaces, '', { metadata: { name } });
    registry.create(serviceAccounts, name, { metadata: { name: 'default' } });
  }
  const logs: string[] = [];
  const manager = new ControllerManager({
    registry,
    clock,
    random: seededRandom(2),
    log: (line) => logs.push(line),
  });
  const gc = manager.add((ctx) => new GarbageCollector(ctx));
  return { registry, clock, manager, gc, logs };
}

async function started(): Promise<Cluster> {
  const cluster = setup();
  cluster.manager.start();
  await cluster.manager.settle();
  return cluster;
}

function refTo(owner: KubeObject, extra: Partial<OwnerReference> = {}): OwnerReference {
  return {
    apiVersion: owner.apiVersion!,
    kind: owner.kind!,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    ...extra,
  };
}

/** A controller reference, as the workload controllers write it. */
function controllerRef(owner: KubeObject): OwnerReference {
  return refTo(owner, { controller: true, blockOwnerDeletion: true });
}

const template = {
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', image: 'nginx' }] },
};

function makeDeployment(registry: Registry, ns: string, name: string): KubeObject {
  return registry.create(deployments, ns, {
    metadata: { name },
    spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template },
  });
}

function makeReplicaSet(
  registry: Registry,
  ns: string,
  name: string,
  owners: OwnerReference[] = [],
): KubeObject {
  return registry.create(replicaSets, ns, {
    metadata: { name, ...(owners.length ? { ownerReferences: owners } : {}) },
    spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template },
  });
}

function makePod(
  registry: Registry,
  ns: string,
  name: string,
  owners: OwnerReference[],
  nodeName?: string,
): KubeObject {
  return registry.create(pods, ns, {
    metadata: { name, labels: { app: 'web' }, ownerReferences: owners },
    spec: { containers: [{ name: 'c', image: 'nginx' }], ...(nodeName ? { nodeName } : {}) },
  });
}

function makeConfigMap(
  registry: Registry,
  ns: string,
  name: string,
  owners: OwnerReference[] = [],
): KubeObject {
  return registry.create(configMaps, ns, {
    metadata: { name, ...(owners.length ? { ownerReferences: owners } : {}) },
    data: { k: 'v' },
  });
}

function find(registry: Registry, type: ResourceType, ns: string, name: string) {
  return registry.store.get({
    resource: `${type.group}/${type.plural}`,
    namespace: type.namespaced ? ns : '',
    name,
  });
}

function exists(registry: Registry, type: ResourceType, ns: string, name: string): boolean {
  return find(registry, type, ns, name) !== undefined;
}

/** Counts the registry calls made from here on. */
function countCalls(registry: Registry) {
  const spies = {
    get: vi.spyOn(registry, 'get'),
    list: vi.spyOn(registry, 'list'),
    create: vi.spyOn(registry, 'create'),
    update: vi.spyOn(registry, 'update'),
    modify: vi.spyOn(registry, 'modify'),
    delete: vi.spyOn(registry, 'delete'),
  };
  return {
    spies,
    total: () => Object.values(spies).reduce((sum, spy) => sum + spy.mock.calls.length, 0),
    reset: () => {
      for (const spy of Object.values(spies)) spy.mockClear();
    },
  };
}

describe('GarbageCollector: resources', () => {
  it('watches every listable resource but events, and not the create-only Binding', () => {
    const plurals = COLLECTED_RESOURCES.map((t) => `${t.group}/${t.plural}`);
    expect(plurals).toContain('/pods');
    expect(plurals).toContain('apps/replicasets');
    expect(plurals).toContain('coordination.k8s.io/leases');
    expect(plurals).toContain('kubelab.dev/kubelets');
    expect(plurals).not.toContain('/bindings');
    expect(plurals).not.toContain('/events');
    expect(plurals).not.toContain('events.k8s.io/events');
  });
});

describe('GarbageCollector: background deletion', () => {
  it('deletes the pods of a deleted ReplicaSet, with Background propagation and a uid precondition', async () => {
    const { registry, manager } = await started();
    const rs = makeReplicaSet(registry, 'default', 'web');
    const podNames = ['web-1', 'web-2', 'web-3'];
    const uids = new Map<string, string | undefined>();
    for (const name of podNames) {
      uids.set(name, makePod(registry, 'default', name, [controllerRef(rs)]).metadata.uid);
    }
    const unrelated = makePod(registry, 'default', 'other', []);
    await manager.settle();
    const calls = countCalls(registry);
    registry.delete(replicaSets, 'default', 'web', { propagationPolicy: 'Background' });
    calls.reset();
    await manager.settle();
    for (const name of podNames) expect(exists(registry, pods, 'default', name)).toBe(false);
    expect(exists(registry, pods, 'default', 'other')).toBe(true);
    expect(find(registry, pods, 'default', 'other')!.metadata.uid).toBe(unrelated.metadata.uid);
    const deletes = calls.spies.delete.mock.calls;
    expect(deletes).toHaveLength(3);
    for (const [type, ns, name, options] of deletes) {
      expect(type).toBe(pods);
      expect(ns).toBe('default');
      expect(podNames).toContain(name);
      expect(options).toMatchObject({ propagationPolicy: 'Background' });
      expect(options?.preconditions?.uid).toBe(uids.get(name));
    }
    manager.stop();
  });

  it('leaves pods in their graceful deletion to the kubelet', async () => {
    const { registry, manager } = await started();
    const rs = makeReplicaSet(registry, 'default', 'web');
    makePod(registry, 'default', 'web-1', [controllerRef(rs)], 'node-1');
    await manager.settle();
    registry.delete(replicaSets, 'default', 'web', {});
    await manager.settle();
    const pod = find(registry, pods, 'default', 'web-1')!;
    expect(pod.metadata.deletionTimestamp).toBeDefined();
    expect(pod.metadata.deletionGracePeriodSeconds).toBe(30);
    // The kubelet's final delete.
    registry.forceDelete(pods, 'default', 'web-1');
    await manager.settle();
    expect(exists(registry, pods, 'default', 'web-1')).toBe(false);
    manager.stop();
  });

  it('cascades down a chain: Deployment → ReplicaSet → pods', async () => {
    const { registry, manager, gc } = await started();
    const deploy = makeDeployment(registry, 'default', 'web');
    const rs = makeReplicaSet(registry, 'default', 'web-abc', [controllerRef(deploy)]);
    for (let i = 0; i < 4; i++) makePod(registry, 'default', `web-abc-${i}`, [controllerRef(rs)]);
    await manager.settle();
    expect(gc.graphHas(rs.metadata.uid!)).toBe(true);
    registry.delete(deployments, 'default', 'web', { propagationPolicy: 'Background' });
    await manager.settle();
    expect(exists(registry, replicaSets, 'default', 'web-abc')).toBe(false);
    expect(registry.list(pods, 'default').items).toHaveLength(0);
    expect(gc.graphHas(rs.metadata.uid!)).toBe(false);
    expect(gc.graphHas(deploy.metadata.uid!)).toBe(false);
    manager.stop();
  });

  it('deletes an object with several owners only when all of them are gone', async () => {
    const { registry, manager } = await started();
    const a = makeReplicaSet(registry, 'default', 'a');
    const b = makeReplicaSet(registry, 'default', 'b');
    makeConfigMap(registry, 'default', 'shared', [refTo(a), refTo(b)]);
    await manager.settle();
    registry.delete(replicaSets, 'default', 'a', {});
    await manager.settle();
    const shared = find(registry, configMaps, 'default', 'shared');
    expect(shared).toBeDefined();
    // The reference to the absent owner is removed; the live one stays.
    expect(shared!.metadata.ownerReferences).toEqual([refTo(b)]);
    registry.delete(replicaSets, 'default', 'b', {});
    await manager.settle();
    expect(exists(registry, configMaps, 'default', 'shared')).toBe(false);
    manager.stop();
  });

  it('deletes dependents whose owner was recreated under the same name with a new uid', async () => {
    const { registry, manager } = setup();
    const old = makeReplicaSet(registry, 'default', 'web');
    makePod(registry, 'default', 'web-1', [controllerRef(old)]);
    makePod(registry, 'default', 'web-2', [controllerRef(old)]);
    // Gone and back while the collector was not running.
    registry.delete(replicaSets, 'default', 'web', {});
    const recreated = makeReplicaSet(registry, 'default', 'web');
    expect(recreated.metadata.uid).not.toBe(old.metadata.uid);
    manager.start();
    await manager.settle();
    expect(exists(registry, pods, 'default', 'web-1')).toBe(false);
    expect(exists(registry, pods, 'default', 'web-2')).toBe(false);
    expect(find(registry, replicaSets, 'default', 'web')?.metadata.uid).toBe(
      recreated.metadata.uid,
    );
    manager.stop();
  });

  it('deletes dependents of an owner deleted and recreated while it runs', async () => {
    const { registry, manager } = await started();
    const old = makeReplicaSet(registry, 'default', 'web');
    makePod(registry, 'default', 'web-1', [controllerRef(old)]);
    await manager.settle();
    registry.delete(replicaSets, 'default', 'web', { propagationPolicy: 'Background' });
    const recreated = makeReplicaSet(registry, 'default', 'web');
    makePod(registry, 'default', 'web-2', [controllerRef(recreated)]);
    await manager.settle();
    expect(exists(registry, pods, 'default', 'web-1')).toBe(false);
    expect(exists(registry, pods, 'default', 'web-2')).toBe(true);
    manager.stop();
  });

  it('deletes an object whose owner never existed, after a live check through the registry', async () => {
    const { registry, manager } = await started();
    const calls = countCalls(registry);
    makePod(registry, 'default', 'stray', [
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: 'ghost',
        uid: '0e5b6f1e-0000-4000-8000-000000000001',
        controller: true,
      },
    ]);
    await manager.settle();
    expect(exists(registry, pods, 'default', 'stray')).toBe(false);
    const lookups = calls.spies.get.mock.calls.filter(
      ([type, ns, name]) => type === replicaSets && ns === 'default' && name === 'ghost',
    );
    expect(lookups.length).toBeGreaterThanOrEqual(1);
    manager.stop();
  });

  it('keeps an object whose owner exists, and one whose owner kind is not served keeps retrying', async () => {
    const { registry, manager, clock, logs } = await started();
    const rs = makeReplicaSet(registry, 'default', 'web');
    makePod(registry, 'default', 'kept', [controllerRef(rs)]);
    makePod(registry, 'default', 'odd', [
      { apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', uid: 'w-uid' },
    ]);
    await manager.settle();
    for (let i = 0; i < 10; i++) {
      clock.advance(1000);
      await manager.settle();
    }
    expect(exists(registry, pods, 'default', 'kept')).toBe(true);
    expect(exists(registry, pods, 'default', 'odd')).toBe(true);
    const retries = logs.filter((line) =>
      line.includes('unable to get REST mapping for example.com/v1/Widget.'),
    );
    // Backing off: 5, 10, 20 … ms, so about a dozen attempts in ten seconds.
    expect(retries.length).toBeGreaterThan(3);
    expect(retries.length).toBeLessThan(20);
    manager.stop();
  });
});

describe('GarbageCollector: orphan', () => {
  it('removes the owner from its dependents, then the orphan finalizer, which completes the deletion', async () => {
    const { registry, manager } = await started();
    const rs = makeReplicaSet(registry, 'default', 'web');
    const keeper = makeConfigMap(registry, 'default', 'keeper');
    makePod(registry, 'default', 'web-1', [controllerRef(rs)]);
    makePod(registry, 'default', 'web-2', [controllerRef(rs), refTo(keeper)]);
    await manager.settle();
    const pending = registry.delete(replicaSets, 'default', 'web', { propagationPolicy: 'Orphan' });
    expect(pending.deleted).toBe(false);
    // The registry's wire state, before the collector acts.
    const marked = find(registry, replicaSets, 'default', 'web')!;
    expect(marked.metadata.finalizers).toEqual(['orphan']);
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    const calls = countCalls(registry);
    await manager.settle();
    expect(exists(registry, replicaSets, 'default', 'web')).toBe(false);
    expect(find(registry, pods, 'default', 'web-1')!.metadata.ownerReferences).toBeUndefined();
    expect(find(registry, pods, 'default', 'web-2')!.metadata.ownerReferences).toEqual([
      refTo(keeper),
    ]);
    // One patch per dependent and one finalizer removal, all as kube-controller-manager.
    expect(calls.spies.modify).toHaveBeenCalledTimes(3);
    for (const call of calls.spies.modify.mock.calls) {
      expect(call[4]).toEqual({ fieldManager: 'kube-controller-manager' });
    }
    expect(calls.spies.delete).not.toHaveBeenCalled();
    manager.stop();
  });

  it('orphans with orphanDependents: true too, and keeps other finalizers', async () => {
    const { registry, manager } = await started();
    const rs = registry.create(replicaSets, 'default', {
      metadata: { name: 'web', finalizers: ['example.com/hold'] },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template },
    });
    makePod(registry, 'default', 'web-1', [controllerRef(rs)]);
    await manager.settle();
    registry.delete(replicaSets, 'default', 'web', { orphanDependents: true });
    await manager.settle();
    expect(find(registry, pods, 'default', 'web-1')!.metadata.ownerReferences).toBeUndefined();
    const held = find(registry, replicaSets, 'default', 'web')!;
    expect(held.metadata.finalizers).toEqual(['example.com/hold']);
    manager.stop();
  });
});

describe('GarbageCollector: foreground', () => {
  it('keeps the owner until its blocking dependents are gone; non-blocking ones do not hold it', async () => {
    const { registry, manager } = await started();
    const rs = makeReplicaSet(registry, 'default', 'web');
    makePod(registry, 'default', 'blocking', [controllerRef(rs)], 'node-1');
    makePod(
      registry,
      'default',
      'loose',
      [refTo(rs, { controller: true, blockOwnerDeletion: false })],
      'node-1',
    );
    await manager.settle();
    registry.delete(replicaSets, 'default', 'web', { propagationPolicy: 'Foreground' });
    await manager.settle();
    const waiting = find(registry, replicaSets, 'default', 'web')!;
    expect(waiting.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect(waiting.metadata.deletionTimestamp).toBeDefined();
    // Both dependents were deleted, and wait for their kubelet.
    expect(find(registry, pods, 'default', 'blocking')!.metadata.deletionTimestamp).toBeDefined();
    expect(find(registry, pods, 'default', 'loose')!.metadata.deletionTimestamp).toBeDefined();
    registry.forceDelete(pods, 'default', 'blocking');
    await manager.settle();
    expect(exists(registry, replicaSets, 'default', 'web')).toBe(false);
    // The non-blocking pod did not hold the owner back.
    expect(exists(registry, pods, 'default', 'loose')).toBe(true);
    manager.stop();
  });

  it('an owner with no blocking dependents goes at once', async () => {
    const { registry, manager } = await started();
    const rs = makeReplicaSet(registry, 'default', 'web');
    makeConfigMap(registry, 'default', 'loose', [refTo(rs)]);
    await manager.settle();
    registry.delete(replicaSets, 'default', 'web', { propagationPolicy: 'Foreground' });
    await manager.settle();
    expect(exists(registry, replicaSets, 'default', 'web')).toBe(false);
    expect(exists(registry, configMaps, 'default', 'loose')).toBe(false);
    manager.stop();
  });

  it('deletes nested dependents in the foreground: Deployment → ReplicaSet → pods', async () => {
    const { registry, manager } = await started();
    const deploy = makeDeployment(registry, 'default', 'web');
    const rs = makeReplicaSet(registry, 'default', 'web-abc', [controllerRef(deploy)]);
    for (let i = 0; i < 3; i++) {
      makePod(registry, 'default', `web-abc-${i}`, [controllerRef(rs)], 'node-1');
    }
    await manager.settle();
    const calls = countCalls(registry);
    registry.delete(deployments, 'default', 'web', { propagationPolicy: 'Foreground' });
    await manager.settle();
    // The ReplicaSet has dependents of its own: deleted in the foreground too.
    const rsDelete = calls.spies.delete.mock.calls.find(([type]) => type === replicaSets);
    expect(rsDelete?.[3]).toMatchObject({ propagationPolicy: 'Foreground' });
    for (const [type, ns, name] of [
      [deployments, 'default', 'web'],
      [replicaSets, 'default', 'web-abc'],
    ] as const) {
      const object = find(registry, type, ns, name)!;
      expect(object.metadata.finalizers).toEqual(['foregroundDeletion']);
      expect(object.metadata.deletionTimestamp).toBeDefined();
    }
    for (let i = 0; i < 3; i++) {
      expect(
        find(registry, pods, 'default', `web-abc-${i}`)!.metadata.deletionTimestamp,
      ).toBeDefined();
    }
    registry.forceDelete(pods, 'default', 'web-abc-0');
    registry.forceDelete(pods, 'default', 'web-abc-1');
    await manager.settle();
    expect(exists(registry, replicaSets, 'default', 'web-abc')).toBe(true);
    expect(exists(registry, deployments, 'default', 'web')).toBe(true);
    registry.forceDelete(pods, 'default', 'web-abc-2');
    await manager.settle();
    expect(exists(registry, replicaSets, 'default', 'web-abc')).toBe(false);
    expect(exists(registry, deployments, 'default', 'web')).toBe(false);
    manager.stop();
  });

  it('lets go of a dependent that still has a live owner, unblocking the foreground deletion', async () => {
    const { registry, manager } = await started();
    const rs = makeReplicaSet(registry, 'default', 'web');
    const other = makeConfigMap(registry, 'default', 'other');
    makePod(registry, 'default', 'shared', [controllerRef(rs), refTo(other)], 'node-1');
    await manager.settle();
    registry.delete(replicaSets, 'default', 'web', { propagationPolicy: 'Foreground' });
    await manager.settle();
    expect(exists(registry, replicaSets, 'default', 'web')).toBe(false);
    const shared = find(registry, pods, 'default', 'shared')!;
    expect(shared.metadata.deletionTimestamp).toBeUndefined();
    expect(shared.metadata.ownerReferences).toEqual([refTo(other)]);
    manager.stop();
  });

  it('breaks a blocking ownership cycle: unblocks, then deletes both in the foreground', async () => {
    const { registry, manager } = await started();
    const x = makeConfigMap(registry, 'default', 'x');
    const y = makeConfigMap(registry, 'default', 'y', [controllerRef(x)]);
    registry.modify(configMaps, 'default', 'x', (copy) => {
      copy.metadata.ownerReferences = [controllerRef(y)];
      return copy;
    });
    await manager.settle();
    const calls = countCalls(registry);
    registry.delete(configMaps, 'default', 'x', { propagationPolicy: 'Foreground' });
    await manager.settle();
    expect(exists(registry, configMaps, 'default', 'x')).toBe(false);
    expect(exists(registry, configMaps, 'default', 'y')).toBe(false);
    const yDelete = calls.spies.delete.mock.calls.find(([, , name]) => name === 'y');
    expect(yDelete?.[3]).toMatchObject({ propagationPolicy: 'Foreground' });
    manager.stop();
  });

  it('completes a foreground deletion already under way when it starts', async () => {
    const { registry, manager } = setup();
    const rs = makeReplicaSet(registry, 'default', 'web');
    makePod(registry, 'default', 'web-1', [controllerRef(rs)]);
    registry.delete(replicaSets, 'default', 'web', { propagationPolicy: 'Foreground' });
    manager.start();
    await manager.settle();
    expect(exists(registry, pods, 'default', 'web-1')).toBe(false);
    expect(exists(registry, replicaSets, 'default', 'web')).toBe(false);
    manager.stop();
  });
});

describe('GarbageCollector: scopes', () => {
  it('deletes namespaced and cluster-scoped dependents of a cluster-scoped owner (Node → Lease, Kubelet)', async () => {
    const { registry, manager } = await started();
    const node = registry.create(nodes, '', { metadata: { name: 'worker' } });
    registry.create(leases, 'kube-node-lease', {
      metadata: { name: 'worker', ownerReferences: [refTo(node)] },
      spec: { holderIdentity: 'worker', leaseDurationSeconds: 40 },
    });
    registry.create(kubelets, '', {
      metadata: { name: 'worker', ownerReferences: [refTo(node)] },
      spec: { state: 'Running' },
    });
    await manager.settle();
    expect(exists(registry, leases, 'kube-node-lease', 'worker')).toBe(true);
    registry.delete(nodes, '', 'worker', {});
    await manager.settle();
    expect(exists(registry, leases, 'kube-node-lease', 'worker')).toBe(false);
    expect(exists(registry, kubelets, '', 'worker')).toBe(false);
    manager.stop();
  });

  it('keeps the dependents of a cluster-scoped owner that exists, whatever it was listed after', async () => {
    const { registry, manager } = setup();
    const node = registry.create(nodes, '', { metadata: { name: 'worker' } });
    registry.create(leases, 'kube-node-lease', {
      metadata: { name: 'worker', ownerReferences: [refTo(node)] },
      spec: { holderIdentity: 'worker' },
    });
    // Listed before Nodes: its owner starts as a virtual node in kube-node-lease.
    makeConfigMap(registry, 'kube-node-lease', 'early', [refTo(node)]);
    manager.start();
    await manager.settle();
    expect(exists(registry, leases, 'kube-node-lease', 'worker')).toBe(true);
    expect(exists(registry, configMaps, 'kube-node-lease', 'early')).toBe(true);
    expect(registry.list(events, 'kube-node-lease').items).toHaveLength(0);
    manager.stop();
  });

  it('refuses an owner in another namespace: OwnerRefInvalidNamespace, and the dependent goes', async () => {
    const { registry, manager } = await started();
    const owner = makeReplicaSet(registry, 'a', 'owner');
    await manager.settle();
    const cm = makeConfigMap(registry, 'b', 'stray', [refTo(owner)]);
    makeConfigMap(registry, 'a', 'fine', [refTo(owner)]);
    await manager.settle();
    expect(exists(registry, configMaps, 'b', 'stray')).toBe(false);
    expect(exists(registry, configMaps, 'a', 'fine')).toBe(true);
    expect(exists(registry, replicaSets, 'a', 'owner')).toBe(true);
    const warnings = registry
      .list(events, 'b')
      .items.filter((e) => (e as { reason?: string }).reason === 'OwnerRefInvalidNamespace');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      type: 'Warning',
      message: `ownerRef [apps/v1/ReplicaSet, namespace: b, name: owner, uid: ${owner.metadata.uid}] does not exist in namespace "b"`,
      involvedObject: {
        kind: 'ConfigMap',
        apiVersion: 'v1',
        namespace: 'b',
        name: 'stray',
        uid: cm.metadata.uid,
      },
      source: { component: 'garbage-collector-controller' },
    });
    manager.stop();
  });

  it('refuses an owner in another namespace when the dependent is seen first', async () => {
    const { registry, manager } = setup();
    const owner = makeReplicaSet(registry, 'a', 'owner');
    makeConfigMap(registry, 'b', 'stray', [refTo(owner)]);
    // ConfigMaps are listed before ReplicaSets: the owner starts virtual, in namespace b.
    manager.start();
    await manager.settle();
    expect(exists(registry, configMaps, 'b', 'stray')).toBe(false);
    expect(exists(registry, replicaSets, 'a', 'owner')).toBe(true);
    const reasons = registry.list(events, 'b').items.map((e) => (e as { reason?: string }).reason);
    expect(reasons).toContain('OwnerRefInvalidNamespace');
    manager.stop();
  });

  it('never collects a cluster-scoped object naming a namespaced owner, and does not retry', async () => {
    const { registry, manager, clock } = await started();
    const rs = makeReplicaSet(registry, 'default', 'web');
    registry.create(kubelets, '', {
      metadata: { name: 'odd', ownerReferences: [refTo(rs)] },
      spec: { state: 'Running' },
    });
    await manager.settle();
    const calls = countCalls(registry);
    clock.advance(60_000);
    await manager.settle();
    expect(exists(registry, kubelets, '', 'odd')).toBe(true);
    expect(calls.total()).toBe(0);
    manager.stop();
  });
});

describe('GarbageCollector: scale', () => {
  it('stays incremental with thousands of objects: work follows the objects affected', async () => {
    const { registry, manager, gc } = setup();
    const sets: KubeObject[] = [];
    for (let r = 0; r < 50; r++) {
      const rs = makeReplicaSet(registry, 'default', `rs-${r}`);
      sets.push(rs);
      for (let p = 0; p < 60; p++) {
        makePod(registry, 'default', `rs-${r}-${p}`, [controllerRef(rs)], p % 2 ? 'node-1' : '');
      }
    }
    for (let c = 0; c < 2000; c++) makeConfigMap(registry, 'default', `cm-${c}`);
    const calls = countCalls(registry);
    const listSpy = vi.spyOn(Informer.prototype, 'list');
    manager.start();
    await manager.settle();
    expect(gc.graphSize).toBeGreaterThanOrEqual(5050);
    // Starting costs at most a look at each owner listed after its dependents.
    expect(calls.total()).toBeLessThanOrEqual(2 * sets.length);
    expect(registry.store.list('/pods', 'default').items).toHaveLength(3000);

    // Unrelated changes cost nothing.
    for (let c = 0; c < 2000; c++) {
      registry.modify(configMaps, 'default', `cm-${c}`, (copy) => {
        copy.metadata.labels = { touched: 'yes' };
        return copy;
      });
    }
    calls.reset();
    await manager.settle();
    expect(calls.total()).toBe(0);

    // Deleting one owner costs a read and a delete per dependent (and the absent owner is
    // remembered, not looked up per dependent).
    registry.delete(replicaSets, 'default', 'rs-7', { propagationPolicy: 'Background' });
    calls.reset();
    await manager.settle();
    expect(calls.spies.delete).toHaveBeenCalledTimes(60);
    expect(calls.spies.get.mock.calls.length).toBeLessThanOrEqual(60);
    expect(calls.total()).toBeLessThanOrEqual(120);
    const remaining = registry.store
      .list('/pods', 'default')
      .items.filter((p) => p.metadata.name!.startsWith('rs-7-'));
    // Pods on a node wait for their kubelet; the others are gone.
    expect(remaining).toHaveLength(30);
    expect(remaining.every((p) => p.metadata.deletionTimestamp !== undefined)).toBe(true);

    // A foreground deletion of 60 dependents stays linear too.
    registry.delete(replicaSets, 'default', 'rs-8', { propagationPolicy: 'Foreground' });
    calls.reset();
    await manager.settle();
    for (let p = 1; p < 60; p += 2) registry.forceDelete(pods, 'default', `rs-8-${p}`);
    await manager.settle();
    expect(exists(registry, replicaSets, 'default', 'rs-8')).toBe(false);
    const foregroundCalls = calls.total() - 30;
    expect(foregroundCalls).toBeLessThanOrEqual(4 * 60 + 10);

    expect(listSpy).not.toHaveBeenCalled();
    expect(calls.spies.list).not.toHaveBeenCalled();
    listSpy.mockRestore();
    manager.stop();
  });
});

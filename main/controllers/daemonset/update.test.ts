/**
 * Rolling updates and revision history, against upstream's pkg/controller/daemon/update_test.go
 * and the rollout rules of research/daemonset-spec.md §3. The traces run the whole controller
 * (`settle()`); between steps the test plays the scheduler and kubelet: it binds new pods, marks
 * them Ready, and finishes graceful deletions. A step's counts are the pods the controller
 * created and deleted until it had nothing left to do.
 *
 * | upstream test                                   | here                                             |
 * |-------------------------------------------------|--------------------------------------------------|
 * | TestDaemonSetUpdatesPods (maxUnavailable=2)     | no surge, maxUnavailable=2 on 5 nodes            |
 * | TestDaemonSetUpdatesWhenNewPosIsNotReady (=3)   | no surge, maxUnavailable=3, new pods never Ready |
 * | TestDaemonSetUpdatesAllOldPodsNotReady          | no surge, all old pods not Ready                 |
 * | TestDaemonSetUpdatesNoTemplateChanged           | strategy change only                             |
 * | TestDaemonSetUpdatesPodsWithMaxSurge (=2)       | surge, maxSurge=2 on 5 nodes                     |
 * | TestGetUnavailableNumbers                       | updatedDesiredNodeCounts …                       |
 * | TestControlledHistories                         | revisions: adoption, release, other namespaces   |
 * | (spec §3.2 percentages / both-zero)             | percentages round up; both 0 → 1                 |
 * | (spec §3.5 OnDelete)                            | OnDelete                                         |
 * | (spec §3.6 history, rollback, cleanupHistory)   | revision shape; rollback renumbers; cleanup …    |
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/objects';
import { findResource } from '../../kube/resources';
import { canonicalJson, computeHash } from '../util/controller-util';
import { Harness, revisionsType, simpleDaemonSetLabel, type HarnessOptions } from './test-harness';
import {
  findUpdatedPodsOnNode,
  getPatch,
  matchesHistory,
  planRollingUpdate,
  updatedDesiredNodeCounts,
} from './update';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' ? (v as Obj) : {});

let harness: Harness | undefined;
function make(options: HarnessOptions = {}): Harness {
  harness = new Harness(options);
  return harness;
}
afterEach(() => {
  harness?.stop();
  harness = undefined;
});

const hashOf = (object: KubeObject): string =>
  object.metadata.labels?.['controller-revision-hash'] ?? '';
const rolling = (rollingUpdate: Obj): Obj => ({ type: 'RollingUpdate', rollingUpdate });

/** A DaemonSet on `nodes` nodes, its pods bound and Ready. */
async function running(nodes: number, spec: Obj = {}): Promise<Harness> {
  const h = make();
  h.addNodes(0, nodes);
  h.createDaemonSet('foo', { spec });
  await h.settle();
  h.runPods('foo');
  await h.settle();
  return h;
}

/** The scheduler and kubelet: finish deletions, bind new pods, optionally mark them Ready. */
async function kubelet(h: Harness, ready: boolean): Promise<void> {
  h.finishTerminating();
  h.bindAll();
  if (ready) h.readyAll('foo');
}

describe('RollingUpdate without surge', () => {
  it('TestDaemonSetUpdatesPods: maxUnavailable=2 on 5 nodes', async () => {
    const h = await running(5, { updateStrategy: rolling({ maxUnavailable: 2 }) });
    h.setImage('foo', 'foo2/bar2');
    const trace: Array<[number, number]> = [];
    let step = await h.settle();
    trace.push([step.creates.length, step.deletes.length]);
    for (let i = 0; i < 6; i++) {
      // Deleted pods terminate; manage() creates their replacements; then they become Ready.
      h.finishTerminating();
      step = await h.settle();
      trace.push([step.creates.length, step.deletes.length]);
      await kubelet(h, true);
      step = await h.settle();
      trace.push([step.creates.length, step.deletes.length]);
    }
    // delete 2 → create 2 → delete 2 → create 2 → delete 1 → create 1 → done.
    expect(trace.slice(0, 7)).toEqual([
      [0, 2],
      [2, 0],
      [0, 2],
      [2, 0],
      [0, 1],
      [1, 0],
      [0, 0],
    ]);
    expect(trace.slice(7).every(([c, d]) => c === 0 && d === 0)).toBe(true);
    const hash = h.currentHash(h.daemonSet('foo'));
    expect(h.daemonPods('foo').map(hashOf)).toEqual(Array(5).fill(hash));
    expect(h.status('foo')).toMatchObject({
      desiredNumberScheduled: 5,
      updatedNumberScheduled: 5,
      numberAvailable: 5,
      observedGeneration: 2,
    });
  });

  it('TestDaemonSetUpdatesWhenNewPosIsNotReady: maxUnavailable=3, new pods never Ready → stall', async () => {
    const h = await running(5, { updateStrategy: rolling({ maxUnavailable: 3 }) });
    h.setImage('foo', 'foo2/bar2');
    expect((await h.settle()).deletes).toHaveLength(3);
    h.finishTerminating();
    expect((await h.settle()).creates).toHaveLength(3);
    await kubelet(h, false);
    expect(await h.settle()).toEqual({ creates: [], deletes: [] });
    await h.advance(60_000);
    expect(h.status('foo')).toMatchObject({ updatedNumberScheduled: 3, numberAvailable: 2 });
  });

  it('TestDaemonSetUpdatesAllOldPodsNotReady: all 5 deleted at once, then 5 created', async () => {
    const h = make();
    h.addNodes(0, 5);
    h.createDaemonSet('foo', { spec: { updateStrategy: rolling({ maxUnavailable: 3 }) } });
    await h.settle();
    h.bindAll(); // bound, never Ready
    await h.settle();
    h.setImage('foo', 'foo2/bar2');
    expect((await h.settle()).deletes).toHaveLength(5);
    h.finishTerminating();
    expect((await h.settle()).creates).toHaveLength(5);
    expect(await h.settle()).toEqual({ creates: [], deletes: [] });
  });

  it('TestDaemonSetUpdatesNoTemplateChanged: a strategy change alone does nothing', async () => {
    const h = await running(5, { updateStrategy: { type: 'OnDelete' } });
    const revisionsBefore = h.revisions('foo').length;
    h.updateDaemonSet('foo', (ds) => {
      (ds.spec as Obj).updateStrategy = rolling({ maxUnavailable: 3 });
    });
    expect(await h.settle()).toEqual({ creates: [], deletes: [] });
    expect(h.revisions('foo')).toHaveLength(revisionsBefore);
    expect(h.status('foo').observedGeneration).toBe(2);
  });

  it('percentages round up: maxUnavailable 50% of 3 nodes deletes 2', async () => {
    const h = await running(3, { updateStrategy: rolling({ maxUnavailable: '50%' }) });
    h.setImage('foo', 'foo2/bar2');
    expect((await h.settle()).deletes).toHaveLength(2);
  });

  it('maxUnavailable and maxSurge both 0 (legacy data) allow one unavailable pod', async () => {
    const h = await running(3);
    // The API server refuses this now; write the store as old data would be.
    h.store.guaranteedUpdate(
      { resource: 'apps/daemonsets', namespace: 'default', name: 'foo' },
      (ds) => {
        const next = structuredClone(ds);
        const spec = obj(next.spec);
        spec.updateStrategy = rolling({ maxUnavailable: 0, maxSurge: 0 });
        const template = obj(spec.template);
        (obj(template.spec).containers as Obj[])[0]!.image = 'foo2/bar2';
        // What the registry does on a template change: the template generation goes up.
        next.metadata.annotations = { 'deprecated.daemonset.template.generation': '2' };
        return next;
      },
    );
    expect((await h.settle()).deletes).toHaveLength(1);
  });

  it('a pod on a NoSchedule-tainted node is replaced as well (it should continue running)', async () => {
    const h = await running(2, { updateStrategy: rolling({ maxUnavailable: 2 }) });
    h.updateNode('node-1', (node) => {
      node.spec = { taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] };
    });
    await h.settle();
    h.setImage('foo', 'foo2/bar2');
    // Both old pods are replacement candidates; only node-0 gets a new pod (shouldRun there).
    expect((await h.settle()).deletes).toHaveLength(2);
    h.finishTerminating();
    expect((await h.settle()).creates).toHaveLength(1);
  });
});

describe('RollingUpdate with surge', () => {
  it('TestDaemonSetUpdatesPodsWithMaxSurge: maxSurge=2 on 5 nodes', async () => {
    const h = await running(5);
    h.updateDaemonSet('foo', (ds) => {
      const spec = obj(ds.spec);
      spec.updateStrategy = rolling({ maxUnavailable: 0, maxSurge: 2 });
      (obj(obj(spec.template).spec).containers as Obj[])[0]!.image = 'foo2/bar2';
    });
    const trace: Array<[number, number]> = [];
    let step = await h.settle();
    trace.push([step.creates.length, step.deletes.length]);
    for (let i = 0; i < 4; i++) {
      await kubelet(h, true);
      step = await h.settle();
      trace.push([step.creates.length, step.deletes.length]);
      // Never more than one old and one new pod on a node.
      for (const podsOnNode of h.podsByNode('foo').values()) {
        expect(podsOnNode.length).toBeLessThanOrEqual(2);
        expect(new Set(podsOnNode.map(hashOf)).size).toBe(podsOnNode.length);
      }
    }
    // create 2 → create 2 + delete 2 → create 1 + delete 2 → delete 1 → done.
    expect(trace).toEqual([
      [2, 0],
      [2, 2],
      [1, 2],
      [0, 1],
      [0, 0],
    ]);
    h.finishTerminating();
    await h.settle();
    expect(h.status('foo')).toMatchObject({ updatedNumberScheduled: 5, numberAvailable: 5 });
  });

  it('an unavailable old pod gets its new neighbour at once, beyond maxSurge', async () => {
    const h = await running(3);
    h.setPodStatus(h.daemonPods('foo')[2]!.metadata.name!, { ready: false });
    await h.settle();
    h.updateDaemonSet('foo', (ds) => {
      const spec = obj(ds.spec);
      spec.updateStrategy = rolling({ maxUnavailable: 0, maxSurge: 1 });
      (obj(obj(spec.template).spec).containers as Obj[])[0]!.image = 'foo2/bar2';
    });
    const step = await h.settle();
    // One for the unready pod's node, one surge candidate; the unready old pod goes at once.
    expect(step.creates).toHaveLength(2);
    expect(step.deletes).toHaveLength(1);
  });
});

describe('OnDelete', () => {
  it('never replaces for a template change; a deleted pod comes back with the new template', async () => {
    const h = await running(3, { updateStrategy: { type: 'OnDelete' } });
    const oldHash = hashOf(h.daemonPods('foo')[0]!);
    h.setImage('foo', 'foo2/bar2');
    expect(await h.settle()).toEqual({ creates: [], deletes: [] });
    expect(h.status('foo').updatedNumberScheduled).toBeUndefined();
    const victim = h.daemonPods('foo')[1]!;
    h.deletePod(victim.metadata.name!);
    h.finishTerminating();
    const step = await h.settle();
    expect(step.creates).toHaveLength(1);
    const created = h.pod(step.creates[0]!);
    expect(hashOf(created)).not.toBe(oldHash);
    expect(created.metadata.labels!['pod-template-generation']).toBe('2');
    expect((obj(created.spec).containers as Obj[])[0]!.image).toBe('foo2/bar2');
    expect(h.status('foo')).toMatchObject({ updatedNumberScheduled: 1, currentNumberScheduled: 3 });
  });
});

describe('ControllerRevisions', () => {
  it('a revision is <ds>-<hash> with template labels, DaemonSet annotations, owner, data, revision', async () => {
    const h = make();
    h.addNodes(0, 1);
    const ds = h.createDaemonSet('foo', {
      annotations: { 'kubernetes.io/change-cause': 'kubectl apply --record' },
    });
    await h.settle();
    const [revision] = h.revisions('foo');
    const fresh = h.daemonSet('foo');
    const hash = computeHash(obj(fresh.spec).template);
    expect(revision!.metadata.name).toBe(`foo-${hash}`);
    expect(revision!.metadata.labels).toEqual({
      ...simpleDaemonSetLabel,
      'controller-revision-hash': hash,
    });
    expect(revision!.metadata.annotations).toEqual({
      'kubernetes.io/change-cause': 'kubectl apply --record',
      'deprecated.daemonset.template.generation': '1',
    });
    expect(revision!.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        name: 'foo',
        uid: ds.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(revision!.revision).toBe(1);
    expect(revision!.data).toEqual({
      spec: { template: { ...obj(obj(fresh.spec).template), $patch: 'replace' } },
    });
    // Keys sorted at every level, as Go marshals the map: "$patch" first.
    expect(JSON.stringify(revision!.data)).toBe(canonicalJson(revision!.data));
    expect(Object.keys(obj(obj(obj(revision!.data).spec).template))[0]).toBe('$patch');
    expect(hashOf(h.daemonPods('foo')[0]!)).toBe(hash);
  });

  it('rollback to an old template reuses its revision and renumbers it', async () => {
    const h = await running(2, { updateStrategy: rolling({ maxUnavailable: 2 }) });
    const [first] = h.revisions('foo');
    h.setImage('foo', 'foo2/bar2');
    await h.settle();
    await kubelet(h, true);
    await h.settle();
    await kubelet(h, true);
    await h.settle();
    expect(
      h
        .revisions('foo')
        .map((r) => r.revision)
        .sort(),
    ).toEqual([1, 2]);
    // `kubectl rollout undo`: the old template comes back.
    h.setImage('foo', 'foo/bar');
    await h.settle();
    const revisions = h.revisions('foo');
    expect(revisions).toHaveLength(2);
    const renumbered = revisions.find((r) => r.metadata.name === first!.metadata.name)!;
    expect(renumbered.revision).toBe(3);
    expect(renumbered.metadata.uid).toBe(first!.metadata.uid);
    expect(revisions.find((r) => r.metadata.name !== first!.metadata.name)!.revision).toBe(2);
    expect(
      h.daemonSet('foo').metadata.annotations!['deprecated.daemonset.template.generation'],
    ).toBe('3');
    // Pods roll back to the first hash, labelled with the new template generation.
    for (let i = 0; i < 4; i++) {
      await kubelet(h, true);
      await h.settle();
    }
    for (const pod of h.daemonPods('foo')) {
      expect(hashOf(pod)).toBe(hashOf(first!));
      expect(pod.metadata.labels!['pod-template-generation']).toBe('3');
    }
  });

  it('cleanupHistory keeps revisionHistoryLimit old revisions, oldest deleted first', async () => {
    const h = await running(1, {
      revisionHistoryLimit: 2,
      updateStrategy: rolling({ maxUnavailable: 1 }),
    });
    for (const image of ['v2', 'v3', 'v4', 'v5']) {
      h.setImage('foo', image);
      for (let i = 0; i < 3; i++) {
        await kubelet(h, true);
        await h.settle();
      }
    }
    const revisions = h.revisions('foo').sort((a, b) => Number(a.revision) - Number(b.revision));
    expect(revisions.map((r) => r.revision)).toEqual([3, 4, 5]);
  });

  it('cleanupHistory never deletes a revision live pods still use', async () => {
    const h = await running(2, { revisionHistoryLimit: 0, updateStrategy: { type: 'OnDelete' } });
    const firstHash = hashOf(h.daemonPods('foo')[0]!);
    h.setImage('foo', 'v2');
    await h.settle();
    h.setImage('foo', 'v3');
    await h.settle();
    // v1 is used by both pods; v2 by none.
    expect(h.revisions('foo').map(hashOf).sort()).toEqual(
      [firstHash, h.currentHash(h.daemonSet('foo'))].sort(),
    );
    for (const pod of h.daemonPods('foo')) h.deletePod(pod.metadata.name!);
    h.finishTerminating();
    await h.settle();
    expect(h.revisions('foo')).toHaveLength(1);
    expect(h.revisions('foo').map((r) => r.revision)).toEqual([3]);
  });

  it('duplicate current revisions: the highest stays, pods move to its hash, the rest go', async () => {
    const h = await running(2, { updateStrategy: { type: 'OnDelete' } });
    const [original] = h.revisions('foo');
    h.registry.asTest(() =>
      h.registry.create(revisionsType, 'default', {
        metadata: {
          name: 'foo-duplicate',
          labels: { ...simpleDaemonSetLabel, 'controller-revision-hash': 'duplicate' },
          ownerReferences: original!.metadata.ownerReferences,
        },
        data: original!.data,
        revision: 7,
      }),
    );
    // Like upstream, a new revision that already has an owner wakes nobody; the next sync of
    // the DaemonSet (any pod or DaemonSet event, here forced) finds it.
    h.controller.queue.add('default/foo');
    await h.settle();
    expect(h.revisions('foo').map((r) => r.metadata.name)).toEqual(['foo-duplicate']);
    for (const pod of h.daemonPods('foo')) expect(hashOf(pod)).toBe('duplicate');
    expect(h.status('foo').updatedNumberScheduled).toBe(2);
  });

  it('a revision without the hash label gets one equal to its name', async () => {
    const h = await running(1, { updateStrategy: { type: 'OnDelete' } });
    const [current] = h.revisions('foo');
    h.registry.asTest(() =>
      h.registry.create(revisionsType, 'default', {
        metadata: {
          name: 'foo-legacy',
          labels: simpleDaemonSetLabel,
          ownerReferences: current!.metadata.ownerReferences,
        },
        data: { spec: { template: { $patch: 'replace' } } },
        revision: 1,
      }),
    );
    h.controller.queue.add('default/foo');
    await h.settle();
    const legacy = h.registry.get(revisionsType, 'default', 'foo-legacy');
    expect(legacy.metadata.labels!['controller-revision-hash']).toBe('foo-legacy');
    // It is an old revision now: the current one was renumbered above it.
    expect(h.registry.get(revisionsType, 'default', current!.metadata.name!).revision).toBe(2);
  });

  it('TestControlledHistories: adopts orphans it selects, releases what it no longer selects, ignores other namespaces', async () => {
    const h = make();
    h.registry.asTest(() => {
      h.registry.create(findResource('', 'v1', 'namespaces')!, '', { metadata: { name: 'other' } });
      h.registry.create(revisionsType, 'default', {
        metadata: { name: 'orphan', labels: simpleDaemonSetLabel },
        data: { spec: { template: { $patch: 'replace' } } },
        revision: 1,
      });
      h.registry.create(revisionsType, 'other', {
        metadata: { name: 'elsewhere', labels: simpleDaemonSetLabel },
        data: {},
        revision: 1,
      });
    });
    const ds = h.createDaemonSet('foo');
    await h.settle();
    const orphan = h.registry.get(revisionsType, 'default', 'orphan');
    expect(orphan.metadata.ownerReferences?.[0]?.uid).toBe(ds.metadata.uid);
    expect(
      h.registry.get(revisionsType, 'other', 'elsewhere').metadata.ownerReferences,
    ).toBeUndefined();
    h.registry.asTest(() =>
      h.registry.modify(revisionsType, 'default', 'orphan', (copy) => {
        copy.metadata.labels = { app: 'moved' };
        return copy;
      }),
    );
    await h.settle();
    expect(
      h.registry.get(revisionsType, 'default', 'orphan').metadata.ownerReferences,
    ).toBeUndefined();
  });

  it('a hash collision with a different template bumps collisionCount and uses a new name', async () => {
    const h = make();
    h.addNodes(0, 1);
    const created = h.createDaemonSet('foo');
    const hash0 = computeHash(obj(created.spec).template);
    // Another template already holds the name this DaemonSet's first revision would take.
    h.registry.asTest(() =>
      h.registry.create(revisionsType, 'default', {
        metadata: { name: `foo-${hash0}`, labels: { unrelated: 'yes' } },
        data: {
          spec: { template: { $patch: 'replace', metadata: { labels: { other: 'template' } } } },
        },
        revision: 1,
      }),
    );
    await h.advance(1000);
    expect(h.status('foo').collisionCount).toBe(1);
    const hash1 = computeHash(obj(h.daemonSet('foo').spec).template, 1);
    expect(hash1).not.toBe(hash0);
    expect(h.revisions('foo').map((r) => r.metadata.name)).toEqual([`foo-${hash1}`]);
    expect(hashOf(h.daemonPods('foo')[0]!)).toBe(hash1);
  });
});

describe('rollout planning (pure)', () => {
  const node = (name: string, labels?: Record<string, string>): KubeObject => ({
    metadata: { name, ...(labels ? { labels } : {}) },
    spec: {},
  });
  const ds = (rollingUpdate: Obj): KubeObject => ({
    metadata: { name: 'x', namespace: 'default', annotations: {} },
    spec: {
      selector: { matchLabels: simpleDaemonSetLabel },
      updateStrategy: rolling(rollingUpdate),
      template: { metadata: { labels: simpleDaemonSetLabel }, spec: { containers: [] } },
    },
  });
  const readyPod = (name: string, nodeName: string, extra: Obj = {}): KubeObject => ({
    metadata: { name, labels: simpleDaemonSetLabel, ...extra },
    spec: { nodeName },
    status: {
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }],
    },
  });
  const now = Date.UTC(2026, 0, 1, 0, 1);

  // TestGetUnavailableNumbers, as updatedDesiredNodeCounts + planRollingUpdate's accounting.
  it('No nodes: nothing desired, maxUnavailable stays 0', () => {
    expect(updatedDesiredNodeCounts(ds({ maxUnavailable: 0 }), [], new Map())).toEqual({
      maxSurge: 0,
      maxUnavailable: 0,
      desiredNumberScheduled: 0,
    });
  });

  it('Two nodes with ready pods: maxUnavailable 1; 50% of 2 is 1', () => {
    const nodes = [node('node-0'), node('node-1')];
    const map = new Map([
      ['node-0', [readyPod('pod-0', 'node-0')]],
      ['node-1', [readyPod('pod-1', 'node-1')]],
    ]);
    expect(updatedDesiredNodeCounts(ds({ maxUnavailable: 1 }), nodes, map).maxUnavailable).toBe(1);
    expect(updatedDesiredNodeCounts(ds({ maxUnavailable: '50%' }), nodes, map).maxUnavailable).toBe(
      1,
    );
    // Both pods old and available: one is deleted.
    expect(
      planRollingUpdate(ds({ maxUnavailable: 1 }), nodes, map, 'new', now).podsToDelete,
    ).toHaveLength(1);
  });

  it('Two nodes, one without pods: it counts as unavailable and gets an empty entry', () => {
    const nodes = [node('node-0'), node('node-1')];
    const map = new Map([['node-0', [readyPod('pod-0', 'node-0')]]]);
    // maxUnavailable 0 with maxSurge 0 becomes 1 when anything is desired.
    expect(updatedDesiredNodeCounts(ds({ maxUnavailable: 0 }), nodes, map).maxUnavailable).toBe(1);
    expect(map.get('node-1')).toEqual([]);
    // node-1 already uses the one unavailability: the old pod on node-0 stays.
    expect(
      planRollingUpdate(ds({ maxUnavailable: 1 }), nodes, new Map(map), 'new', now).podsToDelete,
    ).toEqual([]);
  });

  it('a terminating pod is ignored by findUpdatedPodsOnNode (its node counts unavailable)', () => {
    const terminating = readyPod('pod-1', 'node-1', { deletionTimestamp: '2026-01-01T00:00:30Z' });
    expect(findUpdatedPodsOnNode(ds({ maxUnavailable: 1 }), [terminating], 'new')).toEqual({
      newPod: undefined,
      oldPod: undefined,
      ok: true,
    });
    const nodes = [node('node-0'), node('node-1')];
    const map = new Map([
      ['node-0', [readyPod('pod-0', 'node-0')]],
      ['node-1', [terminating]],
    ]);
    expect(
      planRollingUpdate(ds({ maxUnavailable: '50%' }), nodes, map, 'new', now).podsToDelete,
    ).toEqual([]);
  });

  it('more than one old pod on a node: left to manage', () => {
    const pods = [readyPod('a', 'node-0'), readyPod('b', 'node-0')];
    expect(findUpdatedPodsOnNode(ds({ maxUnavailable: 1 }), pods, 'new').ok).toBe(false);
  });

  it('surge: pods on a node that no longer qualifies go only while more are available than desired', () => {
    const spec = ds({ maxUnavailable: 0, maxSurge: 1 });
    (obj(obj(obj(spec.spec).template).spec) as Obj).nodeSelector = { zone: 'b' };
    const nodes = [node('a', { zone: 'a' }), node('b', { zone: 'b' })];
    // Old pod on node a (available, a no longer selected), nothing on b yet.
    const map = new Map([['a', [readyPod('old-a', 'a')]]]);
    expect(planRollingUpdate(spec, nodes, map, 'new', now)).toEqual({
      podsToDelete: [],
      nodesToCreate: [],
    });
    // Once b has an available new pod, 2 available > 1 desired: a's pod may go.
    const newB = readyPod('new-b', 'b', {
      labels: { ...simpleDaemonSetLabel, 'controller-revision-hash': 'new' },
    });
    const map2 = new Map([
      ['a', [readyPod('old-a', 'a')]],
      ['b', [newB]],
    ]);
    expect(planRollingUpdate(spec, nodes, map2, 'new', now).podsToDelete).toEqual(['old-a']);
  });

  it('getPatch / Match compare templates key-order-insensitively', () => {
    const a = ds({ maxUnavailable: 1 });
    const history = { metadata: {}, data: getPatch(a) } as KubeObject;
    const reordered = structuredClone(a);
    const template = obj(obj(reordered.spec).template);
    obj(reordered.spec).template = { spec: template.spec, metadata: template.metadata };
    expect(matchesHistory(reordered, history)).toBe(true);
    (obj(obj(obj(reordered.spec).template).spec) as Obj).hostNetwork = true;
    expect(matchesHistory(reordered, history)).toBe(false);
  });
});

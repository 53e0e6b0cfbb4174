/**
 * The DaemonSet controller against upstream's pkg/controller/daemon/daemon_controller_test.go.
 *
 * Upstream tests call `syncHandler` once against fake listers and a fake pod control whose
 * creates appear in the cache at once. Here the controller runs on a real registry and store:
 * `manual` harnesses call `syncDaemonSet` once (as `syncHandler`), `settle()` runs the manager to
 * rest. Where our cache only sees a sync's writes after it (as a real informer does), the test
 * says how the assertion moves.
 *
 * | upstream test                                              | here                                           |
 * |------------------------------------------------------------|------------------------------------------------|
 * | TestSimpleDaemonSetLaunchesPods                            | launches a pod on every node                   |
 * | TestSimpleDaemonSetScheduleDaemonSetPodsLaunchesPods       | pins pods with one matchFields term            |
 * | TestSimpleDaemonSetPodCreateErrors                         | slow start: quota of 10 on 100 nodes           |
 * | TestDaemonSetPodCreateExpectationsError                    | slow start: quota … (expectations satisfied)   |
 * | TestSimpleDaemonSetUpdatesStatusAfterLaunchingPods         | status after launching pods                    |
 * | TestSimpleDaemonSetUpdatesStatusError                      | create errors still write status               |
 * | TestStoreDaemonSetStatus                                   | status update retried once                     |
 * | TestNoNodesDoesNothing, TestOneNodeDaemonLaunchesPod,      | eligibility table (one row each)               |
 * |   TestNotReadyNodeDaemonDoesLaunchPod,                     |                                                |
 * |   TestInsufficientCapacity…, TestNetworkUnavailable…,      |                                                |
 * |   TestNoPortConflictNodeDaemonLaunchesPod,                 |                                                |
 * |   TestSelectorDaemonLaunchesPods, TestBadSelector…,        |                                                |
 * |   TestNameDaemonSetLaunchesPods, TestBadName…,             |                                                |
 * |   TestNameAndSelector…, TestInconsistentNameSelector…,     |                                                |
 * |   TestNodeAffinityDaemonLaunchesPods,                      |                                                |
 * |   TestTaintedNodeDaemonDoesNotLaunchIntolerantPod,         |                                                |
 * |   TestTaintedNodeDaemonLaunchesToleratePod,                |                                                |
 * |   TestNotReadyNodeDaemonLaunchesPod,                       |                                                |
 * |   TestUnreachableNodeDaemonLaunchesPod,                    |                                                |
 * |   TestNodeDaemonLaunchesToleratePod                        |                                                |
 * | TestNodeShouldRunDaemonPod (+ cordon, control plane)       | eligibility table; NoSchedule added later      |
 * | TestNoScheduleTaintedDoesntEvicitRunningIntolerantPod      | NoSchedule added later → misscheduled          |
 * | TestNoExecuteTaintedDoesEvicitRunningIntolerantPod         | NoSchedule added later → … NoExecute evicts    |
 * | TestDontDoAnythingIfBeingDeleted                           | does nothing while being deleted               |
 * | TestDontDoAnythingIfBeingDeletedRace                       | refuses to adopt when the uncached read …      |
 * | TestPortConflictWithSameDaemonPodDoesNotDeletePod          | keeps its own pod (port conflict case)         |
 * | TestPodIsNotDeletedByDaemonsetWithEmptyLabelSelector       | SelectingAll                                   |
 * | TestDealsWithExistingPods                                  | existing pods: duplicates and releases         |
 * | TestSelectorDaemonDeletesUnselectedPods                    | existing pods with a node selector (5/4)       |
 * | TestSelectorDaemonDealsWithExistingPods                    | existing pods with a node selector (3/20)      |
 * | TestNumberReadyStatus, TestObservedGeneration              | numberReady and observedGeneration             |
 * | TestDaemonKillFailedPods                                   | failed pods table                              |
 * | TestDaemonKillFailedPodsBackoff                            | failed pod backoff                             |
 * | TestDaemonSetRespectsTermination                           | no replacement while the pod terminates        |
 * | TestUpdateNode, TestAddNode                                | node events                                    |
 * | TestAddPod, TestAddPodOrphan, TestUpdatePod,               | pod events                                     |
 * |   TestUpdatePodOrphanSameLabels, …WithNewLabels,           |                                                |
 * |   TestUpdatePodChangeControllerRef, …ControllerRefRemoved, |                                                |
 * |   TestDeletePod, TestDeletePodOrphan                       |                                                |
 * | TestDeleteUnscheduledPodForNotExistingNode                 | unscheduled pod for a missing node             |
 * | TestGetNodesToDaemonPods                                   | terminal pods being deleted: status vs history |
 * | TestExpectationsOnRecreate, TestDeleteFinalStateUnknown    | expectations: recreate                         |
 * | TestSurgeDealsWithExistingPods                             | surge: existing pods                           |
 * | TestSurgePreservesReadyOldPods                             | surge: preserves ready old pods                |
 * | TestSurgeCreatesNewPodWhenAtMaxSurgeAndOldPodDeleted       | surge: replaces a terminating pod              |
 * | TestSurgeDeletesUnreadyOldPods                             | surge: deletes unready old pods                |
 * | TestSurgePreservesOldReadyWithUnsatisfiedMinReady          | surge: minReadySeconds (10 s of 15)            |
 * | TestSurgeDeletesOldReadyWithUnsatisfiedMinReady            | surge: minReadySeconds (20 s of 15)            |
 * | (spec §2: omitempty status shape)                          | status shape                                   |
 * | (spec §3.7: re-queues after Ready)                         | minReadySeconds: available after …             |
 * Rolling updates and history: update.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/objects';
import { NAME_SUFFIX_ALPHABET } from '../../apiserver/admission';
import {
  Harness,
  daemonSetsType,
  podsType,
  revisionsType,
  simpleDaemonSetLabel,
  simpleDaemonSetLabel2,
  simpleNodeLabel,
  simpleNodeLabel2,
  type HarnessOptions,
} from './test-harness';
import { failedPodsBackoffKey } from './daemonset-controller';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' ? (v as Obj) : {});

/** upstream `updateStrategies()`: OnDelete, and RollingUpdate with maxUnavailable 1. */
const strategies: ReadonlyArray<{ readonly name: string; readonly updateStrategy: Obj }> = [
  { name: 'OnDelete', updateStrategy: { type: 'OnDelete' } },
  {
    name: 'RollingUpdate',
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
  },
];
/** upstream `newUpdateSurge(1)`. */
const surgeOne = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } };

const noScheduleTaint = { key: 'dedicated', value: 'user1', effect: 'NoSchedule' };
const noExecuteTaint = { key: 'dedicated', value: 'user1', effect: 'NoExecute' };
const noScheduleToleration = { key: 'dedicated', value: 'user1', effect: 'NoSchedule' };

let harness: Harness | undefined;
function make(options: HarnessOptions = {}): Harness {
  harness = new Harness(options);
  return harness;
}
afterEach(() => {
  harness?.stop();
  harness = undefined;
});

const nameOf = (pod: KubeObject): string => pod.metadata.name ?? '';
const specOf = (pod: KubeObject): Obj => obj(pod.spec);

describe('DaemonSet controller: placement', () => {
  for (const { name, updateStrategy } of strategies) {
    it(`launches a pod on every node (${name})`, () => {
      const h = make({ manual: true });
      h.addNodes(0, 5);
      const ds = h.createDaemonSet('foo', { spec: { updateStrategy } });
      const step = h.sync('foo');
      expect(step.creates).toHaveLength(5);
      expect(step.deletes).toHaveLength(0);
      for (const pod of h.daemonPods('foo')) {
        expect(pod.metadata.ownerReferences).toEqual([
          {
            apiVersion: 'apps/v1',
            kind: 'DaemonSet',
            name: 'foo',
            uid: ds.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ]);
      }
      expect(h.events('foo').map((e) => e.reason)).toEqual(Array(5).fill('SuccessfulCreate'));
      expect(h.events('foo')[0]!.message).toBe(`Created pod: ${step.creates[0]}`);
    });
  }

  it('pins pods with one matchFields term and leaves nodeName empty', () => {
    const h = make({ manual: true });
    h.addNodes(0, 5);
    h.createDaemonSet('foo');
    h.sync('foo');
    const pods = h.daemonPods('foo');
    expect(pods).toHaveLength(5);
    const pinned = new Set<string>();
    for (const pod of pods) {
      const spec = specOf(pod);
      expect(spec.nodeName).toBeUndefined();
      const terms = obj(
        obj(obj(spec.affinity).nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution,
      ).nodeSelectorTerms as Obj[];
      expect(terms).toHaveLength(1);
      expect(terms[0]).toEqual({
        matchFields: [{ key: 'metadata.name', operator: 'In', values: [expect.any(String)] }],
      });
      pinned.add(((terms[0]!.matchFields as Obj[])[0]!.values as string[])[0]!);
    }
    expect([...pinned].sort()).toEqual(['node-0', 'node-1', 'node-2', 'node-3', 'node-4']);
  });

  it('makes pods as §1.4 says: name, labels, tolerations, affinity kept beside the pin', () => {
    const h = make({ manual: true });
    h.addNodes(0, 1, simpleNodeLabel);
    h.createDaemonSet('foo', {
      podSpec: {
        hostNetwork: true,
        tolerations: [
          // Replaced by the default one: its tolerationSeconds is dropped.
          {
            key: 'node.kubernetes.io/not-ready',
            operator: 'Exists',
            effect: 'NoExecute',
            tolerationSeconds: 5,
          },
          noScheduleToleration,
        ],
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'color', operator: 'In', values: ['blue'] }] },
              ],
            },
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 1,
                preference: { matchExpressions: [{ key: 'speed', operator: 'Exists' }] },
              },
            ],
          },
        },
      },
    });
    h.sync('foo');
    const [pod] = h.daemonPods('foo');
    const alphabet = `[${NAME_SUFFIX_ALPHABET}]`;
    expect(nameOf(pod!)).toMatch(new RegExp(`^foo-${alphabet}{5}$`));
    expect(pod!.metadata.generateName).toBe('foo-');
    const [revision] = h.revisions('foo');
    expect(pod!.metadata.labels).toEqual({
      ...simpleDaemonSetLabel,
      'pod-template-generation': '1',
      'controller-revision-hash': revision!.metadata.labels!['controller-revision-hash'],
    });
    expect(pod!.metadata.labels!['controller-revision-hash']).toMatch(/^[4-9bcdf]{1,10}$/);
    expect(specOf(pod!).tolerations).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
      noScheduleToleration,
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    const nodeAffinity = obj(obj(specOf(pod!).affinity).nodeAffinity);
    expect(nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual({
      nodeSelectorTerms: [
        { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-0'] }] },
      ],
    });
    expect(nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    // The registry's field manager is the controller manager's.
    expect(pod!.metadata.managedFields?.[0]?.manager ?? 'kube-controller-manager').toBe(
      'kube-controller-manager',
    );
  });

  it('a template nodeName is copied: the pod is created bound (and still pinned)', () => {
    const h = make({ manual: true });
    h.addNodes(0, 5);
    h.createDaemonSet('foo', { podSpec: { nodeName: 'node-0' } });
    const step = h.sync('foo');
    expect(step.creates).toHaveLength(1);
    const [pod] = h.daemonPods('foo');
    expect(specOf(pod!).nodeName).toBe('node-0');
    expect(h.status('foo')).toMatchObject({ desiredNumberScheduled: 1, currentNumberScheduled: 0 });
  });

  // One row per upstream eligibility test: nodes, DaemonSet, pods already there, creates.
  interface Row {
    readonly test: string;
    readonly setup: (h: Harness) => void;
    readonly podSpec?: Obj;
    /** Pods of the DaemonSet already there. */
    readonly pods?: (h: Harness, ds: KubeObject) => void;
    readonly creates: number;
    readonly deletes?: number;
  }
  const rows: Row[] = [
    { test: 'TestNoNodesDoesNothing', setup: () => undefined, creates: 0 },
    { test: 'TestOneNodeDaemonLaunchesPod', setup: (h) => h.addNode('only-node'), creates: 1 },
    {
      test: 'TestNotReadyNodeDaemonDoesLaunchPod (Ready=False, no taint)',
      setup: (h) => h.addNode('not-ready', { ready: 'False' }),
      creates: 1,
    },
    {
      test: 'TestInsufficientCapacityNodeDaemonDoesNotUnscheduleRunningPod (resources ignored)',
      setup: (h) => h.addNode('too-much-mem'),
      podSpec: {
        containers: [
          { name: 'app', image: 'foo/bar', resources: { requests: { memory: '75G', cpu: '75' } } },
        ],
      },
      creates: 1,
    },
    {
      test: 'TestNetworkUnavailableNodeDaemonLaunchesPod',
      setup: (h) =>
        h.updateNode(h.addNode('network-unavailable').metadata.name!, (node) => {
          (node.status as Obj).conditions = [{ type: 'NetworkUnavailable', status: 'True' }];
        }),
      creates: 1,
    },
    {
      test: 'TestNoPortConflictNodeDaemonLaunchesPod (ports ignored)',
      setup: (h) => {
        h.addNode('no-port-conflict');
        h.createPod('other-', {
          node: 'no-port-conflict',
          labels: { app: 'other' },
          spec: {
            containers: [
              { name: 'c', image: 'x', ports: [{ containerPort: 6661, hostPort: 6661 }] },
            ],
          },
        });
      },
      podSpec: {
        containers: [
          { name: 'app', image: 'foo/bar', ports: [{ containerPort: 6661, hostPort: 6661 }] },
        ],
      },
      creates: 1,
    },
    {
      test: 'TestSelectorDaemonLaunchesPods',
      setup: (h) => {
        h.addNodes(0, 4);
        h.addNodes(4, 3, simpleNodeLabel);
      },
      podSpec: { nodeSelector: simpleNodeLabel },
      creates: 3,
    },
    {
      test: 'TestBadSelectorDaemonDoesNothing',
      setup: (h) => {
        h.addNodes(0, 4);
        h.addNodes(4, 3, simpleNodeLabel);
      },
      podSpec: { nodeSelector: simpleNodeLabel2 },
      creates: 0,
    },
    {
      test: 'TestNameDaemonSetLaunchesPods',
      setup: (h) => h.addNodes(0, 5),
      podSpec: { nodeName: 'node-0' },
      creates: 1,
    },
    {
      test: 'TestBadNameDaemonSetDoesNothing',
      setup: (h) => h.addNodes(0, 5),
      podSpec: { nodeName: 'node-10' },
      creates: 0,
    },
    {
      test: 'TestNameAndSelectorDaemonSetLaunchesPods',
      setup: (h) => {
        h.addNodes(0, 4);
        h.addNodes(4, 3, simpleNodeLabel);
      },
      podSpec: { nodeSelector: simpleNodeLabel, nodeName: 'node-6' },
      creates: 1,
    },
    {
      test: 'TestInconsistentNameSelectorDaemonSetDoesNothing',
      setup: (h) => {
        h.addNodes(0, 4);
        h.addNodes(4, 3, simpleNodeLabel);
      },
      podSpec: { nodeSelector: simpleNodeLabel, nodeName: 'node-0' },
      creates: 0,
    },
    {
      test: 'TestNodeAffinityDaemonLaunchesPods',
      setup: (h) => {
        h.addNodes(0, 4);
        h.addNodes(4, 3, simpleNodeLabel);
      },
      podSpec: {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'color', operator: 'In', values: ['blue'] }] },
              ],
            },
          },
        },
      },
      creates: 3,
    },
    {
      test: 'TestTaintedNodeDaemonDoesNotLaunchIntolerantPod',
      setup: (h) => h.addNode('tainted', { taints: [noScheduleTaint] }),
      creates: 0,
    },
    {
      test: 'TestTaintedNodeDaemonLaunchesToleratePod',
      setup: (h) => h.addNode('tainted', { taints: [noScheduleTaint] }),
      podSpec: { tolerations: [noScheduleToleration] },
      creates: 1,
    },
    {
      test: 'TestNotReadyNodeDaemonLaunchesPod (not-ready:NoExecute)',
      setup: (h) =>
        h.addNode('tainted', {
          ready: 'False',
          taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }],
        }),
      creates: 1,
    },
    {
      test: 'TestUnreachableNodeDaemonLaunchesPod (unreachable:NoExecute)',
      setup: (h) =>
        h.addNode('tainted', {
          ready: 'Unknown',
          taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }],
        }),
      creates: 1,
    },
    {
      test: 'TestNodeDaemonLaunchesToleratePod',
      setup: (h) => h.addNodes(0, 1),
      podSpec: { tolerations: [noScheduleToleration] },
      creates: 1,
    },
    {
      test: 'ShouldRunDaemonPodOnUnschedulableNode (cordoned)',
      setup: (h) =>
        h.addNode('cordoned', {
          unschedulable: true,
          taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }],
        }),
      creates: 1,
    },
    {
      test: 'control-plane taint is not tolerated by default (§1.1)',
      setup: (h) =>
        h.addNode('lab-control-plane', {
          taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
        }),
      creates: 0,
    },
    {
      test: 'NotReady node with the NoSchedule not-ready taint gets no new pod (§1.1 trap)',
      setup: (h) =>
        h.addNode('not-ready', {
          ready: 'False',
          taints: [
            { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
            { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
          ],
        }),
      creates: 0,
    },
    {
      test: 'PreferNoSchedule is ignored',
      setup: (h) =>
        h.addNode('soft', {
          taints: [{ key: 'dedicated', value: 'x', effect: 'PreferNoSchedule' }],
        }),
      creates: 1,
    },
    {
      test: 'TestPortConflictWithSameDaemonPodDoesNotDeletePod (its own pod stays)',
      setup: (h) => h.addNode('port-conflict'),
      pods: (h, ds) => h.createPod('foo-', { node: 'port-conflict', owner: ds }),
      creates: 0,
    },
  ];
  for (const row of rows) {
    for (const { name, updateStrategy } of strategies) {
      it(`${row.test} (${name})`, () => {
        const h = make({ manual: true });
        row.setup(h);
        const ds = h.createDaemonSet('foo', {
          spec: { updateStrategy },
          podSpec: row.podSpec ?? {},
        });
        row.pods?.(h, ds);
        const step = h.sync('foo');
        expect(step.error).toBeUndefined();
        expect(step.creates).toHaveLength(row.creates);
        expect(step.deletes).toHaveLength(row.deletes ?? 0);
      });
    }
  }
});

describe('DaemonSet controller: existing pods', () => {
  for (const { name, updateStrategy } of strategies) {
    it(`TestDealsWithExistingPods: duplicates go, unselected owned pods are released (${name})`, () => {
      const h = make({ manual: true });
      const ds = h.createDaemonSet('foo', { spec: { updateStrategy } });
      h.addNodes(0, 5);
      h.addPods('node-1', simpleDaemonSetLabel, ds, 1);
      h.addPods('node-2', simpleDaemonSetLabel, ds, 2);
      h.addPods('node-3', simpleDaemonSetLabel, ds, 5);
      h.addPods('node-4', simpleDaemonSetLabel2, ds, 2);
      const step = h.sync('foo');
      expect(step.creates).toHaveLength(2);
      expect(step.deletes).toHaveLength(5);
      const released = h.pods().filter((p) => p.metadata.labels?.type === 'test');
      expect(released).toHaveLength(2);
      for (const pod of released) expect(pod.metadata.ownerReferences).toBeUndefined();
    });

    it(`TestSelectorDaemonDeletesUnselectedPods (${name})`, () => {
      const h = make({ manual: true });
      const ds = h.createDaemonSet('foo', {
        spec: { updateStrategy },
        podSpec: { nodeSelector: simpleNodeLabel },
      });
      h.addNodes(0, 5);
      h.addNodes(5, 5, simpleNodeLabel);
      h.addPods('node-0', simpleDaemonSetLabel2, ds, 2);
      h.addPods('node-1', simpleDaemonSetLabel, ds, 3);
      h.addPods('node-1', simpleDaemonSetLabel2, ds, 1);
      h.addPods('node-4', simpleDaemonSetLabel, ds, 1);
      const step = h.sync('foo');
      expect(step.creates).toHaveLength(5);
      expect(step.deletes).toHaveLength(4);
    });

    it(`TestSelectorDaemonDealsWithExistingPods (${name})`, () => {
      const h = make({ manual: true });
      const ds = h.createDaemonSet('foo', {
        spec: { updateStrategy },
        podSpec: { nodeSelector: simpleNodeLabel },
      });
      h.addNodes(0, 5);
      h.addNodes(5, 5, simpleNodeLabel);
      h.addPods('node-0', simpleDaemonSetLabel, ds, 1);
      h.addPods('node-1', simpleDaemonSetLabel, ds, 3);
      h.addPods('node-1', simpleDaemonSetLabel2, ds, 2);
      h.addPods('node-2', simpleDaemonSetLabel, ds, 4);
      h.addPods('node-6', simpleDaemonSetLabel, ds, 13);
      h.addPods('node-7', simpleDaemonSetLabel2, ds, 4);
      h.addPods('node-9', simpleDaemonSetLabel, ds, 1);
      h.addPods('node-9', simpleDaemonSetLabel2, ds, 1);
      const step = h.sync('foo');
      expect(step.creates).toHaveLength(3);
      expect(step.deletes).toHaveLength(20);
    });
  }

  it('keeps the bound, oldest pod of duplicates (podByCreationTimestampAndPhase)', () => {
    const h = make({ manual: true });
    const ds = h.createDaemonSet('foo');
    h.addNodes(0, 1);
    // An unbound pod pinned to node-0, older than the bound one.
    const unbound = h.createPod('foo-', {
      owner: ds,
      spec: {
        containers: [{ name: 'app', image: 'foo/bar' }],
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-0'] }] },
              ],
            },
          },
        },
      },
    });
    h.clock.advance(5000);
    const bound = h.createPod('foo-', { owner: ds, node: 'node-0' });
    h.clock.advance(5000);
    const younger = h.createPod('foo-', { owner: ds, node: 'node-0' });
    const step = h.sync('foo');
    expect(step.deletes.sort()).toEqual([nameOf(unbound), nameOf(younger)].sort());
    expect(h.pod(nameOf(bound)).metadata.deletionTimestamp).toBeUndefined();
  });

  it('adopts a matching orphan instead of creating a pod', () => {
    const h = make({ manual: true });
    h.addNodes(0, 1);
    const orphan = h.createPod('orphan-', { node: 'node-0' });
    const ds = h.createDaemonSet('foo');
    const step = h.sync('foo');
    expect(step.creates).toHaveLength(0);
    expect(h.pod(nameOf(orphan)).metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'DaemonSet', uid: ds.metadata.uid, controller: true }),
    ]);
  });

  for (const { name, updateStrategy } of strategies) {
    it(`TestDaemonSetRespectsTermination: no replacement while the pod terminates (${name})`, () => {
      const h = make({ manual: true });
      const ds = h.createDaemonSet('foo', { spec: { updateStrategy } });
      h.addNodes(0, 1, simpleNodeLabel);
      const pod = h.createPod('node-0-', {
        owner: ds,
        node: 'node-0',
        finalizers: ['example.com/hold'],
      });
      h.deletePod(nameOf(pod));
      expect(h.pod(nameOf(pod)).metadata.deletionTimestamp).toBeDefined();
      const step = h.sync('foo');
      expect(step).toEqual({ creates: [], deletes: [] });
    });
  }

  for (const { name, updateStrategy } of strategies) {
    it(`TestDeleteUnscheduledPodForNotExistingNode (${name})`, () => {
      const h = make({ manual: true });
      const ds = h.createDaemonSet('foo', { spec: { updateStrategy } });
      h.addNodes(0, 1);
      h.addPods('node-0', simpleDaemonSetLabel, ds, 1);
      h.addPods('node-1', simpleDaemonSetLabel, ds, 1); // bound to a node that does not exist
      const pinned = h.createPod('pod1-node-3-', {
        owner: ds,
        spec: {
          containers: [{ name: 'app', image: 'foo/bar' }],
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-2'] }] },
                ],
              },
            },
          },
        },
      });
      const step = h.sync('foo');
      expect(step.creates).toHaveLength(0);
      // The unbound pod pinned to a missing node goes; the bound one is PodGC's.
      expect(step.deletes).toEqual([nameOf(pinned)]);
    });
  }
});

describe('DaemonSet controller: failed and succeeded pods', () => {
  const cases = [
    { failed: 0, normal: 1, creates: 0, deletes: 0, events: 0, test: 'normal (do nothing)' },
    { failed: 0, normal: 0, creates: 1, deletes: 0, events: 0, test: 'no pods (create 1)' },
    {
      failed: 1,
      normal: 0,
      creates: 0,
      deletes: 1,
      events: 1,
      test: '1 failed pod (kill 1), 0 normal pod (create 0; will create in the next sync)',
    },
    {
      failed: 1,
      normal: 3,
      creates: 0,
      deletes: 3,
      events: 1,
      test: '1 failed pod (kill 1), 3 normal pods (kill 2)',
    },
  ];
  for (const c of cases) {
    for (const { name, updateStrategy } of strategies) {
      it(`TestDaemonKillFailedPods: ${c.test} (${name})`, () => {
        const h = make({ manual: true });
        const ds = h.createDaemonSet('foo', { spec: { updateStrategy } });
        h.addNodes(0, 1);
        for (let i = 0; i < c.failed; i++)
          h.createPod('node-0-', { owner: ds, node: 'node-0', phase: 'Failed' });
        h.addPods('node-0', simpleDaemonSetLabel, ds, c.normal);
        const step = h.sync('foo');
        expect(step.creates).toHaveLength(c.creates);
        expect(step.deletes).toHaveLength(c.deletes);
        const failedEvents = h.events('foo').filter((e) => e.reason === 'FailedDaemonPod');
        expect(failedEvents).toHaveLength(c.events);
        if (c.events) {
          expect(failedEvents[0]).toEqual({
            reason: 'FailedDaemonPod',
            type: 'Warning',
            message: `Found failed daemon pod default/${step.deletes[0]} on node node-0, will try to kill it`,
          });
        }
        if (c.failed && !c.normal) {
          // The replacement comes on the next sync, once the deletion was observed.
          expect(h.sync('foo').creates).toHaveLength(1);
        }
      });
    }
  }

  it('a succeeded pod is deleted without backoff and replaced on the next sync', () => {
    const h = make({ manual: true });
    const ds = h.createDaemonSet('foo');
    h.addNodes(0, 1);
    const pod = h.createPod('node-0-', { owner: ds, node: 'node-0', phase: 'Succeeded' });
    const step = h.sync('foo');
    expect(step.deletes).toEqual([nameOf(pod)]);
    expect(h.events('foo')).toContainEqual({
      reason: 'SucceededDaemonPod',
      type: 'Normal',
      message: `Found succeeded daemon pod default/${nameOf(pod)} on node node-0, will try to delete it`,
    });
    expect(h.sync('foo').creates).toHaveLength(1);
  });

  for (const { name, updateStrategy } of strategies) {
    it(`TestDaemonKillFailedPodsBackoff: a pod that keeps failing is killed after 1 s, 2 s … (${name})`, () => {
      const h = make({ manual: true });
      h.createDaemonSet('foo', { spec: { updateStrategy } });
      h.addNodes(0, 1);
      const [first] = h.sync('foo').creates;
      h.bind(h.pod(first!), 'node-0');
      h.setPodStatus(first!, { phase: 'Failed' });
      // The key carries the observed generation, 1 after that first full sync.
      const backoffKey = failedPodsBackoffKey(h.daemonSet('foo'), 'node-0');
      expect(backoffKey).toBe(`${h.daemonSet('foo').metadata.uid}/1/node-0`);
      // This sync kills the failed pod and starts the backoff.
      expect(h.sync('foo').deletes).toEqual([first]);
      expect(h.controller.failedPodsBackoff.get(backoffKey)).toBe(1000);
      // The replacement fails at once (a kubelet rejecting it).
      const [replacement] = h.sync('foo').creates;
      expect(replacement).toBeDefined();
      h.bind(h.pod(replacement!), 'node-0');
      h.setPodStatus(replacement!, { phase: 'Failed' });
      h.drainQueue();
      // Limited by the backoff: not killed, the DaemonSet comes back after the delay.
      expect(h.sync('foo').deletes).toHaveLength(0);
      expect(h.controller.failedPodsBackoff.get(backoffKey)).toBe(1000);
      h.drainQueue(); // its own status write
      expect(h.controller.queue.waiting).toBe(1);
      h.clock.advance(999);
      expect(h.controller.failedPodsBackoff.isInBackOffSinceUpdate(backoffKey, h.clock.now())).toBe(
        true,
      );
      expect(h.controller.queue.length).toBe(0);
      h.clock.advance(1);
      expect(h.controller.failedPodsBackoff.isInBackOffSinceUpdate(backoffKey, h.clock.now())).toBe(
        false,
      );
      expect(h.drainQueue()).toEqual(['default/foo']);
      expect(h.sync('foo').deletes).toEqual([replacement]);
      expect(h.controller.failedPodsBackoff.get(backoffKey)).toBe(2000);
      expect(h.eventCount('FailedDaemonPod', 'foo')).toBe(2);
    });
  }

  it('the backoff is capped at its maximum and forgotten after twice that', () => {
    const h = make({
      manual: true,
      controller: { failedPodsBackoffInitialMs: 1000, failedPodsBackoffMaxMs: 4000 },
    });
    const backoff = h.controller.failedPodsBackoff;
    for (const expected of [1000, 2000, 4000, 4000]) {
      backoff.next('k', h.clock.now());
      expect(backoff.get('k')).toBe(expected);
    }
    h.clock.advance(8001);
    backoff.next('k', h.clock.now());
    expect(backoff.get('k')).toBe(1000);
  });
});

describe('DaemonSet controller: taints added later', () => {
  it('NoSchedule keeps the pod (misscheduled), NoExecute removes it, untainting recreates it', async () => {
    const h = make();
    h.addNodes(0, 3);
    h.createDaemonSet('foo');
    await h.settle();
    h.runPods('foo');
    await h.settle();
    expect(h.status('foo')).toMatchObject({
      desiredNumberScheduled: 3,
      numberMisscheduled: 0,
      numberReady: 3,
    });

    // TestNoScheduleTaintedDoesntEvicitRunningIntolerantPod
    h.updateNode('node-1', (node) => {
      node.spec = { taints: [noScheduleTaint] };
    });
    const kept = await h.settle();
    expect(kept).toEqual({ creates: [], deletes: [] });
    expect(h.status('foo')).toMatchObject({
      desiredNumberScheduled: 2,
      currentNumberScheduled: 2,
      numberMisscheduled: 1,
      numberReady: 2,
      numberAvailable: 2,
    });
    expect(h.status('foo').numberUnavailable).toBeUndefined();

    // TestNoExecuteTaintedDoesEvicitRunningIntolerantPod
    h.updateNode('node-1', (node) => {
      node.spec = { taints: [noScheduleTaint, noExecuteTaint] };
    });
    const evicted = await h.settle();
    expect(evicted.deletes).toHaveLength(1);
    h.finishTerminating();
    await h.settle();
    expect(h.status('foo')).toMatchObject({ desiredNumberScheduled: 2, numberMisscheduled: 0 });

    h.updateNode('node-1', (node) => {
      node.spec = {};
    });
    const recreated = await h.settle();
    expect(recreated.creates).toHaveLength(1);
    expect(h.status('foo')).toMatchObject({ desiredNumberScheduled: 3, currentNumberScheduled: 3 });
  });

  it('a node losing the selected label loses its pod; a new matching node gets one', async () => {
    const h = make();
    h.addNodes(0, 2, simpleNodeLabel);
    h.createDaemonSet('foo', { podSpec: { nodeSelector: simpleNodeLabel } });
    await h.settle();
    h.updateNode('node-0', (node) => {
      node.metadata.labels = simpleNodeLabel2;
    });
    expect((await h.settle()).deletes).toHaveLength(1);
    h.addNode('node-9', { labels: simpleNodeLabel });
    expect((await h.settle()).creates).toHaveLength(1);
  });
});

describe('DaemonSet controller: sync guards', () => {
  for (const { name, updateStrategy } of strategies) {
    it(`TestDontDoAnythingIfBeingDeleted (${name})`, () => {
      const h = make({ manual: true });
      h.addNodes(0, 1);
      h.createPod('orphan-', { node: 'node-0' });
      h.createDaemonSet('foo', { spec: { updateStrategy } });
      // Foreground deletion keeps the DaemonSet, with a deletionTimestamp, until the GC is done.
      h.registry.asTest(() =>
        h.registry.delete(daemonSetsType, 'default', 'foo', { propagationPolicy: 'Foreground' }),
      );
      const before = h.daemonSet('foo');
      expect(before.metadata.deletionTimestamp).toBeDefined();
      const step = h.sync('foo');
      expect(step).toEqual({ creates: [], deletes: [] });
      expect(h.revisions()).toHaveLength(0);
      expect(h.daemonSet('foo').metadata.resourceVersion).toBe(before.metadata.resourceVersion);
      expect(h.pods()[0]!.metadata.ownerReferences).toBeUndefined();
    });
  }

  it('TestDontDoAnythingIfBeingDeletedRace: refuses to adopt when the uncached read says deleting', () => {
    const h = make({ manual: true });
    h.addNodes(0, 5);
    h.createDaemonSet('foo');
    const orphan = h.createPod('pod1-', { node: 'node-0' });
    h.flush();
    h.drainQueue();
    // The API says it is being deleted; the informer has not seen it yet.
    h.registry.asTest(() =>
      h.registry.delete(daemonSetsType, 'default', 'foo', { propagationPolicy: 'Foreground' }),
    );
    h.registry.reset();
    expect(() => h.controller.syncDaemonSet('default/foo')).toThrow(/has just been deleted/);
    expect(h.registry.creates).toHaveLength(0);
    expect(h.registry.deletes).toHaveLength(0);
    expect(h.pod(nameOf(orphan)).metadata.ownerReferences).toBeUndefined();
  });

  for (const { name, updateStrategy } of strategies) {
    it(`TestPodIsNotDeletedByDaemonsetWithEmptyLabelSelector: SelectingAll (${name})`, () => {
      const h = make({ manual: true });
      h.addNode('node1');
      h.createPod('bang-', { node: 'node1', labels: { bang: 'boom' } });
      h.createDaemonSet('foo', {
        spec: { updateStrategy },
        podSpec: { nodeSelector: { foo: 'bar' } },
      });
      // Legacy data: the API server refuses an empty selector now, so write the store directly.
      h.store.guaranteedUpdate(
        { resource: 'apps/daemonsets', namespace: 'default', name: 'foo' },
        (ds) => ({
          ...ds,
          spec: { ...obj(ds.spec), selector: {} },
        }),
      );
      const step = h.sync('foo');
      expect(step).toEqual({ creates: [], deletes: [] });
      expect(h.events('foo')).toEqual([
        {
          reason: 'SelectingAll',
          type: 'Warning',
          message: 'This daemon set is selecting all pods. A non-empty selector is required.',
        },
      ]);
      expect(h.pods()[0]!.metadata.ownerReferences).toBeUndefined();
    });
  }

  it('a DaemonSet that no longer exists: nothing, and its expectations are dropped', () => {
    const h = make({ manual: true });
    h.addNodes(0, 2);
    h.createDaemonSet('foo');
    h.sync('foo');
    expect(h.controller.expectations.get('default/foo')).toEqual({ add: 0, del: 0 });
    h.registry.asTest(() => h.registry.delete(daemonSetsType, 'default', 'foo'));
    h.flush();
    expect(h.controller.expectations.get('default/foo')).toBeUndefined();
    expect(h.sync('foo')).toEqual({ creates: [], deletes: [] });
  });
});

describe('DaemonSet controller: slow start and expectations', () => {
  for (const { name, updateStrategy } of strategies) {
    it(`TestSimpleDaemonSetPodCreateErrors: a quota of 10 on 100 nodes (${name})`, () => {
      const h = make({ manual: true });
      h.registry.createLimit = 10;
      h.addNodes(0, 100);
      h.createDaemonSet('foo', { spec: { updateStrategy } });
      h.flush();
      // One sync, and no watch event delivered after it yet.
      expect(() => h.controller.syncDaemonSet('default/foo')).toThrow(/exceeded quota/);
      expect(h.registry.creates).toHaveLength(10);
      // Batches 1, 2, 4, 8: the one that failed ends the loop.
      expect(h.registry.createCalls).toBeLessThanOrEqual(1 + 2 + 4 + 8);
      // Identical failures are one Event with a count, as client-go's correlator records them.
      expect(h.eventCount('FailedCreate', 'foo')).toBe(h.registry.createCalls - 10);
      const failed = h.events('foo').filter((e) => e.reason === 'FailedCreate');
      expect(failed).toHaveLength(1);
      expect(failed[0]!.message).toMatch(
        /^Error creating: pods "foo-" is forbidden: exceeded quota/,
      );
      // TestDaemonSetPodCreateExpectationsError: skipped creates are no longer expected, and the
      // 10 that were made are observed once the informer has them.
      expect(h.controller.expectations.get('default/foo')).toEqual({ add: 10, del: 0 });
      h.flush();
      expect(h.controller.expectations.satisfied('default/foo')).toBe(true);
      // The next sync retries (one call, which fails) and its status sees the 10 pods.
      const retry = h.sync('foo');
      expect(h.registry.createCalls).toBe(1);
      expect(retry.creates).toHaveLength(0);
      expect(h.status('foo')).toMatchObject({
        desiredNumberScheduled: 100,
        currentNumberScheduled: 10,
        updatedNumberScheduled: 10,
      });
    });
  }

  it('burstReplicas caps creates per sync', async () => {
    const h = make({ controller: { burstReplicas: 3 } });
    h.addNodes(0, 7);
    h.createDaemonSet('foo');
    const step = await h.settle();
    // Each sync creates at most 3; settling runs as many syncs as needed.
    expect(step.creates).toHaveLength(7);
    const manual = make({ manual: true, controller: { burstReplicas: 3 } });
    manual.addNodes(0, 7);
    manual.createDaemonSet('foo');
    expect(manual.sync('foo').creates).toHaveLength(3);
    expect(manual.sync('foo').creates).toHaveLength(3);
    expect(manual.sync('foo').creates).toHaveLength(1);
    manual.stop();
  });

  it('while expectations are pending only status is written, observedGeneration unchanged', () => {
    const h = make({ manual: true });
    h.addNodes(0, 2);
    h.createDaemonSet('foo');
    h.sync('foo');
    h.sync('foo');
    expect(h.status('foo')).toMatchObject({ observedGeneration: 1, currentNumberScheduled: 2 });
    h.updateDaemonSet('foo', (ds) => {
      (ds.spec as Obj).minReadySeconds = 5;
    });
    expect(h.daemonSet('foo').metadata.generation).toBe(2);
    h.controller.expectations.set('default/foo', 1, 0);
    h.deletePod(nameOf(h.daemonPods('foo')[0]!), { gracePeriodSeconds: 0 });
    h.flush();
    h.controller.expectations.set('default/foo', 1, 0);
    const step = h.sync('foo');
    expect(step).toEqual({ creates: [], deletes: [] }); // no manage
    expect(h.status('foo')).toMatchObject({ observedGeneration: 1, currentNumberScheduled: 1 });
    h.controller.expectations.delete('default/foo');
    expect(h.sync('foo').creates).toHaveLength(1);
    expect(h.status('foo').observedGeneration).toBe(2);
  });

  it('TestExpectationsOnRecreate: a recreated DaemonSet starts with clean expectations', () => {
    const h = make({ manual: true });
    h.addNode('master-0');
    h.createDaemonSet('test');
    h.flush();
    h.controller.syncDaemonSet('default/test');
    // The create is expected until the informer delivers it.
    expect(h.controller.expectations.satisfied('default/test')).toBe(false);
    h.registry.asTest(() => h.registry.delete(daemonSetsType, 'default', 'test'));
    h.flush();
    expect(h.controller.expectations.get('default/test')).toBeUndefined();
    expect(h.drainQueue()).toEqual(['default/test']);
    h.finishTerminating();
    for (const pod of h.pods()) h.deletePod(nameOf(pod), { gracePeriodSeconds: 0 });
    h.createDaemonSet('test');
    h.flush();
    h.controller.syncDaemonSet('default/test');
    expect(h.controller.expectations.get('default/test')).toEqual({ add: 1, del: 0 });
  });
});

describe('DaemonSet controller: status', () => {
  it('status shape: four counters always, the other four only when non-zero', async () => {
    const h = make();
    h.createDaemonSet('foo');
    await h.settle();
    expect(h.status('foo')).toEqual({
      currentNumberScheduled: 0,
      numberMisscheduled: 0,
      desiredNumberScheduled: 0,
      numberReady: 0,
      observedGeneration: 1,
    });
    h.addNodes(0, 3);
    await h.settle();
    expect(h.status('foo')).toEqual({
      currentNumberScheduled: 3,
      numberMisscheduled: 0,
      desiredNumberScheduled: 3,
      numberReady: 0,
      observedGeneration: 1,
      updatedNumberScheduled: 3,
      numberUnavailable: 3,
    });
    h.runPods('foo');
    await h.settle();
    expect(h.status('foo')).toEqual({
      currentNumberScheduled: 3,
      numberMisscheduled: 0,
      desiredNumberScheduled: 3,
      numberReady: 3,
      observedGeneration: 1,
      updatedNumberScheduled: 3,
      numberAvailable: 3,
    });
    // Nothing changed: no write.
    const rv = h.daemonSet('foo').metadata.resourceVersion;
    h.controller.queue.add('default/foo');
    await h.settle();
    expect(h.daemonSet('foo').metadata.resourceVersion).toBe(rv);
  });

  it('TestSimpleDaemonSetUpdatesStatusAfterLaunchingPods', async () => {
    const h = make();
    h.createDaemonSet('foo');
    h.addNodes(0, 5);
    const step = await h.settle();
    expect(step.creates).toHaveLength(5);
    // Upstream's fake cache shows the pods in the same sync; ours (like a real informer) in the
    // next one, which the pod events trigger.
    expect(h.status('foo').currentNumberScheduled).toBe(5);
  });

  for (const { name, updateStrategy } of strategies) {
    it(`TestNumberReadyStatus and TestObservedGeneration (${name})`, () => {
      const h = make({ manual: true });
      const ds = h.createDaemonSet('foo', { spec: { updateStrategy } });
      h.addNodes(0, 2, simpleNodeLabel);
      h.addPods('node-0', simpleDaemonSetLabel, ds, 1);
      h.addPods('node-1', simpleDaemonSetLabel, ds, 1);
      expect(h.sync('foo')).toEqual({ creates: [], deletes: [] });
      expect(h.status('foo')).toMatchObject({ numberReady: 0, observedGeneration: 1 });
      for (const pod of h.daemonPods('foo'))
        h.setPodStatus(nameOf(pod), { phase: 'Running', ready: true });
      h.sync('foo');
      expect(h.status('foo')).toMatchObject({ numberReady: 2, numberAvailable: 2 });
    });
  }

  it('TestStoreDaemonSetStatus: one failed update is retried on a fresh GET; two fail the sync', () => {
    const h = make({ manual: true });
    h.addNodes(0, 1);
    h.createDaemonSet('foo');
    h.registry.failStatusUpdates = 1;
    const once = h.sync('foo');
    expect(once.error).toBeUndefined();
    expect(h.status('foo')).toMatchObject({ desiredNumberScheduled: 1, observedGeneration: 1 });

    h.addNodes(1, 1);
    h.registry.failStatusUpdates = 2;
    const twice = h.sync('foo');
    expect(String(twice.error)).toMatch(
      /^Error: error storing status for daemon set default\/foo: Operation cannot be fulfilled/,
    );
    expect(h.status('foo').desiredNumberScheduled).toBe(1);
  });

  it('TestSimpleDaemonSetUpdatesStatusError: a failed sync still writes status, and reports the sync error', () => {
    const h = make({ manual: true });
    h.addNodes(0, 1);
    h.createDaemonSet('foo');
    h.registry.createLimit = 0;
    const step = h.sync('foo');
    expect(String(step.error)).toMatch(/exceeded quota/);
    expect(h.status('foo')).toMatchObject({ desiredNumberScheduled: 1, observedGeneration: 1 });
  });

  it('TestGetNodesToDaemonPods: terminal pods being deleted do not count, but keep their revision', () => {
    const h = make({ manual: true });
    const ds = h.createDaemonSet('foo', {
      spec: { revisionHistoryLimit: 0, updateStrategy: { type: 'OnDelete' } },
    });
    h.addNodes(0, 1);
    h.sync('foo');
    h.flush();
    const [pod] = h.daemonPods('foo');
    const oldHash = pod!.metadata.labels!['controller-revision-hash'];
    // Hold the pod with a finalizer, fail it and delete it: terminal and being deleted.
    h.registry.asTest(() =>
      h.registry.modify(podsType, 'default', nameOf(pod!), (copy) => {
        copy.metadata.finalizers = ['example.com/hold'];
        return copy;
      }),
    );
    h.bind(h.pod(nameOf(pod!)), 'node-0');
    h.setPodStatus(nameOf(pod!), { phase: 'Failed' });
    h.deletePod(nameOf(pod!));
    h.setImage('foo', 'foo2/bar2');
    h.drainQueue();
    const step = h.sync('foo');
    // Not on the node any more for manage: a new pod is created beside the held one.
    expect(step.creates).toHaveLength(1);
    // …but its hash still protects the old revision from cleanupHistory (limit 0).
    expect(h.revisions('foo').map((r) => r.metadata.labels!['controller-revision-hash'])).toContain(
      oldHash,
    );
    expect(h.revisions('foo')).toHaveLength(2);
    expect(ds.metadata.uid).toBeDefined();
  });
});

describe('DaemonSet controller: minReadySeconds', () => {
  it('a pod becomes available minReadySeconds after Ready, when the re-queue comes', async () => {
    const h = make();
    h.addNodes(0, 2);
    h.createDaemonSet('foo', { spec: { minReadySeconds: 10 } });
    await h.settle();
    // Ready half a second into a second: lastTransitionTime is written in whole seconds.
    h.clock.advance(500);
    h.runPods('foo');
    await h.settle();
    expect(h.status('foo')).toMatchObject({ numberReady: 2, numberUnavailable: 2 });
    expect(h.status('foo').numberAvailable).toBeUndefined();
    await h.advance(9000);
    expect(h.status('foo').numberAvailable).toBeUndefined();
    // The re-queue minReadySeconds (+1 ms) after the sync that saw ready != available.
    await h.advance(1001);
    expect(h.status('foo')).toMatchObject({ numberReady: 2, numberAvailable: 2 });
    expect(h.status('foo').numberUnavailable).toBeUndefined();
  });

  it('Ready on a whole second: available minReadySeconds later, not twice that', async () => {
    const h = make();
    h.addNodes(0, 1);
    h.createDaemonSet('foo', { spec: { minReadySeconds: 10 } });
    await h.settle();
    h.runPods('foo');
    await h.settle();
    expect(h.status('foo').numberAvailable).toBeUndefined();
    await h.advance(10_000);
    expect(h.status('foo').numberAvailable).toBeUndefined();
    await h.advance(1);
    expect(h.status('foo').numberAvailable).toBe(1);
  });
});

describe('DaemonSet controller: event handlers', () => {
  function threeDaemonSets(h: Harness): { ds1: KubeObject; ds2: KubeObject; ds3: KubeObject } {
    const ds1 = h.createDaemonSet('foo1');
    const ds2 = h.createDaemonSet('foo2');
    const ds3 = h.createDaemonSet('foo3', {
      spec: { selector: { matchLabels: simpleDaemonSetLabel2 } },
      templateLabels: simpleDaemonSetLabel2,
    });
    h.drainQueue();
    return { ds1, ds2, ds3 };
  }

  it('TestAddPod and TestAddPodOrphan', () => {
    const h = make({ manual: true });
    const { ds1, ds2 } = threeDaemonSets(h);
    h.createPod('pod1-', { node: 'node-0', owner: ds1 });
    expect(h.drainQueue()).toEqual(['default/foo1']);
    h.createPod('pod2-', { node: 'node-0', owner: ds2 });
    expect(h.drainQueue()).toEqual(['default/foo2']);
    h.createPod('pod1-', { node: 'node-0' });
    expect(h.drainQueue()).toEqual(['default/foo1', 'default/foo2']);
  });

  it('TestUpdatePod, TestUpdatePodOrphanSameLabels, TestUpdatePodOrphanWithNewLabels', () => {
    const h = make({ manual: true });
    const { ds1 } = threeDaemonSets(h);
    const owned = h.createPod('pod1-', { owner: ds1 });
    const orphan = h.createPod('pod2-', { labels: { foo2: 'bar2' } });
    h.drainQueue();
    const annotate = (name: string): void => {
      h.registry.asTest(() =>
        h.registry.modify(podsType, 'default', name, (copy) => {
          copy.metadata.annotations = { touched: String(h.clock.now()) };
          return copy;
        }),
      );
      h.clock.advance(1000);
    };
    annotate(nameOf(owned));
    expect(h.drainQueue()).toEqual(['default/foo1']);
    annotate(nameOf(orphan));
    expect(h.drainQueue()).toEqual([]);
    h.registry.asTest(() =>
      h.registry.modify(podsType, 'default', nameOf(orphan), (copy) => {
        copy.metadata.labels = simpleDaemonSetLabel;
        return copy;
      }),
    );
    expect(h.drainQueue()).toEqual(['default/foo1', 'default/foo2']);
    // Same labels, orphan: nothing (TestUpdatePodOrphanSameLabels).
    annotate(nameOf(orphan));
    expect(h.drainQueue()).toEqual([]);
  });

  it('TestUpdatePodChangeControllerRef and TestUpdatePodControllerRefRemoved', () => {
    const h = make({ manual: true });
    const { ds1, ds2 } = threeDaemonSets(h);
    const pod = h.createPod('pod1-', { owner: ds2 });
    h.drainQueue();
    h.registry.asTest(() =>
      h.registry.modify(podsType, 'default', nameOf(pod), (copy) => {
        copy.metadata.ownerReferences = [
          {
            apiVersion: 'apps/v1',
            kind: 'DaemonSet',
            name: 'foo1',
            uid: ds1.metadata.uid!,
            controller: true,
          },
        ];
        return copy;
      }),
    );
    expect(h.drainQueue()).toEqual(['default/foo1', 'default/foo2']);
    h.registry.asTest(() =>
      h.registry.modify(podsType, 'default', nameOf(pod), (copy) => {
        delete copy.metadata.ownerReferences;
        return copy;
      }),
    );
    expect(h.drainQueue()).toEqual(['default/foo1', 'default/foo2']);
  });

  it('TestDeletePod and TestDeletePodOrphan; a graceful deletion counts as the delete', () => {
    const h = make({ manual: true });
    const { ds1 } = threeDaemonSets(h);
    const owned = h.createPod('pod1-', { owner: ds1, node: 'node-0' });
    const orphan = h.createPod('pod2-', { node: 'node-0' });
    h.drainQueue();
    h.controller.expectations.set('default/foo1', 0, 1);
    h.deletePod(nameOf(owned)); // graceful: deletionTimestamp first
    expect(h.drainQueue()).toEqual(['default/foo1']);
    expect(h.controller.expectations.satisfied('default/foo1')).toBe(true);
    h.deletePod(nameOf(orphan), { gracePeriodSeconds: 0 });
    expect(h.drainQueue()).toEqual([]);
  });

  it('a Ready flip with minReadySeconds re-queues after minReadySeconds + 1 s', () => {
    const h = make({ manual: true });
    const ds = h.createDaemonSet('foo', { spec: { minReadySeconds: 7 } });
    const pod = h.createPod('pod1-', { owner: ds, node: 'node-0' });
    h.drainQueue();
    h.setPodStatus(nameOf(pod), { phase: 'Running', ready: true });
    expect(h.drainQueue()).toEqual(['default/foo']);
    h.clock.advance(7999);
    expect(h.drainQueue()).toEqual([]);
    h.clock.advance(1);
    expect(h.drainQueue()).toEqual(['default/foo']);
  });

  interface NodeCase {
    readonly test: string;
    readonly old: { labels?: Record<string, string>; taints?: Obj[] };
    readonly change: (node: KubeObject) => void;
    readonly nodeSelector?: Record<string, string>;
    readonly enqueue: boolean;
  }
  const nodeCases: NodeCase[] = [
    {
      test: 'Nothing changed, should not enqueue',
      old: {},
      change: (node) => {
        node.metadata.annotations = { unrelated: 'x' };
      },
      nodeSelector: simpleNodeLabel,
      enqueue: false,
    },
    {
      test: 'Node labels changed',
      old: {},
      change: (node) => {
        node.metadata.labels = simpleNodeLabel;
      },
      nodeSelector: simpleNodeLabel,
      enqueue: true,
    },
    {
      test: 'Node labels changed, but not so as to change the placement',
      old: {},
      change: (node) => {
        node.metadata.labels = { other: 'label' };
      },
      nodeSelector: simpleNodeLabel,
      enqueue: false,
    },
    {
      test: 'Node taints changed',
      old: { taints: [noScheduleTaint] },
      change: (node) => {
        node.spec = {};
      },
      enqueue: true,
    },
    {
      test: 'Node Allocatable changed',
      old: {},
      change: (node) => {
        (node.status as Obj).allocatable = { pods: '110', cpu: '200m', memory: '200M' };
      },
      enqueue: false,
    },
    {
      test: 'Heartbeat (conditions) only',
      old: {},
      change: (node) => {
        (node.status as Obj).conditions = [
          { type: 'Ready', status: 'True', lastHeartbeatTime: '2026-01-01T00:01:00Z' },
        ];
      },
      enqueue: false,
    },
  ];
  for (const c of nodeCases) {
    it(`TestUpdateNode: ${c.test}`, () => {
      const h = make({ manual: true });
      h.addNode('node1', c.old);
      h.createDaemonSet('ds', c.nodeSelector ? { podSpec: { nodeSelector: c.nodeSelector } } : {});
      h.sync('ds');
      h.drainQueue();
      h.updateNode('node1', c.change);
      expect(h.drainQueue()).toEqual(c.enqueue ? ['default/ds'] : []);
    });
  }

  it('TestAddNode: only DaemonSets that should run on the new node are queued', () => {
    const h = make({ manual: true });
    h.createDaemonSet('ds', { podSpec: { nodeSelector: simpleNodeLabel } });
    h.drainQueue();
    h.addNode('node1');
    expect(h.drainQueue()).toEqual([]);
    h.addNode('node2', { labels: simpleNodeLabel });
    expect(h.drainQueue()).toEqual(['default/ds']);
  });

  it('revision events: an orphan revision wakes the DaemonSets selecting it', () => {
    const h = make({ manual: true });
    threeDaemonSets(h);
    h.registry.asTest(() =>
      h.registry.create(revisionsType, 'default', {
        metadata: { name: 'stray', labels: simpleDaemonSetLabel },
        data: {},
        revision: 1,
      }),
    );
    expect(h.drainQueue()).toEqual(['default/foo1', 'default/foo2']);
  });
});

describe('DaemonSet controller: surge (maxSurge=1, maxUnavailable=0)', () => {
  it('TestSurgeDealsWithExistingPods', () => {
    const h = make({ manual: true });
    const ds = h.createDaemonSet('foo', { spec: { updateStrategy: surgeOne } });
    h.addNodes(0, 5);
    h.addPods('node-1', simpleDaemonSetLabel, ds, 1);
    h.addPods('node-2', simpleDaemonSetLabel, ds, 2);
    h.addPods('node-3', simpleDaemonSetLabel, ds, 5);
    h.addPods('node-4', simpleDaemonSetLabel2, ds, 2);
    const step = h.sync('foo');
    expect(step.creates).toHaveLength(2);
    expect(step.deletes).toHaveLength(5);
  });

  /** node-1 gets: an old pod (t=0), an excess old pod (t=10 s), a current pod (t=50 s). */
  function nodeOneWithThreePods(
    h: Harness,
    ds: KubeObject,
    options: { oldReady: boolean; newReady: boolean },
  ): { current: KubeObject; old: KubeObject; excess: KubeObject } {
    const old = h.createPod('node-1-old-', {
      owner: ds,
      hash: null,
      node: 'node-1',
      phase: 'Running',
      ready: options.oldReady,
    });
    h.clock.advance(10_000);
    const excess = h.createPod('node-1-delete-', {
      owner: ds,
      hash: null,
      node: 'node-1',
      phase: 'Running',
      ready: true,
    });
    h.clock.advance(40_000);
    const current = h.createPod('node-1-', {
      owner: ds,
      node: 'node-1',
      phase: 'Running',
      ready: options.newReady,
    });
    return { current, old, excess };
  }

  it('TestSurgePreservesReadyOldPods', () => {
    const h = make({ manual: true });
    const ds = h.createDaemonSet('foo', { spec: { updateStrategy: surgeOne } });
    h.addNodes(0, 5);
    const { excess } = nodeOneWithThreePods(h, ds, { oldReady: true, newReady: false });
    h.addPods('node-2', simpleDaemonSetLabel, ds, 1);
    const step = h.sync('foo');
    expect(step.creates).toHaveLength(3);
    expect(step.deletes).toEqual([nameOf(excess)]);
  });

  it('TestSurgeDeletesUnreadyOldPods', () => {
    const h = make({ manual: true });
    const ds = h.createDaemonSet('foo', { spec: { updateStrategy: surgeOne } });
    h.addNodes(0, 5);
    const { old, excess } = nodeOneWithThreePods(h, ds, { oldReady: false, newReady: false });
    h.addPods('node-2', simpleDaemonSetLabel, ds, 1);
    const step = h.sync('foo');
    expect(step.creates).toHaveLength(3);
    expect(step.deletes.sort()).toEqual([nameOf(old), nameOf(excess)].sort());
  });

  for (const [seconds, deletesOld] of [
    [10, false],
    [20, true],
  ] as const) {
    it(`TestSurge${deletesOld ? 'Deletes' : 'Preserves'}OldReadyWithUnsatisfiedMinReady (${seconds} s of 15)`, () => {
      const h = make({ manual: true });
      const ds = h.createDaemonSet('foo', {
        spec: { updateStrategy: surgeOne, minReadySeconds: 15 },
      });
      h.addNodes(0, 5);
      const { old, excess } = nodeOneWithThreePods(h, ds, { oldReady: true, newReady: true });
      h.addPods('node-2', simpleDaemonSetLabel, ds, 1);
      h.clock.advance(seconds * 1000);
      const step = h.sync('foo');
      expect(step.creates).toHaveLength(3);
      expect(step.deletes.sort()).toEqual(
        (deletesOld ? [nameOf(excess), nameOf(old)] : [nameOf(excess)]).sort(),
      );
    });
  }

  it('TestSurgeCreatesNewPodWhenAtMaxSurgeAndOldPodDeleted', () => {
    const h = make({ manual: true });
    const ds = h.createDaemonSet('foo', { spec: { updateStrategy: surgeOne } });
    h.addNodes(0, 5);
    for (let i = 1; i < 5; i++) {
      const old = h.createPod(`node-${i}-preserve-`, {
        owner: ds,
        hash: null,
        node: `node-${i}`,
        phase: 'Running',
        ready: true,
        ...(i === 4 ? { finalizers: ['example.com/hold'] } : {}),
      });
      // The last old pod is being deleted: its node needs a new pod even at max surge.
      if (i === 4) h.deletePod(nameOf(old));
    }
    h.clock.advance(49_000);
    h.createPod('node-0-old-ready-', {
      owner: ds,
      hash: null,
      node: 'node-0',
      phase: 'Running',
      ready: true,
    });
    h.clock.advance(50_000);
    h.createPod('node-0-', { owner: ds, node: 'node-0', phase: 'Running', ready: false });
    const step = h.sync('foo');
    expect(step.creates).toHaveLength(1);
    expect(step.deletes).toHaveLength(0);
    const created = h.pod(step.creates[0]!);
    expect(
      obj(
        obj(obj(obj(created.spec).affinity).nodeAffinity)
          .requiredDuringSchedulingIgnoredDuringExecution,
      ),
    ).toEqual({
      nodeSelectorTerms: [
        { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-4'] }] },
      ],
    });
  });
});

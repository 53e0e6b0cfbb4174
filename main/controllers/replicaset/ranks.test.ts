/**
 * Which pods a ReplicaSet deletes first.
 *
 * | Upstream test (1.30)                                                        | Here                                   |
 * |-----------------------------------------------------------------------------|----------------------------------------|
 * | controller_utils_test.go TestSortingActivePodsWithRanks (equality cases)     | 'equal pods: neither goes first'       |
 * | controller_utils_test.go TestSortingActivePodsWithRanks (inequality cases)   | 'the nine ranks, in order'             |
 * | replica_set_test.go TestGetPodsToDelete (every case)                         | 'getPodsToDelete: <case name>'         |
 * | core/helper/helpers_test.go TestGetDeletionCostFromPodAnnotations           | 'pod-deletion-cost parsing'            |
 * | (derived) ActivePodsWithRanks rank 5 with a Deployment's two ReplicaSets    | replica-set.test.ts 'co-location'      |
 *
 * Not reproduced: the cases with PodDeletionCost or LogarithmicScaleDown disabled (both gates
 * are on in 1.30 and Kubelab has no gates).
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/objects';
import { activePodLess, getPodsToDelete, podDeletionCost, type RankedPod } from './ranks';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const HOUR = 3600_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

/** `pod(...)` of TestSortingActivePodsWithRanks. 0 = Go's zero time. */
function pod(
  name: string,
  node: string,
  phase: string,
  ready: boolean,
  restarts: number,
  readySince: number,
  created: number,
  annotations?: Record<string, string>,
): KubeObject {
  return {
    metadata: {
      namespace: 'default',
      name,
      ...(created ? { creationTimestamp: iso(created) } : {}),
      ...(annotations ? { annotations } : {}),
    },
    spec: { nodeName: node },
    status: {
      phase,
      conditions: ready
        ? [
            {
              type: 'Ready',
              status: 'True',
              ...(readySince ? { lastTransitionTime: iso(readySince) } : {}),
            },
          ]
        : [],
      containerStatuses: [{ restartCount: restarts }],
    },
  };
}

const then1Month = Date.UTC(2025, 11, 1, 12, 0, 0);
const then2Hours = NOW - 2 * HOUR;
const then5Hours = NOW - 5 * HOUR;
const then8Hours = NOW - 8 * HOUR;

const unscheduledPod = pod('unscheduled', '', 'Pending', false, 0, 0, 0);
const scheduledPendingPod = pod('pending', 'node', 'Pending', false, 0, 0, 0);
const unknownPhasePod = pod('unknown-phase', 'node', 'Unknown', false, 0, 0, 0);
const runningNotReadyPod = pod('not-ready', 'node', 'Running', false, 0, 0, 0);
const runningReadyNoLastTransitionTimePod = pod('ready-no-ltt', 'node', 'Running', true, 0, 0, 0);
const runningReadyNow = pod('ready-now', 'node', 'Running', true, 0, NOW, NOW);
const runningReadyThen = pod('ready-then', 'node', 'Running', true, 0, then1Month, then1Month);
const runningReadyNowHighRestarts = pod(
  'ready-high-restarts',
  'node',
  'Running',
  true,
  9001,
  NOW,
  NOW,
);
const runningReadyNowCreatedThen = pod(
  'ready-now-created-then',
  'node',
  'Running',
  true,
  0,
  NOW,
  then1Month,
);
const lowPodDeletionCost = pod('low-deletion-cost', 'node', 'Running', true, 0, NOW, then1Month, {
  'controller.kubernetes.io/pod-deletion-cost': '10',
});
const highPodDeletionCost = pod('high-deletion-cost', 'node', 'Running', true, 0, NOW, then1Month, {
  'controller.kubernetes.io/pod-deletion-cost': '100',
});
const unscheduled5Hours = pod(
  'unscheduled-5-hours',
  '',
  'Pending',
  false,
  0,
  then5Hours,
  then5Hours,
);
const unscheduled8Hours = pod(
  'unscheduled-8-hours',
  '',
  'Pending',
  false,
  0,
  then8Hours,
  then8Hours,
);
const ready2Hours = pod('ready-2-hours', '', 'Running', true, 0, then2Hours, then1Month);
const ready5Hours = pod('ready-5-hours', '', 'Running', true, 0, then5Hours, then1Month);
const ready8Hours = pod('ready-8-hours', '', 'Running', true, 0, then8Hours, then1Month);

const r = (p: KubeObject, rank: number): RankedPod => ({ pod: p, rank });

describe('ActivePodsWithRanks', () => {
  it('equal pods: neither goes first', () => {
    const cases: Array<[KubeObject, KubeObject]> = [
      [unscheduledPod, unscheduledPod],
      [scheduledPendingPod, scheduledPendingPod],
      [unknownPhasePod, unknownPhasePod],
      [runningNotReadyPod, runningNotReadyPod],
      [runningReadyNowCreatedThen, runningReadyNowCreatedThen],
      [runningReadyNow, runningReadyNow],
      [runningReadyThen, runningReadyThen],
      [runningReadyNowHighRestarts, runningReadyNowHighRestarts],
      // Same log2 bucket of age, same (empty) UID.
      [unscheduled5Hours, unscheduled8Hours],
      [ready5Hours, ready8Hours],
    ];
    for (const [a, b] of cases) {
      expect(activePodLess(r(a, 1), r(b, 1), NOW), `${a.metadata.name} < ${b.metadata.name}`).toBe(
        false,
      );
      expect(activePodLess(r(b, 1), r(a, 1), NOW), `${b.metadata.name} < ${a.metadata.name}`).toBe(
        false,
      );
    }
  });

  it('the nine ranks, in order', () => {
    const cases: Array<[RankedPod, RankedPod]> = [
      [r(unscheduledPod, 1), r(scheduledPendingPod, 2)],
      [r(unscheduledPod, 2), r(scheduledPendingPod, 1)],
      [r(scheduledPendingPod, 1), r(unknownPhasePod, 2)],
      [r(unknownPhasePod, 1), r(runningNotReadyPod, 2)],
      [r(runningNotReadyPod, 1), r(runningReadyNoLastTransitionTimePod, 1)],
      [r(runningReadyNoLastTransitionTimePod, 1), r(runningReadyNow, 1)],
      [r(runningReadyNow, 2), r(runningReadyNoLastTransitionTimePod, 1)],
      [r(runningReadyNow, 1), r(runningReadyThen, 1)],
      [r(runningReadyNow, 2), r(runningReadyThen, 1)],
      [r(runningReadyNowHighRestarts, 1), r(runningReadyNow, 1)],
      [r(runningReadyNow, 2), r(runningReadyNowHighRestarts, 1)],
      [r(runningReadyNow, 1), r(runningReadyNowCreatedThen, 1)],
      [r(runningReadyNowCreatedThen, 2), r(runningReadyNow, 1)],
      // Deletion cost beats co-location.
      [r(lowPodDeletionCost, 2), r(highPodDeletionCost, 1)],
      // 2 h and 5 h ready are in different log2 buckets.
      [r(ready2Hours, 1), r(ready5Hours, 1)],
    ];
    for (const [lesser, greater] of cases) {
      const names = `${lesser.pod.metadata.name}/${lesser.rank} < ${greater.pod.metadata.name}/${greater.rank}`;
      expect(activePodLess(lesser, greater, NOW), names).toBe(true);
      expect(activePodLess(greater, lesser, NOW), `not ${names}`).toBe(false);
    }
  });

  it('a bucket tie is broken by UID', () => {
    const a = { ...ready5Hours, metadata: { ...ready5Hours.metadata, uid: 'aaa' } };
    const b = { ...ready8Hours, metadata: { ...ready8Hours.metadata, uid: 'bbb' } };
    expect(activePodLess(r(a, 1), r(b, 1), NOW)).toBe(true);
    expect(activePodLess(r(b, 1), r(a, 1), NOW)).toBe(false);
  });

  it('pod-deletion-cost parsing', () => {
    const withCost = (value: string): KubeObject => ({
      metadata: { annotations: { 'controller.kubernetes.io/pod-deletion-cost': value } },
    });
    expect(podDeletionCost({ metadata: {} })).toBe(0);
    expect(podDeletionCost(withCost('10'))).toBe(10);
    expect(podDeletionCost(withCost('-10'))).toBe(-10);
    expect(podDeletionCost(withCost('0'))).toBe(0);
    // Invalid values count as 0: a plus sign, leading zeros, not a number, beyond int32.
    expect(podDeletionCost(withCost('+10'))).toBe(0);
    expect(podDeletionCost(withCost('008'))).toBe(0);
    expect(podDeletionCost(withCost('ten'))).toBe(0);
    expect(podDeletionCost(withCost('3147483647'))).toBe(0);
    expect(podDeletionCost(withCost(''))).toBe(0);
  });
});

describe('getPodsToDelete', () => {
  const ready = (name: string, node: string): KubeObject => ({
    metadata: { namespace: 'default', name, uid: name },
    spec: { nodeName: node },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  });
  const unscheduledPendingPod: KubeObject = {
    metadata: { namespace: 'default', name: 'unscheduled-pending-pod', uid: 'u1' },
    spec: {},
    status: { phase: 'Pending' },
  };
  const scheduledPendingPod: KubeObject = {
    metadata: { namespace: 'default', name: 'scheduled-pending-pod', uid: 'u2' },
    spec: { nodeName: 'fake-node' },
    status: { phase: 'Pending' },
  };
  const scheduledRunningNotReadyPod: KubeObject = {
    metadata: { namespace: 'default', name: 'scheduled-running-not-ready-pod', uid: 'u3' },
    spec: { nodeName: 'fake-node' },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] },
  };
  const onNode1 = ready('scheduled-running-ready-pod-on-node-1', 'fake-node-1');
  const onNode2 = ready('scheduled-running-ready-pod-on-node-2', 'fake-node-2');

  const cases: Array<{
    name: string;
    pods: KubeObject[];
    related?: KubeObject[];
    diff: number;
    expected: KubeObject[];
  }> = [
    { name: 'len(pods) = 0 (i.e., diff = 0 too)', pods: [], diff: 0, expected: [] },
    {
      name: 'diff = len(pods)',
      pods: [scheduledRunningNotReadyPod, onNode1],
      diff: 2,
      expected: [scheduledRunningNotReadyPod, onNode1],
    },
    {
      name: 'diff < len(pods)',
      pods: [onNode1, scheduledRunningNotReadyPod],
      diff: 1,
      expected: [scheduledRunningNotReadyPod],
    },
    {
      name: 'various pod phases and conditions, diff = len(pods)',
      pods: [
        onNode1,
        onNode1,
        onNode2,
        scheduledRunningNotReadyPod,
        scheduledPendingPod,
        unscheduledPendingPod,
      ],
      diff: 6,
      expected: [
        onNode1,
        onNode1,
        onNode2,
        scheduledRunningNotReadyPod,
        scheduledPendingPod,
        unscheduledPendingPod,
      ],
    },
    {
      name: 'various pod phases and conditions, diff = len(pods), relatedPods empty',
      pods: [
        onNode1,
        onNode1,
        onNode2,
        scheduledRunningNotReadyPod,
        scheduledPendingPod,
        unscheduledPendingPod,
      ],
      related: [],
      diff: 6,
      expected: [
        onNode1,
        onNode1,
        onNode2,
        scheduledRunningNotReadyPod,
        scheduledPendingPod,
        unscheduledPendingPod,
      ],
    },
    {
      name: 'scheduled vs unscheduled, diff < len(pods)',
      pods: [scheduledPendingPod, unscheduledPendingPod],
      diff: 1,
      expected: [unscheduledPendingPod],
    },
    {
      name: 'ready vs not-ready, diff < len(pods)',
      pods: [onNode1, scheduledRunningNotReadyPod, scheduledRunningNotReadyPod],
      diff: 2,
      expected: [scheduledRunningNotReadyPod, scheduledRunningNotReadyPod],
    },
    {
      name: 'ready and colocated with another ready pod vs not colocated, diff < len(pods)',
      pods: [onNode1, onNode2],
      related: [onNode1, onNode2, onNode2],
      diff: 1,
      expected: [onNode2],
    },
    {
      name: 'pending vs running, diff < len(pods)',
      pods: [scheduledPendingPod, scheduledRunningNotReadyPod],
      diff: 1,
      expected: [scheduledPendingPod],
    },
    {
      name: 'various pod phases and conditions, diff < len(pods)',
      pods: [
        onNode1,
        onNode2,
        scheduledRunningNotReadyPod,
        scheduledPendingPod,
        unscheduledPendingPod,
      ],
      diff: 3,
      expected: [unscheduledPendingPod, scheduledPendingPod, scheduledRunningNotReadyPod],
    },
  ];
  for (const c of cases) {
    it(`getPodsToDelete: ${c.name}`, () => {
      const names = (list: KubeObject[]): string[] => list.map((p) => p.metadata.name!);
      expect(names(getPodsToDelete(c.pods, c.related ?? c.pods, c.diff, NOW))).toEqual(
        names(c.expected),
      );
    });
  }
});

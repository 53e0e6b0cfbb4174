import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../base/random';
import type { KubeObject } from '../../kube/objects';
import { fitErrorMessage, newDiagnosis, numFeasibleNodesToFind, selectHost } from './algorithm';
import { SchedulerCache } from './cache';
import { Cycle, type Listers } from './plugins';
import { newPodInfo, podRequests } from './pod-info';
import { quantityMilliValue, quantityValue } from './quantity';
import { TestCluster } from './test-cluster';

const noListers: Listers = {
  services: () => [],
  controller: () => undefined,
  namespaces: () => [],
};

function pod(spec: Record<string, unknown>, name = 'p'): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec };
}

function node(name: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' } },
  };
}

describe('quantities', () => {
  it('reads values and milli-values as resource.Quantity does (rounding up)', () => {
    expect(quantityMilliValue('100m')).toBe(100);
    expect(quantityMilliValue('0.1')).toBe(100);
    expect(quantityMilliValue('2')).toBe(2000);
    expect(quantityMilliValue('0.5m')).toBe(1);
    expect(quantityValue('1.5Gi')).toBe(1610612736);
    expect(quantityValue('16336052Ki')).toBe(16336052 * 1024);
    expect(quantityValue('1e3')).toBe(1000);
    expect(quantityValue('128M')).toBe(128_000_000);
    expect(quantityValue('0.5')).toBe(1);
    expect(quantityValue('nonsense')).toBe(0);
  });
});

describe('pod requests (resourcehelper.PodRequests)', () => {
  it('takes the largest init container, counting sidecars started before it', () => {
    const cpu = (c: string): Record<string, unknown> => ({ resources: { requests: { cpu: c } } });
    const spec = {
      containers: [{ name: 'app', ...cpu('100m') }],
      initContainers: [
        { name: 'a', ...cpu('500m') },
        { name: 'sidecar', restartPolicy: 'Always', ...cpu('200m') },
        { name: 'b', ...cpu('400m') },
      ],
    };
    // containers 100m + sidecar 200m = 300m; init b runs beside the sidecar: 600m.
    expect(podRequests(spec).get('cpu')).toBe(600);
    // Scoring counts a container without requests as 100m / 200Mi.
    const info = newPodInfo(pod({ containers: [{ name: 'a' }, { name: 'b', ...cpu('1') }] }));
    expect(info.requests.milliCpu).toBe(1000);
    expect(info.nonZeroMilliCpu).toBe(1100);
    expect(info.nonZeroMemory).toBe(2 * 200 * 1024 * 1024);
  });
});

describe('FitError.Error', () => {
  it('sorts the "<count> <reason>" strings as strings', () => {
    const diagnosis = newDiagnosis();
    for (let i = 0; i < 2; i++) {
      diagnosis.nodeToStatus.set(`cordoned-${i}`, {
        code: 'UnschedulableAndUnresolvable',
        reasons: ['node(s) were unschedulable'],
        plugin: 'NodeUnschedulable',
      });
    }
    for (let i = 0; i < 10; i++) {
      diagnosis.nodeToStatus.set(`cpu-${i}`, {
        code: 'Unschedulable',
        reasons: ['Insufficient cpu'],
        plugin: 'NodeResourcesFit',
      });
    }
    diagnosis.postFilterMsg = 'preemption: …';
    expect(fitErrorMessage(12, diagnosis)).toBe(
      '0/12 nodes are available: 10 Insufficient cpu, 2 node(s) were unschedulable. preemption: …',
    );
  });

  it('shows only the PreFilter message when a PreFilter rejected the pod', () => {
    const diagnosis = newDiagnosis();
    diagnosis.preFilterMsg = 'pod affinity terms conflict';
    diagnosis.nodeToStatus.set('a', {
      code: 'UnschedulableAndUnresolvable',
      reasons: ['pod affinity terms conflict'],
      plugin: 'NodeAffinity',
    });
    expect(fitErrorMessage(1, diagnosis)).toBe(
      '0/1 nodes are available: pod affinity terms conflict.',
    );
  });
});

describe('selectHost', () => {
  it('always takes a unique top score', () => {
    const random = seededRandom(1);
    for (let i = 0; i < 50; i++) {
      expect(
        selectHost(
          [
            { name: 'a', total: 300 },
            { name: 'b', total: 301 },
            { name: 'c', total: 299 },
          ],
          3,
          random,
        ),
      ).toBe('b');
    }
  });

  it('samples evenly among equal top scores', () => {
    const random = seededRandom(7);
    const counts = new Map<string, number>();
    const scores = ['a', 'b', 'c', 'd'].map((name) => ({ name, total: 500 }));
    scores.push({ name: 'low', total: 10 });
    for (let i = 0; i < 4000; i++) {
      const host = selectHost(scores, 3, random);
      counts.set(host, (counts.get(host) ?? 0) + 1);
    }
    expect(counts.get('low')).toBeUndefined();
    for (const name of ['a', 'b', 'c', 'd']) {
      expect(counts.get(name)).toBeGreaterThan(850);
      expect(counts.get(name)).toBeLessThan(1150);
    }
  });
});

describe('numFeasibleNodesToFind', () => {
  it('scores every node of a small cluster and an adaptive share of a large one', () => {
    expect(numFeasibleNodesToFind(3)).toBe(3);
    expect(numFeasibleNodesToFind(99)).toBe(99);
    expect(numFeasibleNodesToFind(100)).toBe(100);
    expect(numFeasibleNodesToFind(1000)).toBe(420);
    expect(numFeasibleNodesToFind(5000)).toBe(500);
    expect(numFeasibleNodesToFind(20000)).toBe(1000);
  });
});

describe('filters one by one (Cycle.filter)', () => {
  const cache = new SchedulerCache();
  const a = cache.addNode(node('a'));
  cache.addNode(node('b'));

  it('NodeName rejects other nodes', () => {
    const cycle = new Cycle(newPodInfo(pod({ nodeName: 'b' })), cache, noListers);
    cycle.preFilter();
    expect(cycle.filter(a)).toEqual({
      code: 'UnschedulableAndUnresolvable',
      reasons: ["node(s) didn't match the requested node name"],
      plugin: 'NodeName',
    });
    expect(cycle.filter(cache.get('b')!)).toBeUndefined();
  });

  it('NodeAffinity PreFilter narrows to matchFields node names, or finds the terms conflicting', () => {
    const pinned = (values: string[][]): KubeObject =>
      pod({
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                {
                  matchFields: values.map((v) => ({
                    key: 'metadata.name',
                    operator: 'In',
                    values: v,
                  })),
                },
              ],
            },
          },
        },
      });
    expect(new Cycle(newPodInfo(pinned([['a']])), cache, noListers).preFilter()).toEqual({
      nodeNames: new Set(['a']),
    });
    expect(new Cycle(newPodInfo(pinned([['a'], ['b']])), cache, noListers).preFilter()).toEqual({
      status: {
        code: 'UnschedulableAndUnresolvable',
        reasons: ['pod affinity terms conflict'],
        plugin: 'NodeAffinity',
      },
    });
  });

  it('NodeResourcesFit keeps every failing reason', () => {
    const big = newPodInfo(
      pod({
        containers: [
          {
            name: 'c',
            resources: { requests: { cpu: '5', memory: '9Gi', 'example.com/gpu': '1' } },
          },
        ],
      }),
    );
    const cycle = new Cycle(big, cache, noListers);
    cycle.preFilter();
    expect(cycle.filter(a)?.reasons).toEqual([
      'Insufficient cpu',
      'Insufficient memory',
      'Insufficient example.com/gpu',
    ]);
  });
});

describe('ImageLocality', () => {
  it('prefers the node that already has the image', async () => {
    for (let seed = 1; seed <= 8; seed++) {
      const c = new TestCluster(seed);
      c.node('cold');
      c.node('warm', {
        images: [{ names: ['docker.io/library/redis:7'], sizeBytes: 500 * 1024 * 1024 }],
      });
      c.node('cold2');
      c.pod('cache', {}, {}, { image: 'docker.io/library/redis:7' });
      await c.settle();
      expect(c.nodeOf('cache')).toBe('warm');
    }
  });
});

/**
 * The DaemonSet controller's pure rules: util/daemonset_util.go (CreatePodTemplate, IsPodUpdated,
 * SurgeCount, UnavailableCount, AllowsSurge, GetTemplateGeneration), intstr's
 * GetScaledValueFromIntOrPercent, podByCreationTimestampAndPhase, ControllerExpectations,
 * shouldIgnoreNodeUpdate, getUnscheduledPodsWithoutNode and the status computation of §2.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../base/clock';
import type { KubeObject } from '../../kube/objects';
import {
  computeDaemonSetCounts,
  daemonSetStatus,
  getUnscheduledPodsWithoutNode,
  shouldIgnoreNodeUpdate,
} from './daemonset-controller';
import { ControllerExpectations, EXPECTATIONS_TIMEOUT_MS } from './expectations';
import {
  allowsSurge,
  compareDaemonPods,
  createPodTemplate,
  isPodUpdated,
  scaledValueFromIntOrPercent,
  surgeCount,
  templateGeneration,
  unavailableCount,
} from './util';

const ds = (
  updateStrategy: Record<string, unknown>,
  annotations?: Record<string, string>,
): KubeObject => ({
  metadata: { name: 'ds', namespace: 'default', ...(annotations ? { annotations } : {}) },
  spec: {
    updateStrategy,
    template: {
      metadata: { labels: { app: 'x' } },
      spec: { containers: [{ name: 'c', image: 'i' }] },
    },
  },
});

const pod = (
  name: string,
  options: {
    node?: string;
    created?: string;
    labels?: Record<string, string>;
    ready?: boolean;
  } = {},
): KubeObject => ({
  metadata: {
    name,
    creationTimestamp: options.created ?? '2026-01-01T00:00:00Z',
    labels: options.labels ?? {},
  },
  spec: options.node ? { nodeName: options.node } : {},
  status: options.ready
    ? {
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }],
      }
    : {},
});

describe('intstr and rollout budgets', () => {
  it('GetScaledValueFromIntOrPercent', () => {
    expect(scaledValueFromIntOrPercent(2, 5, true)).toBe(2);
    expect(scaledValueFromIntOrPercent('50%', 3, true)).toBe(2);
    expect(scaledValueFromIntOrPercent('50%', 3, false)).toBe(1);
    expect(scaledValueFromIntOrPercent('0%', 3, true)).toBe(0);
    expect(() => scaledValueFromIntOrPercent('2', 3, true)).toThrow(/not a percentage/);
    expect(() => scaledValueFromIntOrPercent('x%', 3, true)).toThrow(/invalid value "x%"/);
    expect(() => scaledValueFromIntOrPercent(undefined, 3, true)).toThrow(
      'nil value for IntOrString',
    );
  });

  it('SurgeCount, UnavailableCount, AllowsSurge', () => {
    const onDelete = ds({ type: 'OnDelete', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } });
    expect(surgeCount(onDelete, 5)).toBe(0);
    expect(unavailableCount(onDelete, 5)).toBe(0);
    expect(allowsSurge(onDelete)).toBe(false);
    const surge = ds({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: '10%', maxUnavailable: 0 },
    });
    expect(surgeCount(surge, 5)).toBe(1);
    expect(allowsSurge(surge)).toBe(true);
    const noSurge = ds({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 0, maxUnavailable: '30%' },
    });
    expect(allowsSurge(noSurge)).toBe(false);
    expect(unavailableCount(noSurge, 5)).toBe(2);
    expect(allowsSurge(ds({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 'bad' } }))).toBe(
      false,
    );
  });
});

describe('templates and updated pods', () => {
  it('GetTemplateGeneration', () => {
    expect(templateGeneration(ds({}, { 'deprecated.daemonset.template.generation': '3' }))).toBe(3);
    expect(
      templateGeneration(ds({}, { 'deprecated.daemonset.template.generation': 'x' })),
    ).toBeUndefined();
    expect(templateGeneration(ds({}))).toBeUndefined();
  });

  it('CreatePodTemplate adds the generation and hash labels and the daemon tolerations', () => {
    const template = (ds({}).spec as Record<string, unknown>).template;
    const made = createPodTemplate(template, 4, 'abc');
    expect((made.metadata as Record<string, unknown>).labels).toEqual({
      app: 'x',
      'pod-template-generation': '4',
      'controller-revision-hash': 'abc',
    });
    expect((made.spec as Record<string, unknown>).tolerations).toHaveLength(6);
    const bare = createPodTemplate(template, undefined, '');
    expect((bare.metadata as Record<string, unknown>).labels).toEqual({ app: 'x' });
    // The DaemonSet's own template is not touched.
    expect((template as { spec: Record<string, unknown> }).spec.tolerations).toBeUndefined();
  });

  it('IsPodUpdated: the hash, or the legacy template generation', () => {
    expect(
      isPodUpdated(pod('a', { labels: { 'controller-revision-hash': 'h1' } }), 'h1', undefined),
    ).toBe(true);
    expect(
      isPodUpdated(pod('a', { labels: { 'controller-revision-hash': 'h0' } }), 'h1', undefined),
    ).toBe(false);
    expect(isPodUpdated(pod('a', { labels: { 'pod-template-generation': '2' } }), 'h1', 2)).toBe(
      true,
    );
    expect(isPodUpdated(pod('a', { labels: { 'pod-template-generation': '1' } }), 'h1', 2)).toBe(
      false,
    );
    expect(isPodUpdated(pod('a'), '', undefined)).toBe(false);
  });

  it('podByCreationTimestampAndPhase: bound first, then oldest, then name', () => {
    const pods = [
      pod('unbound-old', { created: '2026-01-01T00:00:00Z' }),
      pod('b', { node: 'n', created: '2026-01-01T00:00:10Z' }),
      pod('a', { node: 'n', created: '2026-01-01T00:00:10Z' }),
      pod('oldest-bound', { node: 'n', created: '2026-01-01T00:00:05Z' }),
    ];
    expect([...pods].sort(compareDaemonPods).map((p) => p.metadata.name)).toEqual([
      'oldest-bound',
      'a',
      'b',
      'unbound-old',
    ]);
  });
});

describe('ControllerExpectations', () => {
  it('is satisfied when observed, lowered, or expired after five minutes', () => {
    const clock = new FakeClock();
    const expectations = new ControllerExpectations(clock);
    expect(expectations.satisfied('k')).toBe(true);
    expectations.set('k', 2, 1);
    expect(expectations.satisfied('k')).toBe(false);
    expectations.creationObserved('k');
    expectations.deletionObserved('k');
    expect(expectations.satisfied('k')).toBe(false);
    expectations.lower('k', 1, 0);
    expect(expectations.satisfied('k')).toBe(true);
    expectations.set('k', 1, 0);
    clock.advance(EXPECTATIONS_TIMEOUT_MS);
    expect(expectations.satisfied('k')).toBe(false);
    clock.advance(1);
    expect(expectations.satisfied('k')).toBe(true);
    expectations.delete('k');
    expect(expectations.get('k')).toBeUndefined();
  });
});

describe('status', () => {
  const node = (name: string, taints?: unknown[]): KubeObject => ({
    metadata: { name },
    spec: taints ? { taints } : {},
  });

  it('counts as §2: the oldest pod per node decides ready, available and updated', () => {
    const daemonSet = ds({ type: 'RollingUpdate' });
    const nodes = [
      node('a'),
      node('b'),
      node('c'),
      node('tainted', [{ key: 'k', effect: 'NoSchedule' }]),
    ];
    const current = { 'controller-revision-hash': 'new' };
    const map = new Map<string, KubeObject[]>([
      // Surging: the old pod is the oldest, so this node is not "updated" yet.
      [
        'a',
        [
          pod('new-a', {
            node: 'a',
            labels: current,
            created: '2026-01-01T00:01:00Z',
            ready: true,
          }),
          pod('old-a', { node: 'a', ready: true }),
        ],
      ],
      ['b', [pod('new-b', { node: 'b', labels: current })]],
      ['tainted', [pod('old-t', { node: 'tainted', ready: true })]],
      ['gone', [pod('old-g', { node: 'gone', ready: true })]],
    ]);
    const counts = computeDaemonSetCounts(daemonSet, nodes, map, 'new', Date.UTC(2026, 0, 1, 1));
    expect(counts).toEqual({
      desiredNumberScheduled: 3,
      currentNumberScheduled: 2,
      numberMisscheduled: 1,
      numberReady: 1,
      updatedNumberScheduled: 1,
      numberAvailable: 1,
      numberUnavailable: 2,
    });
  });

  it('omitempty shape: the four optional counters and observedGeneration only when non-zero', () => {
    const zero = {
      desiredNumberScheduled: 0,
      currentNumberScheduled: 0,
      numberMisscheduled: 0,
      numberReady: 0,
      updatedNumberScheduled: 0,
      numberAvailable: 0,
      numberUnavailable: 0,
    };
    expect(daemonSetStatus({}, zero, 0)).toEqual({
      currentNumberScheduled: 0,
      numberMisscheduled: 0,
      desiredNumberScheduled: 0,
      numberReady: 0,
    });
    const conditions = [{ type: 'Custom', status: 'True' }];
    expect(
      daemonSetStatus({ collisionCount: 1, conditions }, { ...zero, numberUnavailable: 2 }, 3),
    ).toEqual({
      currentNumberScheduled: 0,
      numberMisscheduled: 0,
      desiredNumberScheduled: 0,
      numberReady: 0,
      observedGeneration: 3,
      numberUnavailable: 2,
      collisionCount: 1,
      conditions,
    });
  });
});

describe('node and pod helpers', () => {
  const base: KubeObject = {
    metadata: { name: 'n', resourceVersion: '1', labels: { a: 'b' } },
    spec: {},
    status: {
      conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: '2026-01-01T00:00:00Z' }],
      allocatable: { pods: '110' },
    },
  };
  const variant = (change: (node: KubeObject) => void): KubeObject => {
    const copy = structuredClone(base);
    copy.metadata.resourceVersion = '2';
    change(copy);
    return copy;
  };

  it('shouldIgnoreNodeUpdate: heartbeats only are ignored; anything else is looked at', () => {
    expect(
      shouldIgnoreNodeUpdate(
        base,
        variant((n) => {
          (n.status as Record<string, unknown>).conditions = [
            { type: 'Ready', status: 'True', lastHeartbeatTime: '2026-01-01T00:05:00Z' },
          ];
        }),
      ),
    ).toBe(true);
    expect(
      shouldIgnoreNodeUpdate(
        base,
        variant((n) => (n.metadata.labels = { a: 'c' })),
      ),
    ).toBe(false);
    expect(
      shouldIgnoreNodeUpdate(
        base,
        variant((n) => {
          (n.status as Record<string, unknown>).conditions = [
            { type: 'Ready', status: 'True' },
            { type: 'DiskPressure', status: 'True' },
          ];
        }),
      ),
    ).toBe(false);
    expect(
      shouldIgnoreNodeUpdate(
        base,
        variant((n) => ((n.status as Record<string, unknown>).allocatable = { pods: '10' })),
      ),
    ).toBe(false);
  });

  it('getUnscheduledPodsWithoutNode: only unbound pods pinned to missing nodes', () => {
    const map = new Map<string, KubeObject[]>([
      ['here', [pod('p1')]],
      ['gone', [pod('unbound'), pod('bound', { node: 'gone' })]],
    ]);
    expect(getUnscheduledPodsWithoutNode([{ metadata: { name: 'here' } }], map)).toEqual([
      'unbound',
    ]);
  });
});

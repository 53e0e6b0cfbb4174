import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/objects';
import { settled } from './convergence';
import { snapshotOf } from './snapshot';
import { LabCheck } from './spec';
import {
  NOT_READY_TAINTS,
  NOW,
  ROLES,
  cluster,
  daemonPod,
  daemonSet,
  deployment,
  node,
  pod,
  replicaSet,
} from './test-fixtures';

const placement = LabCheck.parse({
  id: 'p',
  title: 'p',
  type: 'daemonSetPlacement',
  namespace: 'lab',
  name: 'agent',
});
const ready = LabCheck.parse({
  id: 'd',
  title: 'd',
  type: 'deploymentReady',
  namespace: 'lab',
  name: 'web',
});

const check = (objects: KubeObject[], checks: LabCheck[] = [placement]) =>
  settled(snapshotOf(NOW, objects), checks, { roles: ROLES });

function daemonCluster(): { ds: KubeObject; objects: KubeObject[] } {
  const ds = daemonSet('agent', {
    status: { desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberReady: 3 },
  });
  const pods = ['lab-worker', 'lab-worker2', 'lab-worker3'].map((n) => daemonPod(ds, n));
  return { ds, objects: [...cluster(), ds, ...pods] };
}

const waitingPod = (ds: KubeObject, nodeName: string, reason: string) =>
  daemonPod(ds, nodeName, {
    ready: false,
    status: {
      phase: 'Pending',
      conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: [{ name: 'app', state: { waiting: { reason } } }],
    },
  });

describe('settled', () => {
  it('a rolled-out DaemonSet is settled', () => {
    expect(check(daemonCluster().objects)).toEqual({ settled: true, waitingOn: [] });
  });

  it('waits for the controller to observe a new generation and for a rollout', () => {
    const { ds, objects } = daemonCluster();
    ds.metadata.generation = 2;
    ds.status = { observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 1 };
    expect(check(objects)).toEqual({
      settled: false,
      waitingOn: [
        'daemonset.apps/agent: waiting for its controller to observe generation 2 (it has seen 1)',
        'daemonset.apps/agent: rollout in progress (1 of 3 pods updated)',
      ],
    });
  });

  it('waits for a missing pod on a Ready must-run node, and for pods still starting', () => {
    const { ds, objects } = daemonCluster();
    const withoutLast = objects.filter((o) => o.metadata.name !== 'agent-lab-worker3');
    expect(check(withoutLast).waitingOn).toEqual([
      'daemonset.apps/agent: no pod on lab-worker3 yet',
    ]);
    const starting = [...withoutLast, waitingPod(ds, 'lab-worker3', 'ContainerCreating')];
    expect(check(starting).waitingOn).toEqual([
      'pod/agent-lab-worker3: ContainerCreating on lab-worker3',
    ]);
    const unbound = [
      ...withoutLast,
      daemonPod(ds, 'lab-worker3', { bound: false, ready: false, status: { phase: 'Pending' } }),
    ];
    expect(check(unbound).waitingOn).toEqual(['pod/agent-lab-worker3: Pending, not scheduled yet']);
  });

  it('does not wait on what waiting will not fix: image pull errors, Unschedulable, NotReady nodes', () => {
    const { ds, objects } = daemonCluster();
    ds.status = { observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 2 };
    const broken = objects
      .filter((o) => o.metadata.name !== 'agent-lab-worker3')
      .concat(waitingPod(ds, 'lab-worker3', 'ImagePullBackOff'));
    expect(check(broken)).toEqual({ settled: true, waitingOn: [] });

    const unschedulable = pod({
      name: 'web-x',
      labels: { app: 'web' },
      ready: false,
      status: {
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }],
      },
    });
    expect(check([...daemonCluster().objects, unschedulable])).toEqual({
      settled: true,
      waitingOn: [],
    });

    const fresh = daemonCluster();
    const nodes = fresh.objects.map((o) =>
      o.metadata.name === 'lab-worker2'
        ? node('lab-worker2', { ready: false, taints: NOT_READY_TAINTS })
        : o,
    );
    const stale = nodes.map((o) =>
      o.metadata.name === 'agent-lab-worker2'
        ? daemonPod(fresh.ds, 'lab-worker2', { ready: false, phase: 'Running', terminating: true })
        : o,
    );
    expect(check(stale)).toEqual({ settled: true, waitingOn: [] });
  });

  it('a pod on a NotReady node does not hold up waiting for a rollout on the others', () => {
    const { ds, objects } = daemonCluster();
    ds.status = { observedGeneration: 1, desiredNumberScheduled: 2, updatedNumberScheduled: 1 };
    const down = objects.map((o) =>
      o.metadata.name === 'lab-worker2'
        ? node('lab-worker2', { ready: false, taints: NOT_READY_TAINTS })
        : o,
    );
    expect(check(down).waitingOn).toEqual([
      'daemonset.apps/agent: rollout in progress (1 of 2 pods updated)',
    ]);
  });

  it('waits for pods terminating on Ready nodes, and for pods to leave must-not-run nodes', () => {
    const { ds, objects } = daemonCluster();
    const extra = daemonPod(ds, 'lab-worker', { name: 'agent-old', terminating: true });
    expect(check([...objects, extra]).waitingOn).toEqual([
      'pod/agent-old: Terminating on lab-worker',
    ]);
    const tainted = objects.map((o) =>
      o.metadata.name === 'lab-worker'
        ? node('lab-worker', { taints: [{ key: 'gone', effect: 'NoExecute' }] })
        : o,
    );
    expect(check(tainted).waitingOn).toEqual([
      'daemonset.apps/agent: its pod on lab-worker is still to be removed',
    ]);
  });

  it('waits for a Running pod to turn Ready for a while, then stops waiting', () => {
    const { ds, objects } = daemonCluster();
    const startedAt = (ms: number) =>
      daemonPod(ds, 'lab-worker3', {
        ready: false,
        status: {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'False' }],
          containerStatuses: [
            { name: 'app', state: { running: { startedAt: new Date(NOW - ms).toISOString() } } },
          ],
        },
      });
    const others = objects.filter((o) => o.metadata.name !== 'agent-lab-worker3');
    expect(check([...others, startedAt(5_000)]).waitingOn).toEqual([
      'pod/agent-lab-worker3: Running on lab-worker3, not Ready yet',
    ]);
    expect(check([...others, startedAt(300_000)]).settled).toBe(true);
  });

  it('waits for an orphan to be adopted', () => {
    const { objects } = daemonCluster();
    const orphan = pod({ name: 'stray', labels: { app: 'agent' }, nodeName: 'lab-worker' });
    expect(check([...objects, orphan]).waitingOn).toEqual([
      "pod/stray: matches daemonset.apps/agent's selector and has no owner yet",
    ]);
  });

  describe('Deployments', () => {
    function rollingOut(status: Record<string, unknown>, spec: Record<string, unknown> = {}) {
      const web = deployment('web', { status, spec });
      const rs = replicaSet(web, '6d8f5c4b97', 2);
      const pods = [0, 1, 2].map((i) =>
        pod({ name: `web-${i}`, labels: { app: 'web' }, owner: rs, nodeName: 'lab-worker' }),
      );
      return [...cluster(), web, rs, ...pods];
    }

    it('waits while the rollout is in progress', () => {
      expect(
        check(rollingOut({ replicas: 4, updatedReplicas: 1, availableReplicas: 3 }), [ready]),
      ).toEqual({
        settled: false,
        waitingOn: [
          'deployment.apps/web: rollout in progress (1 of 3 updated, 3 available, 3 old)',
        ],
      });
      expect(check(rollingOut({}), [ready])).toEqual({ settled: true, waitingOn: [] });
    });

    it('not when a pod is on a NotReady node (evicted only after 300 s of cluster time)', () => {
      const objects = rollingOut({ replicas: 3, updatedReplicas: 3, availableReplicas: 2 }).map(
        (o) =>
          o.metadata.name === 'lab-worker'
            ? node('lab-worker', { ready: false, taints: NOT_READY_TAINTS })
            : o,
      );
      expect(check(objects, [ready])).toEqual({ settled: true, waitingOn: [] });
    });

    it('not when paused or past its progress deadline', () => {
      const moving = { replicas: 4, updatedReplicas: 1, availableReplicas: 3 };
      expect(check(rollingOut(moving, { paused: true }), [ready]).settled).toBe(true);
      const deadline = {
        ...moving,
        conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
      };
      expect(check(rollingOut(deadline), [ready]).settled).toBe(true);
    });
  });

  it('waits for objects a resourceAbsent check wants gone while they are being deleted', () => {
    const gone = LabCheck.parse({
      id: 'g',
      title: 'g',
      type: 'resourceAbsent',
      query: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'lab' },
    });
    const web = deployment('web');
    (web.metadata as { deletionTimestamp?: string }).deletionTimestamp = '2025-01-01T11:59:00Z';
    expect(check([web], [gone]).waitingOn).toEqual(['deployment.apps/web: being deleted']);
  });

  it('resolves roles and ignores checks it cannot resolve', () => {
    const anyOf = LabCheck.parse({
      id: 'a',
      title: 'a',
      type: 'anyOf',
      checks: [
        { id: 'x', title: 'x', type: 'nodeState', node: '{{nowhere}}', ready: true },
        placement,
      ],
    });
    const { ds, objects } = daemonCluster();
    ds.metadata.generation = 3;
    expect(check(objects, [anyOf]).waitingOn).toEqual([
      'daemonset.apps/agent: waiting for its controller to observe generation 3 (it has seen 1)',
    ]);
  });
});

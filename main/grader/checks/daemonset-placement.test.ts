import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/objects';
import { grade } from '../grade';
import type { CheckResult, NodeFinding } from '../report';
import { snapshotOf } from '../snapshot';
import type { LabCheck } from '../spec';
import {
  CONTROL_PLANE_TAINT,
  NOT_READY_TAINTS,
  NOW,
  ROLES,
  UNSCHEDULABLE_TAINT,
  cluster,
  daemonPod,
  daemonSet,
  deployment,
  node,
  pod,
  replicaSet,
} from '../test-fixtures';

const check = (extra: Partial<Extract<LabCheck, { type: 'daemonSetPlacement' }>> = {}) =>
  ({
    id: 'agent-placement',
    title: 'agent runs on every node it should',
    type: 'daemonSetPlacement',
    weight: 1,
    namespace: 'lab',
    name: 'agent',
    allowMayKeep: true,
    ...extra,
  }) as LabCheck;

function run(objects: KubeObject[], extra: Parameters<typeof check>[0] = {}): CheckResult {
  const report = grade([check(extra)], snapshotOf(NOW, objects), { roles: ROLES, recorded: {} });
  return report.checks[0]!;
}

const findingOf = (result: CheckResult, name: string): NodeFinding | undefined =>
  result.nodes?.find((n) => n.node === name);

const CONTROL_PLANE_REASON = 'taint node-role.kubernetes.io/control-plane:NoSchedule not tolerated';
const readyPod = (name: string, owner: string) => ({
  name,
  ready: true,
  phase: 'Running',
  owner,
});

describe('daemonSetPlacement', () => {
  it('passes a plain DaemonSet on every worker; the tainted control plane only may keep a pod', () => {
    const ds = daemonSet('agent');
    const objects = [
      ...cluster(),
      ds,
      daemonPod(ds, 'lab-worker'),
      daemonPod(ds, 'lab-worker2'),
      daemonPod(ds, 'lab-worker3'),
    ];
    const report = grade([check()], snapshotOf(NOW, objects), {
      roles: ROLES,
      recorded: {},
      lab: 'ds-basics',
    });
    expect(report).toEqual({
      schemaVersion: 1,
      lab: 'ds-basics',
      passed: true,
      score: 1,
      maxScore: 1,
      checks: [
        {
          id: 'agent-placement',
          title: 'agent runs on every node it should',
          type: 'daemonSetPlacement',
          weight: 1,
          status: 'passed',
          summary:
            'daemonset.apps/agent runs one Ready pod on each of the 3 nodes it should run on',
          nodes: [
            {
              node: 'lab-control-plane',
              placement: 'may-keep',
              reasons: [CONTROL_PLANE_REASON],
              pods: [],
              ok: true,
            },
            {
              node: 'lab-worker',
              placement: 'must-run',
              reasons: [],
              pods: [readyPod('agent-lab-worker', 'DaemonSet/agent')],
              ok: true,
            },
            {
              node: 'lab-worker2',
              placement: 'must-run',
              reasons: [],
              pods: [readyPod('agent-lab-worker2', 'DaemonSet/agent')],
              ok: true,
            },
            {
              node: 'lab-worker3',
              placement: 'must-run',
              reasons: [],
              pods: [readyPod('agent-lab-worker3', 'DaemonSet/agent')],
              ok: true,
            },
          ],
          details: { mustRun: 3, mayKeep: 1, mustNotRun: 0, readyOnMustRun: 3 },
        },
      ],
    });
  });

  it('fails when a must-run node has no pod, naming the node and the problem', () => {
    const ds = daemonSet('agent');
    const result = run([
      ...cluster(),
      ds,
      daemonPod(ds, 'lab-worker'),
      daemonPod(ds, 'lab-worker3'),
    ]);
    expect(result.status).toBe('failed');
    expect(result.summary).toBe(
      'daemonset.apps/agent: it is not placed right on 1 of 4 nodes: lab-worker2 (no pod)',
    );
    expect(findingOf(result, 'lab-worker2')).toEqual({
      node: 'lab-worker2',
      placement: 'must-run',
      reasons: [],
      pods: [],
      ok: false,
      problem: 'no pod',
    });
  });

  it('a toleration of the control-plane taint makes the control plane a must-run node', () => {
    const ds = daemonSet('agent', {
      podSpec: {
        tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists' }],
      },
    });
    const workers = ['lab-worker', 'lab-worker2', 'lab-worker3'].map((n) => daemonPod(ds, n));
    const result = run([...cluster(), ds, ...workers]);
    expect(result.status).toBe('failed');
    expect(findingOf(result, 'lab-control-plane')).toEqual({
      node: 'lab-control-plane',
      placement: 'must-run',
      reasons: ['taint node-role.kubernetes.io/control-plane:NoSchedule tolerated'],
      pods: [],
      ok: false,
      problem: 'no pod',
    });
    const fixed = run([...cluster(), ds, ...workers, daemonPod(ds, 'lab-control-plane')]);
    expect(fixed.status).toBe('passed');
    expect(fixed.summary).toBe(
      'daemonset.apps/agent runs one Ready pod on each of the 4 nodes it should run on',
    );
  });

  describe('tolerations: Exists, Equal, an empty effect, an empty key', () => {
    const gpu = node('gpu', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    const placementWith = (tolerations: unknown[]) => {
      const ds = daemonSet('agent', { podSpec: { tolerations } });
      return findingOf(run([gpu, ds]), 'gpu');
    };
    it('Equal needs the value', () => {
      expect(
        placementWith([{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }])
          ?.placement,
      ).toBe('must-run');
      expect(
        placementWith([
          { key: 'dedicated', operator: 'Equal', value: 'cpu', effect: 'NoSchedule' },
        ]),
      ).toMatchObject({
        placement: 'may-keep',
        reasons: ['taint dedicated=gpu:NoSchedule not tolerated'],
      });
      // No operator means Equal.
      expect(placementWith([{ key: 'dedicated', value: 'gpu' }])?.placement).toBe('must-run');
    });
    it('Exists ignores the value; an empty effect matches every effect', () => {
      expect(placementWith([{ key: 'dedicated', operator: 'Exists' }])).toMatchObject({
        placement: 'must-run',
        reasons: ['taint dedicated=gpu:NoSchedule tolerated'],
      });
      expect(
        placementWith([{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }])?.placement,
      ).toBe('may-keep');
    });
    it('an empty key with Exists tolerates every taint', () => {
      expect(placementWith([{ operator: 'Exists' }])?.placement).toBe('must-run');
    });
  });

  it('NoExecute removes, NoSchedule keeps, PreferNoSchedule is ignored', () => {
    const ds = daemonSet('agent');
    const objects = [
      node('exec', { taints: [{ key: 'maintenance', effect: 'NoExecute' }] }),
      node('sched', { taints: [{ key: 'maintenance', effect: 'NoSchedule' }] }),
      node('prefer', {
        taints: [{ key: 'maintenance', value: 'soon', effect: 'PreferNoSchedule' }],
      }),
      ds,
      daemonPod(ds, 'exec'),
      daemonPod(ds, 'sched'),
      daemonPod(ds, 'prefer'),
    ];
    const result = run(objects);
    expect(result.nodes).toEqual([
      {
        node: 'exec',
        placement: 'must-not-run',
        reasons: ['NoExecute taint maintenance:NoExecute not tolerated'],
        pods: [readyPod('agent-exec', 'DaemonSet/agent')],
        ok: false,
        problem: 'should not run here',
      },
      {
        node: 'prefer',
        placement: 'must-run',
        reasons: ['taint maintenance=soon:PreferNoSchedule is ignored by DaemonSets'],
        pods: [readyPod('agent-prefer', 'DaemonSet/agent')],
        ok: true,
      },
      {
        node: 'sched',
        placement: 'may-keep',
        reasons: ['taint maintenance:NoSchedule not tolerated'],
        pods: [readyPod('agent-sched', 'DaemonSet/agent')],
        ok: true,
      },
    ]);
    expect(result.summary).toBe(
      'daemonset.apps/agent: it is not placed right on 1 of 3 nodes: exec (should not run here)',
    );
  });

  it('a NoSchedule taint added after the pod: may keep it, unless allowMayKeep is false', () => {
    const ds = daemonSet('agent');
    const objects = [
      node('lab-worker', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] }),
      node('lab-worker2'),
      ds,
      daemonPod(ds, 'lab-worker'),
      daemonPod(ds, 'lab-worker2'),
    ];
    expect(run(objects).status).toBe('passed');
    const strict = run(objects, { allowMayKeep: false });
    expect(strict.status).toBe('failed');
    expect(findingOf(strict, 'lab-worker')).toEqual({
      node: 'lab-worker',
      placement: 'may-keep',
      reasons: ['taint dedicated=db:NoSchedule not tolerated'],
      pods: [readyPod('agent-lab-worker', 'DaemonSet/agent')],
      ok: false,
      problem: 'should not run here',
    });
    // Without its pod the node is fine either way.
    expect(run(objects.slice(0, 3).concat(objects[4]!), { allowMayKeep: false }).status).toBe(
      'passed',
    );
  });

  it('a cordoned node is still a must-run node (daemon pods tolerate the unschedulable taint)', () => {
    const ds = daemonSet('agent');
    const cordoned = node('lab-worker', { unschedulable: true, taints: [UNSCHEDULABLE_TAINT] });
    const result = run([cordoned, ds]);
    expect(findingOf(result, 'lab-worker')).toEqual({
      node: 'lab-worker',
      placement: 'must-run',
      reasons: [
        'cordoned: DaemonSets ignore spec.unschedulable',
        'taint node.kubernetes.io/unschedulable:NoSchedule tolerated by default (a daemon pod toleration)',
      ],
      pods: [],
      ok: false,
      problem: 'no pod',
    });
  });

  it('a NotReady node (not-ready taints) may keep its pod, Ready or not, but gets no new one', () => {
    const ds = daemonSet('agent');
    const down = node('lab-worker2', { ready: false, taints: NOT_READY_TAINTS });
    const stale = daemonPod(ds, 'lab-worker2', { ready: false, phase: 'Running' });
    const result = run([node('lab-worker'), down, ds, daemonPod(ds, 'lab-worker'), stale]);
    expect(result.status).toBe('passed');
    expect(findingOf(result, 'lab-worker2')).toEqual({
      node: 'lab-worker2',
      placement: 'may-keep',
      reasons: [
        'taint node.kubernetes.io/not-ready:NoSchedule not tolerated',
        'taint node.kubernetes.io/not-ready:NoExecute tolerated by default (a daemon pod toleration)',
      ],
      pods: [
        { name: 'agent-lab-worker2', ready: false, phase: 'Running', owner: 'DaemonSet/agent' },
      ],
      ok: true,
    });
    expect(findingOf(run([down, ds]), 'lab-worker2')?.ok).toBe(true);
  });

  it('nodeSelector and required node affinity pick the nodes', () => {
    const ssd = node('lab-worker', { labels: { disk: 'ssd' } });
    const hdd = node('lab-worker2', { labels: { disk: 'hdd' } });
    const bySelector = daemonSet('agent', { podSpec: { nodeSelector: { disk: 'ssd' } } });
    const result = run([ssd, hdd, bySelector, daemonPod(bySelector, 'lab-worker')]);
    expect(result.status).toBe('passed');
    expect(result.summary).toBe(
      'daemonset.apps/agent runs one Ready pod on the one node it should run on',
    );
    expect(findingOf(result, 'lab-worker2')).toEqual({
      node: 'lab-worker2',
      placement: 'must-not-run',
      reasons: ['node labels do not match nodeSelector disk=ssd'],
      pods: [],
      ok: true,
    });
    const byAffinity = daemonSet('agent', {
      podSpec: {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] },
              ],
            },
          },
        },
      },
    });
    const wrong = run([ssd, hdd, byAffinity, daemonPod(byAffinity, 'lab-worker2')]);
    expect(wrong.status).toBe('failed');
    expect(wrong.nodes).toEqual([
      {
        node: 'lab-worker',
        placement: 'must-run',
        reasons: [],
        pods: [],
        ok: false,
        problem: 'no pod',
      },
      {
        node: 'lab-worker2',
        placement: 'must-not-run',
        reasons: ['required node affinity not matched'],
        pods: [readyPod('agent-lab-worker2', 'DaemonSet/agent')],
        ok: false,
        problem: 'should not run here',
      },
    ]);
    expect(wrong.summary).toBe(
      'daemonset.apps/agent: it is not placed right on 2 of 2 nodes: lab-worker (no pod), lab-worker2 (should not run here)',
    );
  });

  it('a template nodeName runs it on that node only', () => {
    const ds = daemonSet('agent', { podSpec: { nodeName: 'lab-worker2' } });
    const result = run([...cluster(), ds, daemonPod(ds, 'lab-worker2')]);
    expect(result.status).toBe('passed');
    expect(findingOf(result, 'lab-worker')).toEqual({
      node: 'lab-worker',
      placement: 'must-not-run',
      reasons: ['template nodeName is lab-worker2'],
      pods: [],
      ok: true,
    });
    expect(findingOf(result, 'lab-control-plane')?.reasons).toEqual([
      'template nodeName is lab-worker2',
      CONTROL_PLANE_REASON,
    ]);
  });

  it('hostNetwork pods tolerate network-unavailable', () => {
    const noNetwork = node('lab-worker', {
      taints: [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }],
    });
    const cni = daemonSet('agent', { podSpec: { hostNetwork: true } });
    expect(findingOf(run([noNetwork, cni]), 'lab-worker')).toMatchObject({
      placement: 'must-run',
      reasons: [
        'taint node.kubernetes.io/network-unavailable:NoSchedule tolerated by default (a daemon pod toleration)',
      ],
    });
    expect(findingOf(run([noNetwork, daemonSet('agent')]), 'lab-worker')).toMatchObject({
      placement: 'may-keep',
      reasons: ['taint node.kubernetes.io/network-unavailable:NoSchedule not tolerated'],
    });
  });

  it('duplicates, pods not Ready, terminating and terminal pods', () => {
    const ds = daemonSet('agent');
    const objects = [
      node('lab-worker'),
      node('lab-worker2'),
      node('lab-worker3'),
      ds,
      daemonPod(ds, 'lab-worker'),
      daemonPod(ds, 'lab-worker', { name: 'agent-extra' }),
      daemonPod(ds, 'lab-worker2', { ready: false, phase: 'Pending', bound: false }),
      daemonPod(ds, 'lab-worker3', { name: 'agent-old', terminating: true }),
      daemonPod(ds, 'lab-worker3', { name: 'agent-new' }),
      daemonPod(ds, 'lab-worker3', { name: 'agent-failed', ready: false, phase: 'Failed' }),
    ];
    const result = run(objects);
    expect(result.status).toBe('failed');
    expect(result.nodes).toEqual([
      {
        node: 'lab-worker',
        placement: 'must-run',
        reasons: [],
        pods: [
          readyPod('agent-extra', 'DaemonSet/agent'),
          readyPod('agent-lab-worker', 'DaemonSet/agent'),
        ],
        ok: false,
        problem: '2 pods',
      },
      {
        node: 'lab-worker2',
        placement: 'must-run',
        reasons: [],
        pods: [
          { name: 'agent-lab-worker2', ready: false, phase: 'Pending', owner: 'DaemonSet/agent' },
        ],
        ok: false,
        problem: 'pod not Ready',
      },
      {
        node: 'lab-worker3',
        placement: 'must-run',
        reasons: [],
        pods: [
          readyPod('agent-new', 'DaemonSet/agent'),
          { ...readyPod('agent-old', 'DaemonSet/agent'), terminating: true },
        ],
        ok: true,
      },
    ]);
    expect(result.summary).toBe(
      'daemonset.apps/agent: it is not placed right on 2 of 3 nodes: lab-worker (2 pods), lab-worker2 (pod not Ready)',
    );
    expect(result.details).toEqual({
      mustRun: 3,
      mayKeep: 0,
      mustNotRun: 0,
      readyOnMustRun: 1,
      duplicates: ['lab-worker'],
    });
  });

  it('says why a pod is not running, as the STATUS column of kubectl get pods would', () => {
    const ds = daemonSet('agent');
    const waiting = (reason: string): Record<string, unknown> => ({
      phase: 'Pending',
      conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: [
        { name: 'agent', ready: false, state: { waiting: { reason, message: '…' } } },
      ],
    });
    const objects = [
      node('lab-worker'),
      node('lab-worker2'),
      ds,
      daemonPod(ds, 'lab-worker', { ready: false, status: waiting('ImagePullBackOff') }),
      daemonPod(ds, 'lab-worker2', {
        ready: false,
        status: {
          ...waiting('CrashLoopBackOff'),
          initContainerStatuses: [
            { name: 'init', ready: false, state: { terminated: { reason: 'Error', exitCode: 1 } } },
          ],
        },
      }),
    ];
    expect(run(objects).nodes?.map((n) => n.pods.map((p) => p.reason))).toEqual([
      ['ImagePullBackOff'],
      ['Error'],
    ]);
  });

  it('flags pods that match the selector but another workload owns, and orphans', () => {
    const ds = daemonSet('agent');
    const web = deployment('agent-web');
    const rs = replicaSet(web, '6d8f5c4b97', 1);
    const objects = [
      node('lab-worker'),
      node('lab-worker2'),
      ds,
      daemonPod(ds, 'lab-worker'),
      daemonPod(ds, 'lab-worker2'),
      pod({
        name: 'agent-6d8f5c4b97-x2k9p',
        labels: { app: 'agent' },
        owner: rs,
        nodeName: 'lab-worker',
      }),
      pod({ name: 'stray', labels: { app: 'agent' }, nodeName: 'lab-worker2' }),
      pod({ name: 'unrelated', labels: { app: 'web' }, nodeName: 'lab-worker2' }),
    ];
    const result = run(objects);
    expect(result.status).toBe('passed');
    expect(result.summary).toBe(
      'daemonset.apps/agent runs one Ready pod on each of the 2 nodes it should run on; 1 pod matching its selector belongs to ReplicaSet/agent-web-6d8f5c4b97; 1 pod matching its selector has no owner',
    );
    expect(findingOf(result, 'lab-worker')?.pods).toEqual([
      readyPod('agent-6d8f5c4b97-x2k9p', 'ReplicaSet/agent-web-6d8f5c4b97'),
      readyPod('agent-lab-worker', 'DaemonSet/agent'),
    ]);
    expect(findingOf(result, 'lab-worker2')?.pods).toEqual([
      readyPod('agent-lab-worker2', 'DaemonSet/agent'),
      { name: 'stray', ready: true, phase: 'Running' },
    ]);
    expect(result.details).toEqual({
      mustRun: 2,
      mayKeep: 0,
      mustNotRun: 0,
      readyOnMustRun: 2,
      orphans: ['stray'],
      otherOwners: [{ pod: 'agent-6d8f5c4b97-x2k9p', owner: 'ReplicaSet/agent-web-6d8f5c4b97' }],
    });
  });

  it('reports pods of the DaemonSet on nodes that are gone', () => {
    const ds = daemonSet('agent');
    const result = run([
      node('lab-worker'),
      ds,
      daemonPod(ds, 'lab-worker'),
      daemonPod(ds, 'gone'),
    ]);
    expect(result.status).toBe('passed');
    expect(result.details).toMatchObject({ podsOnUnknownNodes: ['agent-gone'] });
  });

  it('mustRunOn (by role) checks the nodes the DaemonSet selects', () => {
    const ds = daemonSet('agent', { podSpec: { nodeSelector: { disk: 'ssd' } } });
    const objects = [
      node('lab-worker', { labels: { disk: 'ssd' } }),
      node('lab-worker2'),
      ds,
      daemonPod(ds, 'lab-worker'),
    ];
    const wanted = { mustRunOn: ['{{worker2}}', '{{worker1}}'] };
    const result = run(objects, wanted);
    expect(result.status).toBe('failed');
    expect(result.summary).toBe(
      'daemonset.apps/agent: it should run on lab-worker, lab-worker2 but its spec makes it run on lab-worker',
    );
    expect(result.details).toMatchObject({ expectedMustRun: ['lab-worker', 'lab-worker2'] });
    // The table flags the node the spec gets wrong, though the controller does as told there.
    expect(result.nodes?.map((n) => [n.node, n.placement, n.ok, n.problem])).toEqual([
      ['lab-worker', 'must-run', true, undefined],
      ['lab-worker2', 'must-not-run', false, 'the lab wants a pod here'],
    ]);
    expect(run(objects, { mustRunOn: ['{{worker1}}'] }).status).toBe('passed');
  });

  it('a missing DaemonSet, a Deployment in its place, one being deleted', () => {
    expect(run(cluster())).toMatchObject({
      status: 'failed',
      summary: 'daemonset.apps "agent" not found in namespace lab',
    });
    expect(run([...cluster(), deployment('agent')])).toEqual({
      id: 'agent-placement',
      title: 'agent runs on every node it should',
      type: 'daemonSetPlacement',
      weight: 1,
      status: 'failed',
      summary: 'found a Deployment named agent: this lab asks for a DaemonSet',
      details: { notFound: 'daemonset.apps "agent" not found in namespace lab' },
    });
    const doomed = daemonSet('agent');
    doomed.metadata.deletionTimestamp = '2025-01-01T11:59:00Z';
    expect(run([...cluster(), doomed]).summary).toBe('daemonset.apps/agent is being deleted');
  });

  it('a DaemonSet whose selector cannot be compiled is an error, not a throw', () => {
    const ds = daemonSet('agent', {
      spec: { selector: { matchExpressions: [{ key: 'app', operator: 'Near' }] } },
    });
    expect(run([...cluster(), ds])).toMatchObject({
      status: 'error',
      summary:
        'daemonset.apps/agent has a selector that cannot be used: "Near" is not a valid label selector operator',
    });
  });

  it('keeps the control-plane taint among other reasons and lists every node', () => {
    const ds = daemonSet('agent', { podSpec: { nodeSelector: { disk: 'ssd' } } });
    const result = run([node('cp', { taints: [CONTROL_PLANE_TAINT] }), ds]);
    expect(result.nodes).toEqual([
      {
        node: 'cp',
        placement: 'must-not-run',
        reasons: ['node labels do not match nodeSelector disk=ssd', CONTROL_PLANE_REASON],
        pods: [],
        ok: true,
      },
    ]);
    expect(result.summary).toBe('daemonset.apps/agent should run on no node and runs on none');
  });
});

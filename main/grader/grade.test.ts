import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/objects';
import { grade, kindsToRead, resolveRoles, RoleError } from './grade';
import { snapshotOf } from './snapshot';
import { LabCheck } from './spec';
import { NOW, ROLES, cluster, daemonPod, daemonSet, node } from './test-fixtures';

const labCheck = (value: unknown): LabCheck => LabCheck.parse(value);

const placement = labCheck({
  id: 'placement',
  title: 'agent runs everywhere it should',
  type: 'daemonSetPlacement',
  namespace: 'lab',
  name: 'agent',
  weight: 3,
});
const cordoned = labCheck({
  id: 'cordon',
  title: 'worker2 is cordoned',
  type: 'nodeState',
  node: '{{worker2}}',
  schedulable: false,
});
/** The control plane runs agent either because it tolerates the taint or because the taint is gone. */
const controlPlane = labCheck({
  id: 'control-plane',
  title: 'agent may run on the control plane',
  type: 'anyOf',
  weight: 2,
  checks: [
    {
      id: 'tolerates',
      title: 'agent tolerates the control-plane taint',
      type: 'objectField',
      target: { apiVersion: 'apps/v1', kind: 'DaemonSet', namespace: 'lab', name: 'agent' },
      path: '{.spec.template.spec.tolerations[?(@.key=="node-role.kubernetes.io/control-plane")].operator}',
      equals: 'Exists',
    },
    {
      id: 'untainted',
      title: 'the control plane has no NoSchedule taint',
      type: 'nodeState',
      node: '{{controlPlane}}',
      taints: [
        { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule', present: false },
      ],
    },
  ],
});

function workers(ds: KubeObject): KubeObject[] {
  return ['lab-worker', 'lab-worker2', 'lab-worker3'].map((n) => daemonPod(ds, n));
}

describe('grade', () => {
  it('scores the weights of passed checks; passed only when all pass', () => {
    const ds = daemonSet('agent');
    const report = grade(
      [placement, cordoned, controlPlane],
      snapshotOf(NOW, [...cluster(), ds, ...workers(ds)]),
      {
        roles: ROLES,
        recorded: {},
      },
    );
    expect(report.passed).toBe(false);
    expect(report.score).toBe(3);
    expect(report.maxScore).toBe(6);
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['placement', 'passed'],
      ['cordon', 'failed'],
      ['control-plane', 'failed'],
    ]);
    expect(report.checks[2]).toEqual({
      id: 'control-plane',
      title: 'agent may run on the control plane',
      type: 'anyOf',
      weight: 2,
      status: 'failed',
      summary:
        'none of the accepted ways is done (agent tolerates the control-plane taint / the control plane has no NoSchedule taint)',
      alternatives: [
        {
          id: 'tolerates',
          title: 'agent tolerates the control-plane taint',
          type: 'objectField',
          weight: 1,
          status: 'failed',
          summary:
            'daemonset.apps/agent {.spec.template.spec.tolerations[?(@.key=="node-role.kubernetes.io/control-plane")].operator} is not set: the lab expects "Exists"',
          details: { value: null },
        },
        {
          id: 'untainted',
          title: 'the control plane has no NoSchedule taint',
          type: 'nodeState',
          weight: 1,
          status: 'failed',
          summary:
            'node/lab-control-plane: it still has taint node-role.kubernetes.io/control-plane:NoSchedule, the lab wants it removed',
          details: {
            ready: true,
            schedulable: true,
            taints: ['node-role.kubernetes.io/control-plane:NoSchedule'],
          },
        },
      ],
    });
  });

  it('anyOf passes by any alternative, with that alternative’s summary', () => {
    const nodes = cluster();
    nodes[0]!.spec = {};
    nodes[2] = node('lab-worker2', { unschedulable: true });
    const ds = daemonSet('agent');
    const report = grade(
      [placement, cordoned, controlPlane],
      snapshotOf(NOW, [...nodes, ds, ...workers(ds), daemonPod(ds, 'lab-control-plane')]),
      { roles: ROLES, recorded: {}, lab: 'ds-control-plane' },
    );
    expect(report.passed).toBe(true);
    expect(report.score).toBe(6);
    expect(report.lab).toBe('ds-control-plane');
    expect(report.checks[2]).toMatchObject({
      status: 'passed',
      summary:
        'node/lab-control-plane is without taint node-role.kubernetes.io/control-plane:NoSchedule',
    });
    expect(report.checks[0]!.summary).toBe(
      'daemonset.apps/agent runs one Ready pod on each of the 4 nodes it should run on',
    );
  });

  it('an anyOf of alternatives that all error is an error', () => {
    const both = labCheck({
      id: 'both',
      title: 'either',
      type: 'anyOf',
      checks: [
        { id: 'a', title: 'a', type: 'nodeState', node: '{{worker7}}', ready: true },
        { id: 'b', title: 'b', type: 'nodeState', node: '{{worker8}}', ready: true },
      ],
    });
    expect(grade([both], snapshotOf(NOW, []), { roles: {}, recorded: {} }).checks[0]).toMatchObject(
      {
        status: 'error',
        summary: 'none of the accepted ways could be checked (a / b)',
        alternatives: [
          { status: 'error', summary: 'unknown role {{worker7}}: this cluster has no roles' },
          { status: 'error', summary: 'unknown role {{worker8}}: this cluster has no roles' },
        ],
      },
    );
  });

  it('never throws on malformed cluster data', () => {
    const junk = [
      {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'n1' },
        spec: { taints: 'nope' },
        status: 7,
      },
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n2' }, spec: null },
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'agent', namespace: 'lab', uid: 'u' },
        spec: { template: { spec: { nodeSelector: 'x', affinity: [], tolerations: {} } } },
      },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: 'p',
          namespace: 'lab',
          ownerReferences: [{ controller: true, uid: 'u' }],
        },
        spec: null,
        status: { conditions: 'none' },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'lab' },
        spec: 'no',
        status: [],
      },
    ] as unknown as KubeObject[];
    const checks = [
      placement,
      labCheck({
        id: 'd',
        title: 'd',
        type: 'deploymentReady',
        namespace: 'lab',
        name: 'web',
        image: 'x',
      }),
      labCheck({
        id: 'r',
        title: 'r',
        type: 'rolloutRevision',
        namespace: 'lab',
        kind: 'Deployment',
        name: 'web',
        revision: 1,
      }),
      labCheck({
        id: 's',
        title: 's',
        type: 'podsSpread',
        namespace: 'lab',
        labelSelector: 'app',
        count: 1,
      }),
      labCheck({
        id: 'n',
        title: 'n',
        type: 'nodeState',
        node: 'n1',
        ready: true,
        taints: [{ key: 'k', effect: 'NoSchedule' }],
      }),
    ];
    const report = grade(checks, snapshotOf(NOW, junk), { roles: {}, recorded: {} });
    expect(report.checks.map((c) => [c.status, c.summary])).toEqual([
      ['passed', 'daemonset.apps/agent should run on no node and runs on none'],
      [
        'failed',
        'deployment.apps/web is not ready: READY 0/1, UP-TO-DATE 0, AVAILABLE 0; its template has no container',
      ],
      ['failed', 'no ReplicaSet of deployment.apps/web runs its current template yet'],
      ['failed', '0 Ready pods match app in namespace lab: the lab wants 1'],
      [
        'failed',
        'node/n1: it is NotReady, the lab wants Ready; it has no taint k:NoSchedule, the lab wants it',
      ],
    ]);
    expect(report.checks[0]!.nodes?.[0]).toEqual({
      node: 'n1',
      placement: 'must-not-run',
      reasons: ['node labels do not match nodeSelector 0=x'],
      pods: [],
      ok: true,
    });
  });

  it('a check that cannot be evaluated at all is an error, and the others still run', () => {
    const mystery = { id: 'm', title: 'm', type: 'mystery', weight: 1 } as unknown as LabCheck;
    const report = grade([mystery, cordoned], snapshotOf(NOW, cluster()), {
      roles: ROLES,
      recorded: {},
    });
    expect(report.checks.map((c) => c.status)).toEqual(['error', 'failed']);
    expect(report.checks[0]!.summary).toMatch(/^this check could not be evaluated: /);
  });

  it('an empty lab passes with nothing to score', () => {
    expect(grade([], snapshotOf(NOW, []), { roles: {}, recorded: {} })).toEqual({
      schemaVersion: 1,
      passed: true,
      score: 0,
      maxScore: 0,
      checks: [],
    });
  });
});

describe('resolveRoles', () => {
  it('replaces {{role}} in every string, deeply, spaces allowed', () => {
    expect(
      resolveRoles({ a: '{{worker1}}', b: ['x {{ controlPlane }} y', 3], c: { d: null } }, ROLES),
    ).toEqual({ a: 'lab-worker', b: ['x lab-control-plane y', 3], c: { d: null } });
  });
  it('throws RoleError naming the known roles', () => {
    expect(() => resolveRoles('{{gpu}}', { worker1: 'w' })).toThrow(
      new RoleError('unknown role {{gpu}}: this cluster has worker1'),
    );
  });
});

describe('kindsToRead', () => {
  it('adds the kinds that targets and queries name to the base kinds', () => {
    const kinds = kindsToRead([
      controlPlane,
      labCheck({
        id: 'gone',
        title: 'gone',
        type: 'resourceAbsent',
        query: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'lab' },
      }),
    ]);
    expect(kinds.map((k) => `${k.apiVersion}/${k.kind}`)).toEqual([
      'v1/Node',
      'v1/Pod',
      'apps/v1/DaemonSet',
      'apps/v1/Deployment',
      'apps/v1/ReplicaSet',
      'apps/v1/ControllerRevision',
      'v1/ConfigMap',
    ]);
  });
});

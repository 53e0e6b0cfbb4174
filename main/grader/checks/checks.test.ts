import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/objects';
import { grade, recordKey, type GradeContext } from '../grade';
import type { CheckResult } from '../report';
import { snapshotOf } from '../snapshot';
import type { LabCheck } from '../spec';
import {
  NOW,
  ROLES,
  cluster,
  controllerRevision,
  daemonPod,
  daemonSet,
  deployment,
  node,
  pod,
  replicaSet,
} from '../test-fixtures';

const base = { id: 'c', title: 'the check', weight: 1 };

function run(
  check: Record<string, unknown>,
  objects: KubeObject[],
  context: Partial<GradeContext> = {},
): CheckResult {
  const report = grade([{ ...base, ...check } as LabCheck], snapshotOf(NOW, objects), {
    roles: ROLES,
    recorded: {},
    ...context,
  });
  return report.checks[0]!;
}

/** A Deployment rolled out: its ReplicaSet and three Ready pods on the workers. */
function rolledOut(image = 'nginx:1.27'): KubeObject[] {
  const web = deployment('web', { image });
  const rs = replicaSet(web, '6d8f5c4b97', 2);
  const old = replicaSet(web, '7c9f6b5d84', 1, {
    metadata: { labels: { app: 'web' } },
    spec: { containers: [{ name: 'app', image: 'nginx:1.26' }] },
  });
  const pods = ['lab-worker', 'lab-worker2', 'lab-worker3'].map((n, i) =>
    pod({
      name: `web-6d8f5c4b97-${i}`,
      labels: { app: 'web', 'pod-template-hash': '6d8f5c4b97' },
      owner: rs,
      nodeName: n,
      image,
    }),
  );
  return [...cluster(), web, rs, old, ...pods];
}

describe('deploymentReady', () => {
  const check = { type: 'deploymentReady', namespace: 'lab', name: 'web' };

  it('passes when every replica is ready, updated and available, with the image', () => {
    expect(run({ ...check, replicas: 3, image: 'nginx:1.27' }, rolledOut())).toEqual({
      ...base,
      type: 'deploymentReady',
      status: 'passed',
      summary:
        'deployment.apps/web has 3/3 replicas ready, up to date and available running nginx:1.27',
      details: { replicas: 3, ready: 3, updated: 3, available: 3, current: 3 },
    });
  });

  it('fails with the counts kubectl get deployment shows', () => {
    const objects = rolledOut();
    const web = objects.find((o) => o.kind === 'Deployment')!;
    web.status = {
      observedGeneration: 1,
      replicas: 4,
      readyReplicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
    };
    expect(run(check, objects)).toMatchObject({
      status: 'failed',
      summary:
        'deployment.apps/web is not ready: READY 2/3, UP-TO-DATE 2, AVAILABLE 2, 2 old replicas still there',
    });
  });

  it('fails on the replica count, a stale generation, the template image and the pods', () => {
    const objects = rolledOut();
    const web = objects.find((o) => o.kind === 'Deployment')!;
    web.metadata.generation = 2;
    expect(run({ ...check, replicas: 5 }, objects).summary).toBe(
      'deployment.apps/web is not ready: it asks for 3 replicas, the lab wants 5; the Deployment controller has not caught up with its latest change yet',
    );
    expect(run({ ...check, image: 'nginx:1.28' }, rolledOut()).summary).toBe(
      'deployment.apps/web is not ready: its template runs nginx:1.27, the lab wants nginx:1.28',
    );
    expect(run({ ...check, image: 'nginx:1.27', container: 'sidecar' }, rolledOut()).summary).toBe(
      'deployment.apps/web is not ready: its template has no container named sidecar',
    );
    const drifted = rolledOut();
    const p = drifted.find((o) => o.metadata.name === 'web-6d8f5c4b97-1')!;
    (p.spec as { containers: Array<{ image: string }> }).containers[0]!.image = 'nginx:1.26';
    expect(run({ ...check, image: 'nginx:1.27' }, drifted).summary).toBe(
      'deployment.apps/web is not ready: 1 updated pod runs another image: pod/web-6d8f5c4b97-1 (nginx:1.26)',
    );
  });

  it('a missing Deployment, or a DaemonSet of that name', () => {
    expect(run(check, cluster()).summary).toBe('deployment.apps "web" not found in namespace lab');
    expect(run(check, [...cluster(), daemonSet('web')]).summary).toBe(
      'found a DaemonSet named web: this lab asks for a Deployment',
    );
  });
});

describe('podsSpread', () => {
  const spread = (nodes: Array<string | undefined>, extra: PodOptionsList = []) => [
    ...cluster(),
    ...nodes.map((n, i) =>
      pod({ name: `web-${i}`, labels: { app: 'web' }, ...(n ? { nodeName: n } : {}), ready: !!n }),
    ),
    ...extra,
  ];
  type PodOptionsList = KubeObject[];
  const unschedulable = pod({
    name: 'web-pending',
    labels: { app: 'web' },
    ready: false,
    status: {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }],
    },
  });
  const check = { type: 'podsSpread', namespace: 'lab', labelSelector: 'app=web' };

  it('counts Ready pods, distinct nodes, the most on one node and unschedulable ones', () => {
    const objects = spread(['lab-worker', 'lab-worker2', 'lab-worker3'], [unschedulable]);
    expect(
      run({ ...check, count: 3, minNodes: 3, maxPerNode: 1, pendingAllowed: 1 }, objects),
    ).toEqual({
      ...base,
      type: 'podsSpread',
      status: 'passed',
      summary:
        '3 Ready pods match app=web in namespace lab on 3 nodes (at most 1 per node), and 1 Pending',
      details: {
        ready: 3,
        nodes: { 'lab-worker': 1, 'lab-worker2': 1, 'lab-worker3': 1 },
        maxPerNode: 1,
        pending: 1,
      },
    });
  });

  it('fails on each constraint', () => {
    const objects = spread(['lab-worker', 'lab-worker', 'lab-worker2']);
    expect(
      run({ ...check, count: 4, minNodes: 3, maxPerNode: 1, pendingAllowed: 1 }, objects).summary,
    ).toBe(
      '3 Ready pods match app=web in namespace lab: the lab wants 4; they run on 2 nodes, the lab wants at least 3; lab-worker runs 2 of them, the lab allows 1 per node; 0 pods are Pending (unschedulable), the lab wants 1',
    );
  });

  it('leaves out pods being deleted, finished or not Ready, and reports a bad selector', () => {
    const objects = [
      ...spread(['lab-worker']),
      pod({ name: 'old', labels: { app: 'web' }, nodeName: 'lab-worker2', terminating: true }),
      pod({ name: 'done', labels: { app: 'web' }, nodeName: 'lab-worker2', phase: 'Succeeded' }),
      pod({ name: 'slow', labels: { app: 'web' }, nodeName: 'lab-worker3', ready: false }),
    ];
    expect(run({ ...check, count: 1 }, objects).summary).toBe(
      '1 Ready pod matches app=web in namespace lab on 1 node (at most 1 per node)',
    );
    expect(run({ ...check, labelSelector: 'app in (web' }, objects)).toMatchObject({
      status: 'error',
      summary: expect.stringMatching(/^the label selector "app in \(web" is not valid: /) as string,
    });
  });
});

describe('objectField', () => {
  const target = { apiVersion: 'apps/v1', kind: 'DaemonSet', namespace: 'lab', name: 'agent' };
  const tolerant = daemonSet('agent', {
    podSpec: {
      tolerations: [
        { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
      ],
    },
    status: { numberReady: 4 },
  });
  const field = (extra: Record<string, unknown>) =>
    run({ type: 'objectField', target, ...extra }, [tolerant]);

  it('equals a string', () => {
    expect(
      field({
        path: '{.spec.template.spec.tolerations[0].key}',
        equals: 'node-role.kubernetes.io/control-plane',
      }),
    ).toEqual({
      ...base,
      type: 'objectField',
      status: 'passed',
      summary:
        'daemonset.apps/agent {.spec.template.spec.tolerations[0].key} is "node-role.kubernetes.io/control-plane"',
      details: { value: 'node-role.kubernetes.io/control-plane' },
    });
    expect(
      field({ path: '{.spec.template.spec.tolerations[0].key}', equals: 'other' }).summary,
    ).toBe(
      'daemonset.apps/agent {.spec.template.spec.tolerations[0].key} is "node-role.kubernetes.io/control-plane": the lab expects "other"',
    );
  });

  it('numbers and strings compare as kubectl prints them', () => {
    expect(field({ path: '{.status.numberReady}', equals: 4 }).status).toBe('passed');
    expect(field({ path: '{.status.numberReady}', equals: '4' }).status).toBe('passed');
    expect(field({ path: '.status.numberReady', equals: 4 }).status).toBe('passed');
    expect(field({ path: '{.status.numberReady}', equals: 5 }).status).toBe('failed');
  });

  it('filters, wildcards and deep equality', () => {
    expect(
      field({
        path: '{.spec.template.spec.tolerations[?(@.effect=="NoSchedule")].operator}',
        equals: 'Exists',
      }).status,
    ).toBe('passed');
    expect(
      field({
        path: '{.spec.template.spec.tolerations[0]}',
        equals: {
          key: 'node-role.kubernetes.io/control-plane',
          operator: 'Exists',
          effect: 'NoSchedule',
        },
      }).status,
    ).toBe('passed');
    expect(
      field({
        path: '{.spec.template.spec.tolerations[0]}',
        equals: { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists' },
      }).status,
    ).toBe('failed');
    expect(
      field({ path: '{.spec.template.spec.containers[*].name}', equals: ['app'] }).status,
    ).toBe('passed');
  });

  it('matches a regular expression; exists and not exists (an index past the end is absent)', () => {
    expect(
      field({ path: '{.spec.template.spec.containers[0].image}', matches: '^nginx:1\\.2' }).status,
    ).toBe('passed');
    expect(
      field({ path: '{.spec.template.spec.containers[0].image}', matches: '^busybox' }).summary,
    ).toBe(
      'daemonset.apps/agent {.spec.template.spec.containers[0].image} is "nginx:1.27": the lab expects it to match /^busybox/',
    );
    expect(field({ path: '{.spec.template.spec.nodeSelector}' })).toMatchObject({
      status: 'failed',
      summary:
        'daemonset.apps/agent {.spec.template.spec.nodeSelector} is not set: the lab expects it to be set',
      details: { value: null },
    });
    expect(field({ path: '{.spec.template.spec.nodeSelector}', exists: false }).status).toBe(
      'passed',
    );
    expect(field({ path: '{.spec.template.spec.tolerations[3]}', exists: false }).status).toBe(
      'passed',
    );
    expect(field({ path: '{.spec.template.spec.tolerations}', exists: false }).summary).toMatch(
      /: the lab expects it not to be set$/,
    );
  });

  it('errors: a bad path or pattern; failure: a missing object', () => {
    expect(field({ path: '{.spec', equals: 1 })).toMatchObject({
      status: 'error',
      summary: 'the path {.spec cannot be read: unclosed action',
    });
    expect(field({ path: '{.spec.x}', matches: '(' }).status).toBe('error');
    expect(
      run({ type: 'objectField', target: { ...target, name: 'gone' }, path: '{.spec}' }, [])
        .summary,
    ).toBe('daemonset.apps "gone" not found in namespace lab');
  });

  it('resolves roles in the target and the expected value', () => {
    const worker = node('lab-worker2', { labels: { zone: 'b' } });
    expect(
      run(
        {
          type: 'objectField',
          target: { apiVersion: 'v1', kind: 'Node', name: '{{worker2}}' },
          path: '{.metadata.labels.kubernetes\\.io/hostname}',
          equals: '{{ worker2 }}',
        },
        [worker],
      ).summary,
    ).toBe('node/lab-worker2 {.metadata.labels.kubernetes\\.io/hostname} is "lab-worker2"');
  });
});

describe('objectKept', () => {
  const target = { apiVersion: 'apps/v1', kind: 'DaemonSet', namespace: 'lab', name: 'agent' };
  const key = recordKey(target);
  const check = { type: 'objectKept', target };

  it('passes with the recorded uid, fails when recreated or deleted, errors without a record', () => {
    expect(key).toBe('apps/v1/DaemonSet/lab/agent');
    expect(run(check, [daemonSet('agent')], { recorded: { [key]: 'uid-ds-agent' } })).toEqual({
      ...base,
      type: 'objectKept',
      status: 'passed',
      summary: 'daemonset.apps/agent is the same object as when the lab started',
      details: { uid: 'uid-ds-agent' },
    });
    expect(run(check, [daemonSet('agent')], { recorded: { [key]: 'uid-before' } })).toMatchObject({
      status: 'failed',
      summary:
        'daemonset.apps/agent was deleted and created again (its uid changed): the lab asks to change it in place',
      details: { recordedUid: 'uid-before', uid: 'uid-ds-agent' },
    });
    expect(run(check, [], { recorded: { [key]: 'uid-before' } }).summary).toBe(
      'daemonset.apps/agent was deleted: daemonset.apps "agent" not found in namespace lab',
    );
    expect(run(check, [daemonSet('agent')])).toMatchObject({
      status: 'error',
      summary: 'no uid was recorded for daemonset.apps/agent when the lab started',
    });
    expect(recordKey({ apiVersion: 'v1', kind: 'Node', name: 'lab-worker' })).toBe(
      'v1/Node//lab-worker',
    );
  });
});

describe('rolloutRevision', () => {
  it('a Deployment: the revision of the ReplicaSet running its template', () => {
    const check = { type: 'rolloutRevision', namespace: 'lab', kind: 'Deployment', name: 'web' };
    expect(run({ ...check, revision: 2, image: 'nginx:1.27' }, rolledOut())).toEqual({
      ...base,
      type: 'rolloutRevision',
      status: 'passed',
      summary: 'deployment.apps/web is at revision 2 running nginx:1.27',
      details: {
        revision: 2,
        revisionOf: 'replicaset.apps/web-6d8f5c4b97',
        images: ['nginx:1.27'],
      },
    });
    expect(run({ ...check, revision: 3, image: 'nginx:1.26' }, rolledOut()).summary).toBe(
      'deployment.apps/web is at revision 2: the lab expects revision 3; its template runs nginx:1.27, the lab expects nginx:1.26',
    );
    const noRs = rolledOut().filter((o) => o.kind !== 'ReplicaSet');
    expect(run({ ...check, revision: 1 }, noRs).summary).toBe(
      'no ReplicaSet of deployment.apps/web runs its current template yet',
    );
  });

  it('a DaemonSet: the ControllerRevision holding its template (an undo renumbers it)', () => {
    const ds = daemonSet('agent');
    const old = controllerRevision(ds, '5b8c7d9f4', 1, {
      metadata: { labels: { app: 'agent' } },
      spec: { containers: [{ name: 'app', image: 'nginx:1.26' }] },
    });
    const check = { type: 'rolloutRevision', namespace: 'lab', kind: 'DaemonSet', name: 'agent' };
    const objects = [ds, old, controllerRevision(ds, '6d8f5c4b97', 3)];
    expect(run({ ...check, revision: 3 }, objects)).toMatchObject({
      status: 'passed',
      summary: 'daemonset.apps/agent is at revision 3',
      details: { revision: 3, revisionOf: 'controllerrevision.apps/agent-6d8f5c4b97' },
    });
    expect(run({ ...check, revision: 2 }, objects).status).toBe('failed');
    expect(run({ ...check, revision: 1 }, [ds, old]).summary).toBe(
      'no ControllerRevision of daemonset.apps/agent holds its current template yet',
    );
  });
});

describe('resourceAbsent', () => {
  const query = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    namespace: 'lab',
    labelSelector: 'app=web',
  };

  it('passes when nothing matches, fails naming what does', () => {
    expect(run({ type: 'resourceAbsent', query }, [daemonSet('web')])).toEqual({
      ...base,
      type: 'resourceAbsent',
      status: 'passed',
      summary: 'nothing matches kubectl get deployments.apps -n lab -l app=web',
    });
    const doomed = deployment('web');
    (doomed.metadata as { deletionTimestamp?: string }).deletionTimestamp = '2025-01-01T11:59:00Z';
    expect(
      run({ type: 'resourceAbsent', query: { ...query, labelSelector: undefined } }, [
        doomed,
        deployment('api'),
      ]),
    ).toMatchObject({
      status: 'failed',
      summary:
        '2 objects still match kubectl get deployments.apps -n lab: deployment.apps/api, deployment.apps/web (being deleted)',
      details: { found: ['deployment.apps/api', 'deployment.apps/web'] },
    });
  });

  it('field selectors as the API server allows them', () => {
    const pods = [
      pod({ name: 'a', nodeName: 'lab-worker' }),
      pod({ name: 'b', nodeName: 'lab-worker2' }),
    ];
    const query = { apiVersion: 'v1', kind: 'Pod', fieldSelector: 'spec.nodeName={{worker1}}' };
    expect(run({ type: 'resourceAbsent', query }, pods).summary).toBe(
      '1 object still matches kubectl get pods -A --field-selector spec.nodeName=lab-worker: pod/a',
    );
    expect(
      run({ type: 'resourceAbsent', query: { ...query, fieldSelector: 'spec.image=x' } }, pods),
    ).toMatchObject({
      status: 'error',
      summary:
        'the query kubectl get pods -A --field-selector spec.image=x cannot be run: field label not supported: spec.image',
    });
  });
});

describe('nodeState', () => {
  const tainted = node('lab-worker2', {
    labels: { disk: 'ssd' },
    unschedulable: true,
    taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
  });

  it('passes when ready, schedulability, labels and taints are as asked', () => {
    expect(
      run(
        {
          type: 'nodeState',
          node: '{{worker2}}',
          ready: true,
          schedulable: false,
          labels: { disk: 'ssd', old: null },
          taints: [
            { key: 'dedicated', effect: 'NoSchedule', present: true },
            { key: 'dedicated', effect: 'NoExecute', present: false },
          ],
        },
        [tainted],
      ),
    ).toEqual({
      ...base,
      type: 'nodeState',
      status: 'passed',
      summary:
        'node/lab-worker2 is Ready, cordoned, labelled disk=ssd, without label old, tainted dedicated:NoSchedule, without taint dedicated:NoExecute',
      details: { ready: true, schedulable: false, taints: ['dedicated=gpu:NoSchedule'] },
    });
  });

  it('fails naming each difference', () => {
    expect(
      run(
        {
          type: 'nodeState',
          node: '{{worker2}}',
          ready: false,
          schedulable: true,
          labels: { disk: 'hdd', zone: 'a' },
          taints: [
            { key: 'dedicated', value: 'cpu', effect: 'NoSchedule', present: true },
            { key: 'dedicated', effect: 'NoSchedule', present: false },
          ],
        },
        [tainted],
      ).summary,
    ).toBe(
      'node/lab-worker2: it is Ready, the lab wants NotReady; it is cordoned, the lab wants schedulable; it is labelled disk=ssd, the lab wants label disk=hdd; it is without label zone, the lab wants label zone=a; it has no taint dedicated=cpu:NoSchedule, the lab wants it; it still has taint dedicated:NoSchedule, the lab wants it removed',
    );
  });

  it('a missing node; an unknown role is an error', () => {
    expect(run({ type: 'nodeState', node: 'lab-worker9', ready: true }, []).summary).toBe(
      'node "lab-worker9" not found',
    );
    expect(run({ type: 'nodeState', node: '{{worker9}}', ready: true }, [])).toMatchObject({
      status: 'error',
      summary: 'unknown role {{worker9}}: this cluster has controlPlane, worker1, worker2, worker3',
    });
  });
});

describe('answer', () => {
  const ds = daemonSet('agent');
  const objects = [
    ...cluster(),
    ds,
    daemonPod(ds, 'lab-worker'),
    daemonPod(ds, 'lab-worker2'),
    pod({ name: 'web-1', labels: { app: 'web' }, nodeName: 'lab-worker' }),
  ];
  const query = { apiVersion: 'v1', kind: 'Pod', namespace: 'lab', labelSelector: 'app=agent' };
  const ask = (select: unknown, answer?: string) =>
    run(
      { type: 'answer', question: 'Which agent pods run?', query, select },
      objects,
      answer === undefined ? { lab: 'ds-answer' } : { answer, lab: 'ds-answer' },
    );

  it('count', () => {
    expect(ask('count', ' 2 ')).toEqual({
      ...base,
      type: 'answer',
      status: 'passed',
      summary: '"2" is the right answer to: Which agent pods run?',
      details: { given: '2', expected: ['2'] },
    });
    expect(ask('count', '3')).toMatchObject({
      status: 'failed',
      summary: '"3" is not the right answer to: Which agent pods run?',
    });
    expect(ask('count', 'two').status).toBe('failed');
  });

  it('names, in any order, commas or spaces, any case, kubectl -o name prefixes', () => {
    expect(ask('names', 'agent-lab-worker2, agent-lab-worker').status).toBe('passed');
    expect(ask('names', 'AGENT-LAB-WORKER agent-lab-worker2').status).toBe('passed');
    expect(ask('names', 'pod/agent-lab-worker\npod/agent-lab-worker2').status).toBe('passed');
    expect(ask('names', 'agent-lab-worker').status).toBe('failed');
  });

  it('distinct field values', () => {
    expect(ask({ field: '{.spec.nodeName}' }, 'lab-worker2 lab-worker').status).toBe('passed');
    expect(ask({ field: '{.spec.containers[*].image}' }, 'nginx:1.27')).toMatchObject({
      status: 'passed',
      details: { given: 'nginx:1.27', expected: ['nginx:1.27'] },
    });
    expect(ask({ field: '{.spec.nodeName}' }, 'lab-worker').status).toBe('failed');
  });

  it('no answer given is an error that says how to give one', () => {
    expect(ask('count')).toMatchObject({
      status: 'error',
      summary: 'this check needs an answer: kubelab grade ds-answer --answer …',
    });
  });
});

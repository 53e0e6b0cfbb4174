import { describe, expect, it } from 'vitest';
import {
  formatPath,
  LabDocument,
  OPERATION_KINDS,
  parseLabelChange,
  parseTaintChange,
  placeholderProblems,
} from './schema';

const check = {
  id: 'agent',
  title: 'agent',
  type: 'daemonSetPlacement',
  namespace: 'labs',
  name: 'agent',
};
const base = {
  id: 'lab',
  title: 'A lab',
  lesson: 'daemonsets',
  level: 'beginner',
  minutes: 5,
  task: 'Create DaemonSet `agent` in namespace `labs`.',
  cluster: { workers: 2 },
  checks: [check],
  solution: [],
};
const agent = { apiVersion: 'apps/v1', kind: 'DaemonSet', namespace: 'labs', name: 'agent' };

/** The issues of `base` changed by `changes`, as `path: message`. */
function issues(changes: Record<string, unknown>): string[] {
  const result = LabDocument.safeParse({ ...base, ...changes });
  return result.success
    ? []
    : result.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
}

function solution(...ops: Array<Record<string, unknown>>): string[] {
  return issues({ solution: ops });
}

describe('LabDocument', () => {
  it('accepts a minimal lab and fills in the defaults', () => {
    const lab = LabDocument.parse(base);
    expect(lab.tags).toEqual([]);
    expect(lab.hints).toEqual([]);
    expect(lab.backends).toEqual(['embedded', 'kind', 'context']);
    expect(lab.cluster).toEqual({ workers: 2, nodes: {}, setup: [] });
    expect(lab.checks?.[0]).toMatchObject({ weight: 1, allowMayKeep: true });
  });

  it('has the closed list of operations', () => {
    expect(OPERATION_KINDS).toEqual([
      'apply',
      'patch',
      'delete',
      'label',
      'taint',
      'cordon',
      'uncordon',
      'nodeAdd',
      'nodeRemove',
      'nodeStop',
      'nodeStart',
      'advanceClock',
      'rolloutUndo',
      'wait',
    ]);
  });

  it('keeps checks and solution in the steps when there are steps, at the top otherwise', () => {
    const step = { title: 'One', task: 'Do one.', checks: [check], solution: [] };
    expect(issues({ steps: [step] })).toEqual([
      'checks: a lab with steps has its checks in each step',
      'solution: a lab with steps has its solution in each step',
      'steps[0].checks[0].id: check id "agent" is also used at checks[0]',
    ]);
    expect(issues({ steps: [step], checks: undefined, solution: undefined })).toEqual([]);
    expect(issues({ checks: undefined, solution: undefined })).toEqual([
      ': missing required field "checks" (a lab without steps has checks and a solution)',
      ': missing required field "solution" (a lab without steps has checks and a solution)',
    ]);
    expect(
      issues({
        steps: [{ title: 'One', task: 'x', checks: [] }],
        checks: undefined,
        solution: undefined,
      }),
    ).toEqual([
      'steps[0].checks: a lab (or step) needs at least one check',
      'steps[0].solution: Invalid input: expected array, received undefined',
    ]);
  });

  it('refuses a check id used twice, anyOf alternatives included', () => {
    const anyOf = {
      id: 'either',
      title: 'either',
      type: 'anyOf',
      checks: [check, { ...check, id: 'other' }],
    };
    expect(issues({ checks: [check, anyOf] })).toEqual([
      'checks[1].checks[0].id: check id "agent" is also used at checks[0]',
    ]);
  });

  it('names nodes by role, within the workers the lab has', () => {
    expect(issues({ cluster: { workers: 1, nodes: { worker2: { labels: { a: 'b' } } } } })).toEqual(
      ['cluster.nodes.worker2: role worker2: the lab has 1 workers'],
    );
    expect(issues({ cluster: { workers: 1, nodes: { worker0: {} } } })).toEqual([
      'cluster.nodes.worker0: Invalid key in record',
    ]);
    expect(solution({ op: 'cordon', node: 'lab-worker' })).toEqual([
      'solution[0].node: a node is written by role: {{controlPlane}}, {{worker1}}, {{worker2}}…',
    ]);
  });

  it('checks role placeholders in every string, but not Go templates', () => {
    expect(issues({ task: 'Use {{worker3}}, {{ worker1 }}, {{worker}} and {{Worker1}}.' })).toEqual(
      [
        'task: "{{worker3}}": the lab has 2 workers (cluster.workers and nodeAdd)',
        'task: "{{ worker1 }}" is not a role: a node is written by role: {{controlPlane}}, {{worker1}}, {{worker2}}…',
        'task: "{{worker}}" is not a role: a node is written by role: {{controlPlane}}, {{worker1}}, {{worker2}}…',
        'task: "{{Worker1}}" is not a role: a node is written by role: {{controlPlane}}, {{worker1}}, {{worker2}}…',
      ],
    );
    expect(
      issues({
        task: "kubectl get pods -o go-template='{{range .items}}{{.metadata.name}}{{end}}'",
      }),
    ).toEqual([]);
    expect(issues({ hints: ['See {{controlPlane}} and {{worker2}}.'] })).toEqual([]);
  });

  it('counts the workers a lab adds, and refuses adding one that exists', () => {
    const backends = ['embedded', 'kind'];
    expect(
      issues({
        backends,
        task: 'Drain {{worker3}}.',
        solution: [{ op: 'nodeAdd', role: 'worker3' }],
      }),
    ).toEqual([]);
    expect(issues({ backends, solution: [{ op: 'nodeAdd', role: 'worker2' }] })).toEqual([
      'solution[0].role: worker2 already exists: a new node takes a new worker role',
    ]);
  });

  it('needs embedded or kind for node operations, and a clockNote for kind when the clock jumps', () => {
    expect(solution({ op: 'nodeStop', node: '{{worker1}}' })).toEqual([
      'solution[0].op: a context backend cannot do nodeStop: list backends: [embedded, kind]',
    ]);
    expect(
      issues({
        backends: ['embedded', 'kind'],
        solution: [{ op: 'nodeStop', node: '{{worker1}}' }],
      }),
    ).toEqual([]);
    const advance = [{ op: 'advanceClock', duration: '5m' }];
    expect(issues({ backends: ['embedded', 'kind'], solution: advance })).toEqual([
      'solution[0].op: on kind the clock cannot jump: say in clockNote how long this part takes there',
    ]);
    expect(issues({ backends: ['embedded'], solution: advance })).toEqual([]);
    expect(
      issues({ backends: ['embedded', 'kind'], clockNote: 'About 5 minutes.', solution: advance }),
    ).toEqual([]);
  });

  it('takes Go durations: whole seconds, at most 24h to advance; positive timeouts', () => {
    const embedded = { backends: ['embedded'] };
    const advance = (duration: string): string[] =>
      issues({ ...embedded, solution: [{ op: 'advanceClock', duration }] });
    expect(advance('1h30m')).toEqual([]);
    expect(advance('1.5s')).toEqual(['solution[0].duration: must be whole seconds']);
    expect(advance('25h')).toEqual(['solution[0].duration: must be at most 24h']);
    expect(advance('soon')).toEqual([
      'solution[0].duration: time: invalid duration "soon" (e.g. 40s, 5m, 1h30m)',
    ]);
    expect(
      solution({
        op: 'wait',
        target: agent,
        path: '{.status.numberReady}',
        equals: 1,
        timeout: '0s',
      }),
    ).toEqual(['solution[0].timeout: must be at least 1s']);
  });

  it('refers to kinds the embedded cluster serves, with a namespace exactly when namespaced', () => {
    expect(
      solution({
        op: 'delete',
        target: { apiVersion: 'batch/v1', kind: 'Job', namespace: 'labs', name: 'j' },
      }),
    ).toEqual([
      'solution[0].target.kind: the embedded cluster does not serve Job in batch/v1 (remove embedded from backends to use it)',
    ]);
    expect(
      issues({
        backends: ['kind'],
        solution: [
          {
            op: 'delete',
            target: { apiVersion: 'batch/v1', kind: 'Job', namespace: 'labs', name: 'j' },
          },
        ],
      }),
    ).toEqual([]);
    expect(
      solution({ op: 'delete', target: { apiVersion: 'v1', kind: 'Pod', name: 'p' } }),
    ).toEqual(['solution[0].target: Pod is namespaced: missing required field "namespace"']);
    expect(
      solution({
        op: 'label',
        target: { apiVersion: 'v1', kind: 'Node', namespace: 'x', name: 'n' },
        labels: ['a=b'],
      }),
    ).toEqual(['solution[0].target.namespace: Node is cluster-scoped: it has no namespace']);
    expect(
      solution({ op: 'delete', query: { apiVersion: 'v1', kind: 'Pod', labelSelector: 'a=b' } }),
    ).toEqual([]);
  });

  it('matches a patch to its type', () => {
    expect(solution({ op: 'patch', target: agent, type: 'json', patch: { spec: {} } })).toEqual([
      'solution[0].patch: a json patch is a list of operations ({op, path, value})',
    ]);
    expect(
      solution({ op: 'patch', target: agent, patch: [{ op: 'remove', path: '/spec/x' }] }),
    ).toEqual([
      'solution[0].patch: a strategic patch is a mapping (use type: json for a list of operations)',
    ]);
    expect(solution({ op: 'patch', target: agent, patch: 'spec: {}' })).toEqual([
      'solution[0].patch: expected a mapping (strategic or merge patch) or a list of JSON patch operations',
    ]);
  });

  it('takes exactly one subject for delete, label and wait', () => {
    const query = { apiVersion: 'v1', kind: 'Pod', namespace: 'labs' };
    expect(solution({ op: 'delete', target: agent, query })).toEqual([
      'solution[0]: give exactly one of target or query',
    ]);
    expect(solution({ op: 'delete' })).toEqual([
      'solution[0]: give exactly one of target or query',
    ]);
    expect(solution({ op: 'label', node: '{{worker1}}', target: agent, labels: ['a=b'] })).toEqual([
      'solution[0]: give exactly one of node or target',
    ]);
    expect(
      solution({ op: 'wait', target: agent, path: '{.a}', equals: 1, query, count: 1 }),
    ).toEqual([
      'solution[0]: wait for a field (target, path, equals) or for a count (query, count)',
    ]);
    expect(solution({ op: 'wait', target: agent, path: '{.a}' })).toEqual([
      'solution[0]: missing required field "equals"',
    ]);
    expect(solution({ op: 'wait', target: agent, path: '.a', equals: 1 })).toEqual([
      'solution[0].path: a JSONPath as kubectl takes it, in braces: {.status.numberReady}',
    ]);
  });

  it('validates labels and taints as kubectl and the API server would', () => {
    expect(
      solution({ op: 'label', node: '{{worker1}}', labels: ['a=b=c', '-x-', 'ok=', 'gone-'] }),
    ).toEqual([
      expect.stringMatching(/^solution\[0\]\.labels\[0\]: invalid label value "b=c": /),
      expect.stringMatching(/^solution\[0\]\.labels\[1\]: invalid label key "-x": /),
    ]);
    expect(
      solution({
        op: 'taint',
        node: '{{worker1}}',
        taints: ['gpu=true', 'gpu:Never', 'a=b:NoSchedule-'],
      }),
    ).toEqual([
      'solution[0].taints[0]: invalid taint "gpu=true": expected key=value:Effect or key:Effect',
      'solution[0].taints[1]: invalid taint effect "Never": expected one of NoSchedule, PreferNoSchedule, NoExecute',
      'solution[0].taints[2]: invalid taint to remove "a=b:NoSchedule-": expected key- or key:Effect-',
    ]);
    expect(
      issues({
        cluster: { workers: 1, nodes: { worker1: { labels: { 'a b': 'x', disk: 's sd' } } } },
      }),
    ).toEqual([
      'cluster.nodes.worker1.labels.a b: Invalid key in record',
      expect.stringMatching(/^cluster\.nodes\.worker1\.labels\.disk: invalid label value "s sd": /),
    ]);
    expect(issues({ cluster: { workers: 1, nodes: { worker1: { taints: ['gpu-'] } } } })).toEqual([
      'cluster.nodes.worker1.taints[0]: a taint to add is key=value:Effect or key:Effect',
    ]);
  });
});

describe('parseLabelChange and parseTaintChange', () => {
  it('parse the forms kubectl takes', () => {
    expect(parseLabelChange('disk=ssd')).toEqual({ key: 'disk', value: 'ssd', remove: false });
    expect(parseLabelChange('example.com/tier=')).toEqual({
      key: 'example.com/tier',
      value: '',
      remove: false,
    });
    expect(parseLabelChange('disk-')).toEqual({ key: 'disk', remove: true });
    expect(parseTaintChange('gpu=true:NoSchedule')).toEqual({
      key: 'gpu',
      value: 'true',
      effect: 'NoSchedule',
      remove: false,
    });
    expect(parseTaintChange('gpu:NoExecute')).toEqual({
      key: 'gpu',
      value: '',
      effect: 'NoExecute',
      remove: false,
    });
    expect(parseTaintChange('gpu-')).toEqual({ key: 'gpu', remove: true });
    expect(parseTaintChange('gpu:PreferNoSchedule-')).toEqual({
      key: 'gpu',
      effect: 'PreferNoSchedule',
      remove: true,
    });
  });
});

describe('placeholderProblems', () => {
  it('judges only names that look like roles', () => {
    const workers = new Set(['worker1']);
    expect(placeholderProblems('{{controlPlane}} {{worker1}} {{end}} {{.x}}', workers)).toEqual([]);
    expect(placeholderProblems('{{worker2}} {{master}} {{node1}}', workers)).toEqual([
      '"{{worker2}}": the lab has 1 worker (cluster.workers and nodeAdd)',
      '"{{master}}" is not a role: a node is written by role: {{controlPlane}}, {{worker1}}, {{worker2}}…',
      '"{{node1}}" is not a role: a node is written by role: {{controlPlane}}, {{worker1}}, {{worker2}}…',
    ]);
  });
});

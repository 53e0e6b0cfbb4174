import { describe, expect, it } from 'vitest';
import { kubectlCommand, resourceWord, shellQuote } from './commands';
import { rolesFor } from './roles';
import { Operation, type LabOperation, type Manifest } from './schema';

const roles = rolesFor(['lab-control-plane', 'lab-worker', 'lab-worker2']);
const agent = { apiVersion: 'apps/v1', kind: 'DaemonSet', namespace: 'labs', name: 'agent' };
const web = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'labs', name: 'web' };

/** An operation as lab.yaml would write it (defaults applied by the schema). */
function op(input: Record<string, unknown>): LabOperation {
  const parsed = Operation.parse(input);
  if (parsed.op === 'apply') throw new Error('use applyOf');
  return parsed;
}

function applyOf(text: string): LabOperation {
  const manifest: Manifest = { text, objects: [] };
  return { op: 'apply', manifest };
}

function command(input: Record<string, unknown>): string | undefined {
  return kubectlCommand(op(input), roles);
}

describe('kubectlCommand', () => {
  it('apply: a quoted heredoc, so nothing in the manifest is expanded', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: "$HOME `x`"\n';
    expect(kubectlCommand(applyOf(text), roles)).toBe(`kubectl apply -f - <<'EOF'\n${text}EOF`);
  });

  it('apply: resolves roles in the manifest and ends it with a newline', () => {
    const text = "spec:\n  nodeName: '{{worker2}}'";
    expect(kubectlCommand(applyOf(text), roles)).toBe(
      "kubectl apply -f - <<'EOF'\nspec:\n  nodeName: 'lab-worker2'\nEOF",
    );
  });

  it('apply: picks a heredoc delimiter no line of the manifest equals', () => {
    expect(kubectlCommand(applyOf('a: 1\nEOF\nEOF1\n'), roles)).toBe(
      "kubectl apply -f - <<'EOF2'\na: 1\nEOF\nEOF1\nEOF2",
    );
  });

  it('patch: strategic by default (no --type), merge and json with --type', () => {
    expect(command({ op: 'patch', target: agent, patch: { spec: { minReadySeconds: 5 } } })).toBe(
      `kubectl patch daemonset agent -n labs -p '{"spec":{"minReadySeconds":5}}'`,
    );
    expect(
      command({ op: 'patch', target: web, type: 'merge', patch: { spec: { replicas: 3 } } }),
    ).toBe(`kubectl patch deployment web -n labs --type=merge -p '{"spec":{"replicas":3}}'`);
    expect(
      command({
        op: 'patch',
        target: web,
        type: 'json',
        patch: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: "it's" }],
      }),
    ).toBe(
      `kubectl patch deployment web -n labs --type=json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"it'\\''s"}]'`,
    );
  });

  it('patch: a cluster-scoped object has no -n', () => {
    expect(
      command({
        op: 'patch',
        target: { apiVersion: 'v1', kind: 'Node', name: '{{worker1}}' },
        patch: { spec: { unschedulable: true } },
      }),
    ).toBe(`kubectl patch node lab-worker -p '{"spec":{"unschedulable":true}}'`);
  });

  it('delete: one object, with cascade and grace period (0 forces)', () => {
    expect(command({ op: 'delete', target: agent })).toBe('kubectl delete daemonset agent -n labs');
    expect(command({ op: 'delete', target: web, cascade: 'orphan' })).toBe(
      'kubectl delete deployment web -n labs --cascade=orphan',
    );
    expect(command({ op: 'delete', target: agent, gracePeriodSeconds: 5 })).toBe(
      'kubectl delete daemonset agent -n labs --grace-period=5',
    );
    expect(
      command({
        op: 'delete',
        target: { apiVersion: 'v1', kind: 'Pod', namespace: 'labs', name: 'p' },
        gracePeriodSeconds: 0,
      }),
    ).toBe('kubectl delete pod p -n labs --grace-period=0 --force');
  });

  it('delete: a query, by selectors, in every namespace (-A), or all of a kind (--all)', () => {
    expect(
      command({
        op: 'delete',
        query: {
          apiVersion: 'v1',
          kind: 'Pod',
          namespace: 'labs',
          labelSelector: 'app=web,tier!=db',
          fieldSelector: 'spec.nodeName={{worker1}}',
        },
      }),
    ).toBe(
      "kubectl delete pods -n labs -l 'app=web,tier!=db' --field-selector spec.nodeName=lab-worker",
    );
    expect(
      command({ op: 'delete', query: { apiVersion: 'v1', kind: 'Pod', labelSelector: 'app=x' } }),
    ).toBe('kubectl delete pods -A -l app=x');
    expect(
      command({
        op: 'delete',
        query: { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: 'labs' },
      }),
    ).toBe('kubectl delete replicasets -n labs --all');
    expect(
      command({
        op: 'delete',
        query: { apiVersion: 'v1', kind: 'Node', labelSelector: 'gone=yes' },
      }),
    ).toBe('kubectl delete nodes -l gone=yes');
  });

  it('label: a node or an object, set and remove forms, --overwrite', () => {
    expect(command({ op: 'label', node: '{{worker2}}', labels: ['disk=ssd', 'zone-'] })).toBe(
      'kubectl label node lab-worker2 disk=ssd zone-',
    );
    expect(
      command({ op: 'label', node: '{{controlPlane}}', labels: ['disk=hdd'], overwrite: true }),
    ).toBe('kubectl label node lab-control-plane disk=hdd --overwrite');
    expect(command({ op: 'label', target: web, labels: ['tier=front'] })).toBe(
      'kubectl label deployment web -n labs tier=front',
    );
  });

  it('taint: add and remove forms, --overwrite', () => {
    expect(command({ op: 'taint', node: '{{worker2}}', taints: ['gpu=true:NoSchedule'] })).toBe(
      'kubectl taint node lab-worker2 gpu=true:NoSchedule',
    );
    expect(
      command({
        op: 'taint',
        node: '{{worker1}}',
        taints: ['gpu:NoSchedule-', 'maint-', 'example.com/x:NoExecute'],
        overwrite: true,
      }),
    ).toBe(
      'kubectl taint node lab-worker gpu:NoSchedule- maint- example.com/x:NoExecute --overwrite',
    );
  });

  it('cordon and uncordon', () => {
    expect(command({ op: 'cordon', node: '{{worker1}}' })).toBe('kubectl cordon lab-worker');
    expect(command({ op: 'uncordon', node: '{{worker1}}' })).toBe('kubectl uncordon lab-worker');
  });

  it('what kubectl cannot do is a kubelab command', () => {
    expect(
      command({
        op: 'nodeAdd',
        role: 'worker3',
        labels: { disk: 'ssd', zone: 'a' },
        taints: ['gpu=true:NoSchedule', 'maint:NoExecute'],
      }),
    ).toBe(
      'kubelab node add --name lab-worker3 --labels disk=ssd,zone=a --taints gpu=true:NoSchedule,maint:NoExecute',
    );
    expect(command({ op: 'nodeAdd', role: 'worker3' })).toBe('kubelab node add --name lab-worker3');
    expect(command({ op: 'nodeRemove', node: '{{worker2}}' })).toBe(
      'kubelab node remove lab-worker2',
    );
    expect(command({ op: 'nodeStop', node: '{{worker1}}' })).toBe('kubelab node stop lab-worker');
    expect(command({ op: 'nodeStart', node: '{{worker1}}' })).toBe('kubelab node start lab-worker');
    expect(command({ op: 'advanceClock', duration: '5m' })).toBe('kubelab cluster advance 5m');
  });

  it('rolloutUndo: to the previous revision or a given one', () => {
    expect(
      command({
        op: 'rolloutUndo',
        kind: 'DaemonSet',
        name: 'agent',
        namespace: 'labs',
        toRevision: 1,
      }),
    ).toBe('kubectl rollout undo daemonset/agent -n labs --to-revision=1');
    expect(command({ op: 'rolloutUndo', kind: 'Deployment', name: 'web', namespace: 'labs' })).toBe(
      'kubectl rollout undo deployment/web -n labs',
    );
  });

  it('wait for a field: kubectl wait --for=jsonpath, the timeout in seconds (default 60s)', () => {
    expect(
      command({
        op: 'wait',
        target: agent,
        path: '{.status.numberReady}',
        equals: 3,
        timeout: '2m',
      }),
    ).toBe(
      "kubectl wait daemonset/agent -n labs --for=jsonpath='{.status.numberReady}'=3 --timeout=120s",
    );
    expect(
      command({
        op: 'wait',
        target: { apiVersion: 'v1', kind: 'Node', name: '{{worker2}}' },
        path: '{.status.conditions[?(@.type=="Ready")].status}',
        equals: 'True',
      }),
    ).toBe(
      `kubectl wait node/lab-worker2 --for=jsonpath='{.status.conditions[?(@.type=="Ready")].status}'=True --timeout=60s`,
    );
    expect(
      command({ op: 'wait', target: web, path: '{.metadata.labels.tier}', equals: 'a b' }),
    ).toBe(
      "kubectl wait deployment/web -n labs --for=jsonpath='{.metadata.labels.tier}'='a b' --timeout=60s",
    );
  });

  it('wait for a count: --for=delete for none, a polling loop otherwise', () => {
    const pods = {
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: 'labs',
      labelSelector: 'app in (web)',
    };
    expect(command({ op: 'wait', query: pods, count: 0, timeout: '30s' })).toBe(
      "kubectl wait pods -n labs -l 'app in (web)' --for=delete --timeout=30s",
    );
    expect(command({ op: 'wait', query: { ...pods, labelSelector: 'app=agent' }, count: 3 })).toBe(
      `timeout 60 sh -c 'until [ "$(kubectl get pods -n labs -l app=agent -o name | wc -l)" -eq 3 ]; do sleep 1; done'`,
    );
    expect(command({ op: 'wait', query: pods, count: 2 })).toBe(
      `timeout 60 sh -c 'until [ "$(kubectl get pods -n labs -l '\\''app in (web)'\\'' -o name | wc -l)" -eq 2 ]; do sleep 1; done'`,
    );
  });

  it('has a command for every operation kind', () => {
    const samples: LabOperation[] = [
      applyOf('a: 1\n'),
      op({ op: 'patch', target: web, patch: {} }),
      op({ op: 'delete', target: web }),
      op({ op: 'label', node: '{{worker1}}', labels: ['a=b'] }),
      op({ op: 'taint', node: '{{worker1}}', taints: ['a:NoSchedule'] }),
      op({ op: 'cordon', node: '{{worker1}}' }),
      op({ op: 'uncordon', node: '{{worker1}}' }),
      op({ op: 'nodeAdd', role: 'worker3' }),
      op({ op: 'nodeRemove', node: '{{worker1}}' }),
      op({ op: 'nodeStop', node: '{{worker1}}' }),
      op({ op: 'nodeStart', node: '{{worker1}}' }),
      op({ op: 'advanceClock', duration: '1m' }),
      op({ op: 'rolloutUndo', kind: 'Deployment', name: 'web', namespace: 'labs' }),
      op({ op: 'wait', target: web, path: '{.a}', equals: 1 }),
    ];
    expect(new Set(samples.map((sample) => sample.op)).size).toBe(Operation.options.length);
    for (const sample of samples) expect(kubectlCommand(sample, roles)).toMatch(/^kube(ctl|lab) /);
  });
});

describe('resourceWord', () => {
  it('uses the singular or plural of the resource table', () => {
    expect(resourceWord('apps/v1', 'DaemonSet')).toBe('daemonset');
    expect(resourceWord('v1', 'Pod', true)).toBe('pods');
  });

  it('qualifies a kind another group also serves, and kinds the table does not know', () => {
    expect(resourceWord('v1', 'Event', true)).toBe('events');
    expect(resourceWord('events.k8s.io/v1', 'Event', true)).toBe('events.v1.events.k8s.io');
    expect(resourceWord('batch/v1', 'Job')).toBe('job.v1.batch');
    expect(resourceWord('v1', 'Widget')).toBe('widget');
  });
});

describe('shellQuote', () => {
  it('leaves safe words alone and single-quotes the rest', () => {
    expect(shellQuote('gpu=true:NoSchedule')).toBe('gpu=true:NoSchedule');
    expect(shellQuote('tier!=db')).toBe("'tier!=db'");
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('')).toBe("''");
  });
});

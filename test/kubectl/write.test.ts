// Writing through the real kubectl: apply (create, changed, unchanged, server-side, dry-run),
// create -f, the protobuf-bodied `create deployment|namespace|configmap|secret`, replace, the
// three patch types, label, annotate, taint, cordon, scale, set image and delete's cascade states.
// Each test works in a namespace of its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalize, startTestCluster, type TestCluster } from '../support/cluster';

let lab: TestCluster;
let counter = 0;

beforeAll(async () => {
  lab = await startTestCluster({ workers: 2 });
});

afterAll(async () => {
  await lab?.stop();
});

async function run(
  args: string[],
  stdin?: string,
): Promise<{ stdout: string; stderr: string; code: number }> {
  return lab.kubectl(args, stdin === undefined ? {} : { stdin });
}

async function ok(args: string[], stdin?: string): Promise<string> {
  const result = await run(args, stdin);
  expect(result.stderr, `kubectl ${args.join(' ')}`).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
}

/** A namespace for one test; tests whose goldens show it pass a fixed name. */
async function namespace(fixed?: string): Promise<string> {
  const name = fixed ?? `t${++counter}`;
  await ok(['create', 'namespace', name]);
  return name;
}

const daemonSet = (ns: string, image: string, mode: string): string => `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  namespace: ${ns}
spec:
  selector:
    matchLabels:
      app: agent
  template:
    metadata:
      labels:
        app: agent
    spec:
      containers:
      - name: agent
        image: ${image}
        command: ["sleep", "3600"]
        env:
        - name: MODE
          value: ${mode}
`;

describe('kubectl writes to the embedded cluster', () => {
  it('apply creates, configures with a strategic merge patch, and leaves an unchanged object alone', async () => {
    const ns = await namespace();
    const file = await lab.file(`${ns}-ds.yaml`, daemonSet(ns, 'busybox:1.36', 'one'));
    expect(await ok(['apply', '-f', file])).toBe('daemonset.apps/agent created\n');
    await lab.file(`${ns}-ds.yaml`, daemonSet(ns, 'busybox:1.37', 'two'));
    expect(await ok(['apply', '-f', file])).toBe('daemonset.apps/agent configured\n');
    expect(await ok(['apply', '-f', file])).toBe('daemonset.apps/agent unchanged\n');
    const state = await ok([
      'get',
      'ds',
      'agent',
      '-n',
      ns,
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].env[0].value} {.metadata.generation} {.metadata.annotations.deprecated\\.daemonset\\.template\\.generation}',
    ]);
    expect(state).toBe('busybox:1.37 two 2 2');
    await lab.settle();
    await expect(
      normalize(await ok(['get', 'ds', 'agent', '-n', ns, '-o', 'yaml'])),
    ).toMatchFileSnapshot('goldens/applied-daemonset.yaml');
  });

  it('apply --dry-run=server changes nothing; apply --server-side creates and updates', async () => {
    const ns = await namespace();
    const file = await lab.file(`${ns}-ds.yaml`, daemonSet(ns, 'busybox:1.36', 'one'));
    expect(await ok(['apply', '-f', file, '--dry-run=server'])).toBe(
      'daemonset.apps/agent created (server dry run)\n',
    );
    expect((await run(['get', 'ds', 'agent', '-n', ns])).stderr).toBe(
      'Error from server (NotFound): daemonsets.apps "agent" not found\n',
    );
    expect(await ok(['apply', '--server-side', '-f', file])).toBe(
      'daemonset.apps/agent serverside-applied\n',
    );
    await lab.file(`${ns}-ds.yaml`, daemonSet(ns, 'busybox:1.37', 'one'));
    expect(await ok(['apply', '--server-side', '-f', file])).toBe(
      'daemonset.apps/agent serverside-applied\n',
    );
    expect(
      await ok([
        'get',
        'ds',
        'agent',
        '-n',
        ns,
        '-o',
        'jsonpath={.spec.template.spec.containers[0].image}',
      ]),
    ).toBe('busybox:1.37');
  });

  it('server-side apply tracks field managers, conflicts in upstream wording, and forces', async () => {
    const ns = await namespace();
    const file = await lab.file(`${ns}-ds.yaml`, daemonSet(ns, 'busybox:1.36', 'one'));
    expect(await ok(['apply', '--server-side', '-f', file])).toBe(
      'daemonset.apps/agent serverside-applied\n',
    );
    // Another manager changes the image ...
    await ok(['set', 'image', 'ds/agent', 'agent=busybox:1.38', '-n', ns]);
    // ... so an apply that sets it to something else conflicts with that manager.
    await lab.file(`${ns}-ds.yaml`, daemonSet(ns, 'busybox:1.37', 'one'));
    const conflict = await run(['apply', '--server-side', '-f', file]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr.split('\n')[0]).toBe(
      'error: Apply failed with 1 conflict: conflict with "kubectl-set" using apps/v1: .spec.template.spec.containers[name="agent"].image',
    );
    expect(await ok(['apply', '--server-side', '--force-conflicts', '-f', file])).toBe(
      'daemonset.apps/agent serverside-applied\n',
    );
    const managers = JSON.parse(
      await ok(['get', 'ds', 'agent', '-n', ns, '--show-managed-fields', '-o', 'json']),
    ) as {
      metadata: {
        managedFields: Array<{ manager: string; operation: string; subresource?: string }>;
      };
    };
    // kubectl-set owned only the image; forced away from it, its entry goes. The DaemonSet
    // controller owns the status it writes.
    expect(
      managers.metadata.managedFields.map(
        (m) => `${m.manager}/${m.operation}${m.subresource ? `/${m.subresource}` : ''}`,
      ),
    ).toEqual(['kubectl/Apply', 'kube-controller-manager/Update/status']);
    // Upgrading from client-side apply: kubectl may take the fields its last-applied
    // configuration names (lastAppliedManager), so that apply does not conflict.
    const upgraded = await namespace();
    const csa = await lab.file(`${upgraded}-ds.yaml`, daemonSet(upgraded, 'busybox:1.36', 'one'));
    await ok(['apply', '-f', csa]);
    await lab.file(`${upgraded}-ds.yaml`, daemonSet(upgraded, 'busybox:1.37', 'one'));
    expect(await ok(['apply', '--server-side', '-f', csa])).toBe(
      'daemonset.apps/agent serverside-applied\n',
    );
  });

  it('create deployment records the managedFields a real apiserver does', async () => {
    const ns = await namespace();
    await ok(['create', 'deployment', 'nginx', '--image=nginx', '-n', ns]);
    const yaml = await ok([
      'get',
      'deployment',
      'nginx',
      '-n',
      ns,
      '--show-managed-fields',
      '-o',
      'jsonpath={.metadata.managedFields[?(@.manager=="kubectl-create")]}',
    ]);
    const entry = JSON.parse(yaml) as Record<string, unknown>;
    expect(entry).toMatchObject({
      manager: 'kubectl-create',
      operation: 'Update',
      apiVersion: 'apps/v1',
      fieldsType: 'FieldsV1',
    });
    await expect(JSON.stringify(entry.fieldsV1, null, 2)).toMatchFileSnapshot(
      'goldens/create-deployment-fieldsv1.json',
    );
  });

  it('create -f, then create again is AlreadyExists', async () => {
    const ns = await namespace();
    const file = await lab.file(
      `${ns}-cm.yaml`,
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ${ns}\ndata:\n  mode: fast\n`,
    );
    expect(await ok(['create', '-f', file])).toBe('configmap/settings created\n');
    const again = await run(['create', '-f', file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      `Error from server (AlreadyExists): error when creating "${file}": configmaps "settings" already exists\n`,
    );
  });

  it('create deployment, namespace, configmap and secret (protobuf bodies) store what JSON would', async () => {
    const ns = await namespace('proto');
    expect(
      await ok(['create', 'deployment', 'web', '--image=nginx', '--replicas=3', '-n', ns]),
    ).toBe('deployment.apps/web created\n');
    expect(
      await ok([
        'create',
        'configmap',
        'cfg',
        '--from-literal=a=b',
        '--from-literal=c=d',
        '-n',
        ns,
      ]),
    ).toBe('configmap/cfg created\n');
    expect(
      await ok(['create', 'secret', 'generic', 'pw', '--from-literal=password=s3cret', '-n', ns]),
    ).toBe('secret/pw created\n');
    expect(await ok(['create', 'namespace', `${ns}-extra`])).toBe(
      `namespace/${ns}-extra created\n`,
    );
    await lab.settle();
    await expect(
      normalize(await ok(['get', 'deployment', 'web', '-n', ns, '-o', 'yaml'])),
    ).toMatchFileSnapshot('goldens/created-deployment.yaml');
    expect(await ok(['get', 'cm', 'cfg', '-n', ns, '-o', 'jsonpath={.data}'])).toBe(
      '{"a":"b","c":"d"}',
    );
    expect(
      await ok(['get', 'secret', 'pw', '-n', ns, '-o', 'jsonpath={.type} {.data.password}']),
    ).toBe(`Opaque ${Buffer.from('s3cret').toString('base64')}`);
    expect(
      await ok([
        'get',
        'ns',
        `${ns}-extra`,
        '-o',
        'jsonpath={.metadata.labels} {.spec.finalizers} {.status.phase}',
      ]),
    ).toBe(`{"kubernetes.io/metadata.name":"${ns}-extra"} ["kubernetes"] Active`);
    expect(
      await ok(['create', 'deployment', 'dry', '--image=nginx', '-n', ns, '--dry-run=server']),
    ).toBe('deployment.apps/dry created (server dry run)\n');
  });

  it('replace, and patch with strategic, merge and JSON patches', async () => {
    const ns = await namespace();
    await ok(['create', 'deployment', 'web', '--image=nginx:1.25', '-n', ns]);
    const live = await ok(['get', 'deploy', 'web', '-n', ns, '-o', 'yaml']);
    const file = await lab.file(`${ns}-web.yaml`, live.replace('replicas: 1', 'replicas: 2'));
    expect(await ok(['replace', '-f', file])).toBe('deployment.apps/web replaced\n');
    expect(
      await ok([
        'patch',
        'deploy',
        'web',
        '-n',
        ns,
        '-p',
        '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}}}',
      ]),
    ).toBe('deployment.apps/web patched\n');
    expect(
      await ok([
        'patch',
        'deploy',
        'web',
        '-n',
        ns,
        '--type=merge',
        '-p',
        '{"metadata":{"labels":{"tier":"frontend"}}}',
      ]),
    ).toBe('deployment.apps/web patched\n');
    expect(
      await ok([
        'patch',
        'deploy',
        'web',
        '-n',
        ns,
        '--type=json',
        '-p',
        '[{"op":"replace","path":"/spec/replicas","value":4}]',
      ]),
    ).toBe('deployment.apps/web patched\n');
    expect(
      await ok([
        'get',
        'deploy',
        'web',
        '-n',
        ns,
        '-o',
        'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image} {.metadata.labels.tier} {.metadata.generation}',
      ]),
    ).toBe('4 nginx:1.27 frontend 4');
    const stale = await lab.file(`${ns}-stale.yaml`, live);
    const conflict = await run(['replace', '-f', stale]);
    expect(conflict.stderr).toBe(
      `Error from server (Conflict): error when replacing "${stale}": Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again\n`,
    );
    const failedTest = await run([
      'patch',
      'deploy',
      'web',
      '-n',
      ns,
      '--type=json',
      '-p',
      '[{"op":"test","path":"/spec/replicas","value":9}]',
    ]);
    expect(failedTest.stderr).toBe(
      'The request is invalid: the server rejected our request due to an error in our request\n',
    );
  });

  it('label, annotate, taint, cordon and uncordon a node', async () => {
    expect(await ok(['label', 'node', 'lab-worker', 'disk=ssd'])).toBe('node/lab-worker labeled\n');
    expect(await ok(['annotate', 'node', 'lab-worker', 'owner=team-a'])).toBe(
      'node/lab-worker annotated\n',
    );
    expect(await ok(['taint', 'node', 'lab-worker2', 'dedicated=gpu:NoSchedule'])).toBe(
      'node/lab-worker2 tainted\n',
    );
    expect(await ok(['cordon', 'lab-worker2'])).toBe('node/lab-worker2 cordoned\n');
    await expect(await ok(['get', 'nodes', '-L', 'disk'])).toMatchFileSnapshot(
      'goldens/nodes-after-writes.txt',
    );
    // The node lifecycle controller adds the cordon taint (TaintNodesByCondition).
    await lab.settle();
    expect(
      normalize(await ok(['get', 'node', 'lab-worker2', '-o', 'jsonpath={.spec.taints}'])),
    ).toBe(
      '[{"effect":"NoSchedule","key":"dedicated","value":"gpu"},{"effect":"NoSchedule","key":"node.kubernetes.io/unschedulable","timeAdded":"<time>"}]',
    );
    expect(await ok(['taint', 'node', 'lab-worker2', 'dedicated=gpu:NoSchedule-'])).toBe(
      'node/lab-worker2 untainted\n',
    );
    expect(await ok(['uncordon', 'lab-worker2'])).toBe('node/lab-worker2 uncordoned\n');
    await lab.settle();
    expect(await ok(['label', 'node', 'lab-worker', 'disk-'])).toBe('node/lab-worker unlabeled\n');
    expect(await ok(['get', 'node', 'lab-worker2', '-o', 'jsonpath={.spec}'])).toBe(
      '{"podCIDR":"10.244.2.0/24","podCIDRs":["10.244.2.0/24"],"providerID":"kind://docker/kubelab/lab-worker2"}',
    );
  });

  it('scale and set image', async () => {
    const ns = await namespace();
    await ok(['create', 'deployment', 'web', '--image=nginx', '-n', ns]);
    expect(await ok(['scale', 'deployment', 'web', '--replicas=5', '-n', ns])).toBe(
      'deployment.apps/web scaled\n',
    );
    expect(await ok(['set', 'image', 'deployment/web', 'nginx=nginx:1.27', '-n', ns])).toBe(
      'deployment.apps/web image updated\n',
    );
    expect(
      await ok([
        'get',
        'deploy',
        'web',
        '-n',
        ns,
        '-o',
        'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image}',
      ]),
    ).toBe('5 nginx:1.27');
    await lab.settle();
    const scale = JSON.parse(
      await ok(['get', '--raw', `/apis/apps/v1/namespaces/${ns}/deployments/web/scale`]),
    ) as { spec: unknown; status: unknown };
    expect(scale.spec).toEqual({ replicas: 5 });
    // The rollout to nginx:1.27 has finished: 5 pods, all of the new template.
    expect(scale.status).toEqual({ replicas: 5, selector: 'app=web' });
  });

  it('delete with --cascade=orphan|foreground|background: the wire states, then the garbage collector', async () => {
    const ns = await namespace();
    for (const name of ['orphaned', 'foreground', 'background']) {
      await ok(['create', 'deployment', name, '--image=nginx', '-n', ns]);
    }
    await lab.settle();
    // The DELETE answers the object as stored: finalizer set, deletionTimestamp stamped.
    const deleted = (name: string, policy: string): Promise<string> =>
      ok([
        'delete',
        '--raw',
        `/apis/apps/v1/namespaces/${ns}/deployments/${name}?propagationPolicy=${policy}`,
      ]);
    const state = (json: string): string => {
      const { metadata } = JSON.parse(json) as {
        metadata: {
          finalizers?: string[];
          deletionGracePeriodSeconds?: number;
          deletionTimestamp?: string;
        };
      };
      return normalize(
        `${JSON.stringify(metadata.finalizers)} ${metadata.deletionGracePeriodSeconds} ${metadata.deletionTimestamp}`,
      );
    };
    expect(state(await deleted('orphaned', 'Orphan'))).toBe('["orphan"] 0 <time>');
    expect(state(await deleted('foreground', 'Foreground'))).toBe(
      '["foregroundDeletion"] 0 <time>',
    );
    expect(await ok(['delete', 'deploy', 'background', '-n', ns])).toBe(
      'deployment.apps "background" deleted\n',
    );
    await lab.settle();
    // The garbage collector finishes each: the orphaned Deployment's ReplicaSet and pods stay,
    // without an owner; the others' go with them.
    expect(await ok(['get', 'deploy', '-n', ns, '-o', 'name'])).toBe('');
    const replicaSets = JSON.parse(await ok(['get', 'rs', '-n', ns, '-o', 'json'])) as {
      items: Array<{ metadata: { name: string; ownerReferences?: unknown[] } }>;
    };
    expect(
      replicaSets.items.map((rs) => [
        rs.metadata.name.replace(/-[4-9bcdf]+$/, ''),
        rs.metadata.ownerReferences,
      ]),
    ).toEqual([['orphaned', undefined]]);
    expect(normalize(await ok(['get', 'pods', '-n', ns, '-o', 'name']))).toMatch(
      /^pod\/orphaned-\S+\n$/,
    );
  });

  it('deleting a namespace removes it and its content', async () => {
    const ns = await namespace();
    await ok(['create', 'configmap', 'c', '--from-literal=a=b', '-n', ns]);
    expect(await ok(['delete', 'namespace', ns])).toBe(`namespace "${ns}" deleted\n`);
    expect((await run(['get', 'namespace', ns])).stderr).toBe(
      `Error from server (NotFound): namespaces "${ns}" not found\n`,
    );
    // kubectl checks the namespace itself after a NotFound, as against any cluster.
    expect((await run(['get', 'configmap', 'c', '-n', ns])).stderr).toBe(
      `Error from server (NotFound): namespaces "${ns}" not found\n`,
    );
    const immortal = await run(['delete', 'namespace', 'kube-system']);
    expect(immortal.stderr).toBe(
      'Error from server (Forbidden): namespaces "kube-system" is forbidden: this namespace may not be deleted\n',
    );
  });

  it('refuses to create in a namespace that does not exist', async () => {
    const missing = await run(['create', 'configmap', 'x', '--from-literal=a=b', '-n', 'nowhere']);
    expect(missing.stderr).toBe(
      'error: failed to create configmap: namespaces "nowhere" not found\n',
    );
  });
});

// Reading a fresh embedded cluster with the real kubectl: version, discovery, tables, output
// formats. Outputs are compared with golden files (update with `npx vitest -u`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalize, startTestCluster, type TestCluster } from '../support/cluster';

let lab: TestCluster;

beforeAll(async () => {
  lab = await startTestCluster({ workers: 3 });
});

afterAll(async () => {
  await lab?.stop();
});

async function ok(args: string[]): Promise<string> {
  const result = await lab.kubectl(args);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
}

describe('kubectl reads the embedded cluster', () => {
  it('version reports the pinned Kubernetes version', async () => {
    const out = await ok(['version', '-o', 'json']);
    const version = JSON.parse(out) as {
      serverVersion: { major: string; minor: string; gitVersion: string };
    };
    expect(version.serverVersion).toMatchObject({
      major: '1',
      minor: '30',
      gitVersion: 'v1.30.14',
    });
  });

  it('api-resources lists every resource with its short names', async () => {
    await expect(await ok(['api-resources'])).toMatchFileSnapshot('goldens/api-resources.txt');
  });

  it('cluster-info names the control plane and CoreDNS', async () => {
    const out = normalize(await ok(['cluster-info']));
    expect(out).toContain(
      'Kubernetes control plane\u001b[0m is running at \u001b[0;33mhttps://127.0.0.1:<port>',
    );
    expect(out).toContain(
      'CoreDNS\u001b[0m is running at \u001b[0;33mhttps://127.0.0.1:<port>/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy',
    );
  });

  it('get nodes, plain and wide, with labels and label columns', async () => {
    await expect(await ok(['get', 'nodes'])).toMatchFileSnapshot('goldens/get-nodes.txt');
    await expect(await ok(['get', 'nodes', '-o', 'wide'])).toMatchFileSnapshot(
      'goldens/get-nodes-wide.txt',
    );
    await expect(await ok(['get', 'nodes', '--show-labels'])).toMatchFileSnapshot(
      'goldens/get-nodes-labels.txt',
    );
    await expect(
      await ok(['get', 'nodes', '-L', 'kubernetes.io/hostname', '--sort-by=.metadata.name']),
    ).toMatchFileSnapshot('goldens/get-nodes-L.txt');
  });

  it('get across namespaces and get all', async () => {
    await expect(await ok(['get', 'namespaces'])).toMatchFileSnapshot('goldens/get-namespaces.txt');
    await expect(
      await ok(['get', 'serviceaccounts,configmaps,services', '-A']),
    ).toMatchFileSnapshot('goldens/get-sa-cm-svc-A.txt');
    // Pod names end in random suffixes: normalised.
    await expect(normalize(await ok(['get', 'all', '-A']))).toMatchFileSnapshot(
      'goldens/get-all-A.txt',
    );
  });

  it('get one object as YAML and through JSONPath', async () => {
    await expect(
      normalize(await ok(['get', 'node', 'lab-control-plane', '-o', 'yaml'])),
    ).toMatchFileSnapshot('goldens/node-control-plane.yaml');
    expect(
      await ok([
        'get',
        'node',
        'lab-control-plane',
        '-o',
        'jsonpath={.spec.taints[0].key}={.spec.taints[0].effect}',
      ]),
    ).toBe('node-role.kubernetes.io/control-plane=NoSchedule');
    expect(await ok(['get', 'svc', 'kubernetes', '-o', 'name'])).toBe('service/kubernetes\n');
  });

  it('explain prints field documentation from the served OpenAPI', async () => {
    await expect(await ok(['explain', 'daemonset.spec.updateStrategy'])).toMatchFileSnapshot(
      'goldens/explain-ds-updatestrategy.txt',
    );
    const rolling = await ok(['explain', 'deployment.spec.strategy.rollingUpdate.maxSurge']);
    expect(rolling).toContain('FIELD: maxSurge <IntOrString>');
    expect(rolling).not.toContain('<no description>');
  });

  it('describe shows a node', async () => {
    await expect(normalize(await ok(['describe', 'node', 'lab-worker']))).toMatchFileSnapshot(
      'goldens/describe-node.txt',
    );
  });

  it('describe node lists the events of the kubelet starting the node, as on kind', async () => {
    const out = await ok(['describe', 'node', 'lab-worker']);
    const rows = out
      .slice(out.indexOf('\nEvents:\n'))
      .split('\n')
      .slice(4)
      .filter((line) => line.trim())
      .map((line) => line.trim().split(/\s{2,}/));
    // Type, Reason, Age, From, Message; ages aside.
    const lines = rows.map(([type, reason, , from, message]) => [type, reason, from, message]);
    expect(lines.filter(([, , from]) => from === 'kubelet')).toEqual([
      ['Normal', 'Starting', 'kubelet', 'Starting kubelet.'],
      [
        'Normal',
        'NodeHasSufficientMemory',
        'kubelet',
        'Node lab-worker status is now: NodeHasSufficientMemory',
      ],
      [
        'Normal',
        'NodeHasNoDiskPressure',
        'kubelet',
        'Node lab-worker status is now: NodeHasNoDiskPressure',
      ],
      [
        'Normal',
        'NodeHasSufficientPID',
        'kubelet',
        'Node lab-worker status is now: NodeHasSufficientPID',
      ],
      [
        'Normal',
        'NodeAllocatableEnforced',
        'kubelet',
        'Updated Node Allocatable limit across pods',
      ],
      ['Normal', 'NodeReady', 'kubelet', 'Node lab-worker status is now: NodeReady'],
    ]);
    expect(lines).toContainEqual([
      'Normal',
      'RegisteredNode',
      'node-controller',
      'Node lab-worker event: Registered Node lab-worker in Controller',
    ]);
    // kube-proxy's birth cry, an events.k8s.io Event with an empty note.
    expect(lines).toContainEqual(['Normal', 'Starting', 'kube-proxy', undefined]);
    const events = JSON.parse(await ok(['get', 'events', '-n', 'default', '-o', 'json'])) as {
      items: Array<{
        reason: string;
        message: string;
        source: unknown;
        involvedObject: Record<string, unknown>;
      }>;
    };
    const starting = events.items.find(
      (e) => e.message === 'Starting kubelet.' && e.involvedObject.name === 'lab-worker',
    );
    // The kubelet's node reference: the node's name as its UID, no namespace.
    expect(starting?.involvedObject).toEqual({
      kind: 'Node',
      name: 'lab-worker',
      uid: 'lab-worker',
    });
    expect(starting?.source).toEqual({ component: 'kubelet', host: 'lab-worker' });
  });

  it('errors for unknown resources and names are the upstream ones', async () => {
    const missing = await lab.kubectl(['get', 'pod', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('Error from server (NotFound): pods "nope" not found\n');
    const ds = await lab.kubectl(['get', 'ds', 'nope']);
    expect(ds.stderr).toBe('Error from server (NotFound): daemonsets.apps "nope" not found\n');
    const unknown = await lab.kubectl(['get', 'foos']);
    expect(unknown.stderr).toBe('error: the server doesn\'t have a resource type "foos"\n');
    const empty = await lab.kubectl(['get', 'pods']);
    expect(empty.stderr).toBe('No resources found in default namespace.\n');
  });
});

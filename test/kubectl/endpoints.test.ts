// Services and their Endpoints, driven by the real kubectl against the embedded cluster with
// every controller running: `kubectl expose` a Deployment and its pods' IPs appear under the
// Service's Endpoints, in `get endpoints` and `describe svc`, and follow a scale.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalize, startTestCluster, type TestCluster } from '../support/cluster';

let lab: TestCluster;

beforeAll(async () => {
  lab = await startTestCluster({ workers: 2 });
});

afterAll(async () => {
  await lab?.stop();
});

async function ok(args: string[]): Promise<string> {
  const result = await lab.kubectl(args);
  expect(result.stderr, `kubectl ${args.join(' ')}`).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
}

/** The IPs of the Running pods of `app`, sorted. */
async function podIPs(ns: string, app: string): Promise<string[]> {
  const out = await ok([
    'get',
    'pods',
    '-n',
    ns,
    '-l',
    `app=${app}`,
    '-o',
    'jsonpath={range .items[*]}{.status.podIP}{"\\n"}{end}',
  ]);
  return out.split('\n').filter(Boolean).sort();
}

/** The `ip:port` entries of the ENDPOINTS column of `kubectl get endpoints <name>`. */
async function endpointsColumn(ns: string, name: string): Promise<string[]> {
  const lines = (await ok(['get', 'endpoints', name, '-n', ns])).trimEnd().split('\n');
  expect(lines[0]).toMatch(/^NAME\s+ENDPOINTS\s+AGE$/);
  expect(lines).toHaveLength(2);
  const [, column] = lines[1]!.split(/\s+/);
  return column!.split(',').sort();
}

/** The `Endpoints:` line of `kubectl describe svc <name>`, entries sorted. */
async function describedEndpoints(ns: string, name: string): Promise<string[]> {
  const described = normalize(await ok(['describe', 'svc', name, '-n', ns]));
  const line = described.split('\n').find((l) => l.startsWith('Endpoints:'));
  expect(line, described).toBeDefined();
  return line!
    .replace(/^Endpoints:\s+/, '')
    .split(',')
    .sort();
}

describe('Endpoints on the embedded cluster', () => {
  it('list the pods of an exposed Deployment and follow a scale', async () => {
    const ns = 'shop';
    await ok(['create', 'namespace', ns]);
    await ok(['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=2', '-n', ns]);
    await lab.settle();
    expect(
      await ok(['expose', 'deployment', 'web', '--port', '80', '--target-port', '80', '-n', ns]),
    ).toBe('service/web exposed\n');
    await lab.settle();

    const two = await podIPs(ns, 'web');
    expect(two).toHaveLength(2);
    for (const ip of two) expect(ip).toMatch(/^10\.244\.\d+\.\d+$/);
    const expected = two.map((ip) => `${ip}:80`);
    expect(await endpointsColumn(ns, 'web')).toEqual(expected);
    expect(await describedEndpoints(ns, 'web')).toEqual(expected);

    const yaml = await ok(['get', 'endpoints', 'web', '-n', ns, '-o', 'yaml']);
    expect(yaml).toContain('app: web');
    expect(yaml).toContain('kind: Pod');
    expect(yaml).toContain('endpoints.kubernetes.io/last-change-trigger-time:');

    await ok(['scale', 'deployment', 'web', '--replicas=3', '-n', ns]);
    await lab.settle();
    const three = await podIPs(ns, 'web');
    expect(three).toHaveLength(3);
    expect(await endpointsColumn(ns, 'web')).toEqual(three.map((ip) => `${ip}:80`));
    expect(await describedEndpoints(ns, 'web')).toEqual(three.map((ip) => `${ip}:80`));
  });

  it('of the kubernetes Service: the API server on the control plane, as its reconciler keeps them', async () => {
    expect(await endpointsColumn('default', 'kubernetes')).toEqual(['172.18.0.2:6443']);
    expect(await describedEndpoints('default', 'kubernetes')).toEqual(['172.18.0.2:6443']);
  });

  it('show <none> for a Service whose selector matches no pod, and delete them with it', async () => {
    const ns = 'empty';
    await ok(['create', 'namespace', ns]);
    await ok(['create', 'service', 'clusterip', 'lonely', '--tcp=80:8080', '-n', ns]);
    await lab.settle();
    const lines = (await ok(['get', 'endpoints', 'lonely', '-n', ns])).trimEnd().split('\n');
    expect(lines[1]).toMatch(/^lonely\s+<none>\s+\S+$/);
    await ok(['delete', 'service', 'lonely', '-n', ns]);
    await lab.settle();
    const gone = await lab.kubectl(['get', 'endpoints', 'lonely', '-n', ns]);
    expect(gone.stderr).toBe('Error from server (NotFound): endpoints "lonely" not found\n');
  });
});

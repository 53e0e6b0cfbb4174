// Deployments, the contrast to DaemonSets, driven by the real kubectl against the embedded
// cluster with every controller running: replicas spread over nodes, rollouts with history and
// undo, pause and resume, logs, and pods evicted from a node whose kubelet stopped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../support/cluster';

let lab: TestCluster;
let counter = 0;

beforeAll(async () => {
  lab = await startTestCluster({ workers: 3 });
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

async function namespace(): Promise<string> {
  const name = `dep${++counter}`;
  await ok(['create', 'namespace', name]);
  return name;
}

async function advance(duration: string): Promise<void> {
  const body = await lab.file(
    'advance.json',
    JSON.stringify({ apiVersion: 'kubelab.dev/v1alpha1', kind: 'ClockAdvance', duration }),
  );
  await ok(['create', '--raw', '/apis/kubelab.dev/v1alpha1/clocks/cluster/advance', '-f', body]);
  await lab.settle();
}

/** `node phase-or-deleting` of each pod of `app`, sorted. */
async function pods(ns: string, app: string): Promise<string[]> {
  const out = await ok([
    'get',
    'pods',
    '-n',
    ns,
    '-l',
    `app=${app}`,
    '-o',
    'jsonpath={range .items[*]}{.spec.nodeName} {.status.phase}{.metadata.deletionTimestamp}{"\\n"}{end}',
  ]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => line.replace(/Running\d{4}-\S+$/, 'Terminating'))
    .sort();
}

describe('Deployments on the embedded cluster', () => {
  it('spread replicas over the workers, never the tainted control plane', async () => {
    const ns = await namespace();
    await ok(['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=3', '-n', ns]);
    await lab.settle();
    expect(await pods(ns, 'web')).toEqual([
      'lab-worker Running',
      'lab-worker2 Running',
      'lab-worker3 Running',
    ]);
    const log = await lab.kubectl(['logs', 'deploy/web', '-n', ns, '--tail=1']);
    expect(log.stderr).toMatch(/^Found 3 pods, using pod\/web-[4-9bcdf]+-\w{5}\n$/);
    expect(log.stdout).toMatch(
      /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[notice\] 1#1: start worker process \d+\n$/,
    );
  });

  it('roll out, report status and history, and undo', async () => {
    const ns = await namespace();
    await ok(['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=3', '-n', ns]);
    await lab.settle();
    await ok(['set', 'image', 'deploy/web', 'nginx=nginx:1.28', '-n', ns]);
    await lab.settle();
    expect(await ok(['rollout', 'status', 'deploy/web', '-n', ns, '--timeout=20s'])).toBe(
      'deployment "web" successfully rolled out\n',
    );
    expect(await ok(['get', 'rs', '-n', ns, '--no-headers'])).toMatch(
      /^web-[4-9bcdf]+\s+0\s+0\s+0\s+\S+\nweb-[4-9bcdf]+\s+3\s+3\s+3\s+\S+\n$|^web-[4-9bcdf]+\s+3\s+3\s+3\s+\S+\nweb-[4-9bcdf]+\s+0\s+0\s+0\s+\S+\n$/,
    );
    expect(await ok(['rollout', 'history', 'deploy/web', '-n', ns])).toBe(
      'deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n',
    );
    expect(await ok(['rollout', 'undo', 'deploy/web', '-n', ns])).toBe(
      'deployment.apps/web rolled back\n',
    );
    await lab.settle();
    expect(
      await ok([
        'get',
        'deploy',
        'web',
        '-n',
        ns,
        '-o',
        'jsonpath={.spec.template.spec.containers[0].image}',
      ]),
    ).toBe('nginx:1.27');
    expect(await ok(['rollout', 'history', 'deploy/web', '-n', ns])).toBe(
      'deployment.apps/web \nREVISION  CHANGE-CAUSE\n2         <none>\n3         <none>\n\n',
    );
  });

  it('a paused Deployment does not roll out until resumed', async () => {
    const ns = await namespace();
    await ok(['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=2', '-n', ns]);
    await lab.settle();
    expect(await ok(['rollout', 'pause', 'deploy/web', '-n', ns])).toBe(
      'deployment.apps/web paused\n',
    );
    await ok(['set', 'image', 'deploy/web', 'nginx=nginx:1.28', '-n', ns]);
    await lab.settle();
    expect(
      (await ok(['get', 'rs', '-n', ns, '-o', 'name'])).split('\n').filter(Boolean),
    ).toHaveLength(1);
    expect(
      await ok([
        'get',
        'deploy',
        'web',
        '-n',
        ns,
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Progressing")].reason}',
      ]),
    ).toBe('DeploymentPaused');
    expect(await ok(['rollout', 'resume', 'deploy/web', '-n', ns])).toBe(
      'deployment.apps/web resumed\n',
    );
    await lab.settle();
    expect(await ok(['rollout', 'status', 'deploy/web', '-n', ns, '--timeout=20s'])).toBe(
      'deployment "web" successfully rolled out\n',
    );
  });

  it("pods on a node whose kubelet stopped are evicted after 300 s and replaced; a DaemonSet's stay", async () => {
    const ns = await namespace();
    await ok(['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=3', '-n', ns]);
    await lab.settle();
    expect(await pods(ns, 'web')).toContain('lab-worker3 Running');
    await ok([
      'patch',
      'kubelet',
      'lab-worker3',
      '--type=merge',
      '-p',
      '{"spec":{"state":"Stopped"}}',
    ]);
    // 40 s without a heartbeat: NotReady (unreachable), pods not ready, taints added.
    await advance('1m');
    expect(await ok(['get', 'node', 'lab-worker3', '--no-headers'])).toMatch(
      /^lab-worker3\s+NotReady\s/,
    );
    expect(await ok(['get', 'node', 'lab-worker3', '-o', 'jsonpath={.spec.taints[*].key}'])).toBe(
      'node.kubernetes.io/unreachable node.kubernetes.io/unreachable',
    );
    expect(await pods(ns, 'web')).toContain('lab-worker3 Running');
    // 300 s after the taint (DefaultTolerationSeconds), the pod is evicted and replaced; it
    // stays Terminating on the dead node, as on a real cluster.
    await advance('5m');
    const after = await pods(ns, 'web');
    expect(after).toContain('lab-worker3 Terminating');
    expect(after.filter((p) => p.endsWith('Running'))).toHaveLength(3);
    expect(after.filter((p) => p.startsWith('lab-worker3') && p.endsWith('Running'))).toEqual([]);
    const kindnet = await ok([
      'get',
      'pods',
      '-n',
      'kube-system',
      '-l',
      'app=kindnet',
      '--field-selector',
      'spec.nodeName=lab-worker3',
      '-o',
      'jsonpath={.items[*].metadata.deletionTimestamp}',
    ]);
    expect(kindnet).toBe('');
    // The kubelet comes back: the node is Ready, the evicted pod finishes terminating.
    await ok([
      'patch',
      'kubelet',
      'lab-worker3',
      '--type=merge',
      '-p',
      '{"spec":{"state":"Running"}}',
    ]);
    await advance('30s');
    expect(await ok(['get', 'node', 'lab-worker3', '--no-headers'])).toMatch(
      /^lab-worker3\s+Ready\s/,
    );
    expect((await pods(ns, 'web')).filter((p) => p.endsWith('Terminating'))).toEqual([]);
  });
});

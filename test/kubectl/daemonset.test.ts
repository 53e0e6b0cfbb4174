// DaemonSets as a learner meets them on a kind cluster, driven by the real kubectl against the
// embedded cluster with every controller running (pace Instant, a clock that moves only when a
// test advances it): which nodes get a pod, what the pods look like, adoption and release,
// status, rolling updates with and without surge, OnDelete, history and rollback, and nodes that
// come, go and stop.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalize, startTestCluster, type TestCluster } from '../support/cluster';

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
  const name = `ds${++counter}`;
  await ok(['create', 'namespace', name]);
  return name;
}

interface DaemonSetOptions {
  image?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: string;
  strategy?: string;
}

function daemonSet(ns: string, name: string, options: DaemonSetOptions = {}): string {
  const selector = options.nodeSelector
    ? `      nodeSelector:\n${Object.entries(options.nodeSelector)
        .map(([k, v]) => `        ${k}: ${v}\n`)
        .join('')}`
    : '';
  return `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  selector:
    matchLabels:
      app: ${name}
${options.strategy ?? ''}  template:
    metadata:
      labels:
        app: ${name}
    spec:
${selector}${options.tolerations ?? ''}      containers:
      - name: ${name}
        image: ${options.image ?? 'nginx:1.27'}
`;
}

async function apply(ns: string, name: string, options: DaemonSetOptions = {}): Promise<void> {
  await ok(['apply', '-f', await lab.file(`${ns}-${name}.yaml`, daemonSet(ns, name, options))]);
  await lab.settle();
}

/** `pod-name-prefix → node` for the pods of `app`, sorted by node. */
async function placement(ns: string, app: string): Promise<string[]> {
  const out = await ok([
    'get',
    'pods',
    '-n',
    ns,
    '-l',
    `app=${app}`,
    '-o',
    'jsonpath={range .items[*]}{.spec.nodeName}{"\\n"}{end}',
  ]);
  return out.split('\n').filter(Boolean).sort();
}

interface PodJson {
  metadata: {
    name: string;
    labels: Record<string, string>;
    ownerReferences: unknown[];
  };
  spec: { affinity: unknown; tolerations: unknown[]; nodeName: string };
  status: { phase: string };
}

describe('DaemonSets on the embedded cluster', () => {
  it('run one pod per eligible node: workers by default, the control plane only when tolerated', async () => {
    const ns = await namespace();
    await apply(ns, 'plain');
    expect(await placement(ns, 'plain')).toEqual(['lab-worker', 'lab-worker2', 'lab-worker3']);
    await apply(ns, 'everywhere', {
      tolerations:
        '      tolerations:\n      - key: node-role.kubernetes.io/control-plane\n        operator: Exists\n        effect: NoSchedule\n',
    });
    expect(await placement(ns, 'everywhere')).toEqual([
      'lab-control-plane',
      'lab-worker',
      'lab-worker2',
      'lab-worker3',
    ]);
    await ok(['label', 'node', 'lab-worker2', 'disk=ssd']);
    await apply(ns, 'selective', { nodeSelector: { disk: 'ssd' } });
    expect(await placement(ns, 'selective')).toEqual(['lab-worker2']);
    expect(await ok(['get', 'ds', 'selective', '-n', ns, '--no-headers'])).toMatch(
      /^selective\s+1\s+1\s+1\s+1\s+1\s+disk=ssd\s+\S+\n$/,
    );
    // Labels that stop matching remove the pod; matching again brings one back.
    await ok(['label', 'node', 'lab-worker2', 'disk-']);
    await lab.settle();
    expect(await placement(ns, 'selective')).toEqual([]);
    await ok(['label', 'node', 'lab-worker2', 'disk=ssd']);
    await lab.settle();
    expect(await placement(ns, 'selective')).toEqual(['lab-worker2']);
    await ok(['label', 'node', 'lab-worker2', 'disk-']);
    // Deleting the namespace completes: the DaemonSets and their pods go first.
    expect(await ok(['delete', 'namespace', ns])).toBe(`namespace "${ns}" deleted\n`);
  });

  it('a NoSchedule taint added later keeps the pod (misscheduled); NoExecute removes it', async () => {
    const ns = await namespace();
    await apply(ns, 'agent');
    await ok(['taint', 'node', 'lab-worker3', 'maintenance=soon:NoSchedule']);
    await lab.settle();
    expect(await placement(ns, 'agent')).toEqual(['lab-worker', 'lab-worker2', 'lab-worker3']);
    expect(
      await ok([
        'get',
        'ds',
        'agent',
        '-n',
        ns,
        '-o',
        'jsonpath={.status.desiredNumberScheduled} {.status.currentNumberScheduled} {.status.numberMisscheduled}',
      ]),
    ).toBe('2 2 1');
    await ok(['taint', 'node', 'lab-worker3', 'maintenance=soon:NoSchedule-']);
    await ok(['taint', 'node', 'lab-worker3', 'maintenance=now:NoExecute']);
    await lab.settle();
    expect(await placement(ns, 'agent')).toEqual(['lab-worker', 'lab-worker2']);
    await ok(['taint', 'node', 'lab-worker3', 'maintenance=now:NoExecute-']);
    await lab.settle();
    expect(await placement(ns, 'agent')).toEqual(['lab-worker', 'lab-worker2', 'lab-worker3']);
  });

  it('daemon pods carry the default tolerations, the node pin, the hash labels and an owner', async () => {
    const ns = await namespace();
    // An image no node has pulled yet, so the pod's events show the pull.
    await apply(ns, 'agent', { image: 'nginx:1.26' });
    const pods = JSON.parse(
      await ok([
        'get',
        'pods',
        '-n',
        ns,
        '-l',
        'app=agent',
        '--field-selector',
        'spec.nodeName=lab-worker',
        '-o',
        'json',
      ]),
    ) as { items: PodJson[] };
    expect(pods.items).toHaveLength(1);
    const pod = pods.items[0]!;
    expect(pod.metadata.name).toMatch(/^agent-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(Object.keys(pod.metadata.labels).sort()).toEqual([
      'app',
      'controller-revision-hash',
      'pod-template-generation',
    ]);
    expect(pod.metadata.labels['pod-template-generation']).toBe('1');
    expect(pod.metadata.ownerReferences).toMatchObject([
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        name: 'agent',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(pod.spec.affinity).toEqual({
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['lab-worker'] }] },
          ],
        },
      },
    });
    expect(pod.spec.tolerations).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    expect(pod.status.phase).toBe('Running');
    expect(normalize(await ok(['get', 'ds', 'agent', '-n', ns, '-o', 'jsonpath={.status}']))).toBe(
      '{"currentNumberScheduled":3,"desiredNumberScheduled":3,"numberAvailable":3,"numberMisscheduled":0,"numberReady":3,"observedGeneration":1,"updatedNumberScheduled":3}',
    );
    const events = normalize(await ok(['describe', 'pod', pod.metadata.name, '-n', ns]));
    // kubectl computes event ages from the wall clock: column widths vary, so spaces are folded.
    expect(
      events
        .slice(events.indexOf('Events:'))
        .split('\n')
        .map((line) => line.replace(/ +/g, ' ')),
    ).toEqual([
      'Events:',
      ' Type Reason Age From Message',
      ' ---- ------ ---- ---- -------',
      ` Normal Scheduled <age> default-scheduler Successfully assigned ${ns}/agent-<id> to lab-worker`,
      ' Normal Pulling <age> kubelet Pulling image "nginx:1.26"',
      expect.stringMatching(
        /^ Normal Pulled <age> kubelet Successfully pulled image "nginx:1\.26" in \S+ \(\S+ including waiting\)\. Image size: \d+ bytes\.$/,
      ),
      ' Normal Created <age> kubelet Created container agent',
      ' Normal Started <age> kubelet Started container agent',
      '',
    ]);
  });

  it('adopts an orphan with matching labels and releases a pod relabelled away', async () => {
    const ns = await namespace();
    // A pod already on lab-worker with the DaemonSet's labels, owned by nobody.
    await ok([
      'run',
      'stray',
      '-n',
      ns,
      '--image=nginx:1.27',
      '--labels=app=agent',
      '--overrides={"spec":{"nodeName":"lab-worker"}}',
    ]);
    await lab.settle();
    // OnDelete: the adopted pod (which lacks the revision hash) is kept, not rolled.
    await apply(ns, 'agent', { strategy: '  updateStrategy:\n    type: OnDelete\n' });
    const owner = (pod: string): Promise<string> =>
      ok([
        'get',
        'pod',
        pod,
        '-n',
        ns,
        '-o',
        'jsonpath={.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}',
      ]);
    expect(await owner('stray')).toBe('DaemonSet/agent');
    // It counts for its node: no second pod there.
    expect(await placement(ns, 'agent')).toEqual(['lab-worker', 'lab-worker2', 'lab-worker3']);
    // Relabelled, it is released, and the DaemonSet makes a new pod for that node.
    await ok(['label', 'pod', 'stray', '-n', ns, 'app=other', '--overwrite']);
    await lab.settle();
    expect(await owner('stray')).toBe('/');
    expect(await placement(ns, 'agent')).toEqual(['lab-worker', 'lab-worker2', 'lab-worker3']);
  });

  it('rolls out a new template without surge, records history, and rolls back with renumbering', async () => {
    const ns = await namespace();
    await apply(ns, 'agent', { image: 'nginx:1.27' });
    await ok(['set', 'image', 'ds/agent', 'agent=nginx:1.28', '-n', ns]);
    await lab.settle();
    expect(await ok(['rollout', 'status', 'ds/agent', '-n', ns, '--timeout=20s'])).toBe(
      'daemon set "agent" successfully rolled out\n',
    );
    const images = await ok([
      'get',
      'pods',
      '-n',
      ns,
      '-l',
      'app=agent',
      '-o',
      'jsonpath={range .items[*]}{.spec.containers[0].image} {.metadata.labels.pod-template-generation}{"\\n"}{end}',
    ]);
    expect(images).toBe('nginx:1.28 2\nnginx:1.28 2\nnginx:1.28 2\n');
    expect(await ok(['rollout', 'history', 'ds/agent', '-n', ns])).toBe(
      'daemonset.apps/agent \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n',
    );
    expect(await ok(['rollout', 'undo', 'ds/agent', '-n', ns])).toBe(
      'daemonset.apps/agent rolled back\n',
    );
    await lab.settle();
    // Going back reuses revision 1's ControllerRevision, renumbered 3.
    expect(await ok(['rollout', 'history', 'ds/agent', '-n', ns])).toBe(
      'daemonset.apps/agent \nREVISION  CHANGE-CAUSE\n2         <none>\n3         <none>\n\n',
    );
    const revisions = await ok([
      'get',
      'controllerrevisions',
      '-n',
      ns,
      '--no-headers',
      '-o',
      'custom-columns=REV:.revision',
    ]);
    expect(revisions.split('\n').filter(Boolean).sort()).toEqual(['2', '3']);
    expect(await ok(['rollout', 'undo', 'ds/agent', '-n', ns, '--to-revision=3'])).toBe(
      'daemonset.apps/agent skipped rollback (current template already matches revision 3)\n',
    );
    const missing = await lab.kubectl(['rollout', 'undo', 'ds/agent', '-n', ns, '--to-revision=9']);
    expect(missing.stderr).toBe('error: unable to find specified revision 9 in history\n');
  });

  it('rolls out with surge (a new pod before the old one goes), and OnDelete waits for deletes', async () => {
    const ns = await namespace();
    await apply(ns, 'surge', {
      strategy:
        '  updateStrategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxSurge: 1\n      maxUnavailable: 0\n',
    });
    await ok(['set', 'image', 'ds/surge', 'surge=nginx:1.28', '-n', ns]);
    await lab.settle();
    expect(await ok(['rollout', 'status', 'ds/surge', '-n', ns, '--timeout=20s'])).toBe(
      'daemon set "surge" successfully rolled out\n',
    );
    await apply(ns, 'manual', { strategy: '  updateStrategy:\n    type: OnDelete\n' });
    await ok(['set', 'image', 'ds/manual', 'manual=nginx:1.28', '-n', ns]);
    await lab.settle();
    const versions = (): Promise<string> =>
      ok([
        'get',
        'pods',
        '-n',
        ns,
        '-l',
        'app=manual',
        '-o',
        'jsonpath={range .items[*]}{.spec.containers[0].image}{"\\n"}{end}',
      ]);
    expect((await versions()).split('\n').filter(Boolean)).toEqual([
      'nginx:1.27',
      'nginx:1.27',
      'nginx:1.27',
    ]);
    const status = await lab.kubectl(['rollout', 'status', 'ds/manual', '-n', ns]);
    expect(status.stderr).toBe(
      'error: rollout status is only available for RollingUpdate strategy type\n',
    );
    // Deleting one pod replaces it with the new template.
    const first = await ok([
      'get',
      'pods',
      '-n',
      ns,
      '-l',
      'app=manual',
      '-o',
      'jsonpath={.items[0].metadata.name}',
    ]);
    await ok(['delete', 'pod', first, '-n', ns]);
    await lab.settle();
    expect((await versions()).split('\n').filter(Boolean).sort()).toEqual([
      'nginx:1.27',
      'nginx:1.27',
      'nginx:1.28',
    ]);
    expect(
      await ok([
        'get',
        'ds',
        'manual',
        '-n',
        ns,
        '-o',
        'jsonpath={.status.updatedNumberScheduled}',
      ]),
    ).toBe('1');
  });

  it('follows nodes that join, stop and leave', async () => {
    const ns = await namespace();
    await apply(ns, 'agent');
    // A node created through the API joins, and gets a daemon pod.
    const node = `apiVersion: v1
kind: Node
metadata:
  name: lab-worker4
  labels:
    kubernetes.io/hostname: lab-worker4
`;
    await ok(['create', '-f', await lab.file('node.yaml', node)]);
    await lab.settle();
    expect(await placement(ns, 'agent')).toEqual([
      'lab-worker',
      'lab-worker2',
      'lab-worker3',
      'lab-worker4',
    ]);
    expect(await ok(['get', 'node', 'lab-worker4', '--no-headers'])).toMatch(
      /^lab-worker4\s+Ready\s+<none>/,
    );
    // Its kubelet stops: after the grace period the node is NotReady and unreachable; the daemon
    // pod stays (it tolerates that forever) but the node leaves the desired count.
    await ok([
      'patch',
      'kubelet',
      'lab-worker4',
      '--type=merge',
      '-p',
      '{"spec":{"state":"Stopped"}}',
    ]);
    await advance('1m');
    expect(await ok(['get', 'node', 'lab-worker4', '--no-headers'])).toMatch(
      /^lab-worker4\s+NotReady\s/,
    );
    await advance('10m');
    expect(await placement(ns, 'agent')).toEqual([
      'lab-worker',
      'lab-worker2',
      'lab-worker3',
      'lab-worker4',
    ]);
    expect(
      await ok([
        'get',
        'ds',
        'agent',
        '-n',
        ns,
        '-o',
        'jsonpath={.status.desiredNumberScheduled} {.status.numberMisscheduled}',
      ]),
    ).toBe('3 1');
    // Deleted, the node's pods are garbage-collected after PodGC's quarantine.
    await ok(['delete', 'node', 'lab-worker4']);
    await advance('1m');
    expect(await placement(ns, 'agent')).toEqual(['lab-worker', 'lab-worker2', 'lab-worker3']);
    expect(
      await ok([
        'get',
        'ds',
        'agent',
        '-n',
        ns,
        '-o',
        'jsonpath={.status.desiredNumberScheduled} {.status.numberMisscheduled}',
      ]),
    ).toBe('3 0');
  });

  it('a failed daemon pod is killed and replaced, with the FailedDaemonPod event', async () => {
    const ns = await namespace();
    await apply(ns, 'agent');
    const name = await ok([
      'get',
      'pods',
      '-n',
      ns,
      '-l',
      'app=agent',
      '--field-selector',
      'spec.nodeName=lab-worker2',
      '-o',
      'jsonpath={.items[0].metadata.name}',
    ]);
    // As upstream's e2e "should retry creating failed daemon pods" does: mark it Failed.
    await ok([
      'patch',
      'pod',
      name,
      '-n',
      ns,
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"phase":"Failed"}}',
    ]);
    await lab.settle();
    const events = await ok([
      'get',
      'events',
      '-n',
      ns,
      '--field-selector',
      'reason=FailedDaemonPod',
      '-o',
      'jsonpath={range .items[*]}{.type} {.message}{"\\n"}{end}',
    ]);
    expect(events).toBe(
      `Warning Found failed daemon pod ${ns}/${name} on node lab-worker2, will try to kill it\n`,
    );
    // The replacement comes on a later sync: after the failed-pod backoff (1 s).
    await advance('2s');
    const after = await ok([
      'get',
      'pods',
      '-n',
      ns,
      '-l',
      'app=agent',
      '--field-selector',
      'spec.nodeName=lab-worker2',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name} {.status.phase}{"\\n"}{end}',
    ]);
    expect(after).toMatch(/^agent-\w{5} Running\n$/);
    expect(after.startsWith(`${name} `)).toBe(false);
  });

  it('drain refuses DaemonSet pods unless told to ignore them', async () => {
    const refused = await lab.kubectl(['drain', 'lab-worker3']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('node/lab-worker3 cordoned\n');
    expect(refused.stderr).toMatch(
      /^error: unable to drain node "lab-worker3" due to error: ?cannot delete DaemonSet-managed Pods \(use --ignore-daemonsets to ignore\): [^\n]*kube-system\/kindnet-\w+/,
    );
    const drained = await lab.kubectl(['drain', 'lab-worker3', '--ignore-daemonsets']);
    expect(drained.code).toBe(0);
    expect(drained.stderr).toMatch(/^Warning: ignoring DaemonSet-managed Pods: /);
    expect(drained.stdout).toMatch(/node\/lab-worker3 drained\n$/);
    await ok(['uncordon', 'lab-worker3']);
    await lab.settle();
  });
});

async function advance(duration: string): Promise<void> {
  const body = await lab.file(
    'advance.json',
    JSON.stringify({ apiVersion: 'kubelab.dev/v1alpha1', kind: 'ClockAdvance', duration }),
  );
  await ok(['create', '--raw', '/apis/kubelab.dev/v1alpha1/clocks/cluster/advance', '-f', body]);
  await lab.settle();
}

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
      ` Normal Scheduled <age> default-scheduler Successfully assigned ${ns}/${pod.metadata.name} to lab-worker`,
      ' Normal Pulling <age> kubelet Pulling image "nginx:1.26"',
      expect.stringMatching(
        /^ Normal Pulled <age> kubelet Successfully pulled image "nginx:1\.26" in \S+ \(\S+ including waiting\)\. Image size: \d+ bytes\.$/,
      ),
      ' Normal Created <age> kubelet Created container agent',
      ' Normal Started <age> kubelet Started container agent',
      '',
    ]);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { isPlainObject, type KubeObject } from '../../kube/objects';
import { boundPod, testCluster, types, type TestCluster } from './test-cluster';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);

let cluster: TestCluster | undefined;
afterEach(() => {
  cluster?.stop();
  cluster = undefined;
});

/** The Events about a node, in the order they were recorded (their names). */
function nodeEvents(c: TestCluster, node: string): KubeObject[] {
  return c.registry
    .list(types.events, 'default')
    .items.filter(
      (e) => obj(e.involvedObject).kind === 'Node' && obj(e.involvedObject).name === node,
    )
    .sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
}

const summary = (events: KubeObject[]): Array<[string, string, number]> =>
  events.map((e) => [String(e.reason), String(e.message), Number(e.count)]);

const status = (node: string, reason: string): [string, string, number] => [
  reason,
  `Node ${node} status is now: ${reason}`,
  1,
];

/** What the node lifecycle controller does to a node whose kubelet went silent. */
function markUnknown(c: TestCluster, node: string): void {
  c.registry.modify(
    types.nodes,
    '',
    node,
    (copy) => {
      const s = obj(copy.status);
      s.conditions = list(s.conditions).map((x) => ({
        ...x,
        status: 'Unknown',
        reason: 'NodeStatusUnknown',
        message: 'Kubelet stopped posting node status.',
      }));
      return copy;
    },
    { subresource: 'status' },
  );
}

describe('kubelet node events', () => {
  it('records the start and registration of a node as a kind kubelet does', async () => {
    const c = (cluster = await testCluster({ nodes: 2 }));
    const events = nodeEvents(c, 'lab-worker');
    expect(summary(events)).toEqual([
      ['Starting', 'Starting kubelet.', 1],
      status('lab-worker', 'NodeHasSufficientMemory'),
      status('lab-worker', 'NodeHasNoDiskPressure'),
      status('lab-worker', 'NodeHasSufficientPID'),
      ['NodeAllocatableEnforced', 'Updated Node Allocatable limit across pods', 1],
      status('lab-worker', 'NodeReady'),
    ]);
    for (const event of events) {
      expect(event).toMatchObject({
        type: 'Normal',
        source: { component: 'kubelet', host: 'lab-worker' },
        reportingComponent: 'kubelet',
        reportingInstance: 'lab-worker',
        firstTimestamp: '2026-01-01T00:00:00Z',
        lastTimestamp: '2026-01-01T00:00:00Z',
        metadata: { namespace: 'default' },
      });
      expect(event.metadata.name).toMatch(/^lab-worker\.[0-9a-f]+$/);
      // The kubelet's node reference: the node name as UID, no namespace, no API version.
      expect(JSON.parse(JSON.stringify(event.involvedObject))).toEqual({
        kind: 'Node',
        name: 'lab-worker',
        uid: 'lab-worker',
      });
    }
    expect(summary(nodeEvents(c, 'lab-control-plane'))).toHaveLength(6);
  });

  it('records nothing while an idle node only heartbeats', async () => {
    const c = (cluster = await testCluster({ nodes: 2 }));
    const before = c.registry.list(types.events, 'default').items.length;
    await c.advance(700_000, 10_000);
    expect(c.registry.list(types.events, 'default').items).toHaveLength(before);
  });

  it('records Starting, the conditions set again and NodeReady when a NotReady node starts', async () => {
    const c = (cluster = await testCluster({ nodes: 2 }));
    c.setKubelet('lab-worker', 'Stopped');
    await c.advance(60_000, 10_000);
    expect(nodeEvents(c, 'lab-worker')).toHaveLength(6);
    markUnknown(c, 'lab-worker');
    await c.settle();
    expect(nodeEvents(c, 'lab-worker')).toHaveLength(6);
    c.setKubelet('lab-worker', 'Running');
    await c.settle();
    const restarted = nodeEvents(c, 'lab-worker').slice(6);
    // A new kubelet process: new Events; its setters set each pressure condition twice (on the
    // fresh initial node, then over the Unknown ones), which its recorder counts.
    expect(summary(restarted)).toEqual([
      ['Starting', 'Starting kubelet.', 1],
      ['NodeHasSufficientMemory', 'Node lab-worker status is now: NodeHasSufficientMemory', 2],
      ['NodeHasNoDiskPressure', 'Node lab-worker status is now: NodeHasNoDiskPressure', 2],
      ['NodeHasSufficientPID', 'Node lab-worker status is now: NodeHasSufficientPID', 2],
      ['NodeAllocatableEnforced', 'Updated Node Allocatable limit across pods', 1],
      status('lab-worker', 'NodeReady'),
    ]);
    for (const event of restarted) {
      expect(event.firstTimestamp).toBe('2026-01-01T00:01:00Z');
    }
    // The first process's events are left as they were.
    expect(summary(nodeEvents(c, 'lab-worker').slice(0, 6)).map(([, , n]) => n)).toEqual([
      1, 1, 1, 1, 1, 1,
    ]);
    const before = c.registry.list(types.events, 'default').items.length;
    await c.advance(400_000, 10_000);
    expect(c.registry.list(types.events, 'default').items).toHaveLength(before);
  });

  it('records NodeNotSchedulable and NodeSchedulable at the next status sync after a cordon', async () => {
    const c = (cluster = await testCluster({ nodes: 2 }));
    const cordon = (unschedulable: boolean): void => {
      c.registry.modify(types.nodes, '', 'lab-worker', (copy) => {
        copy.spec = { ...obj(copy.spec), unschedulable };
        return copy;
      });
    };
    cordon(true);
    await c.advance(10_000, 10_000);
    expect(summary(nodeEvents(c, 'lab-worker').slice(6))).toEqual([
      status('lab-worker', 'NodeNotSchedulable'),
    ]);
    await c.advance(60_000, 10_000);
    expect(nodeEvents(c, 'lab-worker')).toHaveLength(7);
    cordon(false);
    await c.advance(10_000, 10_000);
    expect(summary(nodeEvents(c, 'lab-worker').slice(7))).toEqual([
      status('lab-worker', 'NodeSchedulable'),
    ]);
  });

  it('records no NodeReady when a kubelet restarts before its node went NotReady', async () => {
    const c = (cluster = await testCluster({ nodes: 2 }));
    await c.advance(30_000, 10_000);
    c.setKubelet('lab-worker', 'Stopped');
    await c.advance(10_000);
    c.setKubelet('lab-worker', 'Running');
    await c.settle();
    expect(summary(nodeEvents(c, 'lab-worker').slice(6))).toEqual([
      ['Starting', 'Starting kubelet.', 1],
      status('lab-worker', 'NodeHasSufficientMemory'),
      status('lab-worker', 'NodeHasNoDiskPressure'),
      status('lab-worker', 'NodeHasSufficientPID'),
      ['NodeAllocatableEnforced', 'Updated Node Allocatable limit across pods', 1],
    ]);
  });

  it('records the kubelet of a node created through the API setting its conditions', async () => {
    const c = (cluster = await testCluster({ nodes: 1 }));
    await c.advance(30_000, 10_000);
    c.registry.create(types.nodes, '', { metadata: { name: 'extra' } });
    await c.settle();
    expect(summary(nodeEvents(c, 'extra'))).toEqual([
      ['Starting', 'Starting kubelet.', 1],
      ['NodeHasSufficientMemory', 'Node extra status is now: NodeHasSufficientMemory', 2],
      ['NodeHasNoDiskPressure', 'Node extra status is now: NodeHasNoDiskPressure', 2],
      ['NodeHasSufficientPID', 'Node extra status is now: NodeHasSufficientPID', 2],
      ['NodeAllocatableEnforced', 'Updated Node Allocatable limit across pods', 1],
      status('extra', 'NodeReady'),
    ]);
  });

  it("records kube-proxy's Starting when its container starts on the node", async () => {
    const c = (cluster = await testCluster({ nodes: 2 }));
    c.createPod(
      boundPod('kube-proxy-abcde', 'lab-worker', {
        hostNetwork: true,
        containers: [
          {
            name: 'kube-proxy',
            image: 'registry.k8s.io/kube-proxy:v1.30.14',
            command: ['/usr/local/bin/kube-proxy', '--config=/var/lib/kube-proxy/config.conf'],
          },
        ],
      }),
      'kube-system',
    );
    c.createPod(boundPod('web', 'lab-worker', { containers: [{ name: 'c', image: 'nginx' }] }));
    await c.settle();
    const proxy = nodeEvents(c, 'lab-worker').filter((e) => e.reportingComponent === 'kube-proxy');
    expect(proxy).toHaveLength(1);
    expect(proxy[0]).toMatchObject({
      reason: 'Starting',
      message: '',
      type: 'Normal',
      action: 'StartKubeProxy',
      reportingInstance: 'kube-proxy-lab-worker',
      source: {},
      metadata: { namespace: 'default' },
    });
    expect(JSON.parse(JSON.stringify(proxy[0]!.involvedObject))).toEqual({
      kind: 'Node',
      name: 'lab-worker',
      uid: 'lab-worker',
    });
    expect(nodeEvents(c, 'lab-worker')).toHaveLength(7);
  });

  it('records nothing for nodes a restarted cluster finds running', async () => {
    const c = (cluster = await testCluster({ nodes: 2 }));
    await c.advance(30_000, 10_000);
    const before = c.registry.list(types.events, 'default').items.length;
    await c.restart();
    // A restarted embedded cluster is the same kubelets carrying on, not new processes.
    expect(c.registry.list(types.events, 'default').items).toHaveLength(before);
  });
});

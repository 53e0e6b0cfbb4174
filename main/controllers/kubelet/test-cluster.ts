/**
 * A small embedded cluster for the kubelet's tests: store, registry and controller manager on a
 * FakeClock, kind-like nodes with their leases and Kubelet objects, and helpers to read what the
 * kubelet wrote. Test support only.
 */
import { FakeClock } from '../../base/clock';
import { seededRandom } from '../../base/random';
import { isPlainObject, type KubeObject } from '../../kube/objects';
import { findResource } from '../../kube/resources';
import { Registry } from '../../apiserver/registry/registry';
import { MemoryStore, type StoreEvent } from '../../apiserver/store/store';
import { ControllerManager } from '../runtime/manager';
import { KubeletController } from './controller';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);

export const types = {
  namespaces: findResource('', 'v1', 'namespaces')!,
  nodes: findResource('', 'v1', 'nodes')!,
  pods: findResource('', 'v1', 'pods')!,
  events: findResource('', 'v1', 'events')!,
  leases: findResource('coordination.k8s.io', 'v1', 'leases')!,
  kubelets: findResource('kubelab.dev', 'v1alpha1', 'kubelets')!,
  clocks: findResource('kubelab.dev', 'v1alpha1', 'clocks')!,
  configMaps: findResource('', 'v1', 'configmaps')!,
  secrets: findResource('', 'v1', 'secrets')!,
  serviceAccounts: findResource('', 'v1', 'serviceaccounts')!,
};

export interface TestCluster {
  readonly clock: FakeClock;
  readonly registry: Registry;
  readonly store: MemoryStore;
  readonly manager: ControllerManager;
  readonly kubelet: KubeletController;
  /** Stops the controllers and starts fresh ones on the same store (a cluster restart). */
  restart(): Promise<void>;
  /** Every store write since the cluster was made. */
  readonly writes: StoreEvent[];
  settle(): Promise<void>;
  /** Advances the clock in steps of `step` ms, settling after each. */
  advance(ms: number, step?: number): Promise<void>;
  pod(name: string, namespace?: string): KubeObject | undefined;
  createPod(pod: Obj, namespace?: string): KubeObject;
  events(name?: string): Array<{ reason: string; message: string; type: string; count: number }>;
  setKubelet(node: string, state: 'Running' | 'Stopped'): void;
  stop(): void;
}

/** A kind node as the bootstrap writes it (index 0 is the control plane). */
export function kindNode(name: string, index: number, now: string): KubeObject {
  const condition = (type: string, status: string, reason: string, message: string): Obj => ({
    type,
    status,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
    reason,
    message,
  });
  const capacity = { cpu: '8', memory: '16336052Ki', pods: '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' },
    },
    spec: { podCIDR: `10.244.${index}.0/24`, podCIDRs: [`10.244.${index}.0/24`] },
    status: {
      addresses: [
        { address: `172.18.0.${index + 2}`, type: 'InternalIP' },
        { address: name, type: 'Hostname' },
      ],
      allocatable: capacity,
      capacity,
      conditions: [
        condition(
          'MemoryPressure',
          'False',
          'KubeletHasSufficientMemory',
          'kubelet has sufficient memory available',
        ),
        condition(
          'DiskPressure',
          'False',
          'KubeletHasNoDiskPressure',
          'kubelet has no disk pressure',
        ),
        condition(
          'PIDPressure',
          'False',
          'KubeletHasSufficientPID',
          'kubelet has sufficient PID available',
        ),
        condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: { kernelVersion: '6.1.0-kubelab', kubeletVersion: 'v1.30.14' },
    },
  };
}

export interface ClusterOptions {
  readonly nodes?: number;
  readonly pace?: 'Instant' | 'Realistic';
  readonly seed?: number;
}

export async function testCluster(options: ClusterOptions = {}): Promise<TestCluster> {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const store = new MemoryStore();
  const registry = new Registry({ store, clock, random: seededRandom(options.seed ?? 1) });
  const writes: StoreEvent[] = [];
  for (const name of ['default', 'kube-node-lease', 'kube-system']) {
    registry.create(types.namespaces, '', { metadata: { name } });
    registry.create(types.serviceAccounts, name, { metadata: { name: 'default' } });
  }
  registry.create(types.clocks, '', {
    apiVersion: 'kubelab.dev/v1alpha1',
    kind: 'Clock',
    metadata: { name: 'cluster' },
    spec: { pace: options.pace ?? 'Instant' },
  });
  const count = options.nodes ?? 1;
  for (let i = 0; i < count; i++) {
    const name = i === 0 ? 'lab-control-plane' : `lab-worker${i === 1 ? '' : i}`;
    const node = registry.create(types.nodes, '', kindNode(name, i, registry.now()));
    registry.create(types.leases, 'kube-node-lease', {
      metadata: {
        name,
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid ?? '' }],
      },
      spec: {
        holderIdentity: name,
        leaseDurationSeconds: 40,
        renewTime: registry.now().replace('Z', '.000000Z'),
      },
    });
    registry.create(types.kubelets, '', {
      apiVersion: 'kubelab.dev/v1alpha1',
      kind: 'Kubelet',
      metadata: {
        name,
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid ?? '' }],
      },
      spec: { state: 'Running' },
    });
  }
  for (const resource of [
    '/pods',
    '/nodes',
    '/events',
    'coordination.k8s.io/leases',
    'kubelab.dev/kubelets',
  ]) {
    store.watch({ resource, sinceRevision: store.revision }, (event) => {
      writes.push(event);
    });
  }
  const boot = (seed: number): { manager: ControllerManager; kubelet: KubeletController } => {
    const manager = new ControllerManager({
      registry,
      clock,
      random: seededRandom(seed),
      defer: (callback) => setImmediate(callback),
    });
    const kubelet = manager.add((ctx) => new KubeletController(ctx));
    manager.start();
    return { manager, kubelet };
  };
  let running = boot(options.seed ?? 2);
  await running.manager.settle();
  const settle = async (): Promise<void> => {
    await running.manager.settle();
    await running.manager.settle();
  };
  return {
    clock,
    registry,
    store,
    get manager() {
      return running.manager;
    },
    get kubelet() {
      return running.kubelet;
    },
    async restart() {
      running.manager.stop();
      running = boot(99);
      await settle();
    },
    writes,
    settle,
    async advance(ms, step = 1000) {
      for (let done = 0; done < ms; done += step) {
        clock.advance(Math.min(step, ms - done));
        await settle();
      }
    },
    pod(name, namespace = 'default') {
      return store.get({ resource: '/pods', namespace, name });
    },
    createPod(pod, namespace = 'default') {
      return registry.create(types.pods, namespace, pod as KubeObject);
    },
    events(name) {
      const items = [
        ...registry.list(types.events, 'default').items,
        ...registry.list(types.events, 'kube-system').items,
      ];
      return items
        .filter((e) => !name || obj(e.involvedObject).name === name)
        .sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)))
        .map((e) => ({
          reason: String(e.reason),
          message: String(e.message),
          type: String(e.type),
          count: Number(e.count ?? 1),
        }));
    },
    setKubelet(node, state) {
      registry.modify(types.kubelets, '', node, (copy) => {
        copy.spec = { state };
        return copy;
      });
    },
    stop() {
      running.manager.stop();
    },
  };
}

/** A pod bound to a node (as the scheduler leaves it). */
export function boundPod(name: string, node: string, spec: Obj): Obj {
  const containers = list(spec.containers);
  return {
    metadata: { name },
    spec: { nodeName: node, ...spec, containers },
  };
}

export function containerStatus(pod: KubeObject | undefined, name: string): Obj {
  const status = obj(pod?.status);
  return (
    [...list(status.containerStatuses), ...list(status.initContainerStatuses)].find(
      (s) => s.name === name,
    ) ?? {}
  );
}

export function condition(pod: KubeObject | undefined, type: string): Obj | undefined {
  return list(obj(pod?.status).conditions).find((c) => c.type === type);
}

export function phaseOf(pod: KubeObject | undefined): string {
  return String(obj(pod?.status).phase ?? '');
}

export function stateOf(pod: KubeObject | undefined, container: string): string {
  const state = obj(containerStatus(pod, container).state);
  if (isPlainObject(state.running)) return 'running';
  if (isPlainObject(state.terminated)) return `terminated:${String(obj(state.terminated).reason)}`;
  if (isPlainObject(state.waiting)) return `waiting:${String(obj(state.waiting).reason)}`;
  return 'none';
}

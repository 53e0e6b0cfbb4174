/**
 * Test fixtures for the node lifecycle, taint-eviction and pod GC tests: a cluster of a
 * registry, a ControllerManager and a FakeClock, kind-like nodes with their Leases, pods, and a
 * stand-in for the kubelet (renewing Leases, posting node conditions, reporting pods Running and
 * Ready). Used by tests only.
 */
import { FakeClock } from '../../base/clock';
import { seededRandom } from '../../base/random';
import type { KubeObject } from '../../kube/objects';
import { findResource } from '../../kube/resources';
import type { Toleration } from '../../kube/scheduling';
import { NO_CHANGE, Registry } from '../../apiserver/registry/registry';
import { MemoryStore } from '../../apiserver/store/store';
import { ControllerManager } from '../runtime/manager';
import { LEASES, NODES, obj, objList, PODS, type Obj } from './node-util';

const namespaces = findResource('', 'v1', 'namespaces')!;
const events = findResource('', 'v1', 'events')!;
const serviceAccounts = findResource('', 'v1', 'serviceaccounts')!;

export const START = Date.UTC(2026, 0, 1);

export interface Cluster {
  readonly clock: FakeClock;
  readonly registry: Registry;
  readonly manager: ControllerManager;
  /** Nodes whose "kubelet" renews its Lease when `step` passes a 10 s mark. */
  readonly alive: Set<string>;
}

export function makeCluster(seed = 1): Cluster {
  const clock = new FakeClock(START);
  const store = new MemoryStore();
  const registry = new Registry({ store, clock, random: seededRandom(seed) });
  for (const name of ['default', 'kube-system', 'kube-node-lease']) {
    registry.create(namespaces, '', { metadata: { name } } as KubeObject);
    registry.create(serviceAccounts, name, { metadata: { name: 'default' } } as KubeObject);
  }
  const manager = new ControllerManager({ registry, clock, random: seededRandom(seed + 1) });
  return { clock, registry, manager, alive: new Set() };
}

/** Seconds since START, for readable assertions. */
export function at(cluster: Cluster): number {
  return (cluster.clock.now() - START) / 1000;
}

/** RFC 3339 (seconds) of START + `seconds`, as the registry writes timestamps. */
export function stamp(seconds: number): string {
  return new Date(START + seconds * 1000).toISOString().replace('.000Z', 'Z');
}

function microNow(cluster: Cluster): string {
  return new Date(cluster.clock.now()).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function condition(
  type: string,
  status: string,
  reason: string,
  message: string,
  now: string,
): Obj {
  return { type, status, lastHeartbeatTime: now, lastTransitionTime: now, reason, message };
}

/** A kind-like Node, Ready, with its Lease, both as the kubelet registers them. */
export function addNode(cluster: Cluster, name: string, labels: Record<string, string> = {}): void {
  const { registry } = cluster;
  const now = registry.now();
  registry.create(NODES, '', {
    metadata: {
      name,
      labels: {
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/hostname': name,
        ...labels,
      },
    },
    spec: {},
    status: {
      conditions: [
        condition(
          'MemoryPressure',
          'False',
          'KubeletHasSufficientMemory',
          'kubelet has sufficient memory available',
          now,
        ),
        condition(
          'DiskPressure',
          'False',
          'KubeletHasNoDiskPressure',
          'kubelet has no disk pressure',
          now,
        ),
        condition(
          'PIDPressure',
          'False',
          'KubeletHasSufficientPID',
          'kubelet has sufficient PID available',
          now,
        ),
        condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status', now),
      ],
    },
  } as KubeObject);
  registry.create(LEASES, 'kube-node-lease', {
    metadata: { name },
    spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microNow(cluster) },
  } as KubeObject);
  cluster.alive.add(name);
}

/** The kubelet renewing its Lease. */
export function renewLease(cluster: Cluster, name: string): void {
  cluster.registry.modify(LEASES, 'kube-node-lease', name, (copy) => {
    copy.spec = { ...obj(copy.spec), renewTime: microNow(cluster) };
    return copy;
  });
}

/**
 * The kubelet posting its node status: every condition with a new heartbeat, Ready as given,
 * the pressure conditions as given (False by default), transition times moved when they change.
 */
export function postNodeStatus(
  cluster: Cluster,
  name: string,
  ready: 'True' | 'False',
  pressure: Partial<
    Record<'MemoryPressure' | 'DiskPressure' | 'PIDPressure', 'True' | 'False'>
  > = {},
): void {
  const { registry } = cluster;
  const now = registry.now();
  const wanted: Record<string, [string, string, string]> = {
    MemoryPressure:
      pressure.MemoryPressure === 'True'
        ? ['True', 'KubeletHasInsufficientMemory', 'kubelet has insufficient memory available']
        : ['False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
    DiskPressure:
      pressure.DiskPressure === 'True'
        ? ['True', 'KubeletHasDiskPressure', 'kubelet has disk pressure']
        : ['False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
    PIDPressure:
      pressure.PIDPressure === 'True'
        ? ['True', 'KubeletHasInsufficientPID', 'kubelet has insufficient PID available']
        : ['False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
    Ready:
      ready === 'True'
        ? ['True', 'KubeletReady', 'kubelet is posting ready status']
        : ['False', 'KubeletNotReady', 'container runtime network not ready'],
  };
  registry.modify(
    NODES,
    '',
    name,
    (copy) => {
      const status = obj(copy.status);
      const old = objList(status.conditions);
      status.conditions = Object.entries(wanted).map(([type, [s, reason, message]]) => {
        const previous = old.find((c) => c.type === type);
        const moved = previous?.status !== s;
        return {
          type,
          status: s,
          lastHeartbeatTime: now,
          lastTransitionTime: moved ? now : previous.lastTransitionTime,
          reason,
          message,
        };
      });
      copy.status = status;
      return copy;
    },
    { subresource: 'status' },
  );
}

/** Stops a node's kubelet: no more Lease renewals or status. */
export function stopKubelet(cluster: Cluster, name: string): void {
  cluster.alive.delete(name);
}

/** Starts it again: renews the Lease and posts Ready at once. */
export function startKubelet(cluster: Cluster, name: string): void {
  cluster.alive.add(name);
  renewLease(cluster, name);
  postNodeStatus(cluster, name, 'True');
}

/**
 * Moves time forward in steps of at most `stepMs` (5 s by default), letting the controllers
 * settle after each, with the running kubelets renewing their Leases on every 10 s mark.
 */
export async function step(cluster: Cluster, ms: number, stepMs = 5000): Promise<void> {
  const { clock, manager } = cluster;
  await manager.settle();
  for (let left = ms; left > 0; left -= stepMs) {
    clock.advance(Math.min(stepMs, left));
    if ((clock.now() - START) % 10_000 === 0) {
      for (const name of [...cluster.alive].sort()) renewLease(cluster, name);
    }
    await manager.settle();
  }
}

export interface PodOptions {
  readonly tolerations?: readonly Toleration[];
  readonly labels?: Record<string, string>;
  readonly finalizers?: string[];
  readonly ready?: boolean;
}

/** A pod bound to `nodeName`, reported Running and Ready by its kubelet. */
export function addRunningPod(
  cluster: Cluster,
  name: string,
  nodeName: string,
  options: PodOptions = {},
): KubeObject {
  const { registry } = cluster;
  registry.create(PODS, 'default', {
    metadata: {
      name,
      ...(options.labels ? { labels: options.labels } : {}),
      ...(options.finalizers ? { finalizers: options.finalizers } : {}),
    },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      containers: [{ name: 'app', image: 'nginx:1.27' }],
      ...(options.tolerations ? { tolerations: options.tolerations } : {}),
    },
  } as KubeObject);
  const now = registry.now();
  const readyStatus = options.ready === false ? 'False' : 'True';
  return registry.modify(
    PODS,
    'default',
    name,
    (copy) => {
      copy.status = {
        ...obj(copy.status),
        phase: 'Running',
        conditions: [
          { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: now },
          { type: 'Ready', status: readyStatus, lastProbeTime: null, lastTransitionTime: now },
          {
            type: 'ContainersReady',
            status: readyStatus,
            lastProbeTime: null,
            lastTransitionTime: now,
          },
          { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now },
        ],
      };
      return copy;
    },
    { subresource: 'status' },
  );
}

export function getPod(cluster: Cluster, name: string): KubeObject | undefined {
  return cluster.registry.store.get({ resource: '/pods', namespace: 'default', name });
}

export function getNode(cluster: Cluster, name: string): KubeObject {
  return cluster.registry.get(NODES, '', name);
}

/** The node's taints as `key:effect`, in order. */
export function taintList(cluster: Cluster, name: string): string[] {
  return objList(obj(getNode(cluster, name).spec).taints).map(
    (t) => `${String(t.key)}:${String(t.effect)}`,
  );
}

export function podCondition(pod: KubeObject | undefined, type: string): Obj | undefined {
  return objList(obj(pod?.status).conditions).find((c) => c.type === type);
}

export function nodeCondition(cluster: Cluster, name: string, type: string): Obj | undefined {
  return objList(obj(getNode(cluster, name).status).conditions).find((c) => c.type === type);
}

export interface RecordedEvent {
  readonly namespace: string;
  readonly kind: string;
  readonly name: string;
  readonly type: string;
  readonly reason: string;
  readonly message: string;
  readonly source: string;
  readonly count: number;
  readonly at: string;
}

/** Every event in every namespace, oldest first. */
export function eventList(cluster: Cluster): RecordedEvent[] {
  const out: RecordedEvent[] = [];
  for (const namespace of ['default', 'kube-system', 'kube-node-lease']) {
    for (const event of cluster.registry.list(events, namespace).items) {
      const involved = obj(event.involvedObject);
      out.push({
        namespace,
        kind: String(involved.kind),
        name: String(involved.name),
        type: String(event.type),
        reason: String(event.reason),
        message: String(event.message),
        source: String(obj(event.source).component),
        count: Number(event.count),
        at: String(event.firstTimestamp),
      });
    }
  }
  return out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

/** Cordons (`kubectl cordon`) or uncordons a node. */
export function setUnschedulable(cluster: Cluster, name: string, unschedulable: boolean): void {
  cluster.registry.modify(NODES, '', name, (copy) => {
    const spec = obj(copy.spec);
    if ((spec.unschedulable === true) === unschedulable) return NO_CHANGE;
    if (unschedulable) spec.unschedulable = true;
    else delete spec.unschedulable;
    copy.spec = spec;
    return copy;
  });
}

/** `kubectl taint node <name> key=value:effect` (or removal with `-`). */
export function setTaint(
  cluster: Cluster,
  name: string,
  taint: { key: string; value?: string; effect: string },
  present: boolean,
): void {
  cluster.registry.modify(NODES, '', name, (copy) => {
    const spec = obj(copy.spec);
    const others = objList(spec.taints).filter(
      (t) => !(t.key === taint.key && t.effect === taint.effect),
    );
    const taints = present
      ? [
          ...others,
          {
            ...taint,
            ...(taint.effect === 'NoExecute' ? { timeAdded: cluster.registry.now() } : {}),
          },
        ]
      : others;
    if (taints.length) spec.taints = taints;
    else delete spec.taints;
    copy.spec = spec;
    return copy;
  });
}

/**
 * Node heartbeats as a 1.30 kubelet sends them:
 * - the node Lease in `kube-node-lease` is renewed every 10 s (leaseDurationSeconds 40, renew
 *   interval a quarter of it: k8s.io/component-helpers/apimachinery/lease controller.go), and
 *   created, owned by its Node, when missing;
 * - the Node status is posted only when it changed or `nodeStatusReportFrequency` (5 min) passed
 *   since the last post (pkg/kubelet/kubelet_node_status.go `tryUpdateNodeStatus`), so an idle
 *   cluster writes one small Lease per node every 10 s and little else.
 *
 * One timer wheel serves every node: nodes are spread over ten one-second slots by a hash of
 * their name, and a single 1 s cluster-clock interval renews the leases of one slot, so 5,000
 * nodes cost one timer, not 5,000. Deviation: upstream jitters each renewal by up to 4 %;
 * renewals here are exactly 10 s apart.
 */
import type { Cancel, Clock } from '../../base/clock';
import { isPlainObject, type KubeObject } from '../../kube/objects';
import { findResource } from '../../kube/resources';
import { StatusError } from '../../kube/status';
import { KUBERNETES_VERSION } from '../../kube/version';
import type { Registry } from '../../apiserver/registry/registry';
import { fnv32a } from '../util/controller-util';
import { stableHex } from './images';
import { microTime, type NodeRuntime } from './node-runtime';
import { rfc3339 } from './status';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);

const nodes = findResource('', 'v1', 'nodes')!;
const leases = findResource('coordination.k8s.io', 'v1', 'leases')!;

export const LEASE_NAMESPACE = 'kube-node-lease';
export const LEASE_DURATION_SECONDS = 40;
/** renewInterval = leaseDuration × 0.25. */
export const LEASE_RENEW_MS = 10_000;
/** nodeStatusReportFrequency. */
export const NODE_STATUS_REPORT_MS = 5 * 60_000;

/** Spreads work for many keys over the slots of one period, with one interval timer. */
export class TimerWheel {
  private readonly slots: Array<Set<string>>;
  private cancel: Cancel | undefined;
  private size = 0;

  constructor(
    private readonly clock: Clock,
    private readonly onDue: (key: string) => void,
    private readonly periodMs = LEASE_RENEW_MS,
    private readonly tickMs = 1000,
  ) {
    this.slots = Array.from(
      { length: Math.max(1, Math.round(periodMs / tickMs)) },
      () => new Set(),
    );
  }

  private slotOf(key: string): Set<string> {
    return this.slots[fnv32a(key) % this.slots.length]!;
  }

  has(key: string): boolean {
    return this.slotOf(key).has(key);
  }

  add(key: string): void {
    const slot = this.slotOf(key);
    if (slot.has(key)) return;
    slot.add(key);
    this.size++;
    if (!this.cancel) this.cancel = this.clock.setInterval(() => this.tick(), this.tickMs);
  }

  remove(key: string): void {
    if (!this.slotOf(key).delete(key)) return;
    this.size--;
    if (this.size === 0) this.stop();
  }

  stop(): void {
    this.cancel?.();
    this.cancel = undefined;
  }

  private tick(): void {
    const index = Math.floor(this.clock.now() / this.tickMs) % this.slots.length;
    for (const key of [...this.slots[index]!]) this.onDue(key);
  }
}

/**
 * The conditions a healthy kubelet reports (pkg/kubelet/nodestatus/setters.go), with the event
 * `recordNodeStatusEvent` records when a setter moves the condition to this status.
 */
const HEALTHY_CONDITIONS: ReadonlyArray<{
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
  readonly event: string;
}> = [
  {
    type: 'MemoryPressure',
    status: 'False',
    reason: 'KubeletHasSufficientMemory',
    message: 'kubelet has sufficient memory available',
    event: 'NodeHasSufficientMemory',
  },
  {
    type: 'DiskPressure',
    status: 'False',
    reason: 'KubeletHasNoDiskPressure',
    message: 'kubelet has no disk pressure',
    event: 'NodeHasNoDiskPressure',
  },
  {
    type: 'PIDPressure',
    status: 'False',
    reason: 'KubeletHasSufficientPID',
    message: 'kubelet has sufficient PID available',
    event: 'NodeHasSufficientPID',
  },
  {
    type: 'Ready',
    status: 'True',
    reason: 'KubeletReady',
    message: 'kubelet is posting ready status',
    event: 'NodeReady',
  },
];

/**
 * The pressure events the setters record when they run on a node that has no conditions yet:
 * `initialNode` runs every setter on a fresh Node object each time a kubelet starts, so a
 * starting kubelet always records these, whatever the stored node says. (Ready is not among
 * them: `ReadyCondition` records an event only when an existing condition changes status.)
 */
export const INITIAL_NODE_EVENTS: readonly string[] = HEALTHY_CONDITIONS.filter(
  (c) => c.type !== 'Ready',
).map((c) => c.event);

/**
 * The events the setters record when they post the healthy conditions over `node`'s: a pressure
 * condition that is missing or not False (`MemoryPressureCondition` & co. create a missing one as
 * Unknown, so its first setting is a transition too), and Ready when an existing Ready condition
 * changes status (`ReadyCondition`). Upstream records NodeNotReady when its kubelet turns Ready
 * False; this kubelet only ever reports Ready True, so it records only NodeReady.
 */
export function conditionEvents(node: KubeObject): string[] {
  const conditions = list(obj(node.status).conditions);
  const events: string[] = [];
  for (const wanted of HEALTHY_CONDITIONS) {
    const current = conditions.find((c) => c.type === wanted.type);
    if (
      wanted.type === 'Ready'
        ? current && current.status !== wanted.status
        : current?.status !== wanted.status
    ) {
      events.push(wanted.event);
    }
  }
  return events;
}

/** What a kind node reports about its machine, for nodes created through the API without it. */
const DEFAULT_CAPACITY = {
  cpu: '8',
  'ephemeral-storage': '102350Mi',
  'hugepages-1Gi': '0',
  'hugepages-2Mi': '0',
  memory: '16336052Ki',
  pods: '110',
};

function uuidFrom(text: string): string {
  const hex = stableHex(text);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function nodeInfo(name: string): Obj {
  return {
    architecture: 'amd64',
    bootID: uuidFrom(`boot:${name}`),
    containerRuntimeVersion: KUBERNETES_VERSION.containerRuntimeVersion,
    kernelVersion: '6.1.0-kubelab',
    kubeProxyVersion: KUBERNETES_VERSION.gitVersion,
    kubeletVersion: KUBERNETES_VERSION.gitVersion,
    machineID: stableHex(`machine:${name}`).slice(0, 32),
    operatingSystem: 'linux',
    osImage: 'Debian GNU/Linux 12 (bookworm)',
    systemUUID: uuidFrom(`system:${name}`),
  };
}

/** The InternalIP of a node, if it has one. */
export function internalIP(node: KubeObject | undefined): string | undefined {
  const address = list(obj(node?.status).addresses).find((a) => a.type === 'InternalIP');
  return typeof address?.address === 'string' ? address.address : undefined;
}

export interface NodeReporterDeps {
  readonly registry: Registry;
  readonly clock: Clock;
  /** A free InternalIP for a node that has none (nodes created through the API). */
  freeAddress(): string;
  /** `recordNodeStatusEvent`: records `reason` about the node, as its kubelet. */
  statusEvent(node: string, reason: string): void;
  log(line: string): void;
}

/** Renews leases and posts node status for running kubelets. */
export class NodeReporter {
  /** When each node's status was last posted (rebuilt from its Ready heartbeat time). */
  private readonly lastReport = new Map<string, number>();
  /** `lastNodeUnschedulable`: what each running kubelet last saw of its node's cordon. */
  private readonly lastUnschedulable = new Map<string, boolean>();

  constructor(private readonly deps: NodeReporterDeps) {}

  forget(name: string): void {
    this.lastReport.delete(name);
    this.lastUnschedulable.delete(name);
  }

  /** A kubelet that carries on (the cluster restarted, not it) knows its node's cordon already. */
  carryOn(node: KubeObject): void {
    this.lastUnschedulable.set(node.metadata.name ?? '', obj(node.spec).unschedulable === true);
  }

  /**
   * `recordNodeSchedulableEvent`, one of the setters every status sync runs (posted or not):
   * NodeNotSchedulable when the kubelet first sees its node cordoned, NodeSchedulable when it
   * sees it uncordoned. A kubelet starts believing its node schedulable, so one that starts on a
   * cordoned node records NodeNotSchedulable.
   */
  private recordSchedulable(node: KubeObject): void {
    const name = node.metadata.name ?? '';
    const unschedulable = obj(node.spec).unschedulable === true;
    if ((this.lastUnschedulable.get(name) ?? false) === unschedulable) return;
    this.lastUnschedulable.set(name, unschedulable);
    this.deps.statusEvent(name, unschedulable ? 'NodeNotSchedulable' : 'NodeSchedulable');
  }

  /**
   * One heartbeat: renew the lease, post the status if it changed or is due. Returns the status
   * events the post recorded.
   */
  beat(node: KubeObject, runtime: NodeRuntime, force: boolean): string[] {
    this.renewLease(node);
    return this.syncStatus(node, runtime, force);
  }

  renewLease(node: KubeObject): void {
    const { registry, clock } = this.deps;
    const name = node.metadata.name ?? '';
    const renewTime = microTime(clock.now());
    try {
      registry.modify(
        leases,
        LEASE_NAMESPACE,
        name,
        (copy) => {
          copy.spec = {
            ...obj(copy.spec),
            holderIdentity: name,
            leaseDurationSeconds: LEASE_DURATION_SECONDS,
            renewTime,
          };
          return copy;
        },
        { fieldManager: 'kubelet' },
      );
    } catch (error) {
      if (!(error instanceof StatusError) || error.code !== 404) throw error;
      try {
        registry.create(
          leases,
          LEASE_NAMESPACE,
          {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: {
              name,
              namespace: LEASE_NAMESPACE,
              ownerReferences: [
                { apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid ?? '' },
              ],
            },
            spec: { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime },
          },
          { fieldManager: 'kubelet' },
        );
      } catch (createError) {
        if (!(createError instanceof StatusError)) throw createError;
        this.deps.log(`kubelet ${name}: cannot create its lease: ${createError.message}`);
      }
    }
  }

  /**
   * `tryUpdateNodeStatus`: post when changed, or when the report frequency has passed; the
   * condition transitions of a post are recorded as events once it is written. Returns them.
   */
  syncStatus(node: KubeObject, runtime: NodeRuntime, force: boolean): string[] {
    const now = this.deps.clock.now();
    const name = node.metadata.name ?? '';
    this.recordSchedulable(node);
    let last = this.lastReport.get(name);
    if (last === undefined) {
      const ready = list(obj(node.status).conditions).find((c) => c.type === 'Ready');
      last = Date.parse(String(ready?.lastHeartbeatTime ?? '')) || 0;
      this.lastReport.set(name, last);
    }
    if (!force && now - last < NODE_STATUS_REPORT_MS && !statusChanged(node, runtime)) return [];
    try {
      let events: string[] = [];
      this.deps.registry.modify(
        nodes,
        '',
        name,
        (copy) => {
          events = conditionEvents(copy);
          copy.status = this.desiredStatus(copy, runtime, now);
          return copy;
        },
        { subresource: 'status', fieldManager: 'kubelet' },
      );
      this.lastReport.set(name, now);
      runtime.imagesChanged = false;
      for (const reason of events) this.deps.statusEvent(name, reason);
      return events;
    } catch (error) {
      if (!(error instanceof StatusError) || error.code !== 404) throw error;
      return [];
    }
  }

  /** The status the kubelet's setters produce, heartbeats stamped `now`. */
  private desiredStatus(node: KubeObject, runtime: NodeRuntime, now: number): Obj {
    const old = obj(node.status);
    const stamp = rfc3339(now);
    const oldConditions = list(old.conditions);
    const conditions: Obj[] = HEALTHY_CONDITIONS.map((condition) => {
      const previous = oldConditions.find((c) => c.type === condition.type);
      const keep = previous?.status === condition.status;
      return {
        lastHeartbeatTime: stamp,
        lastTransitionTime: keep ? (previous?.lastTransitionTime ?? stamp) : stamp,
        message: condition.message,
        reason: condition.reason,
        status: condition.status,
        type: condition.type,
      };
    });
    for (const condition of oldConditions) {
      if (!HEALTHY_CONDITIONS.some((c) => c.type === condition.type)) conditions.push(condition);
    }
    const name = node.metadata.name ?? '';
    const addresses = list(old.addresses).length
      ? old.addresses
      : [
          { address: this.deps.freeAddress(), type: 'InternalIP' },
          { address: name, type: 'Hostname' },
        ];
    return {
      ...old,
      addresses,
      allocatable: isPlainObject(old.allocatable) ? old.allocatable : DEFAULT_CAPACITY,
      capacity: isPlainObject(old.capacity) ? old.capacity : DEFAULT_CAPACITY,
      conditions,
      daemonEndpoints: isPlainObject(old.daemonEndpoints)
        ? old.daemonEndpoints
        : { kubeletEndpoint: { Port: 10250 } },
      images: runtime.statusImages(),
      nodeInfo: isPlainObject(old.nodeInfo) ? old.nodeInfo : nodeInfo(name),
    };
  }
}

/**
 * `nodeStatusHasChanged` for what this kubelet sets: its conditions (heartbeat stamps aside),
 * its images, and the machine facts a node created through the API lacks. Cheap, as it runs for
 * every node every 10 s.
 */
function statusChanged(node: KubeObject, runtime: NodeRuntime): boolean {
  if (runtime.imagesChanged) return true;
  const status = obj(node.status);
  for (const field of ['addresses', 'capacity', 'allocatable', 'nodeInfo', 'daemonEndpoints']) {
    if (status[field] === undefined) return true;
  }
  const conditions = list(status.conditions);
  return HEALTHY_CONDITIONS.some((wanted) => {
    const current = conditions.find((c) => c.type === wanted.type);
    return (
      current?.status !== wanted.status ||
      current.reason !== wanted.reason ||
      current.message !== wanted.message
    );
  });
}

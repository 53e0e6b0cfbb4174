/**
 * The scheduling queue, after pkg/scheduler/internal/queue/scheduling_queue.go (1.30,
 * SchedulerQueueingHints off as it is by default): `PriorityQueue` with
 * - activeQ, ordered by PrioritySort (higher `spec.priority` first, then earlier queue time);
 * - backoffQ, pods waiting out their backoff (1 s doubling up to 10 s per attempt) before going
 *   back to activeQ (flushed every second);
 * - unschedulablePods, pods that failed and wait for a cluster event that may help them — a
 *   node added or changed, an assigned pod deleted — matched against the events the plugins that
 *   rejected them registered (`EventsToRegister`), or for 5 minutes (flushed every 30 s);
 * - gated pods (SchedulingGates PreEnqueue): held in unschedulablePods until their gates are gone.
 * Ties in queue time are broken by arrival order, so a seeded run is reproducible.
 */
import type { Clock } from '../../base/clock';
import type { KubeObject } from '../../kube/objects';
import { deepEqual } from '../../kube/objects';
import { keyOf } from '../runtime/informer';
import { newPodInfo, obj, termMatches, type PodInfo } from './pod-info';
import { PLUGIN } from './plugins';

export const POD_INITIAL_BACKOFF_MS = 1000;
export const POD_MAX_BACKOFF_MS = 10_000;
/** `podMaxInUnschedulablePodsDuration`. */
export const POD_MAX_IN_UNSCHEDULABLE_MS = 5 * 60_000;

/** `framework.QueuedPodInfo`. */
export interface QueuedPodInfo {
  pod: KubeObject;
  info: PodInfo;
  readonly key: string;
  /** When the pod was added to the queue, or last failed. */
  timestamp: number;
  attempts: number;
  initialAttemptTimestamp: number | undefined;
  /** The plugins that rejected it in its last attempt. */
  unschedulablePlugins: Set<string>;
  gated: boolean;
  /** Arrival order, the tie-breaker. */
  seq: number;
}

type Resource = 'Node' | 'Pod' | 'WildCard';
type Action =
  | 'Add'
  | 'Delete'
  | 'Update'
  | 'UpdateNodeAllocatable'
  | 'UpdateNodeLabel'
  | 'UpdateNodeTaint'
  | 'UpdateNodeCondition'
  | 'UpdateNodeAnnotation'
  | 'All';

/** `framework.ClusterEvent`. */
export interface ClusterEvent {
  readonly resource: Resource;
  readonly action: Action;
  readonly label: string;
}

export const EVENTS = {
  NodeAdd: { resource: 'Node', action: 'Add', label: 'NodeAdd' },
  NodeDelete: { resource: 'Node', action: 'Delete', label: 'NodeDelete' },
  NodeSpecUnschedulableChange: {
    resource: 'Node',
    action: 'UpdateNodeTaint',
    label: 'NodeSpecUnschedulableChange',
  },
  NodeAllocatableChange: {
    resource: 'Node',
    action: 'UpdateNodeAllocatable',
    label: 'NodeAllocatableChange',
  },
  NodeLabelChange: { resource: 'Node', action: 'UpdateNodeLabel', label: 'NodeLabelChange' },
  NodeTaintChange: { resource: 'Node', action: 'UpdateNodeTaint', label: 'NodeTaintChange' },
  NodeConditionChange: {
    resource: 'Node',
    action: 'UpdateNodeCondition',
    label: 'NodeConditionChange',
  },
  NodeAnnotationChange: {
    resource: 'Node',
    action: 'UpdateNodeAnnotation',
    label: 'NodeAnnotationChange',
  },
  AssignedPodAdd: { resource: 'Pod', action: 'Add', label: 'AssignedPodAdd' },
  AssignedPodUpdate: { resource: 'Pod', action: 'Update', label: 'AssignedPodUpdate' },
  AssignedPodDelete: { resource: 'Pod', action: 'Delete', label: 'AssignedPodDelete' },
  UnschedulableTimeout: { resource: 'WildCard', action: 'All', label: 'UnschedulableTimeout' },
} as const satisfies Record<string, ClusterEvent>;

const NODE_UPDATES: readonly Action[] = [
  'UpdateNodeAllocatable',
  'UpdateNodeLabel',
  'UpdateNodeTaint',
  'UpdateNodeCondition',
  'UpdateNodeAnnotation',
];
const ANY_NODE_CHANGE: readonly Action[] = ['Add', ...NODE_UPDATES];

/** The events each filter plugin registers (`EventsToRegister`, 1.30, without queueing hints). */
const REGISTERED: Readonly<
  Record<string, ReadonlyArray<{ resource: Resource; actions: readonly Action[] }>>
> = {
  [PLUGIN.NodeUnschedulable]: [{ resource: 'Node', actions: ['Add', 'UpdateNodeTaint'] }],
  [PLUGIN.NodeName]: [{ resource: 'Node', actions: ANY_NODE_CHANGE }],
  [PLUGIN.TaintToleration]: [{ resource: 'Node', actions: ANY_NODE_CHANGE }],
  [PLUGIN.NodeAffinity]: [{ resource: 'Node', actions: ANY_NODE_CHANGE }],
  [PLUGIN.NodePorts]: [
    { resource: 'Pod', actions: ['Delete'] },
    { resource: 'Node', actions: ANY_NODE_CHANGE },
  ],
  [PLUGIN.NodeResourcesFit]: [
    { resource: 'Pod', actions: ['Delete'] },
    { resource: 'Node', actions: ANY_NODE_CHANGE },
  ],
  [PLUGIN.PodTopologySpread]: [
    { resource: 'Pod', actions: ['Add', 'Update', 'Delete'] },
    { resource: 'Node', actions: ['Add', 'Delete', 'UpdateNodeLabel', 'UpdateNodeTaint'] },
  ],
  [PLUGIN.InterPodAffinity]: [
    { resource: 'Pod', actions: ['Add', 'Update', 'Delete'] },
    { resource: 'Node', actions: ['Add', 'UpdateNodeLabel'] },
  ],
};

function interested(plugin: string, event: ClusterEvent): boolean {
  return (REGISTERED[plugin] ?? []).some(
    (r) => r.resource === event.resource && r.actions.includes(event.action),
  );
}

/** `isPodUpdated`: a change beyond status, resourceVersion, generation, managedFields and finalizers. */
export function isPodUpdated(oldPod: KubeObject, newPod: KubeObject): boolean {
  const strip = (pod: KubeObject): unknown => ({
    ...pod,
    metadata: {
      ...pod.metadata,
      resourceVersion: undefined,
      generation: undefined,
      managedFields: undefined,
      finalizers: undefined,
    },
    status: undefined,
  });
  return !deepEqual(strip(oldPod), strip(newPod));
}

function isGated(pod: KubeObject): boolean {
  const gates = obj(pod.spec).schedulingGates;
  return Array.isArray(gates) && gates.length > 0;
}

/** A binary heap keyed by pod, with removal and update by key. */
class PodHeap {
  private readonly items: QueuedPodInfo[] = [];
  private readonly index = new Map<string, number>();

  constructor(private readonly less: (a: QueuedPodInfo, b: QueuedPodInfo) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  get(key: string): QueuedPodInfo | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : this.items[i];
  }

  peek(): QueuedPodInfo | undefined {
    return this.items[0];
  }

  /** Adds, or replaces the entry with the same key. */
  push(item: QueuedPodInfo): void {
    const at = this.index.get(item.key);
    if (at !== undefined) {
      this.items[at] = item;
      this.fix(at);
      return;
    }
    this.items.push(item);
    this.index.set(item.key, this.items.length - 1);
    this.up(this.items.length - 1);
  }

  pop(): QueuedPodInfo | undefined {
    if (this.items.length === 0) return undefined;
    const top = this.items[0]!;
    this.removeAt(0);
    return top;
  }

  delete(key: string): QueuedPodInfo | undefined {
    const at = this.index.get(key);
    if (at === undefined) return undefined;
    const item = this.items[at]!;
    this.removeAt(at);
    return item;
  }

  private removeAt(at: number): void {
    const last = this.items.length - 1;
    this.index.delete(this.items[at]!.key);
    if (at !== last) {
      this.items[at] = this.items[last]!;
      this.index.set(this.items[at]!.key, at);
    }
    this.items.pop();
    if (at < this.items.length) this.fix(at);
  }

  private fix(at: number): void {
    if (!this.down(at)) this.up(at);
  }

  private swap(i: number, j: number): void {
    const a = this.items[i]!;
    const b = this.items[j]!;
    this.items[i] = b;
    this.items[j] = a;
    this.index.set(b.key, i);
    this.index.set(a.key, j);
  }

  private up(at: number): void {
    let i = at;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.items[i]!, this.items[parent]!)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(at: number): boolean {
    let i = at;
    const n = this.items.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      let j = left;
      if (left + 1 < n && this.less(this.items[left + 1]!, this.items[left]!)) j = left + 1;
      if (!this.less(this.items[j]!, this.items[i]!)) break;
      this.swap(i, j);
      i = j;
    }
    return i > at;
  }
}

export class SchedulingQueue {
  private readonly activeQ: PodHeap;
  private readonly backoffQ: PodHeap;
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  private seq = 0;
  /** Incremented by every Pop. */
  schedulingCycle = 0;
  /** The cycle of the last move request. */
  private moveRequestCycle = -1;

  constructor(
    private readonly clock: Clock,
    /** Called whenever activeQ gains a pod. */
    private readonly activated: () => void,
    /** Namespace labels, for the affinity terms of pods waiting on pod events. */
    private readonly namespaceLabels: (namespace: string) => Readonly<Record<string, string>>,
  ) {
    this.activeQ = new PodHeap(
      (a, b) =>
        a.info.priority > b.info.priority ||
        (a.info.priority === b.info.priority &&
          (a.timestamp < b.timestamp || (a.timestamp === b.timestamp && a.seq < b.seq))),
    );
    this.backoffQ = new PodHeap((a, b) => {
      const ta = this.backoffTime(a);
      const tb = this.backoffTime(b);
      return ta < tb || (ta === tb && a.seq < b.seq);
    });
  }

  get activeLength(): number {
    return this.activeQ.size;
  }

  /** Where each pod is, for tests and diagnostics. */
  where(key: string): 'active' | 'backoff' | 'unschedulable' | 'gated' | undefined {
    if (this.activeQ.get(key)) return 'active';
    if (this.backoffQ.get(key)) return 'backoff';
    const u = this.unschedulable.get(key);
    if (u) return u.gated ? 'gated' : 'unschedulable';
    return undefined;
  }

  private newQueuedPodInfo(pod: KubeObject): QueuedPodInfo {
    return {
      pod,
      info: newPodInfo(pod),
      key: keyOf(pod),
      timestamp: this.clock.now(),
      attempts: 0,
      initialAttemptTimestamp: undefined,
      unschedulablePlugins: new Set(),
      gated: false,
      seq: this.seq++,
    };
  }

  /** `addToActiveQ`: PreEnqueue (SchedulingGates) first; a gated pod waits in unschedulablePods. */
  private addToActiveQ(pInfo: QueuedPodInfo): boolean {
    pInfo.gated = isGated(pInfo.pod);
    if (pInfo.gated) {
      this.unschedulable.set(pInfo.key, pInfo);
      return false;
    }
    pInfo.seq = this.seq++;
    this.activeQ.push(pInfo);
    this.activated();
    return true;
  }

  /** `Add`: a new pending pod. */
  add(pod: KubeObject): void {
    const pInfo = this.newQueuedPodInfo(pod);
    if (!this.addToActiveQ(pInfo)) return;
    this.unschedulable.delete(pInfo.key);
    this.backoffQ.delete(pInfo.key);
  }

  /** `Update`: a pending pod changed. */
  update(oldPod: KubeObject, newPod: KubeObject): void {
    const key = keyOf(newPod);
    const refresh = (pInfo: QueuedPodInfo): void => {
      pInfo.pod = newPod;
      pInfo.info = newPodInfo(newPod);
    };
    const active = this.activeQ.get(key);
    if (active) {
      refresh(active);
      this.activeQ.push(active);
      return;
    }
    const backoff = this.backoffQ.get(key);
    if (backoff) {
      refresh(backoff);
      this.backoffQ.push(backoff);
      return;
    }
    const waiting = this.unschedulable.get(key);
    if (waiting) {
      refresh(waiting);
      if (isPodUpdated(oldPod, newPod)) {
        if (waiting.gated) {
          // PreEnqueue again: the gates may be gone.
          if (this.addToActiveQ(waiting)) this.unschedulable.delete(key);
          return;
        }
        this.unschedulable.delete(key);
        if (this.isPodBackingOff(waiting)) this.pushBackoff(waiting);
        else this.addToActiveQ(waiting);
      }
      return;
    }
    this.addToActiveQ(this.newQueuedPodInfo(newPod));
  }

  /** `Delete`. */
  delete(pod: KubeObject): void {
    const key = keyOf(pod);
    this.activeQ.delete(key);
    this.backoffQ.delete(key);
    this.unschedulable.delete(key);
  }

  /** `Pop`: the next pod to schedule. */
  pop(): QueuedPodInfo | undefined {
    const pInfo = this.activeQ.pop();
    if (!pInfo) return undefined;
    pInfo.attempts++;
    pInfo.initialAttemptTimestamp ??= this.clock.now();
    this.schedulingCycle++;
    pInfo.unschedulablePlugins = new Set();
    return pInfo;
  }

  /**
   * `AddUnschedulableIfNotPresent`: after a failed attempt. With rejecting plugins it waits for
   * an event (unschedulablePods); without (an error), or when an event came during its attempt,
   * it backs off.
   */
  addUnschedulableIfNotPresent(pInfo: QueuedPodInfo, podSchedulingCycle: number): void {
    const key = pInfo.key;
    if (this.activeQ.get(key) || this.backoffQ.get(key) || this.unschedulable.has(key)) return;
    pInfo.timestamp = this.clock.now();
    if (this.moveRequestCycle >= podSchedulingCycle || pInfo.unschedulablePlugins.size === 0) {
      this.pushBackoff(pInfo);
    } else {
      this.unschedulable.set(key, pInfo);
    }
  }

  private pushBackoff(pInfo: QueuedPodInfo): void {
    pInfo.seq = this.seq++;
    this.backoffQ.push(pInfo);
  }

  /** `calculateBackoffDuration`: 1 s, doubled per further attempt, at most 10 s. */
  backoffDuration(pInfo: QueuedPodInfo): number {
    let duration = POD_INITIAL_BACKOFF_MS;
    for (let i = 1; i < pInfo.attempts; i++) {
      if (duration > POD_MAX_BACKOFF_MS - duration) return POD_MAX_BACKOFF_MS;
      duration += duration;
    }
    return duration;
  }

  private backoffTime(pInfo: QueuedPodInfo): number {
    return pInfo.timestamp + this.backoffDuration(pInfo);
  }

  private isPodBackingOff(pInfo: QueuedPodInfo): boolean {
    if (pInfo.gated) return false;
    return this.backoffTime(pInfo) > this.clock.now();
  }

  /** `flushBackoffQCompleted` (every second). */
  flushBackoffQCompleted(): void {
    for (let head = this.backoffQ.peek(); head; head = this.backoffQ.peek()) {
      if (this.isPodBackingOff(head)) break;
      this.backoffQ.pop();
      this.addToActiveQ(head);
    }
  }

  /** `flushUnschedulablePodsLeftover` (every 30 s): pods waiting more than 5 minutes. */
  flushUnschedulablePodsLeftover(): void {
    const now = this.clock.now();
    const toMove = [...this.unschedulable.values()].filter(
      (p) => now - p.timestamp > POD_MAX_IN_UNSCHEDULABLE_MS,
    );
    if (toMove.length) this.movePods(toMove, EVENTS.UnschedulableTimeout);
  }

  /** `MoveAllToActiveOrBackoffQueue`, with the PreEnqueueCheck of node events. */
  moveAll(event: ClusterEvent, preCheck?: (pod: PodInfo) => boolean): void {
    if (!Object.keys(REGISTERED).some((plugin) => interested(plugin, event))) return;
    const toMove = [...this.unschedulable.values()].filter(
      (p) => preCheck === undefined || preCheck(p.info),
    );
    this.movePods(toMove, event);
  }

  /** `movePodsToActiveOrBackoffQueue`. */
  private movePods(pods: readonly QueuedPodInfo[], event: ClusterEvent): void {
    for (const pInfo of pods) {
      if (pInfo.gated) continue;
      if (!this.worthRequeuing(pInfo, event)) continue;
      this.unschedulable.delete(pInfo.key);
      if (this.isPodBackingOff(pInfo)) this.pushBackoff(pInfo);
      else this.addToActiveQ(pInfo);
    }
    this.moveRequestCycle = this.schedulingCycle;
  }

  /** `isPodWorthRequeuing` without queueing hints: a rejecting plugin registered the event. */
  private worthRequeuing(pInfo: QueuedPodInfo, event: ClusterEvent): boolean {
    if (pInfo.unschedulablePlugins.size === 0) return true;
    if (event.resource === 'WildCard') return true;
    for (const plugin of pInfo.unschedulablePlugins) if (interested(plugin, event)) return true;
    return false;
  }

  /**
   * `getUnschedulablePodsWithCrossTopologyTerm`: pods a pod event may help — rejected by
   * PodTopologySpread in the same namespace, or with a required affinity term the pod matches.
   */
  private podsWithCrossTopologyTerm(pod: PodInfo): QueuedPodInfo[] {
    const nsLabels = this.namespaceLabels(pod.namespace);
    return [...this.unschedulable.values()].filter(
      (p) =>
        (p.unschedulablePlugins.has(PLUGIN.PodTopologySpread) &&
          p.info.namespace === pod.namespace) ||
        p.info.requiredAffinityTerms.some((term) => termMatches(term, pod, nsLabels)),
    );
  }

  /** `AssignedPodAdded`. */
  assignedPodAdded(pod: PodInfo): void {
    this.movePods(this.podsWithCrossTopologyTerm(pod), EVENTS.AssignedPodAdd);
  }

  /** `AssignedPodUpdated` (in-place resize is off in 1.30). */
  assignedPodUpdated(pod: PodInfo): void {
    this.movePods(this.podsWithCrossTopologyTerm(pod), EVENTS.AssignedPodUpdate);
  }
}

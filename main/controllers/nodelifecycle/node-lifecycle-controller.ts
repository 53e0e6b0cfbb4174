/**
 * The node lifecycle controller (kube-controller-manager `node-lifecycle-controller`, events from
 * `node-controller`), after pkg/controller/nodelifecycle/node_lifecycle_controller.go of
 * Kubernetes 1.30:
 * - `monitorNodeHealth`, every `nodeMonitorPeriod` (5 s): a node whose kubelet has neither renewed
 *   its Lease (kube-node-lease) nor posted a new Ready heartbeat for `nodeMonitorGracePeriod` gets
 *   Ready, MemoryPressure, DiskPressure and PIDPressure set to Unknown ("Kubelet stopped posting
 *   node status."); when Ready leaves True the node gets a `NodeNotReady` event and its pods
 *   Ready=False (`MarkPodsNotReady`). Nodes are also counted per zone to detect disruption.
 * - `doNoExecuteTaintingPass`: NotReady / unreachable nodes get the `node.kubernetes.io/not-ready`
 *   or `…/unreachable` NoExecute taint, at most one node per zone every 10 s
 *   (`--node-eviction-rate` 0.1), none while a zone is fully disrupted; the taint-eviction
 *   controller then evicts what does not tolerate them.
 * - `doNoScheduleTaintingPass` (the scheduler's TaintNodesByCondition, done here since 1.12): on
 *   every node change, NoSchedule taints mirror the conditions (not-ready, unreachable,
 *   memory/disk/pid-pressure, network-unavailable) and `spec.unschedulable` (cordon).
 * - `reconcileNodeLabels`: the beta os/arch labels follow the GA ones.
 *
 * Like upstream it keeps, in memory, when it last saw each node's heartbeat change
 * (`nodeHealthMap`, the controller's own clock rather than the kubelet's timestamps) and the
 * per-zone tainting queues; a restarted controller gives every node a fresh grace period.
 *
 * Deviations: the NoExecute tainting pass runs when there is work (after each monitor pass and
 * when a token is due) instead of polling every 100 ms; no metrics; a failed NoSchedule pass is
 * logged, not retried (as upstream, whose queue has a TODO for it).
 */
import type { Cancel } from '../../base/clock';
import { deepEqual, type KubeObject } from '../../kube/objects';
import { taintsOf, type Taint } from '../../kube/scheduling';
import type { EventRecorder } from '../runtime/events';
import { keyOf, type Informer } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import type { WorkQueue } from '../runtime/queue';
import { isNotFound } from '../../kube/status';
import {
  FIELD_MANAGER,
  getNodeCondition,
  LEASES,
  markPodsNotReady,
  message,
  NODES,
  nodeNameOf,
  obj,
  objList,
  PODS,
  recordNodeEvent,
  recordNodeStatusChange,
  removeTaintsOffNode,
  swapNodeControllerTaint,
  TAINT_NODE_DISK_PRESSURE,
  TAINT_NODE_MEMORY_PRESSURE,
  TAINT_NODE_NETWORK_UNAVAILABLE,
  TAINT_NODE_NOT_READY,
  TAINT_NODE_PID_PRESSURE,
  TAINT_NODE_UNREACHABLE,
  TAINT_NODE_UNSCHEDULABLE,
  type Obj,
} from './node-util';
import { RateLimitedTimedQueue } from './rate-limited-queue';
import { taintExists, taintSetDiff } from './taints';
import { NO_CHANGE } from '../../apiserver/registry/registry';

/** kube-controller-manager's node lifecycle flags. */
export interface NodeLifecycleOptions {
  /** `--node-monitor-period`: how often node health is checked. */
  readonly nodeMonitorPeriodMs?: number;
  /** `--node-monitor-grace-period`: silence after which a node is marked Unknown. */
  readonly nodeMonitorGracePeriodMs?: number;
  /** `--node-startup-grace-period`: the same for a node that never posted a Ready condition. */
  readonly nodeStartupGracePeriodMs?: number;
  /** `--node-eviction-rate`: nodes tainted NoExecute per second, per zone. */
  readonly evictionLimiterQps?: number;
  /** `--secondary-node-eviction-rate`: the rate in a partially disrupted large zone. */
  readonly secondaryEvictionLimiterQps?: number;
  /** `--large-cluster-size-threshold`. */
  readonly largeClusterThreshold?: number;
  /** `--unhealthy-zone-threshold`: share of NotReady nodes (at least 3) for partial disruption. */
  readonly unhealthyZoneThreshold?: number;
}

/**
 * The 1.30 defaults (pkg/controller/nodelifecycle/config/v1alpha1/defaults.go and
 * cmd/kube-controller-manager/app/options/nodelifecyclecontroller.go). The grace period is 40 s in
 * 1.30: it became 50 s only in 1.32 (kubernetes/kubernetes#126287, merged July 2024 for 1.32, as
 * openshift/kubernetes#2385 records), not in 1.29 as daemonset-spec.md §4.5 says.
 */
export const NODE_LIFECYCLE_DEFAULTS: Required<NodeLifecycleOptions> = {
  nodeMonitorPeriodMs: 5_000,
  nodeMonitorGracePeriodMs: 40_000,
  nodeStartupGracePeriodMs: 60_000,
  evictionLimiterQps: 0.1,
  secondaryEvictionLimiterQps: 0.01,
  largeClusterThreshold: 50,
  unhealthyZoneThreshold: 0.55,
};

/** `UnreachableTaintTemplate`. */
export const UNREACHABLE_TAINT: Taint = { key: TAINT_NODE_UNREACHABLE, effect: 'NoExecute' };
/** `NotReadyTaintTemplate`. */
export const NOT_READY_TAINT: Taint = { key: TAINT_NODE_NOT_READY, effect: 'NoExecute' };

/** `nodeConditionToTaintKeyStatusMap`: condition type → status → NoSchedule taint key. */
const CONDITION_TAINTS: ReadonlyMap<string, ReadonlyMap<string, string>> = new Map([
  [
    'Ready',
    new Map([
      ['False', TAINT_NODE_NOT_READY],
      ['Unknown', TAINT_NODE_UNREACHABLE],
    ]),
  ],
  ['MemoryPressure', new Map([['True', TAINT_NODE_MEMORY_PRESSURE]])],
  ['DiskPressure', new Map([['True', TAINT_NODE_DISK_PRESSURE]])],
  ['NetworkUnavailable', new Map([['True', TAINT_NODE_NETWORK_UNAVAILABLE]])],
  ['PIDPressure', new Map([['True', TAINT_NODE_PID_PRESSURE]])],
]);

/** `taintKeyToNodeConditionMap`'s keys: the condition taints this controller owns. */
const CONDITION_TAINT_KEYS = new Set([
  TAINT_NODE_NOT_READY,
  TAINT_NODE_UNREACHABLE,
  TAINT_NODE_NETWORK_UNAVAILABLE,
  TAINT_NODE_MEMORY_PRESSURE,
  TAINT_NODE_DISK_PRESSURE,
  TAINT_NODE_PID_PRESSURE,
]);

/** Conditions set to Unknown when a node goes silent (NetworkUnavailable is the cloud's). */
const SILENT_CONDITION_TYPES = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

/** `labelReconcileInfo`: the beta labels kept equal to the GA ones. */
const LABEL_RECONCILE = [
  { primary: 'kubernetes.io/os', secondary: 'beta.kubernetes.io/os', ensureSecondary: true },
  { primary: 'kubernetes.io/arch', secondary: 'beta.kubernetes.io/arch', ensureSecondary: true },
];

/** `labelNodeDisruptionExclusion`. */
const LABEL_EXCLUDE_DISRUPTION = 'node.kubernetes.io/exclude-disruption';
const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** `scheduler.NodeHealthUpdateRetry`. */
const NODE_HEALTH_UPDATE_RETRY = 5;
/** `scheduler.NodeEvictionPeriod`: the tainting pass's period upstream, our shortest re-run. */
const NODE_EVICTION_PERIOD_MS = 100;
/** Index of pods by `spec.nodeName` (`nodeNameKeyIndex`), shared with the taint manager. */
export const POD_NODE_NAME_INDEX = 'spec.nodeName';

export type ZoneState = 'Initial' | 'Normal' | 'FullDisruption' | 'PartialDisruption';

/** `nodeHealthData`: what was last seen of a node, and when (controller time, ms). */
interface NodeHealth {
  readonly probeTimestamp: number;
  readonly readyTransitionTimestamp: number;
  readonly status: Obj;
  /** The renewTime (ms) of the Lease last seen, if any. */
  readonly leaseRenewTime?: number;
}

/** What `tryUpdateNodeHealth` answers. */
interface HealthResult {
  /** The node, with the conditions this pass wrote. */
  readonly node: KubeObject;
  /** The Ready condition as the pass found it (a stand-in if the kubelet never posted one). */
  readonly observedReady: Obj;
  /** The Ready condition now; undefined if there is none. */
  readonly currentReady: Obj | undefined;
}

/** Adds the `spec.nodeName` pod index (idempotent: every user adds the same function). */
export function indexPodsByNodeName(pods: Informer): void {
  pods.addIndex(POD_NODE_NAME_INDEX, (pod) => {
    const name = nodeNameOf(pod);
    return name ? [name] : [];
  });
}

/** `nodetopology.GetZoneKey`: region and zone (beta labels first); '' without either. */
export function zoneKeyOf(node: KubeObject): string {
  const labels = node.metadata.labels ?? {};
  const zone =
    labels['failure-domain.beta.kubernetes.io/zone'] ?? labels['topology.kubernetes.io/zone'] ?? '';
  const region =
    labels['failure-domain.beta.kubernetes.io/region'] ??
    labels['topology.kubernetes.io/region'] ??
    '';
  if (region === '' && zone === '') return '';
  return `${region}:\x00:${zone}`;
}

const MONITOR = 'monitor';
const PASS = 'pass';

export class NodeLifecycleController implements Controller {
  private readonly options: Required<NodeLifecycleOptions>;
  private readonly nodes: Informer;
  private readonly pods: Informer;
  private readonly leases: Informer;
  private readonly recorder: EventRecorder;
  private readonly monitorQueue: WorkQueue;
  private readonly noExecuteQueue: WorkQueue;
  private readonly nodeUpdateQueue: WorkQueue;
  private readonly podUpdateQueue: WorkQueue;
  private readonly knownNodeSet = new Map<string, KubeObject>();
  private readonly nodeHealthMap = new Map<string, NodeHealth>();
  private readonly zoneStates = new Map<string, ZoneState>();
  private readonly zoneNoExecuteTainter = new Map<string, RateLimitedTimedQueue>();
  private readonly nodesToRetry = new Set<string>();
  private ticker: Cancel | undefined;

  constructor(
    private readonly ctx: ControllerContext,
    options: NodeLifecycleOptions = {},
  ) {
    this.options = { ...NODE_LIFECYCLE_DEFAULTS, ...options };
    this.nodes = ctx.informers.for(NODES);
    this.pods = ctx.informers.for(PODS);
    this.leases = ctx.informers.for(LEASES);
    indexPodsByNodeName(this.pods);
    this.recorder = ctx.recorder({ component: 'node-controller' });
    this.monitorQueue = ctx.queue('node_lifecycle_controller_monitor', () => {
      this.monitorNodeHealth();
    });
    this.noExecuteQueue = ctx.queue('node_lifecycle_controller_noexecute', () => {
      this.doNoExecuteTaintingPass();
    });
    this.nodeUpdateQueue = ctx.queue('node_lifecycle_controller', (name) => {
      this.doNodeProcessingPass(name);
    });
    this.podUpdateQueue = ctx.queue('node_lifecycle_controller_pods', (key) => {
      this.processPod(key);
    });
    this.pods.addHandlers({
      add: (pod) => this.podUpdated(undefined, pod),
      update: (old, pod) => this.podUpdated(old, pod),
    });
    this.nodes.addHandlers({
      add: (node) => this.nodeUpdateQueue.add(node.metadata.name ?? ''),
      update: (_, node) => this.nodeUpdateQueue.add(node.metadata.name ?? ''),
      delete: (node) => this.nodesToRetry.delete(node.metadata.name ?? ''),
    });
  }

  /** Starts the health monitor: a pass now, then every `nodeMonitorPeriod`. */
  start(): void {
    this.monitorQueue.add(MONITOR);
    this.ticker = this.ctx.clock.setInterval(
      () => this.monitorQueue.add(MONITOR),
      this.options.nodeMonitorPeriodMs,
    );
  }

  stop(): void {
    this.ticker?.();
    this.ticker = undefined;
  }

  /** The zone states the last monitor pass settled on (for tests and diagnostics). */
  get zones(): ReadonlyMap<string, ZoneState> {
    return this.zoneStates;
  }

  private log(line: string): void {
    this.ctx.log(`node-lifecycle-controller: ${line}`);
  }

  // -----------------------------------------------------------------------------------------
  // Node updates: NoSchedule taints from conditions, and labels

  private doNodeProcessingPass(name: string): void {
    try {
      this.doNoScheduleTaintingPass(name);
    } catch (error) {
      this.log(`Failed to taint NoSchedule on node ${name}: ${message(error)}`);
    }
    try {
      this.reconcileNodeLabels(name);
    } catch (error) {
      this.log(`Failed to reconcile labels for node ${name}: ${message(error)}`);
    }
  }

  /**
   * `doNoScheduleTaintingPass`: the node's NoSchedule condition taints and unschedulable taint
   * become exactly those its conditions and `spec.unschedulable` call for.
   */
  private doNoScheduleTaintingPass(name: string): void {
    const node = this.nodes.get('', name);
    if (!node) return;
    const wanted: Taint[] = [];
    for (const condition of objList(obj(node.status).conditions)) {
      const key = CONDITION_TAINTS.get(String(condition.type))?.get(String(condition.status));
      if (key) wanted.push({ key, effect: 'NoSchedule' });
    }
    if (obj(node.spec).unschedulable === true) {
      wanted.push({ key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' });
    }
    const current = taintsOf(node).filter(
      (t) =>
        t.effect === 'NoSchedule' &&
        (t.key === TAINT_NODE_UNSCHEDULABLE || CONDITION_TAINT_KEYS.has(t.key)),
    );
    const { toAdd, toRemove } = taintSetDiff(wanted, current);
    if (toAdd.length === 0 && toRemove.length === 0) return;
    if (!swapNodeControllerTaint(this.ctx.registry, toAdd, toRemove, node, (l) => this.log(l))) {
      this.log(`failed to swap taints of node ${name}`);
    }
  }

  /** `reconcileNodeLabels`: beta.kubernetes.io/{os,arch} follow kubernetes.io/{os,arch}. */
  private reconcileNodeLabels(name: string): void {
    const node = this.nodes.get('', name);
    const labels = node?.metadata.labels;
    if (!labels) return;
    const toUpdate: Record<string, string> = {};
    for (const { primary, secondary, ensureSecondary } of LABEL_RECONCILE) {
      const value = labels[primary];
      if (value === undefined) continue;
      const existing = labels[secondary];
      if (existing !== undefined ? existing !== value : ensureSecondary)
        toUpdate[secondary] = value;
    }
    if (Object.keys(toUpdate).length === 0) return;
    this.ctx.registry.modify(
      NODES,
      '',
      name,
      (copy) => {
        const current = copy.metadata.labels ?? {};
        if (Object.entries(toUpdate).every(([k, v]) => current[k] === v)) return NO_CHANGE;
        copy.metadata.labels = { ...current, ...toUpdate };
        return copy;
      },
      { fieldManager: FIELD_MANAGER },
    );
  }

  // -----------------------------------------------------------------------------------------
  // Pods newly bound to a node that is not ready

  /** `podUpdated`: a pod newly assigned to a node is looked at once. */
  private podUpdated(old: KubeObject | undefined, pod: KubeObject): void {
    const nodeName = nodeNameOf(pod);
    if (nodeName && (!old || nodeNameOf(old) !== nodeName)) this.podUpdateQueue.add(keyOf(pod));
  }

  /**
   * `processPod`: a pod bound to a node last seen not Ready is marked Ready=False. A node missing
   * from the cache is retried with backoff (a throw), as upstream's AddRateLimited.
   */
  private processPod(key: string): void {
    const pod = this.pods.getByKey(key);
    if (!pod) return;
    const nodeName = nodeNameOf(pod);
    const health = this.nodeHealthMap.get(nodeName);
    if (!health) return;
    if (!this.nodes.get('', nodeName)) throw new Error(`Failed to read node ${nodeName}`);
    const ready = getNodeCondition(health.status, 'Ready');
    if (!ready || ready.status === 'True') return;
    const errors = markPodsNotReady(this.ctx.registry, this.recorder, [pod], nodeName);
    if (errors.length) throw new Error(`Unable to mark pod ${key} NotReady: ${message(errors[0])}`);
  }

  private podsOnNode(nodeName: string): KubeObject[] {
    return this.pods
      .byIndex(POD_NODE_NAME_INDEX, nodeName)
      .sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  }

  // -----------------------------------------------------------------------------------------
  // Health monitoring

  /**
   * `monitorNodeHealth`: registers new nodes, forgets deleted ones, updates each node's health,
   * queues NotReady/unreachable nodes for NoExecute tainting, marks pods of nodes that just
   * stopped being Ready, then reassesses each zone.
   */
  private monitorNodeHealth(): void {
    const nodes = [...this.nodes.list()].sort((a, b) =>
      (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1,
    );
    const { added, deleted, newZoneRepresentatives } = this.classifyNodes(nodes);
    for (const node of newZoneRepresentatives) this.addPodEvictorForNewZone(node);
    for (const node of added) {
      const name = node.metadata.name ?? '';
      recordNodeEvent(
        this.recorder,
        node,
        'Normal',
        'RegisteredNode',
        `Registered Node ${name} in Controller`,
      );
      this.knownNodeSet.set(name, node);
      this.addPodEvictorForNewZone(node);
      this.markNodeAsReachable(node);
    }
    for (const node of deleted) {
      const name = node.metadata.name ?? '';
      recordNodeEvent(
        this.recorder,
        node,
        'Normal',
        'RemovingNode',
        `Removing Node ${name} from Controller`,
      );
      this.knownNodeSet.delete(name);
    }

    const zoneToNodeConditions = new Map<string, Array<Obj | undefined>>();
    for (const cached of nodes) this.updateNode(cached, zoneToNodeConditions);
    this.handleDisruption(zoneToNodeConditions, nodes);
    if ([...this.zoneNoExecuteTainter.values()].some((q) => q.length > 0)) {
      this.noExecuteQueue.add(PASS);
    }
  }

  /** monitorNodeHealth's `updateNodeFunc` for one node. */
  private updateNode(
    cached: KubeObject,
    zoneToNodeConditions: Map<string, Array<Obj | undefined>>,
  ): void {
    const name = cached.metadata.name ?? '';
    let node = cached;
    let health: HealthResult;
    for (let attempt = 1; ; attempt++) {
      try {
        health = this.tryUpdateNodeHealth(node);
        break;
      } catch (error) {
        if (attempt >= NODE_HEALTH_UPDATE_RETRY) {
          this.log(
            `Update health of Node ${name} from Controller error, Skipping - no pods will be evicted: ${message(error)}`,
          );
          return;
        }
        try {
          node = this.ctx.registry.get(NODES, '', name);
        } catch {
          this.log(
            `Failed while getting Node ${name} to retry updating node health. Probably Node was deleted`,
          );
          return;
        }
      }
    }
    const { observedReady, currentReady } = health;
    node = health.node;

    if (!(LABEL_EXCLUDE_DISRUPTION in (node.metadata.labels ?? {}))) {
      const zone = zoneKeyOf(node);
      const list = zoneToNodeConditions.get(zone) ?? [];
      list.push(currentReady);
      zoneToNodeConditions.set(zone, list);
    }

    if (currentReady) {
      const pods = this.podsOnNode(name);
      this.processTaintBaseEviction(node, observedReady);
      const needsRetry = this.nodesToRetry.has(name);
      const becameNotReady = currentReady.status !== 'True' && observedReady.status === 'True';
      if (becameNotReady) recordNodeStatusChange(this.recorder, node, 'NodeNotReady');
      if (becameNotReady || (needsRetry && observedReady.status !== 'True')) {
        const errors = markPodsNotReady(this.ctx.registry, this.recorder, pods, name);
        if (errors.length) {
          this.log(
            `unable to mark all pods NotReady on node ${name}: ${message(errors[0])}; queuing for retry`,
          );
          this.nodesToRetry.add(name);
          return;
        }
      }
    }
    this.nodesToRetry.delete(name);
  }

  /**
   * `tryUpdateNodeHealth`: notes when the node's Ready heartbeat or Lease last changed (on this
   * controller's clock) and, past the grace period, writes its conditions as Unknown through the
   * node status subresource. Answers the node as it now is and its Ready condition as observed
   * and as it is now. Throws when the status write fails (a conflict: the caller retries with a
   * fresh node). Stored objects are immutable, so the health record may keep references to them.
   */
  private tryUpdateNodeHealth(node: KubeObject): HealthResult {
    const name = node.metadata.name ?? '';
    const now = this.ctx.clock.now();
    const created = Date.parse(String(node.metadata.creationTimestamp ?? ''));
    const status = obj(node.status);
    let health = this.nodeHealthMap.get(name);
    try {
      let currentReady = getNodeCondition(status, 'Ready');
      let observedReady: Obj;
      let gracePeriod: number;
      if (!currentReady) {
        // The kubelet never posted a Ready condition: a stand-in from the creation time.
        observedReady = {
          type: 'Ready',
          status: 'Unknown',
          lastHeartbeatTime: node.metadata.creationTimestamp,
          lastTransitionTime: node.metadata.creationTimestamp,
        };
        gracePeriod = this.options.nodeStartupGracePeriodMs;
        health = health
          ? { ...health, status }
          : { status, probeTimestamp: created, readyTransitionTimestamp: created };
      } else {
        observedReady = currentReady;
        gracePeriod = this.options.nodeMonitorGracePeriodMs;
      }

      const savedCondition = health ? getNodeCondition(health.status, 'Ready') : undefined;
      const savedLeaseRenew = health?.leaseRenewTime;
      const fresh: NodeHealth = { status, probeTimestamp: now, readyTransitionTimestamp: now };
      if (!health) {
        health = fresh;
      } else if (!savedCondition && currentReady) {
        health = fresh;
      } else if (savedCondition && !currentReady) {
        this.log(`ReadyCondition was removed from Status of Node ${name}`);
        health = fresh;
      } else if (
        savedCondition &&
        currentReady &&
        savedCondition.lastHeartbeatTime !== currentReady.lastHeartbeatTime
      ) {
        const transition =
          savedCondition.lastTransitionTime !== currentReady.lastTransitionTime
            ? now
            : health.readyTransitionTimestamp;
        health = { status, probeTimestamp: now, readyTransitionTimestamp: transition };
      }
      // A renewed Lease always counts as a heartbeat.
      const lease = this.leases.get(NODE_LEASE_NAMESPACE, name);
      const renew = lease ? Date.parse(String(obj(lease.spec).renewTime ?? '')) : NaN;
      if (lease && (savedLeaseRenew === undefined || savedLeaseRenew < renew)) {
        health = { ...health, leaseRenewTime: renew, probeTimestamp: now };
      }

      if (now > health.probeTimestamp + gracePeriod) {
        // Silent too long: every condition the kubelet owns becomes Unknown.
        const copy = structuredClone(node);
        const copyStatus = obj(copy.status);
        const conditions = objList(copyStatus.conditions);
        copyStatus.conditions = conditions;
        copy.status = copyStatus;
        const nowString = this.ctx.registry.now();
        for (const type of SILENT_CONDITION_TYPES) {
          const condition = conditions.find((c) => c.type === type);
          if (!condition) {
            conditions.push({
              type,
              status: 'Unknown',
              lastHeartbeatTime: node.metadata.creationTimestamp,
              lastTransitionTime: nowString,
              reason: 'NodeStatusNeverUpdated',
              message: 'Kubelet never posted node status.',
            });
          } else if (condition.status !== 'Unknown') {
            condition.status = 'Unknown';
            condition.reason = 'NodeStatusUnknown';
            condition.message = 'Kubelet stopped posting node status.';
            condition.lastTransitionTime = nowString;
          }
        }
        currentReady = getNodeCondition(copyStatus, 'Ready');
        if (!deepEqual(currentReady, observedReady)) {
          this.ctx.registry.update(NODES, '', name, copy, {
            subresource: 'status',
            fieldManager: FIELD_MANAGER,
          });
          health = {
            status: copyStatus,
            probeTimestamp: health.probeTimestamp,
            readyTransitionTimestamp: now,
            ...(lease ? { leaseRenewTime: renew } : {}),
          };
          return { node: copy, observedReady, currentReady };
        }
      }
      return { node, observedReady, currentReady };
    } finally {
      if (health) this.nodeHealthMap.set(name, health);
    }
  }

  /**
   * `processTaintBaseEviction`: by the Ready condition as observed before this pass, queue the
   * node for its NoExecute taint (or swap not-ready ↔ unreachable at once), or untaint it.
   */
  private processTaintBaseEviction(node: KubeObject, observedReady: Obj): void {
    const taints = taintsOf(node);
    switch (observedReady.status) {
      case 'False':
        if (taintExists(taints, UNREACHABLE_TAINT)) {
          if (!this.swap([NOT_READY_TAINT], [UNREACHABLE_TAINT], node)) {
            this.log(
              'Failed to instantly swap UnreachableTaint to NotReadyTaint. Will try again in the next cycle',
            );
          }
        } else {
          this.markNodeForTainting(node, 'False');
        }
        break;
      case 'Unknown':
        if (taintExists(taints, NOT_READY_TAINT)) {
          if (!this.swap([UNREACHABLE_TAINT], [NOT_READY_TAINT], node)) {
            this.log(
              'Failed to instantly swap NotReadyTaint to UnreachableTaint. Will try again in the next cycle',
            );
          }
        } else {
          this.markNodeForTainting(node, 'Unknown');
        }
        break;
      case 'True':
        this.markNodeAsReachable(node);
        break;
    }
  }

  private swap(toAdd: readonly Taint[], toRemove: readonly Taint[], node: KubeObject): boolean {
    return swapNodeControllerTaint(this.ctx.registry, toAdd, toRemove, node, (l) => this.log(l));
  }

  /** `markNodeForTainting`: (re)queues the node in its zone unless it is already tainted. */
  private markNodeForTainting(node: KubeObject, status: 'False' | 'Unknown'): boolean {
    const tainter = this.tainterFor(node);
    const taints = taintsOf(node);
    const name = node.metadata.name ?? '';
    if (status === 'False' && !taintExists(taints, NOT_READY_TAINT)) tainter.remove(name);
    if (status === 'Unknown' && !taintExists(taints, UNREACHABLE_TAINT)) tainter.remove(name);
    return tainter.add(name, node.metadata.uid ?? '');
  }

  /** `markNodeAsReachable`: removes both NoExecute taints and forgets the node in its queue. */
  private markNodeAsReachable(node: KubeObject): boolean {
    const name = node.metadata.name ?? '';
    try {
      removeTaintsOffNode(this.ctx.registry, name, node, [UNREACHABLE_TAINT]);
      removeTaintsOffNode(this.ctx.registry, name, node, [NOT_READY_TAINT]);
    } catch (error) {
      if (!isNotFound(error))
        this.log(`Failed to remove taints from node ${name}: ${message(error)}`);
      return false;
    }
    return this.tainterFor(node).remove(name);
  }

  private tainterFor(node: KubeObject): RateLimitedTimedQueue {
    const zone = zoneKeyOf(node);
    let tainter = this.zoneNoExecuteTainter.get(zone);
    if (!tainter) {
      this.addPodEvictorForNewZone(node);
      tainter = this.zoneNoExecuteTainter.get(zone)!;
    }
    return tainter;
  }

  /**
   * `doNoExecuteTaintingPass`: for each zone, as its rate limiter allows, gives queued nodes the
   * NoExecute taint matching their Ready condition (not-ready for False, unreachable for Unknown)
   * and removes the other. Runs again when a token or a retry falls due.
   */
  private doNoExecuteTaintingPass(): void {
    const zones = [...this.zoneNoExecuteTainter.keys()].sort();
    for (const zone of zones) {
      this.zoneNoExecuteTainter.get(zone)!.try((value) => {
        const node = this.nodes.get('', value.value);
        if (!node) return { done: true, waitMs: 0 };
        const ready = getNodeCondition(node.status, 'Ready');
        if (!ready) return { done: false, waitMs: 50 };
        let toAdd: Taint;
        let opposite: Taint;
        if (ready.status === 'False') {
          toAdd = NOT_READY_TAINT;
          opposite = UNREACHABLE_TAINT;
        } else if (ready.status === 'Unknown') {
          toAdd = UNREACHABLE_TAINT;
          opposite = NOT_READY_TAINT;
        } else {
          // Ready again: no taint needed.
          return { done: true, waitMs: 0 };
        }
        return { done: this.swap([toAdd], [opposite], node), waitMs: 0 };
      });
    }
    let next = Infinity;
    for (const tainter of this.zoneNoExecuteTainter.values()) {
      next = Math.min(next, tainter.msUntilNextTry());
    }
    if (Number.isFinite(next)) {
      this.noExecuteQueue.addAfter(PASS, Math.max(NODE_EVICTION_PERIOD_MS, next));
    }
  }

  // -----------------------------------------------------------------------------------------
  // Zones and disruption

  /** `classifyNodes`: new nodes, deleted nodes, and known nodes of a zone not seen before. */
  private classifyNodes(all: readonly KubeObject[]): {
    added: KubeObject[];
    deleted: KubeObject[];
    newZoneRepresentatives: KubeObject[];
  } {
    const added: KubeObject[] = [];
    const newZoneRepresentatives: KubeObject[] = [];
    const present = new Set<string>();
    for (const node of all) {
      const name = node.metadata.name ?? '';
      present.add(name);
      if (!this.knownNodeSet.has(name)) added.push(node);
      else if (!this.zoneStates.has(zoneKeyOf(node))) newZoneRepresentatives.push(node);
    }
    const deleted = [...this.knownNodeSet.entries()]
      .filter(([name]) => !present.has(name))
      .map(([, node]) => node);
    return { added, deleted, newZoneRepresentatives };
  }

  /** `addPodEvictorForNewZone`: a new zone starts Initial with a tainting queue at the base rate. */
  private addPodEvictorForNewZone(node: KubeObject): void {
    const zone = zoneKeyOf(node);
    if (this.zoneStates.has(zone)) return;
    this.zoneStates.set(zone, 'Initial');
    this.zoneNoExecuteTainter.set(
      zone,
      new RateLimitedTimedQueue(this.options.evictionLimiterQps, this.ctx.clock),
    );
  }

  /**
   * `ComputeZoneState`: FullDisruption when no node is Ready, PartialDisruption when more than 2
   * nodes and at least `unhealthyZoneThreshold` of them are not, Normal otherwise.
   */
  private computeZoneState(conditions: ReadonlyArray<Obj | undefined>): [number, ZoneState] {
    let ready = 0;
    let notReady = 0;
    for (const condition of conditions) {
      if (condition?.status === 'True') ready++;
      else notReady++;
    }
    if (ready === 0 && notReady > 0) return [notReady, 'FullDisruption'];
    if (notReady > 2 && notReady / (notReady + ready) >= this.options.unhealthyZoneThreshold) {
      return [notReady, 'PartialDisruption'];
    }
    return [notReady, 'Normal'];
  }

  /**
   * `handleDisruption`: when every zone is fully disrupted (the control plane has probably lost
   * the nodes, not the nodes died) tainting stops and NoExecute taints are lifted; when some node
   * comes back, every node gets a fresh grace period; otherwise each zone's rate follows its state.
   */
  private handleDisruption(
    zoneToNodeConditions: ReadonlyMap<string, ReadonlyArray<Obj | undefined>>,
    nodes: readonly KubeObject[],
  ): void {
    const newZoneStates = new Map<string, ZoneState>();
    let allAreFullyDisrupted = true;
    for (const [zone, conditions] of zoneToNodeConditions) {
      const [, state] = this.computeZoneState(conditions);
      if (state !== 'FullDisruption') allAreFullyDisrupted = false;
      newZoneStates.set(zone, state);
      if (!this.zoneStates.has(zone)) {
        this.log(`Setting initial state for unseen zone ${JSON.stringify(zone)}`);
        this.zoneStates.set(zone, 'Initial');
      }
    }
    let allWasFullyDisrupted = true;
    for (const [zone, state] of [...this.zoneStates]) {
      if (!zoneToNodeConditions.has(zone)) {
        this.zoneStates.delete(zone);
        continue;
      }
      if (state !== 'FullDisruption') {
        allWasFullyDisrupted = false;
        break;
      }
    }
    if (allAreFullyDisrupted && allWasFullyDisrupted) return;
    if (allAreFullyDisrupted) {
      this.log('Controller detected that all Nodes are not-Ready. Entering master disruption mode');
      for (const node of nodes) this.markNodeAsReachable(node);
      for (const zone of this.zoneStates.keys()) {
        this.zoneNoExecuteTainter.get(zone)?.swapLimiter(0);
        this.zoneStates.set(zone, 'FullDisruption');
      }
      return;
    }
    if (allWasFullyDisrupted) {
      this.log('Controller detected that some Nodes are Ready. Exiting master disruption mode');
      const now = this.ctx.clock.now();
      for (const node of nodes) {
        const name = node.metadata.name ?? '';
        const health = this.nodeHealthMap.get(name);
        if (health) {
          this.nodeHealthMap.set(name, {
            ...health,
            probeTimestamp: now,
            readyTransitionTimestamp: now,
          });
        }
      }
      for (const zone of [...this.zoneStates.keys()]) {
        const state = newZoneStates.get(zone)!;
        this.setLimiterInZone(zone, zoneToNodeConditions.get(zone)?.length ?? 0, state);
        this.zoneStates.set(zone, state);
      }
      return;
    }
    for (const [zone, state] of [...this.zoneStates]) {
      const next = newZoneStates.get(zone);
      if (next === undefined) {
        // A zone with no node left that the loop above did not reach (upstream parks it in a
        // blank state until the next pass drops it).
        this.zoneStates.delete(zone);
        continue;
      }
      if (state === next) continue;
      this.log(`Controller detected that zone ${JSON.stringify(zone)} is now in state ${next}`);
      this.setLimiterInZone(zone, zoneToNodeConditions.get(zone)?.length ?? 0, next);
      this.zoneStates.set(zone, next);
    }
  }

  /** `setLimiterInZone`: Normal and FullDisruption at the base rate, PartialDisruption reduced. */
  private setLimiterInZone(zone: string, zoneSize: number, state: ZoneState): void {
    const tainter = this.zoneNoExecuteTainter.get(zone);
    if (!tainter) return;
    switch (state) {
      case 'Normal':
      case 'FullDisruption':
        tainter.swapLimiter(this.options.evictionLimiterQps);
        break;
      case 'PartialDisruption':
        // ReducedQPSFunc: large zones slow down, small ones stop.
        tainter.swapLimiter(
          zoneSize > this.options.largeClusterThreshold
            ? this.options.secondaryEvictionLimiterQps
            : 0,
        );
        break;
      case 'Initial':
        break;
    }
  }
}

/**
 * The pod garbage collector (kube-controller-manager `pod-garbage-collector-controller`), after
 * pkg/controller/podgc/gc_controller.go of Kubernetes 1.30. Every `gcCheckPeriod` (20 s) it:
 * - `gcTerminated`: deletes terminated pods (phase neither Pending, Running nor Unknown) beyond
 *   `--terminated-pod-gc-threshold` (12500), evicted ones first, then oldest;
 * - `gcTerminating`: force-deletes terminating pods on a NotReady node that carries the
 *   `node.kubernetes.io/out-of-service` taint (non-graceful node shutdown);
 * - `gcOrphaned`: pods bound to a node that does not exist are quarantined for 40 s
 *   (`quarantineTime`), then, if a live GET confirms the node is gone, marked Failed with
 *   DisruptionTarget=True (`DeletionByPodGC`, "PodGC: node no longer exists") and force-deleted;
 * - `gcUnscheduledTerminating`: force-deletes terminating pods that were never scheduled.
 * Every deletion first moves a pod that is not yet Succeeded or Failed to Failed (status patch),
 * then deletes it with grace period 0. PodGC records no events.
 *
 * The quarantine is kept in memory like upstream's delaying queue; a restarted controller starts
 * it again.
 */
import type { Cancel } from '../../base/clock';
import type { KubeObject } from '../../kube/objects';
import { taintsOf } from '../../kube/scheduling';
import { keyOf, type Informer } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import type { WorkQueue } from '../runtime/queue';
import { isNotFound } from '../../kube/status';
import {
  isNodeReady,
  message,
  NODES,
  nodeNameOf,
  obj,
  patchPodStatus,
  PODS,
  TAINT_NODE_OUT_OF_SERVICE,
  updatePodCondition,
  type Obj,
} from '../nodelifecycle/node-util';
import { taintKeyExists } from '../nodelifecycle/taints';

export interface PodGCOptions {
  /** `--terminated-pod-gc-threshold`; 0 or less turns gcTerminated off. */
  readonly terminatedPodGCThreshold?: number;
  /** `gcCheckPeriod`. */
  readonly gcCheckPeriodMs?: number;
  /** `quarantineTime`. */
  readonly quarantineTimeMs?: number;
}

/** Upstream's defaults (kube-controller-manager flags and gc_controller.go constants). */
export const POD_GC_DEFAULTS: Required<PodGCOptions> = {
  terminatedPodGCThreshold: 12_500,
  gcCheckPeriodMs: 20_000,
  quarantineTimeMs: 40_000,
};

const GC = 'gc';

/** `eviction.PodIsEvicted`: Failed with reason Evicted. */
function isEvicted(pod: KubeObject): boolean {
  const status = obj(pod.status);
  return status.phase === 'Failed' && status.reason === 'Evicted';
}

/** `byEvictionAndCreationTimestamp`: evicted first, then oldest, then by name. */
function byEvictionAndCreation(a: KubeObject, b: KubeObject): number {
  const ae = isEvicted(a);
  const be = isEvicted(b);
  if (ae !== be) return ae ? -1 : 1;
  const at = Date.parse(String(a.metadata.creationTimestamp ?? ''));
  const bt = Date.parse(String(b.metadata.creationTimestamp ?? ''));
  if (at !== bt) return at < bt ? -1 : 1;
  const an = a.metadata.name ?? '';
  const bn = b.metadata.name ?? '';
  return an < bn ? -1 : an > bn ? 1 : 0;
}

/** `isPodTerminated`: any phase but Pending, Running and Unknown (an empty one included). */
function isPodTerminated(pod: KubeObject): boolean {
  const phase = obj(pod.status).phase;
  return phase !== 'Pending' && phase !== 'Running' && phase !== 'Unknown';
}

export class PodGCController implements Controller {
  private readonly options: Required<PodGCOptions>;
  private readonly pods: Informer;
  private readonly nodes: Informer;
  private readonly queue: WorkQueue;
  /** The quarantine (`nodeQueue`): node name → when it may be checked (ms). */
  private readonly nodeQueue = new Map<string, number>();
  private ticker: Cancel | undefined;

  constructor(
    private readonly ctx: ControllerContext,
    options: PodGCOptions = {},
  ) {
    this.options = { ...POD_GC_DEFAULTS, ...options };
    this.pods = ctx.informers.for(PODS);
    this.nodes = ctx.informers.for(NODES);
    this.queue = ctx.queue('podgc', () => this.gc());
  }

  /** A pass now, then every `gcCheckPeriod` (`wait.UntilWithContext`). */
  start(): void {
    this.queue.add(GC);
    this.ticker = this.ctx.clock.setInterval(
      () => this.queue.add(GC),
      this.options.gcCheckPeriodMs,
    );
  }

  stop(): void {
    this.ticker?.();
    this.ticker = undefined;
  }

  private log(line: string): void {
    this.ctx.log(`pod-garbage-collector: ${line}`);
  }

  /** `gc`: one pass over a snapshot of pods and nodes. */
  private gc(): void {
    const pods = [...this.pods.list()].sort((a, b) =>
      keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0,
    );
    const nodes = this.nodes.list();
    if (this.options.terminatedPodGCThreshold > 0) this.gcTerminated(pods);
    this.gcTerminating(pods);
    this.gcOrphaned(pods, nodes);
    this.gcUnscheduledTerminating(pods);
  }

  private gcTerminated(pods: readonly KubeObject[]): void {
    const terminated = pods.filter(isPodTerminated);
    const deleteCount = terminated.length - this.options.terminatedPodGCThreshold;
    if (deleteCount <= 0) return;
    this.log(`Garbage collecting ${deleteCount} pods`);
    for (const pod of [...terminated].sort(byEvictionAndCreation).slice(0, deleteCount)) {
      this.tryMarkFailedAndDelete(pod);
    }
  }

  private gcTerminating(pods: readonly KubeObject[]): void {
    const terminating: KubeObject[] = [];
    for (const pod of pods) {
      if (pod.metadata.deletionTimestamp === undefined) continue;
      const node = this.nodes.get('', nodeNameOf(pod));
      if (!node) continue;
      if (!isNodeReady(node) && taintKeyExists(taintsOf(node), TAINT_NODE_OUT_OF_SERVICE)) {
        terminating.push(pod);
      }
    }
    for (const pod of terminating.sort(byEvictionAndCreation)) this.tryMarkFailedAndDelete(pod);
  }

  private gcOrphaned(pods: readonly KubeObject[], nodes: readonly KubeObject[]): void {
    const existing = new Set(nodes.map((n) => n.metadata.name ?? ''));
    const now = this.ctx.clock.now();
    // Newly found unknown nodes go into quarantine (an earlier due time is kept, as AddAfter).
    for (const pod of pods) {
      const nodeName = nodeNameOf(pod);
      if (nodeName && !existing.has(nodeName) && !this.nodeQueue.has(nodeName)) {
        this.nodeQueue.set(nodeName, now + this.options.quarantineTimeMs);
      }
    }
    const deleted = this.discoverDeletedNodes(existing, now);
    for (const pod of pods) {
      if (!deleted.has(nodeNameOf(pod))) continue;
      this.tryMarkFailedAndDelete(pod, {
        type: 'DisruptionTarget',
        status: 'True',
        reason: 'DeletionByPodGC',
        message: 'PodGC: node no longer exists',
      });
    }
  }

  /** `discoverDeletedNodes`: of the nodes out of quarantine, those a live GET cannot find. */
  private discoverDeletedNodes(existing: ReadonlySet<string>, now: number): Set<string> {
    const deleted = new Set<string>();
    const ready = [...this.nodeQueue]
      .filter(([, at]) => at <= now)
      .sort(([an, a], [bn, b]) => a - b || (an < bn ? -1 : 1));
    for (const [name] of ready) {
      this.nodeQueue.delete(name);
      if (existing.has(name)) continue;
      try {
        this.ctx.registry.get(NODES, '', name);
      } catch (error) {
        if (isNotFound(error)) deleted.add(name);
        else this.log(`Error while getting node ${name}: ${message(error)}`);
      }
    }
    return deleted;
  }

  private gcUnscheduledTerminating(pods: readonly KubeObject[]): void {
    for (const pod of pods) {
      if (pod.metadata.deletionTimestamp === undefined || nodeNameOf(pod) !== '') continue;
      this.tryMarkFailedAndDelete(pod);
    }
  }

  private tryMarkFailedAndDelete(pod: KubeObject, condition?: Obj): void {
    try {
      this.markFailedAndDeletePod(pod, condition);
    } catch (error) {
      this.log(`deleting pod ${keyOf(pod)}: ${message(error)}`);
    }
  }

  /**
   * `markFailedAndDeletePodWithCondition`: a pod not yet Succeeded or Failed is patched to
   * Failed (with the condition, if any) so it does not stay Running forever without a kubelet,
   * then deleted with grace period 0.
   */
  private markFailedAndDeletePod(pod: KubeObject, condition?: Obj): void {
    const { registry } = this.ctx;
    const phase = obj(pod.status).phase;
    if (phase !== 'Succeeded' && phase !== 'Failed') {
      patchPodStatus(registry, pod, (status) => {
        status.phase = 'Failed';
        if (condition)
          updatePodCondition(status, { lastProbeTime: null, ...condition }, registry.now());
        return true;
      });
    }
    registry.delete(PODS, pod.metadata.namespace ?? '', pod.metadata.name ?? '', {
      gracePeriodSeconds: 0,
    });
  }
}

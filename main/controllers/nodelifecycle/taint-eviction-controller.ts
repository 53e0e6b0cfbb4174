/**
 * The taint-eviction controller (kube-controller-manager `taint-eviction-controller`, separate
 * from the node lifecycle controller since 1.29's SeparateTaintEvictionController), after
 * pkg/controller/tainteviction/taint_eviction.go and timed_workers.go of Kubernetes 1.30: a pod
 * on a node with NoExecute taints it does not tolerate is deleted at once; one that tolerates
 * them all, some for a limited `tolerationSeconds`, is deleted when the shortest runs out
 * (counted from when the controller first saw it so tainted, i.e. the taint's `timeAdded` when
 * it acts on the taint as it appears); one that tolerates them forever stays. The scheduled
 * deletion is cancelled (event "Cancelling deletion of Pod …") when the taints go away or come
 * to be tolerated forever. Before deleting, the pod gets the condition DisruptionTarget=True
 * (reason `DeletionByTaintManager`); the delete is an ordinary graceful one.
 *
 * The timed workers are kept in memory as upstream's are: a restarted controller starts the
 * toleration periods again. Deviations: upstream replaces a scheduled deletion that was created
 * at the very same instant (nanosecond clocks make that rare); at this cluster's millisecond
 * clock it would be common and emit spurious cancel events, so a scheduled deletion is kept
 * whenever it exists, as upstream does in practice. Node updates are not given priority over
 * pod updates (one deterministic loop serves every queue).
 */
import type { Cancel } from '../../base/clock';
import { deepEqual, type KubeObject } from '../../kube/objects';
import { taintsOf, tolerationsOf, type Taint, type Toleration } from '../../kube/scheduling';
import type { EventRecorder } from '../runtime/events';
import { keyOf, splitKey, type Informer } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import type { WorkQueue } from '../runtime/queue';
import { indexPodsByNodeName, POD_NODE_NAME_INDEX } from './node-lifecycle-controller';
import {
  message,
  NODES,
  nodeNameOf,
  patchPodStatus,
  PODS,
  referenceTo,
  updatePodCondition,
} from './node-util';
import { getMatchingTolerations, getMinTolerationTime, noExecuteTaints } from './taints';

export interface TaintEvictionOptions {
  /** The event source component (upstream: the controller's name). */
  readonly controllerName?: string;
}

/** `retries` of deletePodHandler. */
const DELETE_RETRIES = 5;

/** A scheduled deletion (`TimedWorker`); null once started (no longer cancellable). */
interface TimedWorker {
  readonly createdAt: number;
  readonly fireAt: number;
  readonly cancel: Cancel;
}

export class TaintEvictionController implements Controller {
  private readonly nodes: Informer;
  private readonly pods: Informer;
  private readonly recorder: EventRecorder;
  private readonly nodeUpdateQueue: WorkQueue;
  private readonly podUpdateQueue: WorkQueue;
  private readonly workerQueue: WorkQueue;
  /** nodeName → its NoExecute taints (`taintedNodes`). */
  private readonly taintedNodes = new Map<string, Taint[]>();
  /** pod key → scheduled deletion, or null once fired (`TimedWorkerQueue.workers`). */
  private readonly workers = new Map<string, TimedWorker | null>();
  /** Pod keys whose deletion is due, waiting for the worker queue. */
  private readonly due = new Set<string>();

  constructor(
    private readonly ctx: ControllerContext,
    options: TaintEvictionOptions = {},
  ) {
    this.nodes = ctx.informers.for(NODES);
    this.pods = ctx.informers.for(PODS);
    indexPodsByNodeName(this.pods);
    this.recorder = ctx.recorder({
      component: options.controllerName ?? 'taint-eviction-controller',
    });
    this.nodeUpdateQueue = ctx.queue('noexec_taint_node', (name) => this.handleNodeUpdate(name));
    this.podUpdateQueue = ctx.queue('noexec_taint_pod', (item) => this.handlePodUpdate(item));
    this.workerQueue = ctx.queue('noexec_taint_worker', (key) => this.runWorker(key));
    this.pods.addHandlers({
      add: (pod) => this.podUpdated(undefined, pod),
      update: (old, pod) => this.podUpdated(old, pod),
      delete: (pod) => this.podUpdated(pod, undefined),
    });
    this.nodes.addHandlers({
      add: (node) => this.nodeUpdated(undefined, node),
      update: (old, node) => this.nodeUpdated(old, node),
      delete: (node) => this.nodeUpdated(node, undefined),
    });
  }

  stop(): void {
    for (const worker of this.workers.values()) worker?.cancel();
    this.workers.clear();
    this.due.clear();
  }

  /** Pods with a deletion scheduled and not yet started: key → fire time (ms). */
  get scheduled(): ReadonlyMap<string, number> {
    const out = new Map<string, number>();
    for (const [key, worker] of this.workers) if (worker) out.set(key, worker.fireAt);
    return out;
  }

  // -----------------------------------------------------------------------------------------
  // Informer handlers

  /** `PodUpdated`: only a change of node or tolerations matters. */
  private podUpdated(old: KubeObject | undefined, pod: KubeObject | undefined): void {
    const subject = pod ?? old!;
    if (
      old &&
      pod &&
      nodeNameOf(old) === nodeNameOf(pod) &&
      deepEqual(tolerationsOf(old), tolerationsOf(pod))
    ) {
      return;
    }
    this.podUpdateQueue.add(`${nodeNameOf(subject)}|${keyOf(subject)}`);
  }

  /** `NodeUpdated`: only a change of NoExecute taints matters. */
  private nodeUpdated(old: KubeObject | undefined, node: KubeObject | undefined): void {
    if (old && node && deepEqual(noExecuteTaints(taintsOf(old)), noExecuteTaints(taintsOf(node)))) {
      return;
    }
    this.nodeUpdateQueue.add((node ?? old!).metadata.name ?? '');
  }

  // -----------------------------------------------------------------------------------------
  // Processing

  /** `handleNodeUpdate`: records the node's NoExecute taints and re-examines its pods. */
  private handleNodeUpdate(name: string): void {
    const node = this.nodes.get('', name);
    if (!node) {
      this.taintedNodes.delete(name);
      return;
    }
    const taints = noExecuteTaints(taintsOf(node));
    if (taints.length === 0) this.taintedNodes.delete(name);
    else this.taintedNodes.set(name, taints);
    const pods = this.pods
      .byIndex(POD_NODE_NAME_INDEX, name)
      .sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
    if (pods.length === 0) return;
    if (taints.length === 0) {
      // All taints were removed: cancel every eviction.
      for (const pod of pods) this.cancelWorkWithEvent(keyOf(pod));
      return;
    }
    const now = this.ctx.clock.now();
    for (const pod of pods) this.processPodOnNode(keyOf(pod), tolerationsOf(pod), taints, now);
  }

  /** `handlePodUpdate`: a pod that changed node or tolerations, or went away. */
  private handlePodUpdate(item: string): void {
    const bar = item.indexOf('|');
    const nodeName = item.slice(0, bar);
    const key = item.slice(bar + 1);
    const pod = this.pods.getByKey(key);
    if (!pod) {
      this.cancelWorkWithEvent(key);
      return;
    }
    // Keyed by the node it was on: an older item for another node is not ours to act on.
    if (nodeNameOf(pod) !== nodeName || nodeName === '') return;
    const taints = this.taintedNodes.get(nodeName);
    if (!taints) return;
    this.processPodOnNode(key, tolerationsOf(pod), taints, this.ctx.clock.now());
  }

  /** `processPodOnNode`: evict now, schedule, keep, or cancel. */
  private processPodOnNode(
    key: string,
    tolerations: readonly Toleration[],
    taints: readonly Taint[],
    now: number,
  ): void {
    if (taints.length === 0) this.cancelWorkWithEvent(key);
    const { allTolerated, used } = getMatchingTolerations(taints, tolerations);
    if (!allTolerated) {
      // Not all taints are tolerated: delete right away.
      this.cancelWorkWithEvent(key);
      this.addWork(key, now, now);
      return;
    }
    const minTolerationTime = getMinTolerationTime(used);
    if (minTolerationTime < 0) {
      // Tolerated forever.
      this.cancelWorkWithEvent(key);
      return;
    }
    // A deletion already scheduled is kept (addWork leaves existing work alone).
    this.addWork(key, now, now + minTolerationTime);
  }

  /** `TimedWorkerQueue.AddWork`: nothing if work for the pod exists (even one already fired). */
  private addWork(key: string, createdAt: number, fireAt: number): void {
    if (this.workers.has(key)) return;
    if (fireAt <= createdAt) {
      this.workers.set(key, null);
      this.fire(key);
      return;
    }
    const cancel = this.ctx.clock.setTimeout(() => {
      if (this.workers.get(key)?.cancel !== cancel) return;
      this.workers.set(key, null);
      this.fire(key);
    }, fireAt - createdAt);
    this.workers.set(key, { createdAt, fireAt, cancel });
  }

  private fire(key: string): void {
    this.due.add(key);
    this.workerQueue.add(key);
  }

  /** `cancelWorkWithEvent`: a pending (not yet fired) deletion is cancelled with an event. */
  private cancelWorkWithEvent(key: string): void {
    if (!this.workers.has(key)) return;
    const worker = this.workers.get(key);
    this.workers.delete(key);
    if (!worker) return;
    worker.cancel();
    const { namespace, name } = splitKey(key);
    this.recorder.event(
      referenceTo('Pod', name, namespace),
      'Normal',
      'TaintManagerEviction',
      `Cancelling deletion of Pod ${key}`,
    );
  }

  /**
   * `deletePodHandler`: the event "Marking for deletion Pod <ns>/<name>", then (up to 5 tries)
   * DisruptionTarget=True on the pod's status and a graceful delete. The pod's key stays known
   * after success so the pod is not deleted twice (upstream's nil worker).
   */
  private runWorker(key: string): void {
    if (!this.due.delete(key)) return;
    const { namespace, name } = splitKey(key);
    this.recorder.event(
      referenceTo('Pod', name, namespace),
      'Normal',
      'TaintManagerEviction',
      `Marking for deletion Pod ${key}`,
    );
    let failure: unknown;
    for (let attempt = 0; attempt < DELETE_RETRIES; attempt++) {
      try {
        this.addConditionAndDeletePod(namespace, name);
        failure = undefined;
        break;
      } catch (error) {
        failure = error;
      }
    }
    if (failure === undefined) {
      this.workers.set(key, null);
    } else {
      this.workers.delete(key);
      this.ctx.log(`taint-eviction-controller: deleting pod ${key} failed: ${message(failure)}`);
    }
  }

  /** `addConditionAndDeletePod`. */
  private addConditionAndDeletePod(namespace: string, name: string): void {
    const { registry } = this.ctx;
    const pod = registry.get(PODS, namespace, name);
    patchPodStatus(registry, pod, (status) =>
      updatePodCondition(
        status,
        {
          type: 'DisruptionTarget',
          status: 'True',
          lastProbeTime: null,
          reason: 'DeletionByTaintManager',
          message: 'Taint manager: deleting due to NoExecute taint',
        },
        registry.now(),
      ),
    );
    registry.delete(PODS, namespace, name, {});
  }
}

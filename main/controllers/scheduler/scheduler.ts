/**
 * kube-scheduler for the embedded cluster (pkg/scheduler, 1.30): it watches pods and nodes
 * (eventhandlers.go `addAllEventHandlers`), keeps a cache of what runs where with its own
 * decisions assumed at once (internal/cache), takes pending pods from its scheduling queue one
 * at a time (internal/queue) and runs one scheduling cycle each (schedule_one.go `scheduleOne`):
 * filter, score, pick a host, bind through `pods/binding`, and record `Scheduled` — or record
 * `FailedScheduling` and PodScheduled=False (reason `Unschedulable`) and wait for a cluster
 * event. Events are the new-style (events.k8s.io) ones of `default-scheduler`.
 *
 * Deviations: no preemption (lower-priority pods are never evicted, `status.nominatedNodeName`
 * is never set); no volume plugins; one profile (`default-scheduler`); the cycle and the
 * binding run in one step, with no Reserve/Permit plugins in between.
 */
import type { Cancel } from '../../base/clock';
import { deepEqual, isPlainObject, type KubeObject } from '../../kube/objects';
import { findUntoleratedTaint, podMatchesNodeAffinity } from '../../kube/scheduling';
import { findResource } from '../../kube/resources';
import { StatusError } from '../../kube/status';
import { NO_CHANGE } from '../../apiserver/store/store';
import type { Controller, ControllerContext } from '../runtime/manager';
import type { Informer } from '../runtime/informer';
import { keyOf } from '../runtime/informer';
import type { EventRecorder } from '../runtime/events';
import type { WorkQueue } from '../runtime/queue';
import { Algorithm, FitError, NoNodesAvailableError, postFilter } from './algorithm';
import { SchedulerCache } from './cache';
import { fitsRequest, type Listers } from './plugins';
import { newPodInfo, obj, portConflicts, type NodeInfo, type PodInfo } from './pod-info';
import { EVENTS, SchedulingQueue, type ClusterEvent, type QueuedPodInfo } from './queue';

const podsType = findResource('', 'v1', 'pods')!;
const nodesType = findResource('', 'v1', 'nodes')!;
const servicesType = findResource('', 'v1', 'services')!;
const namespacesType = findResource('', 'v1', 'namespaces')!;
const replicaSetsType = findResource('apps', 'v1', 'replicasets')!;
/** Not every cluster table has these; DefaultSelector skips what is missing. */
const statefulSetsType = findResource('apps', 'v1', 'statefulsets');
const replicationControllersType = findResource('', 'v1', 'replicationcontrollers');

/** The one profile's scheduler name. */
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

/** `validation.NoteLengthLimit`: events' messages are cut to this (`truncateMessage`). */
const NOTE_LENGTH_LIMIT = 1024;

/** The one key of the work queue: "schedule the next pod from activeQ". */
const NEXT = 'next';

export interface SchedulerOptions {
  /**
   * The control-plane node the scheduler runs on: events report
   * `reportingInstance: default-scheduler-<node>`.
   */
  readonly controlPlaneNode: string;
}

/** `truncateMessage`. */
function truncateMessage(message: string): string {
  if (message.length <= NOTE_LENGTH_LIMIT) return message;
  const suffix = ' ...';
  return message.slice(0, NOTE_LENGTH_LIMIT - suffix.length) + suffix;
}

function nodeNameOf(pod: KubeObject): string {
  const name = obj(pod.spec).nodeName;
  return typeof name === 'string' ? name : '';
}

function isTerminal(pod: KubeObject): boolean {
  const phase = obj(pod.status).phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** `responsibleForPod`: this profile's pods (an empty schedulerName is the default one). */
function responsibleForPod(pod: KubeObject): boolean {
  const name = obj(pod.spec).schedulerName;
  return name === undefined || name === '' || name === DEFAULT_SCHEDULER_NAME;
}

/** What the pod informer's handlers see of a pod (terminal pods are outside its field selector). */
type PodClass = 'assigned' | 'pending' | 'none';

function classify(pod: KubeObject): PodClass {
  if (isTerminal(pod)) return 'none';
  if (nodeNameOf(pod) !== '') return 'assigned';
  return responsibleForPod(pod) ? 'pending' : 'none';
}

/** `nodeSchedulingPropertiesChange`: which node changes may make pending pods schedulable. */
function nodeChanges(oldNode: KubeObject, newNode: KubeObject): ClusterEvent[] {
  const events: ClusterEvent[] = [];
  const spec = (n: KubeObject): Record<string, unknown> => obj(n.spec);
  const status = (n: KubeObject): Record<string, unknown> => obj(n.status);
  if ((spec(oldNode).unschedulable === true) !== (spec(newNode).unschedulable === true))
    events.push(EVENTS.NodeSpecUnschedulableChange);
  if (!deepEqual(status(oldNode).allocatable, status(newNode).allocatable))
    events.push(EVENTS.NodeAllocatableChange);
  if (!deepEqual(oldNode.metadata.labels ?? {}, newNode.metadata.labels ?? {}))
    events.push(EVENTS.NodeLabelChange);
  if (!deepEqual(spec(oldNode).taints ?? [], spec(newNode).taints ?? []))
    events.push(EVENTS.NodeTaintChange);
  const conditions = (n: KubeObject): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const list = status(n).conditions;
    if (Array.isArray(list)) {
      for (const c of list) if (isPlainObject(c)) out[String(c.type)] = c.status;
    }
    return out;
  };
  if (!deepEqual(conditions(oldNode), conditions(newNode))) events.push(EVENTS.NodeConditionChange);
  if (!deepEqual(oldNode.metadata.annotations ?? {}, newNode.metadata.annotations ?? {}))
    events.push(EVENTS.NodeAnnotationChange);
  return events;
}

/**
 * `preCheckForNode` (queueing hints off): on a node event, only pods that would pass the basic
 * admission checks on that node (`AdmissionCheck`: resources, node affinity, node name, ports)
 * and tolerate its NoSchedule taints are moved.
 */
function preCheckForNode(node: NodeInfo): (pod: PodInfo) => boolean {
  return (pod) => {
    if (fitsRequest(pod, node).length > 0) return false;
    if (!node.node || !podMatchesNodeAffinity(pod.pod, node.node)) return false;
    const nodeName = pod.spec.nodeName;
    if (typeof nodeName === 'string' && nodeName !== '' && nodeName !== node.name) return false;
    if (pod.hostPorts.some((port) => portConflicts(node.usedPorts, port))) return false;
    return !findUntoleratedTaint(node.taints, pod.tolerations, (t) => t.effect === 'NoSchedule');
  };
}

export class Scheduler implements Controller {
  private readonly cache = new SchedulerCache();
  private readonly queue: SchedulingQueue;
  private readonly algorithm: Algorithm;
  private readonly recorder: EventRecorder;
  private readonly work: WorkQueue;
  private readonly pods: Informer;
  private readonly nodes: Informer;
  private readonly namespaces: Informer;
  private readonly listers: Listers;
  private readonly timers: Cancel[] = [];

  constructor(
    private readonly ctx: ControllerContext,
    options: SchedulerOptions,
  ) {
    this.recorder = ctx.recorder({
      component: DEFAULT_SCHEDULER_NAME,
      style: 'events.k8s.io',
      instance: `${DEFAULT_SCHEDULER_NAME}-${options.controlPlaneNode}`,
    });
    this.algorithm = new Algorithm(ctx.random);
    this.pods = ctx.informers.for(podsType);
    this.nodes = ctx.informers.for(nodesType);
    this.namespaces = ctx.informers.for(namespacesType);
    const services = ctx.informers.for(servicesType);
    const controllers: Record<string, Informer | undefined> = {
      ReplicaSet: ctx.informers.for(replicaSetsType),
      StatefulSet: statefulSetsType && ctx.informers.for(statefulSetsType),
      ReplicationController:
        replicationControllersType && ctx.informers.for(replicationControllersType),
    };
    this.listers = {
      services: (namespace) => services.list(namespace),
      controller: (kind, namespace, name) => controllers[kind]?.get(namespace, name),
      namespaces: () => this.namespaces.list(),
    };
    this.work = ctx.queue('scheduler', () => this.scheduleOne());
    this.queue = new SchedulingQueue(
      ctx.clock,
      () => this.work.add(NEXT),
      (namespace) => this.namespaces.get('', namespace)?.metadata.labels ?? {},
    );
    this.pods.addHandlers({
      add: (pod) => this.podChanged(undefined, pod),
      update: (old, pod) => this.podChanged(old, pod),
      delete: (pod) => this.podChanged(pod, undefined),
    });
    this.nodes.addHandlers({
      add: (node) => this.nodeAdded(node),
      update: (old, node) => this.nodeUpdated(old, node),
      delete: (node) => this.nodeDeleted(node),
    });
  }

  start(): void {
    // `flushBackoffQCompleted` every second, `flushUnschedulablePodsLeftover` every 30 s.
    this.timers.push(
      this.ctx.clock.setInterval(() => this.queue.flushBackoffQCompleted(), 1000),
      this.ctx.clock.setInterval(() => this.queue.flushUnschedulablePodsLeftover(), 30_000),
    );
  }

  stop(): void {
    for (const cancel of this.timers.splice(0)) cancel();
  }

  /** Where a pending pod waits (`active`, `backoff`, `unschedulable`, `gated`), for tests. */
  queuedAs(namespace: string, name: string): string | undefined {
    return this.queue.where(`${namespace}/${name}`);
  }

  // -------------------------------------------------------------------------------------------
  // Event handlers (eventhandlers.go): assigned pods feed the cache, pending pods the queue.

  private podChanged(old: KubeObject | undefined, pod: KubeObject | undefined): void {
    const before = old ? classify(old) : 'none';
    const after = pod ? classify(pod) : 'none';
    // The assigned-pod handler.
    if (after === 'assigned') {
      // An assumed pod arriving bound is confirmed (cache.AddPod / UpdatePod).
      const info = newPodInfo(pod!);
      this.cache.confirm(info.key);
      this.cache.addPod(info, nodeNameOf(pod!));
      if (before === 'assigned') this.queue.assignedPodUpdated(info);
      else this.queue.assignedPodAdded(info);
    } else if (before === 'assigned') {
      this.cache.removePod(keyOf(old!));
      this.queue.moveAll(EVENTS.AssignedPodDelete);
    }
    // The pending-pod handler.
    if (after === 'pending') {
      if (before === 'pending') this.queue.update(old!, pod!);
      else this.queue.add(pod!);
    } else if (before === 'pending') {
      this.queue.delete(old!);
    }
  }

  private nodeAdded(node: KubeObject): void {
    const info = this.cache.addNode(node);
    this.queue.moveAll(EVENTS.NodeAdd, preCheckForNode(info));
  }

  private nodeUpdated(old: KubeObject, node: KubeObject): void {
    const info = this.cache.addNode(node);
    for (const event of nodeChanges(old, node)) this.queue.moveAll(event, preCheckForNode(info));
  }

  private nodeDeleted(node: KubeObject): void {
    this.cache.removeNode(node.metadata.name ?? '');
    this.queue.moveAll(EVENTS.NodeDelete);
  }

  // -------------------------------------------------------------------------------------------
  // scheduleOne

  private scheduleOne(): void {
    const pInfo = this.queue.pop();
    try {
      if (pInfo) this.schedule(pInfo);
    } catch (error) {
      // A bug, not a verdict: the pod backs off and is tried again, as after a SchedulerError.
      this.ctx.log(`default-scheduler: scheduling ${pInfo?.key ?? ''}: ${describe(error)}`);
      if (pInfo) this.queue.addUnschedulableIfNotPresent(pInfo, this.queue.schedulingCycle);
    } finally {
      if (this.queue.activeLength > 0) this.work.add(NEXT);
    }
  }

  private schedule(pInfo: QueuedPodInfo): void {
    const cycle = this.queue.schedulingCycle;
    const pod = pInfo.pod;
    const { namespace = '', name = '' } = pod.metadata;
    // skipPodSchedule
    if (pod.metadata.deletionTimestamp) {
      this.recorder.event(
        pod,
        'Warning',
        'FailedScheduling',
        `skip schedule deleting pod: ${namespace}/${name}`,
        { action: 'Scheduling' },
      );
      return;
    }
    if (this.cache.isAssumed(pInfo.key)) return;

    let host: string;
    try {
      host = this.algorithm.schedulePod(pInfo.info, this.cache, this.listers).host;
    } catch (error) {
      if (error instanceof FitError) {
        const post = postFilter(pInfo.info, this.cache, this.listers, error.diagnosis.nodeToStatus);
        error.diagnosis.postFilterMsg = post.message;
        pInfo.unschedulablePlugins = new Set(error.diagnosis.unschedulablePlugins);
        this.handleFailure(pInfo, cycle, 'Unschedulable', error.text);
      } else if (error instanceof NoNodesAvailableError) {
        this.handleFailure(pInfo, cycle, 'Unschedulable', error.message);
      } else {
        this.handleFailure(pInfo, cycle, 'SchedulerError', describe(error));
      }
      return;
    }

    // assume, then bind (DefaultBinder).
    const assumed: KubeObject = { ...pod, spec: { ...obj(pod.spec), nodeName: host } };
    this.cache.assumePod(newPodInfo(assumed), host);
    try {
      // DefaultBinder.Bind: a v1.Binding through the registry's pods/binding.
      this.ctx.registry.bind(namespace, {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { namespace, name, ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}) },
        target: { kind: 'Node', name: host },
      } as KubeObject);
    } catch (error) {
      // handleBindingCycleError: forget the pod, tell waiting pods its room is free again.
      this.cache.forgetPod(pInfo.key);
      this.queue.moveAll(EVENTS.AssignedPodDelete);
      this.handleFailure(
        pInfo,
        cycle,
        'SchedulerError',
        `running Bind plugin "DefaultBinder": ${describe(error)}`,
      );
      return;
    }
    this.recorder.event(
      assumed,
      'Normal',
      'Scheduled',
      `Successfully assigned ${namespace}/${name} to ${host}`,
      { action: 'Binding' },
    );
  }

  /**
   * `handleSchedulingFailure`: back to the queue (unless the pod is gone or bound meanwhile),
   * a `FailedScheduling` event, and PodScheduled=False through the status subresource.
   */
  private handleFailure(
    pInfo: QueuedPodInfo,
    cycle: number,
    reason: 'Unschedulable' | 'SchedulerError',
    message: string,
  ): void {
    const pod = pInfo.pod;
    const { namespace = '', name = '' } = pod.metadata;
    const cached = this.pods.get(namespace, name);
    if (cached && nodeNameOf(cached) === '' && !isTerminal(cached)) {
      pInfo.pod = cached;
      pInfo.info = newPodInfo(cached);
      this.queue.addUnschedulableIfNotPresent(pInfo, cycle);
    }
    this.recorder.event(pod, 'Warning', 'FailedScheduling', truncateMessage(message), {
      action: 'Scheduling',
    });
    this.updateCondition(namespace, name, reason, message);
  }

  /** `updatePod` with `podutil.UpdatePodCondition`: written only when something changed. */
  private updateCondition(namespace: string, name: string, reason: string, message: string): void {
    try {
      this.ctx.registry.modify(
        podsType,
        namespace,
        name,
        (copy) => {
          if (nodeNameOf(copy) !== '') return NO_CHANGE;
          const status = obj(copy.status);
          const conditions = Array.isArray(status.conditions)
            ? (status.conditions as unknown[]).filter(isPlainObject)
            : [];
          const at = conditions.findIndex((c) => c.type === 'PodScheduled');
          const previous = at >= 0 ? conditions[at] : undefined;
          const condition = {
            type: 'PodScheduled',
            status: 'False',
            lastProbeTime: null,
            lastTransitionTime:
              previous?.status === 'False' && previous.lastTransitionTime
                ? previous.lastTransitionTime
                : this.ctx.registry.now(),
            reason,
            message,
          };
          if (
            previous &&
            previous.status === condition.status &&
            previous.reason === reason &&
            previous.message === message &&
            (previous.lastProbeTime ?? null) === null &&
            previous.lastTransitionTime === condition.lastTransitionTime
          ) {
            return NO_CHANGE;
          }
          if (at >= 0) conditions[at] = condition;
          else conditions.push(condition);
          status.conditions = conditions;
          copy.status = status;
          return copy;
        },
        { subresource: 'status' },
      );
    } catch (error) {
      if (error instanceof StatusError && (error.code === 404 || error.code === 409)) return;
      this.ctx.log(`default-scheduler: updating pod ${namespace}/${name}: ${describe(error)}`);
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The simulated kubelets of the embedded cluster: one controller runs every node whose
 * `kubelab.dev/v1alpha1` Kubelet says `spec.state: Running`.
 * - Each Node has a Kubelet object (created, owned by the Node, when a Node is made through the
 *   API without one). Starting a node's kubelet writes `status.state`/`lastTransitionTime`
 *   through the status subresource, registers the node (default labels, kubelet.go
 *   `updateDefaultLabels`), posts Ready at once and joins the heartbeat wheel (heartbeat.ts).
 *   Stopping it does the reverse, and then nothing at all happens on that node: no lease, no
 *   status, its pods frozen where they are.
 * - Pods bound to a running node go through the stages of stages.ts (pods.ts).
 * - The pace (`Instant` or `Realistic`) is read from the cluster's Clock object.
 *
 * Timed work (heartbeats, a pull finishing, a back-off ending, a grace period running out) is
 * done in cluster-clock timers, not in a work queue, so a clock advance replays every step at
 * the moment it was due, in order; informer events go through the queues as usual.
 */
import type { Cancel } from '../../base/clock';
import { isPlainObject, type KubeObject } from '../../kube/objects';
import { findResource } from '../../kube/resources';
import { CLOCK_NAME } from '../../kube/simulator-types';
import { StatusError } from '../../kube/status';
import type { PodRuntime } from '../../apiserver/http/resources';
import type { Controller, ControllerContext } from '../runtime/manager';
import { EventRecorder } from '../runtime/events';
import { keyOf, type Informer } from '../runtime/informer';
import type { WorkQueue } from '../runtime/queue';
import { INITIAL_NODE_EVENTS, internalIP, NodeReporter, TimerWheel } from './heartbeat';
import { registryConfigSource, SimulatedLogs } from './logs';
import { NodeRuntime } from './node-runtime';
import { PodWorker } from './pods';
import { PACES, type PaceDelays } from './stages';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});

const nodesType = findResource('', 'v1', 'nodes')!;
const podsType = findResource('', 'v1', 'pods')!;
const kubeletsType = findResource('kubelab.dev', 'v1alpha1', 'kubelets')!;
const clocksType = findResource('kubelab.dev', 'v1alpha1', 'clocks')!;

const NODE_INDEX = 'kubelet:spec.nodeName';

/**
 * How long after its Node was created a kubelet's first start counts as the node's registration
 * (see `startNode`).
 */
const REGISTRATION_WINDOW_MS = 10_000;

/** Labels a kubelet puts on its Node when they are missing (updateDefaultLabels). */
const DEFAULT_LABELS = (name: string): Record<string, string> => ({
  'beta.kubernetes.io/arch': 'amd64',
  'beta.kubernetes.io/os': 'linux',
  'kubernetes.io/arch': 'amd64',
  'kubernetes.io/hostname': name,
  'kubernetes.io/os': 'linux',
});

export interface KubeletControllerOptions {
  /** The pace when the cluster has no Clock object (default Realistic). */
  readonly defaultPace?: 'Instant' | 'Realistic';
}

/** Runs the kubelets of every node. */
export class KubeletController implements Controller {
  /** Container logs for the API server's `pods/log` (wire as ResourceHandlerDeps.runtime). */
  readonly runtime: PodRuntime;
  private readonly nodes: Informer;
  private readonly pods: Informer;
  private readonly kubelets: Informer;
  private readonly clocks: Informer;
  private readonly nodeQueue: WorkQueue;
  private readonly podQueue: WorkQueue;
  private readonly wheel: TimerWheel;
  private readonly reporter: NodeReporter;
  private readonly worker: PodWorker;
  /** Runtimes of nodes seen (kept while a kubelet is stopped: its images stay on disk). */
  private readonly runtimes = new Map<string, NodeRuntime>();
  private readonly running = new Set<string>();
  /**
   * The event recorder of each node's kubelet process: a kubelet that starts again is a new
   * process with a fresh client-go EventCorrelator, so its events are new Events, not counts
   * added to the previous process's.
   */
  private readonly recorders = new Map<string, EventRecorder>();
  private readonly timers = new Map<string, Cancel>();
  private stopped = false;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly options: KubeletControllerOptions = {},
  ) {
    this.nodes = ctx.informers.for(nodesType);
    this.pods = ctx.informers.for(podsType);
    this.kubelets = ctx.informers.for(kubeletsType);
    this.clocks = ctx.informers.for(clocksType);
    this.pods.addIndex(NODE_INDEX, (pod) => {
      const node = obj(pod.spec).nodeName;
      return typeof node === 'string' && node ? [node] : [];
    });
    this.runtime = new SimulatedLogs({ registry: ctx.registry, clock: ctx.clock });
    this.nodeQueue = ctx.queue('kubelet', (name) => this.syncKubelet(name));
    this.podQueue = ctx.queue('kubelet-pods', (key) => this.worker.sync(key));
    this.reporter = new NodeReporter({
      registry: ctx.registry,
      clock: ctx.clock,
      freeAddress: () => this.freeAddress(),
      statusEvent: (node, reason) => this.statusEvent(node, reason),
      log: ctx.log,
    });
    this.wheel = new TimerWheel(ctx.clock, (name) => this.heartbeat(name, false));
    this.worker = new PodWorker({
      registry: ctx.registry,
      clock: ctx.clock,
      random: ctx.random,
      recorder: (node) => ctx.recorder({ component: 'kubelet', host: node }),
      pace: () => this.pace(),
      node: (name) => (this.running.has(name) ? this.runtimes.get(name) : undefined),
      nodeInfo: (name) => {
        const node = this.nodes.get('', name);
        return {
          hostIP: internalIP(node),
          kernel: String(obj(obj(node?.status).nodeInfo).kernelVersion ?? '6.1.0-kubelab'),
        };
      },
      config: registryConfigSource(ctx.registry),
      wake: (key, at) => this.wake(key, at),
      containerStarted: (node, image) => this.containerStarted(node, image),
      log: ctx.log,
    });
    const enqueueNode = (object: KubeObject): void =>
      this.nodeQueue.add(object.metadata.name ?? '');
    this.nodes.addHandlers({
      add: enqueueNode,
      update: (_, node) => {
        const name = node.metadata.name ?? '';
        const cidr = obj(node.spec).podCIDR;
        const runtime = this.runtimes.get(name);
        // Node IPAM gave the node its range after its kubelet started: new pods use it.
        if (runtime && typeof cidr === 'string' && cidr && cidr !== runtime.cidr)
          runtime.useCidr(cidr);
        if (!this.running.has(name)) enqueueNode(node);
      },
      delete: (node) => {
        const name = node.metadata.name ?? '';
        this.stopNode(name);
        this.runtimes.delete(name);
        this.recorders.delete(name);
        this.reporter.forget(name);
        this.worker.forgetNode(name);
      },
    });
    this.kubelets.addHandlers({
      add: enqueueNode,
      update: (_, k) => enqueueNode(k),
      delete: enqueueNode,
    });
    const enqueuePod = (pod: KubeObject): void => {
      const node = obj(pod.spec).nodeName;
      if (typeof node === 'string' && this.running.has(node)) this.podQueue.add(keyOf(pod));
    };
    this.pods.addHandlers({
      add: enqueuePod,
      update: (_, pod) => {
        if (!this.worker.isOwnWrite(keyOf(pod), pod.metadata.resourceVersion)) enqueuePod(pod);
      },
      delete: (pod) => this.worker.deleted(keyOf(pod), pod),
    });
  }

  stop(): void {
    this.stopped = true;
    this.wheel.stop();
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }

  /** The pace of the cluster's Clock. */
  private pace(): PaceDelays {
    const clock = this.clocks.get('', CLOCK_NAME);
    const pace = obj(clock?.spec).pace ?? this.options.defaultPace ?? 'Realistic';
    return pace === 'Instant' ? PACES.Instant : PACES.Realistic;
  }

  private wake(key: string, at: number | undefined): void {
    this.timers.get(key)?.();
    this.timers.delete(key);
    if (at === undefined || this.stopped) return;
    const cancel = this.ctx.clock.setTimeout(
      () => {
        this.timers.delete(key);
        this.syncPodNow(key);
      },
      Math.max(0, at - this.ctx.clock.now()),
    );
    this.timers.set(key, cancel);
  }

  /** A timed stage: done now, at its moment, not after the clock has moved on. */
  private syncPodNow(key: string): void {
    try {
      this.worker.sync(key);
    } catch (error) {
      this.ctx.log(
        `kubelet: error syncing pod "${key}", retrying: ${error instanceof Error ? error.message : String(error)}`,
      );
      this.podQueue.addRateLimited(key);
    }
  }

  private syncKubelet(name: string): void {
    const node = this.nodes.get('', name);
    if (!node) {
      this.stopNode(name);
      return;
    }
    const kubelet = this.kubelets.get('', name);
    if (!kubelet) {
      this.createKubelet(node);
      return;
    }
    const desired = obj(kubelet.spec).state === 'Stopped' ? 'Stopped' : 'Running';
    // A kubelet the Kubelet object already reports running carries on (the embedded cluster
    // restarted); one that was stopped, or never ran, starts as a new process.
    const starting = obj(kubelet.status).state !== 'Running';
    this.reflect(kubelet, desired);
    if (desired === 'Running' && !this.running.has(name)) this.startNode(node, starting);
    if (desired === 'Stopped' && this.running.has(name)) this.stopNode(name);
  }

  /** A Node made through the API gets its kubelet, as a machine joining the cluster would. */
  private createKubelet(node: KubeObject): void {
    const name = node.metadata.name ?? '';
    try {
      this.ctx.registry.create(kubeletsType, '', {
        apiVersion: 'kubelab.dev/v1alpha1',
        kind: 'Kubelet',
        metadata: {
          name,
          ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid ?? '' }],
        },
        spec: { state: 'Running' },
      });
    } catch (error) {
      if (!(error instanceof StatusError) || error.code !== 409) throw error;
    }
  }

  /** Writes the Kubelet's observed state when it changed. */
  private reflect(kubelet: KubeObject, state: 'Running' | 'Stopped'): void {
    if (obj(kubelet.status).state === state) return;
    this.ctx.registry.modify(
      kubeletsType,
      '',
      kubelet.metadata.name ?? '',
      (copy) => {
        copy.status = { state, lastTransitionTime: this.ctx.registry.now() };
        return copy;
      },
      { subresource: 'status' },
    );
  }

  private runtimeOf(node: KubeObject): NodeRuntime {
    const name = node.metadata.name ?? '';
    let runtime = this.runtimes.get(name);
    if (!runtime) {
      const images = obj(node.status).images;
      runtime = new NodeRuntime(
        name,
        String(obj(node.spec).podCIDR ?? '') || this.freeCidr(name),
        Array.isArray(images) ? images.filter(isPlainObject) : undefined,
      );
      this.runtimes.set(name, runtime);
    }
    return runtime;
  }

  /**
   * A kubelet process starting, with the events upstream's kubelet records on the Node:
   * - `Starting` "Starting kubelet." (kubelet.go `BirthCry`);
   * - NodeHasSufficientMemory, NodeHasNoDiskPressure, NodeHasSufficientPID from `initialNode`,
   *   whose setters run on a fresh Node object at every start (INITIAL_NODE_EVENTS);
   * - `NodeAllocatableEnforced` "Updated Node Allocatable limit across pods" (cm
   *   node_container_manager_linux.go `enforceNodeAllocatableCgroups`);
   * - then the first status post records the conditions it changes (`conditionEvents`): after a
   *   stop long enough for the node lifecycle controller to mark the node Unknown, the pressure
   *   events again and NodeReady.
   * Deviation: a kind node registers NotReady (its CNI is not up yet) and posts Ready seconds
   * later, recording NodeReady; here a node posts Ready at once, so a node's first start within
   * REGISTRATION_WINDOW_MS of its creation (the cluster's bootstrap writes its nodes Ready, as
   * their registration) records NodeReady with that first post.
   * A kubelet that carries on (`starting` false: the embedded cluster restarted, its Kubelet
   * still running) records no start events.
   */
  private startNode(node: KubeObject, starting: boolean): void {
    const name = node.metadata.name ?? '';
    const registering =
      !this.runtimes.has(name) &&
      Date.parse(node.metadata.creationTimestamp ?? '') >
        this.ctx.clock.now() - REGISTRATION_WINDOW_MS;
    this.runtimeOf(node);
    this.running.add(name);
    this.recorders.set(
      name,
      new EventRecorder(this.ctx.registry, this.ctx.clock, this.ctx.random, {
        component: 'kubelet',
        host: name,
      }),
    );
    if (starting || registering) {
      this.nodeEvent(name, 'Starting', 'Starting kubelet.');
      for (const reason of INITIAL_NODE_EVENTS) this.statusEvent(name, reason);
      this.nodeEvent(name, 'NodeAllocatableEnforced', 'Updated Node Allocatable limit across pods');
    } else {
      this.reporter.carryOn(node);
    }
    this.register(node);
    const posted = this.heartbeat(name, true);
    if (registering && !posted.includes('NodeReady')) this.statusEvent(name, 'NodeReady');
    this.wheel.add(name);
    for (const pod of this.pods.byIndex(NODE_INDEX, name)) this.podQueue.add(keyOf(pod));
  }

  private stopNode(name: string): void {
    if (!this.running.delete(name)) return;
    this.wheel.remove(name);
    this.worker.freezeNode(name);
  }

  /** Registration: the default labels and the attach-detach annotation, when missing. */
  private register(node: KubeObject): void {
    const name = node.metadata.name ?? '';
    const labels = DEFAULT_LABELS(name);
    const annotation = 'volumes.kubernetes.io/controller-managed-attach-detach';
    const missing =
      Object.entries(labels).some(([k]) => node.metadata.labels?.[k] === undefined) ||
      node.metadata.annotations?.[annotation] === undefined;
    if (!missing) return;
    this.ctx.registry.modify(
      nodesType,
      '',
      name,
      (copy) => {
        copy.metadata.labels = { ...labels, ...copy.metadata.labels };
        copy.metadata.annotations = { ...copy.metadata.annotations, [annotation]: 'true' };
        return copy;
      },
      { fieldManager: 'kubelet' },
    );
  }

  /**
   * One heartbeat of a node (from the wheel, or at once when its kubelet starts). Returns the
   * status events its post recorded.
   */
  private heartbeat(name: string, force: boolean): string[] {
    if (!this.running.has(name)) return [];
    let node: KubeObject;
    try {
      node = this.ctx.registry.get(nodesType, '', name);
    } catch (error) {
      if (error instanceof StatusError && error.code === 404) return [];
      throw error;
    }
    try {
      return this.reporter.beat(node, this.runtimeOf(node), force);
    } catch (error) {
      this.ctx.log(
        `kubelet ${name}: heartbeat failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      return [];
    }
  }

  /**
   * kube-proxy's birth cry (cmd/kube-proxy/app/server.go `birthCry`) when its container starts:
   * an events.k8s.io Event about the node (its reference: the node name as UID), reason
   * `Starting`, action `StartKubeProxy`, an empty note, from reporting controller `kube-proxy`,
   * instance `kube-proxy-<hostname>`.
   */
  private containerStarted(node: string, image: string): void {
    if (!/^registry\.k8s\.io\/kube-proxy[:@]/.test(image)) return;
    this.ctx
      .recorder({
        component: 'kube-proxy',
        style: 'events.k8s.io',
        instance: `kube-proxy-${node}`,
      })
      .event({ kind: 'Node', metadata: { name: node, uid: node } }, 'Normal', 'Starting', '', {
        action: 'StartKubeProxy',
      });
  }

  /** `recordNodeStatusEvent`: "Node <name> status is now: <reason>". */
  private statusEvent(name: string, reason: string): void {
    this.nodeEvent(name, reason, `Node ${name} status is now: ${reason}`);
  }

  /**
   * A Normal event about the node from its kubelet. The kubelet's node reference has the node's
   * name as its UID and no namespace (kubelet.go `nodeRef`); the Event goes to `default`.
   */
  private nodeEvent(name: string, reason: string, message: string): void {
    const recorder =
      this.recorders.get(name) ?? this.ctx.recorder({ component: 'kubelet', host: name });
    recorder.event({ kind: 'Node', metadata: { name, uid: name } }, 'Normal', reason, message);
  }

  /** A pod CIDR for a node that has none (no node IPAM ran for it): the first unused /24. */
  private freeCidr(name: string): string {
    const used = new Set<string>();
    for (const node of this.nodes.list()) {
      const cidr = obj(node.spec).podCIDR;
      if (node.metadata.name !== name && typeof cidr === 'string') used.add(cidr);
    }
    for (const [other, runtime] of this.runtimes) if (other !== name) used.add(runtime.cidr);
    for (let i = 0; i < 65_536; i++) {
      const candidate = `10.${244 + Math.floor(i / 256)}.${i % 256}.0/24`;
      if (!used.has(candidate)) return candidate;
    }
    return '10.244.0.0/24';
  }

  /** The next free 172.18.0.x for a node created without addresses. */
  private freeAddress(): string {
    const used = new Set<string>();
    for (const node of this.nodes.list()) {
      const ip = internalIP(node);
      if (ip) used.add(ip);
    }
    for (let i = 2; i < 65_000; i++) {
      const ip = `172.18.${Math.floor(i / 256)}.${i % 256}`;
      if (i % 256 !== 0 && i % 256 !== 255 && !used.has(ip)) return ip;
    }
    return '172.18.255.254';
  }
}

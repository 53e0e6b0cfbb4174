/**
 * The one interpreter of the kubelet's stages (stages.ts): the pod worker of a simulated node
 * (pkg/kubelet/pod_workers.go + kuberuntime_manager.go SyncPod, reduced to data). For a pod bound
 * to a running kubelet it takes, again and again, the earliest stage that is due — of the pod or
 * of one of its containers — applies its effects, records its events, and writes the pod status
 * the kubelet would write (status.ts) through the status subresource with fieldManager
 * `kubelet`. What is due later is woken by one cluster-clock timer per pod.
 *
 * Guards, delays and effects are the interpreter's vocabulary; each is a few lines below, named
 * after the upstream check it stands for.
 */
import type { Clock } from '../../base/clock';
import type { Random } from '../../base/random';
import { deepEqual, isPlainObject, type KubeObject } from '../../kube/objects';
import { findResource } from '../../kube/resources';
import { StatusError } from '../../kube/status';
import type { Registry } from '../../apiserver/registry/registry';
import type { EventRecorder } from '../runtime/events';
import { missingVolume, resolveEnv, type ConfigSource } from './env';
import { decidePull, parseImage, stableHex, type ImageReference } from './images';
import { formatPod, goDuration, type NodeRuntime } from './node-runtime';
import { handlesSigterm, programFor, simulate, stopExitCode } from './programs';
import {
  BACKOFF,
  CONTAINER_STAGES,
  KILLING_EVENTS,
  POD_STAGES,
  type ContainerGuard,
  type ContainerStage,
  type Delay,
  type EventTemplate,
  type PaceDelays,
  type PodGuard,
  type PodPhase,
  type PodStage,
} from './stages';
import { restoreRun, type BackoffEntry, type ContainerRun, type PodRun } from './state';
import { generatePodStatus, isStarted } from './status';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);

const pods = findResource('', 'v1', 'pods')!;

/** What the pod worker needs from the kubelet around it. */
export interface PodWorkerDeps {
  readonly registry: Registry;
  readonly clock: Clock;
  readonly random: Random;
  /** The kubelet's event recorder for a node. */
  recorder(node: string): EventRecorder;
  /** The current pace's delays. */
  pace(): PaceDelays;
  /** The runtime of a node whose kubelet runs; undefined when it is stopped or gone. */
  node(name: string): NodeRuntime | undefined;
  /** The node's InternalIP and kernel version. */
  nodeInfo(name: string): { readonly hostIP: string | undefined; readonly kernel: string };
  readonly config: ConfigSource;
  /** Asks for `sync(key)` at `at` (cluster ms); one pending wake-up per key. */
  wake(key: string, at: number | undefined): void;
  /** A container of a pod on `node` started, running `image` (normalized reference). */
  containerStarted?(node: string, image: string): void;
  log(line: string): void;
}

/** The runtime record plus the pod worker's own phase. */
interface Worker extends PodRun {
  phase: PodPhase;
  /** The resourceVersion of the kubelet's own last status write (its echo needs no sync). */
  written?: string;
  pending?: { readonly stage: string; readonly due: number };
  /** The last FailedMount message. */
  mountError?: string;
}

interface Due {
  readonly due: number;
  readonly apply: () => void;
  readonly observe: boolean;
}

const MAX_STEPS = 500;

/** flowcontrol.Backoff: `Next` doubles up to the maximum; an entry idle for 2×max resets. */
function backoffNext(
  map: Map<string, BackoffEntry>,
  key: string,
  eventTime: number,
  now: number,
): void {
  const entry = map.get(key);
  if (!entry || eventTime - entry.lastUpdate > 2 * BACKOFF.maxMs) {
    map.set(key, { backoff: BACKOFF.initialMs, lastUpdate: now });
  } else {
    entry.backoff = Math.min(entry.backoff * 2, BACKOFF.maxMs);
    entry.lastUpdate = now;
  }
}

/** `IsInBackOffSince(key, eventTime)`: now is within the back-off counted from eventTime. */
function inBackOffSince(
  map: Map<string, BackoffEntry>,
  key: string,
  eventTime: number,
  now: number,
): boolean {
  const entry = map.get(key);
  if (!entry || eventTime - entry.lastUpdate > 2 * BACKOFF.maxMs) return false;
  return now - eventTime < entry.backoff;
}

/** `IsInBackOffSinceUpdate(key, now)`: within the back-off counted from its last update. */
function inBackOffSinceUpdate(map: Map<string, BackoffEntry>, key: string, now: number): boolean {
  const entry = map.get(key);
  if (!entry || now - entry.lastUpdate > 2 * BACKOFF.maxMs) return false;
  return now - entry.lastUpdate < entry.backoff;
}

export class PodWorker {
  private readonly workers = new Map<string, Worker>();

  constructor(private readonly deps: PodWorkerDeps) {}

  /** Whether this version of the pod is the kubelet's own last status write. */
  isOwnWrite(key: string, resourceVersion: string | undefined): boolean {
    const written = this.workers.get(key)?.written;
    return written !== undefined && written === resourceVersion;
  }

  /** Forgets a pod (deleted, or its node went away). */
  forget(key: string): void {
    const worker = this.workers.get(key);
    if (!worker) return;
    this.releaseAddress(worker);
    this.workers.delete(key);
    this.deps.wake(key, undefined);
  }

  /** Forgets every pod of a node (the node was deleted). */
  forgetNode(node: string): void {
    for (const [key, worker] of this.workers) if (worker.node === node) this.forget(key);
  }

  /** Cancels a node's wake-ups (its kubelet stopped: everything on it freezes). */
  freezeNode(node: string): void {
    for (const [key, worker] of this.workers)
      if (worker.node === node) this.deps.wake(key, undefined);
  }

  /**
   * A pod was deleted from the API. A static pod's mirror is posted again at once by a running
   * kubelet (the static pod itself, from its manifest, keeps running); any other pod is forgotten.
   */
  deleted(key: string, last: KubeObject): void {
    const worker = this.workers.get(key);
    // Nothing known, or an older incarnation (a mirror the kubelet already posted again).
    if (!worker || worker.uid !== last.metadata.uid) return;
    if (isMirror(last) && this.deps.node(worker.node)) {
      this.postMirror(worker, last);
      return;
    }
    this.forget(key);
  }

  /** Runs a pod's due stages and writes its status. */
  sync(key: string): void {
    let pod = this.read(key);
    if (!pod) {
      this.forget(key);
      return;
    }
    const spec = obj(pod.spec);
    const nodeName = typeof spec.nodeName === 'string' ? spec.nodeName : '';
    const node = nodeName ? this.deps.node(nodeName) : undefined;
    if (!node) return;
    let worker = this.workers.get(key);
    if (worker && isMirror(pod) && pod.metadata.deletionTimestamp !== undefined) {
      // Deleting a mirror pod does not stop the static pod: the kubelet removes the mirror
      // and posts a new one (pkg/kubelet/pod/mirror_client.go, kubelet.go syncPod).
      this.removeMirror(pod);
      this.postMirror(worker, pod);
      return;
    }
    if (!worker || worker.uid !== pod.metadata.uid || worker.node !== nodeName) {
      if (worker) this.forget(key);
      worker = this.restore(pod, nodeName, node);
      this.workers.set(key, worker);
    }
    const context = new SyncContext(this, this.deps, pod, worker, node);
    context.reconcileSpec();
    for (let step = 0; step < MAX_STEPS; step++) {
      const next = context.nextDue(this.deps.clock.now());
      if (!next) break;
      next.apply();
      if (worker.phase === 'Gone') {
        this.workers.delete(key);
        this.deps.wake(key, undefined);
        return;
      }
      if (next.observe) context.writeStatus(false);
      pod = context.pod;
    }
    if (worker.phase === 'Gone') return;
    context.writeStatus(false);
    if (!this.workers.has(key)) return;
    this.deps.wake(key, context.nextWake(this.deps.clock.now()));
  }

  private restore(pod: KubeObject, nodeName: string, node: NodeRuntime): Worker {
    const now = this.deps.clock.now();
    const run = restoreRun(pod, nodeName, now) as Worker;
    const status = obj(pod.status);
    const terminal = status.phase === 'Succeeded' || status.phase === 'Failed';
    run.phase =
      run.startTime === undefined
        ? 'New'
        : terminal
          ? 'Finished'
          : run.sandbox === 'ready'
            ? 'Running'
            : 'Admitted';
    if (run.podIP && run.sandbox === 'ready' && obj(pod.spec).hostNetwork !== true) {
      node.addresses.reserve(run.podIP);
    }
    // A pod whose containers ran before the restart keeps running them: their programs are
    // decided again from the spec, counting from when they started.
    for (const c of [...run.init, ...run.containers]) {
      if (c.phase === 'Running' && c.current?.startedAt !== undefined) {
        const container = containerSpec(pod, c);
        if (container)
          SyncContext.planProgram(
            this.deps,
            pod,
            c,
            container,
            run.podIP ?? '',
            c.current.startedAt,
          );
        // Probes not passed yet pass at their initial delay, counted from the start.
        c.startedAt ??= c.current.startedAt + (probeDelay(container?.startupProbe) ?? 0);
        c.readyAt ??= Math.max(
          c.startedAt,
          c.current.startedAt + (probeDelay(container?.readinessProbe) ?? 0),
        );
      }
      if (c.phase === 'PullBackOff') {
        run.imageBackoff.set(c.image, { backoff: BACKOFF.initialMs, lastUpdate: now });
      }
      if (c.phase === 'CrashBackOff' && c.current?.finished) {
        run.crashBackoff.set(c.name, {
          backoff: BACKOFF.initialMs,
          lastUpdate: c.current.finished.at,
        });
      }
    }
    return run;
  }

  private removeMirror(pod: KubeObject): void {
    const { namespace = '', name = '' } = pod.metadata;
    try {
      this.deps.registry.delete(pods, namespace, name, {
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata.uid ?? '' },
      });
    } catch (error) {
      if (!(error instanceof StatusError) || (error.code !== 404 && error.code !== 409))
        throw error;
    }
  }

  /** Posts a static pod's mirror again, carrying on with the containers it already runs. */
  private postMirror(worker: Worker, last: KubeObject): void {
    const { namespace = '', name = '', labels, annotations, ownerReferences } = last.metadata;
    try {
      const created = this.deps.registry.create(pods, namespace, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          namespace,
          ...(labels ? { labels } : {}),
          ...(annotations ? { annotations } : {}),
          ...(ownerReferences ? { ownerReferences } : {}),
        },
        spec: obj(last.spec),
      });
      worker.uid = created.metadata.uid ?? '';
      delete worker.written;
    } catch (error) {
      if (!(error instanceof StatusError)) throw error;
      this.deps.log(`kubelet: cannot post the mirror pod ${namespace}/${name}: ${error.message}`);
      this.forget(`${namespace}/${name}`);
    }
  }

  releaseAddress(worker: PodRun): void {
    const node = this.deps.node(worker.node);
    if (worker.podIP && node && worker.sandbox === 'ready') node.addresses.release(worker.podIP);
  }

  private read(key: string): KubeObject | undefined {
    const slash = key.indexOf('/');
    try {
      return this.deps.registry.get(pods, key.slice(0, slash), key.slice(slash + 1));
    } catch (error) {
      if (error instanceof StatusError && error.code === 404) return undefined;
      throw error;
    }
  }
}

/** A static pod's mirror (`kubernetes.io/config.mirror`), which the kubelet itself posts. */
function isMirror(pod: KubeObject): boolean {
  return pod.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined;
}

function containerSpec(pod: KubeObject, c: ContainerRun): Obj | undefined {
  const spec = obj(pod.spec);
  return list(c.init ? spec.initContainers : spec.containers).find((x) => x.name === c.name);
}

function probeDelay(probe: unknown): number | undefined {
  if (!isPlainObject(probe)) return undefined;
  return Number(probe.initialDelaySeconds ?? 0) * 1000;
}

/** One sync of one pod: the interpreter's working state. */
class SyncContext {
  private readonly now: () => number;
  private readonly recorder: EventRecorder;
  private readonly nodeName: string;
  private readonly hostIP: string | undefined;
  /** Extra template values set by effects (pull errors, durations). */
  private readonly values = new Map<ContainerRun | Worker, Record<string, string>>();

  constructor(
    private readonly owner: PodWorker,
    private readonly deps: PodWorkerDeps,
    public pod: KubeObject,
    private readonly worker: Worker,
    private readonly node: NodeRuntime,
  ) {
    this.now = () => deps.clock.now();
    this.nodeName = worker.node;
    this.recorder = deps.recorder(worker.node);
    this.hostIP = deps.nodeInfo(worker.node).hostIP;
  }

  private get spec(): Obj {
    return obj(this.pod.spec);
  }

  /** A changed spec image restarts the container (the container hash changed). */
  reconcileSpec(): void {
    if (this.worker.phase === 'Killing' || this.worker.phase === 'Gone') return;
    for (const c of this.all()) {
      const container = containerSpec(this.pod, c);
      const image = String(container?.image ?? c.image);
      if (image === c.image) continue;
      if (c.phase === 'Running') {
        c.phase = 'Stopping';
        c.since = this.now();
        c.stopReason = 'spec';
        delete c.pending;
        this.event(c, KILLING_EVENTS.spec);
      } else if (c.phase !== 'Stopping' && c.phase !== 'Stopped') {
        // Not running yet: the new image is simply the one to pull next.
        c.image = image;
        c.phase = 'Waiting';
        c.since = this.now();
        delete c.pending;
        delete c.waiting;
      }
    }
  }

  private all(): ContainerRun[] {
    return [...this.worker.init, ...this.worker.containers];
  }

  // -------------------------------------------------------------------------------------------
  // Choosing what is due

  nextDue(now: number): Due | undefined {
    let best: Due | undefined;
    const consider = (due: Due | undefined): void => {
      if (due && due.due <= now && (!best || due.due < best.due)) best = due;
    };
    consider(this.podDue(now));
    if (this.worker.phase === 'Running' || this.worker.phase === 'Killing') {
      for (const c of this.all()) consider(this.containerDue(c, now));
    }
    return best;
  }

  /** The earliest future moment something happens (a stage, a probe passing). */
  nextWake(now: number): number | undefined {
    let earliest: number | undefined;
    const at = (t: number | undefined): void => {
      if (t !== undefined && t > now && (earliest === undefined || t < earliest)) earliest = t;
    };
    at(this.worker.pending?.due);
    for (const c of this.all()) {
      at(c.pending?.due);
      if (c.phase === 'Running') {
        at(c.startedAt);
        at(c.readyAt);
      }
    }
    return earliest;
  }

  private podDue(now: number): Due | undefined {
    const worker = this.worker;
    const stage = POD_STAGES.find(
      (s) => s.from.includes(worker.phase) && (!s.when || this.podGuard(s.when)),
    );
    if (!stage) {
      delete worker.pending;
      return undefined;
    }
    if (worker.pending?.stage !== stage.name) {
      worker.pending = { stage: stage.name, due: now + this.delay(stage.delay, undefined, now) };
    }
    const due = worker.pending.due;
    return { due, observe: stage.observe === true, apply: () => this.applyPod(stage) };
  }

  private containerDue(c: ContainerRun, now: number): Due | undefined {
    if (this.worker.phase === 'Killing' && c.phase !== 'Stopping') return undefined;
    if (!c.pending) {
      if (c.phase === 'Waiting' && c.instances === 0 && !this.gateOpen(c)) return undefined;
      const stage = CONTAINER_STAGES.find(
        (s) => s.from === c.phase && (!s.when || this.containerGuard(s.when, c)),
      );
      if (!stage) return undefined;
      c.pending = { stage: stage.name, due: now + this.delay(stage.delay, c, now) };
    }
    const stage = CONTAINER_STAGES.find((s) => s.name === c.pending!.stage)!;
    return {
      due: c.pending.due,
      observe: stage.observe === true,
      apply: () => this.applyContainer(stage, c),
    };
  }

  /**
   * Whether a container may start for the first time: init containers one after another (a
   * sidecar once started), regular containers after all init containers, in spec order.
   */
  private gateOpen(c: ContainerRun): boolean {
    const worker = this.worker;
    if (worker.sandbox !== 'ready') return false;
    const now = this.now();
    for (const init of worker.init) {
      if (init === c) return true;
      const done = init.sidecar
        ? isStarted(init, now)
        : init.phase === 'Exited' && init.current?.finished?.exitCode === 0;
      if (!done) return false;
    }
    for (const other of worker.containers) {
      if (other === c) return true;
      if (['Waiting', 'Pulling', 'Creating'].includes(other.phase) && other.instances === 0)
        return false;
    }
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Guards

  private podGuard(guard: PodGuard): boolean {
    const worker = this.worker;
    switch (guard) {
      case 'deleting':
        return this.pod.metadata.deletionTimestamp !== undefined;
      case 'allStopped':
        return !this.all().some((c) => c.phase === 'Running' || c.phase === 'Stopping');
      case 'volumeMissing': {
        const error = missingVolume(this.pod, this.deps.config);
        if (error) worker.mountError = error;
        return error !== undefined;
      }
      case 'onlySidecarsRun':
        return (
          worker.init.some((c) => c.sidecar && c.phase === 'Running') &&
          worker.containers.every((c) => c.phase === 'Exited' && !this.restarts(c))
        );
      case 'podFinished': {
        if (this.all().some((c) => !['Exited', 'Waiting', 'Stopped'].includes(c.phase)))
          return false;
        if (this.all().some((c) => c.pending !== undefined)) return false;
        const status = generatePodStatus(this.statusInput(false));
        return status.phase === 'Succeeded' || status.phase === 'Failed';
      }
    }
  }

  private ref(c: ContainerRun): ImageReference | undefined {
    const parsed = parseImage(c.image);
    return parsed.ok ? parsed.ref : undefined;
  }

  private pullPolicy(c: ContainerRun): string {
    return String(containerSpec(this.pod, c)?.imagePullPolicy ?? 'IfNotPresent');
  }

  /** Whether the restart policy restarts this exited container (computePodActions). */
  private restarts(c: ContainerRun): boolean {
    const code = c.current?.finished?.exitCode ?? 0;
    if (c.sidecar) return true;
    const policy = String(this.spec.restartPolicy ?? 'Always');
    if (c.init) return policy !== 'Never' && code !== 0;
    if (policy === 'Always') return true;
    return policy === 'OnFailure' && code !== 0;
  }

  private containerGuard(guard: ContainerGuard, c: ContainerRun): boolean {
    const now = this.now();
    switch (guard) {
      case 'imageInvalid':
        return !parseImage(c.image).ok;
      case 'neverPullMissing': {
        const ref = this.ref(c);
        return this.pullPolicy(c) === 'Never' && (!ref || !this.node.has(ref.normalized));
      }
      case 'imagePresent': {
        const ref = this.ref(c);
        return !!ref && this.node.has(ref.normalized) && this.pullPolicy(c) !== 'Always';
      }
      case 'inImageBackOff':
        return inBackOffSinceUpdate(this.worker.imageBackoff, c.image, now);
      case 'pullSucceeds': {
        const ref = this.ref(c);
        return !!ref && decidePull(ref).ok;
      }
      case 'configError':
        return this.env(c).ok === false;
      case 'startError':
        return this.program(c)?.kind === 'startError';
      case 'exits':
        return c.exit !== undefined;
      case 'restartNow':
      case 'restartLater': {
        if (!this.restarts(c)) return false;
        const finished = c.current?.finished?.at ?? now;
        const backingOff = inBackOffSince(this.worker.crashBackoff, c.name, finished, now);
        return guard === 'restartLater' ? backingOff : !backingOff;
      }
      case 'restartAfterStop':
        return c.stopReason === 'spec';
    }
  }

  // -------------------------------------------------------------------------------------------
  // Delays

  private draw(range: readonly [number, number]): number {
    const [min, max] = range;
    return Math.round(min + (max - min) * this.deps.random.next());
  }

  private delay(delay: Delay, c: ContainerRun | undefined, now: number): number {
    const pace = this.deps.pace();
    switch (delay) {
      case 'none':
        return 0;
      case 'start':
        return this.draw(pace.start);
      case 'sandbox':
        return this.draw(pace.sandbox);
      case 'sync':
        return this.draw(pace.sync);
      case 'retry':
        return BACKOFF.retryMs;
      case 'mountBackOff': {
        const failures = this.worker.mount?.failures ?? 1;
        return Math.min(BACKOFF.mountInitialMs * 2 ** (failures - 1), BACKOFF.mountMaxMs);
      }
      case 'pull': {
        const ref = c && this.ref(c);
        const cached = !!ref && this.node.has(ref.normalized);
        const size =
          ref && decidePull(ref).ok ? (decidePull(ref) as { sizeBytes: number }).sizeBytes : 0;
        const duration = cached
          ? this.draw(pace.cachedPull)
          : this.draw(pace.pullBase) + Math.round((size / 1_000_000) * pace.pullPerMegabyte);
        const began = Math.max(now, this.node.pullFreeAt);
        this.node.pullFreeAt = began + duration;
        if (c) c.pull = { requested: now, began };
        return began + duration - now;
      }
      case 'imageBackOff': {
        const entry = c && this.worker.imageBackoff.get(c.image);
        return entry ? Math.max(0, entry.lastUpdate + entry.backoff - now) : 0;
      }
      case 'crashBackOff': {
        const entry = c && this.worker.crashBackoff.get(c.name);
        const finished = c?.current?.finished?.at ?? now;
        return entry ? Math.max(0, finished + entry.backoff - now) : 0;
      }
      case 'exit':
        return c?.exit ? Math.max(0, c.exit.at - now) : 0;
      case 'stop': {
        if (!c) return 0;
        if (c.sigterm?.handles !== false) return this.draw(pace.stop);
        const grace = this.graceSeconds(c) * 1000;
        const since = c.stopReason === 'delete' ? (this.worker.killingSince ?? now) : now;
        return Math.max(0, since + grace - now);
      }
    }
  }

  private graceSeconds(c: ContainerRun): number {
    const meta = this.pod.metadata;
    if (c.stopReason === 'delete' && meta.deletionGracePeriodSeconds !== undefined)
      return meta.deletionGracePeriodSeconds;
    return Number(this.spec.terminationGracePeriodSeconds ?? 30);
  }

  // -------------------------------------------------------------------------------------------
  // Effects

  private applyPod(stage: PodStage): void {
    const worker = this.worker;
    const now = this.now();
    delete worker.pending;
    worker.phase = stage.to;
    for (const effect of stage.effects ?? []) {
      switch (effect) {
        case 'admit':
          worker.startTime = now;
          break;
        case 'mountFailed':
          worker.mount = { due: now, failures: (worker.mount?.failures ?? 0) + 1 };
          this.values.set(worker, { mountError: worker.mountError ?? '' });
          break;
        case 'createSandbox': {
          delete worker.mount;
          if (this.spec.hostNetwork === true) {
            worker.podIP = this.hostIP;
          } else {
            worker.podIP = this.node.addresses.allocate();
          }
          worker.sandbox = 'ready';
          break;
        }
        case 'kill':
          worker.killingSince = now;
          for (const c of this.all()) {
            delete c.pending;
            if (c.phase === 'Running') this.stop(c, 'delete');
          }
          break;
        case 'stopSidecars':
          for (const c of worker.init)
            if (c.sidecar && c.phase === 'Running') this.stop(c, 'finish');
          break;
        case 'removeSandbox':
          this.owner.releaseAddress(worker);
          if (worker.sandbox === 'ready') worker.sandbox = 'removed';
          break;
        case 'writeStatus':
          if (worker.startTime !== undefined) this.writeStatus(true);
          break;
        case 'deletePod':
          this.deletePod();
          break;
      }
    }
    for (const template of stage.events ?? []) this.event(undefined, template, worker);
  }

  private stop(c: ContainerRun, reason: 'delete' | 'spec' | 'finish'): void {
    c.phase = 'Stopping';
    c.since = this.now();
    c.stopReason = reason;
    delete c.pending;
    this.event(c, KILLING_EVENTS[reason]);
  }

  private applyContainer(stage: ContainerStage, c: ContainerRun): void {
    const now = this.now();
    delete c.pending;
    c.phase = stage.to;
    c.since = now;
    const values: Record<string, string> = {};
    for (const effect of stage.effects ?? []) {
      switch (effect) {
        case 'invalidImage': {
          const parsed = parseImage(c.image);
          values.imageError = parsed.ok ? '' : parsed.error;
          c.waiting = {
            reason: 'InvalidImageName',
            message: `Failed to apply default image tag ${JSON.stringify(c.image)}: couldn't parse image reference ${JSON.stringify(c.image)}: ${values.imageError}`,
          };
          break;
        }
        case 'neverPull':
          c.waiting = {
            reason: 'ErrImageNeverPull',
            message: `Container image ${JSON.stringify(c.image)} is not present with pull policy of Never`,
          };
          break;
        case 'beginPull':
          break;
        case 'cacheImage': {
          const ref = this.ref(c)!;
          const stored = this.node.add(ref.normalized);
          const pull = c.pull ?? { requested: now, began: now };
          values.pullDuration = goDuration(now - pull.began);
          values.pullTotal = goDuration(now - pull.requested);
          values.imageSize = String(stored?.sizeBytes ?? 0);
          break;
        }
        case 'pullFailed': {
          const ref = this.ref(c);
          const outcome = ref ? decidePull(ref) : undefined;
          values.pullError = outcome && !outcome.ok ? outcome.message : '';
          c.waiting = { reason: 'ErrImagePull', message: values.pullError };
          backoffNext(this.worker.imageBackoff, c.image, now, now);
          break;
        }
        case 'imagePullBackOff':
          c.waiting = {
            reason: 'ImagePullBackOff',
            message: `Back-off pulling image ${JSON.stringify(c.image)}`,
          };
          break;
        case 'configError': {
          const env = this.env(c);
          values.configError = env.ok ? '' : env.error;
          c.waiting = { reason: 'CreateContainerConfigError', message: values.configError };
          break;
        }
        case 'createInstance': {
          const ref = this.ref(c);
          const stored = ref ? this.node.images.get(ref.normalized) : undefined;
          if (c.current) c.previous = c.current;
          c.current = {
            id: this.containerId(),
            image: ref?.normalized ?? c.image,
            imageId: stored?.id ?? '',
            startedAt: undefined,
          };
          c.instances++;
          delete c.waiting;
          delete c.exit;
          delete c.readyAt;
          delete c.startedAt;
          break;
        }
        case 'startInstance': {
          const current = c.current!;
          (current as { startedAt: number | undefined }).startedAt = now;
          const container = containerSpec(this.pod, c) ?? {};
          SyncContext.planProgram(this.deps, this.pod, c, container, this.worker.podIP ?? '', now);
          this.deps.containerStarted?.(this.nodeName, current.image);
          const pace = this.deps.pace();
          const startup = probeDelay(container.startupProbe);
          const readiness = probeDelay(container.readinessProbe);
          c.startedAt = startup === undefined ? now : now + startup + this.draw(pace.probe);
          c.readyAt =
            readiness === undefined
              ? c.startedAt
              : Math.max(c.startedAt, now + readiness + this.draw(pace.probe));
          break;
        }
        case 'failStart': {
          const program = this.program(c);
          values.startError = program?.kind === 'startError' ? program.message : '';
          c.current!.finished = {
            at: now,
            exitCode: 128,
            reason: 'StartError',
            message: values.startError,
          };
          break;
        }
        case 'finishInstance': {
          const code = c.exit?.code ?? 0;
          c.current!.finished = {
            at: now,
            exitCode: code,
            reason: code === 0 ? 'Completed' : 'Error',
          };
          delete c.readyAt;
          delete c.exit;
          break;
        }
        case 'crashBackOffNext':
          backoffNext(this.worker.crashBackoff, c.name, c.current?.finished?.at ?? now, now);
          break;
        case 'crashLoopBackOff': {
          const entry = this.worker.crashBackoff.get(c.name);
          const meta = this.pod.metadata;
          c.waiting = {
            reason: 'CrashLoopBackOff',
            message: `back-off ${goDuration(entry?.backoff ?? BACKOFF.initialMs)} restarting failed container=${c.name} pod=${formatPod(meta.name ?? '', meta.namespace ?? '', meta.uid ?? '')}`,
          };
          break;
        }
        case 'killInstance': {
          const handles = c.sigterm?.handles !== false;
          const code = handles ? (c.sigterm?.code ?? 0) : 137;
          if (c.current)
            c.current.finished = {
              at: now,
              exitCode: code,
              reason: code === 0 ? 'Completed' : 'Error',
            };
          delete c.readyAt;
          delete c.exit;
          break;
        }
        case 'takeSpecImage': {
          const container = containerSpec(this.pod, c);
          c.image = String(container?.image ?? c.image);
          delete c.stopReason;
          delete c.waiting;
          break;
        }
      }
    }
    this.values.set(c, values);
    for (const template of stage.events ?? []) this.event(c, template);
  }

  private containerId(): string {
    let text = '';
    for (let i = 0; i < 4; i++) text += String(this.deps.random.next());
    return stableHex(text);
  }

  private env(c: ContainerRun): ReturnType<typeof resolveEnv> {
    const container = containerSpec(this.pod, c) ?? {};
    return resolveEnv(
      this.pod,
      container,
      this.deps.config,
      this.worker.podIP ?? '',
      this.hostIP ?? '',
    );
  }

  private program(c: ContainerRun): ReturnType<typeof programFor> | undefined {
    const env = this.env(c);
    const container = containerSpec(this.pod, c);
    if (!container) return undefined;
    return programFor(
      { command: stringList(container.command), args: stringList(container.args) },
      this.ref(c),
      env.ok ? env.env : new Map(),
    );
  }

  /** Decides what the started instance runs: when it exits, and how it takes SIGTERM. */
  static planProgram(
    deps: PodWorkerDeps,
    pod: KubeObject,
    c: ContainerRun,
    container: Obj,
    podIP: string,
    startedAt: number,
  ): void {
    const info = deps.nodeInfo(String(obj(pod.spec).nodeName ?? ''));
    const env = resolveEnv(pod, container, deps.config, podIP, info.hostIP ?? '');
    const parsed = parseImage(c.image);
    const ref = parsed.ok ? parsed.ref : undefined;
    const program = programFor(
      { command: stringList(container.command), args: stringList(container.args) },
      ref,
      env.ok ? env.env : new Map(),
    );
    const result = simulate(
      program,
      {
        env: env.ok ? env.env : new Map(),
        hostname: pod.metadata.name ?? '',
        podIP,
        hostIP: info.hostIP ?? '',
        kernel: info.kernel,
        stdin: container.stdin === true,
      },
      { start: startedAt, horizon: startedAt + 400 * 86_400_000, maxLines: 1, ref, planOnly: true },
    );
    if (result.exit) c.exit = result.exit;
    else delete c.exit;
    c.sigterm = { handles: handlesSigterm(program, result.trapsTerm), code: stopExitCode(program) };
  }

  // -------------------------------------------------------------------------------------------
  // Events and writes

  private event(c: ContainerRun | undefined, template: EventTemplate, worker?: Worker): void {
    const meta = this.pod.metadata;
    const values: Record<string, string> = {
      ...(c ? this.values.get(c) : worker ? this.values.get(worker) : undefined),
      image: c?.image ?? '',
      container: c?.name ?? '',
      pod: formatPod(meta.name ?? '', meta.namespace ?? '', meta.uid ?? ''),
    };
    const message = template.message.replace(
      /\{(\w+)\}/g,
      (whole, key: string) => values[key] ?? whole,
    );
    this.recorder.event(
      this.pod,
      template.type,
      template.reason,
      message,
      c ? { fieldPath: `spec.${c.init ? 'initContainers' : 'containers'}{${c.name}}` } : {},
    );
  }

  private statusInput(podIsTerminal: boolean): Parameters<typeof generatePodStatus>[0] {
    return {
      pod: this.pod,
      run: this.worker,
      now: this.now(),
      hostIP: this.hostIP,
      podIsTerminal,
    };
  }

  /** Writes the status when it differs from the stored one. */
  writeStatus(podIsTerminal: boolean): void {
    if (this.worker.startTime === undefined) return;
    const status = generatePodStatus(this.statusInput(podIsTerminal));
    if (deepEqual(status, this.pod.status)) return;
    const { namespace = '', name = '' } = this.pod.metadata;
    try {
      this.pod = this.deps.registry.modify(
        pods,
        namespace,
        name,
        (copy) => {
          copy.status = status;
          return copy;
        },
        { subresource: 'status', fieldManager: 'kubelet' },
      );
      this.worker.written = this.pod.metadata.resourceVersion;
    } catch (error) {
      if (error instanceof StatusError && (error.code === 404 || error.code === 409)) {
        this.worker.phase = 'Gone';
        return;
      }
      throw error;
    }
  }

  /** The status manager's final delete once the pod's containers are gone (grace period 0). */
  private deletePod(): void {
    const { namespace = '', name = '' } = this.pod.metadata;
    try {
      this.deps.registry.delete(pods, namespace, name, {
        gracePeriodSeconds: 0,
        preconditions: { uid: this.worker.uid },
      });
    } catch (error) {
      if (!(error instanceof StatusError) || (error.code !== 404 && error.code !== 409))
        throw error;
    }
    this.owner.releaseAddress(this.worker);
    this.worker.phase = 'Gone';
  }
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.map(String) : undefined;
}

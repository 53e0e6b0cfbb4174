/**
 * What the simulated container runtime knows about a pod: its sandbox, and for each container the
 * phase it is in and the container instances created for it (a restart creates a new instance,
 * as containerd does). The kubelet's API status is generated from this (status.ts), and this can
 * be rebuilt from a pod's status after a restart of the embedded cluster (`restoreRun`), so the
 * kubelet keeps no state the API could not give back — except back-off timers, as upstream.
 */
import type { KubeObject } from '../../kube/objects';
import { isPlainObject } from '../../kube/objects';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);

/**
 * A container's phase in the simulated runtime; stages.ts says how each one moves on.
 * - `Waiting`: nothing tried yet (or a restart about to begin).
 * - `Pulling`: pulling its image.
 * - `PullFailed` / `PullBackOff`: ErrImagePull, then ImagePullBackOff until the next attempt.
 * - `NeverPull`, `InvalidImage`: ErrImageNeverPull, InvalidImageName (retried every sync).
 * - `Creating`: image present, being created and started.
 * - `ConfigError`: CreateContainerConfigError (a missing ConfigMap or Secret key).
 * - `Running`, `Exited`: the current instance runs / has exited.
 * - `CrashBackOff`: exited, waiting out the restart back-off.
 * - `Stopping` / `Stopped`: being killed (pod deleted or spec changed) / killed.
 */
export type ContainerPhase =
  | 'Waiting'
  | 'Pulling'
  | 'PullFailed'
  | 'PullBackOff'
  | 'NeverPull'
  | 'InvalidImage'
  | 'Creating'
  | 'ConfigError'
  | 'Running'
  | 'Exited'
  | 'CrashBackOff'
  | 'Stopping'
  | 'Stopped';

/** How an instance ended: a terminated container state. */
export interface Termination {
  readonly at: number;
  readonly exitCode: number;
  readonly reason: string;
  readonly message?: string;
}

/** One container created by the runtime. */
export interface Instance {
  /** 64 hex digits; shown as `containerd://<id>`. */
  readonly id: string;
  /** Normalized image (`docker.io/library/nginx:latest`) and its ID. */
  readonly image: string;
  readonly imageId: string;
  /** When it started; undefined when it never ran (StartError shows the zero time). */
  readonly startedAt: number | undefined;
  finished?: Termination;
}

export interface ContainerRun {
  readonly name: string;
  readonly init: boolean;
  /** An init container with `restartPolicy: Always` (a sidecar). */
  readonly sidecar: boolean;
  /** The spec image this run is for (a changed spec image restarts the container). */
  image: string;
  phase: ContainerPhase;
  /** When the phase was entered. */
  since: number;
  /** The stage chosen on entering the phase and when it is due. */
  pending?: { readonly stage: string; readonly due: number };
  /** Waiting reason and message of the error phases. */
  waiting?: { readonly reason: string; readonly message?: string };
  /** The latest instance and the one before it (lastState). */
  current?: Instance;
  previous?: Instance;
  /** Instances created so far (restartCount = instances - 1). */
  instances: number;
  /** When the current instance becomes ready / started (probes). */
  readyAt?: number;
  startedAt?: number;
  /** When the current instance's program exits by itself, and with which code. */
  exit?: { readonly at: number; readonly code: number };
  /** Whether the current instance's PID 1 stops on SIGTERM, and its exit code then. */
  sigterm?: { readonly handles: boolean; readonly code: number };
  /** When the current pull began, and when the node's puller got to it. */
  pull?: { readonly requested: number; readonly began: number };
  /** Why it is being stopped: the pod is going away or its spec changed. */
  stopReason?: 'delete' | 'spec' | 'finish';
}

/** Everything the runtime knows about one pod. */
export interface PodRun {
  /** The pod's UID (a static pod's mirror gets a new one each time it is recreated). */
  uid: string;
  readonly node: string;
  /** Admitted by the kubelet: startTime set. */
  startTime?: number;
  /** The sandbox: none yet, being created, ready (with an IP), or removed (pod finished). */
  sandbox: 'none' | 'creating' | 'ready' | 'removed';
  sandboxDue?: number;
  podIP?: string;
  /** Mount failures: when to retry and how many so far. */
  mount?: { readonly due: number; readonly failures: number };
  init: ContainerRun[];
  containers: ContainerRun[];
  /** When the kubelet began killing the pod (deletion seen). */
  killingSince?: number;
  /** Image pull back-off per image: flowcontrol.Backoff entries (pod UID + image). */
  readonly imageBackoff: Map<string, BackoffEntry>;
  /** Crash back-off per container. */
  readonly crashBackoff: Map<string, BackoffEntry>;
}

/** One flowcontrol.Backoff entry. */
export interface BackoffEntry {
  backoff: number;
  lastUpdate: number;
}

export function newContainerRun(container: Obj, init: boolean, now: number): ContainerRun {
  return {
    name: String(container.name ?? ''),
    init,
    sidecar: init && container.restartPolicy === 'Always',
    image: String(container.image ?? ''),
    phase: 'Waiting',
    since: now,
    instances: 0,
  };
}

export function newPodRun(pod: KubeObject, node: string, now: number): PodRun {
  const spec = obj(pod.spec);
  return {
    uid: pod.metadata.uid ?? '',
    node,
    sandbox: 'none',
    init: list(spec.initContainers).map((c) => newContainerRun(c, true, now)),
    containers: list(spec.containers).map((c) => newContainerRun(c, false, now)),
    imageBackoff: new Map(),
    crashBackoff: new Map(),
  };
}

function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

function termination(state: Obj): Termination | undefined {
  const t = obj(state.terminated);
  if (!isPlainObject(state.terminated)) return undefined;
  return {
    at: parseTime(t.finishedAt) ?? 0,
    exitCode: Number(t.exitCode ?? 0),
    reason: String(t.reason ?? ''),
    ...(typeof t.message === 'string' ? { message: t.message } : {}),
  };
}

function instanceFrom(status: Obj, state: Obj): Instance | undefined {
  const terminated = obj(state.terminated);
  const id = String(terminated.containerID ?? status.containerID ?? '').replace(/^\w+:\/\//, '');
  if (!id) return undefined;
  const finished = termination(state);
  const started = parseTime(obj(state.running).startedAt) ?? parseTime(terminated.startedAt);
  return {
    id,
    image: String(status.image ?? ''),
    imageId: String(status.imageID ?? ''),
    startedAt: started && started > 0 ? started : undefined,
    ...(finished ? { finished } : {}),
  };
}

/**
 * Rebuilds a pod's runtime record from its API status (the embedded cluster restarted, or the
 * kubelet saw the pod for the first time with a status already written).
 */
export function restoreRun(pod: KubeObject, node: string, now: number): PodRun {
  const run = newPodRun(pod, node, now);
  const status = obj(pod.status);
  const startTime = parseTime(status.startTime);
  if (startTime === undefined) return run;
  run.startTime = startTime;
  if (typeof status.podIP === 'string' && status.podIP) {
    run.sandbox = 'ready';
    run.podIP = status.podIP;
  }
  const restore = (runs: ContainerRun[], statuses: Obj[]): void => {
    for (const c of runs) {
      const s = statuses.find((x) => x.name === c.name);
      if (!s) continue;
      const state = obj(s.state);
      const last = obj(s.lastState);
      const restarts = Number(s.restartCount ?? 0);
      const current = instanceFrom(s, state);
      const previous = instanceFrom({ ...s, containerID: undefined }, last);
      if (isPlainObject(state.running) && current) {
        c.phase = 'Running';
        c.current = current;
        c.readyAt = s.ready === true ? now : undefined;
        c.startedAt = s.started === true ? now : undefined;
      } else if (isPlainObject(state.terminated) && current) {
        c.phase = 'Exited';
        c.current = current;
      } else if (isPlainObject(state.waiting)) {
        const reason = String(obj(state.waiting).reason ?? '');
        c.current = previous;
        c.phase =
          reason === 'CrashLoopBackOff'
            ? 'CrashBackOff'
            : reason === 'ErrImagePull' || reason === 'ImagePullBackOff'
              ? 'PullBackOff'
              : 'Waiting';
        if (c.phase === 'PullBackOff') c.waiting = { reason: 'ImagePullBackOff' };
      }
      if (previous && c.current !== previous) c.previous = previous;
      c.instances = current || c.current ? restarts + 1 : 0;
    }
  };
  restore(run.init, list(status.initContainerStatuses));
  restore(run.containers, list(status.containerStatuses));
  if (status.phase === 'Succeeded' || status.phase === 'Failed') run.sandbox = 'removed';
  return run;
}

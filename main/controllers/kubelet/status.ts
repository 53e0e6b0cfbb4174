/**
 * The pod status a 1.30 kubelet writes, generated from the runtime's record of the pod:
 * `generateAPIPodStatus` and `convertToAPIContainerStatuses` (pkg/kubelet/kubelet_pods.go),
 * `getPhase` (same file), the condition generators of pkg/kubelet/status/generate.go
 * (PodReadyToStartContainers, Initialized, Ready, ContainersReady, then PodScheduled), and the
 * status manager's `updateLastTransitionTime` / `mergePodStatus` (a condition keeps its
 * transition time while its status holds; conditions the kubelet does not own are kept).
 */
import { isPlainObject, type KubeObject } from '../../kube/objects';
import { rfc3339Seconds } from '../../kube/timestamps';
import type { ContainerRun, Instance, PodRun, Termination } from './state';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);

/** RFC 3339 in whole seconds, as the API serializes metav1.Time. */
export function rfc3339(ms: number): string {
  return rfc3339Seconds(ms);
}

const KUBELET_CONDITIONS = [
  'PodReadyToStartContainers',
  'Initialized',
  'Ready',
  'ContainersReady',
  'PodScheduled',
];

function terminated(instance: Instance, finished: Termination): Obj {
  return {
    terminated: {
      containerID: `containerd://${instance.id}`,
      exitCode: finished.exitCode,
      finishedAt: rfc3339(finished.at),
      reason: finished.reason,
      ...(finished.message !== undefined ? { message: finished.message } : {}),
      startedAt:
        instance.startedAt !== undefined ? rfc3339(instance.startedAt) : '1970-01-01T00:00:00Z',
    },
  };
}

function lastStateOf(instance: Instance | undefined): Obj {
  return instance?.finished ? terminated(instance, instance.finished) : {};
}

/** Whether the current instance counts as started (startup probe passed). */
export function isStarted(c: ContainerRun, now: number): boolean {
  return (
    (c.phase === 'Running' || c.phase === 'Stopping') &&
    c.startedAt !== undefined &&
    now >= c.startedAt
  );
}

/** Whether the current instance is ready (readiness probe passed). */
export function isReady(c: ContainerRun, now: number): boolean {
  if (c.init && !c.sidecar) {
    return c.phase === 'Exited' && c.current?.finished?.exitCode === 0;
  }
  return c.phase === 'Running' && isStarted(c, now) && c.readyAt !== undefined && now >= c.readyAt;
}

/** A container's status (convertToAPIContainerStatuses). */
export function containerStatus(
  c: ContainerRun,
  now: number,
  defaultReason: 'ContainerCreating' | 'PodInitializing',
): Obj {
  const current = c.current;
  let state: Obj;
  let lastState: Obj = lastStateOf(c.previous);
  switch (c.phase) {
    case 'Running':
    case 'Stopping':
      state = { running: { startedAt: rfc3339(current?.startedAt ?? now) } };
      break;
    case 'Exited':
    case 'Stopped':
      state = current?.finished
        ? terminated(current, current.finished)
        : { waiting: { reason: defaultReason } };
      break;
    case 'CrashBackOff':
      state = {
        waiting: {
          reason: 'CrashLoopBackOff',
          ...(c.waiting?.message ? { message: c.waiting.message } : {}),
        },
      };
      lastState = lastStateOf(current);
      break;
    case 'Waiting':
    case 'Pulling':
    case 'Creating':
      if (c.waiting) {
        // Retrying after an error: the error stays until the attempt ends (the reason cache).
        state = {
          waiting: {
            reason: c.waiting.reason,
            ...(c.waiting.message ? { message: c.waiting.message } : {}),
          },
        };
        lastState = lastStateOf(current);
      } else if (current?.finished) {
        // A restart in progress: the exited instance is still the latest one.
        state = terminated(current, current.finished);
      } else {
        state = { waiting: { reason: defaultReason } };
      }
      break;
    default:
      state = {
        waiting: {
          reason: c.waiting?.reason ?? defaultReason,
          ...(c.waiting?.message ? { message: c.waiting.message } : {}),
        },
      };
      lastState = lastStateOf(current);
  }
  return {
    ...(current ? { containerID: `containerd://${current.id}` } : {}),
    image: current?.image ?? c.image,
    imageID: current?.imageId ?? '',
    lastState,
    name: c.name,
    ready: isReady(c, now),
    restartCount: Math.max(0, c.instances - 1),
    started: isStarted(c, now),
    state,
  };
}

/** `getPhase` (kubelet_pods.go) over generated statuses. */
export function podPhase(
  spec: Obj,
  init: readonly Obj[],
  containers: readonly Obj[],
  podIsTerminal: boolean,
): string {
  const restartPolicy = String(spec.restartPolicy ?? 'Always');
  let pendingInitialization = 0;
  let failedInitialization = 0;
  const initSpecs = list(spec.initContainers);
  for (const container of initSpecs) {
    if (container.restartPolicy === 'Always') continue;
    const status = init.find((s) => s.name === container.name);
    if (!status) {
      pendingInitialization++;
      continue;
    }
    const state = obj(status.state);
    const last = obj(status.lastState);
    if (isPlainObject(state.running)) pendingInitialization++;
    else if (isPlainObject(state.terminated)) {
      if (Number(obj(state.terminated).exitCode) !== 0) failedInitialization++;
    } else if (isPlainObject(state.waiting)) {
      if (isPlainObject(last.terminated)) {
        if (Number(obj(last.terminated).exitCode) !== 0) failedInitialization++;
      } else pendingInitialization++;
    } else pendingInitialization++;
  }
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  // Sidecars count as running while they run; once stopped they no longer matter.
  for (const container of initSpecs) {
    if (container.restartPolicy !== 'Always') continue;
    const status = init.find((s) => s.name === container.name);
    if (!status) {
      unknown++;
      continue;
    }
    const state = obj(status.state);
    if (isPlainObject(state.running)) {
      if (status.started !== true) pendingInitialization++;
      running++;
    } else if (isPlainObject(state.waiting) && !isPlainObject(obj(status.lastState).terminated)) {
      pendingInitialization++;
      waiting++;
    } else if (!isPlainObject(state.terminated) && !isPlainObject(state.waiting)) {
      pendingInitialization++;
      unknown++;
    }
  }
  for (const container of list(spec.containers)) {
    const status = containers.find((s) => s.name === container.name);
    if (!status) {
      unknown++;
      continue;
    }
    const state = obj(status.state);
    if (isPlainObject(state.running)) running++;
    else if (isPlainObject(state.terminated)) {
      stopped++;
      if (Number(obj(state.terminated).exitCode) === 0) succeeded++;
    } else if (isPlainObject(state.waiting)) {
      if (isPlainObject(obj(status.lastState).terminated)) stopped++;
      else waiting++;
    } else unknown++;
  }
  if (failedInitialization > 0 && restartPolicy === 'Never') return 'Failed';
  const anyRegularStarted = containers.some(
    (s) =>
      isPlainObject(obj(s.state).running) ||
      isPlainObject(obj(s.state).terminated) ||
      isPlainObject(obj(s.lastState).terminated),
  );
  if ((pendingInitialization > 0 && !anyRegularStarted) || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}

const names = (items: readonly string[]): string => `[${items.join(' ')}]`;

/** GenerateContainersReadyCondition / GeneratePodReadyCondition (no readiness gates). */
function readyCondition(
  type: 'Ready' | 'ContainersReady',
  spec: Obj,
  statuses: readonly Obj[],
  phase: string,
): Condition {
  const unknown: string[] = [];
  const unready: string[] = [];
  const check = (container: Obj): void => {
    const status = statuses.find((s) => s.name === container.name);
    if (!status) unknown.push(String(container.name));
    else if (status.ready !== true) unready.push(String(container.name));
  };
  for (const c of list(spec.initContainers)) if (c.restartPolicy === 'Always') check(c);
  for (const c of list(spec.containers)) check(c);
  if ((phase === 'Succeeded' && unknown.length === 0) || phase === 'Failed') {
    return { type, status: 'False', reason: phase === 'Succeeded' ? 'PodCompleted' : 'PodFailed' };
  }
  const messages: string[] = [];
  if (unknown.length) messages.push(`containers with unknown status: ${names(unknown)}`);
  if (unready.length) messages.push(`containers with unready status: ${names(unready)}`);
  if (messages.length) {
    return { type, status: 'False', reason: 'ContainersNotReady', message: messages.join(', ') };
  }
  return { type, status: 'True' };
}

/** GeneratePodInitializedCondition. */
function initializedCondition(
  spec: Obj,
  init: readonly Obj[],
  containers: readonly Obj[],
  phase: string,
): Condition {
  const initSpecs = list(spec.initContainers);
  if (initSpecs.length === 0) return { type: 'Initialized', status: 'True' };
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const container of initSpecs) {
    const status = init.find((s) => s.name === container.name);
    if (!status) {
      unknown.push(String(container.name));
      continue;
    }
    const done =
      container.restartPolicy === 'Always' ? status.started === true : status.ready === true;
    if (!done) incomplete.push(String(container.name));
  }
  if (phase === 'Succeeded' && unknown.length === 0) {
    return { type: 'Initialized', status: 'True', reason: 'PodCompleted' };
  }
  const anyRegularStarted = containers.some(
    (s) => isPlainObject(obj(s.state).running) || isPlainObject(obj(s.state).terminated),
  );
  if (anyRegularStarted) return { type: 'Initialized', status: 'True' };
  const messages: string[] = [];
  if (unknown.length) messages.push(`containers with unknown status: ${names(unknown)}`);
  if (incomplete.length) messages.push(`containers with incomplete status: ${names(incomplete)}`);
  if (messages.length) {
    return {
      type: 'Initialized',
      status: 'False',
      reason: 'ContainersNotInitialized',
      message: messages.join(', '),
    };
  }
  return { type: 'Initialized', status: 'True' };
}

export interface StatusInput {
  readonly pod: KubeObject;
  readonly run: PodRun;
  readonly now: number;
  readonly hostIP: string | undefined;
  /** The pod is being torn down and its containers have stopped (terminal phase). */
  readonly podIsTerminal: boolean;
}

/** The whole status the kubelet would write now. */
export function generatePodStatus(input: StatusInput): Obj {
  const { pod, run, now } = input;
  const spec = obj(pod.spec);
  const old = obj(pod.status);
  const defaultReason =
    list(spec.initContainers).length > 0 ? 'PodInitializing' : 'ContainerCreating';
  const initStatuses = run.init.map((c) => containerStatus(c, now, defaultReason));
  // Regular containers' statuses are sorted by name (kubetypes.SortedContainerStatuses);
  // init containers' keep the spec order.
  const statuses = run.containers
    .map((c) => containerStatus(c, now, defaultReason))
    .sort((a, b) => String(a.name).localeCompare(String(b.name)));
  let phase = podPhase(spec, initStatuses, statuses, input.podIsTerminal);
  // Pods are not allowed to transition out of terminal phases.
  if (old.phase === 'Succeeded' || old.phase === 'Failed') phase = String(old.phase);
  // Host-network pods have the node's address from the start.
  const podIP =
    spec.hostNetwork === true && input.hostIP
      ? input.hostIP
      : run.podIP && run.sandbox !== 'none' && run.sandbox !== 'creating'
        ? run.podIP
        : undefined;
  const all = [...initStatuses, ...statuses];
  const generated: Condition[] = [
    {
      type: 'PodReadyToStartContainers',
      status: run.sandbox === 'ready' ? 'True' : 'False',
    },
    initializedCondition(spec, initStatuses, statuses, phase),
    readyCondition('Ready', spec, all, phase),
    readyCondition('ContainersReady', spec, all, phase),
    { type: 'PodScheduled', status: 'True' },
  ];
  const oldConditions = list(old.conditions);
  const stamp = rfc3339(now);
  // Conditions the kubelet does not own (DisruptionTarget, readiness gates) come first.
  const conditions: Obj[] = oldConditions.filter(
    (c) => !KUBELET_CONDITIONS.includes(String(c.type)),
  );
  for (const condition of generated) {
    const previous = oldConditions.find((c) => c.type === condition.type);
    const keep = previous && previous.status === condition.status;
    conditions.push({
      lastProbeTime: null,
      lastTransitionTime: keep ? (previous.lastTransitionTime ?? stamp) : stamp,
      ...(condition.message !== undefined ? { message: condition.message } : {}),
      ...(condition.reason !== undefined ? { reason: condition.reason } : {}),
      status: condition.status,
      type: condition.type,
    });
  }
  const status: Obj = {
    conditions,
    containerStatuses: statuses,
    ...(input.hostIP ? { hostIP: input.hostIP, hostIPs: [{ ip: input.hostIP }] } : {}),
    ...(initStatuses.length ? { initContainerStatuses: initStatuses } : {}),
    ...(old.nominatedNodeName !== undefined ? { nominatedNodeName: old.nominatedNodeName } : {}),
    // The reason and message that came with the phase stay while it does.
    ...(phase === old.phase && old.message !== undefined ? { message: old.message } : {}),
    phase,
    ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
    ...(phase === old.phase && old.reason !== undefined ? { reason: old.reason } : {}),
    ...(old.qosClass !== undefined ? { qosClass: old.qosClass } : {}),
    ...(run.startTime !== undefined ? { startTime: rfc3339(run.startTime) } : {}),
  };
  return status;
}

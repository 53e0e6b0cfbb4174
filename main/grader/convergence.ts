/**
 * Whether the cluster still moves in ways that matter to a lab's checks, so the caller can poll
 * snapshots until it settles (or give up and say on what) before grading: a learner who runs
 * `kubelab grade` right after `kubectl apply` should be graded on where the cluster is going, not
 * on a half-finished rollout.
 *
 * Moving: a DaemonSet or Deployment whose controller has not observed its latest generation
 * (`kubectl rollout status`'s "Waiting for … spec update to be observed"), a rollout in progress,
 * a DaemonSet missing a pod on a Ready must-run node or keeping one on a must-not-run node (its
 * controller creates and deletes those on its next sync), selector-matching orphans (adopted
 * next), pods waiting for the scheduler, ContainerCreating, starting up, or terminating on a
 * Ready node. Settled even though not done: pods that will not get better by waiting —
 * Unschedulable, ImagePullBackOff, CrashLoopBackOff, Running but never Ready, on a NotReady node
 * (evicted only after 300 s of cluster time) — and rollouts held up by them, paused, or past their
 * progress deadline.
 */
import { isPlainObject, type KubeObject } from '../kube/objects';
import { isPodReady, isPodTerminal, isPodTerminating, podCondition } from '../kube/pods';
import { analyzeDaemonSet } from './checks/daemonset-placement';
import {
  byNamespaceAndName,
  findObject,
  isNodeReady,
  list,
  nameOf,
  num,
  obj,
  objectName,
  objectsIn,
  phaseOf,
  podNodeName,
  queryObjects,
  str,
} from './checks/common';
import { controlledBy } from './checks/workloads';
import type { GradeContext } from './grade';
import { resolveRoles } from './roles';
import { objectsOf, type ClusterSnapshot } from './snapshot';
import type { CheckSpec, LabCheck, ObjectQuery } from './spec';

export interface Convergence {
  readonly settled: boolean;
  /** What the cluster is still doing, one line each (`deployment.apps/web: rollout in progress …`). */
  readonly waitingOn: readonly string[];
}

/** How long after its containers start a pod may take to turn Ready before we stop waiting. */
const READY_GRACE_MS = 30_000;

/** Container waiting reasons that are steps on the way up, not failures. */
const STARTING_REASONS = new Set(['ContainerCreating', 'PodInitializing']);

interface Scope {
  readonly daemonSets: Map<string, { namespace: string; name: string }>;
  readonly deployments: Map<string, { namespace: string; name: string }>;
  readonly namespaces: Set<string>;
  allNamespaces: boolean;
  readonly absent: ObjectQuery[];
}

function scopeOf(checks: readonly LabCheck[], roles: GradeContext['roles']): Scope {
  const scope: Scope = {
    daemonSets: new Map(),
    deployments: new Map(),
    namespaces: new Set(),
    allNamespaces: false,
    absent: [],
  };
  const workload = (kind: string, namespace: string | undefined, name: string): void => {
    if (namespace === undefined) return;
    scope.namespaces.add(namespace);
    const map =
      kind === 'DaemonSet'
        ? scope.daemonSets
        : kind === 'Deployment'
          ? scope.deployments
          : undefined;
    map?.set(`${namespace}/${name}`, { namespace, name });
  };
  const visit = (raw: LabCheck): void => {
    // Alternatives are resolved one by one: one naming an unknown role spoils only itself.
    if (raw.type === 'anyOf') {
      raw.checks.forEach(visit);
      return;
    }
    let check: CheckSpec;
    try {
      check = resolveRoles(raw, roles);
    } catch {
      return;
    }
    switch (check.type) {
      case 'daemonSetPlacement':
        workload('DaemonSet', check.namespace, check.name);
        break;
      case 'deploymentReady':
        workload('Deployment', check.namespace, check.name);
        break;
      case 'rolloutRevision':
        workload(check.kind, check.namespace, check.name);
        break;
      case 'objectField':
      case 'objectKept':
        if (check.target.apiVersion === 'apps/v1') {
          workload(check.target.kind, check.target.namespace, check.target.name);
        } else if (check.target.namespace !== undefined) {
          scope.namespaces.add(check.target.namespace);
        }
        break;
      case 'podsSpread':
        scope.namespaces.add(check.namespace);
        break;
      case 'answer':
        if (check.query.kind !== 'Pod') break;
        if (check.query.namespace === undefined) scope.allNamespaces = true;
        else scope.namespaces.add(check.query.namespace);
        break;
      case 'resourceAbsent':
        scope.absent.push(check.query);
        break;
      case 'nodeState':
        break;
    }
  };
  checks.forEach(visit);
  return scope;
}

/**
 * Where a pod is going. Stuck pods differ by cause: a failing pod (image pull, crash loop,
 * unschedulable, never Ready) holds a rollout up; a pod on a down node does not — the controllers
 * replace it or leave that node out.
 */
type PodState =
  | { readonly kind: 'done' }
  | { readonly kind: 'stuck'; readonly cause: 'failing' | 'node down' }
  | { readonly kind: 'moving'; readonly what: string };

const DONE: PodState = { kind: 'done' };
const FAILING: PodState = { kind: 'stuck', cause: 'failing' };
const NODE_DOWN: PodState = { kind: 'stuck', cause: 'node down' };
const isFailing = (state: PodState): boolean => state.kind === 'stuck' && state.cause === 'failing';

/** Where one pod is going: done (Ready or finished), stuck, or still moving (and how). */
function podState(pod: KubeObject, nodes: ReadonlyMap<string, KubeObject>, now: number): PodState {
  const nodeName = podNodeName(pod);
  const node = nodeName ? nodes.get(nodeName) : undefined;
  const nodeUp = node !== undefined && isNodeReady(node);
  if (isPodTerminating(pod)) {
    if (nodeName !== '' && !nodeUp) return NODE_DOWN;
    return { kind: 'moving', what: `Terminating${nodeName ? ` on ${nodeName}` : ''}` };
  }
  if (isPodTerminal(pod)) return DONE;
  if (nodeName === '') {
    const scheduled = podCondition(pod, 'PodScheduled');
    const reason = str(scheduled?.reason);
    if (
      scheduled?.status === 'False' &&
      (reason === 'Unschedulable' || reason === 'SchedulingGated')
    )
      return FAILING;
    return { kind: 'moving', what: 'Pending, not scheduled yet' };
  }
  if (!nodeUp) return NODE_DOWN;
  if (isPodReady(pod)) return DONE;
  const status = obj(pod.status);
  const statuses = [...list(status.initContainerStatuses), ...list(status.containerStatuses)];
  let latestStart = 0;
  for (const container of statuses) {
    const state = obj(container.state);
    if (isPlainObject(state.waiting)) {
      if (!STARTING_REASONS.has(str(state.waiting.reason))) return FAILING;
    } else if (isPlainObject(state.terminated)) {
      if (num(state.terminated.exitCode) !== 0) return FAILING;
    } else if (isPlainObject(state.running)) {
      latestStart = Math.max(latestStart, Date.parse(str(state.running.startedAt)) || 0);
    }
  }
  if (phaseOf(pod) === 'Pending' || statuses.length === 0) {
    return { kind: 'moving', what: `ContainerCreating on ${nodeName}` };
  }
  // Running, not Ready: give readiness probes their initial delay and a grace period.
  const delays = list(obj(pod.spec).containers).map((c) =>
    num(obj(c.readinessProbe).initialDelaySeconds),
  );
  const deadline = latestStart + Math.max(0, ...delays) * 1000 + READY_GRACE_MS;
  if (latestStart > 0 && now < deadline) {
    return { kind: 'moving', what: `Running on ${nodeName}, not Ready yet` };
  }
  return FAILING;
}

/** `daemonset.apps/x: waiting for the controller to observe generation N`. */
function generationWait(display: string, workload: KubeObject): string | undefined {
  const generation = num(workload.metadata.generation);
  const observed = num(obj(workload.status).observedGeneration);
  return observed < generation
    ? `${display}: waiting for its controller to observe generation ${generation} (it has seen ${observed})`
    : undefined;
}

/**
 * Whether the cluster has settled for these checks, and if not, on what it is still waiting.
 * Pure over the snapshot; `snapshot.time` is now.
 */
export function settled(
  snapshot: ClusterSnapshot,
  checks: readonly LabCheck[],
  context: Pick<GradeContext, 'roles'>,
): Convergence {
  const scope = scopeOf(checks, context.roles);
  const waiting: string[] = [];
  const nodes = new Map(objectsOf(snapshot, 'v1', 'Node').map((n) => [n.metadata.name ?? '', n]));
  const states = new Map<KubeObject, PodState>();
  const stateOf = (pod: KubeObject): PodState => {
    let state = states.get(pod);
    if (!state) states.set(pod, (state = podState(pod, nodes, snapshot.time)));
    return state;
  };

  for (const { namespace, name } of [...scope.daemonSets.values()].sort(byKey)) {
    const ds = findObject(snapshot, 'apps/v1', 'DaemonSet', namespace, name);
    if (!ds || ds.metadata.deletionTimestamp !== undefined) continue;
    const display = objectName('apps/v1', 'DaemonSet', name);
    const generation = generationWait(display, ds);
    if (generation) waiting.push(generation);
    const pods = objectsIn(snapshot, 'v1', 'Pod', namespace);
    let analysis;
    try {
      analysis = analyzeDaemonSet(ds, [...nodes.values()], pods);
    } catch {
      continue;
    }
    const stuck = controlledBy(pods, ds).some((p) => isFailing(stateOf(p)));
    for (const finding of analysis.nodes) {
      const active = analysis.activeByNode.get(finding.node) ?? 0;
      const node = nodes.get(finding.node);
      if (finding.placement === 'must-run' && active === 0 && node && isNodeReady(node)) {
        waiting.push(`${display}: no pod on ${finding.node} yet`);
      } else if (finding.placement === 'must-not-run' && active > 0) {
        waiting.push(`${display}: its pod on ${finding.node} is still to be removed`);
      } else if (active > 1 && !stuck) {
        waiting.push(`${display}: ${active} pods on ${finding.node}`);
      }
    }
    for (const orphan of analysis.orphans) {
      waiting.push(`pod/${orphan}: matches ${display}'s selector and has no owner yet`);
    }
    const spec = obj(ds.spec);
    const status = obj(ds.status);
    const rolling = str(obj(spec.updateStrategy).type || 'RollingUpdate') === 'RollingUpdate';
    const desired = num(status.desiredNumberScheduled);
    const updated = num(status.updatedNumberScheduled);
    if (rolling && !stuck && updated < desired) {
      waiting.push(`${display}: rollout in progress (${updated} of ${desired} pods updated)`);
    }
  }

  for (const { namespace, name } of [...scope.deployments.values()].sort(byKey)) {
    const deployment = findObject(snapshot, 'apps/v1', 'Deployment', namespace, name);
    if (!deployment || deployment.metadata.deletionTimestamp !== undefined) continue;
    const display = objectName('apps/v1', 'Deployment', name);
    const generation = generationWait(display, deployment);
    if (generation) waiting.push(generation);
    const spec = obj(deployment.spec);
    const status = obj(deployment.status);
    const gaveUp = list(status.conditions).some(
      (c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded',
    );
    if (spec.paused === true || gaveUp) continue;
    const replicaSets = controlledBy(
      objectsIn(snapshot, 'apps/v1', 'ReplicaSet', namespace),
      deployment,
    );
    const pods = objectsIn(snapshot, 'v1', 'Pod', namespace);
    // A pod on a NotReady node holds the rollout until it is evicted, 300 s of cluster time
    // later (its tolerations of the not-ready and unreachable taints): waiting will not help.
    const stuck = replicaSets.some((rs) =>
      controlledBy(pods, rs).some((p) => stateOf(p).kind === 'stuck'),
    );
    const replicas = num(spec.replicas, 1);
    const current = num(status.replicas);
    const updated = num(status.updatedReplicas);
    const available = num(status.availableReplicas);
    if (!stuck && (updated < replicas || current > updated || available < replicas)) {
      waiting.push(
        `${display}: rollout in progress (${updated} of ${replicas} updated, ${available} available${
          current > updated ? `, ${current - updated} old` : ''
        })`,
      );
    }
  }

  for (const query of scope.absent) {
    let found: KubeObject[];
    try {
      found = queryObjects(snapshot, query);
    } catch {
      continue;
    }
    for (const object of found) {
      if (object.metadata.deletionTimestamp === undefined) continue;
      if (object.kind === 'Pod' && stateOf(object).kind === 'stuck') continue;
      waiting.push(`${nameOf(object)}: being deleted`);
    }
  }

  const pods = (
    scope.allNamespaces
      ? [...objectsOf(snapshot, 'v1', 'Pod')]
      : [...scope.namespaces].flatMap((ns) => objectsIn(snapshot, 'v1', 'Pod', ns))
  ).sort(byNamespaceAndName);
  for (const pod of pods) {
    const state = stateOf(pod);
    if (state.kind === 'moving') waiting.push(`pod/${pod.metadata.name ?? ''}: ${state.what}`);
  }

  const waitingOn = [...new Set(waiting)];
  return { settled: waitingOn.length === 0, waitingOn };
}

function byKey(a: { namespace: string; name: string }, b: { namespace: string; name: string }) {
  const ka = `${a.namespace}/${a.name}`;
  const kb = `${b.namespace}/${b.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

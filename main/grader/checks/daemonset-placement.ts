/**
 * daemonSetPlacement: is the DaemonSet where Kubernetes says it should be, node by node? Each
 * node's placement comes from `NodeShouldRunDaemonPod` (main/kube/scheduling.ts, the predicate
 * the DaemonSet controller itself uses), as three states — must-run (shouldRun), may-keep
 * (shouldContinueRunning only: an untolerated NoSchedule taint came after the pod, a NotReady
 * node) and must-not-run — with the reasons in Kubernetes' own terms. A node's pods are the
 * DaemonSet's by controller reference and on the node by `util.GetTargetNodeName` (an unbound pod
 * is already on the node it is pinned to), terminal pods aside, as `getNodesToDaemonPods` groups
 * them (research/daemonset-spec.md §1.5, §2).
 */
import { labelSelectorAsSelector, formatLabelMap, type LabelSelector } from '../../kube/labels';
import { isPlainObject, type KubeObject } from '../../kube/objects';
import { controllerOf, isPodReady, isPodTerminal, isPodTerminating } from '../../kube/pods';
import {
  doNotScheduleOrExecute,
  nodeSelectorMatches,
  nodeSelectorTermMatches,
  nodeShouldRunDaemonPod,
  targetNodeName,
  taintsOf,
  tolerationsOf,
  tolerationsTolerateTaint,
  withDaemonTolerations,
  type Toleration,
} from '../../kube/scheduling';
import type { NodeFinding, NodePlacement, PodFinding } from '../report';
import { objectsOf } from '../snapshot';
import type { DaemonSetPlacementCheck } from '../spec';
import {
  errored,
  failed,
  findObject,
  formatTaint,
  listForSentence,
  message,
  notFound,
  obj,
  objectName,
  objectsIn,
  passed,
  phaseOf,
  plural,
  wrongKindHint,
  type CheckContext,
  type CheckOutcome,
} from './common';

/** Everything the placement of one DaemonSet comes to; shared with convergence.ts. */
export interface DaemonSetAnalysis {
  /** Every node, by name. */
  readonly nodes: readonly NodeFinding[];
  readonly mustRun: readonly string[];
  readonly mayKeep: readonly string[];
  readonly mustNotRun: readonly string[];
  /** Must-run nodes with exactly one Ready pod. */
  readonly readyOnMustRun: number;
  /** How many pods of the DaemonSet, not terminating, each node has (nodes with none left out). */
  readonly activeByNode: ReadonlyMap<string, number>;
  /** Nodes with more than one (not terminating) pod of the DaemonSet. */
  readonly duplicates: readonly string[];
  /** Pods matching the selector with no controller (the controller adopts them). */
  readonly orphans: readonly string[];
  /** Pods matching the selector that another controller owns (`ReplicaSet/web-6d8f…`). */
  readonly otherOwners: ReadonlyArray<{ readonly pod: string; readonly owner: string }>;
  /** Pods of the DaemonSet whose node is not in the cluster (PodGC removes them). */
  readonly podsOnUnknownNodes: readonly string[];
}

/**
 * Why a node is where it is, in Kubernetes' terms: the same questions NodeShouldRunDaemonPod
 * asks (template nodeName, nodeSelector, required node affinity, NoSchedule/NoExecute taints
 * against the template's tolerations plus the default daemon ones), every answer listed.
 */
function placementReasons(
  node: KubeObject,
  podSpec: Record<string, unknown>,
  userTolerations: readonly Toleration[],
  tolerations: readonly Toleration[],
): string[] {
  const reasons: string[] = [];
  const nodeName = node.metadata.name ?? '';
  if (typeof podSpec.nodeName === 'string' && podSpec.nodeName && podSpec.nodeName !== nodeName) {
    reasons.push(`template nodeName is ${podSpec.nodeName}`);
  }
  // Read as NodeShouldRunDaemonPod reads it, so the reasons always agree with the placement.
  const selector = podSpec.nodeSelector as Record<string, string> | undefined;
  if (!nodeSelectorMatches(selector, node)) {
    reasons.push(`node labels do not match nodeSelector ${formatLabelMap(selector)}`);
  }
  const required = obj(
    obj(podSpec.affinity).nodeAffinity,
  ).requiredDuringSchedulingIgnoredDuringExecution;
  if (isPlainObject(required)) {
    const terms = Array.isArray(required.nodeSelectorTerms) ? required.nodeSelectorTerms : [];
    if (!terms.some((term) => nodeSelectorTermMatches(term, node))) {
      reasons.push('required node affinity not matched');
    }
  }
  if (obj(node.spec).unschedulable === true) {
    reasons.push('cordoned: DaemonSets ignore spec.unschedulable');
  }
  for (const taint of taintsOf(node)) {
    const text = formatTaint(taint);
    if (taint.effect === 'PreferNoSchedule') {
      reasons.push(`taint ${text} is ignored by DaemonSets`);
    } else if (!doNotScheduleOrExecute(taint)) {
      continue;
    } else if (tolerationsTolerateTaint(userTolerations, taint)) {
      reasons.push(`taint ${text} tolerated`);
    } else if (tolerationsTolerateTaint(tolerations, taint)) {
      reasons.push(`taint ${text} tolerated by default (a daemon pod toleration)`);
    } else if (taint.effect === 'NoExecute') {
      reasons.push(`NoExecute taint ${text} not tolerated`);
    } else {
      reasons.push(`taint ${text} not tolerated`);
    }
  }
  return reasons;
}

function placementOf(node: KubeObject, daemonSet: KubeObject): NodePlacement {
  const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, daemonSet);
  return shouldRun ? 'must-run' : shouldContinueRunning ? 'may-keep' : 'must-not-run';
}

/** The first waiting or terminated reason of the pod's containers (init containers first). */
function containerReason(pod: KubeObject): string | undefined {
  const status = isPlainObject(pod.status) ? pod.status : {};
  for (const key of ['initContainerStatuses', 'containerStatuses']) {
    const statuses = status[key];
    if (!Array.isArray(statuses)) continue;
    for (const container of statuses) {
      if (!isPlainObject(container) || !isPlainObject(container.state)) continue;
      for (const state of ['waiting', 'terminated']) {
        const detail = container.state[state];
        if (isPlainObject(detail) && typeof detail.reason === 'string' && detail.reason) {
          return detail.reason;
        }
      }
    }
  }
  return undefined;
}

function podFinding(pod: KubeObject): PodFinding {
  const ref = controllerOf(pod);
  const reason = containerReason(pod);
  return {
    name: pod.metadata.name ?? '',
    ready: isPodReady(pod),
    phase: phaseOf(pod),
    ...(ref ? { owner: `${ref.kind}/${ref.name}` } : {}),
    ...(isPodTerminating(pod) ? { terminating: true } : {}),
    ...(reason !== undefined ? { reason } : {}),
  };
}

const byObjectName = (a: KubeObject, b: KubeObject): number => {
  const an = a.metadata.name ?? '';
  const bn = b.metadata.name ?? '';
  return an < bn ? -1 : an > bn ? 1 : 0;
};

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const found = map.get(key);
  if (found) found.push(value);
  else map.set(key, [value]);
}

/**
 * The placement of a DaemonSet over these nodes and pods (the pods of its namespace). Throws
 * SelectorParseError when its selector cannot be compiled.
 */
export function analyzeDaemonSet(
  daemonSet: KubeObject,
  nodes: readonly KubeObject[],
  pods: readonly KubeObject[],
  allowMayKeep = true,
): DaemonSetAnalysis {
  const spec = obj(daemonSet.spec);
  const selector = labelSelectorAsSelector(spec.selector as LabelSelector | undefined);
  const podSpec = obj(obj(spec.template).spec);
  const userTolerations = tolerationsOf({ metadata: {}, spec: podSpec });
  const tolerations = withDaemonTolerations(userTolerations, podSpec.hostNetwork === true);
  const uid = daemonSet.metadata.uid;
  const sortedNodes = [...nodes].sort(byObjectName);
  const nodeNames = new Set(sortedNodes.map((n) => n.metadata.name ?? ''));

  const own = new Map<string, KubeObject[]>();
  const others = new Map<string, KubeObject[]>();
  const orphans: string[] = [];
  const otherOwners: Array<{ pod: string; owner: string }> = [];
  const podsOnUnknownNodes: string[] = [];
  for (const pod of [...pods].sort(byObjectName)) {
    if (isPodTerminal(pod)) continue;
    const ref = controllerOf(pod);
    const mine = uid !== undefined && ref?.uid === uid;
    if (!mine && !selector.matches(pod.metadata.labels)) continue;
    const node = targetNodeName(pod);
    const known = node !== undefined && nodeNames.has(node);
    const name = pod.metadata.name ?? '';
    if (mine) {
      if (known) push(own, node, pod);
      else podsOnUnknownNodes.push(name);
      continue;
    }
    if (ref) otherOwners.push({ pod: name, owner: `${ref.kind}/${ref.name}` });
    else orphans.push(name);
    if (known) push(others, node, pod);
  }

  const findings: NodeFinding[] = [];
  const mustRun: string[] = [];
  const mayKeep: string[] = [];
  const mustNotRun: string[] = [];
  const duplicates: string[] = [];
  const activeByNode = new Map<string, number>();
  let readyOnMustRun = 0;
  for (const node of sortedNodes) {
    const name = node.metadata.name ?? '';
    const placement = placementOf(node, daemonSet);
    (placement === 'must-run' ? mustRun : placement === 'may-keep' ? mayKeep : mustNotRun).push(
      name,
    );
    const mine = own.get(name) ?? [];
    const active = mine.filter((p) => !isPodTerminating(p));
    if (active.length > 0) activeByNode.set(name, active.length);
    if (active.length > 1) duplicates.push(name);
    let problem: string | undefined;
    if (placement === 'must-run') {
      if (active.length === 0) problem = 'no pod';
      else if (active.length > 1) problem = `${active.length} pods`;
      else if (!isPodReady(active[0]!)) problem = 'pod not Ready';
      else readyOnMustRun++;
    } else if (placement === 'must-not-run' || !allowMayKeep) {
      if (active.length > 0) problem = 'should not run here';
    } else if (active.length > 1) {
      problem = `${active.length} pods`;
    }
    const podsHere = [...mine, ...(others.get(name) ?? [])].sort(byObjectName);
    findings.push({
      node: name,
      placement,
      reasons: placementReasons(node, podSpec, userTolerations, tolerations),
      pods: podsHere.map(podFinding),
      ok: problem === undefined,
      ...(problem !== undefined ? { problem } : {}),
    });
  }
  return {
    nodes: findings,
    mustRun,
    mayKeep,
    mustNotRun,
    readyOnMustRun,
    activeByNode,
    duplicates,
    orphans,
    otherOwners,
    podsOnUnknownNodes,
  };
}

/**
 * The rows of a placement table where the DaemonSet's spec and the lab disagree (`mustRunOn`):
 * judged by the spec alone such a row is fine — the controller does what the spec says — so the
 * row says what the lab wants instead, and the learner sees which nodes the spec gets wrong.
 */
function withLabExpectation(
  nodes: readonly NodeFinding[],
  expected: readonly string[],
): NodeFinding[] {
  const wanted = new Set(expected);
  return nodes.map((finding) => {
    const specRuns = finding.placement === 'must-run';
    if (specRuns === wanted.has(finding.node) || !finding.ok) return finding;
    return {
      ...finding,
      ok: false,
      problem: specRuns ? 'the lab wants no pod here' : 'the lab wants a pod here',
    };
  });
}

/** The daemonSetPlacement check. */
export function checkDaemonSetPlacement(
  check: DaemonSetPlacementCheck,
  context: CheckContext,
): CheckOutcome {
  const { snapshot } = context;
  const { namespace, name } = check;
  const daemonSet = findObject(snapshot, 'apps/v1', 'DaemonSet', namespace, name);
  const display = objectName('apps/v1', 'DaemonSet', name);
  if (!daemonSet) {
    const missing = notFound('apps/v1', 'DaemonSet', name, namespace);
    const hint = wrongKindHint(snapshot, 'DaemonSet', namespace, name);
    return hint ? failed(hint, { details: { notFound: missing } }) : failed(missing);
  }
  if (daemonSet.metadata.deletionTimestamp !== undefined) {
    return failed(`${display} is being deleted`);
  }
  let analysis: DaemonSetAnalysis;
  try {
    analysis = analyzeDaemonSet(
      daemonSet,
      objectsOf(snapshot, 'v1', 'Node'),
      objectsIn(snapshot, 'v1', 'Pod', namespace),
      check.allowMayKeep !== false,
    );
  } catch (error) {
    return errored(`${display} has a selector that cannot be used: ${message(error)}`);
  }

  const issues: string[] = [];
  let expected: string[] | undefined;
  if (check.mustRunOn) {
    expected = [...new Set(check.mustRunOn)].sort();
    const actual = analysis.mustRun;
    if (expected.length !== actual.length || expected.some((n, i) => n !== actual[i])) {
      issues.push(
        `it should run on ${listForSentence(expected) || 'no node'} but its spec makes it run on ${
          listForSentence(actual) || 'no node'
        }`,
      );
    }
  }
  const wrong = analysis.nodes.filter((n) => !n.ok);
  if (wrong.length > 0) {
    issues.push(
      `it is not placed right on ${wrong.length} of ${plural(analysis.nodes.length, 'node')}: ${listForSentence(
        wrong.map((n) => `${n.node} (${n.problem ?? ''})`),
      )}`,
    );
  }
  const strays: string[] = [];
  if (analysis.otherOwners.length > 0) {
    const owners = [...new Set(analysis.otherOwners.map((o) => o.owner))];
    strays.push(
      `${plural(analysis.otherOwners.length, 'pod')} matching its selector ${
        analysis.otherOwners.length === 1 ? 'belongs' : 'belong'
      } to ${listForSentence(owners, 3)}`,
    );
  }
  if (analysis.orphans.length > 0) {
    strays.push(
      `${plural(analysis.orphans.length, 'pod')} matching its selector ${
        analysis.orphans.length === 1 ? 'has' : 'have'
      } no owner`,
    );
  }
  const details: Record<string, unknown> = {
    mustRun: analysis.mustRun.length,
    mayKeep: analysis.mayKeep.length,
    mustNotRun: analysis.mustNotRun.length,
    readyOnMustRun: analysis.readyOnMustRun,
  };
  if (expected) details.expectedMustRun = expected;
  if (analysis.duplicates.length > 0) details.duplicates = analysis.duplicates;
  if (analysis.orphans.length > 0) details.orphans = analysis.orphans;
  if (analysis.otherOwners.length > 0) details.otherOwners = analysis.otherOwners;
  if (analysis.podsOnUnknownNodes.length > 0)
    details.podsOnUnknownNodes = analysis.podsOnUnknownNodes;

  const tail = strays.length > 0 ? `; ${strays.join('; ')}` : '';
  if (issues.length > 0) {
    return failed(`${display}: ${issues.join('; ')}${tail}`, {
      nodes: expected ? withLabExpectation(analysis.nodes, expected) : analysis.nodes,
      details,
    });
  }
  const count = analysis.mustRun.length;
  const summary =
    count === 0
      ? `${display} should run on no node and runs on none`
      : `${display} runs one Ready pod on ${
          count === 1 ? 'the one node' : `each of the ${count} nodes`
        } it should run on`;
  return passed(`${summary}${tail}`, { nodes: analysis.nodes, details });
}

/**
 * Pure scheduling predicates shared by the scheduler, the DaemonSet controller, the taint
 * eviction controller and the grader: taints and tolerations, node selectors and required node
 * affinity. Each follows the upstream function it names.
 */
import { isPlainObject, type KubeObject } from './objects';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: TaintEffect;
  readonly timeAdded?: string;
}

export interface Toleration {
  readonly key?: string;
  readonly operator?: 'Exists' | 'Equal';
  readonly value?: string;
  readonly effect?: TaintEffect | '';
  readonly tolerationSeconds?: number;
}

export function taintsOf(node: KubeObject): Taint[] {
  return list(obj(node.spec).taints) as unknown as Taint[];
}

export function tolerationsOf(pod: KubeObject): Toleration[] {
  return list(obj(pod.spec).tolerations) as unknown as Toleration[];
}

/**
 * `Toleration.ToleratesTaint` (k8s.io/api/core/v1/toleration.go): an empty effect matches every
 * effect, an empty key with `Exists` matches every key, `Exists` ignores the value and `Equal`
 * (or no operator) needs equal values.
 */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

/** `v1helper.TolerationsTolerateTaint`. */
export function tolerationsTolerateTaint(
  tolerations: readonly Toleration[],
  taint: Taint,
): boolean {
  return tolerations.some((t) => toleratesTaint(t, taint));
}

/**
 * `v1helper.FindMatchingUntoleratedTaint`: the first taint that passes `filter` and that no
 * toleration tolerates.
 */
export function findUntoleratedTaint(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
  filter: (taint: Taint) => boolean,
): Taint | undefined {
  return taints.find((taint) => filter(taint) && !tolerationsTolerateTaint(tolerations, taint));
}

export const doNotScheduleOrExecute = (taint: Taint): boolean =>
  taint.effect === 'NoSchedule' || taint.effect === 'NoExecute';

/** `{key: value}` as the scheduler's TaintToleration reason prints a taint. */
export function formatTaintForReason(taint: Taint): string {
  return `{${taint.key}: ${taint.value ?? ''}}`;
}

// -------------------------------------------------------------------------------------------
// Node selectors and node affinity (k8s.io/component-helpers/scheduling/corev1/nodeaffinity)

interface NodeSelectorRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[];
}

/**
 * One `NodeSelectorRequirement` against a value map (labels, or `{metadata.name}` for
 * matchFields). An unknown operator, or Gt/Lt with a non-integer, is a parse error upstream,
 * which makes the term match nothing.
 */
function requirementMatches(
  requirement: NodeSelectorRequirement,
  values: Readonly<Record<string, string>>,
): boolean {
  const has = Object.hasOwn(values, requirement.key);
  const value = has ? values[requirement.key]! : undefined;
  const wanted = requirement.values ?? [];
  switch (requirement.operator) {
    case 'In':
      return value !== undefined && wanted.includes(value);
    case 'NotIn':
      return value === undefined || !wanted.includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (wanted.length !== 1 || value === undefined) return false;
      const bound = Number(wanted[0]);
      const actual = Number(value);
      if (!/^-?\d+$/.test(wanted[0]!) || !/^-?\d+$/.test(value)) return false;
      return requirement.operator === 'Gt' ? actual > bound : actual < bound;
    }
    default:
      return false;
  }
}

/**
 * A `NodeSelectorTerm`: its matchExpressions (against labels) and matchFields (against
 * `metadata.name`, the only field supported) must all hold. An empty term matches nothing.
 */
export function nodeSelectorTermMatches(term: unknown, node: KubeObject): boolean {
  const expressions = list(obj(term).matchExpressions) as unknown as NodeSelectorRequirement[];
  const fields = list(obj(term).matchFields) as unknown as NodeSelectorRequirement[];
  if (expressions.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  const nodeFields = { 'metadata.name': node.metadata.name ?? '' };
  return (
    expressions.every((r) => requirementMatches(r, labels)) &&
    fields.every((r) => r.key === 'metadata.name' && requirementMatches(r, nodeFields))
  );
}

/** `nodeSelector`: every key=value must be a node label. */
export function nodeSelectorMatches(
  selector: Readonly<Record<string, string>> | undefined,
  node: KubeObject,
): boolean {
  const labels = node.metadata.labels ?? {};
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

/**
 * `nodeaffinity.GetRequiredNodeAffinity(pod).Match(node)`: the pod's `nodeSelector` and its
 * required node affinity (terms ORed; a pod with the field but no terms matches nothing).
 */
export function podMatchesNodeAffinity(pod: KubeObject, node: KubeObject): boolean {
  const spec = obj(pod.spec);
  if (!nodeSelectorMatches(spec.nodeSelector as Record<string, string> | undefined, node)) {
    return false;
  }
  const required = obj(
    obj(spec.affinity).nodeAffinity,
  ).requiredDuringSchedulingIgnoredDuringExecution;
  if (!isPlainObject(required)) return true;
  return list(required.nodeSelectorTerms).some((term) => nodeSelectorTermMatches(term, node));
}

// -------------------------------------------------------------------------------------------
// DaemonSets (pkg/controller/daemon)

/** `util.AddOrUpdateDaemonPodTolerations`: the tolerations every daemon pod gets, in order. */
export function defaultDaemonTolerations(hostNetwork: boolean): Toleration[] {
  const tolerations: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (hostNetwork) {
    tolerations.push({
      key: 'node.kubernetes.io/network-unavailable',
      operator: 'Exists',
      effect: 'NoSchedule',
    });
  }
  return tolerations;
}

/** `v1helper.MatchToleration`: same key, operator, value and effect. */
function sameToleration(a: Toleration, b: Toleration): boolean {
  return (
    (a.key ?? '') === (b.key ?? '') &&
    (a.operator ?? '') === (b.operator ?? '') &&
    (a.value ?? '') === (b.value ?? '') &&
    (a.effect ?? '') === (b.effect ?? '')
  );
}

/**
 * `v1helper.AddOrUpdateTolerationInPodSpec` for each default daemon toleration: a user
 * toleration that matches one is replaced by it (so its tolerationSeconds is dropped), the rest
 * are appended after the user's.
 */
export function withDaemonTolerations(
  tolerations: readonly Toleration[],
  hostNetwork: boolean,
): Toleration[] {
  const out = tolerations.map((t) => ({ ...t }));
  for (const toleration of defaultDaemonTolerations(hostNetwork)) {
    const at = out.findIndex((t) => sameToleration(t, toleration));
    if (at >= 0) out[at] = toleration;
    else out.push(toleration);
  }
  return out;
}

export interface DaemonPlacement {
  /** Create a daemon pod on this node if it has none. */
  readonly shouldRun: boolean;
  /** Keep a daemon pod that is already on this node. */
  readonly shouldContinueRunning: boolean;
}

/**
 * `NodeShouldRunDaemonPod(node, ds)` (pkg/controller/daemon/daemon_controller.go): the pod the
 * DaemonSet would make for this node — its template with the default daemon tolerations — must
 * fit the node's name (template nodeName), its labels (nodeSelector and required node affinity)
 * and its NoSchedule/NoExecute taints. An untolerated NoSchedule taint keeps an existing pod;
 * NoExecute does not. PreferNoSchedule, `spec.unschedulable`, resources and ports are not
 * looked at here (the scheduler handles those).
 */
export function nodeShouldRunDaemonPod(node: KubeObject, daemonSet: KubeObject): DaemonPlacement {
  const template = obj(obj(daemonSet.spec).template);
  const podSpec = obj(template.spec);
  const nodeName = node.metadata.name ?? '';
  if (typeof podSpec.nodeName === 'string' && podSpec.nodeName && podSpec.nodeName !== nodeName) {
    return { shouldRun: false, shouldContinueRunning: false };
  }
  const pod = {
    metadata: { ...(obj(template.metadata) as KubeObject['metadata']) },
    spec: podSpec,
  } as KubeObject;
  if (!podMatchesNodeAffinity(pod, node)) {
    return { shouldRun: false, shouldContinueRunning: false };
  }
  const tolerations = withDaemonTolerations(tolerationsOf(pod), podSpec.hostNetwork === true);
  const untolerated = findUntoleratedTaint(taintsOf(node), tolerations, doNotScheduleOrExecute);
  if (!untolerated) return { shouldRun: true, shouldContinueRunning: true };
  const noExecute = findUntoleratedTaint(
    taintsOf(node),
    tolerations,
    (taint) => taint.effect === 'NoExecute',
  );
  return { shouldRun: false, shouldContinueRunning: noExecute === undefined };
}

/**
 * `util.GetTargetNodeName`: a pod's node — `spec.nodeName`, or for an unbound daemon pod the one
 * value of its `metadata.name In` matchField. Undefined when neither names one node.
 */
export function targetNodeName(pod: KubeObject): string | undefined {
  const spec = obj(pod.spec);
  if (typeof spec.nodeName === 'string' && spec.nodeName) return spec.nodeName;
  const terms = list(
    obj(obj(obj(spec.affinity).nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution)
      .nodeSelectorTerms,
  );
  for (const term of terms) {
    for (const field of list(term.matchFields)) {
      const values = Array.isArray(field.values) ? (field.values as string[]) : [];
      if (field.key === 'metadata.name' && field.operator === 'In' && values.length === 1) {
        return values[0];
      }
    }
  }
  return undefined;
}

/**
 * `util.ReplaceDaemonSetPodNodeNameNodeAffinity`: pins a daemon pod to a node by replacing its
 * required node affinity terms with one `matchFields metadata.name In [node]` term; preferred
 * affinity and other affinity kinds stay.
 */
export function pinToNode(podSpec: Obj, nodeName: string): void {
  const affinity = { ...obj(podSpec.affinity) };
  const nodeAffinity = { ...obj(affinity.nodeAffinity) };
  nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = {
    nodeSelectorTerms: [
      { matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] },
    ],
  };
  affinity.nodeAffinity = nodeAffinity;
  podSpec.affinity = affinity;
}

/**
 * The DaemonSet controller's small rules, each after the upstream function it names
 * (pkg/controller/daemon/util/daemonset_util.go, daemon_controller.go, k8s.io/apimachinery
 * intstr): labels and annotations it uses, the template a daemon pod is made from, which pod is
 * "updated", rollout budgets, and the order pods on one node are ranked in.
 */
import { deepCopy, isPlainObject, type KubeObject } from '../../kube/objects';
import {
  nodeShouldRunDaemonPod,
  tolerationsOf,
  withDaemonTolerations,
  type DaemonPlacement,
} from '../../kube/scheduling';
import { TEMPLATE_GENERATION_ANNOTATION } from '../../apiserver/registry/strategies';

type Obj = Record<string, unknown>;
export const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});

/** `apps.DefaultDaemonSetUniqueLabelKey` (= `ControllerRevisionHashLabelKey`). */
export const REVISION_HASH_LABEL = 'controller-revision-hash';
/** `extensions.DaemonSetTemplateGenerationKey`: the legacy per-pod template generation label. */
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
export { TEMPLATE_GENERATION_ANNOTATION };
/** The field manager kube-controller-manager's clients write with. */
export const FIELD_MANAGER = 'kube-controller-manager';

/**
 * Placements worked out, by pod template and node: nodeShouldRunDaemonPod reads nothing of the
 * DaemonSet but its template, and both are immutable stored objects (a status write keeps the
 * DaemonSet's spec, so its template stays the same object), so a sync over every node, done after
 * every batch of pod changes, asks again only about nodes that changed.
 */
const placements = new WeakMap<object, WeakMap<KubeObject, DaemonPlacement>>();

/** `nodeShouldRunDaemonPod`, remembered per template and node (see `placements`). */
export function placementOf(node: KubeObject, ds: KubeObject): DaemonPlacement {
  const template = obj(ds.spec).template;
  if (!isPlainObject(template) || !Object.isFrozen(template) || !Object.isFrozen(node)) {
    return nodeShouldRunDaemonPod(node, ds);
  }
  let byNode = placements.get(template);
  if (!byNode) placements.set(template, (byNode = new WeakMap()));
  let placement = byNode.get(node);
  if (!placement) byNode.set(node, (placement = nodeShouldRunDaemonPod(node, ds)));
  return placement;
}

/** `util.GetTemplateGeneration`: the annotation as an integer; undefined when absent or unparsable. */
export function templateGeneration(ds: KubeObject): number | undefined {
  const value = ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  if (value === undefined || !/^[+-]?\d+$/.test(value)) return undefined;
  return Number(value);
}

/**
 * `util.CreatePodTemplate`: a copy of the DaemonSet's template with the default daemon
 * tolerations (AddOrUpdateDaemonPodTolerations) and the `pod-template-generation` and
 * `controller-revision-hash` labels.
 */
export function createPodTemplate(
  template: unknown,
  generation: number | undefined,
  hash: string,
): Obj {
  const copy = deepCopy(obj(template));
  const spec = obj(copy.spec);
  const tolerations = withDaemonTolerations(
    tolerationsOf({ metadata: {}, spec } as KubeObject),
    spec.hostNetwork === true,
  );
  spec.tolerations = tolerations;
  copy.spec = spec;
  const metadata = obj(copy.metadata);
  const labels: Record<string, string> = { ...(obj(metadata.labels) as Record<string, string>) };
  if (generation !== undefined) labels[TEMPLATE_GENERATION_LABEL] = String(generation);
  if (hash) labels[REVISION_HASH_LABEL] = hash;
  metadata.labels = labels;
  copy.metadata = metadata;
  return copy;
}

/**
 * `util.IsPodUpdated`: the pod carries the current revision hash, or (legacy) the current template
 * generation. (Upstream once compared against the pointer's text; current releases dereference
 * it, as here.)
 */
export function isPodUpdated(
  pod: KubeObject,
  hash: string,
  generation: number | undefined,
): boolean {
  const labels = pod.metadata.labels ?? {};
  const templateMatches =
    generation !== undefined && labels[TEMPLATE_GENERATION_LABEL] === String(generation);
  const hashMatches = hash.length > 0 && labels[REVISION_HASH_LABEL] === hash;
  return hashMatches || templateMatches;
}

/**
 * `intstr.GetScaledValueFromIntOrPercent`: an integer as is, `"N%"` of `total` rounded up or
 * down. Throws like upstream on a missing value or a string that is not a percentage.
 */
export function scaledValueFromIntOrPercent(
  value: unknown,
  total: number,
  roundUp: boolean,
): number {
  if (value === undefined || value === null) throw new Error('nil value for IntOrString');
  if (typeof value === 'number') return Math.trunc(value);
  if (typeof value !== 'string') throw new Error('invalid value for IntOrString: invalid type');
  if (!value.endsWith('%')) {
    throw new Error('invalid value for IntOrString: invalid type: string is not a percentage');
  }
  const digits = value.slice(0, -1);
  if (!/^[+-]?\d+$/.test(digits)) {
    throw new Error(
      `invalid value for IntOrString: invalid value ${JSON.stringify(value)}: strconv.Atoi: parsing ${JSON.stringify(digits)}: invalid syntax`,
    );
  }
  const scaled = (Number(digits) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

function rollingUpdateOf(ds: KubeObject): Obj | undefined {
  const strategy = obj(obj(ds.spec).updateStrategy);
  if (strategy.type !== 'RollingUpdate') return undefined;
  return isPlainObject(strategy.rollingUpdate) ? strategy.rollingUpdate : undefined;
}

/** `util.SurgeCount`: 0 unless RollingUpdate with maxSurge set; percentages round up. */
export function surgeCount(ds: KubeObject, numberToSchedule: number): number {
  const rolling = rollingUpdateOf(ds);
  if (!rolling || rolling.maxSurge === undefined || rolling.maxSurge === null) return 0;
  return scaledValueFromIntOrPercent(rolling.maxSurge, numberToSchedule, true);
}

/** `util.UnavailableCount`: 0 unless RollingUpdate; percentages round up. */
export function unavailableCount(ds: KubeObject, numberToSchedule: number): number {
  const rolling = rollingUpdateOf(ds);
  if (!rolling) return 0;
  return scaledValueFromIntOrPercent(rolling.maxUnavailable, numberToSchedule, true);
}

/** `util.AllowsSurge`: more than one pod per node may exist during an update. */
export function allowsSurge(ds: KubeObject): boolean {
  try {
    return surgeCount(ds, 1) > 0;
  } catch {
    return false;
  }
}

export function podNodeName(pod: KubeObject): string {
  const nodeName = obj(pod.spec).nodeName;
  return typeof nodeName === 'string' ? nodeName : '';
}

export function podPhase(pod: KubeObject): string {
  const phase = obj(pod.status).phase;
  return typeof phase === 'string' ? phase : '';
}

function creationTime(object: KubeObject): number {
  const time = Date.parse(object.metadata.creationTimestamp ?? '');
  return Number.isFinite(time) ? time : 0;
}

/**
 * `podByCreationTimestampAndPhase.Less`: bound pods first, then the oldest creationTimestamp,
 * then the name.
 */
export function compareDaemonPods(a: KubeObject, b: KubeObject): number {
  const aBound = podNodeName(a) !== '';
  const bBound = podNodeName(b) !== '';
  if (aBound !== bBound) return aBound ? -1 : 1;
  const ta = creationTime(a);
  const tb = creationTime(b);
  if (ta === tb) {
    const an = a.metadata.name ?? '';
    const bn = b.metadata.name ?? '';
    return an < bn ? -1 : an > bn ? 1 : 0;
  }
  return ta < tb ? -1 : 1;
}

/** `controller.ControllerRevision.Revision`. */
export function revisionOf(history: KubeObject): number {
  const revision = history.revision;
  return typeof revision === 'number' ? revision : 0;
}

/** `util.ErrorAggregate`-style error: one message as is, several as `[a, b]`. */
export function aggregate(errors: readonly unknown[]): Error | undefined {
  if (errors.length === 0) return undefined;
  const messages = errors.map((e) => (e instanceof Error ? e.message : String(e)));
  if (errors.length === 1 && errors[0] instanceof Error) return errors[0];
  return new Error(messages.length === 1 ? messages[0] : `[${messages.join(', ')}]`);
}

/**
 * What every check shares: its outcome type, naming objects as kubectl names them
 * (`daemonset.apps/agent`, `daemonset.apps "agent" not found`), finding objects and evaluating
 * queries over a snapshot with the API server's own label and field selector rules, and the
 * pod and node facts several checks read.
 */
import { strategyFor } from '../../apiserver/registry/strategies';
import { parseFieldSelector, matchFields } from '../../kube/fields';
import { parseSelector } from '../../kube/labels';
import { isPlainObject, type KubeObject } from '../../kube/objects';
import { podCondition, podPhase } from '../../kube/pods';
import { findByKind } from '../../kube/resources';
import type { CheckStatus, NodeFinding } from '../report';
import { objectsOf, type ClusterSnapshot } from '../snapshot';
import type { ObjectQuery } from '../spec';

export type Obj = Record<string, unknown>;
export const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});
export const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);
export const num = (v: unknown, fallback = 0): number =>
  typeof v === 'number' && Number.isFinite(v) ? v : fallback;
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** What one check found; grade() adds the check's id, title, type and weight. */
export interface CheckOutcome {
  readonly status: CheckStatus;
  readonly summary: string;
  readonly nodes?: readonly NodeFinding[];
  readonly details?: Readonly<Record<string, unknown>>;
}

/** What checks read besides their own spec (role templates already resolved). */
export interface CheckContext {
  readonly snapshot: ClusterSnapshot;
  /** uids recorded at lab start, by recordKey(). */
  readonly recorded: Readonly<Record<string, string>>;
  readonly answer?: string;
  readonly lab?: string;
}

type Extra = Omit<CheckOutcome, 'status' | 'summary'>;

export function passed(summary: string, extra: Extra = {}): CheckOutcome {
  return { status: 'passed', summary, ...extra };
}

export function failed(summary: string, extra: Extra = {}): CheckOutcome {
  return { status: 'failed', summary, ...extra };
}

/** The check could not be evaluated (a bad selector or path, a missing answer). */
export function errored(summary: string, extra: Extra = {}): CheckOutcome {
  return { status: 'error', summary, ...extra };
}

/** `3 pods`, `1 pod`. */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}

/** A list for a sentence, cut after `max` items: `a, b, c and 4 more`. */
export function listForSentence(items: readonly string[], max = 5): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** `kind.group` as kubectl prints it before a name: `daemonset.apps`, `pod`, `node`. */
export function kindName(apiVersion: string, kind: string): string {
  const group = groupOf(apiVersion);
  return `${kind.toLowerCase()}${group ? `.${group}` : ''}`;
}

/** `daemonset.apps/agent`, as `kubectl get -o name` and `kubectl apply` print an object. */
export function objectName(apiVersion: string, kind: string, name: string): string {
  return `${kindName(apiVersion, kind)}/${name}`;
}

/** `objectName` of an object read from the cluster. */
export function nameOf(object: KubeObject): string {
  return objectName(object.apiVersion ?? '', object.kind ?? '', object.metadata.name ?? '');
}

/** `daemonset.apps "agent" not found in namespace lab`, or `node "x" not found`. */
export function notFound(
  apiVersion: string,
  kind: string,
  name: string,
  namespace?: string,
): string {
  const where = namespace ? ` in namespace ${namespace}` : '';
  return `${kindName(apiVersion, kind)} "${name}" not found${where}`;
}

/** The plural resource name kubectl takes: `daemonsets.apps`, `pods`. */
export function resourceName(apiVersion: string, kind: string): string {
  const type = findByKind(apiVersion, kind);
  const plural = type?.plural ?? `${kind.toLowerCase()}s`;
  const group = groupOf(apiVersion);
  return `${plural}${group ? `.${group}` : ''}`;
}

/** The kubectl command that lists what a query selects (what a learner can run to see it). */
export function kubectlGet(query: ObjectQuery): string {
  const parts = ['kubectl get', resourceName(query.apiVersion, query.kind)];
  const type = findByKind(query.apiVersion, query.kind);
  if (type?.namespaced !== false) parts.push(query.namespace ? `-n ${query.namespace}` : '-A');
  if (query.labelSelector) parts.push(`-l ${query.labelSelector}`);
  if (query.fieldSelector) parts.push(`--field-selector ${query.fieldSelector}`);
  return parts.join(' ');
}

/** The object of this kind, namespace and name in the snapshot. */
export function findObject(
  snapshot: ClusterSnapshot,
  apiVersion: string,
  kind: string,
  namespace: string | undefined,
  name: string,
): KubeObject | undefined {
  return objectsOf(snapshot, apiVersion, kind).find(
    (o) => o.metadata.name === name && (o.metadata.namespace ?? '') === (namespace ?? ''),
  );
}

/** Objects of a kind in a namespace (every namespace when undefined). */
export function objectsIn(
  snapshot: ClusterSnapshot,
  apiVersion: string,
  kind: string,
  namespace: string | undefined,
): KubeObject[] {
  const all = objectsOf(snapshot, apiVersion, kind);
  return namespace === undefined
    ? [...all]
    : all.filter((o) => (o.metadata.namespace ?? '') === namespace);
}

export const byNamespaceAndName = (a: KubeObject, b: KubeObject): number => {
  const ka = `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`;
  const kb = `${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

/** A query that cannot be run (bad selector): the check reports it as an error. */
export class QueryError extends Error {}

/**
 * The objects a query selects, sorted by namespace and name: its label selector parsed as
 * `?labelSelector=` is, its field selector limited to the fields the API server lets that kind
 * select on (`field label not supported: …` otherwise), as registry.predicate does.
 */
export function queryObjects(snapshot: ClusterSnapshot, query: ObjectQuery): KubeObject[] {
  let labels;
  try {
    labels = parseSelector(query.labelSelector ?? '');
  } catch (error) {
    throw new QueryError(
      `invalid label selector "${query.labelSelector ?? ''}": ${message(error)}`,
    );
  }
  let fields;
  try {
    fields = parseFieldSelector(query.fieldSelector ?? '');
  } catch (error) {
    throw new QueryError(message(error));
  }
  const type = findByKind(query.apiVersion, query.kind);
  const strategy = type ? strategyFor(type) : undefined;
  const selectable = strategy?.selectableFields({}) ?? {};
  for (const requirement of fields) {
    if (
      requirement.field !== 'metadata.name' &&
      requirement.field !== 'metadata.namespace' &&
      !Object.hasOwn(selectable, requirement.field)
    ) {
      throw new QueryError(`field label not supported: ${requirement.field}`);
    }
  }
  return objectsIn(snapshot, query.apiVersion, query.kind, query.namespace)
    .filter((o) => labels.matches(o.metadata.labels))
    .filter(
      (o) =>
        fields.length === 0 ||
        matchFields(fields, {
          'metadata.name': o.metadata.name ?? '',
          'metadata.namespace': o.metadata.namespace ?? '',
          ...(strategy?.selectableFields(o as Obj) ?? {}),
        }),
    )
    .sort(byNamespaceAndName);
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// -------------------------------------------------------------------------------------------
// Pods and nodes

/** The workload kinds a learner may have made instead of the one a lab asks for. */
const WORKLOADS: ReadonlyArray<{ apiVersion: string; kind: string }> = [
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'apps/v1', kind: 'DaemonSet' },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  { apiVersion: 'v1', kind: 'Pod' },
];

/**
 * When a lab's workload is missing: another workload of that name in the namespace (the learner
 * made a Deployment where a DaemonSet was asked for), said so.
 */
export function wrongKindHint(
  snapshot: ClusterSnapshot,
  wanted: string,
  namespace: string,
  name: string,
): string | undefined {
  for (const { apiVersion, kind } of WORKLOADS) {
    if (kind === wanted) continue;
    if (findObject(snapshot, apiVersion, kind, namespace, name)) {
      return `found a ${kind} named ${name}: this lab asks for a ${wanted}`;
    }
  }
  return undefined;
}

/** `kubectl get pod`'s view of a pod's phase: `Pending` until the API server sets one. */
export function phaseOf(pod: KubeObject): string {
  return podPhase(pod) || 'Pending';
}

export function podNodeName(pod: KubeObject): string {
  return str(obj(pod.spec).nodeName);
}

/** The scheduler found no node for it: PodScheduled=False, reason Unschedulable. */
export function isUnschedulable(pod: KubeObject): boolean {
  if (podNodeName(pod) !== '' || phaseOf(pod) !== 'Pending') return false;
  const scheduled = podCondition(pod, 'PodScheduled');
  return scheduled?.status === 'False' && scheduled.reason === 'Unschedulable';
}

/** The Node's Ready condition is True. */
export function isNodeReady(node: KubeObject): boolean {
  return list(obj(node.status).conditions).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** The container of a pod spec by name, or its first container. */
export function containerOf(podSpec: Obj, name: string | undefined): Obj | undefined {
  const containers = list(podSpec.containers);
  return name === undefined ? containers[0] : containers.find((c) => c.name === name);
}

/** A taint as `kubectl describe node` prints it: `key=value:Effect`, `key:Effect`. */
export function formatTaint(taint: { key?: unknown; value?: unknown; effect?: unknown }): string {
  const value = str(taint.value);
  return `${str(taint.key)}${value ? `=${value}` : ''}:${str(taint.effect)}`;
}

/**
 * Runs a lab's operations (setup, step setup, reference solutions) against a cluster through its
 * Kubernetes API — never a shell, so a lab, which is data anyone may share, cannot run commands
 * on the learner's machine, and one code path serves the embedded cluster, kind and any context.
 *
 * Each operation does what the kubectl command the solution view shows for it
 * (main/labs/commands.ts) does, step for step — kubectl label's merge patch, kubectl taint's
 * `reorganizeTaints`, kubectl rollout undo's patches and errors — so the state a lab reaches is the
 * state a learner typing that command reaches (test/labs/kubectl-equivalence.test.ts proves it).
 * The one deliberate difference: `apply` is a server-side apply (field manager `kubelab`), with
 * the `last-applied-configuration` annotation kubectl's client-side apply would write, so a
 * learner's later `kubectl apply -f` of an edited manifest merges as if they had applied the seed.
 *
 * Node and clock operations go through Kubelab's simulator API (main/cluster/operations.ts),
 * which only an embedded cluster serves; elsewhere they fail saying which backend the lab needs.
 */
import { realClock, sleep, type Clock } from '../base/clock';
import type { BackendKind } from '../cluster/backend';
import { KubeApiError, type KubeClient, type KubeResponse } from '../cluster/kube-client';
import * as simulator from '../cluster/operations';
import { kindName, objectName } from '../grader/checks/common';
import { fieldEquals, readField } from '../grader/checks/object-field';
import type { ObjectQuery, ObjectRef } from '../grader/spec';
import { jsonPathText } from '../kube/jsonpath';
import { parseGoDuration } from '../kube/duration';
import { deepEqual, isPlainObject, type KubeObject } from '../kube/objects';
import { findByKind } from '../kube/resources';
import { nodeNameFor, resolveRoles } from '../labs/roles';
import {
  parseLabelChange,
  parseTaintChange,
  type LabOperation,
  type LoadedApplyOperation,
} from '../labs/schema';

/** What an operation needs: the cluster, the node names of roles, and where to report. */
export interface OperationContext {
  readonly client: KubeClient;
  /** What the cluster is: node and clock operations need `embedded`. */
  readonly backend: BackendKind;
  /**
   * Role → node name. Mutable on purpose: a `nodeAdd` records its new role here, so the
   * operations after it (and the session that is saved) can name the node.
   */
  readonly roles: Record<string, string>;
  /** The backends the lab runs on, named in the error when this cluster cannot do something. */
  readonly labBackends?: readonly BackendKind[] | undefined;
  readonly signal?: AbortSignal | undefined;
  /** What is being done now: `applying daemonset.apps/agent`. */
  readonly onProgress?: ((message: string) => void) | undefined;
  readonly clock?: Clock | undefined;
  /** How often `wait` and `delete` look again (default 250 ms). */
  readonly pollMs?: number | undefined;
  /** How long `delete` waits for an object to be gone, as kubectl delete waits (default 120 s). */
  readonly deleteTimeoutMs?: number | undefined;
}

/** An operation that could not be done, worded as kubectl words it where kubectl has words. */
export class LabOperationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabOperationError';
  }
}

/** The annotation kubectl's client-side apply keeps its last applied manifest in. */
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** The field manager of every write Kubelab makes for a lab. */
export const FIELD_MANAGER = 'kubelab';

const PATCH_TYPES = {
  strategic: 'application/strategic-merge-patch+json',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
} as const;

/**
 * Runs operations in order; answers kubectl-style result lines (`daemonset.apps/agent created`).
 * Stops at the first failure, and between operations when `signal` is aborted.
 */
export async function runOperations(
  operations: readonly LabOperation[],
  context: OperationContext,
): Promise<string[]> {
  const lines: string[] = [];
  for (const operation of operations) {
    context.signal?.throwIfAborted();
    lines.push(...(await runOperation(operation, context)));
  }
  return lines;
}

/** Runs one operation; answers what kubectl would print for it, one line each. */
export async function runOperation(
  operation: LabOperation,
  context: OperationContext,
): Promise<string[]> {
  context.signal?.throwIfAborted();
  // nodeAdd names a role the cluster does not have yet: nodeNameFor derives its name.
  const op = resolveRoles(operation, context.roles);
  switch (op.op) {
    case 'apply':
      return apply(op, context);
    case 'patch':
      return patch(op, context);
    case 'delete':
      return remove(op, context);
    case 'label':
      return label(op, context);
    case 'taint':
      return taint(op, context);
    case 'cordon':
    case 'uncordon':
      return cordon(op.node, op.op === 'cordon', context);
    case 'nodeAdd':
    case 'nodeRemove':
    case 'nodeStop':
    case 'nodeStart':
    case 'advanceClock':
      return simulatorOperation(op, context);
    case 'rolloutUndo':
      return op.kind === 'Deployment' ? undoDeployment(op, context) : undoDaemonSet(op, context);
    case 'wait':
      return wait(op, context);
  }
}

// -------------------------------------------------------------------------------------------
// Resource paths

interface TypeInfo {
  /** `/apis/apps/v1` or `/api/v1`. */
  readonly base: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

const discovered = new WeakMap<KubeClient, Map<string, TypeInfo | undefined>>();

/**
 * Where a kind is served: from Kubelab's resource table, else from the server's discovery (a
 * lab for kind or a context may use kinds the embedded cluster does not serve).
 */
async function typeOf(client: KubeClient, apiVersion: string, kind: string): Promise<TypeInfo> {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const known = findByKind(apiVersion, kind);
  if (known) return { base, plural: known.plural, namespaced: known.namespaced };
  let cache = discovered.get(client);
  if (!cache) discovered.set(client, (cache = new Map()));
  const key = `${apiVersion}/${kind}`;
  if (!cache.has(key)) {
    const response = await client.request('GET', base);
    const resources =
      response.status === 200 && isPlainObject(response.body) ? response.body.resources : [];
    const found = (Array.isArray(resources) ? resources : [])
      .filter(isPlainObject)
      .find((r) => r.kind === kind && typeof r.name === 'string' && !r.name.includes('/'));
    cache.set(
      key,
      found
        ? { base, plural: String(found.name), namespaced: found.namespaced === true }
        : undefined,
    );
  }
  const info = cache.get(key);
  if (!info) {
    // kubectl's words for a kind the server does not serve.
    throw new LabOperationError(
      `resource mapping not found for kind "${kind}" in version "${apiVersion}": ensure CRDs are installed first`,
    );
  }
  return info;
}

function collectionPath(type: TypeInfo, namespace: string | undefined): string {
  const scope =
    type.namespaced && namespace !== undefined
      ? `/namespaces/${encodeURIComponent(namespace)}`
      : '';
  return `${type.base}${scope}/${type.plural}`;
}

function objectPath(type: TypeInfo, namespace: string | undefined, name: string): string {
  return `${collectionPath(type, namespace ?? (type.namespaced ? 'default' : undefined))}/${encodeURIComponent(name)}`;
}

/** The API path of one object (its kind looked up in the table, else in discovery). */
export async function refPath(client: KubeClient, ref: ObjectRef): Promise<string> {
  return objectPath(await typeOf(client, ref.apiVersion, ref.kind), ref.namespace, ref.name);
}

function displayRef(ref: { apiVersion: string; kind: string; name: string }): string {
  return objectName(ref.apiVersion, ref.kind, ref.name);
}

/** The error `client.call` would throw for this answer. */
function apiError(response: KubeResponse): KubeApiError {
  const body = isPlainObject(response.body) ? response.body : {};
  return new KubeApiError(
    response.status,
    typeof body.reason === 'string' ? body.reason : '',
    typeof body.message === 'string'
      ? body.message
      : typeof response.body === 'string'
        ? response.body
        : `HTTP ${response.status}`,
  );
}

const ok = (response: KubeResponse): boolean => response.status >= 200 && response.status < 300;

function pause(ms: number, context: OperationContext): Promise<void> {
  return sleep(context.clock ?? realClock, ms, context.signal);
}

// -------------------------------------------------------------------------------------------
// apply

/** Namespaces first: a manifest may create a namespace and the objects in it, in any order. */
function applyRank(object: KubeObject): number {
  return object.kind === 'Namespace' && object.apiVersion === 'v1' ? 0 : 1;
}

/**
 * The object with the `last-applied-configuration` annotation kubectl's client-side apply
 * writes (`util.GetModifiedConfiguration`): the manifest object with its annotations minus that
 * one — an empty map when it has no others, as Go's SetAnnotations keeps an empty map — encoded
 * as Go encodes it (keys sorted, `<>&` escaped, a final newline).
 */
export function withLastApplied(object: KubeObject): KubeObject {
  const { [LAST_APPLIED]: _previous, ...annotations } = object.metadata.annotations ?? {};
  const plain: KubeObject = { ...object, metadata: { ...object.metadata, annotations } };
  const text = `${jsonPathText(plain)}\n`;
  return {
    ...plain,
    metadata: { ...plain.metadata, annotations: { ...annotations, [LAST_APPLIED]: text } },
  };
}

async function apply(op: LoadedApplyOperation, context: OperationContext): Promise<string[]> {
  const { client } = context;
  const objects = [...op.manifest.objects].sort((a, b) => applyRank(a) - applyRank(b));
  const lines: string[] = [];
  for (const object of objects) {
    context.signal?.throwIfAborted();
    const apiVersion = object.apiVersion ?? '';
    const kind = object.kind ?? '';
    const name = object.metadata.name ?? '';
    const type = await typeOf(client, apiVersion, kind);
    // As kubectl: a namespaced object without a namespace goes to the default one, and a
    // cluster-scoped object has none.
    const { namespace: given, ...meta } = object.metadata;
    const namespace = type.namespaced ? (given ?? 'default') : undefined;
    const body = withLastApplied({
      ...object,
      metadata: namespace !== undefined ? { ...meta, namespace } : meta,
    });
    const display = objectName(apiVersion, kind, name);
    context.onProgress?.(`applying ${display}`);
    const path = objectPath(type, namespace, name);
    const response = await client.request(
      'PATCH',
      `${path}?fieldManager=${FIELD_MANAGER}&force=true`,
      body,
      'application/apply-patch+yaml',
    );
    if (response.status === 415 || response.status === 405) {
      // A server without server-side apply: create, or replace what is there.
      lines.push(`${display} ${await createOrReplace(client, type, namespace, name, body)}`);
    } else if (!ok(response)) {
      throw apiError(response);
    } else {
      lines.push(`${display} ${response.status === 201 ? 'created' : 'configured'}`);
    }
  }
  return lines;
}

async function createOrReplace(
  client: KubeClient,
  type: TypeInfo,
  namespace: string | undefined,
  name: string,
  body: KubeObject,
): Promise<string> {
  const path = objectPath(type, namespace, name);
  const current = await client.request('GET', path);
  if (current.status === 404) {
    await client.call(
      'POST',
      `${collectionPath(type, namespace)}?fieldManager=${FIELD_MANAGER}`,
      body,
    );
    return 'created';
  }
  if (!ok(current)) throw apiError(current);
  const resourceVersion = (current.body as KubeObject).metadata.resourceVersion;
  await client.call('PUT', `${path}?fieldManager=${FIELD_MANAGER}`, {
    ...body,
    metadata: { ...body.metadata, resourceVersion },
  });
  return 'configured';
}

// -------------------------------------------------------------------------------------------
// patch, delete

async function patch(
  op: Extract<LabOperation, { op: 'patch' }>,
  context: OperationContext,
): Promise<string[]> {
  const display = displayRef(op.target);
  context.onProgress?.(`patching ${display}`);
  await context.client.call(
    'PATCH',
    `${await refPath(context.client, op.target)}?fieldManager=${FIELD_MANAGER}`,
    op.patch,
    PATCH_TYPES[op.type],
  );
  return [`${display} patched`];
}

const PROPAGATION = { background: 'Background', foreground: 'Foreground', orphan: 'Orphan' };

interface Victim {
  readonly path: string;
  readonly display: string;
  readonly deleted: string;
  readonly uid: string | undefined;
}

/** Every object a query selects, by path (the API server evaluates the selectors). */
async function queryVictims(client: KubeClient, query: ObjectQuery): Promise<Victim[]> {
  const type = await typeOf(client, query.apiVersion, query.kind);
  const params = new URLSearchParams();
  if (query.labelSelector !== undefined) params.set('labelSelector', query.labelSelector);
  if (query.fieldSelector !== undefined) params.set('fieldSelector', query.fieldSelector);
  const search = params.size ? `?${params.toString()}` : '';
  const list = (await client.call('GET', `${collectionPath(type, query.namespace)}${search}`)) as {
    items?: KubeObject[];
  };
  return (list.items ?? []).map((item) => {
    const name = item.metadata.name ?? '';
    return {
      path: objectPath(type, item.metadata.namespace, name),
      display: objectName(query.apiVersion, query.kind, name),
      deleted: `${kindName(query.apiVersion, query.kind)} "${name}" deleted`,
      uid: item.metadata.uid,
    };
  });
}

/**
 * kubectl delete: DELETE with the propagation policy kubectl sends (Background unless told),
 * then wait, as kubectl does by default, until each object is gone (finalizers done).
 */
async function remove(
  op: Extract<LabOperation, { op: 'delete' }>,
  context: OperationContext,
): Promise<string[]> {
  const { client } = context;
  const victims: Victim[] = op.target
    ? [
        {
          path: await refPath(client, op.target),
          display: displayRef(op.target),
          deleted: `${kindName(op.target.apiVersion, op.target.kind)} "${op.target.name}" deleted`,
          uid: undefined,
        },
      ]
    : op.query
      ? await queryVictims(client, op.query)
      : [];
  if (victims.length === 0) return ['No resources found'];
  // The options kubectl sends as a DeleteOptions body, as query parameters (the same meaning to
  // the API server): KubeClient cannot send a DELETE body, since Node sends it with neither a
  // Content-Length nor chunked encoding.
  const params = new URLSearchParams({
    propagationPolicy: PROPAGATION[op.cascade ?? 'background'],
    ...(op.gracePeriodSeconds !== undefined
      ? { gracePeriodSeconds: String(op.gracePeriodSeconds) }
      : {}),
  });
  const lines: string[] = [];
  const gone: Victim[] = [];
  for (const victim of victims) {
    context.signal?.throwIfAborted();
    context.onProgress?.(`deleting ${victim.display}`);
    const response = await client.request('DELETE', `${victim.path}?${params.toString()}`);
    // A selected object someone else deleted meanwhile is as good as deleted.
    if (response.status === 404 && !op.target) continue;
    if (!ok(response)) throw apiError(response);
    const uid = victim.uid ?? (response.body as KubeObject | undefined)?.metadata?.uid;
    gone.push({ ...victim, uid });
    lines.push(victim.deleted);
  }
  for (const victim of gone) await waitGone(victim, context);
  return lines;
}

async function waitGone(victim: Victim, context: OperationContext): Promise<void> {
  const clock = context.clock ?? realClock;
  const deadline = clock.now() + (context.deleteTimeoutMs ?? 120_000);
  for (;;) {
    const response = await context.client.request('GET', victim.path);
    if (response.status === 404) return;
    if (!ok(response)) throw apiError(response);
    const uid = (response.body as KubeObject).metadata.uid;
    if (victim.uid !== undefined && uid !== victim.uid) return;
    if (clock.now() >= deadline) {
      throw new LabOperationError(`timed out waiting for the condition on ${victim.display}`);
    }
    await pause(context.pollMs ?? 250, context);
  }
}

// -------------------------------------------------------------------------------------------
// label, taint, cordon

function nodeRef(name: string): ObjectRef {
  return { apiVersion: 'v1', kind: 'Node', name };
}

/**
 * kubectl label: the new labels as a JSON merge patch (kubectl's CreateMergePatch of the old
 * and new object comes to exactly that), refusing to change a value without `--overwrite`.
 */
async function label(
  op: Extract<LabOperation, { op: 'label' }>,
  context: OperationContext,
): Promise<string[]> {
  const { client } = context;
  const ref = op.target ?? nodeRef(op.node ?? '');
  const display = displayRef(ref);
  const path = await refPath(client, ref);
  const current = (await client.call('GET', path)) as KubeObject;
  const labels = current.metadata.labels ?? {};
  const adds = new Map<string, string>();
  const removes: string[] = [];
  for (const text of op.labels) {
    const change = parseLabelChange(text);
    if ('error' in change) throw new LabOperationError(change.error);
    if (change.remove) removes.push(change.key);
    else adds.set(change.key, change.value);
  }
  if (removes.some((key) => adds.has(key))) {
    throw new LabOperationError('can not both modify and remove a label in the same command');
  }
  if (!op.overwrite) {
    // kubectl's validateNoOverwrites: setting the value a label already has is fine.
    const clashes = [...adds]
      .filter(([key, value]) => labels[key] !== undefined && labels[key] !== value)
      .map(([key]) => `'${key}' already has a value (${labels[key]}), and --overwrite is false`);
    if (clashes.length) throw new LabOperationError(clashes.join(', '));
  }
  const lines = removes
    .filter((key) => labels[key] === undefined)
    .map((key) => `label "${key}" not found.`);
  const change: Record<string, string | null> = {};
  for (const [key, value] of adds) if (labels[key] !== value) change[key] = value;
  for (const key of removes) if (labels[key] !== undefined) change[key] = null;
  const changed = Object.values(change);
  if (changed.length === 0) return [...lines, `${display} not labeled`];
  context.onProgress?.(`labeling ${display}`);
  await client.call(
    'PATCH',
    `${path}?fieldManager=${FIELD_MANAGER}`,
    { metadata: { labels: change } },
    PATCH_TYPES.merge,
  );
  const labeled = changed.some((v) => v !== null);
  const unlabeled = changed.some((v) => v === null);
  return [
    ...lines,
    `${display} ${labeled && unlabeled ? 'labels changed' : labeled ? 'labeled' : 'unlabeled'}`,
  ];
}

interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: string;
  readonly timeAdded?: string;
}

/** `key=value:Effect`, `key:Effect` or `key`, as kubectl's Taint.ToString prints a taint. */
function taintText(taint: { key: string; value?: string | undefined; effect?: string }): string {
  const value = taint.value ? `=${taint.value}` : '';
  if (!taint.effect) return value ? `${taint.key}${value}:` : taint.key;
  return `${taint.key}${value}:${taint.effect}`;
}

/**
 * kubectl taint (k8s.io/kubectl/pkg/cmd/taint): refuse a taint of the same key and effect
 * without `--overwrite`, then `reorganizeTaints` — the new taints, then the old ones they do not
 * replace, then the removals (each must remove something) — sent as the node's new taint list.
 */
async function taint(
  op: Extract<LabOperation, { op: 'taint' }>,
  context: OperationContext,
): Promise<string[]> {
  const { client } = context;
  const ref = nodeRef(op.node);
  const display = displayRef(ref);
  const path = await refPath(client, ref);
  const node = (await client.call('GET', path)) as KubeObject;
  const spec = isPlainObject(node.spec) ? node.spec : {};
  const old: Taint[] = Array.isArray(spec.taints) ? (spec.taints as Taint[]) : [];
  const adds: Taint[] = [];
  const removes: Array<{ key: string; effect?: string }> = [];
  for (const text of op.taints) {
    const change = parseTaintChange(text);
    if ('error' in change) throw new LabOperationError(change.error);
    if (change.remove) {
      removes.push({ key: change.key, ...(change.effect ? { effect: change.effect } : {}) });
    } else {
      adds.push({
        key: change.key,
        ...(change.value ? { value: change.value } : {}),
        effect: change.effect,
      });
    }
  }
  const same = (a: Taint, b: { key: string; effect?: string }): boolean =>
    a.key === b.key && a.effect === b.effect;
  if (!op.overwrite) {
    const existing = adds.filter((add) => old.some((t) => same(t, add))).map((t) => t.key);
    if (existing.length) {
      throw new LabOperationError(
        `Node ${op.node} already has ${existing.join(',')} taint(s) with same effect(s) and --overwrite is false`,
      );
    }
  }
  const taints: Taint[] = [...adds];
  for (const t of old) if (!taints.some((n) => same(n, t))) taints.push(t);
  const added = old.length !== taints.length;
  let deleted = false;
  const missing: string[] = [];
  let result = taints;
  for (const removal of removes) {
    const kept = result.filter((t) => (removal.effect ? !same(t, removal) : t.key !== removal.key));
    deleted = kept.length !== result.length;
    if (!deleted) missing.push(`taint "${taintText(removal)}" not found`);
    result = kept;
  }
  if (missing.length) throw new LabOperationError(missing.join(', '));
  context.onProgress?.(`tainting ${display}`);
  await client.call(
    'PATCH',
    `${path}?fieldManager=${FIELD_MANAGER}`,
    { spec: { taints: result.length ? result : null } },
    PATCH_TYPES.strategic,
  );
  const word = (added && deleted) || op.overwrite ? 'modified' : added ? 'tainted' : 'untainted';
  return [`${display} ${word}`];
}

/** kubectl cordon / uncordon: spec.unschedulable, left alone when it already is as asked. */
async function cordon(name: string, on: boolean, context: OperationContext): Promise<string[]> {
  const ref = nodeRef(name);
  const display = displayRef(ref);
  const path = await refPath(context.client, ref);
  const node = (await context.client.call('GET', path)) as KubeObject;
  const current = isPlainObject(node.spec) && node.spec.unschedulable === true;
  if (current === on) return [`${display} already ${on ? 'cordoned' : 'uncordoned'}`];
  context.onProgress?.(`${on ? 'cordoning' : 'uncordoning'} ${display}`);
  await context.client.call(
    'PATCH',
    `${path}?fieldManager=${FIELD_MANAGER}`,
    { spec: { unschedulable: on ? true : null } },
    PATCH_TYPES.strategic,
  );
  return [`${display} ${on ? 'cordoned' : 'uncordoned'}`];
}

// -------------------------------------------------------------------------------------------
// Nodes and the clock (the simulator API)

type SimulatorOperation = Extract<
  LabOperation,
  { op: 'nodeAdd' | 'nodeRemove' | 'nodeStop' | 'nodeStart' | 'advanceClock' }
>;

const SIMULATOR_VERBS: Record<SimulatorOperation['op'], string> = {
  nodeAdd: 'add a node',
  nodeRemove: 'remove a node',
  nodeStop: "stop a node's kubelet",
  nodeStart: "start a node's kubelet",
  advanceClock: 'advance the cluster clock',
};

async function simulatorOperation(
  op: SimulatorOperation,
  context: OperationContext,
): Promise<string[]> {
  const { client } = context;
  if (context.backend !== 'embedded') {
    const backends = context.labBackends?.filter((b) => b !== 'context') ?? ['embedded'];
    throw new LabOperationError(
      `this lab needs ${backends.length > 1 ? `one of the ${backends.join(' or ')} backends` : `the ${backends[0] ?? 'embedded'} backend`} to ${SIMULATOR_VERBS[op.op]} (${op.op}); Kubelab can do that only on an embedded cluster, and this is a ${context.backend} cluster`,
    );
  }
  switch (op.op) {
    case 'nodeAdd': {
      const name = nodeNameFor(op.role, context.roles);
      context.onProgress?.(`adding node/${name}`);
      const taints = simulator.parseTaints((op.taints ?? []).join(','));
      await simulator.addNode(client, { name, labels: op.labels ?? {}, taints });
      context.roles[op.role] = name;
      return [`node/${name} added`];
    }
    case 'nodeRemove':
      context.onProgress?.(`removing node/${op.node}`);
      await simulator.removeNode(client, op.node);
      for (const [role, name] of Object.entries(context.roles)) {
        if (name === op.node) delete context.roles[role];
      }
      return [`node/${op.node} removed`];
    case 'nodeStop':
    case 'nodeStart': {
      const stop = op.op === 'nodeStop';
      context.onProgress?.(`${stop ? 'stopping' : 'starting'} node/${op.node}`);
      await simulator.setKubelet(client, op.node, stop ? 'Stopped' : 'Running');
      return [`node/${op.node} ${stop ? 'stopped' : 'started'}`];
    }
    case 'advanceClock': {
      context.onProgress?.(`advancing the cluster clock by ${op.duration}`);
      const total = await simulator.advanceClock(client, op.duration);
      return [`cluster advanced by ${op.duration} (${total}s in all)`];
    }
  }
}

// -------------------------------------------------------------------------------------------
// rollout undo (k8s.io/kubectl/pkg/polymorphichelpers/rollback.go)

type UndoOperation = Extract<LabOperation, { op: 'rolloutUndo' }>;

const REVISION = 'deployment.kubernetes.io/revision';
const HASH_LABEL = 'pod-template-hash';

/** Annotations a rollback keeps from the Deployment rather than taking from the ReplicaSet. */
const ANNOTATIONS_TO_SKIP = new Set([
  LAST_APPLIED,
  REVISION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

function isControlledBy(object: KubeObject, owner: KubeObject): boolean {
  return (object.metadata.ownerReferences ?? []).some(
    (ref) => ref.controller === true && ref.uid === owner.metadata.uid,
  );
}

function specOf(object: KubeObject): Record<string, unknown> {
  return isPlainObject(object.spec) ? object.spec : {};
}

function withoutHash(template: unknown): unknown {
  if (!isPlainObject(template) || !isPlainObject(template.metadata)) return template;
  const labels = isPlainObject(template.metadata.labels) ? { ...template.metadata.labels } : {};
  delete labels[HASH_LABEL];
  return { ...template, metadata: { ...template.metadata, labels } };
}

/** Objects of a namespace whose labels match a workload's selector (matchLabels only needed). */
async function listControlled(
  client: KubeClient,
  path: string,
  owner: KubeObject,
): Promise<KubeObject[]> {
  const list = (await client.call('GET', path)) as { items?: KubeObject[] };
  return (list.items ?? []).filter((item) => isControlledBy(item, owner));
}

/**
 * kubectl rollout undo deployment: the ReplicaSet of the wanted revision (default: the one
 * before the newest), its template without the pod-template-hash label and its annotations put
 * back into the Deployment with one JSON patch; skipped when the template already matches.
 */
async function undoDeployment(op: UndoOperation, context: OperationContext): Promise<string[]> {
  const { client } = context;
  const ns = encodeURIComponent(op.namespace);
  const display = objectName('apps/v1', 'Deployment', op.name);
  const path = `/apis/apps/v1/namespaces/${ns}/deployments/${encodeURIComponent(op.name)}`;
  const deployment = (await client.call('GET', path)) as KubeObject;
  if (specOf(deployment).paused === true) {
    throw new LabOperationError(
      "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again",
    );
  }
  const replicaSets = await listControlled(
    client,
    `/apis/apps/v1/namespaces/${ns}/replicasets`,
    deployment,
  );
  const toRevision = op.toRevision ?? 0;
  let wanted: KubeObject | undefined;
  let latest: { rs?: KubeObject; revision: number } = { revision: -1 };
  let previous: { rs?: KubeObject; revision: number } = { revision: -1 };
  for (const rs of replicaSets) {
    const text = rs.metadata.annotations?.[REVISION];
    if (text === undefined || !/^\d+$/.test(text)) continue;
    const revision = Number(text);
    if (toRevision === 0) {
      if (latest.revision < revision) {
        previous = latest;
        latest = { rs, revision };
      } else if (previous.revision < revision) {
        previous = { rs, revision };
      }
    } else if (toRevision === revision) {
      wanted = rs;
      break;
    }
  }
  if (toRevision > 0 && !wanted) {
    throw new LabOperationError(`unable to find specified revision ${toRevision} in history`);
  }
  if (toRevision === 0) {
    if (!previous.rs) {
      throw new LabOperationError(`no rollout history found for deployment "${op.name}"`);
    }
    wanted = previous.rs;
  }
  const template = specOf(wanted!).template;
  const revision = wanted!.metadata.annotations?.[REVISION] ?? String(toRevision);
  if (deepEqual(withoutHash(template), withoutHash(specOf(deployment).template))) {
    return [`${display} skipped rollback (current template already matches revision ${revision})`];
  }
  const annotations: Record<string, string> = {};
  for (const [key, value] of Object.entries(deployment.metadata.annotations ?? {})) {
    if (ANNOTATIONS_TO_SKIP.has(key)) annotations[key] = value;
  }
  for (const [key, value] of Object.entries(wanted!.metadata.annotations ?? {})) {
    if (!ANNOTATIONS_TO_SKIP.has(key)) annotations[key] = value;
  }
  context.onProgress?.(`rolling back ${display} to revision ${revision}`);
  await client.call(
    'PATCH',
    `${path}?fieldManager=${FIELD_MANAGER}`,
    [
      { op: 'replace', path: '/spec/template', value: withoutHash(template) },
      { op: 'replace', path: '/metadata/annotations', value: annotations },
    ],
    PATCH_TYPES.json,
  );
  return [`${display} rolled back`];
}

/**
 * kubectl rollout undo daemonset: the ControllerRevision of the wanted revision (default: the
 * second newest), whose `data` is a strategic merge patch of the template, patched back in;
 * skipped when the current template already equals it.
 */
async function undoDaemonSet(op: UndoOperation, context: OperationContext): Promise<string[]> {
  const { client } = context;
  const ns = encodeURIComponent(op.namespace);
  const display = objectName('apps/v1', 'DaemonSet', op.name);
  const path = `/apis/apps/v1/namespaces/${ns}/daemonsets/${encodeURIComponent(op.name)}`;
  const daemonSet = (await client.call('GET', path)) as KubeObject;
  const history = (
    await listControlled(client, `/apis/apps/v1/namespaces/${ns}/controllerrevisions`, daemonSet)
  ).sort((a, b) => Number(a.revision) - Number(b.revision));
  const toRevision = op.toRevision ?? 0;
  if (toRevision === 0 && history.length <= 1) {
    throw new LabOperationError('no last revision to roll back to');
  }
  const target =
    toRevision === 0 ? history[history.length - 2] : history.find((h) => h.revision === toRevision);
  if (!target) {
    throw new LabOperationError(`unable to find specified revision ${toRevision} in history`);
  }
  const data = isPlainObject(target.data) ? target.data : {};
  const saved = isPlainObject(data.spec) ? data.spec.template : undefined;
  const { $patch: _replace, ...savedTemplate } = isPlainObject(saved) ? saved : {};
  const revision = String(target.revision);
  if (deepEqual(savedTemplate, specOf(daemonSet).template)) {
    return [`${display} skipped rollback (current template already matches revision ${revision})`];
  }
  context.onProgress?.(`rolling back ${display} to revision ${revision}`);
  await client.call('PATCH', `${path}?fieldManager=${FIELD_MANAGER}`, data, PATCH_TYPES.strategic);
  return [`${display} rolled back`];
}

// -------------------------------------------------------------------------------------------
// wait

type WaitOperation = Extract<LabOperation, { op: 'wait' }>;

function durationMs(text: string): number {
  const parsed = parseGoDuration(text);
  return 'ms' in parsed ? parsed.ms : 60_000;
}

/**
 * Polls until the condition holds or the timeout passes: a field's value (compared as kubectl
 * prints it), or how many objects a query matches (0: until they are gone).
 */
async function wait(op: WaitOperation, context: OperationContext): Promise<string[]> {
  const clock = context.clock ?? realClock;
  const deadline = clock.now() + durationMs(op.timeout);
  const { client } = context;
  let check: () => Promise<boolean>;
  let subject: string;
  if (op.target && op.path !== undefined && op.equals !== undefined) {
    const target = op.target;
    const path = await refPath(client, target);
    const { path: field, equals } = op;
    subject = `${displayRef(target)}`;
    context.onProgress?.(`waiting for ${subject} ${field} to be ${jsonPathText(equals)}`);
    check = async () => {
      const response = await client.request('GET', path);
      if (response.status === 404) return false;
      if (!ok(response)) throw apiError(response);
      return fieldEquals(readField(field, response.body), equals);
    };
  } else if (op.query && op.count !== undefined) {
    const { query, count } = op;
    subject = `${kindName(query.apiVersion, query.kind)} objects`;
    context.onProgress?.(
      `waiting for ${count} ${subject}${query.labelSelector ? ` matching ${query.labelSelector}` : ''}${query.namespace ? ` in ${query.namespace}` : ''}`,
    );
    check = async () => (await queryVictims(client, query)).length === count;
  } else {
    throw new LabOperationError('wait needs target, path and equals, or query and count');
  }
  for (;;) {
    if (await check()) return [`${subject} condition met`];
    if (clock.now() >= deadline) {
      throw new LabOperationError(`timed out waiting for the condition on ${subject}`);
    }
    await pause(context.pollMs ?? 250, context);
  }
}

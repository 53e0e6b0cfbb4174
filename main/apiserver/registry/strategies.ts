/**
 * Per-kind storage behaviour, after the strategies of pkg/registry/<group>/<kind>/strategy.go:
 * which part is status, who bumps `metadata.generation`, what create resets, how pods delete
 * gracefully, and which fields `?fieldSelector=` can use.
 */
import { deepEqual, isPlainObject, type KubeObject } from '../../kube/objects';
import type { ResourceType } from '../../kube/resources';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});

export interface Strategy {
  /** The kind has a status subresource: main writes keep status, status writes keep spec. */
  readonly statusSubresource: boolean;
  /** Sets generation 1 on create and bumps it when the spec changes. */
  readonly generation: 'none' | 'spec' | 'spec-or-annotations';
  /** Pods: delete with a grace period unless unscheduled or finished. */
  readonly graceful: boolean;
  /** The DELETE answer is the deleted object rather than a Status (pods, service accounts). */
  readonly returnDeletedObject: boolean;
  /** PUT may create a missing object (upstream AllowCreateOnUpdate). */
  readonly allowCreateOnUpdate: boolean;
  /** PUT without a resourceVersion is allowed (AllowUnconditionalUpdate). */
  readonly allowUnconditionalUpdate: boolean;
  /** Adjusts a new object before validation (PrepareForCreate). */
  prepareForCreate(object: Obj): void;
  /** Adjusts an update of the main resource (PrepareForUpdate). */
  prepareForUpdate(object: Obj, old: Obj): void;
  /** Adjusts a status update (the status strategy's PrepareForUpdate). */
  prepareForStatusUpdate(object: Obj, old: Obj): void;
  /** The fields a field selector can match, besides metadata.name and metadata.namespace. */
  selectableFields(object: Obj): Record<string, string>;
}

/** Computes a pod's QoS class (pkg/apis/core/helper/qos ComputePodQOS). */
export function podQosClass(spec: Obj): 'BestEffort' | 'Burstable' | 'Guaranteed' {
  const containers = [
    ...((spec.containers as unknown[]) ?? []),
    ...((spec.initContainers as unknown[]) ?? []),
  ].map(obj);
  const requests = new Map<string, string>();
  const limits = new Map<string, string>();
  let everyContainerLimited = true;
  for (const container of containers) {
    const resources = obj(container.resources);
    const req = obj(resources.requests);
    const lim = obj(resources.limits);
    for (const name of ['cpu', 'memory']) {
      if (isPositiveQuantity(req[name]))
        requests.set(name, `${requests.get(name) ?? ''}+${String(req[name])}`);
      if (isPositiveQuantity(lim[name]))
        limits.set(name, `${limits.get(name) ?? ''}+${String(lim[name])}`);
    }
    if (!isPositiveQuantity(lim.cpu) || !isPositiveQuantity(lim.memory))
      everyContainerLimited = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (everyContainerLimited && requests.size === limits.size) {
    let equal = true;
    for (const [name, value] of requests) if (limits.get(name) !== value) equal = false;
    if (equal) return 'Guaranteed';
  }
  return 'Burstable';
}

function isPositiveQuantity(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  const number = parseFloat(String(value));
  return Number.isFinite(number) ? number > 0 : true;
}

const base: Strategy = {
  statusSubresource: false,
  generation: 'none',
  graceful: false,
  returnDeletedObject: false,
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
  prepareForCreate: () => undefined,
  prepareForUpdate: () => undefined,
  prepareForStatusUpdate: () => undefined,
  selectableFields: () => ({}),
};

function withStatus(overrides: Partial<Strategy>, createStatus: () => Obj = () => ({})): Strategy {
  return {
    ...base,
    statusSubresource: true,
    prepareForCreate: (o) => {
      o.status = createStatus();
    },
    prepareForUpdate: (o, old) => {
      if (old.status === undefined) delete o.status;
      else o.status = old.status;
    },
    prepareForStatusUpdate: (o, old) => {
      if (old.spec === undefined) delete o.spec;
      else o.spec = old.spec;
    },
    ...overrides,
  };
}

/** Apps workloads: status {} on create, generation tracking, selectors immutable. */
function workload(generation: Strategy['generation']): Strategy {
  return withStatus({
    generation,
    allowUnconditionalUpdate: false,
    selectableFields: () => ({}),
  });
}

const podStrategy: Strategy = withStatus({
  graceful: true,
  returnDeletedObject: true,
  prepareForCreate: (o) => {
    const spec = obj(o.spec);
    const previous = obj(o.status);
    o.status = {
      phase: 'Pending',
      qosClass:
        typeof previous.qosClass === 'string' && previous.qosClass
          ? previous.qosClass
          : podQosClass(spec),
    };
  },
  prepareForStatusUpdate: (o, old) => {
    o.spec = old.spec;
    const metadata = obj(o.metadata);
    const oldMetadata = obj(old.metadata);
    if (oldMetadata.deletionTimestamp === undefined) delete metadata.deletionTimestamp;
    else metadata.deletionTimestamp = oldMetadata.deletionTimestamp;
    if (oldMetadata.ownerReferences === undefined) delete metadata.ownerReferences;
    else metadata.ownerReferences = oldMetadata.ownerReferences;
    const status = obj(o.status);
    if (!status.qosClass && obj(old.status).qosClass) status.qosClass = obj(old.status).qosClass;
  },
  selectableFields: (o) => {
    const spec = obj(o.spec);
    const status = obj(o.status);
    return {
      'spec.nodeName': String(spec.nodeName ?? ''),
      'spec.restartPolicy': String(spec.restartPolicy ?? ''),
      'spec.schedulerName': String(spec.schedulerName ?? ''),
      'spec.serviceAccountName': String(spec.serviceAccountName ?? ''),
      'spec.hostNetwork': String(spec.hostNetwork === true),
      'status.phase': String(status.phase ?? ''),
      'status.podIP': String(status.podIP ?? ''),
      'status.nominatedNodeName': String(status.nominatedNodeName ?? ''),
    };
  },
});

const namespaceStrategy: Strategy = withStatus({
  prepareForCreate: (o) => {
    o.status = { phase: 'Active' };
    const spec = obj(o.spec);
    const finalizers = Array.isArray(spec.finalizers) ? (spec.finalizers as string[]) : [];
    if (!finalizers.includes('kubernetes')) spec.finalizers = [...finalizers, 'kubernetes'];
    o.spec = spec;
  },
  prepareForUpdate: (o, old) => {
    o.status = old.status;
    o.spec = { ...obj(o.spec), finalizers: obj(old.spec).finalizers };
    if (obj(old.spec).finalizers === undefined) delete obj(o.spec).finalizers;
  },
  selectableFields: (o) => ({ 'status.phase': String(obj(o.status).phase ?? '') }),
});

const nodeStrategy: Strategy = withStatus({
  // "Nodes allow *all* fields, including status, to be set on create."
  prepareForCreate: () => undefined,
  selectableFields: (o) => ({ 'spec.unschedulable': String(obj(o.spec).unschedulable === true) }),
});

const serviceStrategy: Strategy = withStatus({}, () => ({ loadBalancer: {} }));

const eventFields = (o: Obj): Record<string, string> => {
  const involved = obj(o.involvedObject ?? o.regarding);
  const source = obj(o.source);
  return {
    'involvedObject.kind': String(involved.kind ?? ''),
    'involvedObject.namespace': String(involved.namespace ?? ''),
    'involvedObject.name': String(involved.name ?? ''),
    'involvedObject.uid': String(involved.uid ?? ''),
    'involvedObject.apiVersion': String(involved.apiVersion ?? ''),
    'involvedObject.resourceVersion': String(involved.resourceVersion ?? ''),
    'involvedObject.fieldPath': String(involved.fieldPath ?? ''),
    reason: String(o.reason ?? ''),
    reportingComponent: String(o.reportingComponent ?? o.reportingController ?? ''),
    source: String(source.component ?? ''),
    type: String(o.type ?? ''),
  };
};

/** The DaemonSet's internal `spec.templateGeneration`, exposed in apps/v1 only as this annotation. */
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

function templateGenerationOf(o: Obj): number {
  const value = Number(obj(obj(o.metadata).annotations)[TEMPLATE_GENERATION_ANNOTATION]);
  return Number.isInteger(value) && value > 0 ? value : 0;
}

function setTemplateGeneration(o: Obj, generation: number): void {
  const metadata = obj(o.metadata);
  metadata.annotations = {
    ...obj(metadata.annotations),
    [TEMPLATE_GENERATION_ANNOTATION]: String(generation),
  };
  o.metadata = metadata;
}

const daemonSetBase = workload('spec');
const daemonSetStrategy: Strategy = {
  ...daemonSetBase,
  // daemonSetStrategy.PrepareForCreate/PrepareForUpdate: templateGeneration starts at 1 and goes up
  // by one whenever spec.template changes.
  prepareForCreate: (o) => {
    daemonSetBase.prepareForCreate(o);
    setTemplateGeneration(o, Math.max(1, templateGenerationOf(o)));
  },
  prepareForUpdate: (o, old) => {
    daemonSetBase.prepareForUpdate(o, old);
    const previous = Math.max(1, templateGenerationOf(old));
    const changed = !deepEqual(obj(o.spec).template, obj(old.spec).template);
    setTemplateGeneration(o, changed ? previous + 1 : previous);
  },
};

const STRATEGIES: Readonly<Record<string, Strategy>> = {
  '/pods': podStrategy,
  '/namespaces': namespaceStrategy,
  '/nodes': nodeStrategy,
  '/services': serviceStrategy,
  '/serviceaccounts': { ...base, returnDeletedObject: true },
  '/endpoints': { ...base, allowCreateOnUpdate: true },
  '/events': { ...base, allowCreateOnUpdate: true, selectableFields: eventFields },
  'events.k8s.io/events': { ...base, allowCreateOnUpdate: true, selectableFields: eventFields },
  '/secrets': { ...base, selectableFields: (o) => ({ type: String(o.type ?? '') }) },
  'apps/deployments': workload('spec-or-annotations'),
  'apps/replicasets': {
    ...workload('spec'),
    selectableFields: (o) => ({ 'status.replicas': String(obj(o.status).replicas ?? 0) }),
  },
  'apps/daemonsets': daemonSetStrategy,
  'policy/poddisruptionbudgets': withStatus({ generation: 'spec' }),
  'coordination.k8s.io/leases': { ...base, allowCreateOnUpdate: true },
  'kubelab.dev/clocks': withStatus({ generation: 'spec' }),
  'kubelab.dev/kubelets': withStatus({ generation: 'spec' }),
  // A Snapshot's status is the server's record of what it saved: written through an internal
  // status update (the resource serves no status subresource), never by clients.
  'kubelab.dev/snapshots': withStatus({}),
};

export function strategyFor(type: ResourceType): Strategy {
  return STRATEGIES[`${type.group}/${type.plural}`] ?? base;
}

/** Applies the generation rule of a main-resource update (PrepareForUpdate). */
export function nextGeneration(
  strategy: Strategy,
  object: KubeObject,
  old: KubeObject,
): number | undefined {
  if (strategy.generation === 'none') return undefined;
  const current = old.metadata.generation ?? 1;
  const specChanged = !deepEqual((object as Obj).spec, (old as Obj).spec);
  const annotationsChanged =
    strategy.generation === 'spec-or-annotations' &&
    !deepEqual(object.metadata.annotations ?? {}, old.metadata.annotations ?? {});
  return specChanged || annotationsChanged ? current + 1 : current;
}

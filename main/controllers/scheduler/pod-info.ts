/**
 * What the scheduler precomputes about a pod and holds about a node, after
 * pkg/scheduler/framework/types.go (`PodInfo`, `NodeInfo`, `Resource`, `HostPortInfo`,
 * `AffinityTerm`) and k8s.io/component-helpers/resource `PodRequests`.
 */
import { isPlainObject, type KubeObject } from '../../kube/objects';
import {
  labelSelectorAsSelector,
  nothing,
  type LabelSelector,
  type Selector,
} from '../../kube/labels';
import { taintsOf, tolerationsOf, type Taint, type Toleration } from '../../kube/scheduling';
import { keyOf } from '../runtime/informer';
import { quantityMilliValue, quantityValue } from './quantity';

type Obj = Record<string, unknown>;
export const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});
export const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);

/** `schedutil.DefaultMilliCPURequest`, `DefaultMemoryRequest`: what scoring assumes of a container without requests. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

// -------------------------------------------------------------------------------------------
// Resources

/** `framework.Resource`: CPU in millicores, the rest in units; scalar resources by name. */
export interface Resource {
  milliCpu: number;
  memory: number;
  ephemeralStorage: number;
  allowedPodNumber: number;
  readonly scalars: Map<string, number>;
}

export function emptyResource(): Resource {
  return { milliCpu: 0, memory: 0, ephemeralStorage: 0, allowedPodNumber: 0, scalars: new Map() };
}

/**
 * `schedutil.IsScalarResourceName`: extended resources (`example.com/gpu`), hugepages,
 * `kubernetes.io/`-prefixed native resources and attachable volumes.
 */
export function isScalarResourceName(name: string): boolean {
  if (name.startsWith('hugepages-') || name.startsWith('attachable-volumes-')) return true;
  if (name.includes('kubernetes.io/')) return true;
  return name.includes('/') && !name.startsWith('requests.');
}

/** A resource list in the scheduler's units: `cpu` in millicores, everything else in units. */
type ResourceList = Map<string, number>;

function parseResourceList(value: unknown): ResourceList {
  const out: ResourceList = new Map();
  for (const [name, quantity] of Object.entries(obj(value))) {
    out.set(name, name === 'cpu' ? quantityMilliValue(quantity) : quantityValue(quantity));
  }
  return out;
}

/** `Resource.Add(ResourceList)`: known names and scalar resources; others are ignored. */
export function resourceFromList(resources: ResourceList): Resource {
  const r = emptyResource();
  for (const [name, value] of resources) {
    switch (name) {
      case 'cpu':
        r.milliCpu += value;
        break;
      case 'memory':
        r.memory += value;
        break;
      case 'pods':
        r.allowedPodNumber += value;
        break;
      case 'ephemeral-storage':
        r.ephemeralStorage += value;
        break;
      default:
        if (isScalarResourceName(name)) r.scalars.set(name, (r.scalars.get(name) ?? 0) + value);
    }
  }
  return r;
}

/** A node's `status.allocatable` as a Resource (`NodeInfo.SetNode`). */
export function allocatableOf(node: KubeObject): Resource {
  return resourceFromList(parseResourceList(obj(node.status).allocatable));
}

function addInto(target: ResourceList, add: ResourceList): void {
  for (const [name, value] of add) target.set(name, (target.get(name) ?? 0) + value);
}

function maxInto(target: ResourceList, other: ResourceList): void {
  for (const [name, value] of other) {
    if (value > (target.get(name) ?? 0)) target.set(name, value);
  }
}

/**
 * `resourcehelper.PodRequests` (1.30, in-place resize off): the sum of the containers' requests,
 * raised to the largest init container's (counting the restartable sidecars started before it,
 * whose requests also add to the total), plus `spec.overhead`. With `nonMissing`, a container
 * without a cpu or memory request counts as requesting the default (`NonMissingContainerRequests`,
 * used for scoring: 100m and 200Mi).
 */
export function podRequests(spec: Obj, nonMissing?: ResourceList): ResourceList {
  const containerRequests = (container: Obj): ResourceList => {
    const requests = parseResourceList(obj(container.resources).requests);
    if (nonMissing) {
      for (const [name, value] of nonMissing) {
        if (!requests.has(name)) requests.set(name, value);
      }
    }
    return requests;
  };
  const total: ResourceList = new Map();
  for (const container of list(spec.containers)) addInto(total, containerRequests(container));
  const restartable: ResourceList = new Map();
  const initMax: ResourceList = new Map();
  for (const container of list(spec.initContainers)) {
    let requests = containerRequests(container);
    if (container.restartPolicy === 'Always') {
      addInto(total, requests);
      addInto(restartable, requests);
      requests = new Map(restartable);
    } else {
      const sum: ResourceList = new Map();
      addInto(sum, requests);
      addInto(sum, restartable);
      requests = sum;
    }
    maxInto(initMax, requests);
  }
  maxInto(total, initMax);
  if (isPlainObject(spec.overhead)) addInto(total, parseResourceList(spec.overhead));
  return total;
}

const NON_MISSING: ResourceList = new Map([
  ['cpu', DEFAULT_MILLI_CPU_REQUEST],
  ['memory', DEFAULT_MEMORY_REQUEST],
]);

// -------------------------------------------------------------------------------------------
// Pod affinity terms

/** `framework.AffinityTerm`: a compiled PodAffinityTerm. */
export interface AffinityTerm {
  readonly namespaces: Set<string>;
  namespaceSelector: Selector;
  readonly selector: Selector;
  readonly topologyKey: string;
}

export interface WeightedAffinityTerm {
  readonly term: AffinityTerm;
  readonly weight: number;
}

function compileSelector(value: unknown): Selector {
  if (!isPlainObject(value)) return nothing;
  try {
    return labelSelectorAsSelector(value as LabelSelector);
  } catch {
    // Upstream: a term whose selector does not parse makes NewPodInfo fail; the term is dropped.
    return nothing;
  }
}

/** `newAffinityTerm`: no namespaces and no namespaceSelector means the pod's own namespace. */
function affinityTerm(namespace: string, term: Obj): AffinityTerm {
  const names = Array.isArray(term.namespaces) ? (term.namespaces as string[]) : [];
  const namespaces =
    names.length === 0 && !isPlainObject(term.namespaceSelector)
      ? new Set([namespace])
      : new Set(names);
  return {
    namespaces,
    namespaceSelector: compileSelector(term.namespaceSelector),
    selector: compileSelector(term.labelSelector),
    topologyKey: typeof term.topologyKey === 'string' ? term.topologyKey : '',
  };
}

/** `AffinityTerm.Matches(pod, nsLabels)`. */
export function termMatches(
  term: AffinityTerm,
  pod: PodInfo,
  namespaceLabels: Readonly<Record<string, string>> | undefined,
): boolean {
  if (term.namespaces.has(pod.namespace) || term.namespaceSelector.matches(namespaceLabels)) {
    return term.selector.matches(pod.labels);
  }
  return false;
}

// -------------------------------------------------------------------------------------------
// Pods

export interface HostPort {
  readonly ip: string;
  readonly protocol: string;
  readonly port: number;
}

/** `framework.PodInfo` plus the per-pod numbers the cache and the plugins need. */
export interface PodInfo {
  readonly pod: KubeObject;
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly priority: number;
  readonly deleting: boolean;
  readonly spec: Obj;
  readonly tolerations: readonly Toleration[];
  /** PodRequests without defaults (NodeResourcesFit's filter, `NodeInfo.Requested`). */
  readonly requests: Resource;
  /** PodRequests with the 100m/200Mi defaults (`NodeInfo.NonZeroRequested`, scoring). */
  readonly nonZeroMilliCpu: number;
  readonly nonZeroMemory: number;
  /** Container host ports (`hostPort > 0`). */
  readonly hostPorts: readonly HostPort[];
  readonly requiredAffinityTerms: AffinityTerm[];
  readonly requiredAntiAffinityTerms: AffinityTerm[];
  readonly preferredAffinityTerms: WeightedAffinityTerm[];
  readonly preferredAntiAffinityTerms: WeightedAffinityTerm[];
  /** `podWithAffinity`: has podAffinity or podAntiAffinity. */
  readonly hasAffinity: boolean;
  /** `podWithRequiredAntiAffinity`. */
  readonly hasRequiredAntiAffinity: boolean;
}

/** `corev1helpers.PodPriority`. */
export function podPriority(pod: KubeObject): number {
  const priority = obj(pod.spec).priority;
  return typeof priority === 'number' ? priority : 0;
}

/** `getContainerPorts`: the ports of the pod's containers with a host port. */
function hostPortsOf(spec: Obj): HostPort[] {
  const ports: HostPort[] = [];
  for (const container of list(spec.containers)) {
    for (const port of list(container.ports)) {
      const hostPort = typeof port.hostPort === 'number' ? port.hostPort : 0;
      if (hostPort <= 0) continue;
      ports.push({
        ip: typeof port.hostIP === 'string' ? port.hostIP : '',
        protocol: typeof port.protocol === 'string' ? port.protocol : '',
        port: hostPort,
      });
    }
  }
  return ports;
}

/** `framework.NewPodInfo` and `calculateResource`. */
export function newPodInfo(pod: KubeObject): PodInfo {
  const spec = obj(pod.spec);
  const namespace = pod.metadata.namespace ?? '';
  const affinity = obj(spec.affinity);
  const podAffinity = obj(affinity.podAffinity);
  const podAntiAffinity = obj(affinity.podAntiAffinity);
  const required = (v: unknown): AffinityTerm[] =>
    list(v).map((term) => affinityTerm(namespace, term));
  const preferred = (v: unknown): WeightedAffinityTerm[] =>
    list(v).map((weighted) => ({
      term: affinityTerm(namespace, obj(weighted.podAffinityTerm)),
      weight: typeof weighted.weight === 'number' ? weighted.weight : 0,
    }));
  const nonZero = podRequests(spec, NON_MISSING);
  const requiredAnti = required(podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution);
  return {
    pod,
    key: keyOf(pod),
    namespace,
    name: pod.metadata.name ?? '',
    labels: pod.metadata.labels ?? {},
    priority: podPriority(pod),
    deleting: pod.metadata.deletionTimestamp !== undefined,
    spec,
    tolerations: tolerationsOf(pod),
    requests: resourceFromList(podRequests(spec)),
    nonZeroMilliCpu: nonZero.get('cpu') ?? 0,
    nonZeroMemory: nonZero.get('memory') ?? 0,
    hostPorts: hostPortsOf(spec),
    requiredAffinityTerms: required(podAffinity.requiredDuringSchedulingIgnoredDuringExecution),
    requiredAntiAffinityTerms: requiredAnti,
    preferredAffinityTerms: preferred(podAffinity.preferredDuringSchedulingIgnoredDuringExecution),
    preferredAntiAffinityTerms: preferred(
      podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution,
    ),
    hasAffinity: isPlainObject(affinity.podAffinity) || isPlainObject(affinity.podAntiAffinity),
    hasRequiredAntiAffinity: requiredAnti.length > 0,
  };
}

/** The pod's requests of one resource for scoring (`calculatePodResourceRequest`). */
export function podScoringRequest(
  info: PodInfo,
  resource: 'cpu' | 'memory',
  useRequested: boolean,
): number {
  if (useRequested) return resource === 'cpu' ? info.requests.milliCpu : info.requests.memory;
  return resource === 'cpu' ? info.nonZeroMilliCpu : info.nonZeroMemory;
}

// -------------------------------------------------------------------------------------------
// Nodes

/** `HostPortInfo`: ip → set of `protocol/port`. */
export type HostPortInfo = Map<string, Set<string>>;

const BIND_ALL = '0.0.0.0';

function sanitizePort(port: HostPort): { ip: string; pp: string } {
  return { ip: port.ip || BIND_ALL, pp: `${port.protocol || 'TCP'}/${port.port}` };
}

/** `HostPortInfo.CheckConflict`: 0.0.0.0 conflicts with every IP, and every IP with 0.0.0.0. */
export function portConflicts(used: HostPortInfo, port: HostPort): boolean {
  if (port.port <= 0) return false;
  const { ip, pp } = sanitizePort(port);
  if (ip === BIND_ALL) {
    for (const set of used.values()) if (set.has(pp)) return true;
    return false;
  }
  return (used.get(BIND_ALL)?.has(pp) ?? false) || (used.get(ip)?.has(pp) ?? false);
}

/**
 * `framework.NodeInfo`: a node and the pods the scheduler counts on it — bound pods and the pods
 * it has just assumed there — with their summed requests and used host ports. `node` is
 * undefined while pods name a node the cache has not seen (upstream keeps such an entry too).
 */
export class NodeInfo {
  node: KubeObject | undefined;
  labels: Readonly<Record<string, string>> = {};
  taints: readonly Taint[] = [];
  unschedulable = false;
  allocatable: Resource = emptyResource();
  /** `status.images`: normalized name → size in bytes. */
  images = new Map<string, number>();
  readonly pods = new Map<string, PodInfo>();
  readonly requested: Resource = emptyResource();
  nonZeroMilliCpu = 0;
  nonZeroMemory = 0;
  readonly usedPorts: HostPortInfo = new Map();
  podsWithAffinity = 0;
  podsWithRequiredAntiAffinity = 0;

  constructor(readonly name: string) {}

  setNode(node: KubeObject): void {
    this.node = node;
    this.labels = node.metadata.labels ?? {};
    this.taints = taintsOf(node);
    this.unschedulable = obj(node.spec).unschedulable === true;
    this.allocatable = allocatableOf(node);
    this.images = new Map();
    for (const image of list(obj(node.status).images)) {
      const size = typeof image.sizeBytes === 'number' ? image.sizeBytes : 0;
      const names = Array.isArray(image.names) ? (image.names as unknown[]) : [];
      for (const name of names) if (typeof name === 'string') this.images.set(name, size);
    }
  }

  addPod(info: PodInfo): void {
    const previous = this.pods.get(info.key);
    if (previous) this.removePod(previous);
    this.pods.set(info.key, info);
    this.update(info, 1);
  }

  removePod(info: PodInfo): void {
    const current = this.pods.get(info.key);
    if (!current) return;
    this.pods.delete(info.key);
    this.update(current, -1);
  }

  /** A copy for a what-if (preemption's dry run); pods are shared, sums copied. */
  clone(): NodeInfo {
    const copy = new NodeInfo(this.name);
    if (this.node) copy.setNode(this.node);
    for (const pod of this.pods.values()) copy.addPod(pod);
    return copy;
  }

  private update(info: PodInfo, sign: 1 | -1): void {
    const r = info.requests;
    this.requested.milliCpu += sign * r.milliCpu;
    this.requested.memory += sign * r.memory;
    this.requested.ephemeralStorage += sign * r.ephemeralStorage;
    for (const [name, value] of r.scalars) {
      this.requested.scalars.set(name, (this.requested.scalars.get(name) ?? 0) + sign * value);
    }
    this.nonZeroMilliCpu += sign * info.nonZeroMilliCpu;
    this.nonZeroMemory += sign * info.nonZeroMemory;
    if (info.hasAffinity) this.podsWithAffinity += sign;
    if (info.hasRequiredAntiAffinity) this.podsWithRequiredAntiAffinity += sign;
    for (const port of info.hostPorts) {
      const { ip, pp } = sanitizePort(port);
      if (sign > 0) {
        let set = this.usedPorts.get(ip);
        if (!set) this.usedPorts.set(ip, (set = new Set()));
        set.add(pp);
      } else {
        const set = this.usedPorts.get(ip);
        set?.delete(pp);
        if (set?.size === 0) this.usedPorts.delete(ip);
      }
    }
  }
}

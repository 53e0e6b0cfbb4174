/**
 * The core/v1 Endpoints shapes the endpoints controller writes, and the pure steps of its sync:
 * which pods belong in a Service's Endpoints, the address and ports each contributes, how the
 * per-pod subsets are packed into the API's N-to-M form (`endpoints.RepackSubsets` of
 * pkg/api/v1/endpoints/util.go, Kubernetes 1.30), the comparison that keeps an unchanged
 * Endpoints from being written again, and the truncation past 1000 addresses.
 */
import { isPlainObject, type KubeObject } from '../../kube/objects';
import { isPodReady, isPodTerminal } from '../util/controller-util';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** `v1.ObjectReference` as the controller fills it (Go field order). */
export interface ObjectReference {
  kind: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

/** `v1.EndpointAddress` (Go field order; `nodeName` is a pointer, so `""` is kept). */
export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: ObjectReference;
}

/** `v1.EndpointPort`. */
export interface EndpointPort {
  name?: string;
  port: number;
  protocol?: string;
  appProtocol?: string;
}

/** `v1.EndpointSubset`: empty lists are omitted, as Go's omitempty does. */
export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

/** `maxCapacity`: the most addresses one Endpoints holds. */
export const MAX_CAPACITY = 1000;

/** `v1.IsHeadlessService`. */
export const HEADLESS_SERVICE_LABEL = 'service.kubernetes.io/headless';
/** `v1.EndpointsLastChangeTriggerTime`. */
export const LAST_CHANGE_TRIGGER_TIME_ANNOTATION =
  'endpoints.kubernetes.io/last-change-trigger-time';
/** `v1.EndpointsOverCapacity`, and its value `truncated`. */
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';
export const TRUNCATED = 'truncated';

/**
 * The Service's selector, or undefined when it has none. Upstream tests `Selector == nil`; an
 * empty map does not survive the API server's protobuf storage (it decodes as nil), so an empty
 * selector here is no selector too.
 */
export function serviceSelector(service: KubeObject): Record<string, string> | undefined {
  const selector = obj(service.spec).selector;
  if (!isPlainObject(selector) || Object.keys(selector).length === 0) return undefined;
  return selector as Record<string, string>;
}

/** `labels.Set(selector).AsSelectorPreValidated().Matches(podLabels)`. */
export function selectorMatches(
  selector: Record<string, string>,
  labels: Record<string, string> | undefined,
): boolean {
  const have = labels ?? {};
  return Object.entries(selector).every(([key, value]) => have[key] === value);
}

/** `helper.IsServiceIPSet`: a clusterIP that is neither empty nor `None`. */
export function isServiceIPSet(service: KubeObject): boolean {
  const clusterIP = str(obj(service.spec).clusterIP);
  return clusterIP !== '' && clusterIP !== 'None';
}

/**
 * `endpointsliceutil.ShouldPodBeInEndpoints`: not terminal (Succeeded/Failed), has an IP, and is
 * not terminating unless the Service publishes not-ready addresses.
 */
export function shouldPodBeInEndpoints(pod: KubeObject, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  const status = obj(pod.status);
  if (str(status.podIP) === '' && list(status.podIPs).length === 0) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp !== undefined) return false;
  return true;
}

const isIPv6 = (ip: string): boolean => ip.includes(':');

/**
 * `podToEndpointAddressForService`: the pod's IP of the Service's (first) IP family — from
 * `ipFamilies`, else from the clusterIP, else (headless) from the pod IP — with node and pod
 * reference. Undefined when the pod has no IP of that family.
 */
export function podToEndpointAddress(
  service: KubeObject,
  pod: KubeObject,
): EndpointAddress | undefined {
  const spec = obj(service.spec);
  const status = obj(pod.status);
  const families = Array.isArray(spec.ipFamilies) ? spec.ipFamilies.map(str) : [];
  let v6: boolean;
  if (families.length > 0) v6 = families[0] === 'IPv6';
  else if (isServiceIPSet(service)) v6 = isIPv6(str(spec.clusterIP));
  else v6 = isIPv6(str(status.podIP));
  const ip = list(status.podIPs)
    .map((p) => str(p.ip))
    .find((candidate) => isIPv6(candidate) === v6);
  if (!ip) return undefined;
  return {
    ip,
    nodeName: str(obj(pod.spec).nodeName),
    targetRef: {
      kind: 'Pod',
      namespace: pod.metadata.namespace ?? '',
      name: pod.metadata.name ?? '',
      uid: pod.metadata.uid ?? '',
    },
  };
}

/** `endpointsliceutil.ShouldSetHostname`: the pod names this Service as its subdomain. */
export function shouldSetHostname(pod: KubeObject, service: KubeObject): boolean {
  const spec = obj(pod.spec);
  return (
    str(spec.hostname) !== '' &&
    str(spec.subdomain) === (service.metadata.name ?? '') &&
    (service.metadata.namespace ?? '') === (pod.metadata.namespace ?? '')
  );
}

/**
 * `podutil.FindPort`: a numeric targetPort as is; a named one is looked up among the ports of the
 * containers, then of the sidecars (init containers with restartPolicy Always), by name and
 * protocol. Undefined when the pod has no such port.
 */
export function findPort(pod: KubeObject, servicePort: Obj): number | undefined {
  const target = servicePort.targetPort;
  if (typeof target === 'number') return target;
  if (typeof target !== 'string') return undefined;
  const protocol = str(servicePort.protocol);
  const spec = obj(pod.spec);
  const sidecars = list(spec.initContainers).filter((c) => c.restartPolicy === 'Always');
  for (const container of [...list(spec.containers), ...sidecars]) {
    for (const port of list(container.ports)) {
      if (str(port.name) === target && str(port.protocol) === protocol) {
        return typeof port.containerPort === 'number' ? port.containerPort : undefined;
      }
    }
  }
  return undefined;
}

/** `endpointPortFromServicePort`: the Service port's name, protocol and appProtocol. */
export function endpointPort(servicePort: Obj, port: number): EndpointPort {
  const name = str(servicePort.name);
  const protocol = str(servicePort.protocol);
  const appProtocol = servicePort.appProtocol;
  return {
    ...(name ? { name } : {}),
    port,
    ...(protocol ? { protocol } : {}),
    ...(typeof appProtocol === 'string' ? { appProtocol } : {}),
  };
}

/**
 * The subsets of a Service's Endpoints before packing, one per pod and port (`syncService` with
 * `addEndpointSubset`): a Ready pod's address (or every address, with publishNotReadyAddresses)
 * under `addresses`, the others under `notReadyAddresses`. A headless Service without ports
 * gets portless subsets; a pod lacking a named targetPort is left out of that port only.
 */
export function endpointSubsetsFor(
  service: KubeObject,
  pods: readonly KubeObject[],
): EndpointSubset[] {
  const spec = obj(service.spec);
  const publishNotReady = spec.publishNotReadyAddresses === true;
  const ports = list(spec.ports);
  const subsets: EndpointSubset[] = [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const address = podToEndpointAddress(service, pod);
    if (!address) continue;
    if (shouldSetHostname(pod, service)) {
      address.hostname = str(obj(pod.spec).hostname);
    }
    const ready = publishNotReady || isPodReady(pod);
    const add = (port: EndpointPort | undefined): void => {
      const subset: EndpointSubset = ready
        ? { addresses: [{ ...address }] }
        : { notReadyAddresses: [{ ...address }] };
      if (port) subset.ports = [port];
      subsets.push(subset);
    };
    if (ports.length === 0) {
      // A headless Service may have no ports.
      if (str(spec.clusterIP) === 'None') add(undefined);
      continue;
    }
    for (const servicePort of ports) {
      const number = findPort(pod, servicePort);
      if (number === undefined) continue;
      add(endpointPort(servicePort, number));
    }
  }
  return subsets;
}

// ---------------------------------------------------------------------------------------------
// RepackSubsets

function addressKey(address: EndpointAddress): string {
  return `${address.ip}\u0000${address.targetRef?.uid ?? ''}\u0000${address.targetRef ? 1 : 0}`;
}

function portKey(port: EndpointPort | undefined): string {
  return port === undefined
    ? ''
    : JSON.stringify([port.name ?? '', port.port, port.protocol ?? '', port.appProtocol ?? null]);
}

/** `LessEndpointAddress`: by IP (bytes), then by target UID (no target first). */
export function lessEndpointAddress(a: EndpointAddress, b: EndpointAddress): boolean {
  if (a.ip !== b.ip) return a.ip < b.ip;
  if (!b.targetRef) return false;
  if (!a.targetRef) return true;
  return (a.targetRef.uid ?? '') < (b.targetRef.uid ?? '');
}

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  return lessEndpointAddress(a, b) ? -1 : lessEndpointAddress(b, a) ? 1 : 0;
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `endpoints.RepackSubsets`: addresses (by IP and pod UID; an address Ready for a port anywhere
 * is Ready for it) are grouped by the set of ports they serve, one subset per distinct set of
 * addresses, each with its ports; a portless address stays, portless.
 *
 * Sorting follows `SortSubsets` for the addresses (IP, then UID). Upstream orders ports and
 * subsets by the md5 of their Go `spew` dump — an order with no meaning a learner could rely
 * on; here they are ordered by name, number and protocol (ports) and by their first address
 * (subsets), so the output is deterministic but may list several ports or subsets in another
 * order than a real cluster.
 */
export function repackSubsets(subsets: readonly EndpointSubset[]): EndpointSubset[] {
  const allAddresses = new Map<string, EndpointAddress>();
  // port key → the port (undefined: the portless sentinel) and address key → ready.
  const byPort = new Map<string, { port: EndpointPort | undefined; ready: Map<string, boolean> }>();
  const map = (address: EndpointAddress, port: EndpointPort | undefined, ready: boolean): void => {
    const key = addressKey(address);
    if (!allAddresses.has(key)) allAddresses.set(key, { ...address });
    const pk = portKey(port);
    let entry = byPort.get(pk);
    if (!entry) {
      entry = { port, ready: new Map() };
      byPort.set(pk, entry);
    }
    if (entry.ready.get(key) !== true) entry.ready.set(key, ready);
  };
  for (const subset of subsets) {
    const ports: (EndpointPort | undefined)[] = subset.ports?.length ? subset.ports : [undefined];
    for (const port of ports) {
      for (const a of subset.addresses ?? []) map(a, port, true);
      for (const a of subset.notReadyAddresses ?? []) map(a, port, false);
    }
  }
  // The set of (address, ready) → the ports it serves.
  const groups = new Map<string, { ready: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const { port, ready } of byPort.values()) {
    const entries = [...ready].sort(([a], [b]) =>
      compareAddresses(allAddresses.get(a)!, allAddresses.get(b)!),
    );
    const key = JSON.stringify(entries);
    let group = groups.get(key);
    if (!group) {
      group = { ready, ports: [] };
      groups.set(key, group);
    }
    if (port) group.ports.push(port);
  }
  const final: EndpointSubset[] = [];
  for (const group of groups.values()) {
    const ready: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const [key, isReady] of group.ready) {
      (isReady ? ready : notReady).push(allAddresses.get(key)!);
    }
    ready.sort(compareAddresses);
    notReady.sort(compareAddresses);
    const ports = [...group.ports].sort((a, b) => compareKeys(portKey(a), portKey(b)));
    const subset: EndpointSubset = {};
    if (ready.length) subset.addresses = ready;
    if (notReady.length) subset.notReadyAddresses = notReady;
    if (ports.length) subset.ports = ports;
    final.push(subset);
  }
  return final.sort((a, b) => compareKeys(subsetSortKey(a), subsetSortKey(b)));
}

function subsetSortKey(subset: EndpointSubset): string {
  const first = subset.addresses?.[0] ?? subset.notReadyAddresses?.[0];
  return JSON.stringify([
    first?.ip ?? '',
    first?.targetRef?.uid ?? '',
    subset.addresses ? 0 : 1,
    (subset.ports ?? []).map(portKey),
    subset.addresses?.length ?? 0,
    subset.notReadyAddresses?.length ?? 0,
  ]);
}

// ---------------------------------------------------------------------------------------------
// Comparison and truncation

/**
 * A subset list in a canonical form for comparison: Go's semantic equality treats a missing
 * list like an empty one, and `endpointSubsetsEqualIgnoreResourceVersion` ignores the target
 * reference's resourceVersion.
 */
function canonicalSubsets(subsets: unknown): string {
  return JSON.stringify(
    list(subsets).map((subset) => {
      const address = (a: Obj): unknown[] => {
        const ref = isPlainObject(a.targetRef) ? obj(a.targetRef) : undefined;
        return [
          str(a.ip),
          str(a.hostname),
          a.nodeName === undefined ? null : str(a.nodeName),
          ref === undefined
            ? null
            : [
                str(ref.kind),
                str(ref.namespace),
                str(ref.name),
                str(ref.uid),
                str(ref.apiVersion),
                str(ref.fieldPath),
              ],
        ];
      };
      return [
        list(subset.addresses).map(address),
        list(subset.notReadyAddresses).map(address),
        list(subset.ports).map((p) => [
          str(p.name),
          typeof p.port === 'number' ? p.port : 0,
          str(p.protocol),
          typeof p.appProtocol === 'string' ? p.appProtocol : null,
        ]),
      ];
    }),
  );
}

/** `endpointSubsetsEqualIgnoreResourceVersion`. */
export function subsetsEqual(a: unknown, b: unknown): boolean {
  return canonicalSubsets(a) === canonicalSubsets(b);
}

/** `apiequality.Semantic.DeepEqual` of two label maps (nil and empty alike). */
export function labelsEqual(
  a: Record<string, string> | undefined,
  b: Record<string, string> | undefined,
): boolean {
  const ea = Object.entries(a ?? {});
  const eb = b ?? {};
  return ea.length === Object.keys(eb).length && ea.every(([k, v]) => eb[k] === v);
}

function countAddresses(subsets: unknown): number {
  return list(subsets).reduce(
    (n, s) => n + list(s.addresses).length + list(s.notReadyAddresses).length,
    0,
  );
}

/**
 * `capacityAnnotationSetCorrectly`: false when there are more addresses than fit (they must be
 * truncated), else whether the over-capacity annotation is absent.
 */
export function capacityAnnotationSetCorrectly(
  annotations: Record<string, string> | undefined,
  subsets: unknown,
): boolean {
  if (countAddresses(subsets) > MAX_CAPACITY) return false;
  return !(OVER_CAPACITY_ANNOTATION in (annotations ?? {}));
}

/**
 * `truncateEndpoints`: past `MAX_CAPACITY` addresses, keeps Ready addresses first — each subset
 * its proportional share, rounded up — and drops not-ready ones before Ready ones. True when it
 * truncated.
 */
export function truncateSubsets(subsets: EndpointSubset[]): boolean {
  let totalReady = 0;
  let totalNotReady = 0;
  for (const s of subsets) {
    totalReady += s.addresses?.length ?? 0;
    totalNotReady += s.notReadyAddresses?.length ?? 0;
  }
  if (totalReady + totalNotReady <= MAX_CAPACITY) return false;
  const truncateReady = totalReady > MAX_CAPACITY;
  const max = truncateReady ? MAX_CAPACITY : MAX_CAPACITY - totalReady;
  const numTotal = truncateReady ? totalReady : totalNotReady;
  let canBeAdded = max;
  subsets.forEach((subset, i) => {
    const inSubset = truncateReady
      ? (subset.addresses?.length ?? 0)
      : (subset.notReadyAddresses?.length ?? 0);
    const toBeAdded = Math.min(Math.ceil((inSubset / numTotal) * max), canBeAdded);
    const next: EndpointSubset = { ...subset };
    if (truncateReady) {
      next.addresses = (subset.addresses ?? []).slice(0, toBeAdded);
      delete next.notReadyAddresses;
      canBeAdded -= next.addresses.length;
      if (next.addresses.length === 0) delete next.addresses;
    } else {
      next.notReadyAddresses = (subset.notReadyAddresses ?? []).slice(0, toBeAdded);
      canBeAdded -= next.notReadyAddresses.length;
      if (next.notReadyAddresses.length === 0) delete next.notReadyAddresses;
    }
    subsets[i] = next;
  });
  return true;
}

/**
 * Defaulting, as the API server applies it when it decodes an object (pkg/apis/core/v1/defaults.go,
 * pkg/apis/apps/v1/defaults.go, in the order of zz_generated.defaults.go). Each function mutates the
 * object it is given: callers pass a copy. What `kubectl get -o yaml` shows on a real 1.30 cluster
 * is what these produce.
 */
import { isPlainObject, type KubeObject } from './objects';

type Obj = Record<string, unknown>;

function obj(value: unknown): Obj | undefined {
  return isPlainObject(value) ? value : undefined;
}

/**
 * An object to default: frozen objects are left alone. An update keeps frozen only what it
 * shares with the stored object at the same place (apiserver/registry/write-copy.ts), which was
 * defaulted when it was written, and defaulting is idempotent.
 */
function mutable(value: unknown): Obj | undefined {
  return isPlainObject(value) && !Object.isFrozen(value) ? value : undefined;
}

function ensure(parent: Obj, key: string): Obj {
  const existing = obj(parent[key]);
  if (existing) return existing;
  const created: Obj = {};
  parent[key] = created;
  return created;
}

function list(value: unknown): Obj[] {
  return Array.isArray(value) ? value.filter((item) => mutable(item) !== undefined) : [];
}

function isUnset(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/**
 * `imagePullPolicy` from the image reference (SetDefaults_Container): `Always` when the tag is
 * `latest` or absent (and no digest), `IfNotPresent` otherwise.
 */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const [withoutDigest, digest] = image.split('@');
  const lastSlash = withoutDigest!.lastIndexOf('/');
  const lastColon = withoutDigest!.lastIndexOf(':');
  const tag = lastColon > lastSlash ? withoutDigest!.slice(lastColon + 1) : '';
  if (tag === 'latest') return 'Always';
  if (tag === '' && digest === undefined) return 'Always';
  return 'IfNotPresent';
}

function defaultProbe(probe: unknown): void {
  const p = mutable(probe);
  if (!p) return;
  p.timeoutSeconds ||= 1;
  p.periodSeconds ||= 10;
  p.successThreshold ||= 1;
  p.failureThreshold ||= 3;
  defaultHandler(p);
}

function defaultHandler(handler: Obj): void {
  const httpGet = mutable(handler.httpGet);
  if (httpGet) {
    if (isUnset(httpGet.path)) httpGet.path = '/';
    if (isUnset(httpGet.scheme)) httpGet.scheme = 'HTTP';
  }
  const grpc = mutable(handler.grpc);
  if (grpc && grpc.service === undefined) grpc.service = '';
}

function defaultFieldRef(fieldRef: unknown): void {
  const ref = mutable(fieldRef);
  if (ref && isUnset(ref.apiVersion)) ref.apiVersion = 'v1';
}

function defaultContainer(container: Obj): void {
  if (isUnset(container.imagePullPolicy) && typeof container.image === 'string') {
    container.imagePullPolicy = defaultPullPolicy(container.image);
  }
  if (isUnset(container.terminationMessagePath))
    container.terminationMessagePath = '/dev/termination-log';
  if (isUnset(container.terminationMessagePolicy)) container.terminationMessagePolicy = 'File';
  for (const port of list(container.ports)) {
    if (isUnset(port.protocol)) port.protocol = 'TCP';
  }
  for (const env of list(container.env)) defaultFieldRef(obj(env.valueFrom)?.fieldRef);
  defaultProbe(container.livenessProbe);
  defaultProbe(container.readinessProbe);
  defaultProbe(container.startupProbe);
  const lifecycle = obj(container.lifecycle);
  if (lifecycle) {
    for (const hook of ['postStart', 'preStop']) {
      const handler = mutable(lifecycle[hook]);
      if (handler) defaultHandler(handler);
    }
  }
  if (container.resources === undefined) container.resources = {};
}

function defaultVolume(volume: Obj): void {
  const sources = Object.keys(volume).filter((k) => k !== 'name');
  if (sources.length === 0) volume.emptyDir = {};
  for (const key of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    const source = mutable(volume[key]);
    if (source && source.defaultMode === undefined) source.defaultMode = 420;
  }
  const hostPath = mutable(volume.hostPath);
  if (hostPath && hostPath.type === undefined) hostPath.type = '';
  for (const item of list(obj(volume.downwardAPI)?.items)) defaultFieldRef(item.fieldRef);
  for (const source of list(obj(volume.projected)?.sources)) {
    for (const item of list(obj(source.downwardAPI)?.items)) defaultFieldRef(item.fieldRef);
    const token = mutable(source.serviceAccountToken);
    if (token && token.expirationSeconds === undefined) token.expirationSeconds = 3600;
  }
}

/** SetDefaults_PodSpec plus the per-container and per-volume defaults (pods and templates). */
export function defaultPodSpec(spec: Obj): void {
  if (Object.isFrozen(spec)) return;
  // The deprecated `serviceAccount` mirrors `serviceAccountName` (v1 conversion, not defaulting).
  if (isUnset(spec.serviceAccountName) && !isUnset(spec.serviceAccount))
    spec.serviceAccountName = spec.serviceAccount;
  if (!isUnset(spec.serviceAccountName)) spec.serviceAccount = spec.serviceAccountName;
  if (isUnset(spec.dnsPolicy)) spec.dnsPolicy = 'ClusterFirst';
  if (isUnset(spec.restartPolicy)) spec.restartPolicy = 'Always';
  if (spec.securityContext === undefined) spec.securityContext = {};
  if (spec.terminationGracePeriodSeconds === undefined) spec.terminationGracePeriodSeconds = 30;
  if (isUnset(spec.schedulerName)) spec.schedulerName = 'default-scheduler';
  for (const volume of list(spec.volumes)) defaultVolume(volume);
  for (const container of list(spec.initContainers)) defaultContainer(container);
  for (const container of list(spec.containers)) defaultContainer(container);
  for (const container of list(spec.ephemeralContainers)) defaultContainer(container);
}

/** SetDefaults_Pod: only for pods, not templates (requests from limits, service links, host ports). */
function defaultPodOnly(spec: Obj): void {
  if (Object.isFrozen(spec)) return;
  for (const container of [...list(spec.initContainers), ...list(spec.containers)]) {
    const resources = mutable(container.resources);
    const limits = obj(resources?.limits);
    if (resources && limits && !Object.isFrozen(obj(resources.requests) ?? {})) {
      const requests = ensure(resources, 'requests');
      for (const [name, quantity] of Object.entries(limits)) {
        if (requests[name] === undefined) requests[name] = quantity;
      }
    }
    if (spec.hostNetwork === true) {
      for (const port of list(container.ports)) {
        if (!port.hostPort) port.hostPort = port.containerPort;
      }
    }
  }
  if (spec.enableServiceLinks === undefined) spec.enableServiceLinks = true;
}

function defaultTemplate(parent: Obj): void {
  const template = obj(parent.template);
  if (!template) return;
  const spec = mutable(template.spec);
  if (spec) defaultPodSpec(spec);
}

function defaultService(spec: Obj): void {
  if (isUnset(spec.sessionAffinity)) spec.sessionAffinity = 'None';
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const config = ensure(spec, 'sessionAffinityConfig');
    const clientIP = ensure(config, 'clientIP');
    if (clientIP.timeoutSeconds === undefined) clientIP.timeoutSeconds = 10800;
  }
  if (isUnset(spec.type)) spec.type = 'ClusterIP';
  for (const port of list(spec.ports)) {
    if (isUnset(port.protocol)) port.protocol = 'TCP';
    if (port.targetPort === undefined || port.targetPort === 0 || port.targetPort === '') {
      port.targetPort = port.port;
    }
  }
  const external =
    spec.type === 'NodePort' ||
    spec.type === 'LoadBalancer' ||
    (Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0);
  if (external && isUnset(spec.externalTrafficPolicy)) spec.externalTrafficPolicy = 'Cluster';
  if (spec.type !== 'ExternalName' && spec.internalTrafficPolicy === undefined) {
    spec.internalTrafficPolicy = 'Cluster';
  }
  if (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === undefined) {
    spec.allocateLoadBalancerNodePorts = true;
  }
}

/** Applies the defaults of `object`'s kind (group and kind from its apiVersion/kind). */
export function applyDefaults(object: KubeObject): void {
  const o = object as Obj;
  const spec = mutable(o.spec);
  switch (`${object.apiVersion ?? ''}/${object.kind ?? ''}`) {
    case 'v1/Pod':
      if (spec) {
        defaultPodOnly(spec);
        defaultPodSpec(spec);
      }
      break;
    case 'v1/PodTemplate':
      defaultTemplate(o);
      break;
    case 'v1/Service':
      if (spec) defaultService(spec);
      break;
    case 'v1/Secret':
      if (isUnset(o.type)) o.type = 'Opaque';
      break;
    case 'v1/Namespace': {
      const name = object.metadata.name;
      if (name) {
        object.metadata.labels = { ...object.metadata.labels, 'kubernetes.io/metadata.name': name };
      }
      const status = ensure(o, 'status');
      if (isUnset(status.phase) && !Object.isFrozen(status)) status.phase = 'Active';
      break;
    }
    case 'v1/Endpoints':
      for (const subset of list(o.subsets)) {
        for (const port of list(subset.ports)) if (isUnset(port.protocol)) port.protocol = 'TCP';
      }
      break;
    case 'v1/Node': {
      const status = mutable(o.status);
      if (status && status.allocatable === undefined && status.capacity !== undefined) {
        status.allocatable = status.capacity;
      }
      break;
    }
    case 'apps/v1/Deployment':
      if (spec) {
        if (spec.replicas === undefined) spec.replicas = 1;
        const strategy = ensure(spec, 'strategy');
        if (isUnset(strategy.type)) strategy.type = 'RollingUpdate';
        if (strategy.type === 'RollingUpdate') {
          const rolling = ensure(strategy, 'rollingUpdate');
          if (rolling.maxUnavailable === undefined) rolling.maxUnavailable = '25%';
          if (rolling.maxSurge === undefined) rolling.maxSurge = '25%';
        }
        if (spec.revisionHistoryLimit === undefined) spec.revisionHistoryLimit = 10;
        if (spec.progressDeadlineSeconds === undefined) spec.progressDeadlineSeconds = 600;
        defaultTemplate(spec);
      }
      break;
    case 'apps/v1/ReplicaSet':
      if (spec) {
        if (spec.replicas === undefined) spec.replicas = 1;
        defaultTemplate(spec);
      }
      break;
    case 'apps/v1/DaemonSet':
      if (spec) {
        const strategy = ensure(spec, 'updateStrategy');
        if (isUnset(strategy.type)) strategy.type = 'RollingUpdate';
        if (strategy.type === 'RollingUpdate') {
          const rolling = ensure(strategy, 'rollingUpdate');
          if (rolling.maxUnavailable === undefined) rolling.maxUnavailable = 1;
          if (rolling.maxSurge === undefined) rolling.maxSurge = 0;
        }
        if (spec.revisionHistoryLimit === undefined) spec.revisionHistoryLimit = 10;
        defaultTemplate(spec);
      }
      break;
    case 'kubelab.dev/v1alpha1/Clock': {
      const clock = ensure(o, 'spec');
      if (isUnset(clock.pace) && !Object.isFrozen(clock)) clock.pace = 'Realistic';
      break;
    }
    case 'kubelab.dev/v1alpha1/Kubelet': {
      const kubelet = ensure(o, 'spec');
      if (isUnset(kubelet.state) && !Object.isFrozen(kubelet)) kubelet.state = 'Running';
      break;
    }
    default:
      break;
  }
}

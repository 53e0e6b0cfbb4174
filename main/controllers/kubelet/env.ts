/**
 * A container's environment and volumes as the kubelet resolves them before it creates the
 * container: `makeEnvironmentVariables` (pkg/kubelet/kubelet_pods.go: envFrom, then env with
 * `valueFrom` ConfigMap/Secret keys and the downward API, then `$(VAR)` expansion of values) and
 * the volume manager's ConfigMap/Secret mounts. A missing ConfigMap or Secret is
 * CreateContainerConfigError for env and FailedMount for volumes, worded as upstream.
 */
import { isPlainObject, type KubeObject } from '../../kube/objects';
import { expandKubernetesVars } from './programs';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);

/** Reads ConfigMaps and Secrets (Secret data already base64-decoded). */
export interface ConfigSource {
  configMap(namespace: string, name: string): Readonly<Record<string, string>> | undefined;
  secret(namespace: string, name: string): Readonly<Record<string, string>> | undefined;
}

export type EnvResult =
  | { readonly ok: true; readonly env: ReadonlyMap<string, string> }
  | { readonly ok: false; readonly error: string };

/** What the downward API can read of a pod, by fieldPath. */
function fieldValue(pod: KubeObject, path: string, podIP: string, hostIP: string): string {
  const spec = obj(pod.spec);
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'spec.nodeName':
      return String(spec.nodeName ?? '');
    case 'spec.serviceAccountName':
      return String(spec.serviceAccountName ?? '');
    case 'status.podIP':
    case 'status.podIPs':
      return podIP;
    case 'status.hostIP':
    case 'status.hostIPs':
      return hostIP;
    default: {
      const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
      if (label) {
        const map = label[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations;
        return map?.[label[2]!] ?? '';
      }
      return '';
    }
  }
}

/** The variables every container gets before its own (kubelet and service links). */
function baseEnv(pod: KubeObject): Array<[string, string]> {
  const spec = obj(pod.spec);
  return [
    ['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    ['HOSTNAME', String(spec.hostname ?? pod.metadata.name ?? '')],
  ];
}

const SERVICE_ENV: ReadonlyArray<[string, string]> = [
  ['KUBERNETES_SERVICE_HOST', '10.96.0.1'],
  ['KUBERNETES_SERVICE_PORT', '443'],
  ['KUBERNETES_SERVICE_PORT_HTTPS', '443'],
  ['KUBERNETES_PORT', 'tcp://10.96.0.1:443'],
  ['KUBERNETES_PORT_443_TCP', 'tcp://10.96.0.1:443'],
  ['KUBERNETES_PORT_443_TCP_PROTO', 'tcp'],
  ['KUBERNETES_PORT_443_TCP_PORT', '443'],
  ['KUBERNETES_PORT_443_TCP_ADDR', '10.96.0.1'],
];

/**
 * The container's environment in the order `env` prints it, or the error that keeps it from
 * being created (`configmap "x" not found`, `couldn't find key k in ConfigMap ns/x`).
 */
export function resolveEnv(
  pod: KubeObject,
  container: Obj,
  source: ConfigSource,
  podIP: string,
  hostIP: string,
): EnvResult {
  const namespace = pod.metadata.namespace ?? '';
  const vars = new Map<string, string>(baseEnv(pod));
  for (const from of list(container.envFrom)) {
    const prefix = String(from.prefix ?? '');
    const cmRef = isPlainObject(from.configMapRef) ? from.configMapRef : undefined;
    const secretRef = isPlainObject(from.secretRef) ? from.secretRef : undefined;
    const ref = cmRef ?? secretRef;
    if (!ref) continue;
    const name = String(ref.name ?? '');
    const data = cmRef ? source.configMap(namespace, name) : source.secret(namespace, name);
    if (!data) {
      if (ref.optional === true) continue;
      return {
        ok: false,
        error: `${cmRef ? 'configmap' : 'secret'} ${JSON.stringify(name)} not found`,
      };
    }
    for (const [key, value] of Object.entries(data)) vars.set(prefix + key, value);
  }
  for (const entry of list(container.env)) {
    const name = String(entry.name ?? '');
    if (entry.valueFrom === undefined) {
      vars.set(name, expandKubernetesVars(String(entry.value ?? ''), vars));
      continue;
    }
    const valueFrom = obj(entry.valueFrom);
    if (isPlainObject(valueFrom.fieldRef)) {
      vars.set(name, fieldValue(pod, String(valueFrom.fieldRef.fieldPath ?? ''), podIP, hostIP));
      continue;
    }
    if (isPlainObject(valueFrom.resourceFieldRef)) {
      vars.set(name, resourceValue(container, valueFrom.resourceFieldRef));
      continue;
    }
    const cmKey = isPlainObject(valueFrom.configMapKeyRef) ? valueFrom.configMapKeyRef : undefined;
    const secretKey = isPlainObject(valueFrom.secretKeyRef) ? valueFrom.secretKeyRef : undefined;
    const ref = cmKey ?? secretKey;
    if (!ref) continue;
    const refName = String(ref.name ?? '');
    const key = String(ref.key ?? '');
    const data = cmKey ? source.configMap(namespace, refName) : source.secret(namespace, refName);
    const optional = ref.optional === true;
    if (!data) {
      if (optional) continue;
      return {
        ok: false,
        error: `${cmKey ? 'configmap' : 'secret'} ${JSON.stringify(refName)} not found`,
      };
    }
    const value = data[key];
    if (value === undefined) {
      if (optional) continue;
      return {
        ok: false,
        error: `couldn't find key ${key} in ${cmKey ? 'ConfigMap' : 'Secret'} ${namespace}/${refName}`,
      };
    }
    vars.set(name, value);
  }
  // The master service's variables are set whatever enableServiceLinks says.
  for (const [key, value] of SERVICE_ENV) if (!vars.has(key)) vars.set(key, value);
  if (!vars.has('HOME')) vars.set('HOME', '/root');
  return { ok: true, env: vars };
}

/** `resourceFieldRef`: limits.cpu as whole cores (rounded up), memory in bytes. */
function resourceValue(container: Obj, ref: Obj): string {
  const resource = String(ref.resource ?? '');
  const [kind, name] = resource.split('.');
  const resources = obj(container.resources);
  const value = obj(kind === 'requests' ? resources.requests : resources.limits)[name ?? ''];
  if (value === undefined) return name === 'cpu' ? '8' : '16728117248';
  return String(value);
}

/**
 * The first volume that cannot be mounted, worded as the volume manager's FailedMount event:
 * `MountVolume.SetUp failed for volume "cfg" : configmap "cfg" not found`.
 */
export function missingVolume(pod: KubeObject, source: ConfigSource): string | undefined {
  const namespace = pod.metadata.namespace ?? '';
  for (const volume of list(obj(pod.spec).volumes)) {
    const name = String(volume.name ?? '');
    const fail = (detail: string): string =>
      `MountVolume.SetUp failed for volume ${JSON.stringify(name)} : ${detail}`;
    if (isPlainObject(volume.configMap)) {
      const cm = volume.configMap;
      const data = source.configMap(namespace, String(cm.name ?? ''));
      if (!data) {
        if (cm.optional === true) continue;
        return fail(`configmap ${JSON.stringify(String(cm.name ?? ''))} not found`);
      }
      for (const item of list(cm.items)) {
        if (data[String(item.key)] === undefined && cm.optional !== true)
          return fail(`configmap references non-existent config key: ${String(item.key)}`);
      }
    }
    if (isPlainObject(volume.secret)) {
      const secret = volume.secret;
      const data = source.secret(namespace, String(secret.secretName ?? ''));
      if (!data) {
        if (secret.optional === true) continue;
        return fail(`secret ${JSON.stringify(String(secret.secretName ?? ''))} not found`);
      }
      for (const item of list(secret.items)) {
        if (data[String(item.key)] === undefined && secret.optional !== true)
          return fail(`references non-existent secret key: ${String(item.key)}`);
      }
    }
  }
  return undefined;
}

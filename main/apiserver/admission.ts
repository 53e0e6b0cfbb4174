/**
 * The admission plugins a 1.30 cluster runs by default that change or refuse what learners
 * create: NamespaceLifecycle, ServiceAccount, Priority and DefaultTolerationSeconds
 * (plugin/pkg/admission/*, staging/src/k8s.io/apiserver/pkg/admission/plugin/namespace).
 */
import { randomString, type Random } from '../base/random';
import { errors } from '../kube/status';
import { isPlainObject, type KubeObject } from '../kube/objects';
import type { ResourceType } from '../kube/resources';
import type { MemoryStore } from './store/store';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE';

/** The namespaces NamespaceLifecycle never lets anyone delete. */
export const IMMORTAL_NAMESPACES = ['default', 'kube-system', 'kube-public'];

/** Letters `names.SimpleNameGenerator` draws generated-name suffixes from. */
export const NAME_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export interface AdmissionContext {
  readonly store: MemoryStore;
  readonly random: Random;
}

/**
 * NamespaceLifecycle: no new objects in a namespace that does not exist or is terminating, and
 * `default`, `kube-system` and `kube-public` cannot be deleted.
 */
export function namespaceLifecycle(
  context: AdmissionContext,
  type: ResourceType,
  operation: Operation,
  namespace: string,
  name: string,
): void {
  if (type.plural === 'namespaces' && type.group === '') {
    if (operation === 'DELETE' && IMMORTAL_NAMESPACES.includes(name)) {
      throw errors.forbidden(
        { group: '', resource: 'namespaces' },
        name,
        'this namespace may not be deleted',
      );
    }
    return;
  }
  if (!type.namespaced || operation !== 'CREATE') return;
  const ns = context.store.get({ resource: '/namespaces', namespace: '', name: namespace });
  if (!ns) throw errors.notFound({ group: '', resource: 'namespaces' }, namespace);
  if (ns.metadata.deletionTimestamp || obj(ns.status).phase === 'Terminating') {
    throw errors.forbidden(
      { group: type.group, resource: type.plural },
      name || 'Unknown',
      `unable to create new content in namespace ${namespace} because it is being terminated`,
      [
        {
          reason: 'NamespaceTerminating',
          message: `namespace ${namespace} is being terminated`,
          field: 'metadata.namespace',
        },
      ],
    );
  }
}

const SERVICE_ACCOUNT_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
const TOKEN_VOLUME_PREFIX = 'kube-api-access-';

/**
 * ServiceAccount admission (pods, on create): default the service account, require that it
 * exists, and mount the projected API-access volume into every container.
 */
export function serviceAccountAdmission(context: AdmissionContext, pod: KubeObject): void {
  if (pod.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined) return;
  const spec = obj(pod.spec);
  pod.spec = spec;
  if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || 'default';
  spec.serviceAccount = spec.serviceAccountName;
  const name = String(spec.serviceAccountName);
  const namespace = pod.metadata.namespace ?? '';
  const account = context.store.get({ resource: '/serviceaccounts', namespace, name });
  if (!account) {
    throw errors.forbidden(
      { group: '', resource: 'pods' },
      pod.metadata.name ?? pod.metadata.generateName ?? '',
      `error looking up service account ${namespace}/${name}: serviceaccount "${name}" not found`,
    );
  }
  const automount =
    typeof spec.automountServiceAccountToken === 'boolean'
      ? spec.automountServiceAccountToken
      : typeof account.automountServiceAccountToken === 'boolean'
        ? account.automountServiceAccountToken
        : true;
  if (!Array.isArray(spec.imagePullSecrets) || spec.imagePullSecrets.length === 0) {
    const secrets = account.imagePullSecrets;
    if (Array.isArray(secrets) && secrets.length) {
      spec.imagePullSecrets = secrets.map((s) => ({ name: obj(s).name }));
    }
  }
  if (!automount) return;
  const volumes = Array.isArray(spec.volumes) ? (spec.volumes as Obj[]) : [];
  const existing = volumes.find((v) => String(v.name ?? '').startsWith(TOKEN_VOLUME_PREFIX));
  const volumeName = existing
    ? String(existing.name)
    : `${TOKEN_VOLUME_PREFIX}${randomString(context.random, NAME_SUFFIX_ALPHABET, 5)}`;
  let mounted = false;
  for (const list of ['initContainers', 'containers']) {
    for (const container of Array.isArray(spec[list]) ? (spec[list] as Obj[]) : []) {
      const mounts = Array.isArray(container.volumeMounts) ? (container.volumeMounts as Obj[]) : [];
      if (mounts.some((m) => m.mountPath === SERVICE_ACCOUNT_MOUNT)) continue;
      container.volumeMounts = [
        ...mounts,
        { name: volumeName, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT },
      ];
      mounted = true;
    }
  }
  if (mounted && !existing) {
    spec.volumes = [
      ...volumes,
      {
        name: volumeName,
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            {
              downwardAPI: {
                items: [
                  {
                    fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' },
                    path: 'namespace',
                  },
                ],
              },
            },
          ],
        },
      },
    ];
  }
}

/** The built-in priority classes every cluster has (bootstrapped by kube-apiserver). */
export const SYSTEM_PRIORITY_CLASSES: Readonly<Record<string, number>> = {
  'system-cluster-critical': 2000000000,
  'system-node-critical': 2000001000,
};

/** Priority admission (pods, on create): priority and preemptionPolicy from the class. */
export function priorityAdmission(pod: KubeObject, old?: KubeObject): void {
  const spec = obj(pod.spec);
  pod.spec = spec;
  if (old) {
    const previous = obj(old.spec);
    if (spec.priority === undefined && previous.priority !== undefined)
      spec.priority = previous.priority;
    if (spec.preemptionPolicy === undefined && previous.preemptionPolicy !== undefined) {
      spec.preemptionPolicy = previous.preemptionPolicy;
    }
    return;
  }
  const className = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
  let value = 0;
  if (className) {
    if (!Object.hasOwn(SYSTEM_PRIORITY_CLASSES, className)) {
      throw errors.forbidden(
        { group: '', resource: 'pods' },
        pod.metadata.name ?? '',
        `no PriorityClass with name ${className} was found`,
      );
    }
    value = SYSTEM_PRIORITY_CLASSES[className]!;
  }
  if (spec.priority !== undefined && spec.priority !== value) {
    throw errors.forbidden(
      { group: '', resource: 'pods' },
      pod.metadata.name ?? '',
      'the integer value of priority must not be provided in pod spec; priority admission controller computed ' +
        `${value} from the given PriorityClass name`,
    );
  }
  spec.priority = value;
  if (spec.preemptionPolicy === undefined) spec.preemptionPolicy = 'PreemptLowerPriority';
}

/** DefaultTolerationSeconds (pods, create and update): 300 s for not-ready and unreachable. */
export function defaultTolerationSeconds(pod: KubeObject): void {
  const spec = obj(pod.spec);
  pod.spec = spec;
  const tolerations = Array.isArray(spec.tolerations) ? (spec.tolerations as Obj[]) : [];
  const covers = (key: string): boolean =>
    tolerations.some((t) => (!t.key || t.key === key) && (!t.effect || t.effect === 'NoExecute'));
  const added: Obj[] = [];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!covers(key))
      added.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  if (added.length) spec.tolerations = [...tolerations, ...added];
}

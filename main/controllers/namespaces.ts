/**
 * What every namespace gets and how it goes away:
 * - the `default` ServiceAccount (pkg/controller/serviceaccount, serviceaccounts_controller.go);
 * - the `kube-root-ca.crt` ConfigMap (pkg/controller/certificates/rootcacertpublisher);
 * - the namespace controller (pkg/controller/namespace): a Terminating namespace has its content
 *   deleted, then its `kubernetes` finalizer removed, then it is deleted.
 * A client of the registry like any controller: it reacts to watch events and writes through the
 * same path as kubectl.
 */
import type { Clock, Cancel } from '../base/clock';
import { isPlainObject, type KubeObject } from '../kube/objects';
import { findResource, RESOURCES } from '../kube/resources';
import { StatusError } from '../kube/status';
import type { Registry } from '../apiserver/registry/registry';
import type { Watch } from '../apiserver/store/store';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const ROOT_CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

const namespaces = findResource('', 'v1', 'namespaces')!;
const serviceAccounts = findResource('', 'v1', 'serviceaccounts')!;
const configMaps = findResource('', 'v1', 'configmaps')!;

export interface NamespaceControllerDeps {
  readonly registry: Registry;
  readonly clock: Clock;
  /** PEM of the cluster CA, published in every namespace. */
  readonly caCert: string;
  readonly log?: (line: string) => void;
}

export class NamespaceController {
  private readonly queue = new Set<string>();
  private scheduled = false;
  private readonly watches: Watch[] = [];
  /** Terminating namespaces waiting for their content to go, with their fallback re-check. */
  private readonly retries = new Map<string, Cancel>();
  private stopMutations: (() => void) | undefined;

  constructor(private readonly deps: NamespaceControllerDeps) {}

  start(): void {
    const { registry } = this.deps;
    // A terminating namespace is looked at again as soon as something in it is deleted (its last
    // pod leaving ends it at once), besides the periodic re-check upstream relies on.
    this.stopMutations = registry.store.onMutation((mutation) => {
      if (mutation.op === 'delete' && this.retries.has(mutation.key.namespace)) {
        this.enqueue(mutation.key.namespace);
      }
    });
    const enqueue = (namespace: string): void => this.enqueue(namespace);
    this.watches.push(
      registry.watch(namespaces, '', { predicate: registry.predicate(namespaces) }, (event) => {
        enqueue(event.object.metadata.name ?? '');
      }),
      registry.watch(
        serviceAccounts,
        '',
        { predicate: registry.predicate(serviceAccounts, undefined, 'metadata.name=default') },
        (event) => {
          if (event.type === 'DELETED') enqueue(event.object.metadata.namespace ?? '');
        },
      ),
      registry.watch(
        configMaps,
        '',
        {
          predicate: registry.predicate(
            configMaps,
            undefined,
            `metadata.name=${ROOT_CA_CONFIGMAP}`,
          ),
        },
        (event) => {
          if (event.type !== 'ADDED') enqueue(event.object.metadata.namespace ?? '');
        },
      ),
    );
  }

  stop(): void {
    for (const watch of this.watches.splice(0)) watch.stop();
    for (const cancel of this.retries.values()) cancel();
    this.retries.clear();
    this.stopMutations?.();
  }

  private enqueue(namespace: string): void {
    if (!namespace) return;
    this.queue.add(namespace);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.drain());
    }
  }

  private drain(): void {
    this.scheduled = false;
    const pending = [...this.queue];
    this.queue.clear();
    for (const name of pending) {
      try {
        this.sync(name);
      } catch (error) {
        this.deps.log?.(
          `namespace-controller: ${name}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }

  private sync(name: string): void {
    const { registry } = this.deps;
    let namespace: KubeObject;
    try {
      namespace = registry.get(namespaces, '', name);
    } catch {
      return;
    }
    if (namespace.metadata.deletionTimestamp) {
      this.terminate(namespace);
      return;
    }
    this.ensureServiceAccount(name);
    this.ensureRootCa(name);
  }

  private ensureServiceAccount(namespace: string): void {
    const { registry } = this.deps;
    if (registry.store.get({ resource: '/serviceaccounts', namespace, name: 'default' })) return;
    ignoreConflicts(() =>
      registry.create(serviceAccounts, namespace, { metadata: { name: 'default' } }),
    );
  }

  private ensureRootCa(namespace: string): void {
    const { registry, caCert } = this.deps;
    const existing = registry.store.get({
      resource: '/configmaps',
      namespace,
      name: ROOT_CA_CONFIGMAP,
    });
    const wanted = {
      data: { 'ca.crt': caCert },
      annotations: { 'kubernetes.io/description': ROOT_CA_DESCRIPTION },
    };
    if (!existing) {
      ignoreConflicts(() =>
        registry.create(configMaps, namespace, {
          metadata: { name: ROOT_CA_CONFIGMAP, annotations: wanted.annotations },
          data: wanted.data,
        }),
      );
      return;
    }
    const data = isPlainObject(existing.data) ? existing.data : {};
    const annotation = existing.metadata.annotations?.['kubernetes.io/description'];
    if (data['ca.crt'] === caCert && annotation === ROOT_CA_DESCRIPTION) return;
    ignoreConflicts(() =>
      registry.modify(configMaps, namespace, ROOT_CA_CONFIGMAP, (copy) => ({
        ...copy,
        metadata: {
          ...copy.metadata,
          annotations: { ...copy.metadata.annotations, ...wanted.annotations },
        },
        data: { ...(isPlainObject(copy.data) ? copy.data : {}), ...wanted.data },
      })),
    );
  }

  /** Deletes everything in a Terminating namespace, then finalizes and removes it. */
  private terminate(namespace: KubeObject): void {
    const { registry } = this.deps;
    const name = namespace.metadata.name ?? '';
    const contentTypes = RESOURCES.filter(
      (type) => type.namespaced && type.verbs.includes('delete'),
    );
    for (const type of contentTypes) {
      for (const object of registry.store.list(`${type.group}/${type.plural}`, name).items) {
        if (object.metadata.deletionTimestamp) continue;
        ignoreConflicts(() => registry.delete(type, name, object.metadata.name ?? '', {}));
      }
    }
    const remaining = contentTypes.reduce(
      (sum, type) => sum + registry.store.list(`${type.group}/${type.plural}`, name).items.length,
      0,
    );
    this.retries.get(name)?.();
    this.retries.delete(name);
    if (remaining > 0) {
      // Pods in their grace period and objects with finalizers take time: look again soon.
      this.retries.set(
        name,
        this.deps.clock.setTimeout(() => this.enqueue(name), 1000),
      );
      return;
    }
    const spec = isPlainObject(namespace.spec) ? namespace.spec : {};
    const finalizers = Array.isArray(spec.finalizers) ? (spec.finalizers as string[]) : [];
    if (finalizers.includes('kubernetes')) {
      registry.modify(
        namespaces,
        '',
        name,
        (copy) => ({
          ...copy,
          spec: {
            ...(isPlainObject(copy.spec) ? copy.spec : {}),
            finalizers: finalizers.filter((f) => f !== 'kubernetes'),
          },
        }),
        { subresource: 'finalize' },
      );
    }
    ignoreConflicts(() => registry.delete(namespaces, '', name, {}));
  }
}

function ignoreConflicts(action: () => unknown): void {
  try {
    action();
  } catch (error) {
    if (error instanceof StatusError && (error.code === 409 || error.code === 404)) return;
    throw error;
  }
}

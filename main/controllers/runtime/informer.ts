/**
 * A controller's view of one resource, after client-go's shared informer
 * (k8s.io/client-go/tools/cache: SharedIndexInformer, Indexer): a cache of every object kept up
 * to date from the store's watch, with indexes and event handlers. Controllers read from caches
 * and write through the registry, like kube-controller-manager reads informers and writes through
 * the API. Handlers only enqueue keys; work happens in the controllers' queues.
 */
import type { KubeObject } from '../../kube/objects';
import type { ResourceType } from '../../kube/resources';
import { bucketOf } from '../../apiserver/registry/registry';
import type { MemoryStore, StoreEvent, Watch } from '../../apiserver/store/store';

export interface InformerHandlers {
  add?(object: KubeObject): void;
  update?(old: KubeObject, object: KubeObject): void;
  /** The object's last state. */
  delete?(object: KubeObject): void;
}

export type IndexFunc = (object: KubeObject) => readonly string[];

/** `namespace/name`, or `name` for cluster-scoped objects: client-go's MetaNamespaceKeyFunc. */
export function keyOf(object: KubeObject): string {
  const { namespace, name } = object.metadata;
  return namespace ? `${namespace}/${name ?? ''}` : (name ?? '');
}

/** Splits a key made by `keyOf`. */
export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0
    ? { namespace: '', name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export class Informer {
  private readonly items = new Map<string, KubeObject>();
  private readonly handlers: InformerHandlers[] = [];
  private readonly indexers = new Map<string, IndexFunc>();
  /** index name → index value → keys. */
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
  private watch: Watch | undefined;

  constructor(
    private readonly store: MemoryStore,
    readonly type: ResourceType,
  ) {}

  /** Lists everything and follows changes. Handlers added before `start` see the initial adds. */
  start(): void {
    if (this.watch) return;
    this.watch = this.store.watch({ resource: bucketOf(this.type) }, (event) => {
      this.apply(event);
    });
  }

  stop(): void {
    this.watch?.stop();
    this.watch = undefined;
  }

  addHandlers(handlers: InformerHandlers): void {
    this.handlers.push(handlers);
  }

  /** Adds an index (before `start`): `byIndex(name, value)` then answers in O(matches). */
  addIndex(name: string, index: IndexFunc): void {
    if (this.watch) throw new Error(`index ${name} added after ${this.type.plural} started`);
    this.indexers.set(name, index);
    this.indexes.set(name, new Map());
  }

  get(namespace: string, name: string): KubeObject | undefined {
    return this.items.get(namespace ? `${namespace}/${name}` : name);
  }

  getByKey(key: string): KubeObject | undefined {
    return this.items.get(key);
  }

  /** Every cached object, or those of one namespace. */
  list(namespace?: string): KubeObject[] {
    if (namespace) return this.byIndex(NAMESPACE_INDEX, namespace);
    return [...this.items.values()];
  }

  get size(): number {
    return this.items.size;
  }

  byIndex(name: string, value: string): KubeObject[] {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`no index ${name} on ${this.type.plural}`);
    const keys = index.get(value);
    if (!keys) return [];
    const out: KubeObject[] = [];
    for (const key of keys) out.push(this.items.get(key)!);
    return out;
  }

  private apply(event: StoreEvent): void {
    const key = keyOf(event.object);
    const old = this.items.get(key);
    if (event.type === 'DELETED') {
      if (old) this.unindex(key, old);
      this.items.delete(key);
      for (const h of this.handlers) h.delete?.(event.object);
      return;
    }
    if (old) this.unindex(key, old);
    this.items.set(key, event.object);
    this.index(key, event.object);
    for (const h of this.handlers) {
      if (old) h.update?.(old, event.object);
      else h.add?.(event.object);
    }
  }

  private index(key: string, object: KubeObject): void {
    for (const [name, fn] of this.indexers) {
      const index = this.indexes.get(name)!;
      for (const value of fn(object)) {
        let keys = index.get(value);
        if (!keys) index.set(value, (keys = new Set()));
        keys.add(key);
      }
    }
  }

  private unindex(key: string, object: KubeObject): void {
    for (const [name, fn] of this.indexers) {
      const index = this.indexes.get(name)!;
      for (const value of fn(object)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
    }
  }
}

export const NAMESPACE_INDEX = 'namespace';

/**
 * One informer per resource, shared by every controller that reads it (client-go's
 * SharedInformerFactory). Every informer has the namespace index.
 */
export class InformerFactory {
  private readonly informers = new Map<string, Informer>();
  private started = false;

  constructor(private readonly store: MemoryStore) {}

  for(type: ResourceType): Informer {
    const bucket = bucketOf(type);
    let informer = this.informers.get(bucket);
    if (!informer) {
      informer = new Informer(this.store, type);
      informer.addIndex(NAMESPACE_INDEX, (o) => [o.metadata.namespace ?? '']);
      this.informers.set(bucket, informer);
      if (this.started) informer.start();
    }
    return informer;
  }

  start(): void {
    this.started = true;
    for (const informer of this.informers.values()) informer.start();
  }

  stop(): void {
    for (const informer of this.informers.values()) informer.stop();
  }
}

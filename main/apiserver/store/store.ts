/**
 * The apiserver storage shape (k8s.io/apiserver/pkg/storage/interfaces.go, DESIGN.md rule 6):
 * create / get / list / guaranteedUpdate / delete / watch from a resourceVersion, one global
 * revision per write (as etcd's), a bounded watch history answering 410 Gone, `DELETED` events
 * carrying the last state. Single-threaded: a write is applied and its event queued in one step;
 * watchers receive events on a microtask, never in the middle of a write.
 */
import type { KubeObject } from '../../kube/objects';
import { Queue } from '../../base/queue';

/** Where an object lives: its resource bucket (`apps/daemonsets`), namespace ('' if none), name. */
export interface ObjectKey {
  readonly resource: string;
  readonly namespace: string;
  readonly name: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  readonly type: WatchEventType;
  readonly key: ObjectKey;
  /** The object after the write; for DELETED, its last state with the deletion's revision. */
  readonly object: KubeObject;
  /** The object before the write (MODIFIED, DELETED). */
  readonly prev: KubeObject | undefined;
  readonly revision: number;
}

export interface Preconditions {
  readonly uid?: string | undefined;
  readonly resourceVersion?: string | undefined;
}

export type StoreErrorCode =
  'NotFound' | 'AlreadyExists' | 'Conflict' | 'Expired' | 'InvalidPrecondition';

/** A storage-level failure; the registry turns it into the right `Status`. */
export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** Returned by a `guaranteedUpdate` callback to leave the object as it is (no write, no event). */
export const NO_CHANGE: unique symbol = Symbol('no change');

export interface WatchSink {
  /** Receives one event; return false when the watcher can take no more (it is then closed). */
  (event: StoreEvent): boolean | void;
}

export interface WatchOptions {
  /** Bucket to watch, e.g. `/pods`. */
  readonly resource: string;
  /** Only this namespace ('' or undefined: all). */
  readonly namespace?: string | undefined;
  /**
   * Send events after this revision. Undefined or 0: first an ADDED for every object that exists
   * now (in key order), then every later event.
   */
  readonly sinceRevision?: number | undefined;
  /** Called once with the reason when the store closes the watch. */
  readonly onClose?: (reason: string) => void;
}

export interface Watch {
  stop(): void;
  readonly stopped: boolean;
}

export interface StoreOptions {
  /** How many events the watch history keeps (older revisions answer 410 Gone). */
  readonly historySize?: number;
  /** The first revision minus one (a restored store continues from its last revision). */
  readonly startRevision?: number;
}

export interface ListResult {
  readonly items: readonly KubeObject[];
  readonly revision: number;
}

interface Entry {
  readonly key: ObjectKey;
  readonly object: KubeObject;
  readonly revision: number;
}

interface Bucket {
  readonly entries: Map<string, Entry>;
  sortedKeys: string[] | undefined;
}

interface Watcher {
  readonly options: WatchOptions;
  readonly sink: WatchSink;
  /** Events up to this revision were replayed at start; queued copies of them are skipped. */
  readonly replayedUpTo: number;
  stopped: boolean;
}

/** A write the store just applied, for the persistence layer to record. */
export type StoreMutation =
  | {
      readonly op: 'put';
      readonly key: ObjectKey;
      readonly object: KubeObject;
      readonly revision: number;
    }
  | {
      readonly op: 'delete';
      readonly key: ObjectKey;
      readonly object: KubeObject;
      readonly revision: number;
    };

const DEFAULT_HISTORY = 20_000;

function entryKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/**
 * The stored copy of an object, stamped with its revision and deep-frozen: stored objects are
 * shared by every reader and their serialized JSON is cached (http/json-cache.ts), so a stray
 * mutation would be a silent lie to every client. Frozen, it throws where it happens instead.
 */
function withRevision(object: KubeObject, revision: number): KubeObject {
  return deepFreeze({
    ...object,
    metadata: { ...object.metadata, resourceVersion: String(revision) },
  });
}

function copyKey(key: ObjectKey): ObjectKey {
  return Object.freeze({ resource: key.resource, namespace: key.namespace, name: key.name });
}

function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}

export class MemoryStore {
  private currentRevision: number;
  private readonly buckets = new Map<string, Bucket>();
  private readonly history: StoreEvent[] = [];
  private historyStart = 0;
  private readonly historySize: number;
  private readonly watchers = new Set<Watcher>();
  private readonly pending = new Queue<StoreEvent>();
  private flushScheduled = false;
  private readonly mutationListeners = new Set<(mutation: StoreMutation) => void>();

  constructor(options: StoreOptions = {}) {
    this.historySize = options.historySize ?? DEFAULT_HISTORY;
    this.currentRevision = options.startRevision ?? 0;
  }

  /** The revision of the last write. */
  get revision(): number {
    return this.currentRevision;
  }

  /** Lowest revision a watch can start after without a 410. */
  get oldestWatchableRevision(): number {
    const first = this.history[this.historyStart];
    return first ? first.revision - 1 : this.currentRevision;
  }

  /** Called after every applied write (persistence records it). */
  onMutation(listener: (mutation: StoreMutation) => void): () => void {
    this.mutationListeners.add(listener);
    return () => {
      this.mutationListeners.delete(listener);
    };
  }

  get(key: ObjectKey): KubeObject | undefined {
    return this.buckets.get(key.resource)?.entries.get(entryKey(key.namespace, key.name))?.object;
  }

  /** Every object of a bucket (optionally one namespace), in key order. */
  list(resource: string, namespace?: string): ListResult {
    const bucket = this.buckets.get(resource);
    if (!bucket) return { items: [], revision: this.currentRevision };
    if (!bucket.sortedKeys) bucket.sortedKeys = [...bucket.entries.keys()].sort();
    const items: KubeObject[] = [];
    const prefix = namespace ? `${namespace}/` : undefined;
    for (const key of bucket.sortedKeys) {
      if (prefix && !key.startsWith(prefix)) continue;
      items.push(bucket.entries.get(key)!.object);
    }
    return { items, revision: this.currentRevision };
  }

  /** Counts a bucket's objects without building a list. */
  count(resource: string): number {
    return this.buckets.get(resource)?.entries.size ?? 0;
  }

  /** Names of the buckets that hold objects. */
  resources(): string[] {
    return [...this.buckets.keys()].filter((r) => this.buckets.get(r)!.entries.size > 0);
  }

  create(key: ObjectKey, object: KubeObject): KubeObject {
    const bucket = this.bucket(key.resource);
    const k = entryKey(key.namespace, key.name);
    if (bucket.entries.has(k)) throw new StoreError('AlreadyExists', `${key.name} already exists`);
    const revision = ++this.currentRevision;
    const stored = withRevision(object, revision);
    bucket.entries.set(k, { key: copyKey(key), object: stored, revision });
    bucket.sortedKeys = undefined;
    this.record({ type: 'ADDED', key, object: stored, prev: undefined, revision });
    this.emitMutation({ op: 'put', key, object: stored, revision });
    return stored;
  }

  /**
   * Read-modify-write. `tryUpdate` gets the current object and returns the next one, or
   * `NO_CHANGE`. Preconditions (uid, resourceVersion) are checked against the current object.
   * Single-threaded, so there is nothing to retry: the callback always sees the latest state.
   */
  guaranteedUpdate(
    key: ObjectKey,
    tryUpdate: (current: KubeObject) => KubeObject | typeof NO_CHANGE,
    preconditions?: Preconditions,
  ): KubeObject {
    const bucket = this.buckets.get(key.resource);
    const k = entryKey(key.namespace, key.name);
    const entry = bucket?.entries.get(k);
    if (!bucket || !entry) throw new StoreError('NotFound', `${key.name} not found`);
    checkPreconditions(entry.object, preconditions);
    const next = tryUpdate(entry.object);
    if (next === NO_CHANGE) return entry.object;
    const revision = ++this.currentRevision;
    const stored = withRevision(next, revision);
    bucket.entries.set(k, { key: entry.key, object: stored, revision });
    this.record({ type: 'MODIFIED', key, object: stored, prev: entry.object, revision });
    this.emitMutation({ op: 'put', key, object: stored, revision });
    return stored;
  }

  /** Removes an object; returns its last state, stamped with the deletion's revision. */
  delete(key: ObjectKey, preconditions?: Preconditions): KubeObject {
    const bucket = this.buckets.get(key.resource);
    const k = entryKey(key.namespace, key.name);
    const entry = bucket?.entries.get(k);
    if (!bucket || !entry) throw new StoreError('NotFound', `${key.name} not found`);
    checkPreconditions(entry.object, preconditions);
    const revision = ++this.currentRevision;
    bucket.entries.delete(k);
    bucket.sortedKeys = undefined;
    const last = withRevision(entry.object, revision);
    this.record({ type: 'DELETED', key, object: last, prev: entry.object, revision });
    this.emitMutation({ op: 'delete', key, object: last, revision });
    return last;
  }

  /**
   * Starts a watch. Throws `StoreError('Expired')` when `sinceRevision` is older than the
   * history holds — the 410 Gone of upstream's watch cache ("too old resource version").
   */
  watch(options: WatchOptions, sink: WatchSink): Watch {
    const since = options.sinceRevision;
    const replay: StoreEvent[] = [];
    if (since === undefined || since === 0) {
      const { items } = this.list(options.resource, options.namespace || undefined);
      for (const object of items) {
        const metadata = object.metadata;
        replay.push({
          type: 'ADDED',
          key: {
            resource: options.resource,
            namespace: metadata.namespace ?? '',
            name: metadata.name ?? '',
          },
          object,
          prev: undefined,
          revision: Number(metadata.resourceVersion),
        });
      }
    } else {
      if (since < this.oldestWatchableRevision) {
        throw new StoreError(
          'Expired',
          `too old resource version: ${since} (${this.oldestWatchableRevision})`,
        );
      }
      for (let i = this.historyStart; i < this.history.length; i++) {
        const event = this.history[i]!;
        if (event.revision > since && this.matches(options, event)) replay.push(event);
      }
    }
    // The replay covers everything up to now, including events still queued for delivery.
    const watcher: Watcher = { options, sink, replayedUpTo: this.currentRevision, stopped: false };
    this.watchers.add(watcher);
    const handle: Watch = {
      stop: () => this.stopWatcher(watcher),
      get stopped() {
        return watcher.stopped;
      },
    };
    for (const event of replay) {
      if (watcher.stopped) break;
      if (sink(event) === false) {
        this.closeWatcher(watcher, 'watcher fell behind');
        break;
      }
    }
    return handle;
  }

  /** Number of open watches (for tests and diagnostics). */
  get watcherCount(): number {
    return this.watchers.size;
  }

  /** Closes every watch (server shutdown). */
  closeAllWatches(reason: string): void {
    for (const watcher of [...this.watchers]) this.closeWatcher(watcher, reason);
  }

  /**
   * Resolves when every write applied so far is durable. The HTTP layer awaits it before it
   * answers a write, so a client is never told "created" about something a crash could lose.
   * Memory holds nothing across a restart, so for this store "durable" is "applied": at once.
   */
  flushed(): Promise<void> {
    return Promise.resolve();
  }

  /** Every stored object with its key, bucket by bucket in no set order (for snapshots). */
  *entries(): IterableIterator<{ readonly key: ObjectKey; readonly object: KubeObject }> {
    for (const bucket of this.buckets.values()) {
      for (const entry of bucket.entries.values()) yield { key: entry.key, object: entry.object };
    }
  }

  /**
   * Puts back an object exactly as it was stored before a restart (persistence replaying its
   * snapshot and log): same resourceVersion, deep-frozen, no new revision, no watch event.
   * Call before serving; `startRevision` must already cover its resourceVersion.
   */
  protected restore(key: ObjectKey, object: KubeObject): void {
    const revision = Number(object.metadata.resourceVersion);
    if (!Number.isSafeInteger(revision) || revision < 1 || revision > this.currentRevision) {
      throw new Error(
        `cannot restore ${key.resource} ${key.namespace}/${key.name}: resourceVersion "${object.metadata.resourceVersion ?? ''}" is not a revision up to ${this.currentRevision}`,
      );
    }
    const bucket = this.bucket(key.resource);
    bucket.entries.set(entryKey(key.namespace, key.name), {
      key: copyKey(key),
      object: deepFreeze(object),
      revision,
    });
    bucket.sortedKeys = undefined;
  }

  /** Delivers queued events now instead of on the next microtask. */
  flush(): void {
    this.flushScheduled = false;
    while (this.pending.length > 0) {
      const event = this.pending.shift()!;
      for (const watcher of [...this.watchers]) {
        if (watcher.stopped) continue;
        if (event.revision <= watcher.replayedUpTo) continue;
        if (!this.matches(watcher.options, event)) continue;
        if (watcher.sink(event) === false) this.closeWatcher(watcher, 'watcher fell behind');
      }
    }
  }

  private matches(options: WatchOptions, event: StoreEvent): boolean {
    if (event.key.resource !== options.resource) return false;
    return !options.namespace || event.key.namespace === options.namespace;
  }

  private bucket(resource: string): Bucket {
    let bucket = this.buckets.get(resource);
    if (!bucket) {
      bucket = { entries: new Map(), sortedKeys: undefined };
      this.buckets.set(resource, bucket);
    }
    return bucket;
  }

  private record(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length - this.historyStart > this.historySize) {
      this.historyStart++;
      if (this.historyStart > 4096 && this.historyStart * 2 > this.history.length) {
        this.history.splice(0, this.historyStart);
        this.historyStart = 0;
      }
    }
    this.pending.push(event);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => {
        if (this.flushScheduled) this.flush();
      });
    }
  }

  private emitMutation(mutation: StoreMutation): void {
    for (const listener of this.mutationListeners) listener(mutation);
  }

  private stopWatcher(watcher: Watcher): void {
    watcher.stopped = true;
    this.watchers.delete(watcher);
  }

  private closeWatcher(watcher: Watcher, reason: string): void {
    if (watcher.stopped) return;
    this.stopWatcher(watcher);
    watcher.options.onClose?.(reason);
  }
}

function checkPreconditions(object: KubeObject, preconditions: Preconditions | undefined): void {
  if (!preconditions) return;
  const { uid, resourceVersion } = preconditions;
  if (uid !== undefined && uid !== object.metadata.uid) {
    throw new StoreError(
      'InvalidPrecondition',
      `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${object.metadata.uid ?? ''}`,
    );
  }
  if (resourceVersion !== undefined && resourceVersion !== object.metadata.resourceVersion) {
    throw new StoreError(
      'InvalidPrecondition',
      `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${object.metadata.resourceVersion ?? ''}`,
    );
  }
}

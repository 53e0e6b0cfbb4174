/**
 * The generic registry (k8s.io/apiserver/pkg/registry/generic/registry/store.go): every write from
 * kubectl and from the controllers goes through here — defaulting, admission, the kind's strategy,
 * validation, generation, graceful deletion and garbage-collection finalizers — before the store.
 */
import type { Clock } from '../../base/clock';
import { randomString, randomUuid, type Random } from '../../base/random';
import { applyDefaults } from '../../kube/defaults';
import { updateManagedFields } from '../../kube/managed-fields';
import { fieldError, go } from '../../kube/field-errors';
import {
  matchFields,
  parseFieldSelector,
  FieldSelectorError,
  type FieldRequirement,
} from '../../kube/fields';
import { everything, parseSelector, SelectorParseError, type Selector } from '../../kube/labels';
import {
  deepCopy,
  deepEqual,
  isPlainObject,
  shareUnchanged,
  type KubeObject,
} from '../../kube/objects';
import { goNormalize } from '../../kube/schema';
import { rfc3339Seconds } from '../../kube/timestamps';
import { apiVersionOf, findResource, type ResourceType } from '../../kube/resources';
import { errors, successStatus, StatusError, type Status } from '../../kube/status';
import { validateCreate, validateUpdate } from '../../kube/validation';
import {
  defaultTolerationSeconds,
  NAME_SUFFIX_ALPHABET,
  namespaceLifecycle,
  priorityAdmission,
  serviceAccountAdmission,
  type AdmissionContext,
} from '../admission';
import {
  NO_CHANGE,
  StoreError,
  type MemoryStore,
  type ObjectKey,
  type Preconditions,
  type StoreEvent,
  type Watch,
  type WatchEventType,
} from '../store/store';
import { Interner } from './intern';
import { nextGeneration, strategyFor, type Strategy } from './strategies';
import { copyForUpdate, copyOnRead, settleCopy } from './write-copy';

type Obj = Record<string, unknown>;

export interface RegistryDeps {
  readonly store: MemoryStore;
  readonly clock: Clock;
  readonly random: Random;
  /** How long a paged list's snapshot stays valid for its continue token. */
  readonly continueTtlMs?: number;
}

export interface WriteOptions {
  readonly dryRun?: boolean;
  /** Who writes (metadata.managedFields): the request's fieldManager or User-Agent prefix. */
  readonly fieldManager?: string;
  /** The object's managedFields were made by server-side apply already: keep them. */
  readonly managedFieldsApplied?: boolean;
}

/** The manager of in-process writes that name none. */
export const DEFAULT_FIELD_MANAGER = 'kubelab';

export interface DeleteOptions {
  readonly gracePeriodSeconds?: number;
  readonly propagationPolicy?: string;
  readonly orphanDependents?: boolean;
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
  readonly dryRun?: readonly string[];
}

export interface ListOptions {
  readonly labelSelector?: string | undefined;
  readonly fieldSelector?: string | undefined;
  readonly limit?: number | undefined;
  readonly continue?: string | undefined;
}

export interface ListResult {
  readonly items: readonly KubeObject[];
  readonly resourceVersion: string;
  readonly continue?: string;
  readonly remainingItemCount?: number;
}

export interface WatchEvent {
  readonly type: WatchEventType;
  readonly object: KubeObject;
}

export interface DeleteResult {
  /** What the DELETE answers: the object (pending or returned) or a success Status. */
  readonly body: KubeObject | Status;
  /** True when the object is gone from storage. */
  readonly deleted: boolean;
}

/** A compiled list/watch filter. */
export interface Predicate {
  readonly labels: Selector;
  readonly fields: readonly FieldRequirement[];
  matches(object: KubeObject): boolean;
}

interface Snapshot {
  readonly items: readonly KubeObject[];
  readonly expires: number;
}

const CONTINUE_VERSION = 'meta.k8s.io/v1';
const EXPIRED_CONTINUE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

function base64UrlEncode(text: string): string {
  return btoa(String.fromCodePoint(...new TextEncoder().encode(text)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

function base64UrlDecode(text: string): string {
  const padded = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(padded + '='.repeat((4 - (padded.length % 4)) % 4));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.codePointAt(0)!));
}

/** The store bucket of a resource type, e.g. `apps/daemonsets`, `/pods`. */
export function bucketOf(type: ResourceType): string {
  return `${type.group}/${type.plural}`;
}

function keyOf(type: ResourceType, namespace: string, name: string): ObjectKey {
  return { resource: bucketOf(type), namespace: type.namespaced ? namespace : '', name };
}

function gr(type: ResourceType): { group: string; resource: string } {
  return { group: type.group, resource: type.plural };
}

const isoSeconds = rfc3339Seconds;

/**
 * Compares objects as a write would store them (resourceVersion aside): an update that changes
 * nothing, not even who manages which field, is not written (no new revision, no event).
 */
function sameContent(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject): unknown => ({
    ...o,
    metadata: { ...o.metadata, resourceVersion: undefined },
  });
  return deepEqual(strip(a), strip(b));
}

export class Registry {
  readonly store: MemoryStore;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly continueTtl: number;
  private readonly snapshots = new Map<string, Snapshot>();
  /** What created objects share with objects of their resource created before (intern.ts). */
  private readonly interner = new Interner();

  constructor(deps: RegistryDeps) {
    this.store = deps.store;
    this.clock = deps.clock;
    this.random = deps.random;
    this.continueTtl = deps.continueTtlMs ?? 5 * 60_000;
  }

  private get admission(): AdmissionContext {
    return { store: this.store, random: this.random };
  }

  /** Now, as Kubernetes writes timestamps (RFC 3339, whole seconds, UTC). */
  now(): string {
    return isoSeconds(this.clock.now());
  }

  // -------------------------------------------------------------------------------------------
  // Reads

  get(type: ResourceType, namespace: string, name: string): KubeObject {
    const object = this.store.get(keyOf(type, namespace, name));
    if (!object) throw errors.notFound(gr(type), name);
    return object;
  }

  /** Compiles label and field selectors (400 on bad syntax or an unsupported field). */
  predicate(type: ResourceType, labelSelector?: string, fieldSelector?: string): Predicate {
    let labels: Selector = everything;
    let fields: FieldRequirement[] = [];
    try {
      if (labelSelector) labels = parseSelector(labelSelector);
    } catch (error) {
      if (error instanceof SelectorParseError) throw errors.badRequest(error.message);
      throw error;
    }
    try {
      if (fieldSelector) fields = parseFieldSelector(fieldSelector);
    } catch (error) {
      if (error instanceof FieldSelectorError) throw errors.badRequest(error.message);
      throw error;
    }
    const strategy = strategyFor(type);
    const probe = strategy.selectableFields({});
    for (const requirement of fields) {
      if (
        requirement.field !== 'metadata.name' &&
        requirement.field !== 'metadata.namespace' &&
        !Object.hasOwn(probe, requirement.field)
      ) {
        throw errors.badRequest(`field label not supported: ${requirement.field}`);
      }
    }
    return {
      labels,
      fields,
      matches: (object) => {
        if (!labels.empty && !labels.matches(object.metadata.labels)) return false;
        if (fields.length === 0) return true;
        return matchFields(fields, {
          'metadata.name': object.metadata.name ?? '',
          'metadata.namespace': object.metadata.namespace ?? '',
          ...strategy.selectableFields(object as Obj),
        });
      },
    };
  }

  list(type: ResourceType, namespace: string, options: ListOptions = {}): ListResult {
    const predicate = this.predicate(type, options.labelSelector, options.fieldSelector);
    const filtered = predicate.labels.empty && predicate.fields.length === 0;
    const limit = options.limit && options.limit > 0 ? options.limit : undefined;
    let items: readonly KubeObject[];
    let revision: number;
    let start = 0;
    if (options.continue) {
      const token = this.decodeContinue(options.continue);
      revision = token.rv;
      const snapshot = this.snapshots.get(this.snapshotKey(type, namespace, options, token.rv));
      if (!snapshot || snapshot.expires < this.clock.now()) {
        throw this.expiredContinue(token.start);
      }
      items = snapshot.items;
      // The token's start key is the last returned key plus NUL: resume at the first key after
      // it (items are in key order, so a binary search finds it).
      let low = 0;
      let high = items.length;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (this.itemKey(items[mid]!) < token.start) low = mid + 1;
        else high = mid;
      }
      start = low;
    } else {
      const listed = this.store.list(
        bucketOf(type),
        type.namespaced ? namespace || undefined : undefined,
      );
      revision = listed.revision;
      items = filtered ? listed.items : listed.items.filter((o) => predicate.matches(o));
    }
    if (!limit || start + limit >= items.length) {
      return { items: items.slice(start), resourceVersion: String(revision) };
    }
    const page = items.slice(start, start + limit);
    this.pruneSnapshots();
    this.snapshots.set(this.snapshotKey(type, namespace, options, revision), {
      items,
      expires: this.clock.now() + this.continueTtl,
    });
    const last = page[page.length - 1]!;
    const token = base64UrlEncode(
      JSON.stringify({ v: CONTINUE_VERSION, rv: revision, start: `${this.itemKey(last)}\u0000` }),
    );
    const remaining = items.length - start - page.length;
    return {
      items: page,
      resourceVersion: String(revision),
      continue: token,
      ...(filtered ? { remainingItemCount: remaining } : {}),
    };
  }

  private itemKey(object: KubeObject): string {
    return object.metadata.namespace
      ? `${object.metadata.namespace}/${object.metadata.name ?? ''}`
      : (object.metadata.name ?? '');
  }

  private snapshotKey(
    type: ResourceType,
    namespace: string,
    options: ListOptions,
    rv: number,
  ): string {
    return `${bucketOf(type)}|${namespace}|${options.labelSelector ?? ''}|${options.fieldSelector ?? ''}|${rv}`;
  }

  private pruneSnapshots(): void {
    const now = this.clock.now();
    for (const [key, snapshot] of this.snapshots)
      if (snapshot.expires < now) this.snapshots.delete(key);
    while (this.snapshots.size > 32) this.snapshots.delete(this.snapshots.keys().next().value!);
  }

  private decodeContinue(token: string): { rv: number; start: string } {
    let parsed: { v?: unknown; rv?: unknown; start?: unknown };
    try {
      parsed = JSON.parse(base64UrlDecode(token)) as typeof parsed;
    } catch {
      throw errors.badRequest('continue key is not valid: illegal base64 data at input byte 0');
    }
    if (parsed.v !== CONTINUE_VERSION) {
      throw errors.badRequest(
        'continue key is not valid: server does not recognize this encoded version',
      );
    }
    if (typeof parsed.rv !== 'number' || parsed.rv === 0) {
      throw errors.badRequest(
        `continue key is not valid: incorrect encoded start resourceVersion (version ${CONTINUE_VERSION})`,
      );
    }
    if (typeof parsed.start !== 'string' || parsed.start === '') {
      throw errors.badRequest(
        `continue key is not valid: encoded start key empty (version ${CONTINUE_VERSION})`,
      );
    }
    return { rv: parsed.rv, start: parsed.start };
  }

  private expiredContinue(start: string): StatusError {
    const error = errors.resourceExpired(EXPIRED_CONTINUE);
    const token = base64UrlEncode(JSON.stringify({ v: CONTINUE_VERSION, rv: -1, start }));
    (error.status as unknown as { metadata: Record<string, string> }).metadata = {
      continue: token,
    };
    return error;
  }

  // -------------------------------------------------------------------------------------------
  // Watch

  /**
   * Watches a resource. Events pass the predicate the way the watch cache does: an object that
   * starts matching is ADDED, one that stops matching is DELETED (its previous state, at the
   * event's revision). Throws Expired (410) when `sinceRevision` is too old.
   */
  watch(
    type: ResourceType,
    namespace: string,
    options: {
      sinceRevision?: number | undefined;
      predicate: Predicate;
      onClose?: (reason: string) => void;
    },
    sink: (event: WatchEvent) => boolean | void,
  ): Watch {
    const { predicate } = options;
    const deliver = (event: StoreEvent): boolean | void => {
      const now = predicate.matches(event.object);
      switch (event.type) {
        case 'ADDED':
          return now ? sink({ type: 'ADDED', object: event.object }) : true;
        case 'DELETED':
          return now ? sink({ type: 'DELETED', object: event.object }) : true;
        case 'MODIFIED': {
          const before = event.prev !== undefined && predicate.matches(event.prev);
          if (now && before) return sink({ type: 'MODIFIED', object: event.object });
          if (now) return sink({ type: 'ADDED', object: event.object });
          if (before) {
            const prev = event.prev!;
            return sink({
              type: 'DELETED',
              object: {
                ...prev,
                metadata: { ...prev.metadata, resourceVersion: String(event.revision) },
              },
            });
          }
          return true;
        }
      }
    };
    try {
      return this.store.watch(
        {
          resource: bucketOf(type),
          namespace: type.namespaced ? namespace || undefined : undefined,
          sinceRevision: options.sinceRevision,
          ...(options.onClose ? { onClose: options.onClose } : {}),
        },
        deliver,
      );
    } catch (error) {
      if (error instanceof StoreError && error.code === 'Expired')
        throw errors.resourceExpired(error.message);
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Create

  create(
    type: ResourceType,
    namespace: string,
    input: KubeObject,
    options: WriteOptions = {},
  ): KubeObject {
    const strategy = strategyFor(type);
    const object = this.prepareNew(type, namespace, input);
    // Field ownership is decided before admission: what admission adds belongs to no manager.
    if (options.managedFieldsApplied && input.metadata?.managedFields) {
      object.metadata.managedFields = deepCopy(input.metadata.managedFields);
    }
    this.trackFields(type, undefined, object, options, undefined);
    this.admitCreate(type, object);
    strategy.prepareForCreate(object as Obj);
    if (strategy.generation !== 'none') object.metadata.generation = 1;
    else delete object.metadata.generation;
    goNormalize(object, type.schema);
    this.validateNew(type, object);
    if (options.dryRun) return object;
    const key = keyOf(type, namespace, object.metadata.name!);
    this.interner.share(key.resource, object);
    try {
      return this.store.create(key, object);
    } catch (error) {
      if (error instanceof StoreError && error.code === 'AlreadyExists') {
        throw errors.alreadyExists(gr(type), object.metadata.name!);
      }
      throw error;
    }
  }

  /** Copies the input and fills what a create decides: type meta, namespace, defaults, system fields. */
  private prepareNew(type: ResourceType, namespace: string, input: KubeObject): KubeObject {
    const object = deepCopy(input);
    object.apiVersion = apiVersionOf(type);
    object.kind = type.kind;
    object.metadata = isPlainObject(object.metadata) ? object.metadata : {};
    const meta = object.metadata;
    if (type.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace) {
        throw errors.badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      meta.namespace = meta.namespace || namespace;
    } else {
      delete meta.namespace;
    }
    if (meta.resourceVersion)
      throw errors.plain('resourceVersion should not be set on objects to be created');
    applyDefaults(object);
    if (!meta.name && meta.generateName) {
      // Joined, so the name is one flat string, not a rope kept with the object (randomString).
      meta.name = [
        meta.generateName.slice(0, 58),
        randomString(this.random, NAME_SUFFIX_ALPHABET, 5),
      ].join('');
    }
    meta.uid = randomUuid(this.random);
    meta.creationTimestamp = this.now();
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.selfLink;
    delete meta.managedFields;
    return object;
  }

  /**
   * Sets `metadata.managedFields` for a create or update (FieldManager.UpdateNoErrors): fields the
   * write added or changed now belong to its manager. Server-side apply computed them already.
   */
  private trackFields(
    type: ResourceType,
    live: KubeObject | undefined,
    next: KubeObject,
    options: WriteOptions,
    subresource: string | undefined,
  ): void {
    if (options.managedFieldsApplied) return;
    const entries = updateManagedFields({
      live,
      next,
      schemaName: type.schema,
      manager: options.fieldManager || DEFAULT_FIELD_MANAGER,
      apiVersion: apiVersionOf(type),
      ...(subresource ? { subresource } : {}),
      now: this.now(),
    });
    if (entries)
      next.metadata.managedFields = entries as unknown as typeof next.metadata.managedFields;
    else delete next.metadata.managedFields;
  }

  private admitCreate(type: ResourceType, object: KubeObject): void {
    namespaceLifecycle(
      this.admission,
      type,
      'CREATE',
      object.metadata.namespace ?? '',
      object.metadata.name ?? object.metadata.generateName ?? '',
    );
    if (type.group === '' && type.plural === 'pods') {
      serviceAccountAdmission(this.admission, object);
      priorityAdmission(object);
      defaultTolerationSeconds(object);
    }
    if (type.group === '' && type.plural === 'services') this.allocateServiceAddresses(object);
  }

  /**
   * The service registry's allocators (pkg/registry/core/service/storage/alloc.go): a cluster IP
   * from kind's service range 10.96.0.0/16 and, for NodePort and LoadBalancer services, node
   * ports from 30000-32767; IPv4 single-stack family fields.
   */
  private allocateServiceAddresses(service: KubeObject): void {
    const spec = isPlainObject(service.spec) ? service.spec : {};
    service.spec = spec;
    if (spec.type === 'ExternalName') return;
    const used = new Set<string>();
    const usedPorts = new Set<number>();
    for (const existing of this.store.list('/services').items) {
      const existingSpec = isPlainObject(existing.spec) ? existing.spec : {};
      if (typeof existingSpec.clusterIP === 'string') used.add(existingSpec.clusterIP);
      for (const port of Array.isArray(existingSpec.ports) ? (existingSpec.ports as Obj[]) : []) {
        if (typeof port.nodePort === 'number') usedPorts.add(port.nodePort);
      }
    }
    if (spec.clusterIP === undefined || spec.clusterIP === '') {
      let address: string;
      do {
        const n = 2 + Math.floor(this.random.next() * 65_532);
        address = `10.96.${n >> 8}.${n & 0xff}`;
      } while (used.has(address) || address === '10.96.0.10');
      spec.clusterIP = address;
    }
    if (!Array.isArray(spec.clusterIPs) || spec.clusterIPs.length === 0)
      spec.clusterIPs = [spec.clusterIP];
    if (spec.ipFamilies === undefined) spec.ipFamilies = ['IPv4'];
    if (spec.ipFamilyPolicy === undefined) spec.ipFamilyPolicy = 'SingleStack';
    if (
      spec.type === 'NodePort' ||
      (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false)
    ) {
      for (const port of Array.isArray(spec.ports) ? (spec.ports as Obj[]) : []) {
        if (port.nodePort) continue;
        let candidate: number;
        do candidate = 30000 + Math.floor(this.random.next() * 2768);
        while (usedPorts.has(candidate));
        usedPorts.add(candidate);
        port.nodePort = candidate;
      }
    }
  }

  private validateNew(type: ResourceType, object: KubeObject): void {
    const problems = validateCreate(object, type.namespaced);
    if (problems.length)
      throw errors.invalid(
        { group: type.group, kind: type.kind },
        object.metadata.name ?? '',
        problems,
      );
  }

  // -------------------------------------------------------------------------------------------
  // Update

  /**
   * PUT (and the tail of PATCH): replaces the object, or its status when `subresource` is
   * `status`. Returns the stored object and whether it was created.
   */
  update(
    type: ResourceType,
    namespace: string,
    name: string,
    input: KubeObject,
    options: WriteOptions & { readonly subresource?: 'status' | 'finalize' } = {},
  ): { object: KubeObject; created: boolean } {
    const strategy = strategyFor(type);
    const key = keyOf(type, namespace, name);
    const current = this.store.get(key);
    // What the input shares with the stored object is not copied (see write-copy.ts).
    const incoming = current ? copyForUpdate(input, current) : deepCopy(input);
    incoming.apiVersion = apiVersionOf(type);
    incoming.kind = type.kind;
    incoming.metadata = isPlainObject(incoming.metadata) ? incoming.metadata : {};
    if (incoming.metadata.name !== undefined && incoming.metadata.name !== name) {
      throw errors.badRequest(
        `the name of the object (${incoming.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    incoming.metadata.name = name;
    if (type.namespaced) {
      if (incoming.metadata.namespace && incoming.metadata.namespace !== namespace) {
        throw errors.badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      incoming.metadata.namespace = namespace;
    } else {
      delete incoming.metadata.namespace;
    }
    if (!current) {
      if (!strategy.allowCreateOnUpdate || options.subresource)
        throw errors.notFound(gr(type), name);
      const rest = { ...incoming, metadata: { ...incoming.metadata } };
      delete rest.metadata.resourceVersion;
      return { object: this.create(type, namespace, rest, options), created: true };
    }
    const requested = incoming.metadata.resourceVersion;
    if (!requested && !strategy.allowUnconditionalUpdate && !options.subresource) {
      throw errors.invalid({ group: type.group, kind: type.plural }, name, [
        fieldError.invalid(
          'metadata.resourceVersion',
          go.raw('0x0'),
          'must be specified for an update',
        ),
      ]);
    }
    if (requested && requested !== current.metadata.resourceVersion) {
      throw errors.updateConflict(gr(type), name);
    }
    applyDefaults(incoming);
    goNormalize(incoming, type.schema);
    // From here on nothing changes below the first level: share what the write leaves as it was.
    shareUnchanged(incoming, current);
    this.trackFields(type, current, incoming, options, options.subresource);
    const next = this.prepareUpdate(type, strategy, incoming, current, options.subresource);
    return { object: this.commitUpdate(type, key, next, current, options), created: false };
  }

  private prepareUpdate(
    type: ResourceType,
    strategy: Strategy,
    incoming: KubeObject,
    current: KubeObject,
    subresource: 'status' | 'finalize' | undefined,
  ): KubeObject {
    const meta = incoming.metadata;
    const old = current.metadata;
    meta.uid = old.uid;
    meta.creationTimestamp = old.creationTimestamp;
    if (old.deletionTimestamp) meta.deletionTimestamp = old.deletionTimestamp;
    else delete meta.deletionTimestamp;
    if (old.deletionGracePeriodSeconds !== undefined)
      meta.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds;
    else delete meta.deletionGracePeriodSeconds;
    if (old.generation !== undefined) meta.generation = old.generation;
    else delete meta.generation;
    if (subresource === 'status') {
      strategy.prepareForStatusUpdate(incoming as Obj, current as Obj);
    } else if (subresource === 'finalize') {
      // namespaces/finalize: only spec.finalizers change.
      const spec = isPlainObject(incoming.spec) ? incoming.spec : {};
      incoming.spec = {
        ...(isPlainObject(current.spec) ? current.spec : {}),
        finalizers: spec.finalizers,
      };
      if (spec.finalizers === undefined) delete (incoming.spec as Obj).finalizers;
      (incoming as Obj).status = (current as Obj).status;
    } else {
      strategy.prepareForUpdate(incoming as Obj, current as Obj);
      const generation = nextGeneration(strategy, incoming, current);
      if (generation !== undefined) meta.generation = generation;
      if (type.group === '' && type.plural === 'pods') {
        priorityAdmission(incoming, current);
        defaultTolerationSeconds(incoming);
      }
    }
    const problems = validateUpdate(incoming, current);
    if (problems.length)
      throw errors.invalid({ group: type.group, kind: type.kind }, meta.name ?? '', problems);
    return incoming;
  }

  private commitUpdate(
    type: ResourceType,
    key: ObjectKey,
    next: KubeObject,
    current: KubeObject,
    options: WriteOptions,
  ): KubeObject {
    if (sameContent(next, current)) return current;
    const finalized =
      current.metadata.deletionTimestamp !== undefined &&
      (next.metadata.finalizers ?? []).length === 0 &&
      (current.metadata.deletionGracePeriodSeconds ?? 0) === 0;
    if (options.dryRun)
      return {
        ...next,
        metadata: { ...next.metadata, resourceVersion: current.metadata.resourceVersion },
      };
    if (finalized) {
      // The last finalizer is gone from an object being deleted: it is deleted now.
      this.store.delete(key);
      return next;
    }
    return this.store.guaranteedUpdate(key, () => next, {
      resourceVersion: current.metadata.resourceVersion,
    });
  }

  /**
   * Read-modify-write for in-process callers (controllers, patch handlers): `mutate` gets a copy
   * of the current object and returns the object to store, or `NO_CHANGE`.
   */
  modify(
    type: ResourceType,
    namespace: string,
    name: string,
    mutate: (copy: KubeObject) => KubeObject | typeof NO_CHANGE,
    options: WriteOptions & { readonly subresource?: 'status' | 'finalize' } = {},
  ): KubeObject {
    const current = this.get(type, namespace, name);
    // Copied as the callback reads it: a status write copies neither spec nor metadata.
    const copy = copyOnRead(current);
    const next = mutate(copy);
    if (next === NO_CHANGE) return current;
    settleCopy(next);
    const metadata = isPlainObject(next.metadata) ? next.metadata : {};
    return this.update(
      type,
      namespace,
      name,
      {
        ...next,
        metadata: { ...metadata, resourceVersion: current.metadata.resourceVersion },
      },
      options,
    ).object;
  }

  /**
   * pods/binding (BindingREST.Create → assignPod → setPodHostAndAnnotations): sets a pod's
   * `spec.nodeName` — which a pod update may not change — adds the binding's annotations and the
   * PodScheduled=True condition, straight through storage like upstream. Refuses a pod that is
   * bound already, being deleted, or not the one the binding's uid names.
   */
  bind(namespace: string, binding: KubeObject): KubeObject {
    const pods = findResource('', 'v1', 'pods')!;
    const name = binding.metadata.name ?? '';
    const target = isPlainObject((binding as Obj).target) ? ((binding as Obj).target as Obj) : {};
    const node = typeof target.name === 'string' ? target.name : '';
    // ValidatePodBinding.
    const problems = [];
    if (!node) problems.push(fieldError.required('target.name'));
    if (target.kind !== undefined && target.kind !== '' && target.kind !== 'Node') {
      problems.push(
        fieldError.notSupported('target.kind', go.string(String(target.kind)), ['Node', '<empty>']),
      );
    }
    if (problems.length) throw errors.invalid({ group: '', kind: 'Binding' }, name, problems);
    const conflict = (message: string): StatusError =>
      errors.conflict({ group: '', resource: 'pods/binding' }, name, message);
    const key = keyOf(pods, namespace, name);
    const current = this.store.get(key);
    if (!current) throw errors.notFound(gr(pods), name);
    if (binding.metadata.uid && binding.metadata.uid !== current.metadata.uid) {
      throw errors.conflict(
        gr(pods),
        name,
        `Precondition failed: UID in precondition: ${binding.metadata.uid}, UID in object meta: ${current.metadata.uid ?? ''}`,
      );
    }
    const wantedVersion = binding.metadata.resourceVersion;
    if (wantedVersion && wantedVersion !== current.metadata.resourceVersion) {
      throw errors.updateConflict(gr(pods), name);
    }
    if (current.metadata.deletionTimestamp) {
      throw conflict(`pod ${name} is being deleted, cannot be assigned to a host`);
    }
    const currentSpec = isPlainObject(current.spec) ? current.spec : undefined;
    if (currentSpec?.nodeName) {
      throw conflict(
        `pod ${name} is already assigned to node ${JSON.stringify(currentSpec.nodeName)}`,
      );
    }
    if (Array.isArray(currentSpec?.schedulingGates) && currentSpec.schedulingGates.length > 0) {
      throw conflict(`pod ${name} has non-empty .spec.schedulingGates`);
    }
    // The pod as stored with the binding's changes; what it does not change stays shared (and
    // frozen) with the stored pod.
    const pod: KubeObject = { ...current, metadata: { ...current.metadata } };
    pod.spec = { ...currentSpec, nodeName: node };
    if (binding.metadata.annotations) {
      pod.metadata.annotations = { ...pod.metadata.annotations, ...binding.metadata.annotations };
    }
    // podutil.UpdatePodCondition: the PodScheduled condition is replaced where it stands.
    const status = isPlainObject(current.status) ? { ...current.status } : {};
    const conditions = Array.isArray(status.conditions) ? [...(status.conditions as Obj[])] : [];
    const scheduled = {
      type: 'PodScheduled',
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: this.now(),
    };
    const at = conditions.findIndex((c) => c.type === 'PodScheduled');
    if (at >= 0) conditions[at] = scheduled;
    else conditions.push(scheduled);
    status.conditions = conditions;
    (pod as Obj).status = status;
    return this.store.guaranteedUpdate(key, () => pod, {
      resourceVersion: current.metadata.resourceVersion,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Delete

  delete(
    type: ResourceType,
    namespace: string,
    name: string,
    options: DeleteOptions = {},
  ): DeleteResult {
    const strategy = strategyFor(type);
    const key = keyOf(type, namespace, name);
    const current = this.store.get(key);
    if (!current) throw errors.notFound(gr(type), name);
    namespaceLifecycle(this.admission, type, 'DELETE', namespace, name);
    this.checkDeletePreconditions(type, current, options.preconditions);
    if (
      options.propagationPolicy !== undefined &&
      !['Foreground', 'Background', 'Orphan'].includes(options.propagationPolicy)
    ) {
      throw errors.invalid({ group: 'meta.k8s.io', kind: 'DeleteOptions' }, '', [
        fieldError.notSupported('propagationPolicy', go.string(options.propagationPolicy), [
          'Foreground',
          'Background',
          'Orphan',
        ]),
      ]);
    }
    const dryRun = (options.dryRun ?? []).includes('All');
    if (type.group === '' && type.plural === 'namespaces')
      return this.deleteNamespace(type, strategy, key, current, dryRun);
    const grace = strategy.graceful ? this.podGracePeriod(current, options.gracePeriodSeconds) : 0;
    const meta = current.metadata;
    const finalizers = this.gcFinalizers(meta.finalizers ?? [], options);
    if (meta.deletionTimestamp) {
      // Already being deleted: only a shorter grace period changes anything.
      const pendingGrace = meta.deletionGracePeriodSeconds ?? 0;
      if (pendingGrace > 0 && grace < pendingGrace && strategy.graceful) {
        const deadline = Date.parse(meta.deletionTimestamp) - pendingGrace * 1000 + grace * 1000;
        if (grace === 0 && finalizers.length === 0)
          return this.remove(type, strategy, key, current, dryRun);
        return this.markDeleting(
          type,
          key,
          current,
          grace,
          finalizers,
          dryRun,
          isoSeconds(deadline),
        );
      }
      if (pendingGrace === 0 && finalizers.length === 0)
        return this.remove(type, strategy, key, current, dryRun);
      if (!deepEqual(finalizers, meta.finalizers ?? [])) {
        return this.markDeleting(
          type,
          key,
          current,
          pendingGrace,
          finalizers,
          dryRun,
          meta.deletionTimestamp,
        );
      }
      return { body: current, deleted: false };
    }
    if (grace > 0 || finalizers.length > 0) {
      return this.markDeleting(
        type,
        key,
        current,
        grace,
        finalizers,
        dryRun,
        isoSeconds(this.clock.now() + grace * 1000),
      );
    }
    return this.remove(type, strategy, key, current, dryRun);
  }

  /**
   * Namespaces (pkg/registry/core/namespace/storage.go Delete): while `spec.finalizers` remain,
   * deleting one only marks it Terminating; the namespace controller empties it and finalizes it.
   */
  private deleteNamespace(
    type: ResourceType,
    strategy: Strategy,
    key: ObjectKey,
    current: KubeObject,
    dryRun: boolean,
  ): DeleteResult {
    const spec = isPlainObject(current.spec) ? current.spec : {};
    const specFinalizers = Array.isArray(spec.finalizers) ? spec.finalizers : [];
    const metaFinalizers = current.metadata.finalizers ?? [];
    if (current.metadata.deletionTimestamp) {
      if (specFinalizers.length === 0 && metaFinalizers.length === 0)
        return this.remove(type, strategy, key, current, dryRun);
      throw errors.conflict(
        { group: '', resource: 'namespaces' },
        current.metadata.name ?? '',
        'The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.',
      );
    }
    if (specFinalizers.length === 0 && metaFinalizers.length === 0)
      return this.remove(type, strategy, key, current, dryRun);
    const next: KubeObject = {
      ...current,
      metadata: {
        ...current.metadata,
        deletionTimestamp: this.now(),
        deletionGracePeriodSeconds: 0,
      },
      status: { ...(isPlainObject(current.status) ? current.status : {}), phase: 'Terminating' },
    };
    if (dryRun) return { body: next, deleted: false };
    return { body: this.store.guaranteedUpdate(key, () => next), deleted: false };
  }

  private checkDeletePreconditions(
    type: ResourceType,
    current: KubeObject,
    preconditions: DeleteOptions['preconditions'],
  ): void {
    if (!preconditions) return;
    const target = { group: type.group, resource: type.kind };
    const name = current.metadata.name ?? '';
    if (preconditions.uid !== undefined && preconditions.uid !== current.metadata.uid) {
      throw errors.conflict(
        target,
        name,
        `the UID in the precondition (${preconditions.uid}) does not match the UID in record (${current.metadata.uid ?? ''}). The object might have been deleted and then recreated`,
      );
    }
    if (
      preconditions.resourceVersion !== undefined &&
      preconditions.resourceVersion !== current.metadata.resourceVersion
    ) {
      throw errors.conflict(
        target,
        name,
        `the ResourceVersion in the precondition (${preconditions.resourceVersion}) does not match the ResourceVersion in record (${current.metadata.resourceVersion ?? ''}). The object might have been modified`,
      );
    }
  }

  /** pods CheckGracefulDelete. */
  private podGracePeriod(pod: KubeObject, requested: number | undefined): number {
    const spec = isPlainObject(pod.spec) ? pod.spec : {};
    const status = isPlainObject(pod.status) ? pod.status : {};
    let grace =
      requested ??
      (typeof spec.terminationGracePeriodSeconds === 'number'
        ? spec.terminationGracePeriodSeconds
        : 0);
    if (!spec.nodeName || status.phase === 'Succeeded' || status.phase === 'Failed') grace = 0;
    if (grace < 0) grace = 1;
    return grace;
  }

  /** deletionFinalizersForGarbageCollection: orphan / foregroundDeletion per the options. */
  private gcFinalizers(existing: readonly string[], options: DeleteOptions): string[] {
    let orphan: boolean | undefined;
    let foreground: boolean | undefined;
    if (options.orphanDependents !== undefined) {
      orphan = options.orphanDependents;
      foreground = false;
    } else if (options.propagationPolicy === 'Orphan') {
      orphan = true;
      foreground = false;
    } else if (options.propagationPolicy === 'Foreground') {
      orphan = false;
      foreground = true;
    } else if (options.propagationPolicy === 'Background') {
      orphan = false;
      foreground = false;
    }
    let result = [...existing];
    const set = (name: string, on: boolean | undefined): void => {
      if (on === true && !result.includes(name)) result.push(name);
      if (on === false) result = result.filter((f) => f !== name);
    };
    set('orphan', orphan);
    set('foregroundDeletion', foreground);
    return result;
  }

  private markDeleting(
    type: ResourceType,
    key: ObjectKey,
    current: KubeObject,
    grace: number,
    finalizers: string[],
    dryRun: boolean,
    deletionTimestamp: string,
  ): DeleteResult {
    const next: KubeObject = {
      ...current,
      metadata: {
        ...current.metadata,
        deletionTimestamp,
        deletionGracePeriodSeconds: grace,
        ...(finalizers.length ? { finalizers } : {}),
      },
    };
    if (!finalizers.length) delete next.metadata.finalizers;
    if (!current.metadata.deletionTimestamp && (current.metadata.generation ?? 0) > 0) {
      next.metadata.generation = current.metadata.generation! + 1;
    }
    if (dryRun) return { body: next, deleted: false };
    return { body: this.store.guaranteedUpdate(key, () => next), deleted: false };
  }

  private remove(
    type: ResourceType,
    strategy: Strategy,
    key: ObjectKey,
    current: KubeObject,
    dryRun: boolean,
  ): DeleteResult {
    const last = dryRun ? current : this.store.delete(key);
    if (strategy.returnDeletedObject) return { body: last, deleted: true };
    return {
      body: successStatus({
        name: current.metadata.name ?? '',
        ...(type.group ? { group: type.group } : {}),
        kind: type.plural,
        uid: current.metadata.uid ?? '',
      }),
      deleted: true,
    };
  }

  /** DELETE on a collection: each matching object deleted as DELETE would; the list as it was. */
  deleteCollection(
    type: ResourceType,
    namespace: string,
    list: ListOptions,
    options: DeleteOptions,
  ): readonly KubeObject[] {
    const { items } = this.list(type, namespace, {
      labelSelector: list.labelSelector,
      fieldSelector: list.fieldSelector,
    });
    for (const item of items) {
      try {
        this.delete(type, item.metadata.namespace ?? '', item.metadata.name ?? '', options);
      } catch (error) {
        if (!(error instanceof StatusError && error.code === 404)) throw error;
      }
    }
    return items;
  }

  /** Deletes a Kubernetes object immediately, ignoring grace (kubelet's final delete). */
  forceDelete(type: ResourceType, namespace: string, name: string, uid?: string): void {
    this.delete(type, namespace, name, {
      gracePeriodSeconds: 0,
      ...(uid ? { preconditions: { uid } } : {}),
    });
  }

  /** Preconditions for store operations (used by subresource handlers). */
  static preconditions(uid?: string, resourceVersion?: string): Preconditions {
    return { ...(uid ? { uid } : {}), ...(resourceVersion ? { resourceVersion } : {}) };
  }
}

export { NO_CHANGE };

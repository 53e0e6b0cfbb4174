/**
 * The resource endpoints: list, watch, get, create, update, patch, delete and deletecollection,
 * and the subresources kubectl uses (status, scale, binding, eviction, log; exec, attach and
 * port-forward answer that the embedded cluster runs no containers).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../base/clock';
import { decodeAgainstSchema } from '../../kube/schema';
import { fieldError, go } from '../../kube/field-errors';
import { labelSelectorAsSelector } from '../../kube/labels';
import { deepCopy, isPlainObject, type KubeObject } from '../../kube/objects';
import { GENERIC_422, PatchError } from '../../kube/patch/errors';
import { applyJsonPatch } from '../../kube/patch/json-patch';
import { jsonMergePatch } from '../../kube/patch/merge-patch';
import { goMapString, strategicMergePatch } from '../../kube/patch/strategic';
import { apiVersionOf, findResource, type ResourceType } from '../../kube/resources';
import { parseGoDuration } from '../../kube/duration';
import { captureSnapshot, restoreSnapshot, type ClusterSnapshot } from '../snapshots';
import { applyConfiguration, managerOrUserAgent } from '../../kube/managed-fields';
import { shiftTimestamps } from '../../kube/timestamps';
import { MAX_ADVANCE_MS } from '../../kube/simulator-types';
import { errors, StatusError, successStatus } from '../../kube/status';
import { bucketOf, type DeleteOptions, type Registry } from '../registry/registry';
import { parseJson, parseStructured, readBody } from './body';
import { parseMediaType, wantsTable, type MediaType } from './negotiate';
import { decodeProtobufObject, decodeProtobufDeleteOptions } from './protobuf';
import { RawJson, type ObjectJson } from './json-cache';
import { parseIncludeObject, toTableJson } from './tables';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});

/** What the cluster layer provides for pods: logs of simulated containers. */
export interface PodRuntime {
  /** The log text of a container, or a StatusError explaining why there is none. */
  logs(pod: KubeObject, container: string, options: LogOptions): string;
}

export interface LogOptions {
  readonly previous: boolean;
  readonly tailLines?: number;
  readonly timestamps: boolean;
  readonly sinceSeconds?: number;
  readonly limitBytes?: number;
}

export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly query: URLSearchParams;
  readonly accept: readonly MediaType[];
  readonly warnings: string[];
}

/** A clock that can jump forward, firing what falls due on the way (SimulatedClock, FakeClock). */
export interface AdvanceableClock {
  /** May resolve later: the embedded cluster steps, letting its controllers act on the way. */
  advance(ms: number): void | Promise<void>;
  /** How far (ms) the clock has been advanced in all: what clients' timestamps are shifted by. */
  readonly offset: number;
}

export interface ResourceHandlerDeps {
  readonly registry: Registry;
  readonly clock: Clock;
  readonly runtime?: PodRuntime;
  readonly advanceableClock?: AdvanceableClock;
  readonly json: ObjectJson;
  readonly send: (exchange: Exchange, status: number, body: unknown) => void;
  readonly watch: (exchange: Exchange, type: ResourceType, namespace: string) => void;
}

const WRITE_MEDIA = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const PATCH_MEDIA = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

/** A custom resource takes no strategic merge patch (it has no patch metadata). */
const CUSTOM_PATCH_MEDIA = PATCH_MEDIA.filter(
  (m) => m !== 'application/strategic-merge-patch+json',
);
const CUSTOM_WRITE_MEDIA = WRITE_MEDIA.filter((m) => m !== 'application/vnd.kubernetes.protobuf');

/** RFC 3339 to the second, as Kubernetes writes times. */
function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * The manager of a write: the `fieldManager` parameter (at most 128 bytes), else the prefix of
 * the User-Agent (managerOrUserAgent), as the apiserver's handlers do.
 */
function fieldManagerOf(exchange: Exchange, optionsKind: string): string {
  const given = exchange.query.get('fieldManager') ?? undefined;
  if (given !== undefined && Buffer.byteLength(given) > 128) {
    throw errors.invalid({ group: 'meta.k8s.io', kind: optionsKind }, '', [
      fieldError.tooLong('fieldManager', 128),
    ]);
  }
  return managerOrUserAgent(given, String(exchange.req.headers['user-agent'] ?? ''));
}

/** A client's object brought into cluster time (see json-cache.ts). */
function shiftIn(json: ObjectJson, type: ResourceType, object: KubeObject): KubeObject {
  const shift = json.shift();
  return shift === 0 ? object : shiftTimestamps(object, type.schema, shift);
}

type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

function fieldValidation(query: URLSearchParams, kind: string): FieldValidation {
  const value = query.get('fieldValidation') ?? '';
  if (value === '' || value === 'Warn') return 'Warn';
  if (value === 'Strict' || value === 'Ignore') return value;
  throw errors.invalid({ group: 'meta.k8s.io', kind }, '', [
    fieldError.notSupported('fieldValidation', go.string(value), ['', 'Ignore', 'Warn', 'Strict']),
  ]);
}

function dryRun(query: URLSearchParams, kind: string): boolean {
  const values = query.getAll('dryRun');
  for (const value of values) {
    if (value !== 'All') {
      throw errors.invalid({ group: 'meta.k8s.io', kind }, '', [
        fieldError.notSupported('dryRun', go.string(value), ['All']),
      ]);
    }
  }
  return values.length > 0;
}

function intParam(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  if (!/^-?\d+$/.test(value))
    throw errors.badRequest(`invalid value for ${name}: ${JSON.stringify(value)}`);
  return Number(value);
}

function boolParam(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  return value === 'true' || value === '1' || value === '';
}

/** The Go-style version name a decode error names (`Deployment in version "v1"`). */
function cannotHandle(type: ResourceType, detail: string): StatusError {
  return errors.badRequest(
    `${type.kind} in version ${JSON.stringify(type.version)} cannot be handled as a ${type.kind}: ${detail}`,
  );
}

export class ResourceHandlers {
  /** Saved states of kubelab.dev Snapshots, by the Snapshot's uid (memory only). */
  private readonly snapshots = new Map<string, ClusterSnapshot>();

  constructor(private readonly deps: ResourceHandlerDeps) {}

  private get registry(): Registry {
    return this.deps.registry;
  }

  async handle(
    exchange: Exchange,
    type: ResourceType,
    namespace: string,
    name: string | undefined,
    subresource: string | undefined,
    watchPath: boolean,
  ): Promise<void> {
    const method = exchange.req.method ?? 'GET';
    const verb = (v: string): boolean => (type.verbs as readonly string[]).includes(v);
    const unsupported = (action: string): StatusError =>
      errors.methodNotSupported({ group: type.group, resource: type.plural }, action);

    if (subresource) {
      await this.subresource(exchange, type, namespace, name!, subresource);
      return;
    }
    if (name === undefined) {
      switch (method) {
        case 'GET':
          if (watchPath || boolParam(exchange.query, 'watch')) {
            if (!verb('watch')) throw unsupported('watch');
            this.deps.watch(exchange, type, namespace);
            return;
          }
          if (!verb('list')) throw unsupported('list');
          this.list(exchange, type, namespace);
          return;
        case 'POST':
          if (!verb('create')) throw unsupported('create');
          await this.create(exchange, type, namespace);
          return;
        case 'DELETE':
          if (!verb('deletecollection')) throw unsupported('deletecollection');
          await this.deleteCollection(exchange, type, namespace);
          return;
        default:
          throw unsupported(method.toLowerCase());
      }
    }
    switch (method) {
      case 'GET':
        if (watchPath || boolParam(exchange.query, 'watch')) {
          // A watch of one object is a watch with a metadata.name field selector.
          const selector = exchange.query.get('fieldSelector');
          if (selector && !selector.split(',').includes(`metadata.name=${name}`)) {
            throw errors.badRequest("fieldSelector metadata.name doesn't match requested name");
          }
          exchange.query.set('fieldSelector', selector ?? `metadata.name=${name}`);
          this.deps.watch(exchange, type, namespace);
          return;
        }
        if (!verb('get')) throw unsupported('get');
        this.get(exchange, type, namespace, name);
        return;
      case 'PUT':
        if (!verb('update')) throw unsupported('update');
        await this.update(exchange, type, namespace, name, undefined);
        return;
      case 'PATCH':
        if (!verb('patch')) throw unsupported('patch');
        await this.patch(exchange, type, namespace, name, undefined);
        return;
      case 'DELETE':
        if (!verb('delete')) throw unsupported('delete');
        await this.delete(exchange, type, namespace, name);
        return;
      default:
        throw unsupported(method.toLowerCase());
    }
  }

  // -------------------------------------------------------------------------------------------

  private respondObject(
    exchange: Exchange,
    status: number,
    type: ResourceType,
    object: KubeObject,
  ): void {
    const table = wantsTable(exchange.accept);
    if (table) {
      const include = parseIncludeObject(exchange.query.get('includeObject'));
      this.deps.send(
        exchange,
        status,
        toTableJson(
          bucketOf(type),
          [object],
          { resourceVersion: object.metadata.resourceVersion ?? '' },
          {
            version: table,
            include,
            noHeaders: exchange.query.get('noHeaders') === 'true',
            now: this.deps.clock.now(),
            json: this.deps.json,
          },
        ),
      );
      return;
    }
    this.deps.send(exchange, status, new RawJson(this.deps.json.json(object)));
  }

  private list(exchange: Exchange, type: ResourceType, namespace: string): void {
    const query = exchange.query;
    const limit = intParam(query, 'limit');
    const result = this.registry.list(type, namespace, {
      labelSelector: query.get('labelSelector') ?? undefined,
      fieldSelector: query.get('fieldSelector') ?? undefined,
      limit,
      continue: query.get('continue') ?? undefined,
    });
    const metadata = {
      resourceVersion: result.resourceVersion,
      ...(result.continue ? { continue: result.continue } : {}),
      ...(result.remainingItemCount !== undefined
        ? { remainingItemCount: result.remainingItemCount }
        : {}),
    };
    const table = wantsTable(exchange.accept);
    if (table) {
      this.deps.send(
        exchange,
        200,
        toTableJson(bucketOf(type), result.items, metadata, {
          version: table,
          include: parseIncludeObject(query.get('includeObject')),
          noHeaders: query.get('noHeaders') === 'true',
          now: this.deps.clock.now(),
          json: this.deps.json,
        }),
      );
      return;
    }
    this.deps.send(
      exchange,
      200,
      new RawJson(
        `{"kind":"${type.listKind}","apiVersion":"${apiVersionOf(type)}","metadata":${JSON.stringify(metadata)},"items":[${result.items.map((item) => this.deps.json.json(item)).join(',')}]}`,
      ),
    );
  }

  private get(exchange: Exchange, type: ResourceType, namespace: string, name: string): void {
    this.respondObject(exchange, 200, type, this.registry.get(type, namespace, name));
  }

  /** Decodes a create/update body: media type, JSON/YAML/protobuf, type check, unknown fields. */
  private async decodeBody(
    exchange: Exchange,
    type: ResourceType,
    optionsKind: string,
  ): Promise<KubeObject> {
    const media = parseMediaType(exchange.req.headers['content-type'] ?? 'application/json');
    const supported = type.custom ? CUSTOM_WRITE_MEDIA : WRITE_MEDIA;
    if (!supported.includes(media.type)) throw errors.unsupportedMediaType(media.type, supported);
    const raw = await readBody(exchange.req);
    let value: unknown;
    if (media.type === 'application/vnd.kubernetes.protobuf') {
      value = decodeProtobufObject(raw, type);
    } else {
      const text = raw.toString('utf8');
      try {
        value = parseStructured(text, media.type === 'application/yaml');
      } catch (error) {
        if (error instanceof StatusError) {
          throw errors.badRequest(
            `the object provided is unrecognized (must be of type ${type.kind}): ${error.message} (${summarize(raw)})`,
          );
        }
        throw error;
      }
    }
    if (!isPlainObject(value)) {
      throw errors.badRequest(
        `the object provided is unrecognized (must be of type ${type.kind}): couldn't get version/kind; json parse error: json: cannot unmarshal ${Array.isArray(value) ? 'array' : typeof value} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" } (${summarize(raw)})`,
      );
    }
    const apiVersion = typeof value.apiVersion === 'string' ? value.apiVersion : '';
    const kind = typeof value.kind === 'string' ? value.kind : '';
    if (apiVersion && apiVersion !== apiVersionOf(type)) {
      throw errors.badRequest(
        `the API version in the data (${apiVersion}) does not match the expected API version (${apiVersionOf(type)})`,
      );
    }
    if (kind && kind !== type.kind) {
      throw cannotHandle(
        type,
        `the kind in the data (${kind}) does not match the expected kind (${type.kind})`,
      );
    }
    const checked = this.checkFields(
      exchange,
      type,
      value,
      fieldValidation(exchange.query, optionsKind),
      (detail) => cannotHandle(type, detail),
    );
    return shiftIn(this.deps.json, type, checked);
  }

  /** Applies the schema to a decoded object: type errors fail; unknown fields per fieldValidation. */
  private checkFields(
    exchange: Exchange,
    type: ResourceType,
    value: unknown,
    validation: FieldValidation,
    fail: (detail: string) => StatusError,
  ): KubeObject {
    const decoded = decodeAgainstSchema(value, type.schema, { dropUnknown: true });
    if (decoded.typeError) throw fail(decoded.typeError.message);
    if (decoded.unknownFields.length) {
      const messages = [
        ...new Set(decoded.unknownFields.map((f) => `unknown field ${JSON.stringify(f)}`)),
      ].slice(0, 100);
      if (validation === 'Strict') throw fail(`strict decoding error: ${messages.join(', ')}`);
      if (validation === 'Warn') exchange.warnings.push(...messages);
    }
    const object = decoded.value as KubeObject;
    object.metadata = isPlainObject(object.metadata) ? object.metadata : {};
    return object;
  }

  private async create(exchange: Exchange, type: ResourceType, namespace: string): Promise<void> {
    const dry = dryRun(exchange.query, 'CreateOptions');
    const object = await this.decodeBody(exchange, type, 'CreateOptions');
    if (type.group === '' && type.plural === 'bindings') {
      this.bind(namespace, object);
      this.deps.send(exchange, 201, { ...successStatus(), code: 201 });
      return;
    }
    let created = this.registry.create(type, namespace, object, {
      dryRun: dry,
      fieldManager: fieldManagerOf(exchange, 'CreateOptions'),
    });
    if (type.group === 'kubelab.dev' && type.plural === 'snapshots' && !dry) {
      created = this.takeSnapshot(type, created);
    }
    this.respondObject(exchange, 201, type, created);
  }

  /** A new Snapshot (kubelab.dev): saves the cluster's objects and records what it holds. */
  private takeSnapshot(type: ResourceType, snapshot: KubeObject): KubeObject {
    const saved = captureSnapshot(this.registry.store);
    // Forget the saved states of Snapshots deleted since.
    const live = new Set(this.registry.list(type, '').items.map((s) => s.metadata.uid));
    for (const uid of this.snapshots.keys()) if (!live.has(uid)) this.snapshots.delete(uid);
    this.snapshots.set(snapshot.metadata.uid ?? '', saved);
    return this.registry.modify(
      type,
      '',
      snapshot.metadata.name ?? '',
      (current) => {
        (current as Obj).status = {
          objects: saved.objects.size,
          resourceVersion: String(saved.revision),
        };
        return current;
      },
      { subresource: 'status' },
    );
  }

  /** snapshots/restore (kubelab.dev): puts the cluster back to a Snapshot; answers the Snapshot. */
  private async restoreSnapshot(
    exchange: Exchange,
    type: ResourceType,
    name: string,
  ): Promise<void> {
    await readBody(exchange.req);
    const snapshot = this.registry.get(type, '', name);
    const saved = this.snapshots.get(snapshot.metadata.uid ?? '');
    if (!saved) {
      throw errors.conflict(
        { group: type.group, resource: type.plural },
        name,
        'its saved state is gone: snapshots are kept in memory and do not survive a restart of the cluster',
      );
    }
    restoreSnapshot(this.registry.store, saved);
    const stored = this.registry.modify(
      type,
      '',
      name,
      (current) => {
        (current as Obj).status = {
          ...obj((current as Obj).status),
          lastRestoreTime: this.registry.now(),
        };
        return current;
      },
      { subresource: 'status' },
    );
    this.deps.send(exchange, 201, stored);
  }

  private async update(
    exchange: Exchange,
    type: ResourceType,
    namespace: string,
    name: string,
    subresource: 'status' | undefined,
  ): Promise<void> {
    const dry = dryRun(exchange.query, 'UpdateOptions');
    const object = await this.decodeBody(exchange, type, 'UpdateOptions');
    const { object: stored, created } = this.registry.update(type, namespace, name, object, {
      dryRun: dry,
      fieldManager: fieldManagerOf(exchange, 'UpdateOptions'),
      ...(subresource ? { subresource } : {}),
    });
    this.respondObject(exchange, created ? 201 : 200, type, stored);
  }

  /** Applies a patch of any of the four types to `current` (undefined: the object is missing). */
  private async applyPatch(
    exchange: Exchange,
    type: ResourceType,
    current: KubeObject | undefined,
    schemaName: string,
    name: string,
    subresource?: string,
  ): Promise<{ result: unknown; patchType: string; strictValue: () => string }> {
    const media = parseMediaType(exchange.req.headers['content-type'] ?? '');
    const supported = type.custom ? CUSTOM_PATCH_MEDIA : PATCH_MEDIA;
    if (!supported.includes(media.type)) throw errors.unsupportedMediaType(media.type, supported);
    const text = (await readBody(exchange.req)).toString('utf8');
    const apply = media.type === 'application/apply-patch+yaml';
    const patch = parseStructured(text, apply);
    const force = exchange.query.get('force');
    if (!apply && force !== null) {
      throw errors.invalid({ group: 'meta.k8s.io', kind: 'PatchOptions' }, '', [
        fieldError.forbidden('force', 'may not be specified for non-apply patch'),
      ]);
    }
    if (apply && !exchange.query.get('fieldManager')) {
      throw errors.invalid({ group: 'meta.k8s.io', kind: 'PatchOptions' }, '', [
        fieldError.required('fieldManager', 'is required for apply patch'),
      ]);
    }
    if (!current && !apply)
      throw errors.notFound({ group: type.group, resource: type.plural }, name);
    let result: unknown;
    try {
      switch (media.type) {
        case 'application/json-patch+json':
          result = applyJsonPatch(current, patch);
          break;
        case 'application/merge-patch+json':
          result = jsonMergePatch(current, patch);
          break;
        case 'application/strategic-merge-patch+json':
          result = strategicMergePatch(current, patch, schemaName);
          break;
        default: {
          // Server-side apply: merge with field ownership and conflicts (kube/managed-fields).
          if (!isPlainObject(patch)) {
            throw errors.badRequest(
              'error decoding YAML: the applied configuration is not an object',
            );
          }
          result = applyConfiguration({
            live: current,
            applied: patch,
            schemaName,
            manager: fieldManagerOf(exchange, 'PatchOptions'),
            apiVersion: apiVersionOf(type),
            ...(subresource ? { subresource } : {}),
            force: exchange.query.get('force') === 'true',
            // Wall-clock time, like everything in `current` (see json-cache.ts).
            now: isoSeconds(this.deps.clock.now() - this.deps.json.shift()),
          }).object;
          break;
        }
      }
    } catch (error) {
      if (error instanceof PatchError) {
        if (error.status === 400) throw errors.badRequest(error.message);
        if (error.status === 422) throw genericInvalid();
        throw errors.plain(error.message);
      }
      throw error;
    }
    const strictValue =
      media.type === 'application/strategic-merge-patch+json'
        ? () => goMapString(patch)
        : () => JSON.stringify(result);
    return { result, patchType: media.type, strictValue };
  }

  private async patch(
    exchange: Exchange,
    type: ResourceType,
    namespace: string,
    name: string,
    subresource: 'status' | undefined,
  ): Promise<void> {
    const dry = dryRun(exchange.query, 'PatchOptions');
    const validation = fieldValidation(exchange.query, 'PatchOptions');
    let current: KubeObject | undefined;
    try {
      current = this.registry.get(type, namespace, name);
    } catch (error) {
      if (!(error instanceof StatusError && error.code === 404)) throw error;
    }
    // Patches are made against the object as the client sees it (timestamps in wall-clock time).
    const { result, patchType, strictValue } = await this.applyPatch(
      exchange,
      type,
      current && this.deps.json.toWall(current),
      type.schema,
      name,
      subresource,
    );
    const fieldManager = fieldManagerOf(exchange, 'PatchOptions');
    const applied = patchType === 'application/apply-patch+yaml';
    if (!current && patchType !== 'application/apply-patch+yaml')
      throw errors.notFound({ group: type.group, resource: type.plural }, name);
    const object = shiftIn(
      this.deps.json,
      type,
      this.checkFields(exchange, type, result, validation, (detail) =>
        patchInvalid(strictValue(), detail),
      ),
    );
    if (!current) {
      // Server-side apply of a missing object creates it.
      object.metadata.name ??= name;
      const created = this.registry.create(type, namespace, object, {
        dryRun: dry,
        fieldManager,
        managedFieldsApplied: applied,
      });
      this.respondObject(exchange, 201, type, created);
      return;
    }
    const requested = object.metadata.resourceVersion;
    object.metadata.resourceVersion = requested ?? current.metadata.resourceVersion;
    const { object: stored } = this.registry.update(type, namespace, name, object, {
      dryRun: dry,
      fieldManager,
      managedFieldsApplied: applied,
      ...(subresource ? { subresource } : {}),
    });
    this.respondObject(exchange, 200, type, stored);
  }

  private async readDeleteOptions(exchange: Exchange): Promise<DeleteOptions> {
    const query = exchange.query;
    let options: Obj = {};
    const raw = await readBody(exchange.req);
    if (raw.length) {
      const media = parseMediaType(exchange.req.headers['content-type'] ?? 'application/json');
      if (media.type === 'application/vnd.kubernetes.protobuf')
        options = decodeProtobufDeleteOptions(raw);
      else {
        const parsed = parseStructured(raw.toString('utf8'), media.type === 'application/yaml');
        if (parsed !== null && !isPlainObject(parsed))
          throw errors.badRequest('the body of a DELETE must be a DeleteOptions object');
        options = obj(parsed);
      }
    }
    const grace =
      intParam(query, 'gracePeriodSeconds') ??
      (typeof options.gracePeriodSeconds === 'number' ? options.gracePeriodSeconds : undefined);
    const propagation =
      query.get('propagationPolicy') ??
      (typeof options.propagationPolicy === 'string' ? options.propagationPolicy : undefined);
    const orphanParam = query.get('orphanDependents');
    const orphan =
      orphanParam !== null
        ? orphanParam === 'true'
        : typeof options.orphanDependents === 'boolean'
          ? options.orphanDependents
          : undefined;
    const preconditions = obj(options.preconditions);
    const dry = [
      ...query.getAll('dryRun'),
      ...(Array.isArray(options.dryRun) ? (options.dryRun as string[]) : []),
    ];
    if (orphan !== undefined && propagation !== undefined) {
      throw errors.invalid({ group: 'meta.k8s.io', kind: 'DeleteOptions' }, '', [
        fieldError.invalid(
          'propagationPolicy',
          go.string(propagation),
          'orphanDependents and deletionPropagation cannot be both set',
        ),
      ]);
    }
    return {
      ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}),
      ...(propagation !== undefined ? { propagationPolicy: propagation } : {}),
      ...(orphan !== undefined ? { orphanDependents: orphan } : {}),
      ...(preconditions.uid !== undefined || preconditions.resourceVersion !== undefined
        ? {
            preconditions: {
              ...(typeof preconditions.uid === 'string' ? { uid: preconditions.uid } : {}),
              ...(typeof preconditions.resourceVersion === 'string'
                ? { resourceVersion: preconditions.resourceVersion }
                : {}),
            },
          }
        : {}),
      ...(dry.length ? { dryRun: dry } : {}),
    };
  }

  private async delete(
    exchange: Exchange,
    type: ResourceType,
    namespace: string,
    name: string,
  ): Promise<void> {
    const options = await this.readDeleteOptions(exchange);
    const { body, deleted } = this.registry.delete(type, namespace, name, options);
    const accepted = !deleted && options.orphanDependents === false;
    this.deps.send(exchange, accepted ? 202 : 200, body);
  }

  private async deleteCollection(
    exchange: Exchange,
    type: ResourceType,
    namespace: string,
  ): Promise<void> {
    const options = await this.readDeleteOptions(exchange);
    const items = this.registry.deleteCollection(
      type,
      namespace,
      {
        labelSelector: exchange.query.get('labelSelector') ?? undefined,
        fieldSelector: exchange.query.get('fieldSelector') ?? undefined,
      },
      options,
    );
    this.deps.send(exchange, 200, {
      kind: type.listKind,
      apiVersion: apiVersionOf(type),
      metadata: { resourceVersion: String(this.registry.store.revision) },
      items,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Subresources

  private async subresource(
    exchange: Exchange,
    type: ResourceType,
    namespace: string,
    name: string,
    subresource: string,
  ): Promise<void> {
    const method = exchange.req.method ?? 'GET';
    const known = type.subresources.find((s) => s.name === subresource);
    if (!known) throw errors.routeNotFound();
    const notAllowed = (): StatusError =>
      errors.methodNotSupported(
        { group: type.group, resource: `${type.plural}/${subresource}` },
        method.toLowerCase(),
      );
    switch (subresource) {
      case 'status':
        if (method === 'GET') return this.get(exchange, type, namespace, name);
        if (method === 'PUT') return this.update(exchange, type, namespace, name, 'status');
        if (method === 'PATCH') return this.patch(exchange, type, namespace, name, 'status');
        throw notAllowed();
      case 'finalize':
        if (method !== 'PUT') throw notAllowed();
        return this.finalizeNamespace(exchange, name);
      case 'scale':
        return this.scale(exchange, type, namespace, name);
      case 'binding': {
        if (method !== 'POST') throw notAllowed();
        const raw = await readBody(exchange.req);
        const binding = obj(parseJson(raw.toString('utf8')));
        this.bind(namespace, {
          ...binding,
          metadata: { ...obj(binding.metadata), name },
        } as KubeObject);
        this.deps.send(exchange, 201, { ...successStatus(), code: 201 });
        return;
      }
      case 'eviction':
        if (method !== 'POST') throw notAllowed();
        return this.evict(exchange, namespace, name);
      case 'log':
        if (method !== 'GET') throw notAllowed();
        return this.log(exchange, namespace, name);
      case 'exec':
      case 'attach':
      case 'portforward':
        return this.noContainers(exchange, namespace, name, subresource);
      case 'advance':
        if (method !== 'POST') throw notAllowed();
        return this.advanceClock(exchange, type, name);
      case 'restore':
        if (method !== 'POST') throw notAllowed();
        return this.restoreSnapshot(exchange, type, name);
      default:
        throw errors.routeNotFound();
    }
  }

  /**
   * clocks/advance (kubelab.dev, no upstream counterpart): jumps the cluster clock forward by a
   * ClockAdvance's duration, firing every timer due on the way, and answers the Clock.
   */
  private async advanceClock(exchange: Exchange, type: ResourceType, name: string): Promise<void> {
    const clock = this.deps.advanceableClock;
    if (!clock) {
      throw errors.methodNotSupported({ group: type.group, resource: 'clocks/advance' }, 'create');
    }
    const raw = await readBody(exchange.req);
    const body = obj(parseStructured(raw.toString('utf8'), false));
    const qualified = { group: type.group, kind: 'ClockAdvance' };
    const duration = body.duration;
    if (typeof duration !== 'string' || duration === '') {
      throw errors.invalid(qualified, name, [fieldError.required('duration')]);
    }
    const parsed = parseGoDuration(duration);
    if ('error' in parsed) {
      throw errors.invalid(qualified, name, [
        fieldError.invalid('duration', go.string(duration), parsed.error),
      ]);
    }
    const ms = parsed.ms;
    if (ms < 0 || ms > MAX_ADVANCE_MS || ms % 1000 !== 0) {
      throw errors.invalid(qualified, name, [
        fieldError.invalid(
          'duration',
          go.string(duration),
          'must be a whole number of seconds between 0s and 24h',
        ),
      ]);
    }
    // The clock object must exist before time moves (404 otherwise).
    this.registry.get(type, '', name);
    await clock.advance(ms);
    const stored = this.registry.modify(
      type,
      '',
      name,
      (current) => {
        const status = obj(current.status);
        const advanced = Number(status.advancedSeconds ?? 0) + ms / 1000;
        current.status = { ...status, advancedSeconds: advanced };
        return current;
      },
      { subresource: 'status' },
    );
    this.deps.send(exchange, 201, stored);
  }

  private async finalizeNamespace(exchange: Exchange, name: string): Promise<void> {
    const type = findResource('', 'v1', 'namespaces')!;
    const object = await this.decodeBody(exchange, type, 'UpdateOptions');
    const finalizers = obj(object.spec).finalizers;
    const stored = this.registry.modify(
      type,
      '',
      name,
      (current) => {
        current.spec = { ...obj(current.spec), finalizers };
        if (finalizers === undefined) delete obj(current.spec).finalizers;
        return current;
      },
      { subresource: 'finalize' },
    );
    this.deps.send(exchange, 200, stored);
  }

  private async scale(
    exchange: Exchange,
    type: ResourceType,
    namespace: string,
    name: string,
  ): Promise<void> {
    const method = exchange.req.method ?? 'GET';
    const toScale = (object: KubeObject): Obj => {
      let selector = '';
      try {
        selector = labelSelectorAsSelector(obj(object.spec).selector as never).toString();
      } catch {
        selector = '';
      }
      return {
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        metadata: {
          name: object.metadata.name,
          namespace: object.metadata.namespace,
          uid: object.metadata.uid,
          resourceVersion: object.metadata.resourceVersion,
          creationTimestamp: object.metadata.creationTimestamp,
        },
        spec: { replicas: obj(object.spec).replicas ?? 0 },
        status: { replicas: obj(object.status).replicas ?? 0, selector },
      };
    };
    const current = this.registry.get(type, namespace, name);
    if (method === 'GET') {
      this.deps.send(exchange, 200, toScale(current));
      return;
    }
    let scale: Obj;
    if (method === 'PUT') {
      scale = obj(parseStructured((await readBody(exchange.req)).toString('utf8'), false));
    } else if (method === 'PATCH') {
      const { result } = await this.applyPatch(
        exchange,
        type,
        toScale(current) as KubeObject,
        'io.k8s.api.autoscaling.v1.Scale',
        name,
      );
      scale = obj(result);
    } else {
      throw errors.methodNotSupported(
        { group: type.group, resource: `${type.plural}/scale` },
        method.toLowerCase(),
      );
    }
    const replicas = obj(scale.spec).replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas)) {
      throw errors.badRequest(
        'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal string into Go struct field ScaleSpec.spec.replicas of type int32',
      );
    }
    if (replicas < 0) {
      throw errors.invalid({ group: 'autoscaling', kind: 'Scale' }, name, [
        fieldError.invalid(
          'spec.replicas',
          go.number(replicas),
          'must be greater than or equal to 0',
        ),
      ]);
    }
    const scaleVersion = obj(scale.metadata).resourceVersion;
    const requested =
      typeof scaleVersion === 'string' && scaleVersion
        ? scaleVersion
        : current.metadata.resourceVersion;
    const updated = deepCopy(current);
    updated.spec = { ...obj(updated.spec), replicas };
    updated.metadata.resourceVersion = requested;
    const { object } = this.registry.update(type, namespace, name, updated, {
      dryRun: dryRun(exchange.query, 'UpdateOptions'),
    });
    this.deps.send(exchange, 200, toScale(object));
  }

  /** pods/binding: assigns a pod to a node (the scheduler's write). */
  bind(namespace: string, binding: KubeObject): void {
    this.registry.bind(namespace, binding);
  }

  private async evict(exchange: Exchange, namespace: string, name: string): Promise<void> {
    const pods = findResource('', 'v1', 'pods')!;
    const raw = await readBody(exchange.req);
    const media = parseMediaType(exchange.req.headers['content-type'] ?? 'application/json');
    const eviction =
      media.type === 'application/vnd.kubernetes.protobuf'
        ? {}
        : obj(parseStructured(raw.toString('utf8'), false));
    const evictionName = obj(eviction.metadata).name;
    if (typeof evictionName === 'string' && evictionName && evictionName !== name) {
      throw errors.badRequest('name in URL does not match name in Eviction object');
    }
    const pod = this.registry.get(pods, namespace, name);
    const options = obj(eviction.deleteOptions) as DeleteOptions;
    const phase = obj(pod.status).phase;
    const bypass =
      pod.metadata.deletionTimestamp !== undefined ||
      phase === 'Succeeded' ||
      phase === 'Failed' ||
      phase === 'Pending';
    if (!bypass) this.checkDisruptionBudgets(pod);
    this.registry.delete(pods, namespace, name, options);
    this.deps.send(exchange, 201, { ...successStatus(), code: 201 });
  }

  /** The eviction subresource's PodDisruptionBudget check (pkg/registry/core/pod/storage/eviction.go). */
  private checkDisruptionBudgets(pod: KubeObject): void {
    const pdbType = findResource('policy', 'v1', 'poddisruptionbudgets')!;
    const budgets = this.registry
      .list(pdbType, pod.metadata.namespace ?? '')
      .items.filter((pdb) => {
        try {
          const selector = labelSelectorAsSelector(obj(pdb.spec).selector as never);
          return !selector.empty && selector.matches(pod.metadata.labels);
        } catch {
          return false;
        }
      });
    if (budgets.length === 0) return;
    if (budgets.length > 1) {
      throw errors.plain(
        'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      );
    }
    const pdb = budgets[0]!;
    const status = obj(pdb.status);
    const pdbName = pdb.metadata.name ?? '';
    const message = "Cannot evict pod as it would violate the pod's disruption budget.";
    if (
      typeof status.observedGeneration !== 'number' ||
      status.observedGeneration < (pdb.metadata.generation ?? 0)
    ) {
      throw errors.tooManyRequests(message, 10, [
        {
          reason: 'DisruptionBudget',
          message: `The disruption budget ${pdbName} is still being processed by the server.`,
        },
      ]);
    }
    const allowed = Number(status.disruptionsAllowed ?? 0);
    if (allowed < 0) {
      throw errors.forbidden(
        { group: 'policy', resource: 'poddisruptionbudget' },
        pdbName,
        'pdb disruptions allowed is negative',
      );
    }
    if (allowed === 0) {
      throw errors.tooManyRequests(message, undefined, [
        {
          reason: 'DisruptionBudget',
          message: `The disruption budget ${pdbName} needs ${Number(status.desiredHealthy ?? 0)} healthy pods and has ${Number(status.currentHealthy ?? 0)} currently`,
        },
      ]);
    }
  }

  private containerFor(pod: KubeObject, requested: string | null): string {
    const spec = obj(pod.spec);
    const names = (key: string): string[] =>
      Array.isArray(spec[key]) ? (spec[key] as Obj[]).map((c) => String(c.name ?? '')) : [];
    const containers = names('containers');
    const init = names('initContainers');
    const ephemeral = names('ephemeralContainers');
    const all = [...init, ...containers, ...ephemeral];
    const podName = pod.metadata.name ?? '';
    if (!requested) {
      if (containers.length === 1) return containers[0]!;
      throw errors.badRequest(
        `a container name must be specified for pod ${podName}, choose one of: [${all.join(' ')}]`,
      );
    }
    if (!all.includes(requested))
      throw errors.badRequest(`container ${requested} is not valid for pod ${podName}`);
    return requested;
  }

  private log(exchange: Exchange, namespace: string, name: string): void {
    const pods = findResource('', 'v1', 'pods')!;
    const pod = this.registry.get(pods, namespace, name);
    const container = this.containerFor(pod, exchange.query.get('container'));
    const tailLines = intParam(exchange.query, 'tailLines');
    const sinceSeconds = intParam(exchange.query, 'sinceSeconds');
    const limitBytes = intParam(exchange.query, 'limitBytes');
    if (!obj(pod.spec).nodeName) {
      exchange.res.writeHead(200, { 'Content-Type': 'text/plain' });
      exchange.res.end();
      return;
    }
    const text = this.deps.runtime
      ? this.deps.runtime.logs(pod, container, {
          previous:
            boolParam(exchange.query, 'previous') && exchange.query.get('previous') !== 'false',
          timestamps: exchange.query.get('timestamps') === 'true',
          ...(tailLines !== undefined ? { tailLines } : {}),
          ...(sinceSeconds !== undefined ? { sinceSeconds } : {}),
          ...(limitBytes !== undefined ? { limitBytes } : {}),
        })
      : defaultLogs(pod, container);
    exchange.res.writeHead(200, { 'Content-Type': 'text/plain' });
    exchange.res.end(text);
  }

  private noContainers(
    exchange: Exchange,
    namespace: string,
    name: string,
    subresource: string,
  ): void {
    const pods = findResource('', 'v1', 'pods')!;
    const pod = this.registry.get(pods, namespace, name);
    if (subresource !== 'portforward') this.containerFor(pod, exchange.query.get('container'));
    if (!obj(pod.spec).nodeName)
      throw errors.badRequest(`pod ${name} does not have a host assigned`);
    // Upstream answers a kubelet it cannot reach with this plain 500; the embedded cluster has no
    // kubelet process to reach at all.
    throw errors.plain(
      `error dialing backend: the embedded Kubelab cluster simulates its nodes and runs no containers, so ${subresource === 'portforward' ? 'port-forward' : subresource} is not available; use a kind cluster for that`,
    );
  }
}

/** Logs when no runtime is attached: the kubelet's answers for containers that never started. */
function defaultLogs(pod: KubeObject, container: string): string {
  const statuses = [
    ...(Array.isArray(obj(pod.status).containerStatuses)
      ? (obj(pod.status).containerStatuses as Obj[])
      : []),
    ...(Array.isArray(obj(pod.status).initContainerStatuses)
      ? (obj(pod.status).initContainerStatuses as Obj[])
      : []),
  ];
  const status = statuses.find((s) => s.name === container);
  const podName = pod.metadata.name ?? '';
  const waiting = obj(obj(status?.state).waiting);
  if (status && waiting.reason) {
    throw errors.badRequest(
      `container ${JSON.stringify(container)} in pod ${JSON.stringify(podName)} is waiting to start: ${String(waiting.reason)}`,
    );
  }
  throw errors.badRequest(
    `container ${JSON.stringify(container)} in pod ${JSON.stringify(podName)} is waiting to start - no logs yet`,
  );
}

function genericInvalid(): StatusError {
  const error = errors.invalid({ group: '', kind: '' }, '', []);
  error.status.message = GENERIC_422;
  delete error.status.details;
  return error;
}

/** The 422 a PATCH gets for a strict decoding or type error (handlers/patch.go). */
function patchInvalid(value: string, detail: string): StatusError {
  return errors.invalid({ group: '', kind: '' }, '', [
    fieldError.invalid('patch', go.string(value), detail),
  ]);
}

/** `summarizeData`: the start of a body, for decode errors. */
function summarize(raw: Buffer): string {
  if (raw.length === 0) return '<empty>';
  if (raw[0] === 0x7b) {
    const text = raw.subarray(0, 30).toString('utf8');
    return raw.length > 30 ? `${text} ...` : text;
  }
  const hex = raw.subarray(0, 30).toString('hex');
  return raw.length > 30 ? `${hex} ...` : hex;
}

/**
 * The apiserver's field manager as pure functions (k8s.io/apimachinery/pkg/util/managedfields
 * internal: `FieldManager.Update`/`Apply` and the managers `NewDefaultFieldManager` stacks:
 * versionCheck → lastAppliedUpdater → lastAppliedManager → skipNonApplied → capManagers →
 * buildManagerInfo → managedFieldsUpdater → stripMeta → structuredMerge, over
 * sigs.k8s.io/structured-merge-diff/v4 `merge.Updater`).
 *
 * Objects are compared in their Go struct shape (go-shape.ts), as upstream compares typed objects;
 * the objects returned keep the caller's shape.
 */
import { deepEqual, isPlainObject, type KubeObject, type ManagedFieldsEntry } from '../objects';
import { schemaNamed } from '../schema';
import { errors, StatusError, type StatusCause } from '../status';
import { FieldSet } from './field-set';
import { goShape, goShapePair, goZeroValue } from './go-shape';
import {
  copyManaged,
  decodeManagedFields,
  emptyManaged,
  encodeManagedFields,
  managerIdentity,
  parseIdentity,
  type Managed,
  type VersionedSet,
} from './managed';
import { compareGoStrings, goJson, goQuote, pathString, type Path } from './path';
import { fieldPathSet, resetFieldsFor } from './reset-fields';
import type { TypeNode } from './schema-types';
import {
  compare,
  ensureNamedFieldsAreMembers,
  formatProblems,
  merge,
  removeItems,
  toFieldSet,
  typeOfSchema,
  TypedError,
  validate,
  type Comparison,
} from './typed';

/** The annotation client-side `kubectl apply` keeps its configuration in. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** `DefaultMaxUpdateManagers`: Update entries beyond this are merged into `ancient-changes`. */
export const MAX_UPDATE_MANAGERS = 10;

const ANCIENT_CHANGES = 'ancient-changes';
const BEFORE_FIRST_APPLY = 'before-first-apply';
const CURRENT_OPERATION = 'current-operation';
/** The field manager kubectl's server-side apply uses; only it upgrades client-side apply. */
const KUBECTL_SSA_MANAGER = 'kubectl';

/** Fields no manager ever owns (stripMetaManager). */
const STRIP_SET = fieldPathSet([
  ['apiVersion'],
  ['kind'],
  ['metadata'],
  ['metadata', 'name'],
  ['metadata', 'namespace'],
  ['metadata', 'creationTimestamp'],
  ['metadata', 'selfLink'],
  ['metadata', 'uid'],
  ['metadata', 'clusterName'],
  ['metadata', 'generation'],
  ['metadata', 'managedFields'],
  ['metadata', 'resourceVersion'],
]);

/** Field-name paths such as `[['status']]` or `[['spec'], ['metadata', 'labels']]`. */
export type FieldPaths = readonly (readonly string[])[];

interface WriteOptions {
  /** The schema of the kind written, e.g. `io.k8s.api.apps.v1.Deployment`. */
  readonly schemaName: string;
  /** The field manager: the `fieldManager` parameter, else the User-Agent prefix (managerOrUserAgent). */
  readonly manager: string;
  /** The group/version of the request, e.g. `apps/v1`. */
  readonly apiVersion: string;
  /** The subresource written (`status`), if any. */
  readonly subresource?: string;
  /** The time of the write, RFC 3339 in seconds (`2025-11-06T21:24:49Z`). */
  readonly now: string;
  /**
   * Paths this endpoint does not own (the strategy's reset fields); defaults to
   * resetFieldsFor(schemaName, subresource).
   */
  readonly resetFields?: FieldPaths;
}

/** The inputs of `FieldManager.UpdateNoErrors(liveObj, newObj, manager)`. */
export interface UpdateManagedFieldsOptions extends WriteOptions {
  /** The stored object; undefined when the write creates the object. */
  readonly live: KubeObject | undefined;
  /**
   * The object the write will store, as it stands before the strategy's PrepareForCreate or
   * PrepareForUpdate (decoded and defaulted, patched for PATCH), with whatever managedFields the
   * request left in it.
   */
  readonly next: KubeObject;
}

/** The inputs of `FieldManager.Apply(liveObj, appliedObj, manager, force)`. */
export interface ApplyOptions extends WriteOptions {
  /** The stored object; undefined when the apply creates the object. */
  readonly live: KubeObject | undefined;
  /** The applied configuration, as decoded from the request body. */
  readonly applied: Record<string, unknown>;
  /** `force=true`: take fields from their managers instead of failing with a conflict. */
  readonly force: boolean;
}

/** What `FieldManager.Apply` returns, plus whether the object itself changed. */
export interface ApplyResult {
  /**
   * The live object with the configuration merged in and the fields this manager stopped
   * applying removed, with its new managedFields; not yet defaulted or validated.
   */
  readonly object: KubeObject;
  /** Whether anything but managedFields differs from the live object. */
  readonly changed: boolean;
}

interface Context {
  readonly type: TypeNode;
  readonly schemaName: string;
  readonly apiVersion: string;
  readonly subresource: string | undefined;
  readonly ignored: FieldSet;
  readonly now: string;
}

function contextOf(options: WriteOptions): Context {
  return {
    type: typeOfSchema(options.schemaName),
    schemaName: options.schemaName,
    apiVersion: options.apiVersion,
    subresource: options.subresource || undefined,
    ignored: fieldPathSet(
      options.resetFields ?? resetFieldsFor(options.schemaName, options.subresource),
    ),
    now: options.now,
  };
}

/** One field another manager owns with a different value. */
export interface Conflict {
  /** The manager's identity (managerIdentity). */
  readonly manager: string;
  readonly path: Path;
}

/** `merge.Conflicts`, before the apiserver turns it into a 409. */
export class ConflictsError extends Error {
  override readonly name = 'ConflictsError';
  constructor(readonly conflicts: readonly Conflict[]) {
    super(conflicts.map((c) => `conflict with ${c.manager}: ${pathString(c.path)}`).join('\n'));
  }
}

/**
 * `managerOrUserAgent`: the `fieldManager` parameter, else the User-Agent up to its first `/`
 * (printable characters only, at most 128 bytes), e.g. `kubectl` for `kubectl/v1.30.0 (…)`.
 */
export function managerOrUserAgent(fieldManager: string | undefined, userAgent: string): string {
  if (fieldManager) return fieldManager;
  const prefix = userAgent.split('/')[0] ?? '';
  let out = '';
  let bytes = 0;
  for (const ch of prefix) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)) continue;
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (bytes + size > 128) break;
    out += ch;
    bytes += size;
  }
  return out;
}

function withoutManagedFields(object: KubeObject): Record<string, unknown> {
  const { managedFields: _dropped, ...metadata } = object.metadata ?? {};
  return { ...object, metadata };
}

function shaped(object: KubeObject, schemaName: string): unknown {
  return goShape(withoutManagedFields(object), schemaName);
}

/** `isResetManagedFields`: `managedFields: []`, or one entry with nothing set, asks to clear them. */
function isReset(entries: unknown): boolean {
  if (!Array.isArray(entries)) return false;
  if (entries.length === 0) return true;
  const [only] = entries as unknown[];
  return (
    entries.length === 1 &&
    isPlainObject(only) &&
    Object.values(only).every((v) => v === null || v === undefined || v === '')
  );
}

function decodeOrEmpty(entries: unknown): Managed {
  try {
    return decodeManagedFields(entries);
  } catch {
    return emptyManaged();
  }
}

/**
 * `decodeLiveOrNew`: subresource writes keep the live object's managedFields; others take the
 * request's when it has valid, non-empty ones (so clients can edit them) or asks to reset them,
 * and the live object's otherwise.
 */
function decodeLiveOrNew(live: KubeObject | undefined, next: KubeObject, subresource: boolean) {
  const liveEntries = live?.metadata?.managedFields;
  if (subresource) return decodeOrEmpty(liveEntries);
  const nextEntries = next.metadata?.managedFields;
  if (isReset(nextEntries)) return emptyManaged();
  try {
    const managed = decodeManagedFields(nextEntries);
    if (managed.fields.size > 0) return managed;
  } catch {
    // Fall back to the live object's, as upstream does for undecodable managedFields.
  }
  return decodeOrEmpty(liveEntries);
}

/**
 * The managedFields an Update-type write (create, update, any non-apply patch) leaves on the
 * object (`FieldManager.UpdateNoErrors`): the fields the write added or changed move to this
 * manager's Update entry (per manager, apiVersion and subresource; its time is `now` only if it
 * gained fields), fields the write removed leave every manager, reset fields are ignored, and
 * Update entries beyond ten are merged into `ancient-changes`. An existing object without
 * managedFields stays untracked; a created one is tracked. Returns undefined for "no
 * managedFields". Objects it cannot walk (a list item without its key) keep the live
 * managedFields, as upstream does.
 */
export function updateManagedFields(
  options: UpdateManagedFieldsOptions,
): ManagedFieldsEntry[] | undefined {
  const ctx = contextOf(options);
  const createKey =
    options.live === undefined && options.next.metadata?.managedFields === undefined
      ? createCacheKey(ctx, options.manager, options.next)
      : undefined;
  if (createKey !== undefined) {
    const cached = createCache.get(createKey);
    if (cached) return encodeManagedFields(stampedNow(cached, ctx.now));
  }
  const managed = decodeLiveOrNew(options.live, options.next, ctx.subresource !== undefined);
  if (managed.fields.size === 0 && options.live !== undefined) return undefined;
  try {
    // Only compared: what live and next share (see shareUnchanged) need not be shaped.
    const [liveShaped, nextShaped] = options.live
      ? goShapePair(
          withoutManagedFields(options.live),
          withoutManagedFields(options.next),
          ctx.schemaName,
        )
      : [goZeroValue(ctx.schemaName), shaped(options.next, ctx.schemaName)];
    const out = updateChain(ctx, liveShaped, nextShaped, managed, options.manager);
    if (createKey !== undefined) rememberCreate(createKey, out);
    return encodeManagedFields(out);
  } catch (error) {
    if (!(error instanceof TypedError)) throw error;
    const kept = options.live?.metadata?.managedFields;
    return kept ? structuredClone(kept) : undefined;
  }
}

/**
 * What creates of objects of the same structure leave in managedFields, by structureKey: the
 * recorders make thousands of Events that differ only in names, times and messages, each of which
 * would otherwise be shaped, compared against the zero object and turned into a field set and its
 * FieldsV1 — the same every time. The Events then also share one FieldsV1 object.
 */
const createCache = new Map<string, Managed>();
const CREATE_CACHE_SIZE = 256;

function createCacheKey(ctx: Context, manager: string, next: KubeObject): string | undefined {
  const structure = structureKey(withoutManagedFields(next), 0);
  if (structure === undefined) return undefined;
  return `${ctx.schemaName}|${ctx.apiVersion}|${ctx.subresource ?? ''}|${manager}|${structure}`;
}

function rememberCreate(key: string, managed: Managed): void {
  if (createCache.size >= CREATE_CACHE_SIZE) createCache.delete(createCache.keys().next().value!);
  createCache.set(key, copyManaged(managed));
}

/** A remembered create's managedFields, its managers' times now. */
function stampedNow(managed: Managed, now: string): Managed {
  const times = new Map<string, string | undefined>();
  for (const identity of managed.times.keys()) times.set(identity, now);
  return { fields: managed.fields, times };
}

/**
 * What the field set of a created object depends on, as a string: its keys (in order) and, for
 * each scalar, whether it is a Go zero value (`null`, `""`, `"0"` — a Quantity's zero —, `0`,
 * `false`) and of which kind, since the fields a create owns are those that differ from the zero
 * object. Objects with a list are not keyed (list items are identified by their values): undefined.
 */
function structureKey(value: unknown, depth: number): string | undefined {
  if (value === null) return 'n';
  switch (typeof value) {
    case 'undefined':
      return 'u';
    case 'string':
      return value === '' ? 'e' : value === '0' ? 'q' : 's';
    case 'number':
      return value === 0 ? 'z' : 'd';
    case 'boolean':
      return value ? 't' : 'f';
    case 'object':
      break;
    default:
      return undefined;
  }
  if (!isPlainObject(value) || depth > 16) return undefined;
  let out = '{';
  for (const key of Object.keys(value)) {
    const child = structureKey(value[key], depth + 1);
    if (child === undefined) return undefined;
    out += `${key.length}:${key}${child}`;
  }
  return `${out}}`;
}

/** capManagers(buildManagerInfo(managedFieldsUpdater(stripMeta(structuredMerge)))).Update */
function updateChain(
  ctx: Context,
  live: unknown,
  next: unknown,
  managed: Managed,
  manager: string,
): Managed {
  const identity = managerIdentity({
    manager: manager || 'unknown',
    operation: 'Update',
    apiVersion: ctx.apiVersion,
    subresource: ctx.subresource,
  });
  const out = structuredMergeUpdate(ctx, live, next, managed, CURRENT_OPERATION);
  strip(out, CURRENT_OPERATION);
  const taken = out.fields.get(CURRENT_OPERATION);
  if (taken) {
    out.fields.delete(CURRENT_OPERATION);
    const previous = out.fields.get(identity);
    out.fields.set(identity, previous ? { ...taken, set: taken.set.union(previous.set) } : taken);
    out.times.set(identity, ctx.now);
  }
  capUpdateManagers(out);
  return out;
}

/** `Updater.Update`: others lose what changed; the manager gains what it added or modified. */
function structuredMergeUpdate(
  ctx: Context,
  live: unknown,
  next: unknown,
  managed: Managed,
  manager: string,
): Managed {
  const out = copyManaged(managed);
  const comparison = updateOthers(ctx, live, next, out.fields, manager, true);
  const previous = out.fields.get(manager)?.set ?? FieldSet.empty();
  const set = previous
    .union(comparison.modified)
    .union(comparison.added)
    .difference(comparison.removed)
    .recursiveDifference(ctx.ignored);
  if (set.isEmpty()) out.fields.delete(manager);
  else out.fields.set(manager, { set, apiVersion: ctx.apiVersion, applied: false });
  return out;
}

function excludeFields(comparison: Comparison, ignored: FieldSet): Comparison {
  if (ignored.isEmpty()) return comparison;
  return {
    added: comparison.added.recursiveDifference(ignored),
    modified: comparison.modified.recursiveDifference(ignored),
    removed: comparison.removed.recursiveDifference(ignored),
  };
}

/**
 * `Updater.update`: compares old and new; every other manager owning a changed field conflicts
 * (an error unless forced, else it loses the field), every manager loses removed fields, and
 * managers left with nothing, or written in a version this server does not serve, go.
 */
function updateOthers(
  ctx: Context,
  oldObject: unknown,
  newObject: unknown,
  fields: Map<string, VersionedSet>,
  workflow: string,
  force: boolean,
): Comparison {
  const comparison = excludeFields(compare(oldObject, newObject, ctx.type), ctx.ignored);
  const changed = comparison.modified.union(comparison.added);
  const conflicts = new Map<string, FieldSet>();
  for (const [manager, versioned] of fields) {
    if (manager === workflow) continue;
    if (versioned.apiVersion !== ctx.apiVersion) {
      fields.delete(manager);
      continue;
    }
    const conflict = versioned.set.intersection(changed);
    if (!conflict.isEmpty()) conflicts.set(manager, conflict);
  }
  if (!force && conflicts.size > 0) throw new ConflictsError(conflictList(conflicts));
  for (const [manager, conflict] of conflicts) {
    const versioned = fields.get(manager)!;
    fields.set(manager, { ...versioned, set: versioned.set.difference(conflict) });
  }
  if (!comparison.removed.isEmpty()) {
    for (const [manager, versioned] of fields) {
      if (manager === workflow) continue;
      fields.set(manager, { ...versioned, set: versioned.set.difference(comparison.removed) });
    }
  }
  for (const [manager, versioned] of fields) {
    if (versioned.set.isEmpty()) fields.delete(manager);
  }
  return comparison;
}

/** `ConflictsFromManagers`, in a stable order: by manager identity, then path order. */
function conflictList(conflicts: Map<string, FieldSet>): Conflict[] {
  const out: Conflict[] = [];
  for (const manager of [...conflicts.keys()].sort(compareGoStrings)) {
    for (const path of conflicts.get(manager)!.paths()) out.push({ manager, path });
  }
  return out;
}

function strip(managed: Managed, manager: string): void {
  const versioned = managed.fields.get(manager);
  if (!versioned) return;
  const set = versioned.set.difference(STRIP_SET);
  if (set.isEmpty()) managed.fields.delete(manager);
  else managed.fields.set(manager, { ...versioned, set });
}

function unixSeconds(time: string | undefined): number {
  if (!time) return 0;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

/**
 * `capUpdateManagers`: with more than ten Update entries, the oldest are merged, per API version,
 * into `ancient-changes` until ten remain. The first old entry of a version becomes the bucket
 * when a second one joins it; the bucket takes the time of the last entry merged into it.
 */
function capUpdateManagers(managed: Managed): void {
  const updaters = [...managed.fields]
    .filter(([, versioned]) => !versioned.applied)
    .map(([manager]) => manager);
  if (updaters.length <= MAX_UPDATE_MANAGERS) return;
  updaters.sort(
    (a, b) =>
      unixSeconds(managed.times.get(a)) - unixSeconds(managed.times.get(b)) ||
      compareGoStrings(a, b),
  );
  const firstOfVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > MAX_UPDATE_MANAGERS; i++) {
    const manager = updaters[i]!;
    const versioned = managed.fields.get(manager);
    if (!versioned) continue;
    const time = managed.times.get(manager);
    const version = versioned.apiVersion;
    const bucket = managerIdentity({
      manager: ANCIENT_CHANGES,
      operation: 'Update',
      apiVersion: version,
    });
    const first = firstOfVersion.get(version);
    if (first === undefined) {
      firstOfVersion.set(version, manager);
      continue;
    }
    if (!managed.fields.has(bucket)) {
      const moved = managed.fields.get(first)!;
      managed.fields.delete(first);
      managed.fields.set(bucket, moved);
    }
    managed.fields.set(bucket, {
      set: versioned.set.union(managed.fields.get(bucket)!.set),
      apiVersion: versioned.apiVersion,
      applied: versioned.applied,
    });
    // Upstream deletes the merged entry even when it is the bucket itself; so do we.
    managed.fields.delete(manager);
    length--;
    managed.times.set(bucket, time);
  }
}

/** Group, version and kind as `schema.GroupVersionKind.String()` prints them. */
interface Gvk {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

function parseGroupVersion(apiVersion: string): { group: string; version: string } | undefined {
  if (apiVersion === '' || apiVersion === '/') return { group: '', version: '' };
  const parts = apiVersion.split('/');
  if (parts.length === 1) return { group: '', version: apiVersion };
  if (parts.length === 2) return { group: parts[0]!, version: parts[1]! };
  return undefined;
}

function gvkOf(object: Record<string, unknown>): Gvk {
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  const kind = typeof object.kind === 'string' ? object.kind : '';
  const gv = parseGroupVersion(apiVersion);
  return gv ? { ...gv, kind } : { group: '', version: '', kind: '' };
}

function gvkString(gvk: Gvk): string {
  return `${gvk.group}/${gvk.version}, Kind=${gvk.kind}`;
}

function expectedGvk(ctx: Context): Gvk {
  const gv = parseGroupVersion(ctx.apiVersion) ?? { group: '', version: '' };
  const declared = schemaNamed(ctx.schemaName)?.['x-kubernetes-group-version-kind']?.[0]?.kind;
  return { ...gv, kind: declared ?? ctx.schemaName.split('.').pop() ?? '' };
}

/** `objectGVKNN`: `namespace/name; group/version, Kind=Kind`, as upstream's errors print it. */
function describe(object: Record<string, unknown>, gvk: Gvk): string {
  const meta = isPlainObject(object.metadata) ? object.metadata : {};
  const namespace = typeof meta.namespace === 'string' ? meta.namespace : '';
  const name = typeof meta.name === 'string' ? meta.name : '';
  return `${namespace}/${name}; ${gvkString(gvk)}`;
}

/**
 * A server-side apply (`FieldManager.Apply`): merges the configuration into the live object,
 * makes this manager's Apply entry (per manager and subresource) exactly the fields the
 * configuration sets, removes fields the manager applied before but no longer does unless another
 * manager owns them, and fails with a 409 (`Apply failed with N conflicts: …`) when the merge
 * changes fields other managers own, unless `force`, which takes them. Fields already holding the
 * applied value become shared. Also follows upstream's handling of client-side apply (the
 * `kubectl` manager may take fields matching the last-applied annotation, and keeps that
 * annotation up to date) and of objects without managedFields (`before-first-apply`).
 *
 * Throws StatusError: 409 Conflict, 400 for a configuration of the wrong kind or carrying
 * managedFields, 500 (no reason) for a configuration that does not fit the schema.
 */
export function applyConfiguration(options: ApplyOptions): ApplyResult {
  const ctx = contextOf(options);
  let managed: Managed;
  try {
    managed = decodeManagedFields(options.live?.metadata?.managedFields);
  } catch (error) {
    throw errors.plain(`failed to decode managed fields: ${messageOf(error)}`);
  }
  const appliedGvk = gvkOf(options.applied);
  const expected = expectedGvk(ctx);
  if (
    appliedGvk.group !== expected.group ||
    appliedGvk.version !== expected.version ||
    appliedGvk.kind !== expected.kind
  ) {
    throw errors.badRequest(`invalid object type: ${gvkString(appliedGvk)}`);
  }
  const liveRaw: Record<string, unknown> = options.live ? withoutManagedFields(options.live) : {};
  const liveShaped = options.live
    ? shaped(options.live, ctx.schemaName)
    : goZeroValue(ctx.schemaName);
  const live: ApplyInput = { raw: liveRaw, shaped: liveShaped, gvk: expected };
  let result: ApplyOutcome;
  try {
    result = applyWithLastApplied(ctx, live, options, managed);
  } catch (error) {
    if (error instanceof ConflictsError) throw conflictError(error.conflicts);
    throw error;
  }
  const object = cloneJson(result.object) as Record<string, unknown>;
  const metadata = isPlainObject(object.metadata) ? object.metadata : {};
  object.metadata = metadata;
  if (
    options.manager === KUBECTL_SSA_MANAGER &&
    isPlainObject(metadata.annotations) &&
    typeof metadata.annotations[LAST_APPLIED_ANNOTATION] === 'string' &&
    metadata.annotations[LAST_APPLIED_ANNOTATION] !== ''
  ) {
    metadata.annotations[LAST_APPLIED_ANNOTATION] = buildLastApplied(options.applied);
  }
  const changed = !options.live || !deepEqual(liveRaw, object);
  const entries = encodeManagedFields(result.managed);
  if (entries) metadata.managedFields = entries;
  else delete metadata.managedFields;
  return { object: object as KubeObject, changed };
}

interface ApplyInput {
  readonly raw: Record<string, unknown>;
  readonly shaped: unknown;
  readonly gvk: Gvk;
}

interface ApplyOutcome {
  readonly object: Record<string, unknown>;
  readonly managed: Managed;
}

/**
 * lastAppliedManager: when the `kubectl` manager's apply conflicts only on fields that still hold
 * the values of the client-side last-applied annotation, those were its own: apply with force.
 */
function applyWithLastApplied(
  ctx: Context,
  live: ApplyInput,
  options: ApplyOptions,
  managed: Managed,
): ApplyOutcome {
  try {
    return applyTracked(ctx, live, options, managed, options.force);
  } catch (error) {
    if (options.manager !== KUBECTL_SSA_MANAGER || !(error instanceof ConflictsError)) throw error;
    const allowed = allowedFromLastApplied(ctx, live);
    if (!allowed) throw error;
    const conflictSet = FieldSet.of(...error.conflicts.map((c) => c.path));
    if (!conflictSet.difference(allowed).isEmpty()) {
      throw new ConflictsError(error.conflicts.filter((c) => !allowed.has(c.path)));
    }
    return applyTracked(ctx, live, options, managed, true);
  }
}

function allowedFromLastApplied(ctx: Context, live: ApplyInput): FieldSet | undefined {
  const metadata = isPlainObject(live.raw.metadata) ? live.raw.metadata : {};
  const annotations = isPlainObject(metadata.annotations) ? metadata.annotations : {};
  const text = annotations[LAST_APPLIED_ANNOTATION];
  if (typeof text !== 'string' || text === '') return undefined;
  let lastApplied: unknown;
  try {
    lastApplied = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(lastApplied) || lastApplied.apiVersion !== ctx.apiVersion) return undefined;
  if (validate(lastApplied, ctx.type).length > 0) return undefined;
  try {
    const set = toFieldSet(lastApplied, ctx.type);
    const comparison = compare(lastApplied, live.shaped, ctx.type);
    return set
      .difference(comparison.modified)
      .difference(comparison.added)
      .difference(comparison.removed);
  } catch (error) {
    if (error instanceof TypedError) return undefined;
    throw error;
  }
}

/**
 * skipNonApplied: an object without managedFields first gets its existing fields assigned to a
 * `before-first-apply` Update entry, so the apply conflicts with them instead of silently owning
 * them. Then the apply proper.
 */
function applyTracked(
  ctx: Context,
  live: ApplyInput,
  options: ApplyOptions,
  managed: Managed,
  force: boolean,
): ApplyOutcome {
  let current = managed;
  if (current.fields.size === 0) {
    try {
      current = updateChain(
        ctx,
        goZeroValue(ctx.schemaName),
        live.shaped,
        current,
        BEFORE_FIRST_APPLY,
      );
    } catch (error) {
      throw liveError(error, ctx, live);
    }
  }
  return applyManaged(ctx, live, options, current, force);
}

function liveError(error: unknown, ctx: Context, live: ApplyInput): unknown {
  if (!(error instanceof TypedError)) return error;
  const problems = validate(live.shaped, ctx.type).filter(
    (p) => p.message !== 'field not declared in schema',
  );
  const detail = problems.length > 0 ? formatProblems(problems) : error.message;
  return errors.plain(
    `failed to create typed live object (${describe(live.raw, live.gvk)}): ${detail}`,
  );
}

/** buildManagerInfo → managedFieldsUpdater → stripMeta → structuredMerge, for Apply. */
function applyManaged(
  ctx: Context,
  live: ApplyInput,
  options: ApplyOptions,
  managed: Managed,
  force: boolean,
): ApplyOutcome {
  const applied = options.applied;
  const metadata = isPlainObject(applied.metadata) ? applied.metadata : undefined;
  if (metadata?.managedFields !== undefined && metadata.managedFields !== null) {
    throw errors.badRequest('metadata.managedFields must be nil');
  }
  const problems = validate(applied, ctx.type);
  if (problems.length > 0) {
    throw errors.plain(
      `failed to create typed patch object (${describe(applied, gvkOf(applied))}): ${formatProblems(problems)}`,
    );
  }
  const identity = managerIdentity({
    manager: options.manager || 'unknown',
    operation: 'Apply',
    subresource: ctx.subresource,
  });
  let outcome: { object: Record<string, unknown>; managed: Managed; changed: boolean };
  try {
    outcome = structuredMergeApply(ctx, live, applied, managed, identity, force);
  } catch (error) {
    throw liveError(error, ctx, live);
  }
  strip(outcome.managed, identity);
  if (outcome.changed) {
    outcome.managed.times.set(identity, ctx.now);
    return { object: outcome.object, managed: outcome.managed };
  }
  return { object: live.raw, managed: outcome.managed };
}

/** `Updater.Apply`. */
function structuredMergeApply(
  ctx: Context,
  live: ApplyInput,
  config: Record<string, unknown>,
  managed: Managed,
  manager: string,
  force: boolean,
): { object: Record<string, unknown>; managed: Managed; changed: boolean } {
  const out = copyManaged(managed);
  const mergedShaped = merge(live.shaped, config, ctx.type) ?? {};
  const mergedRaw = (merge(live.raw, config, ctx.type) ?? {}) as Record<string, unknown>;
  const last = out.fields.get(manager);
  // Upstream drops reset fields from the new set but (by an oversight) not from the last one.
  const set = toFieldSet(config, ctx.type).recursiveDifference(ctx.ignored);
  out.fields.set(manager, { set, apiVersion: ctx.apiVersion, applied: true });
  let result: unknown = mergedShaped;
  let object = mergedRaw;
  // Pruning only ever removes paths of the last set that the new one lacks (see pruneSet).
  if (last && last.apiVersion === ctx.apiVersion && !last.set.difference(set).isEmpty()) {
    const removal = pruneSet(ctx, mergedShaped, out.fields, last.set);
    if (!removal.isEmpty()) {
      result = removeItems(mergedShaped, removal, ctx.type);
      object = removeItems(mergedRaw, removal, ctx.type, true) as Record<string, unknown>;
    }
  }
  updateOthers(ctx, live.shaped, result, out.fields, manager, force);
  return { object, managed: out, changed: !deepEqual(live.shaped, result) };
}

/**
 * `Updater.prune` with addBackOwnedItems and addBackDanglingItems, as the set of paths to remove
 * from the merged object: what the manager applied last time and no longer applies, unless some
 * manager (this one included) owns it now, or it was never this manager's to begin with.
 *
 * When every member of the last set is in the new one, the result is empty (each path of the
 * named last set and all its ancestors are then owned, so neither cut can reach it); the caller
 * skips the walks in that case.
 */
function pruneSet(
  ctx: Context,
  merged: unknown,
  fields: Map<string, VersionedSet>,
  last: FieldSet,
): FieldSet {
  const named = (set: FieldSet): FieldSet => ensureNamedFieldsAreMembers(set, ctx.type);
  const lastNamed = named(last);
  const firstCut = removeItems(merged, lastNamed, ctx.type);
  let owned = FieldSet.empty();
  for (const versioned of fields.values()) {
    if (versioned.apiVersion === ctx.apiVersion) owned = owned.union(versioned.set);
  }
  const mergedSet = named(toFieldSet(merged, ctx.type));
  const addBackOwned = mergedSet.difference(
    named(toFieldSet(firstCut, ctx.type)).union(named(owned)),
  );
  const secondCut = removeItems(merged, addBackOwned, ctx.type);
  return mergedSet.difference(named(toFieldSet(secondCut, ctx.type))).intersection(lastNamed);
}

/** `buildLastApplied`: the applied configuration without the annotation, as JSON plus newline. */
function buildLastApplied(applied: Record<string, unknown>): string {
  const copy = structuredClone(applied);
  const metadata = isPlainObject(copy.metadata) ? copy.metadata : undefined;
  if (metadata && isPlainObject(metadata.annotations)) {
    delete metadata.annotations[LAST_APPLIED_ANNOTATION];
  }
  return `${goJson(copy)}\n`;
}

/** `printManager`: `"name"` for appliers, `"name" using apps/v1` for updaters. */
export function printManager(identity: string): string {
  const info = parseIdentity(identity);
  if (info.operation === undefined && info.manager === identity) return goQuote(identity);
  let out = goQuote(info.manager ?? '');
  if (info.subresource) out += ` with subresource ${goQuote(info.subresource)}`;
  if (info.operation === 'Update') out += ` using ${info.apiVersion ?? ''}`;
  return out;
}

/**
 * `NewConflictError`: 409 Conflict with one cause per conflicting field; the message names the
 * single conflict, or lists the conflicts grouped by manager (managers in identity order).
 */
export function conflictError(conflicts: readonly Conflict[]): StatusError {
  const causes: StatusCause[] = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${printManager(c.manager)}`,
    field: pathString(c.path),
  }));
  let message: string;
  if (conflicts.length === 1) {
    const only = conflicts[0]!;
    message = `Apply failed with 1 conflict: conflict with ${printManager(only.manager)}: ${pathString(only.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) {
      const paths = byManager.get(c.manager) ?? [];
      paths.push(pathString(c.path));
      byManager.set(c.manager, paths);
    }
    const lines: string[] = [];
    for (const manager of [...byManager.keys()].sort(compareGoStrings)) {
      lines.push(`conflicts with ${printManager(manager)}:`);
      for (const path of byManager.get(manager)!) lines.push(`- ${path}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: 'Conflict',
    details: { causes },
    code: 409,
  });
}

/** A deep copy of plain JSON (objects, arrays, scalars), much cheaper than structuredClone. */
function cloneJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneJson);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      if (child !== undefined) out[key] = cloneJson(child);
    }
    return out;
  }
  return value;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * `metadata.managedFields` as the field manager holds it (k8s.io/apimachinery/pkg/util/managedfields
 * internal/managedfields.go): one versioned field set per manager identity, plus the time of each.
 * A manager's identity is the JSON of its entry without fieldsType, fieldsV1 and time, and without
 * apiVersion for appliers (`BuildManagerIdentifier`): so there is one Apply entry per
 * (manager, subresource) and one Update entry per (manager, apiVersion, subresource).
 */
import type { JsonObject, ManagedFieldsEntry } from '../objects';
import { isPlainObject } from '../objects';
import { FieldSet, FieldsV1Error } from './field-set';
import { compareGoStrings, goJson } from './path';

/** `metav1.ManagedFieldsOperationType`. */
export type Operation = 'Apply' | 'Update';

/** A manager's fields, the API version they were written in, and whether they were applied. */
export interface VersionedSet {
  readonly set: FieldSet;
  readonly apiVersion: string;
  readonly applied: boolean;
}

/** Managed fields by manager identity, with each manager's time (RFC 3339) if it has one. */
export interface Managed {
  readonly fields: Map<string, VersionedSet>;
  readonly times: Map<string, string | undefined>;
}

/** managedFields that do not decode (`DecodeManagedFields` errors). */
export class ManagedFieldsError extends Error {
  override readonly name = 'ManagedFieldsError';
}

/** `NewEmptyManaged`. */
export function emptyManaged(): Managed {
  return { fields: new Map(), times: new Map() };
}

/** A copy whose maps can be changed without touching `managed` (`shallowCopyManagers`). */
export function copyManaged(managed: Managed): Managed {
  return { fields: new Map(managed.fields), times: new Map(managed.times) };
}

/** What identifies a manager (the entry without fields and time). */
export interface ManagerInfo {
  readonly manager?: string;
  readonly operation?: Operation;
  readonly apiVersion?: string;
  readonly subresource?: string;
}

/**
 * `BuildManagerIdentifier`: `{"manager":…,"operation":…,"apiVersion":…,"subresource":…}` with
 * empty fields left out, and apiVersion left out for Apply.
 */
export function managerIdentity(info: ManagerInfo): string {
  const entry: Record<string, string> = {};
  if (info.manager) entry.manager = info.manager;
  if (info.operation) entry.operation = info.operation;
  if (info.apiVersion && info.operation !== 'Apply') entry.apiVersion = info.apiVersion;
  if (info.subresource) entry.subresource = info.subresource;
  // Field order is the Go struct's, not sorted: build the JSON by hand.
  const parts = (['manager', 'operation', 'apiVersion', 'subresource'] as const)
    .filter((k) => entry[k] !== undefined)
    .map((k) => `${goJson(k)}:${goJson(entry[k])}`);
  return `{${parts.join(',')}}`;
}

/** The manager fields of an identity (`json.Unmarshal` of it into an entry). */
export function parseIdentity(identity: string): ManagerInfo {
  try {
    const parsed: unknown = JSON.parse(identity);
    if (!isPlainObject(parsed)) return { manager: identity };
    const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
    const operation = str(parsed.operation);
    return {
      manager: str(parsed.manager),
      operation: operation === 'Apply' || operation === 'Update' ? operation : undefined,
      apiVersion: str(parsed.apiVersion),
      subresource: str(parsed.subresource),
    };
  } catch {
    return { manager: identity };
  }
}

/**
 * `DecodeManagedFields`: every entry must have operation Apply or Update, an apiVersion and
 * fieldsType FieldsV1. A later entry with the same identity replaces an earlier one.
 */
export function decodeManagedFields(entries: unknown): Managed {
  const managed = emptyManaged();
  if (entries === undefined || entries === null) return managed;
  if (!Array.isArray(entries)) throw new ManagedFieldsError('managedFields must be a list');
  entries.forEach((raw: unknown, i) => {
    if (!isPlainObject(raw))
      throw new ManagedFieldsError(`managed fields entry ${i} is not an object`);
    const entry = raw as ManagedFieldsEntry;
    if (entry.operation !== 'Apply' && entry.operation !== 'Update') {
      throw new ManagedFieldsError('operation must be `Apply` or `Update`');
    }
    if (!entry.apiVersion) throw new ManagedFieldsError('apiVersion must not be empty');
    if (!entry.fieldsType) {
      throw new ManagedFieldsError(`missing fieldsType in managed fields entry ${i}`);
    }
    if (entry.fieldsType !== 'FieldsV1') {
      throw new ManagedFieldsError(
        `invalid fieldsType ${JSON.stringify(entry.fieldsType)} in managed fields entry ${i}`,
      );
    }
    const identity = managerIdentity({
      manager: typeof entry.manager === 'string' ? entry.manager : undefined,
      operation: entry.operation,
      apiVersion: entry.apiVersion,
      subresource: typeof entry.subresource === 'string' ? entry.subresource : undefined,
    });
    let set: FieldSet;
    try {
      set = FieldSet.fromFieldsV1(entry.fieldsV1);
    } catch (error) {
      const detail = error instanceof FieldsV1Error ? error.message : String(error);
      throw new ManagedFieldsError(`error decoding versioned set: error decoding set: ${detail}`);
    }
    managed.fields.set(identity, {
      set,
      apiVersion: entry.apiVersion,
      applied: entry.operation === 'Apply',
    });
    managed.times.set(identity, typeof entry.time === 'string' ? entry.time : undefined);
  });
  return managed;
}

function unixSeconds(time: string | undefined): number {
  if (!time) return 0;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

/**
 * `encodeManagedFields`: one entry per manager, fields in the order the apiserver serializes a
 * ManagedFieldsEntry (manager, operation, apiVersion, time, fieldsType, fieldsV1, subresource),
 * sorted by operation (Apply first), time, manager, apiVersion, subresource. No managers: undefined,
 * so that the object has no managedFields at all.
 */
export function encodeManagedFields(managed: Managed): ManagedFieldsEntry[] | undefined {
  if (managed.fields.size === 0) return undefined;
  const entries: ManagedFieldsEntry[] = [];
  for (const [identity, versioned] of managed.fields) {
    const info = parseIdentity(identity);
    const operation: Operation = versioned.applied ? 'Apply' : (info.operation ?? 'Update');
    const time = managed.times.get(identity);
    const entry: ManagedFieldsEntry = {};
    if (info.manager) entry.manager = info.manager;
    entry.operation = operation;
    if (versioned.apiVersion) entry.apiVersion = versioned.apiVersion;
    if (time) entry.time = time;
    entry.fieldsType = 'FieldsV1';
    entry.fieldsV1 = versioned.set.toFieldsV1() as JsonObject;
    if (info.subresource) entry.subresource = info.subresource;
    entries.push(entry);
  }
  return entries.sort(
    (p, q) =>
      compareGoStrings(p.operation ?? '', q.operation ?? '') ||
      unixSeconds(p.time) - unixSeconds(q.time) ||
      compareGoStrings(p.manager ?? '', q.manager ?? '') ||
      compareGoStrings(p.apiVersion ?? '', q.apiVersion ?? '') ||
      compareGoStrings(p.subresource ?? '', q.subresource ?? ''),
  );
}

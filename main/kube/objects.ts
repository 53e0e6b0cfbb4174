/**
 * Kubernetes objects as the API server handles them: plain JSON, loosely typed at the edges and
 * narrowed where logic needs fields. Stored objects are never mutated; writers build new ones.
 */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: JsonObject;
  subresource?: string;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | null;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
  selfLink?: string;
}

/** Any Kubernetes object: type meta, object meta, and whatever else its kind has. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A deep copy of JSON data (objects from the store are shared and must not be mutated). Plain
 * objects and arrays are copied by hand — several times faster than structuredClone on the small
 * objects of every write — keeping key order and keys whose value is undefined; anything else
 * (a Date, a typed array) goes through structuredClone. Unlike structuredClone, a sub-object
 * that appears twice is copied twice: JSON has no shared references.
 */
export function deepCopy<T>(value: T): T {
  return copyValue(value) as T;
}

function copyValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copyValue(value[i]);
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Record<string, unknown> = {};
  // Object.keys, not for…in: for…in is slow on the frozen objects of the store.
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const child = copyValue((value as Record<string, unknown>)[key]);
    // A "__proto__" key (JSON.parse makes it an own property) must stay a property.
    if (key === '__proto__') {
      Object.defineProperty(out, key, {
        value: child,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else out[key] = child;
  }
  return out;
}

/**
 * Whether two JSON values are the same to the byte: equal scalars, arrays of the same values, and
 * objects with the same keys in the same order (keys whose value is undefined included) and the
 * same values. Stricter than deepEqual, which ignores key order: a value that passes may replace
 * the other without anything a client can see changing.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const proto: unknown = Object.getPrototypeOf(a);
  if ((proto !== Object.prototype && proto !== null) || Object.getPrototypeOf(b) !== proto)
    return false;
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  if (ak.length !== bk.length) return false;
  for (let i = 0; i < ak.length; i++) {
    const key = ak[i]!;
    if (key !== bk[i]) return false;
    if (!sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]))
      return false;
  }
  return true;
}

/**
 * Makes a write share what it leaves unchanged with the stored object it replaces: every value
 * two levels down (`spec.containers`, `status.conditions`, `metadata.labels`…) that is the same
 * JSON as the stored one at the same place (sameJson) becomes the stored one. The stored object
 * is frozen, so those parts of the next object are too, and everything that looks at both —
 * managed fields, comparisons, the store's freezing — can stop where they are the same object,
 * making a write cost what it changes rather than the size of the object; revisions kept in the
 * watch history share their unchanged parts. What changed is frozen as it is (the store would
 * freeze it anyway), so its shape is worked out once too. The top level and the first level stay
 * the next object's own, for the strategy and admission to set fields on: nothing below them may
 * change after this.
 */
export function shareUnchanged(next: KubeObject, stored: KubeObject): void {
  const top = next as Record<string, unknown>;
  const old = stored as Record<string, unknown>;
  for (const key of Object.keys(top)) {
    const mine = top[key];
    const theirs = old[key];
    if (!isPlainObject(mine) || !isPlainObject(theirs) || Object.isFrozen(mine)) continue;
    for (const field of Object.keys(mine)) {
      const value = mine[field];
      if (typeof value !== 'object' || value === null) continue;
      const shared = Object.hasOwn(theirs, field) ? theirs[field] : undefined;
      if (value !== shared && sameJson(value, shared)) mine[field] = shared;
      else deepFreeze(value);
    }
  }
}

/** Freezes a value and everything in it (what is frozen already is taken to be frozen through). */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
  return value;
}

/** Deep equality of JSON values (key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => deepEqual(item, b[i]));
  }
  if (Array.isArray(b)) return false;
  const ak = Object.keys(a as object).filter(
    (k) => (a as Record<string, unknown>)[k] !== undefined,
  );
  const bk = Object.keys(b as object).filter(
    (k) => (b as Record<string, unknown>)[k] !== undefined,
  );
  if (ak.length !== bk.length) return false;
  return ak.every((k) =>
    deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

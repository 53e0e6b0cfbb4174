/**
 * Strategic merge patch, as the API server applies it (k8s.io/apimachinery/pkg/util/strategicpatch
 * `StrategicMergePatch` → `mergeMap` with IgnoreUnmatchedNulls and MergeParallelList). Patch
 * strategies and merge keys come from the schemas (`x-kubernetes-patch-strategy`,
 * `x-kubernetes-patch-merge-key`), where the apiserver reads Go struct tags.
 *
 * Directives: `$patch: replace|delete` (maps and list items), `$retainKeys`,
 * `$setElementOrder/<field>`, `$deleteFromPrimitiveList/<field>`; `null` deletes.
 * Element order follows upstream's normalizeElementOrder/mergeSortedSlice: `$setElementOrder`,
 * then patch order, then live order.
 */
import { deepEqual, isPlainObject } from '../objects';
import { listMetaOf, propertyOf, resolveSchema, schemaNamed, type Schema } from '../schema';
import { PatchError } from './errors';

type Obj = Record<string, unknown>;

const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_FROM = '$deleteFromPrimitiveList/';

/** Go's `%v` of a decoded JSON map, as upstream error messages print patches. */
export function goMapString(value: unknown): string {
  if (isPlainObject(value)) {
    return `map[${Object.keys(value)
      .sort()
      .map((k) => `${k}:${goMapString(value[k])}`)
      .join(' ')}]`;
  }
  if (Array.isArray(value)) return `[${value.map(goMapString).join(' ')}]`;
  if (value === null) return '<nil>';
  return String(value);
}

function childSchemaOfList(schema: Schema | undefined): Schema | undefined {
  return resolveSchema(schema)?.items;
}

/** Property schema for `key` in an object schema, or the value schema of a map. */
function childSchema(schema: Schema | undefined, key: string): Schema | undefined {
  const resolved = resolveSchema(schema);
  if (!resolved) return undefined;
  if (resolved.properties) return resolved.properties[key];
  if (resolved.additionalProperties && typeof resolved.additionalProperties === 'object') {
    return resolved.additionalProperties;
  }
  return undefined;
}

/** Drops nulls everywhere inside a value being added (discardNullValuesFromPatch). */
function discardNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(discardNulls);
  if (isPlainObject(value)) {
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = discardNulls(v);
    return out;
  }
  return value;
}

/**
 * removeDirectives: any map carrying `$patch` is removed (the key, or the list element);
 * undefined means the value itself is such a map.
 */
function removeDirectives(value: unknown): unknown {
  if (isPlainObject(value)) {
    if (Object.hasOwn(value, PATCH)) return undefined;
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) {
      const cleaned = removeDirectives(v);
      if (cleaned !== undefined) out[k] = cleaned;
    }
    return out;
  }
  if (Array.isArray(value)) {
    return value.map(removeDirectives).filter((v) => v !== undefined);
  }
  return value;
}

function added(value: unknown): unknown {
  return removeDirectives(discardNulls(value));
}

/** Applies a strategic merge patch to `original`, an object of schema `schemaName`. */
export function strategicMergePatch(
  original: unknown,
  patch: unknown,
  schemaName: string,
): unknown {
  if (!isPlainObject(patch)) {
    throw new PatchError(
      'couldn\'t get version/kind; json parse error: json: cannot unmarshal array into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }',
      400,
    );
  }
  const schema = schemaNamed(schemaName);
  return mergeMap(isPlainObject(original) ? original : {}, patch, schema);
}

function mergeMap(original: Obj, patch: Obj, schema: Schema | undefined): Obj {
  if (Object.hasOwn(patch, PATCH)) return handleDirectiveInMap(patch);
  const result: Obj = { ...original };
  const remaining: Obj = { ...patch };
  if (Object.hasOwn(remaining, RETAIN_KEYS)) {
    applyRetainKeys(result, remaining);
    delete remaining[RETAIN_KEYS];
  }
  // $setElementOrder lists first: they merge their list and drop it from the patch.
  for (const key of Object.keys(remaining)) {
    if (!key.startsWith(SET_ORDER)) continue;
    const field = key.slice(SET_ORDER.length);
    const order = remaining[key];
    if (!Array.isArray(order)) {
      throw new PatchError(`expected a []interface {}, but received a ${typeof order}`, 400);
    }
    delete remaining[key];
    const meta = listMetaOf(childSchema(schema, field));
    const live = Array.isArray(result[field]) ? (result[field] as unknown[]) : undefined;
    const patchList = Array.isArray(remaining[field]) ? (remaining[field] as unknown[]) : undefined;
    const deleteKey = `${DELETE_FROM}${field}`;
    if (patchList !== undefined) delete remaining[field];
    let merged: unknown[] | undefined;
    if (live && patchList) {
      merged = mergeSlice(
        live,
        patchList,
        meta.mergeKey,
        childSchemaOfList(childSchema(schema, field)),
        meta.patchStrategy.includes('merge'),
      );
    } else if (live) {
      merged = live;
    } else if (patchList) {
      merged = added(patchList) as unknown[];
    }
    if (merged === undefined) continue;
    if (Array.isArray(remaining[deleteKey])) {
      const drop = remaining[deleteKey] as unknown[];
      merged = merged.filter((item) => !drop.some((d) => deepEqual(d, item)));
      delete remaining[deleteKey];
    }
    result[field] = orderList(merged, order, live ?? [], meta.mergeKey);
  }
  for (const [key, value] of Object.entries(remaining)) {
    if (key.startsWith(DELETE_FROM)) {
      const field = key.slice(DELETE_FROM.length);
      if (!field) throw new PatchError('invalid patch format of primitive list', 400);
      if (!Array.isArray(value))
        throw new PatchError('invalid patch format of primitive list', 400);
      if (Array.isArray(result[field])) {
        result[field] = (result[field] as unknown[]).filter(
          (item) => !value.some((d) => deepEqual(d, item)),
        );
      }
      continue;
    }
    if (key.startsWith('$')) continue;
    if (value === null) {
      delete result[key];
      continue;
    }
    const current = result[key];
    if (current === undefined) {
      const cleaned = added(value);
      if (cleaned !== undefined) result[key] = cleaned;
      continue;
    }
    const property = childSchema(schema, key);
    if (isPlainObject(current) && isPlainObject(value)) {
      const meta = listMetaOf(property);
      if (meta.patchStrategy.includes('replace')) {
        const cleaned = added(value);
        if (cleaned === undefined) delete result[key];
        else result[key] = cleaned;
      } else {
        result[key] = mergeMap(current, value, property);
      }
      continue;
    }
    if (Array.isArray(current) && Array.isArray(value)) {
      const meta = listMetaOf(property);
      if (meta.patchStrategy.includes('merge')) {
        const merged = mergeSlice(current, value, meta.mergeKey, childSchemaOfList(property), true);
        result[key] = orderList(
          merged,
          value.filter((v) => !(isPlainObject(v) && Object.hasOwn(v, PATCH))),
          current,
          meta.mergeKey,
        );
      } else {
        result[key] = added(value);
      }
      continue;
    }
    const cleaned = added(value);
    if (cleaned === undefined) delete result[key];
    else result[key] = cleaned;
  }
  return result;
}

function handleDirectiveInMap(patch: Obj): Obj {
  const directive = patch[PATCH];
  if (directive === 'replace') {
    const copy: Obj = { ...patch };
    delete copy[PATCH];
    return discardNulls(copy) as Obj;
  }
  if (directive === 'delete') return {};
  throw new PatchError(
    `unknown patch type: ${String(directive)} in map: ${goMapString(patch)}`,
    400,
  );
}

function applyRetainKeys(result: Obj, patch: Obj): void {
  const retain = patch[RETAIN_KEYS];
  if (!Array.isArray(retain)) throw new PatchError('invalid patch format of retainKeys', 400);
  for (const [key, value] of Object.entries(patch)) {
    if (
      key === RETAIN_KEYS ||
      key.startsWith(SET_ORDER) ||
      key.startsWith(DELETE_FROM) ||
      value === null
    )
      continue;
    if (!retain.includes(key)) throw new PatchError('invalid patch format of retainKeys', 400);
  }
  for (const key of Object.keys(result)) if (!retain.includes(key)) delete result[key];
}

function elementKey(item: unknown, mergeKey: string | undefined): string {
  if (mergeKey && isPlainObject(item)) return JSON.stringify(item[mergeKey] ?? null);
  return JSON.stringify(item);
}

/** mergeSlice for lists with the `merge` strategy. */
function mergeSlice(
  original: unknown[],
  patch: unknown[],
  mergeKey: string | undefined,
  itemSchema: Schema | undefined,
  merge: boolean,
): unknown[] {
  if (!merge) return added(patch) as unknown[];
  if (original.length === 0 && patch.length === 0) return original;
  const mapList = patch.some(isPlainObject) || original.some(isPlainObject);
  if (!mapList) {
    // Scalar merge lists are a union, de-duplicated.
    const out: unknown[] = [];
    for (const item of [...original, ...patch])
      if (!out.some((o) => deepEqual(o, item))) out.push(item);
    return out;
  }
  if (!mergeKey) throw new PatchError('cannot merge lists without merge key for type map', 500);
  let result = [...original];
  const ordinary: Obj[] = [];
  for (const element of patch) {
    if (!isPlainObject(element)) throw new PatchError('list element types are not identical', 500);
    if (!Object.hasOwn(element, PATCH)) {
      ordinary.push(element);
      continue;
    }
    const directive = element[PATCH];
    if (directive === 'delete') {
      if (!Object.hasOwn(element, mergeKey)) {
        throw new PatchError(
          `map: ${goMapString(element)} does not contain declared merge key: ${mergeKey}`,
          500,
        );
      }
      result = result.filter(
        (item) => !(isPlainObject(item) && deepEqual(item[mergeKey], element[mergeKey])),
      );
    } else if (directive === 'replace') {
      return added(
        patch.filter((e) => !(isPlainObject(e) && Object.hasOwn(e, PATCH))),
      ) as unknown[];
    } else if (directive === 'merge') {
      throw new PatchError('merging lists cannot yet be specified in the patch', 500);
    } else {
      throw new PatchError(
        `unknown patch type: ${String(directive)} in map: ${goMapString(element)}`,
        400,
      );
    }
  }
  for (const element of ordinary) {
    if (!Object.hasOwn(element, mergeKey)) {
      throw new PatchError(
        `map: ${goMapString(element)} does not contain declared merge key: ${mergeKey}`,
        500,
      );
    }
    const index = result.findIndex(
      (item) => isPlainObject(item) && deepEqual(item[mergeKey], element[mergeKey]),
    );
    if (index >= 0) result[index] = mergeMap(result[index] as Obj, element, itemSchema);
    else {
      const cleaned = added(element);
      if (cleaned !== undefined) result.push(cleaned);
    }
  }
  return result;
}

/**
 * normalizeElementOrder + mergeSortedSlice: items named by `order` (the $setElementOrder list, or
 * the patch list) sorted by it; the rest by their live position; then interleaved so a live item
 * comes first only when both it and the next ordered item are live and it came first there.
 */
function orderList(
  merged: unknown[],
  order: unknown[],
  live: unknown[],
  mergeKey: string | undefined,
): unknown[] {
  const orderIndex = new Map<string, number>();
  order.forEach((item, i) => {
    const key = elementKey(item, mergeKey);
    if (!orderIndex.has(key)) orderIndex.set(key, i);
  });
  const liveIndex = new Map<string, number>();
  live.forEach((item, i) => {
    const key = elementKey(item, mergeKey);
    if (!liveIndex.has(key)) liveIndex.set(key, i);
  });
  const patchItems = merged
    .filter((item) => orderIndex.has(elementKey(item, mergeKey)))
    .sort(
      (a, b) => orderIndex.get(elementKey(a, mergeKey))! - orderIndex.get(elementKey(b, mergeKey))!,
    );
  const serverOnly = merged
    .filter((item) => !orderIndex.has(elementKey(item, mergeKey)))
    .sort(
      (a, b) =>
        (liveIndex.get(elementKey(a, mergeKey)) ?? 0) -
        (liveIndex.get(elementKey(b, mergeKey)) ?? 0),
    );
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length && j < patchItems.length) {
    const s = liveIndex.get(elementKey(serverOnly[i], mergeKey));
    const p = liveIndex.get(elementKey(patchItems[j], mergeKey));
    if (s !== undefined && p !== undefined && s < p) out.push(serverOnly[i++]);
    else out.push(patchItems[j++]);
  }
  return [...out, ...serverOnly.slice(i), ...patchItems.slice(j)];
}

/** For tests and callers that need to check a field's list strategy. */
export function listStrategy(schemaName: string, ...path: string[]): ReturnType<typeof listMetaOf> {
  let schema: Schema | undefined = schemaNamed(schemaName);
  for (const part of path.slice(0, -1)) schema = propertyOf(schema, part);
  return listMetaOf(propertyOf(schema, path[path.length - 1]!));
}

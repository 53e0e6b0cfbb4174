/**
 * Typed walks over JSON values (sigs.k8s.io/structured-merge-diff/v4 `typed`): the set of fields
 * a value sets (`ToFieldSet`), what changed between two values (`Compare`), the merge of an applied
 * configuration into a live value (`Merge`), and removing owned items (`RemoveItems`).
 *
 * The rules: scalars, atomic lists and atomic maps/structs are leaves, compared and replaced as a
 * whole; associative lists are walked item by item (`k:` by key fields, `v:` by value for sets);
 * granular maps and structs field by field. An empty or null map or list on both sides is a leaf
 * too, so that `{}` versus `null` is seen. A non-leaf node that appears or disappears is itself
 * added or removed (that is where FieldsV1's `.` comes from).
 *
 * Values are plain JSON; `undefined` means "absent", unlike `null`.
 */
import { deepEqual, isPlainObject, type JsonValue } from '../objects';
import { FieldSet, type AddPath } from './field-set';
import {
  fieldElement,
  keyElement,
  pathElementString,
  pathString,
  valueElement,
  type KeyElement,
  type KeyField,
  type Path,
  type PathElement,
} from './path';
import { typeNamed, type ListType, type MapType, type TypeNode } from './schema-types';

/** A value that does not fit its schema where the walk needs it to (`ValidationErrors`). */
export class TypedError extends Error {
  override readonly name = 'TypedError';
}

/** What changed from one value to another (`typed.Comparison`). */
export interface Comparison {
  readonly added: FieldSet;
  readonly modified: FieldSet;
  readonly removed: FieldSet;
}

const DEDUCED_LIST: ListType = {
  kind: 'list',
  atomic: true,
  keys: [],
  keyDefaults: {},
  item: () => ({ kind: 'deduced' }),
};

const DEDUCED_MAP: MapType = {
  kind: 'map',
  atomic: false,
  struct: undefined,
  hasField: () => false,
  child: () => ({ kind: 'deduced' }),
};

type Shape = 'none' | 'map' | 'list' | 'scalar';

function shapeOf(value: unknown): Shape {
  if (value === undefined || value === null) return 'none';
  if (Array.isArray(value)) return 'list';
  if (isPlainObject(value)) return 'map';
  return 'scalar';
}

/** A deduced type resolved by the shape of its value(s); undefined when the shapes disagree. */
function concrete(type: TypeNode, lhs: unknown, rhs?: unknown): TypeNode | undefined {
  if (type.kind !== 'deduced') return type;
  const a = shapeOf(lhs);
  const b = shapeOf(rhs);
  if (a !== 'none' && b !== 'none' && a !== b) return undefined;
  const shape = a === 'none' ? b : a;
  if (shape === 'map') return DEDUCED_MAP;
  if (shape === 'list') return DEDUCED_LIST;
  return SCALAR;
}

const SCALAR: TypeNode = { kind: 'scalar' };
const DEDUCED: TypeNode = { kind: 'deduced' };

/** Whether `value` can be walked as `type` (null and absent always can). */
function fits(type: ListType | MapType, value: unknown): boolean {
  const shape = shapeOf(value);
  return shape === 'none' || shape === (type.kind === 'list' ? 'list' : 'map');
}

function isEmptyContainer(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  return isPlainObject(value) && Object.keys(value).length === 0;
}

/**
 * The path element of a list item (`listItemToPathElement`): `k:` from the key fields (or their
 * defaults) for associative lists with keys, `v:` for sets. Throws TypedError as upstream does.
 */
export function listItemElement(list: ListType, item: unknown): PathElement {
  if (list.keys.length > 0 && isPlainObject(item)) {
    const cached = elementCache.get(item);
    if (cached && cached.list === list && stillKeys(cached.element, list, item)) {
      return cached.element;
    }
    const element = keyedElement(list, item);
    elementCache.set(item, { list, element });
    return element;
  }
  return itemElement(list, item);
}

/**
 * Key elements by item: the same items are keyed by every walk of a write (and the same frozen
 * stored items by every write). A hit is checked against the item's key fields, in case the
 * caller changed the item since.
 */
const elementCache = new WeakMap<object, { list: ListType; element: KeyElement }>();

function stillKeys(element: KeyElement, list: ListType, item: Record<string, unknown>): boolean {
  for (const field of element.fields) {
    const value = Object.hasOwn(item, field.name) ? item[field.name] : undefined;
    const expected = value === undefined ? list.keyDefaults[field.name] : value;
    if (expected !== field.value) return false;
  }
  return true;
}

function keyedElement(list: ListType, item: Record<string, unknown>): KeyElement {
  const fields: KeyField[] = [];
  for (const name of list.keys) {
    if (Object.hasOwn(item, name) && item[name] !== undefined) {
      fields.push({ name, value: item[name] as JsonValue });
    } else if (Object.hasOwn(list.keyDefaults, name)) {
      fields.push({ name, value: list.keyDefaults[name]! });
    } else {
      throw new TypedError(
        `associative list with keys has an element that omits key field ${JSON.stringify(name)} (and doesn't have default value)`,
      );
    }
  }
  return keyElement(fields);
}

function itemElement(list: ListType, item: unknown): PathElement {
  if (list.keys.length > 0) {
    if (item === null) {
      throw new TypedError('associative list with keys may not have a null element');
    }
    throw new TypedError('associative list with keys may not have non-map elements');
  }
  if (isPlainObject(item)) {
    throw new TypedError("associative list without keys has an element that's a map type");
  }
  if (Array.isArray(item)) {
    throw new TypedError('not supported: associative list with lists as elements');
  }
  if (item === null || item === undefined) {
    throw new TypedError("associative list without keys has an element that's an explicit null");
  }
  return valueElement(item as JsonValue);
}

interface Indexed {
  readonly element: PathElement;
  /** Every item with this element, in list order (more than one for duplicates). */
  readonly items: unknown[];
}

/** Items of an associative list by element, in order of first appearance. */
function indexItems(list: ListType, items: unknown): Map<string, Indexed> {
  const out = new Map<string, Indexed>();
  if (!Array.isArray(items)) return out;
  for (const item of items) {
    const element = listItemElement(list, item);
    const existing = out.get(element.id);
    if (existing) existing.items.push(item);
    else out.set(element.id, { element, items: [item] });
  }
  return out;
}

/** The type named `schemaName`, e.g. `io.k8s.api.apps.v1.Deployment`. */
export function typeOfSchema(schemaName: string): TypeNode {
  return typeNamed(schemaName);
}

/**
 * The fields `value` sets (`TypedValue.ToFieldSet`): every leaf, every list item, every map entry
 * (not struct fields: those are implied by their children), and atomic values as single leaves.
 * Items whose key appears more than once are owned as a whole, by key.
 */
export function toFieldSet(value: unknown, type: TypeNode): FieldSet {
  return FieldSet.build((add) => collect(type, value, [], add));
}

function collect(type: TypeNode, value: unknown, path: PathElement[], add: AddPath): void {
  // A schemaless null is walked as a map (handleAtom tries the map atom first): nothing to own.
  if (type.kind === 'deduced' && shapeOf(value) === 'none') return;
  const t = concrete(type, value) ?? SCALAR;
  if (t.kind === 'scalar' || t.kind === 'deduced') {
    add(path);
    return;
  }
  if (t.atomic || !fits(t, value)) {
    add(path);
    return;
  }
  if (t.kind === 'list') {
    if (!Array.isArray(value)) return;
    const item = t.item();
    for (const { element, items } of indexItems(t, value).values()) {
      path.push(element);
      if (items.length === 1) collect(item, items[0], path, add);
      add(path);
      path.pop();
    }
    return;
  }
  if (!isPlainObject(value)) return;
  for (const key of Object.keys(value)) {
    const child = value[key];
    if (child === undefined) continue;
    path.push(fieldElement(key));
    collect(t.child(key) ?? DEDUCED, child, path, add);
    if (!t.hasField(key)) add(path);
    path.pop();
  }
}

/**
 * What changed from `lhs` to `rhs` (`TypedValue.Compare`): leaves present only on the right are
 * added, only on the left removed, on both but different modified; non-leaf nodes present on one
 * side only are added or removed themselves, as well as everything below them.
 */
export function compare(lhs: unknown, rhs: unknown, type: TypeNode): Comparison {
  let added!: AddPath;
  let modified!: AddPath;
  let removed!: AddPath;
  let addedSet!: FieldSet;
  let modifiedSet!: FieldSet;
  const removedSet = FieldSet.build((r) => {
    removed = r;
    modifiedSet = FieldSet.build((m) => {
      modified = m;
      addedSet = FieldSet.build((a) => {
        added = a;
        walkCompare(type, lhs, rhs, [], { added, modified, removed });
      });
    });
  });
  return { added: addedSet, modified: modifiedSet, removed: removedSet };
}

interface CompareSinks {
  readonly added: AddPath;
  readonly modified: AddPath;
  readonly removed: AddPath;
}

function walkCompare(
  type: TypeNode,
  lhs: unknown,
  rhs: unknown,
  path: PathElement[],
  sinks: CompareSinks,
): void {
  // The same value on both sides (merge results share subtrees with their inputs): no change.
  if (lhs === rhs) return;
  const t = concrete(type, lhs, rhs);
  if (
    !t ||
    t.kind === 'scalar' ||
    t.kind === 'deduced' ||
    t.atomic ||
    !fits(t, lhs) ||
    !fits(t, rhs) ||
    (isEmptyContainer(lhs) && isEmptyContainer(rhs))
  ) {
    if (lhs === undefined) sinks.added(path);
    else if (rhs === undefined) sinks.removed(path);
    else if (!deepEqual(lhs, rhs)) sinks.modified(path);
    return;
  }
  if (t.kind === 'list') {
    const left = indexItems(t, lhs);
    const right = indexItems(t, rhs);
    const item = t.item();
    const visit = (entry: Indexed, l: Indexed | undefined, r: Indexed | undefined): void => {
      path.push(entry.element);
      if ((l?.items.length ?? 0) > 1 || (r?.items.length ?? 0) > 1) {
        walkCompare(SCALAR, l?.items, r?.items, path, sinks);
      } else {
        walkCompare(item, l?.items[0], r?.items[0], path, sinks);
      }
      path.pop();
    };
    for (const entry of left.values()) visit(entry, entry, right.get(entry.element.id));
    for (const entry of right.values()) {
      if (!left.has(entry.element.id)) visit(entry, undefined, entry);
    }
  } else {
    const l = isPlainObject(lhs) ? lhs : undefined;
    const r = isPlainObject(rhs) ? rhs : undefined;
    const visit = (key: string): void => {
      const lv = l?.[key];
      const rv = r?.[key];
      if (lv === undefined && rv === undefined) return;
      path.push(fieldElement(key));
      walkCompare(t.child(key) ?? DEDUCED, lv, rv, path, sinks);
      path.pop();
    };
    if (l) for (const key of Object.keys(l)) visit(key);
    if (r) for (const key of Object.keys(r)) if (!l || !Object.hasOwn(l, key)) visit(key);
  }
  if (lhs === undefined) sinks.added(path);
  else if (rhs === undefined) sinks.removed(path);
}

/**
 * Merges an applied configuration into a live value (`TypedValue.Merge` with the keep-right rule):
 * leaves from the configuration win, granular maps merge by key, associative lists by item (live
 * items missing from the configuration stay, in the order upstream's merge gives), atomic values
 * are replaced. The result may share subtrees with the inputs.
 */
export function merge(lhs: unknown, rhs: unknown, type: TypeNode): unknown {
  // Merging with nothing gives the other side unchanged: share it instead of rebuilding it.
  if (rhs === undefined) return lhs;
  if (lhs === undefined) return rhs;
  const t = concrete(type, lhs, rhs);
  const leaf = rhs;
  if (!t || t.kind === 'scalar' || t.kind === 'deduced') return leaf;
  if (t.atomic || !fits(t, lhs) || !fits(t, rhs)) return leaf;
  if (isEmptyContainer(lhs) && isEmptyContainer(rhs)) return leaf;
  if (t.kind === 'list') return mergeList(t, lhs, rhs);
  const l = isPlainObject(lhs) ? lhs : undefined;
  const r = isPlainObject(rhs) ? rhs : undefined;
  const out: Record<string, unknown> = {};
  if (l) {
    for (const key of Object.keys(l)) {
      const value = l[key];
      if (value === undefined) continue;
      const merged = merge(value, r?.[key], t.child(key) ?? DEDUCED);
      if (merged !== undefined) out[key] = merged;
    }
  }
  if (r) {
    for (const key of Object.keys(r)) {
      const value = r[key];
      if (value === undefined || (l && l[key] !== undefined)) continue;
      const merged = merge(undefined, value, t.child(key) ?? DEDUCED);
      if (merged !== undefined) out[key] = merged;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The item order of upstream's list merge: items of both lists follow the configuration's order,
 * live-only items keep their place relative to them, configuration-only items come where the
 * configuration puts them.
 */
function mergeList(t: ListType, lhs: unknown, rhs: unknown): unknown[] | undefined {
  const left = [...indexItems(t, lhs).values()];
  const right = [...indexItems(t, rhs).values()];
  const leftById = new Map(left.map((e) => [e.element.id, e]));
  const rightById = new Map(right.map((e) => [e.element.id, e]));
  const shared = right.filter((e) => leftById.has(e.element.id));
  const item = t.item();
  const out: unknown[] = [];
  const emit = (l: Indexed | undefined, r: Indexed | undefined): void => {
    if (l && l.items.length > 1) {
      if (r) out.push(merge(undefined, r.items[0], item));
      else out.push(...l.items);
      return;
    }
    const merged = merge(l?.items[0], r?.items[0], item);
    if (merged === undefined) return;
    // A merged item has its inputs' key: remember it for the walks over the merged object.
    const element = (l ?? r)!.element;
    if (element.kind === 'key' && isPlainObject(merged) && !elementCache.has(merged)) {
      elementCache.set(merged, { list: t, element });
    }
    out.push(merged);
  };
  let si = 0;
  let nextShared = shared[si++];
  let li = 0;
  let ri = 0;
  while (li < left.length || ri < right.length) {
    const before = li + ri;
    if (li < left.length && ri < right.length) {
      const l = left[li]!;
      if (l.element.id === right[ri]!.element.id) {
        emit(l, right[ri]);
        li++;
        ri++;
        nextShared = shared[si++];
        continue;
      }
      if (rightById.has(l.element.id) && nextShared && nextShared.element.id !== l.element.id) {
        li++;
        continue;
      }
    }
    if (li < left.length && !rightById.has(left[li]!.element.id)) {
      emit(left[li], undefined);
      li++;
      continue;
    }
    if (ri < right.length) {
      const r = right[ri]!;
      emit(leftById.get(r.element.id), r);
      ri++;
      if (nextShared && nextShared.element.id === r.element.id) nextShared = shared[si++];
    }
    if (li + ri === before) li++;
  }
  return out.length > 0 ? out : undefined;
}

const GONE = Symbol('gone');

/**
 * Removes the members of `set` from `value` (`TypedValue.RemoveItems`): map entries, struct
 * fields and list items named by a member go, along with everything below them. A map or list
 * left with nothing becomes `null`, as upstream's walker returns it; with `dropEmptied`, it is
 * removed from its parent instead (what a Go struct would encode).
 */
export function removeItems(
  value: unknown,
  set: FieldSet,
  type: TypeNode,
  dropEmptied = false,
): unknown {
  if (set.isEmpty()) return value;
  const out = removeWalk(type, value, set, dropEmptied);
  return out === GONE ? {} : out;
}

function removeWalk(
  type: TypeNode,
  value: unknown,
  set: FieldSet,
  drop: boolean,
): unknown | typeof GONE {
  const t = concrete(type, value);
  if (!t || t.kind === 'scalar' || t.kind === 'deduced') return value;
  if (t.atomic || isEmptyContainer(value) || !fits(t, value)) return GONE;
  const gone = (v: unknown | typeof GONE): unknown => (v === GONE ? null : v);
  // An entry emptied below counts as kept (upstream keeps it as null), even when dropped.
  let kept = 0;
  if (t.kind === 'list') {
    const items: unknown[] = [];
    for (const item of value as unknown[]) {
      let element: PathElement;
      try {
        element = listItemElement(t, item);
      } catch {
        items.push(item);
        continue;
      }
      if (set.hasMember(element)) continue;
      const below = set.withPrefix(element);
      if (below.isEmpty()) {
        items.push(item);
        continue;
      }
      const rest = removeWalk(t.item(), item, below, drop);
      if (rest !== GONE || !drop) items.push(gone(rest));
      kept++;
    }
    return items.length + kept > 0 ? items : GONE;
  }
  const out: Record<string, unknown> = {};
  const map = value as Record<string, unknown>;
  for (const key of Object.keys(map)) {
    const child = map[key];
    const element = fieldElement(key);
    if (set.hasMember(element)) continue;
    const below = set.withPrefix(element);
    if (below.isEmpty()) {
      out[key] = child;
      continue;
    }
    const rest = removeWalk(t.child(key) ?? DEDUCED, child, below, drop);
    if (rest !== GONE || !drop) out[key] = gone(rest);
    kept++;
  }
  return Object.keys(out).length + kept > 0 ? out : GONE;
}

/**
 * The set plus every struct field that has members below it (`Set.EnsureNamedFieldsAreMembers`),
 * so that pruning can remove a struct field whose last owned child went away. Map keys are not
 * added: a map entry is always a member already.
 */
export function ensureNamedFieldsAreMembers(set: FieldSet, type: TypeNode): FieldSet {
  const named = FieldSet.build((add) => {
    const walk = (node: FieldSet, t: TypeNode | undefined, prefix: PathElement[]): void => {
      for (const [element, below] of node.children()) {
        let childType: TypeNode | undefined;
        const resolved = t?.kind === 'deduced' ? DEDUCED_MAP : t;
        if (element.kind === 'field' && resolved?.kind === 'map') {
          if (resolved.hasField(element.name)) add([...prefix, element]);
          childType = resolved.child(element.name);
        } else if (element.kind === 'key' && t?.kind === 'list') {
          childType = t.item();
        } else if (element.kind === 'key' && t?.kind === 'deduced') {
          childType = t;
        }
        prefix.push(element);
        walk(below, childType, prefix);
        prefix.pop();
      }
    };
    walk(set, type, []);
  });
  return named.isEmpty() ? set : set.union(named);
}

/** One problem found by validate, with the path it was found at. */
export interface ValidationProblem {
  readonly path: Path;
  readonly message: string;
}

/**
 * Checks an applied configuration against its schema as upstream's typed conversion does
 * (`TypedValue.Validate`, without AllowDuplicates): undeclared struct fields, list items without
 * their keys and duplicate keys. Scalar types are not checked here.
 */
export function validate(value: unknown, type: TypeNode): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  validateWalk(type, value, [], problems);
  return problems;
}

function validateWalk(
  type: TypeNode,
  value: unknown,
  path: PathElement[],
  problems: ValidationProblem[],
): void {
  const t = concrete(type, value);
  if (!t || t.kind === 'scalar' || t.kind === 'deduced' || !fits(t, value)) return;
  if (t.kind === 'list') {
    if (!Array.isArray(value)) return;
    const seen = new Set<string>();
    const item = t.item();
    for (let i = 0; i < value.length; i++) {
      let element: PathElement;
      if (t.atomic) {
        element = { kind: 'index', index: i, id: `i:${i}` };
      } else {
        try {
          element = listItemElement(t, value[i]);
        } catch (error) {
          problems.push({ path: [...path], message: `element ${i}: ${messageOf(error)}` });
          return;
        }
        if (seen.has(element.id)) {
          problems.push({
            path: [...path],
            message: `duplicate entries for key ${pathElementString(element)}`,
          });
        }
        seen.add(element.id);
      }
      path.push(element);
      validateWalk(item, value[i], path, problems);
      path.pop();
    }
    return;
  }
  if (!isPlainObject(value)) return;
  for (const [key, child] of Object.entries(value)) {
    if (child === undefined) continue;
    const childType = t.child(key);
    path.push(fieldElement(key));
    if (!childType) {
      problems.push({ path: [...path], message: 'field not declared in schema' });
      path.pop();
      return;
    }
    validateWalk(childType, child, path, problems);
    path.pop();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `ValidationErrors.Error()`: one problem as `path: message`, several as an indented list. */
export function formatProblems(problems: readonly ValidationProblem[]): string {
  const lines = problems.map((p) =>
    p.path.length > 0 ? `${pathString(p.path)}: ${p.message}` : p.message,
  );
  if (lines.length === 1) return lines[0]!;
  return ['errors:', ...lines.map((l) => `  ${l}`)].join('\n');
}

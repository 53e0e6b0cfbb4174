/**
 * Sets of field paths (sigs.k8s.io/structured-merge-diff/v4 `fieldpath.Set`): a trie whose nodes
 * hold the path elements that are members and the child sets below other elements. A path is in
 * the set when its last element is a member of the node its prefix leads to; a prefix is never
 * implied. Sets are immutable once built, and every operation returns a fresh set.
 *
 * FieldsV1 (`metadata.managedFields[].fieldsV1`) is this trie as JSON (`Set.ToJSON`/`FromJSON`):
 * `{}` for a member without children, `.` inside an object for a node that is itself a member.
 */
import type { JsonObject } from '../objects';
import {
  comparePathElements,
  parsePathElement,
  pathString,
  type Path,
  type PathElement,
} from './path';

interface ChildNode {
  readonly element: PathElement;
  readonly set: FieldSet;
}

/** The lists of nodes without members or without children; never written. */
const NO_MEMBERS: PathElement[] = Object.freeze([]) as unknown as PathElement[];
const NO_CHILDREN: ChildNode[] = Object.freeze([]) as unknown as ChildNode[];

/**
 * Above this many members (or children) a node keeps a Map from id for lookups; below it, a scan
 * of a few ids is as fast and costs no hash table.
 */
const INDEX_FROM = 12;

/** A FieldsV1 value that does not decode (`Set.FromJSON` errors). */
export class FieldsV1Error extends Error {
  override readonly name = 'FieldsV1Error';
}

/** Adds a path to a set under construction. */
export type AddPath = (path: Path) => void;

function byElement(a: { element: PathElement }, b: { element: PathElement }): number {
  return comparePathElements(a.element, b.element);
}

/** An array of room for `n` to be filled and cut to length, not grown (which over-allocates). */
function sized<T>(n: number): T[] {
  return new Array<T>(n);
}

/** `list` cut to its first `length` entries, or the shared empty list. */
function cut<T>(list: T[], length: number, empty: T[]): T[] {
  if (length === 0) return empty;
  list.length = length;
  return list;
}

/** A set of field paths (`fieldpath.Set`); see the module comment. */
export class FieldSet {
  // The decoded managedFields of every stored object are kept (see `decoded`), a node per
  // field-set node: at 5,000 nodes, millions of them. So a node holds its members and children
  // as two exact-size arrays in path-element order (what FieldsV1, paths and merges need), not
  // Maps, which cost a hash table each; most nodes have a handful of entries, found by a scan.
  // Sets are sealed (sorted, arrays cut to size) before anyone else sees them: the operations
  // below keep order as they merge or filter sorted lists; build and fromFieldsV1 sort once.
  #members: PathElement[] = NO_MEMBERS;
  #children: ChildNode[] = NO_CHILDREN;
  /** By id, for nodes with more than INDEX_FROM entries, made at the first lookup. */
  #memberIndex: Map<string, PathElement> | undefined;
  #childIndex: Map<string, ChildNode> | undefined;
  /**
   * This node's FieldsV1, without and with the `.` that marks it a member (sets are immutable,
   * so they stay right): a set made from another by union or difference shares the nodes that
   * did not change, and so the JSON of those nodes.
   */
  #json: JsonObject | undefined;
  #jsonAsMember: JsonObject | undefined;
  /** Non-zero for the one node `interned` holds for this content (see #intern). */
  #serial = 0;

  private constructor() {}

  static #of(members: PathElement[], children: ChildNode[]): FieldSet {
    const set = new FieldSet();
    set.#members = members;
    set.#children = children;
    return set;
  }

  /**
   * This set with every node interned (see #intern), for a set about to be kept: one written
   * to FieldsV1 or read from it. Interning is left until then because most sets are
   * intermediate (the comparisons and merges of a write) and die at once; nodes interned
   * already are shared as they are, with everything below them.
   */
  #shared(): FieldSet {
    if (this.#serial !== 0 || this.isEmpty()) return this;
    let children = this.#children;
    for (let i = 0; i < children.length; i++) {
      const child = children[i]!;
      const set = child.set.#shared();
      if (set === child.set) continue;
      if (children === this.#children) children = children.slice();
      children[i] = { element: child.element, set };
    }
    return FieldSet.#intern(
      children === this.#children ? this : FieldSet.#of(this.#members, children),
    );
  }

  /**
   * The node of this content already made, if any (else this sealed node, remembered). Most of
   * the managedFields of a kind of object are alike from object to object — a pod's conditions,
   * its container fields, a node's status — and differ only in a few keys (pod IPs, owner uids):
   * nodes equal in content are one node, and so is the FieldsV1 they emit. A node's content is
   * its member ids and its children's ids and nodes; children are interned first, so a node
   * whose child is not is not either. Sets are immutable: sharing is safe.
   */
  static #intern(set: FieldSet): FieldSet {
    if (set.isEmpty()) return set;
    const parts: string[] = [];
    // Length-prefixed: ids are arbitrary text (a field named with a newline, say).
    for (const m of set.#members) parts.push(`${m.id.length}:${m.id}`);
    parts.push('/');
    for (const c of set.#children) {
      const serial = c.set.#serial;
      if (serial === 0) return set;
      parts.push(`${c.element.id.length}:${c.element.id}=${serial}`);
    }
    const key = parts.join('');
    const known = interned.get(key);
    if (known) return known;
    // Bounded: keys unique to one object (a pod IP) would otherwise pile up. Cleared, the
    // table forgets only what to share; nodes made before stay valid, with their serials.
    if (interned.size >= INTERNED_MAX) interned.clear();
    set.#serial = ++serials;
    interned.set(key, set);
    return set;
  }

  #member(id: string): PathElement | undefined {
    const members = this.#members;
    if (members.length > INDEX_FROM) {
      this.#memberIndex ??= new Map(members.map((m) => [m.id, m]));
      return this.#memberIndex.get(id);
    }
    for (const m of members) if (m.id === id) return m;
    return undefined;
  }

  #child(id: string): ChildNode | undefined {
    const children = this.#children;
    if (children.length > INDEX_FROM) {
      this.#childIndex ??= new Map(children.map((c) => [c.element.id, c]));
      return this.#childIndex.get(id);
    }
    for (const c of children) if (c.element.id === id) return c;
    return undefined;
  }

  /** Adds (or replaces, by id) a member of a node under construction. */
  #addMember(element: PathElement): void {
    const members = this.#members;
    const existing = this.#member(element.id);
    if (existing) {
      members[members.indexOf(existing)] = element;
      this.#memberIndex?.set(element.id, element);
      return;
    }
    if (members === NO_MEMBERS) this.#members = [element];
    else members.push(element);
    this.#memberIndex?.set(element.id, element);
  }

  /** Adds (or replaces, by id) a child of a node under construction. */
  #addChild(child: ChildNode): void {
    const children = this.#children;
    const id = child.element.id;
    const existing = this.#child(id);
    if (existing) {
      children[children.indexOf(existing)] = child;
      this.#childIndex?.set(id, child);
      return;
    }
    if (children === NO_CHILDREN) this.#children = [child];
    else children.push(child);
    this.#childIndex?.set(id, child);
  }

  /**
   * Seals a node built by adding (and every node below it, all built with it): lists sorted and
   * copied to their exact size, child nodes left empty dropped (sets never keep nodes with no
   * members below them).
   */
  #seal(): FieldSet {
    if (this.#members.length > 0) this.#members = this.#members.sort(comparePathElements).slice();
    if (this.#children.length > 0) {
      const kept: ChildNode[] = [];
      for (const child of this.#children) if (!child.set.#seal().isEmpty()) kept.push(child);
      this.#children = kept.length > 0 ? kept.sort(byElement).slice() : NO_CHILDREN;
    }
    this.#memberIndex = undefined;
    this.#childIndex = undefined;
    return this;
  }

  /** The empty set. */
  static empty(): FieldSet {
    return new FieldSet();
  }

  /** A set of the given paths (`NewSet`); the empty path is ignored, as nobody owns the root. */
  static of(...paths: Path[]): FieldSet {
    return FieldSet.build((add) => paths.forEach(add));
  }

  /**
   * Builds a set by adding paths (`Set.Insert`); parents are not added. Walks add paths depth
   * first from one path array they push to and pop from, so the nodes of the previous path's
   * prefix are remembered and reused.
   */
  static build(fill: (add: AddPath) => void): FieldSet {
    const root = new FieldSet();
    const elements: PathElement[] = [];
    const nodes: FieldSet[] = [root];
    fill((path) => {
      if (path.length === 0) return;
      const last = path.length - 1;
      let depth = 0;
      while (depth < last && depth < elements.length && elements[depth] === path[depth]) depth++;
      elements.length = depth;
      nodes.length = depth + 1;
      let node = nodes[depth]!;
      for (let i = depth; i < last; i++) {
        const element = path[i]!;
        let child = node.#child(element.id);
        if (!child) {
          child = { element, set: new FieldSet() };
          node.#addChild(child);
        }
        node = child.set;
        elements.push(element);
        nodes.push(node);
      }
      node.#addMember(path[last]!);
    });
    return root.#seal();
  }

  /** Members of this node, in path-element order. */
  members(): readonly PathElement[] {
    return this.#members;
  }

  /** Child sets of this node, in path-element order. */
  children(): readonly (readonly [PathElement, FieldSet])[] {
    return this.#children.map((c) => [c.element, c.set] as const);
  }

  /** Whether `element` is a member of this node (`PathElementSet.Has` on `Members`). */
  hasMember(element: PathElement): boolean {
    return this.#member(element.id) !== undefined;
  }

  /** The paths below `element`, without it (`WithPrefix`); empty when there are none. */
  withPrefix(element: PathElement): FieldSet {
    return this.#child(element.id)?.set ?? EMPTY;
  }

  /** Whether the set has no members at any depth (`Empty`). */
  isEmpty(): boolean {
    return this.#members.length === 0 && this.#children.length === 0;
  }

  /** Members of this node plus the sizes of the child sets (`Size`). */
  size(): number {
    let count = this.#members.length;
    for (const child of this.#children) count += child.set.size();
    return count;
  }

  /** Whether `path` is a member (`Has`); the empty path never is. */
  has(path: Path): boolean {
    return FieldSet.#has(this, path);
  }

  static #has(root: FieldSet, path: Path): boolean {
    if (path.length === 0) return false;
    let node = root;
    for (let i = 0; i < path.length - 1; i++) {
      const child = node.#child(path[i]!.id);
      if (!child) return false;
      node = child.set;
    }
    return node.#member(path[path.length - 1]!.id) !== undefined;
  }

  /** Every member path, depth first: a node's members before its children (`Iterate`). */
  paths(): Path[] {
    const out: Path[] = [];
    const walk = (set: FieldSet, prefix: PathElement[]): void => {
      for (const member of set.#members) out.push([...prefix, member]);
      for (const child of set.#children) {
        prefix.push(child.element);
        walk(child.set, prefix);
        prefix.pop();
      }
    };
    walk(this, []);
    return out;
  }

  /** Paths in either set (`Union`): the two sorted lists of each node merged. */
  union(other: FieldSet): FieldSet {
    if (other.isEmpty() || this.#includes(other)) return this;
    if (this.isEmpty()) return other;
    const a = this.#members;
    const b = other.#members;
    const members = sized<PathElement>(a.length + b.length);
    let n = 0;
    for (let i = 0, j = 0; i < a.length || j < b.length;) {
      const order = i >= a.length ? 1 : j >= b.length ? -1 : comparePathElements(a[i]!, b[j]!);
      if (order > 0) members[n++] = b[j++]!;
      else {
        members[n++] = a[i++]!;
        if (order === 0) j++;
      }
    }
    const ac = this.#children;
    const bc = other.#children;
    const children = sized<ChildNode>(ac.length + bc.length);
    let m = 0;
    for (let i = 0, j = 0; i < ac.length || j < bc.length;) {
      const order = i >= ac.length ? 1 : j >= bc.length ? -1 : byElement(ac[i]!, bc[j]!);
      if (order < 0) children[m++] = ac[i++]!;
      else if (order > 0) children[m++] = bc[j++]!;
      else {
        const mine = ac[i++]!;
        const theirs = bc[j++]!;
        children[m++] = { element: mine.element, set: mine.set.union(theirs.set) };
      }
    }
    return FieldSet.#of(cut(members, n, NO_MEMBERS), cut(children, m, NO_CHILDREN));
  }

  /** Whether every path of `other` is in this set. */
  #includes(other: FieldSet): boolean {
    if (other === this) return true;
    for (const m of other.#members) if (!this.#member(m.id)) return false;
    for (const child of other.#children) {
      const mine = this.#child(child.element.id);
      if (!mine || !mine.set.#includes(child.set)) return false;
    }
    return true;
  }

  /** Paths in both sets (`Intersection`). */
  intersection(other: FieldSet): FieldSet {
    if (other.isEmpty()) return other;
    if (this.isEmpty()) return this;
    const members = sized<PathElement>(this.#members.length);
    let n = 0;
    for (const m of this.#members) if (other.#member(m.id)) members[n++] = m;
    const children = sized<ChildNode>(this.#children.length);
    let c = 0;
    for (const child of this.#children) {
      const theirs = other.#child(child.element.id);
      if (!theirs) continue;
      const set = child.set.intersection(theirs.set);
      if (!set.isEmpty()) children[c++] = { element: child.element, set };
    }
    return FieldSet.#of(cut(members, n, NO_MEMBERS), cut(children, c, NO_CHILDREN));
  }

  /**
   * Paths in this set but not in `other` (`Difference`). Only members are subtracted: a member
   * of `other` does not remove the paths below it (see recursiveDifference).
   */
  difference(other: FieldSet): FieldSet {
    if (other.isEmpty() || this.isEmpty()) return this;
    return this.#subtract(other, false);
  }

  /**
   * Paths in this set that neither are in `other` nor lie below one of its members
   * (`RecursiveDifference`): removing `a.b` also removes `a.b.c`.
   */
  recursiveDifference(other: FieldSet): FieldSet {
    if (other.isEmpty() || this.isEmpty()) return this;
    return this.#subtract(other, true);
  }

  #subtract(other: FieldSet, recursive: boolean): FieldSet {
    let changed = false;
    const members = sized<PathElement>(this.#members.length);
    let n = 0;
    for (const m of this.#members) {
      if (!other.#member(m.id)) members[n++] = m;
      else changed = true;
    }
    const children = sized<ChildNode>(this.#children.length);
    let c = 0;
    for (const child of this.#children) {
      const id = child.element.id;
      if (recursive && other.#member(id)) {
        changed = true;
        continue;
      }
      const theirs = other.#child(id);
      if (!theirs) {
        children[c++] = child;
        continue;
      }
      const set = recursive
        ? child.set.recursiveDifference(theirs.set)
        : child.set.difference(theirs.set);
      if (set !== child.set) changed = true;
      if (!set.isEmpty())
        children[c++] = set === child.set ? child : { element: child.element, set };
    }
    // Nothing taken away: this set itself, with the JSON it may have made already.
    if (!changed) return this;
    return FieldSet.#of(cut(members, n, NO_MEMBERS), cut(children, c, NO_CHILDREN));
  }

  /** Only the leaf paths: members that have no children of their own (`Leaves`). */
  leaves(): FieldSet {
    const members = sized<PathElement>(this.#members.length);
    let n = 0;
    for (const m of this.#members) if (!this.#child(m.id)) members[n++] = m;
    const children = sized<ChildNode>(this.#children.length);
    let c = 0;
    for (const child of this.#children) {
      const set = child.set.leaves();
      if (!set.isEmpty()) children[c++] = { element: child.element, set };
    }
    return FieldSet.#of(cut(members, n, NO_MEMBERS), cut(children, c, NO_CHILDREN));
  }

  /** Whether both sets have the same members (`Set.Equals`). */
  equals(other: FieldSet): boolean {
    if (this.#members.length !== other.#members.length) return false;
    if (this.#children.length !== other.#children.length) return false;
    for (const m of this.#members) if (!other.#member(m.id)) return false;
    for (const child of this.#children) {
      const theirs = other.#child(child.element.id);
      if (!theirs || !child.set.equals(theirs.set)) return false;
    }
    return true;
  }

  /** One path per line, as `Set.String` prints it. */
  toString(): string {
    return this.paths().map(pathString).join('\n');
  }

  /**
   * The FieldsV1 form (`Set.ToJSON`): keys in path-element order, each member without children as
   * `{}`, each node that is also a member with `.` as its last key. The JSON is frozen.
   */
  toFieldsV1(): JsonObject {
    const set = this.#shared();
    const json = set.#emit(false);
    decoded.set(json, set);
    return json;
  }

  /** FieldsV1 of this node, frozen, made once (see #json). */
  #emit(includeSelf: boolean): JsonObject {
    const memo = includeSelf ? this.#jsonAsMember : this.#json;
    if (memo) return memo;
    const members = this.#members;
    const children = this.#children;
    const out: JsonObject =
      members.some(isValueKeyed) || children.some((c) => isValueKeyed(c.element))
        ? dictionaryObject()
        : {};
    let mi = 0;
    let ci = 0;
    while (mi < members.length || ci < children.length) {
      const member = members[mi];
      const child = children[ci];
      const order = member && child ? comparePathElements(member, child.element) : member ? -1 : 1;
      if (order < 0) {
        out[member!.id] = EMPTY_JSON;
        mi++;
      } else if (order > 0) {
        out[child!.element.id] = child!.set.#emit(false);
        ci++;
      } else {
        out[child!.element.id] = child!.set.#emit(true);
        mi++;
        ci++;
      }
    }
    if (includeSelf && Object.keys(out).length > 0) out['.'] = EMPTY_JSON;
    Object.freeze(out);
    if (includeSelf) this.#jsonAsMember = out;
    else this.#json = out;
    return out;
  }

  /**
   * Reads FieldsV1 (`Set.FromJSON`): `.` marks the enclosing node as a member, a key with an
   * empty object is a member, keys of unknown kinds are skipped, malformed keys are errors.
   */
  static fromFieldsV1(json: unknown): FieldSet {
    if (json === null || json === undefined) return new FieldSet();
    if (typeof json !== 'object' || Array.isArray(json)) {
      throw new FieldsV1Error('FieldsV1 must be a JSON object');
    }
    const frozen = Object.isFrozen(json);
    const cached = frozen ? decoded.get(json) : undefined;
    if (cached) return cached;
    const [children] = FieldSet.#readNode(json as Record<string, unknown>);
    const set = children ? children.#seal().#shared() : new FieldSet();
    if (frozen) decoded.set(json, set);
    return set;
  }

  /** Returns the node's children (undefined if none) and whether the node itself is a member. */
  static #readNode(json: Record<string, unknown>): [FieldSet | undefined, boolean] {
    let children: FieldSet | undefined;
    let isMember = false;
    for (const [key, value] of Object.entries(json)) {
      if (key === '.') {
        isMember = true;
        continue;
      }
      let element: PathElement | undefined;
      try {
        element = parsePathElement(key);
      } catch (error) {
        throw new FieldsV1Error(
          `parsing key as path element: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      if (!element) continue;
      if (value !== null && (typeof value !== 'object' || Array.isArray(value))) {
        throw new FieldsV1Error(`expected an object for ${key}`);
      }
      const [grandchildren, childIsMember] = FieldSet.#readNode(
        (value ?? {}) as Record<string, unknown>,
      );
      children ??= new FieldSet();
      if (childIsMember) children.#addMember(element);
      if (grandchildren) children.#addChild({ element, set: grandchildren });
    }
    if (!children) isMember = true;
    return [children, isMember];
  }
}

/** Interned nodes by content (see FieldSet.#intern), and the last serial given. */
const interned = new Map<string, FieldSet>();
const INTERNED_MAX = 50_000;
let serials = 0;

const EMPTY = FieldSet.empty();

/** A key named by values (`k:{"ip":"10.244.1.7"}`, `v:"10.244.1.0/24"`, `i:0`), not by a field. */
function isValueKeyed(element: PathElement): boolean {
  return !element.id.startsWith('f:');
}

/**
 * An empty object in V8's dictionary mode, for JSON whose keys are values: pod IPs, node CIDRs,
 * owner uids. An object built from `{}` adds each key as a hidden-class transition from the one
 * empty-object class, which has room for about 1,500: thousands of such keys fill it, after
 * which V8 gives every object made from `{}` whose class was not already there a class of its
 * own — pod conditions, container states, every write — which costs memory and makes every
 * property read slow. Deleting a property other than the last puts an object in dictionary
 * mode, where keys are no transitions.
 */
function dictionaryObject(): JsonObject {
  const out: JsonObject = { first: 0, second: 0 };
  delete out.first;
  delete out.second;
  return out;
}

/** The `{}` of every member without children in the FieldsV1 made here (frozen, so shared). */
const EMPTY_JSON: JsonObject = Object.freeze({}) as JsonObject;

/**
 * Decoded FieldsV1 by identity, for frozen JSON only: the store deep-freezes stored objects, whose
 * managedFields are decoded on every write to them, and the FieldsV1 written here are frozen too.
 * Sets are immutable, so sharing them is safe.
 */
const decoded = new WeakMap<object, FieldSet>();

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

/** The maps of nodes without members or without children; never written. */
const NO_MEMBERS = new Map<string, PathElement>();
const NO_CHILDREN = new Map<string, ChildNode>();

/** A FieldsV1 value that does not decode (`Set.FromJSON` errors). */
export class FieldsV1Error extends Error {
  override readonly name = 'FieldsV1Error';
}

/** Adds a path to a set under construction. */
export type AddPath = (path: Path) => void;

function byElement(a: { element: PathElement }, b: { element: PathElement }): number {
  return comparePathElements(a.element, b.element);
}

/** A set of field paths (`fieldpath.Set`); see the module comment. */
export class FieldSet {
  // Most nodes have no children and many no members: they share empty maps (written only
  // through #addMember and #addChild, which give a node maps of its own), which keeps the sets
  // decoded from every stored object's managedFields small.
  #members: Map<string, PathElement> = NO_MEMBERS;
  #children: Map<string, ChildNode> = NO_CHILDREN;
  #sortedMembers: readonly PathElement[] | undefined;
  #sortedChildren: readonly ChildNode[] | undefined;
  /**
   * This node's FieldsV1, without and with the `.` that marks it a member (sets are immutable,
   * so they stay right): a set made from another by union or difference shares the nodes that
   * did not change, and so the JSON of those nodes.
   */
  #json: JsonObject | undefined;
  #jsonAsMember: JsonObject | undefined;

  private constructor() {}

  #addMember(id: string, element: PathElement): void {
    if (this.#members === NO_MEMBERS) this.#members = new Map();
    this.#members.set(id, element);
  }

  #addChild(id: string, child: ChildNode): void {
    if (this.#children === NO_CHILDREN) this.#children = new Map();
    this.#children.set(id, child);
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
        let child = node.#children.get(element.id);
        if (!child) {
          child = { element, set: new FieldSet() };
          node.#addChild(element.id, child);
        }
        node = child.set;
        elements.push(element);
        nodes.push(node);
      }
      node.#addMember(path[last]!.id, path[last]!);
    });
    return root;
  }

  /** Drops child nodes left empty (sets never keep nodes with no members below them). */
  #prune(): FieldSet {
    for (const [id, child] of this.#children) {
      child.set.#prune();
      if (child.set.isEmpty()) this.#children.delete(id);
    }
    return this;
  }

  /** Members of this node, in path-element order. */
  members(): readonly PathElement[] {
    this.#sortedMembers ??= [...this.#members.values()].sort(comparePathElements);
    return this.#sortedMembers;
  }

  /** Child sets of this node, in path-element order. */
  children(): readonly (readonly [PathElement, FieldSet])[] {
    this.#sortedChildren ??= [...this.#children.values()].sort(byElement);
    return this.#sortedChildren.map((c) => [c.element, c.set] as const);
  }

  /** Whether `element` is a member of this node (`PathElementSet.Has` on `Members`). */
  hasMember(element: PathElement): boolean {
    return this.#members.has(element.id);
  }

  /** The paths below `element`, without it (`WithPrefix`); empty when there are none. */
  withPrefix(element: PathElement): FieldSet {
    return this.#children.get(element.id)?.set ?? EMPTY;
  }

  /** Whether the set has no members at any depth (`Empty`). */
  isEmpty(): boolean {
    return this.#members.size === 0 && this.#children.size === 0;
  }

  /** Members of this node plus the sizes of the child sets (`Size`). */
  size(): number {
    let count = this.#members.size;
    for (const child of this.#children.values()) count += child.set.size();
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
      const child = node.#children.get(path[i]!.id);
      if (!child) return false;
      node = child.set;
    }
    return node.#members.has(path[path.length - 1]!.id);
  }

  /** Every member path, depth first: a node's members before its children (`Iterate`). */
  paths(): Path[] {
    const out: Path[] = [];
    const walk = (set: FieldSet, prefix: PathElement[]): void => {
      for (const member of set.members()) out.push([...prefix, member]);
      for (const child of set.#sortedChildNodes()) {
        prefix.push(child.element);
        walk(child.set, prefix);
        prefix.pop();
      }
    };
    walk(this, []);
    return out;
  }

  #sortedChildNodes(): readonly ChildNode[] {
    this.#sortedChildren ??= [...this.#children.values()].sort(byElement);
    return this.#sortedChildren;
  }

  /** Paths in either set (`Union`). */
  union(other: FieldSet): FieldSet {
    if (other.isEmpty() || this.#includes(other)) return this;
    if (this.isEmpty()) return other;
    const out = new FieldSet();
    for (const [id, m] of this.#members) out.#addMember(id, m);
    for (const [id, m] of other.#members) out.#addMember(id, m);
    for (const [id, child] of this.#children) {
      const theirs = other.#children.get(id);
      out.#addChild(
        id,
        theirs ? { element: child.element, set: child.set.union(theirs.set) } : child,
      );
    }
    for (const [id, child] of other.#children) {
      if (!this.#children.has(id)) out.#addChild(id, child);
    }
    return out;
  }

  /** Whether every path of `other` is in this set. */
  #includes(other: FieldSet): boolean {
    if (other === this) return true;
    for (const id of other.#members.keys()) if (!this.#members.has(id)) return false;
    for (const [id, child] of other.#children) {
      const mine = this.#children.get(id);
      if (!mine || !mine.set.#includes(child.set)) return false;
    }
    return true;
  }

  /** Paths in both sets (`Intersection`). */
  intersection(other: FieldSet): FieldSet {
    if (other.isEmpty()) return other;
    if (this.isEmpty()) return this;
    const out = new FieldSet();
    for (const [id, m] of this.#members) if (other.#members.has(id)) out.#addMember(id, m);
    for (const [id, child] of this.#children) {
      const theirs = other.#children.get(id);
      if (!theirs) continue;
      const set = child.set.intersection(theirs.set);
      if (!set.isEmpty()) out.#addChild(id, { element: child.element, set });
    }
    return out;
  }

  /**
   * Paths in this set but not in `other` (`Difference`). Only members are subtracted: a member
   * of `other` does not remove the paths below it (see recursiveDifference).
   */
  difference(other: FieldSet): FieldSet {
    if (other.isEmpty() || this.isEmpty()) return this;
    const out = new FieldSet();
    let changed = false;
    for (const [id, m] of this.#members) {
      if (!other.#members.has(id)) out.#addMember(id, m);
      else changed = true;
    }
    for (const [id, child] of this.#children) {
      const theirs = other.#children.get(id);
      if (!theirs) {
        out.#addChild(id, child);
        continue;
      }
      const set = child.set.difference(theirs.set);
      if (set !== child.set) changed = true;
      if (!set.isEmpty())
        out.#addChild(id, set === child.set ? child : { element: child.element, set });
    }
    // Nothing taken away: this set itself, with the JSON it may have made already.
    return changed ? out : this;
  }

  /**
   * Paths in this set that neither are in `other` nor lie below one of its members
   * (`RecursiveDifference`): removing `a.b` also removes `a.b.c`.
   */
  recursiveDifference(other: FieldSet): FieldSet {
    if (other.isEmpty() || this.isEmpty()) return this;
    const out = new FieldSet();
    let changed = false;
    for (const [id, m] of this.#members) {
      if (!other.#members.has(id)) out.#addMember(id, m);
      else changed = true;
    }
    for (const [id, child] of this.#children) {
      if (other.#members.has(id)) {
        changed = true;
        continue;
      }
      const theirs = other.#children.get(id);
      if (!theirs) {
        out.#addChild(id, child);
        continue;
      }
      const set = child.set.recursiveDifference(theirs.set);
      if (set !== child.set) changed = true;
      if (!set.isEmpty())
        out.#addChild(id, set === child.set ? child : { element: child.element, set });
    }
    return changed ? out : this;
  }

  /** Only the leaf paths: members that have no children of their own (`Leaves`). */
  leaves(): FieldSet {
    const out = new FieldSet();
    for (const [id, m] of this.#members) if (!this.#children.has(id)) out.#addMember(id, m);
    for (const [id, child] of this.#children) {
      const set = child.set.leaves();
      if (!set.isEmpty()) out.#addChild(id, { element: child.element, set });
    }
    return out;
  }

  /** Whether both sets have the same members (`Set.Equals`). */
  equals(other: FieldSet): boolean {
    if (this.#members.size !== other.#members.size) return false;
    if (this.#children.size !== other.#children.size) return false;
    for (const id of this.#members.keys()) if (!other.#members.has(id)) return false;
    for (const [id, child] of this.#children) {
      const theirs = other.#children.get(id);
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
    const json = this.#emit(false);
    decoded.set(json, this);
    return json;
  }

  /** FieldsV1 of this node, frozen, made once (see #json). */
  #emit(includeSelf: boolean): JsonObject {
    const memo = includeSelf ? this.#jsonAsMember : this.#json;
    if (memo) return memo;
    const members = this.members();
    const children = this.#sortedChildNodes();
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
    const set = children ? children.#prune() : new FieldSet();
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
      if (childIsMember) children.#addMember(element.id, element);
      if (grandchildren) children.#addChild(element.id, { element, set: grandchildren });
    }
    if (!children) isMember = true;
    return [children, isMember];
  }
}

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

/**
 * Sharing between objects made from one template. The pods of a DaemonSet (or ReplicaSet, Job…)
 * carry the same tolerations, containers, volumes, owner references, labels and managed fields;
 * stored as they were created, each pod kept its own copy of them. Now a created object's values
 * from two levels down (`spec.tolerations`, `metadata.labels`…) that are the same JSON (sameJson)
 * as a value an object of the same resource was recently created with, at the same place, become
 * that value. A value that matches none is looked into, a few levels down: pods differ by the
 * name of their service account token volume, so their `spec.containers` differ, but not each
 * container's command, resources or mount path, nor the volume's sources.
 *
 * Shared values are frozen (they are part of a stored object, or will be), so nothing changes
 * them, and everything that copes with shareUnchanged's sharing copes with them: frozen values
 * are taken as already defaulted and normalized, and compared by identity first. The registry
 * calls this once the created object is complete (defaulted, normalized, admitted, validated, its
 * managed fields set), so only fully processed values are shared.
 */
import { deepFreeze, isPlainObject, sameJson, type KubeObject } from '../../kube/objects';

/** Values kept per resource and place; the least recently used goes when a new one comes. */
const PER_PLACE = 8;
/** How far below the second level a value that matched nothing is looked into. */
const DEPTH = 3;
/**
 * Places kept at most: keys of maps (`k:{"ip":…}` in managed fields, a custom resource's own
 * maps) make places without end; past this many, everything is forgotten and starts again.
 */
const PLACES = 5_000;
/** Misses after which a place that is seldom reused is mostly passed over. */
const SKIP_AFTER = 64;

type Obj = Record<string, unknown>;

function put(target: Obj, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  } else target[key] = value;
}

/** The values recently stored at one place of one resource, and how often they were reused. */
type Place = { readonly values: Map<string, object>; hits: number; misses: number };

export class Interner {
  /** For each `resource|path`: JSON text → the shared value, least recently used first. */
  private readonly recent = new Map<string, Place>();

  /**
   * Shares what `object`, about to be stored, has in common with objects recently stored. What is
   * frozen already (shared with the object it replaces) is left as it is.
   */
  share(resource: string, object: KubeObject): void {
    const top = object as Obj;
    for (const key of Object.keys(top)) {
      const part = top[key];
      if (!isPlainObject(part) || Object.isFrozen(part)) continue;
      for (const field of Object.keys(part)) {
        const value = part[field];
        if (typeof value !== 'object' || value === null || Object.isFrozen(value)) continue;
        put(part, field, this.intern(`${resource}|${key}.${field}`, value, DEPTH));
      }
    }
  }

  private intern(at: string, value: object, depth: number): object {
    let place = this.recent.get(at);
    if (!place) {
      if (this.recent.size >= PLACES) this.recent.clear();
      this.recent.set(at, (place = { values: new Map(), hits: 0, misses: 0 }));
    }
    // A place whose values are each object's own (a DaemonSet pod's node affinity, an event's
    // involved object) is not worth writing out as JSON: only one value in 16 still is, in case
    // that changes. What is inside may still be shared.
    const tried =
      place.misses < SKIP_AFTER || place.hits * 4 >= place.misses || place.misses % 16 === 0;
    let text = '';
    if (tried) {
      text = JSON.stringify(value);
      const shared = place.values.get(text);
      if (shared !== undefined && sameJson(value, shared)) {
        place.hits++;
        place.values.delete(text);
        place.values.set(text, shared);
        return shared;
      }
    }
    place.misses++;
    if (depth > 0) {
      if (Array.isArray(value)) {
        const inner = `${at}[]`;
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (typeof item === 'object' && item !== null && !Object.isFrozen(item))
            value[i] = this.intern(inner, item, depth - 1);
        }
      } else {
        for (const key of Object.keys(value)) {
          const item = (value as Obj)[key];
          if (typeof item === 'object' && item !== null && !Object.isFrozen(item))
            put(value as Obj, key, this.intern(`${at}.${key}`, item, depth - 1));
        }
      }
    }
    if (!tried) return value;
    deepFreeze(value);
    place.values.set(text, value);
    if (place.values.size > PER_PLACE) place.values.delete(place.values.keys().next().value!);
    return value;
  }
}

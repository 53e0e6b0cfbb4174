/**
 * The copies a write makes of the stored object, made to cost what the write changes rather than
 * the size of the object (a pod status write used to copy the whole pod twice, and copying a
 * frozen stored object is slow).
 *
 * Invariant kept by both functions: in the object a write goes on with, a frozen value is the
 * stored object's own value at the same place. Stored objects were defaulted and normalized
 * when written, so defaulting and normalizing (both idempotent) can pass over frozen values,
 * and everything after can stop where the two objects are the same (see shareUnchanged).
 */
import { deepCopy, isPlainObject, type KubeObject } from '../../kube/objects';

type Obj = Record<string, unknown>;

/** Lazily copied objects, and what they are copies of. */
const sources = new WeakMap<object, Obj>();

function define(target: Obj, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}

/** `target[key] = value`, except that a `__proto__` key stays a property. */
function put(target: Obj, key: string, value: unknown): void {
  if (key === '__proto__') define(target, key, value);
  else target[key] = value;
}

/**
 * A copy of `source` (a stored, frozen object) for a read-modify-write callback: the same keys in
 * the same order, but each object value is copied only when the callback first reads it (or
 * never, when it only assigns it), down `levels` levels; below that, values are copied whole.
 * The callback can read and change it as a plain deep copy. Call settleCopy on it afterwards.
 */
export function copyOnRead<T extends object>(source: T, levels = 2): T {
  const out: Obj = {};
  for (const key of Object.keys(source)) {
    const value = (source as Obj)[key];
    if (typeof value !== 'object' || value === null) {
      put(out, key, value);
      continue;
    }
    Object.defineProperty(out, key, {
      enumerable: true,
      configurable: true,
      get() {
        const copied =
          levels > 1 && isPlainObject(value) ? copyOnRead(value, levels - 1) : deepCopy(value);
        define(out, key, copied);
        return copied;
      },
      set(next: unknown) {
        define(out, key, next);
      },
    });
  }
  sources.set(out, source as Obj);
  return out as T;
}

/**
 * Turns a copyOnRead copy back into plain data: every value the callback never read or
 * assigned becomes the stored value itself (frozen, unchanged: nothing to copy).
 */
export function settleCopy(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  const source = sources.get(value);
  if (!source) return;
  sources.delete(value);
  for (const key of Object.keys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key)!;
    if (descriptor.get) define(value as Obj, key, source[key]);
    else settleCopy(descriptor.value);
  }
}

/**
 * The copy an update works on: a deep copy of `input`, except that values which are the stored
 * object's own (frozen) values at the same place are kept as they are. The object itself and its
 * metadata are always new, as the update sets fields on them.
 */
export function copyForUpdate(input: KubeObject, stored: KubeObject): KubeObject {
  const out: Obj = {};
  const old = stored as Obj;
  for (const key of Object.keys(input)) {
    const value = (input as Obj)[key];
    const copied =
      key === 'metadata' && isPlainObject(value)
        ? copyFields(value, isPlainObject(old.metadata) ? old.metadata : undefined)
        : copyUnlessStored(value, old[key]);
    put(out, key, copied);
  }
  return out as KubeObject;
}

function copyUnlessStored(value: unknown, stored: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value === stored && Object.isFrozen(value)) return value;
  if (isPlainObject(value) && isPlainObject(stored)) return copyFields(value, stored);
  return deepCopy(value);
}

function copyFields(value: Obj, stored: Obj | undefined): Obj {
  const out: Obj = {};
  for (const key of Object.keys(value)) {
    const child = value[key];
    put(
      out,
      key,
      stored && Object.hasOwn(stored, key) ? copyUnlessStored(child, stored[key]) : deepCopy(child),
    );
  }
  return out;
}

/**
 * JSON patch (RFC 6902): add, remove, replace, move, copy, test. A malformed document is a 400;
 * an operation that does not apply (missing path, failed test) is the 422 with upstream's fixed
 * message, because kube-apiserver drops the library's own text.
 */
import { deepEqual, isPlainObject } from '../objects';
import { GENERIC_422, PatchError } from './errors';

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

/** The most operations one JSON patch may carry (kube-apiserver's limit). */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(GENERIC_422, 422);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function parentOf(document: unknown, tokens: string[]): { parent: unknown; last: string } {
  let current = document;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(current)) {
      const index = Number(token);
      if (!/^\d+$/.test(token) || index >= current.length) throw new PatchError(GENERIC_422, 422);
      current = current[index];
    } else if (isPlainObject(current) && Object.hasOwn(current, token)) {
      current = current[token];
    } else {
      throw new PatchError(GENERIC_422, 422);
    }
  }
  return { parent: current, last: tokens[tokens.length - 1]! };
}

function get(document: unknown, pointer: string): unknown {
  let current = document;
  for (const token of parsePointer(pointer)) {
    if (Array.isArray(current) && /^\d+$/.test(token) && Number(token) < current.length)
      current = current[Number(token)];
    else if (isPlainObject(current) && Object.hasOwn(current, token)) current = current[token];
    else throw new PatchError(GENERIC_422, 422);
  }
  return current;
}

function add(document: unknown, pointer: string, value: unknown): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(document, tokens);
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!(last === '-' || /^\d+$/.test(last)) || index > parent.length)
      throw new PatchError(GENERIC_422, 422);
    parent.splice(index, 0, value);
  } else if (isPlainObject(parent)) {
    parent[last] = value;
  } else {
    throw new PatchError(GENERIC_422, 422);
  }
  return document;
}

function remove(document: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) throw new PatchError(GENERIC_422, 422);
  const { parent, last } = parentOf(document, tokens);
  if (Array.isArray(parent)) {
    const index = Number(last);
    if (!/^\d+$/.test(last) || index >= parent.length) throw new PatchError(GENERIC_422, 422);
    parent.splice(index, 1);
  } else if (isPlainObject(parent) && Object.hasOwn(parent, last)) {
    delete parent[last];
  } else {
    throw new PatchError(GENERIC_422, 422);
  }
  return document;
}

/** Parses and checks a JSON patch document (400 when it is not one). */
export function parseJsonPatch(patch: unknown): Operation[] {
  if (!Array.isArray(patch)) {
    throw new PatchError(
      'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
      400,
    );
  }
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new PatchError(
      `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`,
      400,
    );
  }
  return patch.map((op) => {
    if (!isPlainObject(op) || typeof op.op !== 'string' || typeof op.path !== 'string') {
      throw new PatchError(GENERIC_422, 422);
    }
    return op as unknown as Operation;
  });
}

export function applyJsonPatch(document: unknown, patch: unknown): unknown {
  let result = clone(document);
  for (const operation of parseJsonPatch(patch)) {
    switch (operation.op) {
      case 'add':
        if (!('value' in operation)) throw new PatchError(GENERIC_422, 422);
        result = add(result, operation.path, clone(operation.value));
        break;
      case 'remove':
        result = remove(result, operation.path);
        break;
      case 'replace':
        if (!('value' in operation)) throw new PatchError(GENERIC_422, 422);
        get(result, operation.path);
        result = remove(result, operation.path);
        result = add(result, operation.path, clone(operation.value));
        break;
      case 'move': {
        if (typeof operation.from !== 'string') throw new PatchError(GENERIC_422, 422);
        const value = get(result, operation.from);
        result = remove(result, operation.from);
        result = add(result, operation.path, value);
        break;
      }
      case 'copy': {
        if (typeof operation.from !== 'string') throw new PatchError(GENERIC_422, 422);
        result = add(result, operation.path, clone(get(result, operation.from)));
        break;
      }
      case 'test':
        if (!deepEqual(get(result, operation.path), operation.value))
          throw new PatchError(GENERIC_422, 422);
        break;
      default:
        throw new PatchError(GENERIC_422, 422);
    }
  }
  return result;
}

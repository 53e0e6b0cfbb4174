/**
 * The Kubernetes schemas (generated from kubernetes-types, see scripts/openapi/generate.mjs) and
 * what the API server does with them on decode, as the Go decoder would: reject values of the
 * wrong JSON type (`json: cannot unmarshal …`), find unknown and duplicate fields for
 * `fieldValidation`, drop unknown fields and nulls, and answer patch-strategy questions.
 */
import document from './generated/schemas';
import type { Schema } from './openapi-types';
import { isPlainObject } from './objects';

export type { Schema } from './openapi-types';

const REF_PREFIX = '#/components/schemas/';

/** Every schema, by name (`io.k8s.api.apps.v1.DaemonSet`). */
export const SCHEMAS: Readonly<Record<string, Schema>> = document.schemas;

/** Where the schemas came from, e.g. `kubernetes-types@1.30.0`. */
export const SCHEMA_SOURCE: string = document.source;

export function schemaNamed(name: string): Schema | undefined {
  return Object.hasOwn(SCHEMAS, name) ? SCHEMAS[name] : undefined;
}

/** The name a `$ref` (or `allOf: [{$ref}]`) points at, if the schema is a reference. */
export function refName(schema: Schema | undefined): string | undefined {
  const ref = schema?.$ref ?? (schema?.allOf?.length === 1 ? schema.allOf[0]?.$ref : undefined);
  return ref?.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : undefined;
}

/** Follows references to the schema that describes the value. */
export function resolveSchema(schema: Schema | undefined): Schema | undefined {
  let current = schema;
  for (let depth = 0; current && depth < 8; depth++) {
    const name = refName(current);
    if (!name) return current;
    current = schemaNamed(name);
  }
  return current;
}

/** The schema of property `name` of an object schema, resolved. */
export function propertyOf(schema: Schema | undefined, name: string): Schema | undefined {
  const resolved = resolveSchema(schema);
  const property = resolved?.properties?.[name];
  return property;
}

/** A list field's patch and list markers (`x-kubernetes-patch-*`, `x-kubernetes-list-*`). */
export interface ListMeta {
  readonly patchStrategy: readonly string[];
  readonly mergeKey: string | undefined;
  readonly listType: 'atomic' | 'set' | 'map' | undefined;
  readonly listMapKeys: readonly string[];
}

export function listMetaOf(property: Schema | undefined): ListMeta {
  return {
    patchStrategy: (property?.['x-kubernetes-patch-strategy'] ?? '').split(',').filter(Boolean),
    mergeKey: property?.['x-kubernetes-patch-merge-key'],
    listType: property?.['x-kubernetes-list-type'],
    listMapKeys: property?.['x-kubernetes-list-map-keys'] ?? [],
  };
}

const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const FREEFORM = new Set([
  'io.k8s.apimachinery.pkg.runtime.RawExtension',
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1',
]);

/** The Go type name a schema decodes into, as `encoding/json` errors print it. */
export function goTypeName(schema: Schema | undefined): string {
  const name = refName(schema);
  if (name) {
    const parts = name.split('.');
    return `${parts[parts.length - 2]}.${parts[parts.length - 1]}`;
  }
  const resolved = resolveSchema(schema);
  switch (resolved?.type) {
    case 'integer':
      return resolved.format === 'int64' ? 'int64' : 'int32';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'string':
      return 'string';
    case 'array':
      return `[]${goTypeName(resolved.items)}`;
    case 'object':
      if (resolved.additionalProperties && typeof resolved.additionalProperties === 'object') {
        return `map[string]${goTypeName(resolved.additionalProperties)}`;
      }
      return 'map[string]interface {}';
    default:
      return 'interface {}';
  }
}

function jsonTypeName(value: unknown): string {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'array';
  return 'object';
}

/** A value Go's decoder cannot put into the field: the whole request fails with this. */
export interface TypeMismatch {
  /** e.g. `json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32` */
  readonly message: string;
}

export interface DecodeResult {
  /** The value with nulls and (if asked) unknown fields removed. */
  readonly value: unknown;
  /** Paths of fields the schema does not know, e.g. `spec.template.spec.containers[0].imagee`. */
  readonly unknownFields: readonly string[];
  readonly typeError: TypeMismatch | undefined;
}

interface Walk {
  unknown: string[];
  typeError: TypeMismatch | undefined;
  dropUnknown: boolean;
}

function joinPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/**
 * Walks `value` against the schema named `schemaName`. Unknown fields are collected (and dropped
 * when `dropUnknown`); nulls are removed as Go's decoder leaves them as zero values.
 */
export function decodeAgainstSchema(
  value: unknown,
  schemaName: string,
  options: { readonly dropUnknown: boolean },
): DecodeResult {
  const walk: Walk = { unknown: [], typeError: undefined, dropUnknown: options.dropUnknown };
  const schema: Schema = { $ref: `${REF_PREFIX}${schemaName}` };
  const out = visit(value, schema, '', '', walk, schemaName.split('.').pop() ?? '');
  return { value: out, unknownFields: walk.unknown, typeError: walk.typeError };
}

/**
 * `path` is the field path with list indexes (for unknown-field messages); `goPath` is the dotted
 * path without indexes that Go's type errors print; `struct` is the enclosing Go struct's name.
 */
function visit(
  value: unknown,
  schema: Schema | undefined,
  path: string,
  goPath: string,
  walk: Walk,
  struct: string,
): unknown {
  if (value === null || value === undefined || walk.typeError) return value;
  const name = refName(schema);
  if (name === INT_OR_STRING) {
    if (typeof value === 'number' || typeof value === 'string') return value;
    return mismatch(value, schema, goPath, walk, struct);
  }
  if (name === QUANTITY) {
    if (typeof value === 'string') return value;
    if (typeof value === 'number') return String(value);
    return mismatch(value, schema, goPath, walk, struct);
  }
  if (name && FREEFORM.has(name)) return value;
  const resolved = resolveSchema(schema);
  if (!resolved) return value;
  switch (resolved.type) {
    case 'integer':
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      return mismatch(value, schema, goPath, walk, struct);
    case 'number':
      if (typeof value === 'number') return value;
      return mismatch(value, schema, goPath, walk, struct);
    case 'boolean':
      if (typeof value === 'boolean') return value;
      return mismatch(value, schema, goPath, walk, struct);
    case 'string':
      if (typeof value === 'string') return value;
      return mismatch(value, schema, goPath, walk, struct);
    case 'array': {
      if (!Array.isArray(value)) return mismatch(value, schema, goPath, walk, struct);
      return value.map((item, i) =>
        visit(item, resolved.items, `${path}[${i}]`, goPath, walk, struct),
      );
    }
    case 'object': {
      if (!isPlainObject(value)) return mismatch(value, schema, goPath, walk, struct);
      const additional =
        typeof resolved.additionalProperties === 'object'
          ? resolved.additionalProperties
          : undefined;
      const out: Record<string, unknown> = {};
      const childStruct = name ? name.split('.').pop()! : struct;
      for (const [key, child] of Object.entries(value)) {
        if (child === null) continue;
        if (additional) {
          out[key] = visit(
            child,
            additional,
            `${path}[${key}]`,
            joinPath(goPath, key),
            walk,
            childStruct,
          );
          continue;
        }
        const property = resolved.properties?.[key];
        if (!property) {
          if (resolved.properties) {
            walk.unknown.push(joinPath(path, key));
            if (walk.dropUnknown) continue;
          }
          out[key] = child;
          continue;
        }
        out[key] = visit(
          child,
          property,
          joinPath(path, key),
          joinPath(goPath, key),
          walk,
          childStruct,
        );
      }
      return out;
    }
    default:
      return value;
  }
}

function mismatch(
  value: unknown,
  schema: Schema | undefined,
  goPath: string,
  walk: Walk,
  struct: string,
): unknown {
  walk.typeError ??= {
    message: `json: cannot unmarshal ${jsonTypeName(value)} into Go struct field ${struct}.${goPath} of type ${goTypeName(schema)}`,
  };
  return value;
}

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const POD_TEMPLATE_SPEC = 'io.k8s.api.core.v1.PodTemplateSpec';

/**
 * Gives a decoded object the shape Go's encoder would give it after a decode/encode round trip:
 * required (non-omitempty) integer and boolean fields appear even when zero, nested object
 * metadata shows `creationTimestamp: null`, and a pod template always has its metadata. This is
 * why `kubectl get ds -o yaml` shows `numberReady: 0` and `metadata: {creationTimestamp: null}`.
 * Mutates `value`, except for its frozen parts, which it takes to be normalized already.
 */
export function goNormalize(value: unknown, schemaName: string): void {
  let root = normalizeRoots.get(schemaName);
  if (!root) normalizeRoots.set(schemaName, (root = { $ref: `${REF_PREFIX}${schemaName}` }));
  normalizeVisit(value, root, 0);
}

/** What goNormalize does with values of one schema, worked out once per schema. */
interface NormalizePlan {
  /** The schema resolved; undefined when values of it are left alone (opaque or unknown). */
  readonly resolved: Schema | undefined;
  readonly objectMeta: boolean;
  readonly podTemplate: boolean;
  /** Required integer and boolean fields, with the zero they get when missing. */
  readonly zeros: ReadonlyArray<readonly [string, number | boolean]>;
  readonly additional: Schema | undefined;
  /**
   * Whether a value of this schema can need anything at all: a subtree whose schema has no
   * nested metadata, pod template or required integer or boolean anywhere below is not walked.
   */
  needed: boolean | undefined;
}

const normalizeRoots = new Map<string, Schema>();
const normalizePlans = new WeakMap<Schema, NormalizePlan>();

function normalizePlan(schema: Schema): NormalizePlan {
  let plan = normalizePlans.get(schema);
  if (plan) return plan;
  const name = refName(schema);
  const opaque = name === INT_OR_STRING || name === QUANTITY || (name && FREEFORM.has(name));
  const resolved = opaque ? undefined : resolveSchema(schema);
  const zeros: Array<readonly [string, number | boolean]> = [];
  for (const required of resolved?.required ?? []) {
    const type = resolveSchema(resolved?.properties?.[required])?.type;
    if (type === 'integer') zeros.push([required, 0]);
    else if (type === 'boolean') zeros.push([required, false]);
  }
  plan = {
    resolved,
    objectMeta: name === OBJECT_META,
    podTemplate: name === POD_TEMPLATE_SPEC,
    zeros,
    additional:
      typeof resolved?.additionalProperties === 'object'
        ? resolved.additionalProperties
        : undefined,
    needed: undefined,
  };
  normalizePlans.set(schema, plan);
  return plan;
}

/** NormalizePlan.needed, worked out on first use (a schema met again while being worked out, as in recursive schemas, counts as needed). */
function needsNormalize(schema: Schema | undefined): boolean {
  if (!schema) return false;
  const plan = normalizePlan(schema);
  if (plan.needed !== undefined) return plan.needed;
  const { resolved } = plan;
  if (!resolved) return (plan.needed = false);
  if (plan.objectMeta || plan.podTemplate || plan.zeros.length > 0) return (plan.needed = true);
  plan.needed = true;
  let needed = needsNormalize(resolved.items) || needsNormalize(plan.additional);
  for (const property of Object.values(resolved.properties ?? {})) {
    if (needed) break;
    needed = needsNormalize(property);
  }
  return (plan.needed = needed);
}

function normalizeVisit(value: unknown, schema: Schema | undefined, depth: number): void {
  if (value === null || value === undefined || depth > 64 || !schema) return;
  // Frozen: what an update shares with the stored object at the same place, normalized when it
  // was written (see apiserver/registry/write-copy.ts).
  if (typeof value === 'object' && Object.isFrozen(value)) return;
  if (!needsNormalize(schema)) return;
  const plan = normalizePlan(schema);
  const resolved = plan.resolved;
  if (!resolved) return;
  if (Array.isArray(value)) {
    for (const item of value) normalizeVisit(item, resolved.items, depth + 1);
    return;
  }
  if (!isPlainObject(value)) return;
  if (plan.objectMeta && depth > 0 && !Object.hasOwn(value, 'creationTimestamp')) {
    value.creationTimestamp = null;
  }
  if (plan.podTemplate && !isPlainObject(value.metadata)) value.metadata = {};
  for (const [required, zero] of plan.zeros) {
    if (!Object.hasOwn(value, required)) value[required] = zero;
  }
  const additional = plan.additional;
  const properties = resolved.properties;
  for (const key of Object.keys(value)) {
    const childSchema = additional ?? properties?.[key];
    if (childSchema) normalizeVisit(value[key], childSchema, depth + 1);
  }
}

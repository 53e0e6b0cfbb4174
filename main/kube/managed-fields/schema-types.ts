/**
 * The structured-merge-diff view of our OpenAPI schemas: which values are scalars, which lists are
 * atomic, sets or maps (associative, by key), which maps and structs are granular and which atomic.
 * kube-openapi derives the same from the apiserver's OpenAPI (pkg/schemaconv/smd.go:
 * `getListElementRelationship`, `getMapElementRelationship`); we read our generated schemas
 * (main/kube/schema.ts) and add the markers they lack from the tables below.
 */
import type { JsonValue } from '../objects';
import { listMetaOf, refName, resolveSchema, schemaNamed, type Schema } from '../schema';

/** A schema as structured-merge-diff sees it (`schema.Atom`: scalar, list or map). */
export type TypeNode = ScalarType | ListType | MapType | DeducedType;

/** A leaf value: strings, numbers, booleans, IntOrString, Quantity, times. */
export interface ScalarType {
  readonly kind: 'scalar';
}

/** A list (`schema.List`): atomic, or associative by key fields or (a set) by value. */
export interface ListType {
  readonly kind: 'list';
  /** Owned and replaced as one value (`+listType=atomic`, the default). */
  readonly atomic: boolean;
  /** For associative lists: the key fields; empty for a set of scalars. */
  readonly keys: readonly string[];
  /** Values for key fields an item may omit (the item type's `+default` markers). */
  readonly keyDefaults: Readonly<Record<string, JsonValue>>;
  item(): TypeNode;
}

/** A struct or a map (`schema.Map`): granular (field by field) or atomic. */
export interface MapType {
  readonly kind: 'map';
  /** Owned and replaced as one value (`+structType=atomic`, `+mapType=atomic`). */
  readonly atomic: boolean;
  /** The schema name for structs (`io.k8s.api.core.v1.Container`); undefined for plain maps. */
  readonly struct: string | undefined;
  /** Whether `name` is a declared struct field. */
  hasField(name: string): boolean;
  /** The type of field or map entry `name`; undefined when the struct has no such field. */
  child(name: string): TypeNode | undefined;
}

/**
 * A value whose type comes from the value itself (`__untyped_deduced_`: RawExtension and other
 * schemaless objects): maps are granular, lists atomic, the rest scalars.
 */
export interface DeducedType {
  readonly kind: 'deduced';
}

const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const DEDUCED_NAMES = new Set([
  'io.k8s.apimachinery.pkg.runtime.RawExtension',
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1',
]);

/**
 * Types marked `+structType=atomic` in k8s.io/api and k8s.io/apimachinery (v1.30 `types.go`),
 * among those our kinds use: a field of one of these types is a single leaf.
 */
export const ATOMIC_STRUCTS: ReadonlySet<string> = new Set([
  'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector',
  'io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference',
  'io.k8s.api.core.v1.ObjectReference',
  'io.k8s.api.core.v1.LocalObjectReference',
  'io.k8s.api.core.v1.TypedLocalObjectReference',
  'io.k8s.api.core.v1.SecretReference',
  'io.k8s.api.core.v1.ConfigMapKeySelector',
  'io.k8s.api.core.v1.SecretKeySelector',
  'io.k8s.api.core.v1.ObjectFieldSelector',
  'io.k8s.api.core.v1.ResourceFieldSelector',
  'io.k8s.api.core.v1.NodeSelector',
  'io.k8s.api.core.v1.NodeSelectorTerm',
  'io.k8s.api.core.v1.TopologySelectorTerm',
  'io.k8s.api.core.v1.EndpointAddress',
  'io.k8s.api.core.v1.EndpointPort',
  'io.k8s.api.autoscaling.v1.CrossVersionObjectReference',
]);

/** Map fields marked `+mapType=atomic` (core/v1 types.go, v1.30). */
export const ATOMIC_MAP_FIELDS: ReadonlySet<string> = new Set([
  'io.k8s.api.core.v1.PodSpec.nodeSelector',
  'io.k8s.api.core.v1.ServiceSpec.selector',
  'io.k8s.api.core.v1.ReplicationControllerSpec.selector',
]);

interface ListOverride {
  readonly listType: 'atomic' | 'set' | 'map';
  readonly keys?: readonly string[];
}

/**
 * SSA list markers of v1.30 that the generated schemas lack or get wrong
 * (scripts/openapi/patch-meta.mjs): they take precedence over the schema.
 */
export const LIST_OVERRIDES: Readonly<Record<string, ListOverride>> = {
  // `+listType=atomic` although the SMP tags say merge by `ip` (core/v1 PodStatus.HostIPs).
  'io.k8s.api.core.v1.PodStatus.hostIPs': { listType: 'atomic' },
  // `+listType=map +listMapKey=name` (core/v1 ResourceRequirements.Claims).
  'io.k8s.api.core.v1.ResourceRequirements.claims': { listType: 'map', keys: ['name'] },
  // `+listType=map +listMapKey=name` (core/v1 PodStatus.ResourceClaimStatuses).
  'io.k8s.api.core.v1.PodStatus.resourceClaimStatuses': { listType: 'map', keys: ['name'] },
};

/**
 * `+default` values of key fields (core/v1 `ContainerPort.Protocol`, `ServicePort.Protocol`):
 * an applied port without `protocol` is the item `{containerPort, protocol: "TCP"}`.
 */
export const KEY_DEFAULTS: Readonly<Record<string, Readonly<Record<string, JsonValue>>>> = {
  'io.k8s.api.core.v1.ContainerPort': { protocol: 'TCP' },
  'io.k8s.api.core.v1.ServicePort': { protocol: 'TCP' },
};

const SCALAR: ScalarType = { kind: 'scalar' };
const DEDUCED: DeducedType = { kind: 'deduced' };

const namedCache = new Map<string, TypeNode>();
const schemaCache = new WeakMap<Schema, TypeNode>();

/** The type of the named schema (`io.k8s.api.apps.v1.Deployment`). */
export function typeNamed(name: string): TypeNode {
  let node = namedCache.get(name);
  if (!node) {
    if (name === INT_OR_STRING || name === QUANTITY) node = SCALAR;
    else if (DEDUCED_NAMES.has(name)) node = DEDUCED;
    else {
      const schema = schemaNamed(name);
      node = schema ? build(schema, name, undefined) : DEDUCED;
    }
    namedCache.set(name, node);
  }
  return node;
}

/** The site of a property: its struct and field name, for the marker tables. */
interface Site {
  readonly owner: string;
  readonly field: string;
}

function typeOf(schema: Schema | undefined, site: Site | undefined): TypeNode {
  if (!schema) return DEDUCED;
  const cached = schemaCache.get(schema);
  if (cached) return cached;
  let node: TypeNode;
  const name = refName(schema);
  if (name) {
    node = typeNamed(name);
    if (node.kind === 'map' && !node.atomic && site && atomicMapSite(site)) {
      node = { ...node, atomic: true };
    }
  } else {
    node = build(schema, undefined, site);
  }
  schemaCache.set(schema, node);
  return node;
}

function atomicMapSite(site: Site): boolean {
  return ATOMIC_MAP_FIELDS.has(`${site.owner}.${site.field}`);
}

function build(schema: Schema, name: string | undefined, site: Site | undefined): TypeNode {
  if (schema['x-kubernetes-int-or-string']) return SCALAR;
  const resolved = resolveSchema(schema);
  if (!resolved) return DEDUCED;
  switch (resolved.type) {
    case 'string':
    case 'integer':
    case 'number':
    case 'boolean':
      return SCALAR;
    case 'array':
      return buildList(resolved, site);
    case 'object':
      return buildMap(resolved, name, site);
    default:
      return resolved.properties ? buildMap(resolved, name, site) : DEDUCED;
  }
}

/** getListElementRelationship: list type first, else the patch strategy, else atomic. */
function buildList(schema: Schema, site: Site | undefined): ListType {
  const override = site ? LIST_OVERRIDES[`${site.owner}.${site.field}`] : undefined;
  const meta = listMetaOf(schema);
  let atomic = true;
  let keys: readonly string[] = [];
  const listType = override?.listType ?? meta.listType;
  if (listType) {
    atomic = listType === 'atomic';
    if (listType === 'map') keys = override?.keys ?? meta.listMapKeys;
  } else if (meta.patchStrategy.includes('merge')) {
    atomic = false;
    keys = meta.mergeKey ? [meta.mergeKey] : [];
  }
  const itemName = refName(schema.items);
  const keyDefaults = (itemName && KEY_DEFAULTS[itemName]) || {};
  let item: TypeNode | undefined;
  return {
    kind: 'list',
    atomic,
    keys,
    keyDefaults,
    item: () => (item ??= typeOf(schema.items, undefined)),
  };
}

function buildMap(schema: Schema, name: string | undefined, site: Site | undefined): TypeNode {
  const properties = schema.properties;
  const additional =
    typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  const hasFields = properties !== undefined && Object.keys(properties).length > 0;
  if (!hasFields && !additional) return DEDUCED;
  const atomic =
    (name !== undefined && ATOMIC_STRUCTS.has(name)) || (site !== undefined && atomicMapSite(site));
  const owner = name ?? (site ? `${site.owner}.${site.field}` : '');
  const fieldTypes = new Map<string, TypeNode>();
  let element: TypeNode | undefined;
  return {
    kind: 'map',
    atomic,
    struct: hasFields ? name : undefined,
    hasField: (field) => hasFields && Object.hasOwn(properties, field),
    child(field) {
      if (hasFields && Object.hasOwn(properties, field)) {
        let node = fieldTypes.get(field);
        if (!node) {
          node = typeOf(properties[field], { owner, field });
          fieldTypes.set(field, node);
        }
        return node;
      }
      if (!additional) return undefined;
      return (element ??= typeOf(additional, undefined));
    },
  };
}

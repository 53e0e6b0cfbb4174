/**
 * The shape a built-in object has as a Go struct, which is what upstream's field manager compares
 * (`FromStructured` over the typed object): fields of value-typed structs are always there (an
 * empty `{}` when unset), value-typed times and raw extensions are `null` when zero, and fields
 * without `omitempty` (the schema's `required`) carry their zero value (`null` for pointers, slices
 * and maps). Comparing JSON objects in that shape tells added from modified fields exactly as
 * upstream does: `spec` is never "added" to a Deployment, `spec.selector` is modified from `null`,
 * `spec.template.spec.containers` from `null`, while `rollingUpdate` (a pointer) is added.
 *
 * Custom resources (Kubelab's own group) are unstructured upstream and keep the shape they have.
 */
import { isPlainObject } from '../objects';
import { refName, resolveSchema, schemaNamed, type Schema } from '../schema';

type Zero = 'struct' | 'null';

const core = 'io.k8s.api.core.v1';
const apps = 'io.k8s.api.apps.v1';
const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1';

const OBJECT: Readonly<Record<string, Zero>> = { metadata: 'struct' };
const OBJECT_SPEC_STATUS: Readonly<Record<string, Zero>> = {
  metadata: 'struct',
  spec: 'struct',
  status: 'struct',
};

/**
 * Non-pointer fields of struct type (`'struct'`) and of `metav1.Time`, `metav1.MicroTime` or
 * `runtime.RawExtension` type (`'null'`, how those encode when zero), by schema, for the kinds we
 * serve. Read from the Go types in k8s.io/api (apps/v1, core/v1, coordination/v1, events/v1,
 * policy/v1, storage/v1, autoscaling/v1) and k8s.io/apimachinery meta/v1 at v1.30; pointer fields
 * (`rollingUpdate`, `securityContext`, `affinity`, `deletionTimestamp`, `startTime`, …) are
 * deliberately absent.
 */
export const GO_VALUE_FIELDS: Readonly<Record<string, Readonly<Record<string, Zero>>>> = {
  [`${meta}.ObjectMeta`]: { creationTimestamp: 'null' },
  [`${meta}.Condition`]: { lastTransitionTime: 'null' },

  [`${apps}.DaemonSet`]: OBJECT_SPEC_STATUS,
  [`${apps}.DaemonSetSpec`]: { template: 'struct', updateStrategy: 'struct' },
  [`${apps}.DaemonSetCondition`]: { lastTransitionTime: 'null' },
  [`${apps}.Deployment`]: OBJECT_SPEC_STATUS,
  [`${apps}.DeploymentSpec`]: { template: 'struct', strategy: 'struct' },
  [`${apps}.DeploymentCondition`]: { lastUpdateTime: 'null', lastTransitionTime: 'null' },
  [`${apps}.ReplicaSet`]: OBJECT_SPEC_STATUS,
  [`${apps}.ReplicaSetSpec`]: { template: 'struct' },
  [`${apps}.ReplicaSetCondition`]: { lastTransitionTime: 'null' },
  [`${apps}.ControllerRevision`]: { metadata: 'struct', data: 'null' },

  [`${core}.Pod`]: OBJECT_SPEC_STATUS,
  [`${core}.PodTemplateSpec`]: { metadata: 'struct', spec: 'struct' },
  [`${core}.Container`]: { resources: 'struct' },
  [`${core}.EphemeralContainer`]: { resources: 'struct' },
  [`${core}.PodCondition`]: { lastProbeTime: 'null', lastTransitionTime: 'null' },
  [`${core}.ContainerStatus`]: { state: 'struct', lastState: 'struct' },
  [`${core}.ContainerStateRunning`]: { startedAt: 'null' },
  [`${core}.ContainerStateTerminated`]: { startedAt: 'null', finishedAt: 'null' },
  [`${core}.Node`]: OBJECT_SPEC_STATUS,
  [`${core}.NodeStatus`]: { daemonEndpoints: 'struct', nodeInfo: 'struct' },
  [`${core}.NodeDaemonEndpoints`]: { kubeletEndpoint: 'struct' },
  [`${core}.NodeCondition`]: { lastHeartbeatTime: 'null', lastTransitionTime: 'null' },
  [`${core}.Service`]: OBJECT_SPEC_STATUS,
  [`${core}.ServiceStatus`]: { loadBalancer: 'struct' },
  [`${core}.Namespace`]: OBJECT_SPEC_STATUS,
  [`${core}.NamespaceCondition`]: { lastTransitionTime: 'null' },
  [`${core}.ConfigMap`]: OBJECT,
  [`${core}.Secret`]: OBJECT,
  [`${core}.ServiceAccount`]: OBJECT,
  [`${core}.Endpoints`]: OBJECT,
  [`${core}.Binding`]: { metadata: 'struct', target: 'struct' },
  [`${core}.Event`]: {
    metadata: 'struct',
    involvedObject: 'struct',
    source: 'struct',
    firstTimestamp: 'null',
    lastTimestamp: 'null',
    eventTime: 'null',
  },
  'io.k8s.api.events.v1.Event': {
    metadata: 'struct',
    eventTime: 'null',
    regarding: 'struct',
    deprecatedSource: 'struct',
    deprecatedFirstTimestamp: 'null',
    deprecatedLastTimestamp: 'null',
  },
  'io.k8s.api.coordination.v1.Lease': { metadata: 'struct', spec: 'struct' },
  'io.k8s.api.policy.v1.PodDisruptionBudget': OBJECT_SPEC_STATUS,
  'io.k8s.api.storage.v1.StorageClass': OBJECT,
  'io.k8s.api.autoscaling.v1.Scale': OBJECT_SPEC_STATUS,
};

const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const OPAQUE = new Set([
  INT_OR_STRING,
  QUANTITY,
  'io.k8s.apimachinery.pkg.runtime.RawExtension',
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1',
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time',
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime',
]);

/** Whether objects of this schema are Go structs upstream (everything but Kubelab's own group). */
export function isBuiltIn(schemaName: string): boolean {
  return schemaName.startsWith('io.k8s.');
}

/**
 * `value` (an object of schema `schemaName`) in its Go struct shape. Returns a new value; the
 * input is not modified. Custom resources are returned as they are.
 */
export function goShape(value: unknown, schemaName: string): unknown {
  if (!isBuiltIn(schemaName)) return value;
  return shapeNamed(value, schemaName, 0);
}

/** The Go zero value of a kind, as `runtime.ObjectCreater.New` makes it and smd sees it. */
export function goZeroValue(schemaName: string): Record<string, unknown> {
  if (!isBuiltIn(schemaName)) return {};
  return shapeNamed({}, schemaName, 0) as Record<string, unknown>;
}

/**
 * Both sides of an update in their Go struct shape, for comparing them (the field manager's
 * `compare`): each as goShape would give it, except that what both share — the same object at the
 * same place, as a write shares what it left unchanged with the stored object (shareUnchanged) —
 * is left as it is, unshaped, on both sides. The same object on both sides is no change, and
 * comparing stops there without looking inside, so only what changed is shaped. Only for
 * comparison: where they share, the results are not the shapes of the objects.
 */
export function goShapePair(a: unknown, b: unknown, schemaName: string): [unknown, unknown] {
  if (!isBuiltIn(schemaName)) return [a, b];
  return shapePairNamed(a, b, schemaName, 0);
}

function shapePairNamed(a: unknown, b: unknown, name: string, depth: number): [unknown, unknown] {
  if (OPAQUE.has(name)) return [a, b];
  const schema = schemaNamed(name);
  return schema ? shapePair(a, b, schema, name, depth) : [a, b];
}

function shapePairOf(
  a: unknown,
  b: unknown,
  schema: Schema | undefined,
  depth: number,
): [unknown, unknown] {
  const name = nameOf(schema);
  if (name) return shapePairNamed(a, b, name, depth);
  return shapePair(a, b, resolveSchema(schema), undefined, depth);
}

function shapePair(
  a: unknown,
  b: unknown,
  schema: Schema | undefined,
  name: string | undefined,
  depth: number,
): [unknown, unknown] {
  if (!schema || depth > 64) return [a, b];
  if (a === b && typeof a === 'object' && a !== null) return [a, b];
  if (!isPlainObject(a) || !isPlainObject(b)) {
    return [shapeValue(a, schema, name, depth), shapeValue(b, schema, name, depth)];
  }
  const additional =
    typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  const properties = schema.properties;
  const outA: Record<string, unknown> = {};
  const outB: Record<string, unknown> = {};
  for (const key of Object.keys(a)) {
    const child = a[key];
    const childSchema = properties?.[key] ?? additional;
    if (!childSchema) outA[key] = child;
    else if (Object.hasOwn(b, key)) {
      [outA[key], outB[key]] = shapePairOf(child, b[key], childSchema, depth + 1);
    } else outA[key] = shapeOf(child, childSchema, depth + 1);
  }
  for (const key of Object.keys(b)) {
    const child = b[key];
    const childSchema = properties?.[key] ?? additional;
    if (!childSchema) outB[key] = child;
    else if (!Object.hasOwn(a, key)) outB[key] = shapeOf(child, childSchema, depth + 1);
  }
  // Keys of b shaped with a's come first in outB; Go shapes have no key order to keep.
  fillZeros(outA, schema, name, depth);
  fillZeros(outB, schema, name, depth);
  return [outA, outB];
}

function shapeNamed(value: unknown, name: string, depth: number): unknown {
  if (OPAQUE.has(name)) return value;
  const schema = schemaNamed(name);
  return schema ? shape(value, schema, name, depth) : value;
}

const refNames = new WeakMap<Schema, string | null>();

/** refName, remembered: it is asked for every value of every object shaped. */
function nameOf(schema: Schema | undefined): string | undefined {
  if (!schema) return undefined;
  let name = refNames.get(schema);
  if (name === undefined) {
    name = refName(schema) ?? null;
    refNames.set(schema, name);
  }
  return name ?? undefined;
}

function shapeOf(value: unknown, schema: Schema | undefined, depth: number): unknown {
  const name = nameOf(schema);
  if (name) return shapeNamed(value, name, depth);
  return shape(value, resolveSchema(schema), undefined, depth);
}

function shape(
  value: unknown,
  schema: Schema | undefined,
  name: string | undefined,
  depth: number,
): unknown {
  if (!schema || depth > 64) return value;
  return shapeValue(value, schema, name, depth);
}

function shapeValue(
  value: unknown,
  schema: Schema,
  name: string | undefined,
  depth: number,
): unknown {
  if (Array.isArray(value)) {
    if (schema.type !== 'array') return value;
    return value.map((item) => shapeOf(item, schema.items, depth + 1));
  }
  if (!isPlainObject(value)) return value;
  const additional =
    typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  const properties = schema.properties;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const child = value[key];
    const childSchema = properties?.[key] ?? additional;
    out[key] = childSchema ? shapeOf(child, childSchema, depth + 1) : child;
  }
  fillZeros(out, schema, name, depth);
  return out;
}

/** The fields a Go struct always has: value-typed structs and times, fields without omitempty. */
function fillZeros(
  out: Record<string, unknown>,
  schema: Schema,
  name: string | undefined,
  depth: number,
): void {
  const properties = schema.properties;
  if (!name || !properties) return;
  const zeros = GO_VALUE_FIELDS[name];
  if (zeros) {
    for (const [field, zero] of Object.entries(zeros)) {
      if (Object.hasOwn(out, field)) continue;
      out[field] = zero === 'null' ? null : shapeOf({}, properties[field], depth + 1);
    }
  }
  for (const field of schema.required ?? []) {
    if (Object.hasOwn(out, field)) continue;
    out[field] = zeroOf(properties[field]);
  }
}

/** The JSON of a Go zero value for a field without `omitempty`. */
function zeroOf(schema: Schema | undefined): unknown {
  const name = refName(schema);
  if (name === INT_OR_STRING) return 0;
  if (name === QUANTITY) return '0';
  if (name) return null;
  switch (resolveSchema(schema)?.type) {
    case 'string':
      return '';
    case 'integer':
    case 'number':
      return 0;
    case 'boolean':
      return false;
    default:
      return null;
  }
}

/**
 * Moves every timestamp of an object (every field typed `meta/v1.Time` or `MicroTime` in its
 * schema) by a fixed amount. The embedded cluster keeps its objects in cluster time, which runs
 * ahead of the wall clock by what `kubelab cluster advance` skipped; the API server shows them in
 * wall-clock time, so the world looks aged rather than the present moved (kubectl computes some
 * ages itself, from the wall clock). Kubelab's own; Kubernetes has no such shift.
 */
import { isPlainObject } from './objects';
import { refName, resolveSchema, schemaNamed, type Schema } from './schema';

/**
 * `metav1.Time` text of a moment: RFC 3339 in whole seconds, as the API writes times. Every write
 * stamps times (creationTimestamp, managedFields, conditions, events) and they live as long as
 * the objects, tens of thousands of them on a big cluster: the stamps of one second are one flat
 * string made once, where `toISOString().replace(…)` made each a rope over a slice of a fresh
 * ISO string (three heap objects, about 100 bytes).
 */
export function rfc3339Seconds(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    const iso = new Date(second * 1000).toISOString();
    // Joined, not concatenated: a join is flat; `+` would make a rope again.
    lastText = [iso.slice(0, -'.000Z'.length), 'Z'].join('');
    lastSecond = second;
  }
  return lastText;
}

let lastSecond = Number.NaN;
let lastText = '';

const TIME = 'io.k8s.apimachinery.pkg.apis.meta.v1.Time';
const MICRO_TIME = 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime';

/** Where the timestamps are inside a value of one schema: only branches that lead to one. */
type Plan =
  | { readonly kind: 'time' }
  | { readonly kind: 'object'; readonly fields: ReadonlyMap<string, Plan> }
  | { readonly kind: 'array'; readonly element: Plan }
  | { readonly kind: 'map'; readonly element: Plan };

const plans = new Map<string, Plan | null>();

function planFor(schema: Schema | undefined, visiting: Set<string>): Plan | undefined {
  const name = refName(schema);
  if (name === TIME || name === MICRO_TIME) return { kind: 'time' };
  if (name !== undefined) {
    if (plans.has(name)) return plans.get(name) ?? undefined;
    if (visiting.has(name)) return undefined;
    visiting.add(name);
    const plan = planFor(schemaNamed(name), visiting);
    visiting.delete(name);
    plans.set(name, plan ?? null);
    return plan;
  }
  const resolved = resolveSchema(schema);
  if (!resolved) return undefined;
  if (resolved.items) {
    const element = planFor(resolved.items, visiting);
    return element ? { kind: 'array', element } : undefined;
  }
  if (typeof resolved.additionalProperties === 'object') {
    const element = planFor(resolved.additionalProperties, visiting);
    return element ? { kind: 'map', element } : undefined;
  }
  const fields = new Map<string, Plan>();
  for (const [field, property] of Object.entries(resolved.properties ?? {})) {
    const plan = planFor(property, visiting);
    if (plan) fields.set(field, plan);
  }
  return fields.size > 0 ? { kind: 'object', fields } : undefined;
}

function shiftText(text: string, deltaMs: number): string {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return text;
  const iso = new Date(ms + deltaMs).toISOString();
  const fraction = /\.(\d+)Z$/.exec(text)?.[1];
  if (fraction === undefined) return iso.replace(/\.\d{3}Z$/, 'Z');
  // MicroTime: keep the precision written (Date holds milliseconds; the rest is carried over).
  const millis = iso.slice(20, 23);
  return `${iso.slice(0, 19)}.${(millis + fraction.slice(3)).slice(0, fraction.length)}Z`;
}

function apply(value: unknown, plan: Plan, deltaMs: number): unknown {
  switch (plan.kind) {
    case 'time':
      return typeof value === 'string' ? shiftText(value, deltaMs) : value;
    case 'array': {
      if (!Array.isArray(value)) return value;
      let out: unknown[] | undefined;
      value.forEach((item, i) => {
        const next = apply(item, plan.element, deltaMs);
        if (next !== item) (out ??= value.slice())[i] = next;
      });
      return out ?? value;
    }
    case 'map':
    case 'object': {
      if (!isPlainObject(value)) return value;
      const entries: Iterable<readonly [string, Plan]> =
        plan.kind === 'map' ? Object.keys(value).map((key) => [key, plan.element]) : plan.fields;
      let out: Record<string, unknown> | undefined;
      for (const [key, child] of entries) {
        if (!Object.hasOwn(value, key)) continue;
        const next = apply(value[key], child, deltaMs);
        if (next !== value[key]) (out ??= { ...value })[key] = next;
      }
      return out ?? value;
    }
  }
}

/**
 * `value` (of schema `schemaName`) with every timestamp moved by `deltaMs`; the same value when
 * nothing moves. Copy-on-write: unchanged branches are shared, the input is never mutated.
 */
export function shiftTimestamps<T>(value: T, schemaName: string, deltaMs: number): T {
  if (deltaMs === 0) return value;
  const plan = planFor({ $ref: `#/components/schemas/${schemaName}` }, new Set());
  return plan ? (apply(value, plan, deltaMs) as T) : value;
}

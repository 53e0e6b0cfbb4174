/**
 * Field paths as server-side apply spells them (sigs.k8s.io/structured-merge-diff/v4 `fieldpath`):
 * the four kinds of path element, their total order (`PathElement.Compare`), their FieldsV1 key form
 * (`SerializePathElement`: `f:`, `k:`, `v:`, `i:`) and the human form conflict messages print
 * (`Path.String`: `.spec.containers[name="agent"].image`).
 *
 * Values inside keys and set items are JSON values; their FieldsV1 form is what Go's
 * `encoding/json` (via json-iterator's standard-library-compatible config) writes: object keys
 * sorted, `<`, `>` and `&` escaped.
 */
import type { JsonValue } from '../objects';

/** A struct field or a map key: `f:<name>`. */
export interface FieldElement {
  readonly kind: 'field';
  readonly name: string;
  /** The FieldsV1 key, also the element's identity. */
  readonly id: string;
}

/** One field of an associative-list key. */
export interface KeyField {
  readonly name: string;
  readonly value: JsonValue;
}

/** An associative-list item, by its key fields (sorted by name): `k:{"name":"agent"}`. */
export interface KeyElement {
  readonly kind: 'key';
  readonly fields: readonly KeyField[];
  readonly id: string;
}

/** A set item, by value: `v:"foo"`. */
export interface ValueElement {
  readonly kind: 'value';
  readonly value: JsonValue;
  readonly id: string;
}

/** A list item by position: `i:3` (only for lists that are neither atomic nor associative). */
export interface IndexElement {
  readonly kind: 'index';
  readonly index: number;
  readonly id: string;
}

export type PathElement = FieldElement | KeyElement | ValueElement | IndexElement;

/** A path from the object root; the empty path is the whole object, which nobody owns. */
export type Path = readonly PathElement[];

/** A FieldsV1 key that does not parse (`DeserializePathElement` errors). */
export class PathElementError extends Error {
  override readonly name = 'PathElementError';
}

const fieldCache = new Map<string, FieldElement>();

/** `f:<name>`. Field elements are interned: walks make millions of them for the same names. */
export function fieldElement(name: string): FieldElement {
  let element = fieldCache.get(name);
  if (!element) {
    element = { kind: 'field', name, id: `f:${name}` };
    if (fieldCache.size < 10_000) fieldCache.set(name, element);
  }
  return element;
}

/** `k:{…}` from key fields in any order (KeyByFields sorts them by name, stably). */
export function keyElement(fields: readonly KeyField[]): KeyElement {
  const sorted =
    fields.length === 1 ? fields : [...fields].sort((a, b) => compareGoStrings(a.name, b.name));
  const body = sorted.map((f) => `${goJson(f.name)}:${goJson(f.value)}`).join(',');
  return { kind: 'key', fields: sorted, id: `k:{${body}}` };
}

/** `v:<json>`. */
export function valueElement(value: JsonValue): ValueElement {
  return { kind: 'value', value, id: `v:${goJson(value)}` };
}

/** `i:<n>`. */
export function indexElement(index: number): IndexElement {
  return { kind: 'index', index, id: `i:${index}` };
}

const KIND_RANK: Readonly<Record<PathElement['kind'], number>> = {
  field: 0,
  key: 1,
  value: 2,
  index: 3,
};

/**
 * The order of path elements (`PathElement.Compare`): field names, then keys, then values, then
 * indexes; within a kind, names compare as Go strings (UTF-8 bytes), keys field by field, values
 * by `value.Compare`. FieldsV1 objects list their keys in this order.
 */
export function comparePathElements(a: PathElement, b: PathElement): number {
  if (a.kind !== b.kind) return KIND_RANK[a.kind] - KIND_RANK[b.kind];
  switch (a.kind) {
    case 'field':
      return compareGoStrings(a.name, (b as FieldElement).name);
    case 'key':
      return compareKeyFields(a.fields, (b as KeyElement).fields);
    case 'value':
      return compareJsonValues(a.value, (b as ValueElement).value);
    case 'index':
      return Math.sign(a.index - (b as IndexElement).index);
  }
}

function compareKeyFields(a: readonly KeyField[], b: readonly KeyField[]): number {
  for (let i = 0; ; i++) {
    if (i >= a.length && i >= b.length) return 0;
    if (i >= a.length) return -1;
    if (i >= b.length) return 1;
    const byName = compareGoStrings(a[i]!.name, b[i]!.name);
    if (byName !== 0) return byName;
    const byValue = compareJsonValues(a[i]!.value, b[i]!.value);
    if (byValue !== 0) return byValue;
  }
}

/**
 * Go's `strings.Compare`: by UTF-8 bytes, which is by code point. JavaScript compares UTF-16
 * units, which puts astral characters (surrogate pairs) before U+E000–U+FFFF; this does not.
 */
export function compareGoStrings(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const rx = x >= 0xd800 && x <= 0xdfff ? x + 0x10000 : x;
    const ry = y >= 0xd800 && y <= 0xdfff ? y + 0x10000 : y;
    return rx < ry ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function typeRank(value: JsonValue): number {
  if (typeof value === 'number') return 0;
  if (typeof value === 'string') return 1;
  if (typeof value === 'boolean') return 2;
  if (Array.isArray(value)) return 3;
  if (value === null) return 5;
  return 4;
}

/**
 * `value.Compare`: a total order over JSON values: numbers (ints and floats numerically), then
 * strings, booleans, lists, maps, null.
 */
export function compareJsonValues(a: JsonValue, b: JsonValue): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (typeof a === 'number') return Math.sign(a - (b as number));
  if (typeof a === 'string') return compareGoStrings(a, b as string);
  if (typeof a === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (a === null) return 0;
  if (Array.isArray(a)) {
    const bl = b as JsonValue[];
    for (let i = 0; ; i++) {
      if (i >= a.length && i >= bl.length) return 0;
      if (i >= a.length) return -1;
      if (i >= bl.length) return 1;
      const c = compareJsonValues(a[i]!, bl[i]!);
      if (c !== 0) return c;
    }
  }
  return compareMaps(a, b as { [key: string]: JsonValue });
}

/** `value.MapCompare`: zips both maps in lexical key order. */
function compareMaps(a: { [key: string]: JsonValue }, b: { [key: string]: JsonValue }): number {
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  if (ak.length === 0 && bk.length === 0) return 0;
  const keys = [...new Set([...ak, ...bk])].sort(compareGoStrings);
  let i = 0;
  for (const key of keys) {
    const inA = Object.hasOwn(a, key);
    const inB = Object.hasOwn(b, key);
    let c: number;
    if (i === ak.length) c = -1;
    else if (i === bk.length) c = 1;
    else if (!inA) c = 1;
    else if (!inB) c = -1;
    else c = compareJsonValues(a[key]!, b[key]!);
    i++;
    if (c !== 0) return c;
  }
  return 0;
}

/** Whether two path elements are the same element. */
export function samePathElement(a: PathElement, b: PathElement): boolean {
  return a.id === b.id;
}

/** The FieldsV1 key of an element (`SerializePathElement`). */
export function serializePathElement(element: PathElement): string {
  return element.id;
}

/**
 * Parses a FieldsV1 key (`DeserializePathElement`). Returns undefined for a well-formed key of a
 * kind this version does not know (upstream skips those), throws for malformed keys.
 */
export function parsePathElement(text: string): PathElement | undefined {
  if (text.length < 2) throw new PathElementError('key must be 2 characters long:');
  if (text[1] !== ':') throw new PathElementError(`missing colon: ${text}`);
  const body = text.slice(2);
  switch (text[0]) {
    case 'f':
      return fieldElement(body);
    case 'v':
      return valueElement(parseJson(body));
    case 'k': {
      const parsed = parseJson(body);
      if (parsed === null) return keyElement([]);
      if (typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new PathElementError(`expected object in key: ${text}`);
      }
      return keyElement(Object.entries(parsed).map(([name, value]) => ({ name, value })));
    }
    case 'i': {
      if (!/^[+-]?\d+$/.test(body)) {
        throw new PathElementError(`strconv.Atoi: parsing ${goQuote(body)}: invalid syntax`);
      }
      return indexElement(Number(body));
    }
    default:
      return undefined;
  }
}

function parseJson(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new PathElementError(error instanceof Error ? error.message : String(error));
  }
}

/** `PathElement.String`: `.name`, `[k=v,…]`, `[=v]`, `[3]`. */
export function pathElementString(element: PathElement): string {
  switch (element.kind) {
    case 'field':
      return `.${element.name}`;
    case 'key':
      return `[${element.fields.map((f) => `${f.name}=${valueString(f.value)}`).join(',')}]`;
    case 'value':
      return `[=${valueString(element.value)}]`;
    case 'index':
      return `[${element.index}]`;
  }
}

/** `Path.String`: the form of conflict messages, e.g. `.spec.ports[containerPort=80,protocol="TCP"]`. */
export function pathString(path: Path): string {
  return path.map(pathElementString).join('');
}

/** `value.ToString`: strings Go-quoted (`%q`), numbers and booleans as `%v`, lists and maps spelled out. */
export function valueString(value: JsonValue): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(valueString).join(',')}]`;
  return Object.keys(value)
    .map((k) => `${k}=${valueString(value[k]!)}`)
    .join('');
}

/** Go's `strconv.Quote` for the characters Kubernetes names and values use. */
export function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (code === 0x07) out += '\\a';
    else if (code === 0x08) out += '\\b';
    else if (code === 0x0c) out += '\\f';
    else if (code === 0x0a) out += '\\n';
    else if (code === 0x0d) out += '\\r';
    else if (code === 0x09) out += '\\t';
    else if (code === 0x0b) out += '\\v';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/**
 * JSON as Go's `encoding/json` writes it: no spaces, object keys sorted, `<`, `>`, `&`, U+2028 and
 * U+2029 escaped. Used for key and set-item elements, manager identities and the last-applied
 * annotation.
 */
export function goJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goJsonString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort(compareGoStrings);
    return `{${keys.map((k) => `${goJsonString(k)}:${goJson(record[k])}`).join(',')}}`;
  }
  return 'null';
}

const JSON_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f<>&\u2028\u2029]/g;

// eslint-disable-next-line no-control-regex
const HAS_ESCAPE = /["\\\u0000-\u001f<>&\u2028\u2029]/;

function goJsonString(text: string): string {
  if (!HAS_ESCAPE.test(text)) return `"${text}"`;
  return `"${text.replace(
    NEEDS_ESCAPE,
    (ch) => JSON_ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )}"`;
}

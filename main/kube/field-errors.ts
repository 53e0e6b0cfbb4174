/**
 * Validation errors in the shape of k8s.io/apimachinery/pkg/util/validation/field: each names the
 * field path at fault and renders exactly as `field.Error.Error()` does, because kubectl prints
 * these strings to the learner.
 */

export type FieldErrorType =
  | 'FieldValueNotFound'
  | 'FieldValueRequired'
  | 'FieldValueDuplicate'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'InternalError'
  | 'FieldValueTypeInvalid';

export interface FieldError {
  readonly type: FieldErrorType;
  /** The path, e.g. `spec.template.spec.containers[0].image`. */
  readonly field: string;
  /** The offending value, already rendered as Go's `%#v`-style text where it is shown. */
  readonly badValue?: GoValue;
  readonly detail: string;
}

/**
 * A value as Go's error text prints it: strings quoted, numbers and booleans bare, and for
 * structs the literal text upstream prints (e.g. `intstr.IntOrString{Type:0, IntVal:1, StrVal:""}`).
 */
export type GoValue =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'raw'; readonly text: string }
  | { readonly kind: 'omit' };

export const go = {
  string: (value: string): GoValue => ({ kind: 'string', value }),
  number: (value: number): GoValue => ({ kind: 'number', value }),
  bool: (value: boolean): GoValue => ({ kind: 'bool', value }),
  raw: (text: string): GoValue => ({ kind: 'raw', text }),
  /** Renders a JSON value the way Go's `%#v` would for the common shapes. */
  of(value: unknown): GoValue {
    if (typeof value === 'string') return go.string(value);
    if (typeof value === 'number') return go.number(value);
    if (typeof value === 'boolean') return go.bool(value);
    return go.raw(goLiteral(value));
  },
};

/** `map[string]string{"a":"b"}` and friends, as `%#v` prints them. */
export function goStringMap(map: Readonly<Record<string, string>> | undefined): string {
  if (!map) return 'map[string]string(nil)';
  const entries = Object.keys(map)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${JSON.stringify(map[key])}`);
  return `map[string]string{${entries.join(', ')}}`;
}

function goLiteral(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[]interface {}{${value.map(goLiteral).join(', ')}}`;
  if (typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${goLiteral((value as Record<string, unknown>)[k])}`);
    return `map[string]interface {}{${entries.join(', ')}}`;
  }
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function renderValue(value: GoValue): string {
  switch (value.kind) {
    case 'string':
      return JSON.stringify(value.value);
    case 'number':
      return String(value.value);
    case 'bool':
      return String(value.value);
    case 'raw':
      return value.text;
    case 'omit':
      return '';
  }
}

const TYPE_TEXT: Record<FieldErrorType, string> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  InternalError: 'Internal error',
  FieldValueTypeInvalid: 'Invalid value',
};

/** The text after `field: ` — `ErrorBody()` upstream. */
export function errorBody(error: FieldError): string {
  const type = TYPE_TEXT[error.type];
  let body: string;
  const hasValue = error.badValue !== undefined && error.badValue.kind !== 'omit';
  switch (error.type) {
    case 'FieldValueRequired':
    case 'FieldValueForbidden':
    case 'FieldValueTooLong':
    case 'InternalError':
      body = type;
      break;
    default:
      body = hasValue ? `${type}: ${renderValue(error.badValue!)}` : type;
  }
  if (error.detail) body += `: ${error.detail}`;
  return body;
}

/** `field: body`, as `field.Error.Error()` renders it. */
export function renderFieldError(error: FieldError): string {
  return error.field ? `${error.field}: ${errorBody(error)}` : errorBody(error);
}

export const fieldError = {
  required: (field: string, detail = ''): FieldError => ({
    type: 'FieldValueRequired',
    field,
    detail,
  }),
  invalid: (field: string, value: GoValue, detail: string): FieldError => ({
    type: 'FieldValueInvalid',
    field,
    badValue: value,
    detail,
  }),
  notSupported: (field: string, value: GoValue, supported: readonly string[]): FieldError => ({
    type: 'FieldValueNotSupported',
    field,
    badValue: value,
    detail: supported.length
      ? `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`
      : '',
  }),
  forbidden: (field: string, detail: string): FieldError => ({
    type: 'FieldValueForbidden',
    field,
    detail,
  }),
  duplicate: (field: string, value: GoValue): FieldError => ({
    type: 'FieldValueDuplicate',
    field,
    badValue: value,
    detail: '',
  }),
  /** 1.30 wording (1.33 changed it to "may not be more than N bytes"). */
  tooLong: (field: string, max: number): FieldError => ({
    type: 'FieldValueTooLong',
    field,
    detail: `must have at most ${max} bytes`,
  }),
  notFound: (field: string, value: GoValue): FieldError => ({
    type: 'FieldValueNotFound',
    field,
    badValue: value,
    detail: '',
  }),
};

/** Builds field paths the way `field.Path` prints them: `a.b[0].c`, `m[key]`. */
export class FieldPath {
  private constructor(private readonly text: string) {}

  static root(name: string): FieldPath {
    return new FieldPath(name);
  }

  child(name: string): FieldPath {
    return new FieldPath(this.text ? `${this.text}.${name}` : name);
  }

  index(i: number): FieldPath {
    return new FieldPath(`${this.text}[${i}]`);
  }

  key(k: string): FieldPath {
    return new FieldPath(`${this.text}[${k}]`);
  }

  toString(): string {
    return this.text;
  }
}

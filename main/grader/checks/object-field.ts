/**
 * objectField: one field of one object, read with the JSONPath a learner would give
 * `kubectl get -o jsonpath=…` (main/kube/jsonpath.ts, missing keys allowed as kubectl allows
 * them), compared as kubectl prints it: `equals: 3` and `equals: "3"` both match a field kubectl
 * prints as `3`, objects and lists compare deeply with the same rule for their scalars.
 */
import {
  findJsonPathResults,
  jsonPathText,
  JsonPathError,
  parseJsonPath,
  printJsonPathResults,
  relaxedJsonPathExpression,
} from '../../kube/jsonpath';
import { isPlainObject } from '../../kube/objects';
import type { ObjectFieldCheck } from '../spec';
import {
  errored,
  failed,
  findObject,
  message,
  notFound,
  objectName,
  passed,
  wrongKindHint,
  type CheckContext,
  type CheckOutcome,
} from './common';

export interface FieldValue {
  /** Every value the path found, in order. */
  readonly values: readonly unknown[];
  /** What `kubectl get -o jsonpath=…` prints. */
  readonly text: string;
}

/**
 * Reads a path from an object as `kubectl get -o jsonpath=PATH` does (a bare `.a.b` is taken as
 * `{.a.b}`, as custom-columns take it). An index past the end of a list reads as nothing rather
 * than kubectl's error, so `exists: false` works on `{.spec.tolerations[0]}`. Throws
 * JsonPathError for a path that does not parse or cannot be evaluated.
 */
export function readField(path: string, object: unknown): FieldValue {
  const template = parseJsonPath(path.includes('{') ? path : relaxedJsonPathExpression(path));
  try {
    const results = findJsonPathResults(template, object, { allowMissingKeys: true });
    return { values: results.flat(), text: printJsonPathResults(results) };
  } catch (error) {
    if (error instanceof JsonPathError && error.code === 'index') return { values: [], text: '' };
    throw error;
  }
}

/** Deep equality where scalars compare as kubectl prints them (3 equals "3"). */
export function kubectlEqual(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((item, i) => kubectlEqual(actual[i], item))
    );
  }
  if (isPlainObject(expected)) {
    if (!isPlainObject(actual)) return false;
    const keys = (o: Record<string, unknown>): string[] =>
      Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort();
    const ak = keys(actual);
    const ek = keys(expected);
    return (
      ak.length === ek.length &&
      ek.every((k, i) => ak[i] === k && kubectlEqual(actual[k], expected[k]))
    );
  }
  if (expected === null || expected === undefined) return actual === null || actual === undefined;
  if (actual === null || actual === undefined || typeof actual === 'object') return false;
  return jsonPathText(actual) === jsonPathText(expected);
}

/** Whether what a path found equals the expected value. */
export function fieldEquals(found: FieldValue, expected: unknown): boolean {
  if (expected === null) return found.values.every((v) => v === null);
  if (typeof expected !== 'object') return found.text === jsonPathText(expected);
  // A list is what a list field holds, or every value a wildcard found (one value or many).
  const single = found.values.length === 1 ? found.values[0] : undefined;
  if (Array.isArray(expected) && !Array.isArray(single)) {
    return kubectlEqual(found.values, expected);
  }
  return kubectlEqual(found.values.length === 1 ? single : found.values, expected);
}

/** A value for a sentence: `"nginx:1.27"`, cut when long. */
export function quote(text: string): string {
  return `"${text.length > 120 ? `${text.slice(0, 117)}...` : text}"`;
}

export function checkObjectField(check: ObjectFieldCheck, context: CheckContext): CheckOutcome {
  const { target } = check;
  const object = findObject(
    context.snapshot,
    target.apiVersion,
    target.kind,
    target.namespace,
    target.name,
  );
  if (!object) {
    const missing = notFound(target.apiVersion, target.kind, target.name, target.namespace);
    const hint =
      target.namespace !== undefined
        ? wrongKindHint(context.snapshot, target.kind, target.namespace, target.name)
        : undefined;
    return hint ? failed(hint, { details: { notFound: missing } }) : failed(missing);
  }
  let found: FieldValue;
  try {
    found = readField(check.path, object);
  } catch (error) {
    return errored(`the path ${check.path} cannot be read: ${message(error)}`);
  }
  let pattern: RegExp | undefined;
  if (check.matches !== undefined) {
    try {
      pattern = new RegExp(check.matches);
    } catch (error) {
      return errored(`the pattern /${check.matches}/ is not valid: ${message(error)}`);
    }
  }
  const set = found.values.some((v) => v !== null && v !== undefined);
  const shown = set ? `is ${quote(found.text)}` : 'is not set';
  const subject = `${objectName(target.apiVersion, target.kind, target.name)} ${check.path}`;
  const details = { value: set ? found.text : null };

  const issues: string[] = [];
  const exists =
    check.exists ?? (check.equals === undefined && pattern === undefined ? true : undefined);
  if (exists === true && !set) issues.push('the lab expects it to be set');
  if (exists === false && set) issues.push('the lab expects it not to be set');
  if (check.equals !== undefined && !fieldEquals(found, check.equals)) {
    const expected = check.equals === null ? 'it not to be set' : quote(jsonPathText(check.equals));
    issues.push(`the lab expects ${expected}`);
  }
  if (pattern && !(set && pattern.test(found.text))) {
    issues.push(`the lab expects it to match /${check.matches ?? ''}/`);
  }
  if (issues.length > 0) return failed(`${subject} ${shown}: ${issues.join('; ')}`, { details });
  return passed(`${subject} ${shown}`, { details });
}

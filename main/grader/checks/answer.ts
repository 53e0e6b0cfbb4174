/**
 * answer: the learner answers a question about the cluster (`kubelab grade ID --answer …`) and
 * the answer must equal what a query finds — how many objects, which names (any order, separated
 * by commas or spaces, case-insensitive, `pod/` prefixes as `kubectl get -o name` prints them
 * allowed), or which distinct values a field takes.
 */
import type { KubeObject } from '../../kube/objects';
import { jsonPathText } from '../../kube/jsonpath';
import type { AnswerCheck } from '../spec';
import {
  errored,
  failed,
  kubectlGet,
  message,
  passed,
  queryObjects,
  type CheckContext,
  type CheckOutcome,
} from './common';
import { quote, readField } from './object-field';

/** The words of an answer: split on commas and white space. */
function words(answer: string): string[] {
  return answer.split(/[\s,]+/).filter((w) => w !== '');
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

export function checkAnswer(check: AnswerCheck, context: CheckContext): CheckOutcome {
  const given = context.answer?.trim();
  if (given === undefined || given === '') {
    return errored(`this check needs an answer: kubelab grade ${context.lab ?? 'ID'} --answer …`);
  }
  let found: KubeObject[];
  try {
    found = queryObjects(context.snapshot, check.query);
  } catch (error) {
    return errored(`the query ${kubectlGet(check.query)} cannot be run: ${message(error)}`);
  }
  let expected: string[];
  let right: boolean;
  const select = check.select;
  if (select === 'count') {
    expected = [String(found.length)];
    right = /^\d+$/.test(given) && Number(given) === found.length;
  } else if (select === 'names') {
    expected = found.map((o) => (o.metadata.name ?? '').toLowerCase());
    const names = words(given).map((w) => w.slice(w.lastIndexOf('/') + 1).toLowerCase());
    right = sameSet(names, expected);
  } else {
    const values = new Set<string>();
    try {
      for (const object of found) {
        for (const value of readField(select.field, object).values) {
          const text = jsonPathText(value);
          if (value !== null && text !== '') values.add(text);
        }
      }
    } catch (error) {
      return errored(`the path ${select.field} cannot be read: ${message(error)}`);
    }
    expected = [...values].sort();
    right = sameSet(words(given), expected);
  }
  const details = { given, expected };
  return right
    ? passed(`${quote(given)} is the right answer to: ${check.question}`, { details })
    : failed(`${quote(given)} is not the right answer to: ${check.question}`, { details });
}

/**
 * resourceAbsent: nothing matches the query — the learner deleted what the lab asked to delete.
 * An object that is being deleted is still there (a finalizer may hold it); convergence.ts waits
 * for it to go before grading.
 */
import type { ResourceAbsentCheck } from '../spec';
import {
  errored,
  failed,
  kubectlGet,
  listForSentence,
  message,
  nameOf,
  passed,
  plural,
  queryObjects,
  type CheckContext,
  type CheckOutcome,
} from './common';
import type { KubeObject } from '../../kube/objects';

export function checkResourceAbsent(
  check: ResourceAbsentCheck,
  context: CheckContext,
): CheckOutcome {
  const command = kubectlGet(check.query);
  let found: KubeObject[];
  try {
    found = queryObjects(context.snapshot, check.query);
  } catch (error) {
    return errored(`the query ${command} cannot be run: ${message(error)}`);
  }
  if (found.length === 0) return passed(`nothing matches ${command}`);
  const names = found.map(
    (o) => `${nameOf(o)}${o.metadata.deletionTimestamp !== undefined ? ' (being deleted)' : ''}`,
  );
  return failed(
    `${plural(found.length, 'object')} still ${found.length === 1 ? 'matches' : 'match'} ${command}: ${listForSentence(names)}`,
    { details: { found: found.map(nameOf) } },
  );
}

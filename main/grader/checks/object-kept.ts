/**
 * objectKept: the object was changed in place, not deleted and created again — its uid is the one
 * recorded when the lab started (a uid is never reused, so `kubectl delete` + `kubectl apply`
 * gives a new one even with the same name and spec).
 */
import type { ObjectKeptCheck, ObjectRef } from '../spec';
import {
  errored,
  failed,
  findObject,
  notFound,
  objectName,
  passed,
  type CheckContext,
  type CheckOutcome,
} from './common';

/** The key of a recorded uid: `apiVersion/Kind/namespace/name` (namespace empty when cluster-scoped). */
export function recordKey(ref: ObjectRef): string {
  return `${ref.apiVersion}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

export function checkObjectKept(check: ObjectKeptCheck, context: CheckContext): CheckOutcome {
  const { target } = check;
  const display = objectName(target.apiVersion, target.kind, target.name);
  const recorded = context.recorded[recordKey(target)];
  if (recorded === undefined) {
    return errored(`no uid was recorded for ${display} when the lab started`);
  }
  const object = findObject(
    context.snapshot,
    target.apiVersion,
    target.kind,
    target.namespace,
    target.name,
  );
  if (!object) {
    return failed(
      `${display} was deleted: ${notFound(target.apiVersion, target.kind, target.name, target.namespace)}`,
      { details: { recordedUid: recorded } },
    );
  }
  const uid = object.metadata.uid ?? '';
  if (uid !== recorded) {
    return failed(
      `${display} was deleted and created again (its uid changed): the lab asks to change it in place`,
      { details: { recordedUid: recorded, uid } },
    );
  }
  return passed(`${display} is the same object as when the lab started`, { details: { uid } });
}

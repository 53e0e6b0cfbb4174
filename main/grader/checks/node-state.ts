/**
 * nodeState: a node is as the lab wants it — Ready or not (its Ready condition), schedulable or
 * cordoned (`spec.unschedulable`, what `kubectl cordon` sets), with or without labels and taints
 * (`kubectl label`, `kubectl taint`). A taint matches on key and effect, and on value when the
 * lab gives one.
 */
import type { NodeStateCheck } from '../spec';
import {
  failed,
  findObject,
  formatTaint,
  isNodeReady,
  list,
  notFound,
  obj,
  objectName,
  passed,
  str,
  type CheckContext,
  type CheckOutcome,
} from './common';

export function checkNodeState(check: NodeStateCheck, context: CheckContext): CheckOutcome {
  const display = objectName('v1', 'Node', check.node);
  const node = findObject(context.snapshot, 'v1', 'Node', undefined, check.node);
  if (!node) return failed(notFound('v1', 'Node', check.node));
  const ready = isNodeReady(node);
  const schedulable = obj(node.spec).unschedulable !== true;
  const labels = node.metadata.labels ?? {};
  const taints = list(obj(node.spec).taints);

  const good: string[] = [];
  const issues: string[] = [];
  const expect = (ok: boolean, is: string, wanted: string): void => {
    if (ok) good.push(is);
    else issues.push(`it is ${is}, the lab wants ${wanted}`);
  };
  if (check.ready !== undefined) {
    const is = ready ? 'Ready' : 'NotReady';
    expect(ready === check.ready, is, check.ready ? 'Ready' : 'NotReady');
  }
  if (check.schedulable !== undefined) {
    const is = schedulable ? 'schedulable' : 'cordoned';
    expect(schedulable === check.schedulable, is, check.schedulable ? 'schedulable' : 'cordoned');
  }
  for (const [key, wanted] of Object.entries(check.labels ?? {})) {
    const has = Object.hasOwn(labels, key);
    const is = has ? `labelled ${key}=${labels[key] ?? ''}` : `without label ${key}`;
    if (wanted === null) expect(!has, is, `no label ${key}`);
    else expect(has && labels[key] === wanted, is, `label ${key}=${wanted}`);
  }
  for (const wanted of check.taints ?? []) {
    const text = formatTaint(wanted);
    const has = taints.some(
      (t) =>
        str(t.key) === wanted.key &&
        str(t.effect) === wanted.effect &&
        (wanted.value === undefined || str(t.value) === wanted.value),
    );
    const present = wanted.present !== false;
    if (has === present) good.push(has ? `tainted ${text}` : `without taint ${text}`);
    else if (present) issues.push(`it has no taint ${text}, the lab wants it`);
    else issues.push(`it still has taint ${text}, the lab wants it removed`);
  }
  const details = {
    ready,
    schedulable,
    taints: taints.map((t) => formatTaint(t)),
  };
  if (issues.length > 0) return failed(`${display}: ${issues.join('; ')}`, { details });
  return passed(`${display} is ${good.join(', ') || 'there'}`, { details });
}

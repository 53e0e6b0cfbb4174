/**
 * podsSpread: how the Ready pods a label selector picks are spread over nodes — how many, on how
 * many distinct nodes, at most how many on one node — and how many wait Pending because the
 * scheduler found no node for them (PodScheduled=False, reason Unschedulable: the mark of a
 * required anti-affinity or spread constraint that cannot be met). Pods being deleted or finished
 * do not count, as `kubectl get pods` readers would not count them.
 */
import { parseSelector } from '../../kube/labels';
import { isPodReady, isPodTerminal, isPodTerminating } from '../../kube/pods';
import type { PodsSpreadCheck } from '../spec';
import {
  errored,
  failed,
  isUnschedulable,
  message,
  objectsIn,
  passed,
  plural,
  podNodeName,
  type CheckContext,
  type CheckOutcome,
} from './common';

export function checkPodsSpread(check: PodsSpreadCheck, context: CheckContext): CheckOutcome {
  let selector;
  try {
    selector = parseSelector(check.labelSelector);
  } catch (error) {
    return errored(`the label selector "${check.labelSelector}" is not valid: ${message(error)}`);
  }
  const pods = objectsIn(context.snapshot, 'v1', 'Pod', check.namespace).filter(
    (pod) => selector.matches(pod.metadata.labels) && !isPodTerminal(pod) && !isPodTerminating(pod),
  );
  const ready = pods.filter(isPodReady);
  const perNode = new Map<string, number>();
  for (const pod of ready) {
    const node = podNodeName(pod);
    perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  const nodes = [...perNode.keys()].sort();
  const maxPerNode = Math.max(0, ...perNode.values());
  const busiest = nodes.find((n) => perNode.get(n) === maxPerNode);
  const pending = pods.filter(isUnschedulable).length;
  const details = {
    ready: ready.length,
    nodes: Object.fromEntries(nodes.map((n) => [n, perNode.get(n)!])),
    maxPerNode,
    pending,
  };

  const what = `${plural(ready.length, 'Ready pod')} ${ready.length === 1 ? 'matches' : 'match'} ${
    check.labelSelector
  } in namespace ${check.namespace}`;
  const issues: string[] = [];
  if (check.count !== undefined && ready.length !== check.count) {
    issues.push(`the lab wants ${check.count}`);
  }
  if (check.minNodes !== undefined && nodes.length < check.minNodes) {
    issues.push(
      `they run on ${plural(nodes.length, 'node')}, the lab wants at least ${check.minNodes}`,
    );
  }
  if (check.maxPerNode !== undefined && maxPerNode > check.maxPerNode) {
    issues.push(
      `${busiest ?? ''} runs ${maxPerNode} of them, the lab allows ${check.maxPerNode} per node`,
    );
  }
  if (check.pendingAllowed !== undefined && pending !== check.pendingAllowed) {
    issues.push(
      `${plural(pending, 'pod is', 'pods are')} Pending (unschedulable), the lab wants ${
        check.pendingAllowed
      }`,
    );
  }
  if (issues.length > 0) return failed(`${what}: ${issues.join('; ')}`, { details });
  const spread =
    ready.length === 0
      ? ''
      : ` on ${plural(nodes.length, 'node')} (at most ${maxPerNode} per node)`;
  const waiting = check.pendingAllowed !== undefined ? `, and ${pending} Pending` : '';
  return passed(`${what}${spread}${waiting}`, { details });
}

/**
 * deploymentReady: the Deployment has rolled out completely — what `kubectl rollout status`
 * waits for (`DeploymentStatusViewer`: the controller observed the latest generation, and
 * updated = replicas with no old replicas left and all of them available) plus Ready, read from
 * the status the controller writes, as `kubectl get deployment` shows it — and, when asked, its
 * updated pods run the image the lab wants.
 */
import type { KubeObject } from '../../kube/objects';
import { isPodTerminal, isPodTerminating } from '../../kube/pods';
import type { DeploymentReadyCheck } from '../spec';
import {
  containerOf,
  failed,
  findObject,
  listForSentence,
  notFound,
  num,
  obj,
  objectsIn,
  objectName,
  passed,
  plural,
  str,
  wrongKindHint,
  type CheckContext,
  type CheckOutcome,
} from './common';
import { controlledBy, newReplicaSet } from './workloads';

/** The image problems of the template and of the new ReplicaSet's pods. */
function imageIssues(
  check: DeploymentReadyCheck & { image: string },
  deployment: KubeObject,
  context: CheckContext,
): string[] {
  const { snapshot } = context;
  const podSpec = obj(obj(obj(deployment.spec).template).spec);
  const container = containerOf(podSpec, check.container);
  if (!container) {
    return [
      check.container === undefined
        ? 'its template has no container'
        : `its template has no container named ${check.container}`,
    ];
  }
  const image = str(container.image);
  if (image !== check.image) return [`its template runs ${image}, the lab wants ${check.image}`];
  const replicaSets = objectsIn(snapshot, 'apps/v1', 'ReplicaSet', check.namespace);
  const rs = newReplicaSet(deployment, replicaSets);
  if (!rs) return [];
  const containerName = str(container.name);
  const wrong: string[] = [];
  for (const pod of controlledBy(objectsIn(snapshot, 'v1', 'Pod', check.namespace), rs)) {
    if (isPodTerminal(pod) || isPodTerminating(pod)) continue;
    const running = containerOf(obj(pod.spec), containerName);
    const podImage = str(running?.image);
    if (podImage !== check.image) wrong.push(`pod/${pod.metadata.name ?? ''} (${podImage})`);
  }
  if (wrong.length === 0) return [];
  return [
    `${plural(wrong.length, 'updated pod runs', 'updated pods run')} another image: ${listForSentence(wrong)}`,
  ];
}

export function checkDeploymentReady(
  check: DeploymentReadyCheck,
  context: CheckContext,
): CheckOutcome {
  const { snapshot } = context;
  const display = objectName('apps/v1', 'Deployment', check.name);
  const deployment = findObject(snapshot, 'apps/v1', 'Deployment', check.namespace, check.name);
  if (!deployment) {
    const missing = notFound('apps/v1', 'Deployment', check.name, check.namespace);
    const hint = wrongKindHint(snapshot, 'Deployment', check.namespace, check.name);
    return hint ? failed(hint, { details: { notFound: missing } }) : failed(missing);
  }
  const spec = obj(deployment.spec);
  const status = obj(deployment.status);
  const replicas = num(spec.replicas, 1);
  const current = num(status.replicas);
  const ready = num(status.readyReplicas);
  const updated = num(status.updatedReplicas);
  const available = num(status.availableReplicas);
  const generation = num(deployment.metadata.generation);
  const observed = num(status.observedGeneration);
  const details: Record<string, unknown> = { replicas, ready, updated, available, current };

  const issues: string[] = [];
  if (check.replicas !== undefined && replicas !== check.replicas) {
    issues.push(`it asks for ${replicas} replicas, the lab wants ${check.replicas}`);
  }
  if (observed < generation) {
    issues.push('the Deployment controller has not caught up with its latest change yet');
  }
  if (
    ready !== replicas ||
    updated !== replicas ||
    available !== replicas ||
    current !== replicas
  ) {
    let counts = `READY ${ready}/${replicas}, UP-TO-DATE ${updated}, AVAILABLE ${available}`;
    if (current > updated) counts += `, ${current - updated} old replicas still there`;
    issues.push(counts);
  }
  if (check.image !== undefined) {
    issues.push(...imageIssues({ ...check, image: check.image }, deployment, context));
  }
  if (issues.length > 0) {
    return failed(`${display} is not ready: ${issues.join('; ')}`, { details });
  }
  const image = check.image !== undefined ? ` running ${check.image}` : '';
  return passed(
    `${display} has ${ready}/${replicas} replicas ready, up to date and available${image}`,
    { details },
  );
}

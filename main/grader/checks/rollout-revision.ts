/**
 * rolloutRevision: the workload's current revision, as `kubectl rollout history` numbers it — a
 * Deployment's is the `deployment.kubernetes.io/revision` of its current ReplicaSet, a DaemonSet's
 * the `revision` of the ControllerRevision holding its template. A rollback to an old template
 * renumbers that old revision to max+1 (research/daemonset-spec.md §3.6), so "undo" labs check
 * the number the undo produced.
 */
import type { KubeObject } from '../../kube/objects';
import type { RolloutRevisionCheck } from '../spec';
import {
  failed,
  findObject,
  list,
  notFound,
  obj,
  objectName,
  objectsIn,
  passed,
  str,
  wrongKindHint,
  type CheckContext,
  type CheckOutcome,
} from './common';
import {
  controllerRevisionNumber,
  currentControllerRevision,
  newReplicaSet,
  replicaSetRevision,
} from './workloads';

/** The images of a workload's template containers. */
function templateImages(workload: KubeObject): string[] {
  return list(obj(obj(obj(workload.spec).template).spec).containers).map((c) => str(c.image));
}

export function checkRolloutRevision(
  check: RolloutRevisionCheck,
  context: CheckContext,
): CheckOutcome {
  const { snapshot } = context;
  const display = objectName('apps/v1', check.kind, check.name);
  const workload = findObject(snapshot, 'apps/v1', check.kind, check.namespace, check.name);
  if (!workload) {
    const missing = notFound('apps/v1', check.kind, check.name, check.namespace);
    const hint = wrongKindHint(snapshot, check.kind, check.namespace, check.name);
    return hint ? failed(hint, { details: { notFound: missing } }) : failed(missing);
  }
  let revision: number | undefined;
  let holder: string;
  if (check.kind === 'Deployment') {
    const rs = newReplicaSet(
      workload,
      objectsIn(snapshot, 'apps/v1', 'ReplicaSet', check.namespace),
    );
    if (!rs) return failed(`no ReplicaSet of ${display} runs its current template yet`);
    revision = replicaSetRevision(rs);
    holder = objectName('apps/v1', 'ReplicaSet', rs.metadata.name ?? '');
  } else {
    const history = currentControllerRevision(
      workload,
      objectsIn(snapshot, 'apps/v1', 'ControllerRevision', check.namespace),
    );
    if (!history)
      return failed(`no ControllerRevision of ${display} holds its current template yet`);
    revision = controllerRevisionNumber(history);
    holder = objectName('apps/v1', 'ControllerRevision', history.metadata.name ?? '');
  }
  const images = templateImages(workload);
  const details = { revision: revision ?? null, revisionOf: holder, images };
  const issues: string[] = [];
  if (revision !== check.revision) issues.push(`the lab expects revision ${check.revision}`);
  if (check.image !== undefined && !images.includes(check.image)) {
    issues.push(
      `its template runs ${images.join(', ') || 'no image'}, the lab expects ${check.image}`,
    );
  }
  const at = `${display} is at revision ${revision ?? '(unknown)'}`;
  if (issues.length > 0) return failed(`${at}: ${issues.join('; ')}`, { details });
  const image = check.image !== undefined ? ` running ${check.image}` : '';
  return passed(`${at}${image}`, { details });
}

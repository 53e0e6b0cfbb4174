/**
 * The grader: a lab's checks over one cluster snapshot → a GradeReport. Pure and deterministic
 * (DESIGN.md: main/grader does no I/O; the caller reads the snapshot, waits for convergence.ts
 * to say the cluster settled, and passes what it recorded at lab start), and it never throws for
 * what it finds in a cluster: a check that cannot be evaluated is reported with status `error`.
 *
 * Node names are written by role in labs (`{{worker1}}`) so one lab grades the embedded cluster
 * and kind alike; every string of a check is resolved against `context.roles` before use.
 */
import { REPORT_SCHEMA_VERSION, type CheckResult, type GradeReport } from './report';
import { BASE_KINDS, type ClusterSnapshot } from './snapshot';
import type { AnyOfCheck, CheckSpec, LabCheck } from './spec';
import { checkAnswer } from './checks/answer';
import { message, type CheckContext, type CheckOutcome } from './checks/common';
import { checkDaemonSetPlacement } from './checks/daemonset-placement';
import { checkDeploymentReady } from './checks/deployment-ready';
import { checkNodeState } from './checks/node-state';
import { checkObjectField } from './checks/object-field';
import { checkObjectKept } from './checks/object-kept';
import { checkPodsSpread } from './checks/pods-spread';
import { checkResourceAbsent } from './checks/resource-absent';
import { checkRolloutRevision } from './checks/rollout-revision';
import { resolveRoles, RoleError } from './roles';

export { recordKey } from './checks/object-kept';
export { resolveRoles, RoleError } from './roles';

export interface GradeContext {
  /** Role → node name: `controlPlane: lab-control-plane`, `worker1: lab-worker`, … */
  readonly roles: Readonly<Record<string, string>>;
  /** uids recorded at lab start, keyed by recordKey(): `apiVersion/Kind/namespace/name`. */
  readonly recorded: Readonly<Record<string, string>>;
  /** The learner's answer, for `answer` checks (`kubelab grade ID --answer …`). */
  readonly answer?: string;
  /** The lab's id, copied into the report. */
  readonly lab?: string;
}

/** One check (roles resolved) → its outcome. */
function run(check: CheckSpec, context: CheckContext): CheckOutcome {
  switch (check.type) {
    case 'daemonSetPlacement':
      return checkDaemonSetPlacement(check, context);
    case 'deploymentReady':
      return checkDeploymentReady(check, context);
    case 'podsSpread':
      return checkPodsSpread(check, context);
    case 'objectField':
      return checkObjectField(check, context);
    case 'objectKept':
      return checkObjectKept(check, context);
    case 'rolloutRevision':
      return checkRolloutRevision(check, context);
    case 'resourceAbsent':
      return checkResourceAbsent(check, context);
    case 'nodeState':
      return checkNodeState(check, context);
    case 'answer':
      return checkAnswer(check, context);
  }
}

const weightOf = (check: LabCheck): number =>
  typeof check.weight === 'number' && Number.isFinite(check.weight) ? check.weight : 1;

/** The title as the learner reads it: roles resolved, or as written when one is unknown. */
function titleOf(check: LabCheck, roles: Readonly<Record<string, string>>): string {
  try {
    return resolveRoles(check.title, roles);
  } catch {
    return check.title;
  }
}

function result(
  check: LabCheck,
  outcome: CheckOutcome,
  roles: Readonly<Record<string, string>>,
  alternatives?: CheckResult[],
): CheckResult {
  return {
    id: check.id,
    title: titleOf(check, roles),
    type: check.type,
    weight: weightOf(check),
    status: outcome.status,
    summary: outcome.summary,
    ...(outcome.nodes ? { nodes: outcome.nodes } : {}),
    ...(outcome.details ? { details: outcome.details } : {}),
    ...(alternatives ? { alternatives } : {}),
  };
}

/** anyOf: passes when one alternative passes; an error only when every alternative is one. */
function gradeAnyOf(
  check: AnyOfCheck,
  context: GradeContext,
  checkContext: CheckContext,
): CheckResult {
  const alternatives = check.checks.map((alt) => gradeCheck(alt, context, checkContext));
  const winner = alternatives.find((a) => a.status === 'passed');
  if (winner) {
    return result(
      check,
      { status: 'passed', summary: winner.summary },
      context.roles,
      alternatives,
    );
  }
  const allErrors = alternatives.every((a) => a.status === 'error');
  const titles = alternatives.map((a) => a.title).join(' / ');
  return result(
    check,
    {
      status: allErrors ? 'error' : 'failed',
      summary: allErrors
        ? `none of the accepted ways could be checked (${titles})`
        : `none of the accepted ways is done (${titles})`,
    },
    context.roles,
    alternatives,
  );
}

function gradeCheck(
  check: LabCheck,
  context: GradeContext,
  checkContext: CheckContext,
): CheckResult {
  try {
    if (check.type === 'anyOf') return gradeAnyOf(check, context, checkContext);
    const resolved = resolveRoles(check, context.roles);
    return result(check, run(resolved, checkContext), context.roles);
  } catch (error) {
    const summary =
      error instanceof RoleError
        ? error.message
        : `this check could not be evaluated: ${message(error)}`;
    return result(check, { status: 'error', summary }, context.roles);
  }
}

/** Grades a lab's checks over a snapshot. Never throws for what it finds in the cluster. */
export function grade(
  checks: readonly LabCheck[],
  snapshot: ClusterSnapshot,
  context: GradeContext,
): GradeReport {
  const checkContext: CheckContext = {
    snapshot,
    recorded: context.recorded,
    ...(context.answer !== undefined ? { answer: context.answer } : {}),
    ...(context.lab !== undefined ? { lab: context.lab } : {}),
  };
  const results = checks.map((check) => gradeCheck(check, context, checkContext));
  const score = results.reduce((sum, r) => sum + (r.status === 'passed' ? r.weight : 0), 0);
  const maxScore = results.reduce((sum, r) => sum + r.weight, 0);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    ...(context.lab !== undefined ? { lab: context.lab } : {}),
    passed: results.every((r) => r.status === 'passed'),
    score,
    maxScore,
    checks: results,
  };
}

/**
 * The kinds a snapshot must hold for these checks: BASE_KINDS, plus the kinds their targets and
 * queries name (an objectField on a Service, a resourceAbsent of ConfigMaps).
 */
export function kindsToRead(
  checks: readonly LabCheck[],
): Array<{ apiVersion: string; kind: string }> {
  const kinds = new Map<string, { apiVersion: string; kind: string }>();
  const add = (apiVersion: string, kind: string): void => {
    kinds.set(`${apiVersion}/${kind}`, { apiVersion, kind });
  };
  for (const { apiVersion, kind } of BASE_KINDS) add(apiVersion, kind);
  const visit = (check: LabCheck): void => {
    switch (check.type) {
      case 'anyOf':
        check.checks.forEach(visit);
        break;
      case 'objectField':
      case 'objectKept':
        add(check.target.apiVersion, check.target.kind);
        break;
      case 'resourceAbsent':
      case 'answer':
        add(check.query.apiVersion, check.query.kind);
        break;
      default:
        break;
    }
  };
  checks.forEach(visit);
  return [...kinds.values()];
}

/**
 * The grader's verdict, as a versioned JSON document (the CLI prints it with --json, the app
 * shows it, goldens compare it). Change the shape only with a new `schemaVersion`.
 */
export const REPORT_SCHEMA_VERSION = 1;

export type CheckStatus = 'passed' | 'failed' | 'error';

/** Where a node stands for a DaemonSet (NodeShouldRunDaemonPod's two answers, as three states). */
export type NodePlacement = 'must-run' | 'may-keep' | 'must-not-run';

export interface PodFinding {
  readonly name: string;
  readonly ready: boolean;
  readonly phase: string;
  /** `DaemonSet/agent`, `ReplicaSet/web-6d8f…`, or undefined for an orphan. */
  readonly owner?: string;
  readonly terminating?: boolean;
  /**
   * Why a container is not running, as kubectl's STATUS column shows it (`ErrImagePull`,
   * `ImagePullBackOff`, `ContainerCreating`, `CrashLoopBackOff`…): the first container's waiting
   * or terminated reason, init containers first.
   */
  readonly reason?: string;
}

/** One node's line in a DaemonSet placement report. */
export interface NodeFinding {
  readonly node: string;
  readonly placement: NodePlacement;
  /** Why, in Kubernetes' terms: `taint node-role.kubernetes.io/control-plane:NoSchedule not tolerated`. */
  readonly reasons: readonly string[];
  readonly pods: readonly PodFinding[];
  readonly ok: boolean;
  /** What is wrong on this node, when not ok: `no pod`, `2 pods`, `pod not Ready`, `should not run here`. */
  readonly problem?: string;
}

export interface CheckResult {
  readonly id: string;
  readonly title: string;
  readonly type: string;
  readonly weight: number;
  readonly status: CheckStatus;
  /** One sentence: what was found. */
  readonly summary: string;
  /** Per-node findings (daemonSetPlacement). */
  readonly nodes?: readonly NodeFinding[];
  /** Other details a check reports (expected/actual values, counts). */
  readonly details?: Readonly<Record<string, unknown>>;
  /** For anyOf: the alternatives' results. */
  readonly alternatives?: readonly CheckResult[];
}

export interface GradeReport {
  readonly schemaVersion: typeof REPORT_SCHEMA_VERSION;
  readonly lab?: string;
  readonly passed: boolean;
  /** Sum of the weights of passed checks, and of all checks. */
  readonly score: number;
  readonly maxScore: number;
  readonly checks: readonly CheckResult[];
  /** How long grading waited for the cluster to settle, and on what it gave up, if it did. */
  readonly waited?: { readonly ms: number; readonly gaveUp?: string };
}

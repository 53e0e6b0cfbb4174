/**
 * What a lab asks the grader to check: a closed list of check types, as data (zod schemas, so
 * the lab loader validates them and the JSON Schema of lab.yaml is generated from the same
 * types). Node names are written by role (`{{controlPlane}}`, `{{worker1}}`…) and resolved before
 * checking, so a lab grades the embedded cluster and kind alike.
 */
import { z } from 'zod';

/** An object a check looks at. */
export const ObjectRef = z
  .object({
    apiVersion: z.string().describe('e.g. apps/v1, v1'),
    kind: z.string().describe('e.g. DaemonSet'),
    namespace: z.string().optional().describe('omitted for cluster-scoped objects'),
    name: z.string(),
  })
  .strict();
export type ObjectRef = z.infer<typeof ObjectRef>;

/** A set of objects, for queries. */
export const ObjectQuery = z
  .object({
    apiVersion: z.string(),
    kind: z.string(),
    namespace: z.string().optional().describe('omitted: every namespace'),
    labelSelector: z.string().optional().describe('e.g. app=web,tier!=db'),
    fieldSelector: z
      .string()
      .optional()
      .describe('metadata.name, metadata.namespace, spec.nodeName, status.phase'),
  })
  .strict();
export type ObjectQuery = z.infer<typeof ObjectQuery>;

const common = {
  id: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
    .describe('stable id, used in reports and goldens'),
  title: z.string().describe('what the learner is told is being checked'),
  weight: z.number().positive().default(1).describe('share of the score'),
};

export const DaemonSetPlacementCheck = z
  .object({
    ...common,
    type: z.literal('daemonSetPlacement'),
    namespace: z.string(),
    name: z.string(),
    /**
     * Pods kept on nodes the DaemonSet should no longer start pods on (a NoSchedule taint added
     * later, a NotReady node): allowed, as Kubernetes allows them (misscheduled), unless false.
     */
    allowMayKeep: z.boolean().default(true),
    /**
     * When the DaemonSet's own placement is part of the task (a nodeSelector, a toleration):
     * exactly these nodes, by role, must be must-run nodes.
     */
    mustRunOn: z
      .array(z.string())
      .optional()
      .describe('exactly these nodes must be must-run, e.g. [{{worker1}}, {{worker2}}]'),
  })
  .strict();

export const DeploymentReadyCheck = z
  .object({
    ...common,
    type: z.literal('deploymentReady'),
    namespace: z.string(),
    name: z.string(),
    replicas: z.number().int().nonnegative().optional(),
    image: z.string().optional().describe('every updated pod runs this image'),
    container: z.string().optional().describe('the container `image` refers to (default: first)'),
  })
  .strict();

export const PodsSpreadCheck = z
  .object({
    ...common,
    type: z.literal('podsSpread'),
    namespace: z.string(),
    labelSelector: z.string(),
    count: z.number().int().nonnegative().optional().describe('exactly this many Ready pods'),
    minNodes: z.number().int().positive().optional().describe('on at least this many nodes'),
    maxPerNode: z.number().int().positive().optional().describe('at most this many per node'),
    pendingAllowed: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe('exactly this many pods must be Pending (unschedulable)'),
  })
  .strict();

export const ObjectFieldCheck = z
  .object({
    ...common,
    type: z.literal('objectField'),
    target: ObjectRef,
    path: z.string().describe('a JSONPath as kubectl -o jsonpath takes it, e.g. {.spec.replicas}'),
    equals: z.unknown().optional(),
    matches: z.string().optional().describe('a regular expression the value (as text) matches'),
    exists: z.boolean().optional().describe('true: the field is set; false: it is absent'),
  })
  .strict();

export const ObjectKeptCheck = z
  .object({
    ...common,
    type: z.literal('objectKept'),
    target: ObjectRef,
  })
  .strict()
  .describe('the object still exists with the uid it had when the lab started');

export const RolloutRevisionCheck = z
  .object({
    ...common,
    type: z.literal('rolloutRevision'),
    namespace: z.string(),
    kind: z.enum(['Deployment', 'DaemonSet']),
    name: z.string(),
    revision: z.number().int().positive().describe('the current revision number'),
    image: z.string().optional().describe('and its template runs this image'),
  })
  .strict();

export const ResourceAbsentCheck = z
  .object({
    ...common,
    type: z.literal('resourceAbsent'),
    query: ObjectQuery,
  })
  .strict()
  .describe('no object matches');

export const NodeStateCheck = z
  .object({
    ...common,
    type: z.literal('nodeState'),
    node: z.string().describe('a node, by role: {{worker1}}'),
    ready: z.boolean().optional(),
    schedulable: z.boolean().optional().describe('false: cordoned'),
    labels: z.record(z.string(), z.string().nullable()).optional().describe('null: absent'),
    taints: z
      .array(
        z
          .object({
            key: z.string(),
            value: z.string().optional(),
            effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
            present: z.boolean().default(true),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();

export const AnswerCheck = z
  .object({
    ...common,
    type: z.literal('answer'),
    question: z.string(),
    query: ObjectQuery,
    select: z
      .union([
        z.literal('count'),
        z.literal('names'),
        z.object({ field: z.string().describe('a JSONPath, e.g. {.spec.nodeName}') }).strict(),
      ])
      .describe('count: how many; names: their names (any order); field: the distinct values'),
  })
  .strict()
  .describe("the learner's answer (kubelab grade ID --answer …) must equal the query's result");

/** One check, or alternatives of which any may pass (e.g. a toleration, or no taint at all). */
export const CheckSpec = z.discriminatedUnion('type', [
  DaemonSetPlacementCheck,
  DeploymentReadyCheck,
  PodsSpreadCheck,
  ObjectFieldCheck,
  ObjectKeptCheck,
  RolloutRevisionCheck,
  ResourceAbsentCheck,
  NodeStateCheck,
  AnswerCheck,
]);
export type CheckSpec = z.infer<typeof CheckSpec>;
export type CheckType = CheckSpec['type'];

export const AnyOfCheck = z
  .object({
    ...common,
    type: z.literal('anyOf'),
    checks: z.array(CheckSpec).min(2).describe('passes when any of these passes'),
  })
  .strict();

export const LabCheck = z.union([CheckSpec, AnyOfCheck]);
export type LabCheck = z.infer<typeof LabCheck>;

export type DaemonSetPlacementCheck = z.infer<typeof DaemonSetPlacementCheck>;
export type DeploymentReadyCheck = z.infer<typeof DeploymentReadyCheck>;
export type PodsSpreadCheck = z.infer<typeof PodsSpreadCheck>;
export type ObjectFieldCheck = z.infer<typeof ObjectFieldCheck>;
export type ObjectKeptCheck = z.infer<typeof ObjectKeptCheck>;
export type RolloutRevisionCheck = z.infer<typeof RolloutRevisionCheck>;
export type ResourceAbsentCheck = z.infer<typeof ResourceAbsentCheck>;
export type NodeStateCheck = z.infer<typeof NodeStateCheck>;
export type AnswerCheck = z.infer<typeof AnswerCheck>;
export type AnyOfCheck = z.infer<typeof AnyOfCheck>;

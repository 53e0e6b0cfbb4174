/**
 * The lab format (`labs/<id>/lab.yaml`) as zod schemas. Labs are data, never code (DESIGN.md
 * §2), so everything a lab may do is a closed, typed list: the operations that prepare the
 * cluster and make up the reference solution, and the grader's checks (main/grader/spec.ts,
 * imported so a check means the same thing to the loader and the grader). The JSON Schema that
 * editors use for lab.yaml (labs/lab.schema.json) is generated from these same schemas.
 *
 * Nodes are never named in a lab: they are written by role (`{{controlPlane}}`, `{{worker1}}`,
 * `{{worker2}}`…) and resolved at run time (see roles.ts), so one lab runs on the embedded
 * cluster, kind and any context whatever their node names.
 */
import { z } from 'zod';
import { LabCheck, ObjectQuery, ObjectRef } from '../grader/spec';
import { parseGoDuration } from '../kube/duration';
import { findByKind } from '../kube/resources';
import { isQualifiedName, isValidLabelValue } from '../kube/validation/names';
import type { KubeObject } from '../kube/objects';

/** A DNS label (RFC 1123): lab ids, lesson ids and tags appear in paths, URLs and CLI args. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const LabId = z
  .string()
  .max(63, 'must be no more than 63 characters')
  .regex(DNS_LABEL, "must be a DNS label: lower case letters, digits and '-' (e.g. taint-a-node)");

/** A role as a lab declares one (a map key in `cluster.nodes`, `nodeAdd.role`). */
export const ROLE_PATTERN = /^(controlPlane|worker[1-9][0-9]*)$/;
/** A node written by role inside any string: `{{worker2}}`. Global: for replace and matchAll. */
export const ROLE_PLACEHOLDER = /\{\{(controlPlane|worker[1-9][0-9]*)\}\}/g;

const ROLE_HELP = 'a node is written by role: {{controlPlane}}, {{worker1}}, {{worker2}}…';

/** A node, by role. Literal node names would tie the lab to one backend's naming. */
export const NodeByRole = z
  .string()
  .regex(/^\{\{(controlPlane|worker[1-9][0-9]*)\}\}$/, ROLE_HELP)
  .describe('a node, by role: {{controlPlane}}, {{worker1}} (the first worker), {{worker2}}…');

function goDuration(options: { min?: number; wholeSeconds?: boolean; max?: number }) {
  return z.string().superRefine((text, ctx) => {
    const parsed = parseGoDuration(text);
    if ('error' in parsed) {
      ctx.addIssue({ code: 'custom', message: `${parsed.error} (e.g. 40s, 5m, 1h30m)` });
      return;
    }
    if (options.min !== undefined && parsed.ms < options.min) {
      ctx.addIssue({ code: 'custom', message: `must be at least ${options.min / 1000}s` });
    } else if (options.max !== undefined && parsed.ms > options.max) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${options.max / 3_600_000}h` });
    } else if (options.wholeSeconds && parsed.ms % 1000 !== 0) {
      ctx.addIssue({ code: 'custom', message: 'must be whole seconds' });
    }
  });
}

/** A file beside lab.yaml. Relative to the lab's folder, which it may not leave (loader.ts). */
export const FileRef = z
  .object({
    file: z
      .string()
      .min(1)
      .describe("a path relative to the lab's folder, e.g. seed/agent.yaml (may not leave it)"),
  })
  .strict();
export type FileRef = z.infer<typeof FileRef>;

/** Manifest YAML, written inline (a block scalar) or kept in a file of the lab's folder. */
export const ManifestSource = z
  .union([z.string().describe('YAML text, one or more documents'), FileRef], {
    error: 'expected YAML text or {file: <path relative to the lab folder>}',
  })
  .describe('Kubernetes manifests: inline YAML text (use a | block) or {file: path}');
export type ManifestSource = z.infer<typeof ManifestSource>;

/** `key=value` (set) or `key-` (remove), as `kubectl label` takes them. */
export const LabelChange = z
  .string()
  .superRefine((text, ctx) => {
    const change = parseLabelChange(text);
    if ('error' in change) ctx.addIssue({ code: 'custom', message: change.error });
  })
  .describe('as kubectl label takes it: key=value to set, key- to remove');

/** `key[=value]:Effect` (add), or `key-` / `key:Effect-` (remove), as `kubectl taint` takes them. */
export const TaintChange = z
  .string()
  .superRefine((text, ctx) => {
    const change = parseTaintChange(text);
    if ('error' in change) ctx.addIssue({ code: 'custom', message: change.error });
  })
  .describe(
    'as kubectl taint takes it: key=value:Effect or key:Effect to add; key- or key:Effect- to remove',
  );

/** A taint a node starts with: the add form only. */
export const TaintSpecText = z
  .string()
  .superRefine((text, ctx) => {
    const change = parseTaintChange(text);
    if ('error' in change) ctx.addIssue({ code: 'custom', message: change.error });
    else if (change.remove) {
      ctx.addIssue({ code: 'custom', message: 'a taint to add is key=value:Effect or key:Effect' });
    }
  })
  .describe('key=value:Effect or key:Effect, e.g. gpu=true:NoSchedule');

/** Labels a node gets: checked as the API server would, so a lab cannot fail at setup. */
const Labels = z
  .record(
    z.string().superRefine((key, ctx) => {
      const problems = isQualifiedName(key);
      if (problems.length)
        ctx.addIssue({ code: 'custom', message: `invalid label key "${key}": ${problems[0]}` });
    }),
    z.string().superRefine((value, ctx) => {
      const problems = isValidLabelValue(value);
      if (problems.length)
        ctx.addIssue({ code: 'custom', message: `invalid label value "${value}": ${problems[0]}` });
    }),
  )
  .describe('labels, key: value');

const note = z
  .string()
  .optional()
  .describe('Markdown shown beside the command in the solution view: why this step');

const ApplyOperation = z
  .object({
    op: z.literal('apply'),
    manifest: ManifestSource,
    note,
  })
  .strict()
  .describe(
    'kubectl apply: create or update the objects of a manifest (several documents allowed)',
  );

/** A JSON patch (RFC 6902) operation, as kubectl patch --type=json takes them. */
const JsonPatchOperation = z
  .object({
    op: z.enum(['add', 'remove', 'replace', 'move', 'copy', 'test']),
    path: z.string(),
    value: z.unknown().optional(),
    from: z.string().optional(),
  })
  .strict();

const PatchOperation = z
  .object({
    op: z.literal('patch'),
    target: ObjectRef,
    type: z
      .enum(['strategic', 'merge', 'json'])
      .default('strategic')
      .describe('as kubectl patch --type: strategic (default), merge or json'),
    patch: z
      .union([z.record(z.string(), z.unknown()), z.array(JsonPatchOperation)], {
        error: 'expected a mapping (strategic or merge patch) or a list of JSON patch operations',
      })
      .describe('a mapping for strategic and merge patches, a list of operations for json'),
    note,
  })
  .strict()
  .superRefine((op, ctx) => {
    if ((op.type === 'json') !== Array.isArray(op.patch)) {
      ctx.addIssue({
        code: 'custom',
        path: ['patch'],
        message:
          op.type === 'json'
            ? 'a json patch is a list of operations ({op, path, value})'
            : `a ${op.type} patch is a mapping (use type: json for a list of operations)`,
      });
    }
  })
  .describe('kubectl patch');

const DeleteOperation = z
  .object({
    op: z.literal('delete'),
    target: ObjectRef.optional().describe('one object'),
    query: ObjectQuery.optional().describe('every object that matches'),
    cascade: z
      .enum(['background', 'foreground', 'orphan'])
      .optional()
      .describe('as kubectl delete --cascade (orphan: keep the pods of a DaemonSet or ReplicaSet)'),
    gracePeriodSeconds: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe('as kubectl delete --grace-period (0 adds --force)'),
    note,
  })
  .strict()
  .superRefine((op, ctx) => {
    if ((op.target === undefined) === (op.query === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of target or query' });
    }
  })
  .describe('kubectl delete: one object (target) or those a query matches');

const LabelOperation = z
  .object({
    op: z.literal('label'),
    node: NodeByRole.optional(),
    target: ObjectRef.optional().describe('an object other than a node'),
    labels: z.array(LabelChange).min(1),
    overwrite: z.boolean().optional().describe('as kubectl label --overwrite'),
    note,
  })
  .strict()
  .superRefine((op, ctx) => {
    if ((op.node === undefined) === (op.target === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of node or target' });
    }
  })
  .describe('kubectl label: set (key=value) or remove (key-) labels of a node or an object');

const TaintOperation = z
  .object({
    op: z.literal('taint'),
    node: NodeByRole,
    taints: z.array(TaintChange).min(1),
    overwrite: z.boolean().optional().describe('as kubectl taint --overwrite'),
    note,
  })
  .strict()
  .describe('kubectl taint: add (key=value:Effect) or remove (key-, key:Effect-) taints of a node');

const CordonOperation = z
  .object({ op: z.literal('cordon'), node: NodeByRole, note })
  .strict()
  .describe('kubectl cordon: mark a node unschedulable');

const UncordonOperation = z
  .object({ op: z.literal('uncordon'), node: NodeByRole, note })
  .strict()
  .describe('kubectl uncordon');

const NodeAddOperation = z
  .object({
    op: z.literal('nodeAdd'),
    role: z
      .string()
      .regex(/^worker[1-9][0-9]*$/, 'a new node is a worker role: worker3, worker4…')
      .describe('the role the new node gets (worker3 when the cluster has two workers)'),
    labels: Labels.optional(),
    taints: z.array(TaintSpecText).optional(),
    note,
  })
  .strict()
  .describe('a machine joins the cluster (kubelab node add; embedded and kind only)');

const NodeRemoveOperation = z
  .object({ op: z.literal('nodeRemove'), node: NodeByRole, note })
  .strict()
  .describe('a machine leaves the cluster (kubelab node remove; embedded and kind only)');

const NodeStopOperation = z
  .object({ op: z.literal('nodeStop'), node: NodeByRole, note })
  .strict()
  .describe("a node's kubelet stops, as when it loses power (kubelab node stop)");

const NodeStartOperation = z
  .object({ op: z.literal('nodeStart'), node: NodeByRole, note })
  .strict()
  .describe("a stopped node's kubelet starts again (kubelab node start)");

const AdvanceClockOperation = z
  .object({
    op: z.literal('advanceClock'),
    duration: goDuration({ min: 1000, wholeSeconds: true, max: 24 * 3_600_000 }).describe(
      'a Go duration: 40s, 5m, 1h30m (whole seconds, at most 24h)',
    ),
    note,
  })
  .strict()
  .describe('the cluster ages (kubelab cluster advance); on kind this is real waiting');

const RolloutUndoOperation = z
  .object({
    op: z.literal('rolloutUndo'),
    kind: z.enum(['Deployment', 'DaemonSet']),
    name: z.string().min(1),
    namespace: z.string().min(1),
    toRevision: z.number().int().positive().optional().describe('default: the previous revision'),
    note,
  })
  .strict()
  .describe('kubectl rollout undo');

const WaitOperation = z
  .object({
    op: z.literal('wait'),
    target: ObjectRef.optional().describe('the object whose field is awaited'),
    path: z
      .string()
      .regex(/^\{.*\}$/, 'a JSONPath as kubectl takes it, in braces: {.status.numberReady}')
      .optional()
      .describe('a JSONPath as kubectl wait --for=jsonpath takes it, e.g. {.status.numberReady}'),
    equals: z
      .union([z.string(), z.number(), z.boolean()])
      .optional()
      .describe('the value the field must have (compared as text, as kubectl does)'),
    query: ObjectQuery.optional().describe('the objects to count'),
    count: z.number().int().nonnegative().optional().describe('how many must match'),
    timeout: goDuration({ min: 1000, wholeSeconds: true })
      .default('60s')
      .describe('a Go duration, as kubectl wait --timeout'),
    note,
  })
  .strict()
  .superRefine((op, ctx) => {
    const field = op.target !== undefined || op.path !== undefined || op.equals !== undefined;
    const counted = op.query !== undefined || op.count !== undefined;
    if (field === counted) {
      ctx.addIssue({
        code: 'custom',
        message: 'wait for a field (target, path, equals) or for a count (query, count)',
      });
      return;
    }
    for (const key of field
      ? (['target', 'path', 'equals'] as const)
      : (['query', 'count'] as const)) {
      if (op[key] === undefined) {
        ctx.addIssue({ code: 'custom', message: `missing required field "${key}"` });
      }
    }
  })
  .describe('wait until an object field equals a value, or until a query matches count objects');

/** Every operation a lab may run, one type per `op`: the list is closed on purpose. */
export const Operation = z
  .discriminatedUnion('op', [
    ApplyOperation,
    PatchOperation,
    DeleteOperation,
    LabelOperation,
    TaintOperation,
    CordonOperation,
    UncordonOperation,
    NodeAddOperation,
    NodeRemoveOperation,
    NodeStopOperation,
    NodeStartOperation,
    AdvanceClockOperation,
    RolloutUndoOperation,
    WaitOperation,
  ])
  .meta({ id: 'Operation' });
export type Operation = z.output<typeof Operation>;
export type OperationKind = Operation['op'];

export const OPERATION_KINDS: readonly OperationKind[] = Operation.options.map(
  (option) => option.shape.op.value,
);

/** Operations only a cluster Kubelab controls can do (ClusterBackend capabilities). */
export const NODE_OPERATIONS: ReadonlySet<OperationKind> = new Set([
  'nodeAdd',
  'nodeRemove',
  'nodeStop',
  'nodeStart',
  'advanceClock',
]);

const Operations = z.array(Operation);

export const BACKENDS = ['embedded', 'kind', 'context'] as const;
export type Backend = (typeof BACKENDS)[number];

const NodeConfig = z
  .object({
    labels: Labels.optional(),
    taints: z.array(TaintSpecText).optional(),
  })
  .strict();

/** The grader's check, named so the JSON Schema holds it once. */
const Check = LabCheck.meta({ id: 'Check' });

const Checks = z
  .array(Check)
  .min(1, 'a lab (or step) needs at least one check')
  .describe('what the grader checks (main/grader/spec.ts), each with a weight');

const Hints = z
  .array(z.string())
  .default([])
  .describe('hint tiers, Markdown, from a nudge to nearly the answer; shown one at a time');

export const LabStepDocument = z
  .object({
    title: z.string().min(1),
    task: z.string().min(1).describe('Markdown: what to do in this step'),
    setup: Operations.default([]).describe('run when the learner moves to this step'),
    hints: Hints,
    checks: Checks,
    solution: Operations.describe('the reference solution of this step'),
  })
  .strict();

export const LEVELS = ['beginner', 'intermediate', 'advanced'] as const;

const LabDocumentShape = z
  .object({
    id: LabId.describe('the folder name'),
    title: z.string().min(1),
    lesson: LabId.describe('the lesson this lab belongs to (content/<lesson>)'),
    level: z.enum(LEVELS),
    minutes: z.number().int().positive().describe('how long the lab takes, as an estimate'),
    tags: z
      .array(z.string().regex(DNS_LABEL, "tags are lower case letters, digits and '-'"))
      .default([])
      .describe('practice, exam, or free others'),
    task: z
      .string()
      .min(1)
      .describe(
        'Markdown, worded as a CKA task: namespace, object names and images spelled out; with steps, the scenario',
      ),
    starter: ManifestSource.optional().describe('the manifest the editor opens with'),
    cluster: z
      .object({
        workers: z.number().int().min(0).max(10).describe('how many worker nodes the lab needs'),
        nodes: z
          .record(
            z.string().regex(ROLE_PATTERN, 'a role: controlPlane, worker1, worker2…'),
            NodeConfig,
          )
          .default({})
          .describe('labels and taints per role, e.g. worker2: {labels: {disk: ssd}}'),
        setup: Operations.default([]).describe(
          'run before the learner starts: objects that already exist, taints…',
        ),
      })
      .strict(),
    steps: z
      .array(LabStepDocument)
      .min(1)
      .optional()
      .describe('for a lab in several parts, in order; then checks and solution are per step'),
    hints: Hints,
    checks: Checks.optional(),
    solution: Operations.optional().describe('the reference solution (labs without steps)'),
    backends: z
      .array(z.enum(BACKENDS))
      .min(1)
      .default([...BACKENDS])
      .describe('where the lab can run; labs that add, stop or remove nodes need embedded or kind'),
    clockNote: z
      .string()
      .optional()
      .describe('how long the time-dependent part takes on kind, where the clock cannot jump'),
  })
  .strict();
export type LabDocument = z.output<typeof LabDocumentShape>;

/** lab.yaml, as written. The loader turns it into a `Lab` (manifests read and parsed). */
export const LabDocument = LabDocumentShape.superRefine(checkLab).meta({
  title: 'Kubelab lab (labs/<id>/lab.yaml)',
});
export type LabStepDocument = z.output<typeof LabStepDocument>;

type Path = Array<string | number>;

/** A path as the author reads it: `steps[0].checks[1].id`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, i) =>
      typeof segment === 'number' ? `[${segment}]` : `${i === 0 ? '' : '.'}${String(segment)}`,
    )
    .join('');
}

interface LocatedOperation {
  readonly op: Operation;
  readonly path: Path;
}

/** Every operation of a lab document, with its path, in the order a full run meets them. */
function operationsOf(lab: LabDocument): LocatedOperation[] {
  const found: LocatedOperation[] = [];
  const add = (ops: readonly Operation[] | undefined, path: Path): void => {
    ops?.forEach((op, i) => found.push({ op, path: [...path, i] }));
  };
  add(lab.cluster.setup, ['cluster', 'setup']);
  add(lab.solution, ['solution']);
  lab.steps?.forEach((step, i) => {
    add(step.setup, ['steps', i, 'setup']);
    add(step.solution, ['steps', i, 'solution']);
  });
  return found;
}

/** Every string of a value, with its path (placeholders may appear in any of them). */
function stringsOf(value: unknown, path: Path, out: Array<{ text: string; path: Path }>): void {
  if (typeof value === 'string') out.push({ text: value, path });
  else if (Array.isArray(value)) value.forEach((item, i) => stringsOf(item, [...path, i], out));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) stringsOf(item, [...path, key], out);
  }
}

/**
 * Role placeholders that are malformed or name a worker the lab does not have. Only names that
 * look like roles are judged, so Go templates in a task (`{{.metadata.name}}`, `{{end}}`) pass.
 */
export function placeholderProblems(text: string, workers: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const match of text.matchAll(/\{\{\s*([A-Za-z][\w-]*)\s*\}\}/g)) {
    const name = match[1] ?? '';
    if (!/^(control|worker|master|node)/i.test(name)) continue;
    if (!ROLE_PATTERN.test(name) || match[0] !== `{{${name}}}`) {
      problems.push(`"${match[0]}" is not a role: ${ROLE_HELP}`);
    } else if (name !== 'controlPlane' && !workers.has(name)) {
      problems.push(
        `"${match[0]}": the lab has ${workers.size} worker${workers.size === 1 ? '' : 's'} (cluster.workers and nodeAdd)`,
      );
    }
  }
  return problems;
}

/** The worker roles a lab can refer to: those it starts with and those it adds. */
export function workerRoles(
  lab: Pick<LabDocument, 'cluster'>,
  added: readonly string[],
): Set<string> {
  const roles = new Set<string>();
  for (let i = 1; i <= lab.cluster.workers; i++) roles.add(`worker${i}`);
  for (const role of added) roles.add(role);
  return roles;
}

/** The rules that span fields; each issue carries the path of the field to blame. */
function checkLab(lab: LabDocument, ctx: z.RefinementCtx): void {
  const issue = (path: Path, message: string): void => {
    ctx.addIssue({ code: 'custom', path, message });
  };

  if (lab.steps) {
    if (lab.checks) issue(['checks'], 'a lab with steps has its checks in each step');
    if (lab.solution) issue(['solution'], 'a lab with steps has its solution in each step');
  } else {
    // Reported on the lab itself: zod would point at a field that is not there.
    const missing = [...(lab.checks ? [] : ['checks']), ...(lab.solution ? [] : ['solution'])];
    for (const key of missing) {
      issue([], `missing required field "${key}" (a lab without steps has checks and a solution)`);
    }
  }

  const ids = new Map<string, string>();
  const claim = (id: string, path: Path): void => {
    const first = ids.get(id);
    if (first !== undefined) issue([...path, 'id'], `check id "${id}" is also used at ${first}`);
    else ids.set(id, formatPath(path));
  };
  const claimAll = (checks: readonly LabCheck[] | undefined, path: Path): void => {
    checks?.forEach((check, i) => {
      claim(check.id, [...path, i]);
      if (check.type === 'anyOf')
        check.checks.forEach((c, j) => claim(c.id, [...path, i, 'checks', j]));
    });
  };
  claimAll(lab.checks, ['checks']);
  lab.steps?.forEach((step, i) => claimAll(step.checks, ['steps', i, 'checks']));

  for (const role of Object.keys(lab.cluster.nodes)) {
    const n = Number(role.replace(/^worker/, ''));
    if (role !== 'controlPlane' && n > lab.cluster.workers) {
      issue(['cluster', 'nodes', role], `role ${role}: the lab has ${lab.cluster.workers} workers`);
    }
  }

  const operations = operationsOf(lab);
  const added: string[] = [];
  for (const { op, path } of operations) {
    if (op.op !== 'nodeAdd') continue;
    if (Number(op.role.slice('worker'.length)) <= lab.cluster.workers || added.includes(op.role)) {
      issue([...path, 'role'], `${op.role} already exists: a new node takes a new worker role`);
    }
    added.push(op.role);
  }
  const workers = workerRoles(lab, added);
  const strings: Array<{ text: string; path: Path }> = [];
  stringsOf(lab, [], strings);
  // Inline manifests are checked by the loader, which places problems on their own lines.
  const manifest = (path: Path): boolean => path[0] === 'starter' || path.at(-1) === 'manifest';
  for (const { text, path } of strings.filter((s) => !manifest(s.path))) {
    for (const problem of placeholderProblems(text, workers)) issue(path, problem);
  }

  // Blamed on the operation: `backends` is often not written at all (it defaults to all three).
  const needsNodes = operations.find(({ op }) => NODE_OPERATIONS.has(op.op));
  if (needsNodes && lab.backends.includes('context')) {
    issue(
      [...needsNodes.path, 'op'],
      `a context backend cannot do ${needsNodes.op.op}: list backends: [embedded, kind]`,
    );
  }
  const advances = operations.find(({ op }) => op.op === 'advanceClock');
  if (advances && lab.backends.includes('kind') && lab.clockNote === undefined) {
    issue(
      [...advances.path, 'op'],
      'on kind the clock cannot jump: say in clockNote how long this part takes there',
    );
  }

  if (lab.backends.includes('embedded')) {
    for (const { op, path } of operations) {
      const refs = [
        ['target', 'target' in op ? op.target : undefined],
        ['query', 'query' in op ? op.query : undefined],
      ] as const;
      for (const [key, ref] of refs) {
        const problem = ref && refProblem(ref, key === 'query');
        if (problem) issue([...path, key, ...problem.field], problem.message);
      }
    }
  }
}

/**
 * Whether the embedded cluster serves the kind a reference names, and whether its namespace is
 * given exactly when the kind is namespaced (kubectl would otherwise act on `default`).
 */
function refProblem(
  ref: ObjectRef | ObjectQuery,
  isQuery: boolean,
): { field: string[]; message: string } | undefined {
  const type = findByKind(ref.apiVersion, ref.kind);
  if (!type) {
    return {
      field: ['kind'],
      message: `the embedded cluster does not serve ${ref.kind} in ${ref.apiVersion} (remove embedded from backends to use it)`,
    };
  }
  if (!type.namespaced && ref.namespace !== undefined) {
    return { field: ['namespace'], message: `${ref.kind} is cluster-scoped: it has no namespace` };
  }
  if (type.namespaced && ref.namespace === undefined && !isQuery) {
    return { field: [], message: `${ref.kind} is namespaced: missing required field "namespace"` };
  }
  return undefined;
}

export type LabelChangeParsed =
  | { readonly key: string; readonly remove: false; readonly value: string }
  | { readonly key: string; readonly remove: true };

/** Parses `key=value` / `key-` as kubectl label does, with the API server's key and value rules. */
export function parseLabelChange(text: string): LabelChangeParsed | { error: string } {
  if (text.endsWith('-') && !text.includes('=')) {
    const key = text.slice(0, -1);
    const problems = isQualifiedName(key);
    return problems.length
      ? { error: `invalid label key "${key}": ${problems[0]}` }
      : { key, remove: true };
  }
  const eq = text.indexOf('=');
  if (eq <= 0) return { error: `invalid label "${text}": expected key=value or key-` };
  const key = text.slice(0, eq);
  const value = text.slice(eq + 1);
  const keyProblems = isQualifiedName(key);
  if (keyProblems.length) return { error: `invalid label key "${key}": ${keyProblems[0]}` };
  const valueProblems = isValidLabelValue(value);
  if (valueProblems.length) return { error: `invalid label value "${value}": ${valueProblems[0]}` };
  return { key, value, remove: false };
}

export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
export type TaintEffect = (typeof TAINT_EFFECTS)[number];

export type TaintChangeParsed =
  | {
      readonly key: string;
      readonly value: string;
      readonly effect: TaintEffect;
      readonly remove: false;
    }
  | { readonly key: string; readonly effect?: TaintEffect; readonly remove: true };

function isEffect(text: string): text is TaintEffect {
  return (TAINT_EFFECTS as readonly string[]).includes(text);
}

/**
 * Parses a taint as kubectl taint does (k8s.io/kubectl/pkg/cmd/taint `parseTaints`): adding takes
 * `key=value:Effect` or `key:Effect`; removing takes `key-` or `key:Effect-`.
 */
export function parseTaintChange(text: string): TaintChangeParsed | { error: string } {
  const effects = TAINT_EFFECTS.join(', ');
  if (text.endsWith('-')) {
    const [key = '', effect, ...rest] = text.slice(0, -1).split(':');
    const problems = isQualifiedName(key);
    if (rest.length || problems.length) {
      return { error: `invalid taint to remove "${text}": expected key- or key:Effect-` };
    }
    if (effect === undefined) return { key, remove: true };
    if (!isEffect(effect))
      return { error: `invalid taint effect "${effect}": expected one of ${effects}` };
    return { key, effect, remove: true };
  }
  const match = /^([^=:]+)(?:=([^:]*))?:([^:]*)$/.exec(text);
  if (!match) return { error: `invalid taint "${text}": expected key=value:Effect or key:Effect` };
  const [, key = '', value = '', effect = ''] = match;
  const keyProblems = isQualifiedName(key);
  if (keyProblems.length) return { error: `invalid taint key "${key}": ${keyProblems[0]}` };
  const valueProblems = isValidLabelValue(value);
  if (valueProblems.length) return { error: `invalid taint value "${value}": ${valueProblems[0]}` };
  if (!isEffect(effect))
    return { error: `invalid taint effect "${effect}": expected one of ${effects}` };
  return { key, value, effect, remove: false };
}

/** A manifest as the loader returns it: its text for display and its objects, parsed. */
export interface Manifest {
  /** The YAML as written (inline, or the file's content), for the editor and the solution view. */
  readonly text: string;
  /** The file it was read from, relative to the lab's folder; absent when written inline. */
  readonly file?: string;
  /** Its documents, each checked to have apiVersion, kind and metadata.name. */
  readonly objects: readonly KubeObject[];
}

/** The starter manifest: text only, since a starter may be deliberately incomplete. */
export interface StarterManifest {
  readonly text: string;
  readonly file?: string;
}

type ApplyDocument = Extract<Operation, { op: 'apply' }>;

/** `apply` as loaded: its manifest read and parsed. */
export type LoadedApplyOperation = Omit<ApplyDocument, 'manifest'> & {
  readonly manifest: Manifest;
};

/** An operation as the loader returns it (every other operation is as written). */
export type LabOperation = Exclude<Operation, { op: 'apply' }> | LoadedApplyOperation;

/** A step as loaded. A lab without `steps` has one, made of its task, checks and solution. */
export interface LabStep {
  readonly title: string;
  readonly task: string;
  readonly setup: readonly LabOperation[];
  readonly hints: readonly string[];
  readonly checks: readonly LabCheck[];
  readonly solution: readonly LabOperation[];
}

/**
 * A lab as the app uses it. Steps are always there (a lab written without them has one), so
 * the runner, the grader and the solution view never branch on the lab's shape; `stepped` says
 * whether the author wrote steps, for showing them.
 */
export interface Lab {
  readonly id: string;
  readonly title: string;
  readonly lesson: string;
  readonly level: (typeof LEVELS)[number];
  readonly minutes: number;
  readonly tags: readonly string[];
  readonly task: string;
  readonly starter?: StarterManifest;
  readonly cluster: {
    readonly workers: number;
    readonly nodes: Readonly<
      Record<
        string,
        { readonly labels?: Readonly<Record<string, string>>; readonly taints?: readonly string[] }
      >
    >;
    readonly setup: readonly LabOperation[];
  };
  readonly stepped: boolean;
  readonly steps: readonly LabStep[];
  readonly hints: readonly string[];
  readonly backends: readonly Backend[];
  readonly clockNote?: string;
  /** The lab's folder (absolute). */
  readonly dir: string;
}

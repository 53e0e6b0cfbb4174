/**
 * A lab session: what the CLI (`kubelab lab …`, `kubelab grade`) and, later, the app call to run a
 * lab — list, start, next step, hint, solve, grade, reset — with progress events and
 * cancellation. One service for both, so a lab started from a terminal can be graded in the app
 * and the other way round.
 *
 * The session lives in Kubelab's state folder (`<stateDir>/labs/<id>.json`), not in memory:
 * `kubelab lab start` and `kubelab grade` are separate processes, and grading needs what start
 * recorded — the node names of the roles and the uids `objectKept` compares.
 *
 * Grading only reads: it polls the cluster (readSnapshot, GET only) until `settled()` says the
 * cluster stopped moving for the checks, or the timeout passes, and grades that snapshot. It
 * never writes to the cluster (test/labs/lab-service.test.ts records every request to prove it).
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { realClock, sleep, type Clock } from '../base/clock';
import type { BackendKind } from '../cluster/backend';
import { KubeApiError, type KubeClient } from '../cluster/kube-client';
import * as simulator from '../cluster/operations';
import { readSnapshot } from '../cluster/read-snapshot';
import { objectName } from '../grader/checks/common';
import { settled } from '../grader/convergence';
import { grade, kindsToRead, recordKey, resolveRoles as resolveCheckRoles } from '../grader/grade';
import type { GradeReport } from '../grader/report';
import { objectsOf, type ClusterSnapshot } from '../grader/snapshot';
import type { LabCheck, ObjectRef } from '../grader/spec';
import type { KubeObject } from '../kube/objects';
import { kubectlCommand } from '../labs/commands';
import { loadLab, loadLabs, type LabFailure, type LabProblem } from '../labs/loader';
import { resolveRoles, rolesFor, type Roles } from '../labs/roles';
import type { Lab, LabOperation, LabStep, OperationKind } from '../labs/schema';
import { readJsonFile, writeFileAtomic } from '../platform/state';
import { LabOperationError, refPath, runOperation, type OperationContext } from './lab-operations';

/** What the service reports while it works: `applying daemonset.apps/agent`. */
export interface LabProgress {
  readonly message: string;
}

/** Options every long call takes. */
export interface CallOptions {
  /** Aborting it stops the call between requests (the cluster keeps what was done). */
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((event: LabProgress) => void) | undefined;
}

export type LabErrorCode =
  | 'not-found'
  | 'invalid'
  | 'not-started'
  | 'other-cluster'
  | 'backend'
  | 'workers'
  | 'last-step'
  | 'not-passed'
  | 'no-baseline'
  | 'operation';

/** An expected failure, worded for the learner; `code` lets callers choose an exit code. */
export class LabError extends Error {
  constructor(
    readonly code: LabErrorCode,
    message: string,
    /** For `invalid`: the lab's problems, `file:line:col: message`. */
    readonly problems: readonly LabProblem[] = [],
  ) {
    super(message);
    this.name = 'LabError';
  }
}

/**
 * What `kubelab grade` needs from `kubelab lab start`, in `<stateDir>/labs/<id>.json`. `step` is
 * the index of the current step (0: the first).
 */
export const LabSession = z.object({
  lab: z.string(),
  step: z.number().int().nonnegative(),
  startedAt: z.string(),
  roles: z.record(z.string(), z.string()),
  recorded: z.record(z.string(), z.string()),
  hintsShown: z.number().int().nonnegative(),
  server: z.string(),
  /** The current step has passed a grade (what `next` asks for, unless forced). */
  passed: z.literal(true).optional(),
});
export type LabSession = z.infer<typeof LabSession>;

export interface LabSummary {
  readonly id: string;
  readonly title: string;
  readonly lesson: string;
  readonly level: Lab['level'];
  readonly minutes: number;
  readonly tags: readonly string[];
  readonly steps: number;
  readonly backends: readonly BackendKind[];
  readonly clockNote?: string;
  /**
   * When the lab has a session in the state folder: its step (0-based), its start, and whether
   * that step has passed a grade.
   */
  readonly session?: {
    readonly step: number;
    readonly startedAt: string;
    readonly passed: boolean;
  };
}

/** A step as the learner reads it, node roles resolved to the cluster's node names. */
export interface StepView {
  readonly lab: string;
  readonly labTitle: string;
  /** 0-based. */
  readonly index: number;
  readonly count: number;
  readonly title: string;
  /** The lab's task, then (for a lab with steps) the step's. */
  readonly task: string;
}

export interface StartResult {
  readonly step: StepView;
  readonly session: LabSession;
  /**
   * Where `start` wrote the lab's starter manifest (the one the editor opens with), a fresh copy
   * in the state folder for the learner to edit and apply; absent when the lab has none.
   */
  readonly starter?: string;
  /** What the learner should know: no reset on this backend, grading may wait, … */
  readonly notes: readonly string[];
}

export interface HintResult {
  /** The hint, or undefined when every hint has been shown. */
  readonly text?: string;
  /** How many hints of this step have been shown, this one included, and how many there are. */
  readonly shown: number;
  readonly total: number;
}

export interface SolutionCommand {
  readonly op: OperationKind;
  /** What a learner would type; undefined for an operation with no command-line form. */
  readonly command: string | undefined;
  readonly note?: string;
}

export interface SolutionStep {
  readonly index: number;
  readonly title: string;
  /** Setup of the step, run when moving to it (shown when solving several steps). */
  readonly setup: readonly SolutionCommand[];
  readonly commands: readonly SolutionCommand[];
}

export interface GradeResult {
  readonly report: GradeReport;
  readonly step: StepView;
}

export interface GradeOptions extends CallOptions {
  /** The learner's answer, for `answer` checks. */
  readonly answer?: string | undefined;
  /** How long to wait for the cluster to settle before grading anyway (default 60 s). */
  readonly timeoutMs?: number | undefined;
}

export interface LabServiceDeps {
  readonly labsDir: string;
  /** Kubelab's state folder (platform/state.ts `stateDir`). */
  readonly stateDir: string;
  /** Opens the cluster labs run on: the CLI's target, the app's practice cluster. */
  readonly connect: () => Promise<KubeClient>;
  /** What the cluster is; detected from it when absent (kubelab.dev API, kind provider ids). */
  readonly backend?: BackendKind | undefined;
  readonly clock?: Clock | undefined;
  /** How often to look again while waiting (default 500 ms). */
  readonly pollMs?: number | undefined;
  /** How long start and next wait for the setup to settle (default 60 s). */
  readonly settleTimeoutMs?: number | undefined;
}

export interface LabService {
  list(): Promise<{ labs: LabSummary[]; failures: LabFailure[] }>;
  /** The lab's session in the state folder, if it has been started (reads no cluster). */
  session(id: string): Promise<LabSession | undefined>;
  start(id: string, options?: CallOptions): Promise<StartResult>;
  /** The current step again, as start and next show it (reads no cluster). */
  current(id: string): Promise<StepView>;
  /** Moves to the next step once the current one has passed a grade (or when forced). */
  next(id: string, options?: CallOptions & { force?: boolean }): Promise<StartResult>;
  hint(id: string): Promise<HintResult>;
  /** The reference solution as commands, of the current step or of it and every later one. */
  solution(id: string, options?: { all?: boolean }): Promise<SolutionStep[]>;
  /** Runs the solution of the current step (or of it and every later step, with their setup). */
  solve(id: string, options?: CallOptions & { all?: boolean }): Promise<string[]>;
  grade(id: string, options?: GradeOptions): Promise<GradeResult>;
  /** The placement report of any DaemonSet, no lab needed (`kubelab check ds/NAME`). */
  checkDaemonSet(
    namespace: string,
    name: string,
    options?: Omit<GradeOptions, 'answer'>,
  ): Promise<GradeReport>;
  /** Puts the cluster back to its baseline (embedded) and forgets the session. */
  reset(id: string, options?: CallOptions): Promise<{ notes: string[] }>;
}

const BASELINE = 'baseline';
const DEFAULT_TIMEOUT_MS = 60_000;

/** The node names of a snapshot (or a node list). */
function nodeNames(nodes: readonly KubeObject[]): string[] {
  return nodes.map((n) => n.metadata.name ?? '');
}

function sessionFile(stateDir: string, id: string): string {
  return join(stateDir, 'labs', `${id}.json`);
}

function starterFile(stateDir: string, id: string): string {
  return join(stateDir, 'labs', `${id}.starter.yaml`);
}

/** Every objectKept target of the lab's checks, in every step (anyOf alternatives included). */
function keptTargets(checks: readonly LabCheck[]): ObjectRef[] {
  return checks.flatMap((check) =>
    check.type === 'objectKept'
      ? [check.target]
      : check.type === 'anyOf'
        ? keptTargets(check.checks)
        : [],
  );
}

/** Text with roles resolved; as written when a role cannot be named yet. */
function resolveText(text: string, roles: Roles): string {
  try {
    return resolveRoles(text, roles);
  } catch {
    return text;
  }
}

function stepView(lab: Lab, index: number, roles: Roles): StepView {
  const step = lab.steps[index]!;
  const task = lab.stepped ? `${lab.task.trimEnd()}\n\n${step.task}` : step.task;
  return {
    lab: lab.id,
    labTitle: lab.title,
    index,
    count: lab.steps.length,
    title: resolveText(step.title, roles),
    task: resolveText(task, roles).trimEnd(),
  };
}

function commandsOf(ops: readonly LabOperation[], roles: Roles): SolutionCommand[] {
  return ops.map((op) => {
    let command: string | undefined;
    try {
      command = kubectlCommand(op, roles);
    } catch (error) {
      command = `# ${error instanceof Error ? error.message : String(error)}`;
    }
    return {
      op: op.op,
      command,
      ...(op.note !== undefined ? { note: resolveText(op.note, roles) } : {}),
    };
  });
}

/** What the cluster is: embedded (Kubelab's simulator API), kind (kind:// provider ids), or other. */
export async function detectBackend(client: KubeClient): Promise<BackendKind> {
  if (await simulator.hasSimulator(client)) return 'embedded';
  const nodes = (await client.call('GET', '/api/v1/nodes')) as { items?: KubeObject[] };
  const kind = (nodes.items ?? []).some((node) => {
    const spec = node.spec as { providerID?: unknown } | undefined;
    return typeof spec?.providerID === 'string' && spec.providerID.startsWith('kind://');
  });
  return kind ? 'kind' : 'context';
}

export interface SettleOptions extends CallOptions {
  readonly timeoutMs: number;
  readonly clock?: Clock | undefined;
  readonly pollMs?: number | undefined;
}

export interface Settled {
  readonly snapshot: ClusterSnapshot;
  readonly settled: boolean;
  readonly waitingOn: readonly string[];
  readonly ms: number;
}

/**
 * Reads snapshots (GET only) until the cluster has settled for these checks or `timeoutMs`
 * passes: the learner who grades right after `kubectl apply` is graded on where the cluster is
 * going, and one whose cluster never settles is told on what grading gave up.
 */
export async function untilSettled(
  client: KubeClient,
  checks: readonly LabCheck[],
  roles: (snapshot: ClusterSnapshot) => Roles,
  options: SettleOptions,
): Promise<Settled> {
  const clock = options.clock ?? realClock;
  const started = clock.now();
  const kinds = kindsToRead(checks);
  let reported = '';
  for (;;) {
    options.signal?.throwIfAborted();
    const snapshot = await readSnapshot(client, kinds, () => clock.now());
    const convergence = settled(snapshot, checks, { roles: roles(snapshot) });
    const ms = clock.now() - started;
    if (convergence.settled || ms >= options.timeoutMs) {
      return { snapshot, settled: convergence.settled, waitingOn: convergence.waitingOn, ms };
    }
    const first = convergence.waitingOn[0] ?? '';
    const more = convergence.waitingOn.length - 1;
    const message = `waiting for the cluster to settle: ${first}${more > 0 ? ` (and ${more} more)` : ''}`;
    if (message !== reported) options.onProgress?.({ message });
    reported = message;
    await sleep(clock, options.pollMs ?? 500, options.signal);
  }
}

/** Builds the lab service over a labs folder, a state folder and a cluster. */
export function createLabService(deps: LabServiceDeps): LabService {
  const clock = deps.clock ?? realClock;
  const settleTimeoutMs = deps.settleTimeoutMs ?? DEFAULT_TIMEOUT_MS;

  async function lab(id: string): Promise<Lab> {
    const result = await loadLab(deps.labsDir, id);
    if (result.ok) return result.value;
    const missing = result.error.length === 1 && /no lab\.yaml/.test(result.error[0]!.message);
    if (missing) throw new LabError('not-found', `no lab "${id}" in ${deps.labsDir}`);
    throw new LabError(
      'invalid',
      `lab "${id}" has problems (see "kubelab labs validate")`,
      result.error,
    );
  }

  async function readSession(id: string): Promise<LabSession | undefined> {
    const parsed = LabSession.safeParse(await readJsonFile(sessionFile(deps.stateDir, id)));
    return parsed.success && parsed.data.lab === id ? parsed.data : undefined;
  }

  async function requireSession(id: string): Promise<LabSession> {
    const found = await readSession(id);
    if (!found) {
      throw new LabError(
        'not-started',
        `lab "${id}" has not been started: run "kubelab lab start ${id}" first`,
      );
    }
    return found;
  }

  async function save(value: LabSession): Promise<void> {
    await writeFileAtomic(
      sessionFile(deps.stateDir, value.lab),
      `${JSON.stringify(value, null, 2)}\n`,
    );
  }

  function sameCluster(value: LabSession, client: KubeClient): void {
    if (value.server === client.server) return;
    throw new LabError(
      'other-cluster',
      `lab "${value.lab}" was started on the cluster at ${value.server}, not on this one (${client.server}): start it here with "kubelab lab start ${value.lab}", or choose that cluster`,
    );
  }

  function context(
    client: KubeClient,
    backend: BackendKind,
    roles: Record<string, string>,
    current: Lab,
    options: CallOptions,
  ): OperationContext {
    return {
      client,
      backend,
      roles,
      labBackends: current.backends,
      signal: options.signal,
      onProgress: (message) => options.onProgress?.({ message }),
      clock,
    };
  }

  /** Runs operations, naming the place of one that fails (`cluster.setup[2]`). */
  async function run(
    ops: readonly LabOperation[],
    where: string,
    ctx: OperationContext,
  ): Promise<string[]> {
    const lines: string[] = [];
    for (const [i, op] of ops.entries()) {
      ctx.signal?.throwIfAborted();
      try {
        lines.push(...(await runOperation(op, ctx)));
      } catch (error) {
        if (error instanceof LabOperationError || error instanceof KubeApiError) {
          throw new LabError('operation', `${where}[${i}] (${op.op}): ${error.message}`);
        }
        throw error;
      }
    }
    return lines;
  }

  /** Records the uid of every objectKept target that exists now and has none recorded yet. */
  async function record(
    client: KubeClient,
    current: Lab,
    roles: Roles,
    recorded: Record<string, string>,
  ): Promise<void> {
    for (const raw of current.steps.flatMap((step) => keptTargets(step.checks))) {
      let target: ObjectRef;
      try {
        target = resolveCheckRoles(raw, roles);
      } catch {
        continue; // names a node the lab adds later: recorded by `next`
      }
      const key = recordKey(target);
      if (recorded[key] !== undefined) continue;
      let path: string;
      try {
        path = await refPath(client, target);
      } catch {
        continue; // a kind this cluster does not serve: the check will say so
      }
      const response = await client.request('GET', path);
      const uid = (response.body as KubeObject | undefined)?.metadata?.uid;
      if (response.status === 200 && uid) recorded[key] = uid;
    }
  }

  /** Waits for the setup to settle for a step's checks; a note when it gives up. */
  async function settle(
    client: KubeClient,
    checks: readonly LabCheck[],
    roles: Roles,
    options: CallOptions,
  ): Promise<string[]> {
    const result = await untilSettled(client, checks, () => roles, {
      ...options,
      timeoutMs: settleTimeoutMs,
      clock,
      pollMs: deps.pollMs,
    });
    return result.settled
      ? []
      : [
          `the setup had not settled after ${Math.round(result.ms / 1000)}s (still: ${result.waitingOn.join('; ')}); grading waits for it`,
        ];
  }

  /** Makes the cluster have exactly the lab's workers (embedded), or checks it has enough. */
  async function ensureWorkers(
    client: KubeClient,
    backend: BackendKind,
    current: Lab,
    options: CallOptions,
  ): Promise<{ roles: Record<string, string>; notes: string[] }> {
    const nodes = ((await client.call('GET', '/api/v1/nodes')) as { items?: KubeObject[] }).items;
    const roles: Record<string, string> = { ...rolesFor(nodeNames(nodes ?? [])) };
    const notes: string[] = [];
    const want = current.cluster.workers;
    const ctx = context(client, backend, roles, current, options);
    const missing: string[] = [];
    for (let i = 1; i <= want; i++)
      if (roles[`worker${i}`] === undefined) missing.push(`worker${i}`);
    const extra = Object.keys(roles).filter(
      (role) => role.startsWith('worker') && Number(role.slice('worker'.length)) > want,
    );
    if (backend !== 'embedded') {
      if (missing.length) {
        const have = want - missing.length;
        throw new LabError(
          'workers',
          `lab "${current.id}" needs ${want} worker nodes and this ${backend} cluster has ${have} (named <cluster>-worker, <cluster>-worker2…): make a cluster with ${want} workers`,
        );
      }
      if (extra.length)
        notes.push(
          `the cluster has more workers than the lab's ${want}: ${extra.map((r) => roles[r]).join(', ')} stay`,
        );
      return { roles, notes };
    }
    for (const role of missing) {
      await runOperation({ op: 'nodeAdd', role }, ctx);
    }
    // The baseline brings them back when the next lab starts.
    for (const role of extra.sort()) {
      const name = roles[role]!;
      await runOperation({ op: 'nodeRemove', node: `{{${role}}}` }, ctx);
      // The lab starts on a cluster that never had the node: its pods go now, as PodGC would
      // delete them after its 40 s quarantine (the DaemonSet pods would otherwise count, and a
      // Deployment's pod would wait there to be replaced).
      await runOperation(
        {
          op: 'delete',
          query: { apiVersion: 'v1', kind: 'Pod', fieldSelector: `spec.nodeName=${name}` },
          gracePeriodSeconds: 0,
        },
        ctx,
      );
    }
    return { roles, notes };
  }

  /** The node labels and taints a lab starts with (`cluster.nodes`), as kubectl would set them. */
  function nodeSetup(current: Lab): LabOperation[] {
    return Object.entries(current.cluster.nodes).flatMap(([role, config]): LabOperation[] => {
      const node = `{{${role}}}`;
      const labels = Object.entries(config.labels ?? {}).map(([k, v]) => `${k}=${v}`);
      return [
        ...(labels.length ? [{ op: 'label' as const, node, labels, overwrite: true }] : []),
        ...(config.taints?.length
          ? [{ op: 'taint' as const, node, taints: [...config.taints], overwrite: true }]
          : []),
      ];
    });
  }

  /** Moves a session to step `index`: its setup, settling, recording. Saves the session. */
  async function enterStep(
    client: KubeClient,
    backend: BackendKind,
    current: Lab,
    value: LabSession,
    index: number,
    options: CallOptions,
  ): Promise<{ session: LabSession; notes: string[]; lines: string[] }> {
    const roles = { ...value.roles };
    const step: LabStep = current.steps[index]!;
    const ctx = context(client, backend, roles, current, options);
    const lines = await run(step.setup, `steps[${index}].setup`, ctx);
    const notes = await settle(client, step.checks, roles, options);
    const recorded = { ...value.recorded };
    await record(client, current, roles, recorded);
    const { passed: _passed, ...rest } = value;
    const next: LabSession = { ...rest, step: index, roles, recorded, hintsShown: 0 };
    await save(next);
    return { session: next, notes, lines };
  }

  /**
   * Forgets the sessions of other labs started on the same cluster: a lab start resets the
   * cluster (or, on a cluster that cannot be reset, makes it the new lab's), so grading one of
   * those would judge a cluster that no longer holds it. Returns their ids.
   */
  async function closeOthers(id: string, server: string): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(join(deps.stateDir, 'labs'));
    } catch {
      return [];
    }
    const closed: string[] = [];
    for (const name of names.sort()) {
      if (!name.endsWith('.json')) continue;
      const other = name.slice(0, -'.json'.length);
      if (other === id) continue;
      const found = await readSession(other);
      if (found?.server !== server) continue;
      await rm(sessionFile(deps.stateDir, other), { force: true });
      await rm(starterFile(deps.stateDir, other), { force: true });
      closed.push(other);
    }
    return closed;
  }

  /** A fresh copy of the lab's starter manifest in the state folder, roles resolved: its path. */
  async function writeStarter(current: Lab, roles: Roles): Promise<string | undefined> {
    const file = starterFile(deps.stateDir, current.id);
    if (current.starter === undefined) {
      await rm(file, { force: true });
      return undefined;
    }
    await writeFileAtomic(file, resolveText(current.starter.text, roles));
    return file;
  }

  async function connect(): Promise<{ client: KubeClient; backend: BackendKind }> {
    const client = await deps.connect();
    return { client, backend: deps.backend ?? (await detectBackend(client)) };
  }

  return {
    session: readSession,

    async list() {
      const { labs, failures } = await loadLabs(deps.labsDir);
      const summaries: LabSummary[] = [];
      for (const current of labs) {
        const found = await readSession(current.id);
        summaries.push({
          id: current.id,
          title: current.title,
          lesson: current.lesson,
          level: current.level,
          minutes: current.minutes,
          tags: current.tags,
          steps: current.steps.length,
          backends: current.backends,
          ...(current.clockNote !== undefined ? { clockNote: current.clockNote } : {}),
          ...(found
            ? {
                session: {
                  step: found.step,
                  startedAt: found.startedAt,
                  passed: found.passed === true,
                },
              }
            : {}),
        });
      }
      return { labs: summaries, failures };
    },

    async start(id, options = {}) {
      const current = await lab(id);
      const { client, backend } = await connect();
      if (!current.backends.includes(backend)) {
        throw new LabError(
          'backend',
          `lab "${id}" runs on ${current.backends.join(', ')}, and the cluster at ${client.server} is a ${backend} cluster`,
        );
      }
      const notes: string[] = [];
      const progress = (message: string): void => options.onProgress?.({ message });
      if (backend === 'embedded') {
        progress('resetting the cluster to its baseline');
        try {
          await simulator.restoreSnapshot(client, BASELINE);
        } catch (error) {
          if (!(error instanceof KubeApiError && error.status === 404)) throw error;
          // A cluster started by `kubelab cluster start` has no baseline until its first lab.
          await simulator.saveSnapshot(client, BASELINE);
          notes.push('the cluster had no baseline: its state now is the one every lab starts from');
        }
      } else {
        notes.push(
          `a ${backend} cluster cannot be reset: objects left by earlier labs stay (delete them, or use a fresh cluster)`,
        );
      }
      options.signal?.throwIfAborted();
      const workers = await ensureWorkers(client, backend, current, options);
      notes.push(...workers.notes);
      const roles = workers.roles;
      const ctx = context(client, backend, roles, current, options);
      await run(nodeSetup(current), 'cluster.nodes', ctx);
      await run(current.cluster.setup, 'cluster.setup', ctx);
      const first: LabSession = {
        lab: id,
        step: 0,
        startedAt: new Date(clock.now()).toISOString(),
        roles: {},
        recorded: {},
        hintsShown: 0,
        server: client.server,
      };
      const entered = await enterStep(client, backend, current, { ...first, roles }, 0, options);
      if (current.clockNote !== undefined && backend === 'kind') notes.push(current.clockNote);
      for (const other of await closeOthers(id, client.server)) {
        notes.push(
          `lab "${other}" was closed: one lab at a time runs on a cluster${backend === 'embedded' ? ', and this one reset it' : ''}`,
        );
      }
      const starter = await writeStarter(current, entered.session.roles);
      return {
        step: stepView(current, 0, entered.session.roles),
        session: entered.session,
        notes: [...notes, ...entered.notes],
        ...(starter !== undefined ? { starter } : {}),
      };
    },

    async current(id) {
      const current = await lab(id);
      const value = await requireSession(id);
      return stepView(current, value.step, value.roles);
    },

    async next(id, options = {}) {
      const current = await lab(id);
      const value = await requireSession(id);
      const index = value.step + 1;
      if (index >= current.steps.length) {
        throw new LabError(
          'last-step',
          `lab "${id}" is at its last step (${current.steps.length} of ${current.steps.length}): grade it with "kubelab grade ${id}"`,
        );
      }
      // A later step builds on the state this one asks for: moving on from a cluster that is not
      // there yet can leave the next step unsolvable as written.
      if (value.passed !== true && options.force !== true) {
        throw new LabError(
          'not-passed',
          `step ${value.step + 1} of lab "${id}" has not passed yet: grade it with "kubelab grade ${id}" (or move on anyway with "kubelab lab next ${id} --force")`,
        );
      }
      const { client, backend } = await connect();
      sameCluster(value, client);
      const entered = await enterStep(client, backend, current, value, index, options);
      return {
        step: stepView(current, index, entered.session.roles),
        session: entered.session,
        notes: entered.notes,
      };
    },

    async hint(id) {
      const current = await lab(id);
      const value = await requireSession(id);
      const step = current.steps[value.step]!;
      const tiers = [...current.hints, ...step.hints];
      if (value.hintsShown >= tiers.length) {
        return { shown: value.hintsShown, total: tiers.length };
      }
      const text = resolveText(tiers[value.hintsShown]!, value.roles);
      await save({ ...value, hintsShown: value.hintsShown + 1 });
      return { text, shown: value.hintsShown + 1, total: tiers.length };
    },

    async solution(id, options = {}) {
      const current = await lab(id);
      const value = await readSession(id);
      let roles: Roles;
      if (value) {
        roles = value.roles;
      } else {
        const client = await deps.connect();
        const nodes = (await client.call('GET', '/api/v1/nodes')) as { items?: KubeObject[] };
        roles = rolesFor(nodeNames(nodes.items ?? []));
      }
      const from = value?.step ?? 0;
      const to = options.all ? current.steps.length : from + 1;
      const steps: SolutionStep[] = [];
      for (let index = from; index < to; index++) {
        const step = current.steps[index]!;
        steps.push({
          index,
          title: resolveText(step.title, roles),
          setup: index === from ? [] : commandsOf(step.setup, roles),
          commands: commandsOf(step.solution, roles),
        });
      }
      return steps;
    },

    async solve(id, options = {}) {
      const current = await lab(id);
      let value = await requireSession(id);
      const { client, backend } = await connect();
      sameCluster(value, client);
      const roles = { ...value.roles };
      const lines = await run(
        current.steps[value.step]!.solution,
        `steps[${value.step}].solution`,
        context(client, backend, roles, current, options),
      );
      value = { ...value, roles };
      await save(value);
      if (!options.all) return lines;
      for (let index = value.step + 1; index < current.steps.length; index++) {
        const entered = await enterStep(client, backend, current, value, index, options);
        lines.push(...entered.lines);
        const stepRoles = { ...entered.session.roles };
        lines.push(
          ...(await run(
            current.steps[index]!.solution,
            `steps[${index}].solution`,
            context(client, backend, stepRoles, current, options),
          )),
        );
        value = { ...entered.session, roles: stepRoles };
        await save(value);
      }
      return lines;
    },

    async grade(id, options = {}) {
      const current = await lab(id);
      const value = await requireSession(id);
      const client = await deps.connect();
      sameCluster(value, client);
      const step = current.steps[value.step]!;
      const roles = (snapshot: ClusterSnapshot): Roles => ({
        ...rolesFor(nodeNames(objectsOf(snapshot, 'v1', 'Node'))),
        ...value.roles,
      });
      const result = await untilSettled(client, step.checks, roles, {
        ...options,
        timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        clock,
        pollMs: deps.pollMs,
      });
      const report = grade(step.checks, result.snapshot, {
        roles: roles(result.snapshot),
        recorded: value.recorded,
        lab: id,
        ...(options.answer !== undefined ? { answer: options.answer } : {}),
      });
      // Only the state folder learns of it (grading never writes to the cluster).
      if (report.passed && value.passed !== true) await save({ ...value, passed: true });
      return {
        report: {
          ...report,
          waited: {
            ms: result.ms,
            ...(result.settled ? {} : { gaveUp: result.waitingOn.join('; ') }),
          },
        },
        step: stepView(current, value.step, value.roles),
      };
    },

    async checkDaemonSet(namespace, name, options = {}) {
      const client = await deps.connect();
      const display = objectName('apps/v1', 'DaemonSet', name);
      const checks: LabCheck[] = [
        {
          id: 'placement',
          title: `${display} runs where it should`,
          type: 'daemonSetPlacement',
          namespace,
          name,
          allowMayKeep: true,
          weight: 1,
        },
      ];
      // Looked up first: waiting for the pods of a namespace to settle makes no sense when the
      // DaemonSet is not there.
      const found = await client.request(
        'GET',
        `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/daemonsets/${encodeURIComponent(name)}`,
      );
      if (found.status === 404) {
        throw new LabError(
          'not-found',
          `Error from server (NotFound): daemonsets.apps "${name}" not found`,
        );
      }
      const roles = (snapshot: ClusterSnapshot): Roles =>
        rolesFor(nodeNames(objectsOf(snapshot, 'v1', 'Node')));
      const result = await untilSettled(client, checks, roles, {
        ...options,
        timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        clock,
        pollMs: deps.pollMs,
      });
      const report = grade(checks, result.snapshot, {
        roles: roles(result.snapshot),
        recorded: {},
      });
      return {
        ...report,
        waited: {
          ms: result.ms,
          ...(result.settled ? {} : { gaveUp: result.waitingOn.join('; ') }),
        },
      };
    },

    async reset(id, options = {}) {
      await lab(id);
      const { client, backend } = await connect();
      const notes: string[] = [];
      if (backend === 'embedded') {
        options.onProgress?.({ message: 'resetting the cluster to its baseline' });
        try {
          await simulator.restoreSnapshot(client, BASELINE);
        } catch (error) {
          if (error instanceof KubeApiError && error.status === 404) {
            throw new LabError('no-baseline', 'the cluster has no baseline to go back to');
          }
          throw error;
        }
      } else {
        notes.push(`a ${backend} cluster cannot be reset: the lab's objects stay`);
      }
      await rm(sessionFile(deps.stateDir, id), { force: true });
      await rm(starterFile(deps.stateDir, id), { force: true });
      return { notes };
    },
  };
}

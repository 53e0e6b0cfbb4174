/**
 * The lab commands: `kubelab labs list|validate`, `kubelab lab start|next|hint|solve`,
 * `kubelab grade` and `kubelab check ds/NAME`. They are thin: the LabService
 * (main/services/lab-service.ts) does the work, so the app and the terminal behave alike.
 *
 * Commands that change the cluster (start, next, solve) follow the ownership rule of target.ts
 * (only clusters Kubelab started, unless `--context X --yes`); those that only read (grade,
 * check, solve --show) may look at any context, since reading cannot break a learner's cluster.
 * Progress goes to stderr and results to stdout, so `kubelab grade ID --json | jq` works.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { openKubeClient, type KubeClient } from '../cluster/kube-client';
import type { CheckResult, GradeReport, NodeFinding, PodFinding } from '../grader/report';
import { parseGoDuration } from '../kube/duration';
import { formatProblem, loadLabs } from '../labs/loader';
import { packageRoot } from '../platform/paths';
import { stateDir } from '../platform/state';
import {
  createLabService,
  LabError,
  type LabService,
  type LabSummary,
  type StepView,
} from '../services/lab-service';
import { runningClusters } from './cluster';
import { UsageError, type CliIo } from './io';
import { resolveTarget, type TargetOptions } from './target';

/** Ends a command with an exit code and nothing more to print (it printed its report). */
export class ExitStatus extends Error {
  constructor(readonly exitCode: number) {
    super(`exit status ${exitCode}`);
    this.name = 'ExitStatus';
  }
}

/** Exit codes of `kubelab grade` and `kubelab check`. */
export const GRADE_EXIT = { passed: 0, failed: 1, notGraded: 2 } as const;

export interface LabOptions extends TargetOptions {
  /** The labs folder (default: the repository's `labs/`). */
  readonly labsDir?: string | undefined;
}

/** The labs folder: `--labs-dir`, else `labs/` of the package (a checkout or the installed app). */
export function labsDirOf(options: LabOptions): string {
  return options.labsDir !== undefined ? resolve(options.labsDir) : join(packageRoot(), 'labs');
}

/**
 * The cluster a read-only command looks at: the one named by `--kubeconfig`/`--context` (any,
 * without `--yes`), `--cluster`, the running Kubelab cluster whose server a lab session recorded,
 * the only running one, or else the kubeconfig's current context.
 */
export async function readTarget(
  options: LabOptions,
  io: CliIo,
  preferServer?: string,
): Promise<KubeClient> {
  if (options.kubeconfig !== undefined || options.context !== undefined) {
    if (options.cluster !== undefined) {
      throw new UsageError('--cluster cannot be combined with --kubeconfig or --context');
    }
    return openKubeClient({ kubeconfig: options.kubeconfig, context: options.context });
  }
  const running = await runningClusters(io.env);
  const record =
    options.cluster !== undefined
      ? running.find((r) => r.name === options.cluster)
      : (running.find((r) => r.server === preferServer) ??
        (running.length === 1 ? running[0] : undefined));
  if (options.cluster !== undefined && !record) {
    throw new UsageError(
      `no running cluster named "${options.cluster}" was started by Kubelab (see "kubelab cluster list")`,
    );
  }
  if (record) return openKubeClient({ kubeconfig: record.kubeconfig, context: record.context });
  if (running.length > 1) {
    throw new UsageError(
      `${running.length} clusters are running (${running.map((r) => r.name).join(', ')}): choose one with --cluster NAME`,
    );
  }
  return openKubeClient({});
}

function service(options: LabOptions, io: CliIo, connect: () => Promise<KubeClient>): LabService {
  return createLabService({ labsDir: labsDirOf(options), stateDir: stateDir(io.env), connect });
}

/** A cluster-changing command's service: the target is resolved (and the rule checked) once. */
async function changingService(options: LabOptions, io: CliIo): Promise<LabService> {
  const target = await resolveTarget(options, io);
  return service(options, io, () => Promise.resolve(target.client));
}

const progress =
  (io: CliIo) =>
  (event: { message: string }): void =>
    io.err(`${event.message}\n`);

/** Expected failures as usage errors (`error: …`), a lab's problems listed after. */
async function labErrors<T>(work: () => Promise<T>, io: CliIo, exitCode = 1): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof LabError) {
      for (const problem of error.problems) io.err(`${formatProblem(problem)}\n`);
      throw new UsageError(error.message, exitCode);
    }
    throw error;
  }
}

/** A table as kubectl prints one: columns padded to their widest cell plus three spaces. */
export function table(rows: readonly (readonly string[])[], indent = ''): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((row) =>
    `${indent}${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]! + 3))).join('')}`.trimEnd(),
  );
}

// -------------------------------------------------------------------------------------------
// labs list, labs validate

export async function listLabs(options: LabOptions & { json?: boolean }, io: CliIo): Promise<void> {
  const dir = labsDirOf(options);
  const { labs, failures } = await service(options, io, () =>
    Promise.reject(new Error('no cluster needed')),
  ).list();
  if (options.json) {
    const broken = failures.map((f) => ({ id: f.id, problems: f.problems.map(formatProblem) }));
    io.out(`${JSON.stringify({ labs, failures: broken }, null, 2)}\n`);
    return;
  }
  for (const failure of failures) {
    io.err(
      `warning: lab "${failure.id}" does not load (${failure.problems.length} problem${failure.problems.length === 1 ? '' : 's'}): see "kubelab labs validate"\n`,
    );
  }
  if (labs.length === 0) {
    io.err(`No labs in ${dir}.\n`);
    return;
  }
  const rows = [
    ['ID', 'LEVEL', 'MINUTES', 'STEPS', 'BACKENDS', 'STATUS', 'TITLE'],
    ...labs.map((lab) => [
      lab.id,
      lab.level,
      String(lab.minutes),
      String(lab.steps),
      lab.backends.join(','),
      statusOf(lab),
      lab.title,
    ]),
  ];
  for (const line of table(rows)) io.out(`${line}\n`);
}

/** The STATUS cell: where a started lab is, and whether its last step has passed. */
function statusOf(lab: LabSummary): string {
  const session = lab.session;
  if (!session) return '-';
  if (session.passed && session.step + 1 === lab.steps) return 'passed';
  const step = lab.steps > 1 ? ` (step ${session.step + 1} of ${lab.steps})` : '';
  return session.passed ? `step ${session.step + 1} passed` : `started${step}`;
}

export async function validateLabsCommand(
  dir: string | undefined,
  options: LabOptions,
  io: CliIo,
): Promise<void> {
  const folder = dir !== undefined ? resolve(dir) : labsDirOf(options);
  const isDir = await stat(folder).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) throw new UsageError(`${folder} is not a folder of labs`);
  const { labs, failures } = await loadLabs(folder);
  const lines = failures.flatMap((failure) => failure.problems.map(formatProblem));
  if (lines.length) {
    io.out(`${lines.join('\n')}\n`);
    const count = failures.length;
    io.err(
      `${count} of ${labs.length + count} lab${labs.length + count === 1 ? '' : 's'} with problems\n`,
    );
    throw new ExitStatus(1);
  }
  io.out(
    labs.length === 0
      ? `no labs in ${folder} (a lab is ${join(folder, '<id>', 'lab.yaml')})\n`
      : `${labs.length} lab${labs.length === 1 ? '' : 's'} valid\n`,
  );
}

// -------------------------------------------------------------------------------------------
// lab start, next, hint, solve

/** A step's task under its heading (none of its own for a one-step lab whose heading is printed above it). */
function stepText(step: StepView, labHeading: boolean): string {
  const heading =
    step.count > 1
      ? `Step ${step.index + 1} of ${step.count}: ${step.title}\n\n`
      : labHeading
        ? ''
        : `Lab ${step.lab}: ${step.labTitle}\n\n`;
  return `${heading}${step.task}\n`;
}

function footer(id: string): string {
  return `\nHints: kubelab lab hint ${id}    Grade: kubelab grade ${id}\n`;
}

export async function startLab(id: string, options: LabOptions, io: CliIo): Promise<void> {
  const labs = await changingService(options, io);
  const result = await labErrors(() => labs.start(id, { onProgress: progress(io) }), io);
  for (const note of result.notes) io.err(`note: ${note}\n`);
  io.out(`Started lab ${id}: ${result.step.labTitle}\n\n${stepText(result.step, true)}`);
  if (result.starter !== undefined) {
    io.out(`\nStarter manifest (a copy to edit, then kubectl apply -f): ${result.starter}\n`);
  }
  io.out(footer(id));
}

export async function showStep(id: string, options: LabOptions, io: CliIo): Promise<void> {
  const labs = service(options, io, () => readTarget(options, io));
  const step = await labErrors(() => labs.current(id), io);
  io.out(`Lab ${id}: ${step.labTitle}\n\n${stepText(step, true)}`);
  io.out(footer(id));
}

export async function nextStep(
  id: string,
  options: LabOptions & { force?: boolean },
  io: CliIo,
): Promise<void> {
  const labs = await changingService(options, io);
  const result = await labErrors(
    () => labs.next(id, { onProgress: progress(io), force: Boolean(options.force) }),
    io,
  );
  for (const note of result.notes) io.err(`note: ${note}\n`);
  io.out(stepText(result.step, false));
  io.out(footer(id));
}

export async function showHint(id: string, options: LabOptions, io: CliIo): Promise<void> {
  const labs = service(options, io, () => readTarget(options, io));
  const hint = await labErrors(() => labs.hint(id), io);
  if (hint.total === 0) io.out('This step has no hints.\n');
  else if (hint.text === undefined) {
    io.out(`No more hints: all ${hint.total} have been shown.\n`);
  } else io.out(`Hint ${hint.shown} of ${hint.total}: ${hint.text}\n`);
}

export async function resetLab(id: string, options: LabOptions, io: CliIo): Promise<void> {
  const labs = await changingService(options, io);
  const result = await labErrors(() => labs.reset(id, { onProgress: progress(io) }), io);
  for (const note of result.notes) io.err(`note: ${note}\n`);
  io.out(
    result.notes.length
      ? `lab ${id} closed: its session is forgotten\n`
      : `lab ${id} closed: the cluster is back to its baseline\n`,
  );
}

/** A note as shell comments, so `--show` output stays a runnable script. */
function comment(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => (line ? `# ${line}` : '#'))
    .join('\n');
}

export async function solveLab(
  id: string,
  options: LabOptions & { show?: boolean; all?: boolean },
  io: CliIo,
): Promise<void> {
  if (options.show) {
    const labs = service(options, io, () => readTarget(options, io));
    const steps = await labErrors(() => labs.solution(id, { all: Boolean(options.all) }), io);
    const blocks: string[] = [];
    for (const [i, step] of steps.entries()) {
      const lines: string[] = [comment(`Step ${step.index + 1}: ${step.title}`)];
      if (i > 0) {
        lines.push(
          comment('(grade the step before; its setup runs when you move on)'),
          `kubelab grade ${id} && kubelab lab next ${id}`,
        );
      }
      for (const command of step.commands) {
        if (command.note !== undefined) lines.push(comment(command.note));
        lines.push(command.command ?? comment(`(${command.op}: no command-line form)`));
      }
      blocks.push(lines.join('\n'));
    }
    io.out(`${blocks.join('\n\n')}\n`);
    return;
  }
  const labs = await changingService(options, io);
  const lines = await labErrors(
    () => labs.solve(id, { all: Boolean(options.all), onProgress: progress(io) }),
    io,
  );
  for (const line of lines) io.out(`${line}\n`);
}

// -------------------------------------------------------------------------------------------
// grade, check

/** `--timeout 60s` (a Go duration, as kubectl's --timeout), in ms. */
export function parseTimeout(text: string): number {
  const parsed = parseGoDuration(text);
  if ('error' in parsed) throw new UsageError(`invalid --timeout "${text}": ${parsed.error}`);
  if (parsed.ms < 0) throw new UsageError(`invalid --timeout "${text}": must not be negative`);
  return parsed.ms;
}

const MARK = { passed: '✓', failed: '✗', error: '!' } as const;

const SHOULD_RUN = { 'must-run': 'yes', 'may-keep': 'may keep', 'must-not-run': 'no' } as const;

/**
 * The SHOULD RUN cell: a may-keep node (a pod there may stay, none would be placed there now)
 * reads "no" when it has no pod, so that the control plane of a DaemonSet that does not tolerate
 * its taint does not read as a place the pod might be.
 */
function shouldRunText(node: NodeFinding): string {
  return node.placement === 'may-keep' && node.pods.length === 0
    ? 'no'
    : SHOULD_RUN[node.placement];
}

function podText(pod: PodFinding): string {
  const state = pod.terminating
    ? 'Terminating'
    : pod.ready
      ? 'Ready'
      : pod.phase === 'Running'
        ? 'Running, not Ready'
        : pod.phase;
  return `${pod.name} (${state})`;
}

function placementTable(nodes: readonly NodeFinding[], indent: string): string[] {
  return table(
    [
      ['NODE', 'SHOULD RUN', 'PODS', 'VERDICT', 'WHY'],
      ...nodes.map((node) => [
        node.node,
        shouldRunText(node),
        node.pods.length ? node.pods.map(podText).join(', ') : '-',
        node.ok ? 'ok' : (node.problem ?? 'wrong'),
        node.reasons.length ? node.reasons.join('; ') : '-',
      ]),
    ],
    indent,
  );
}

/**
 * A check's lines; an accepted way (of an anyOf) that was not needed, because another is done,
 * is marked `-` rather than as a failure.
 */
function checkLines(check: CheckResult, indent: string, unused = false): string[] {
  const mark = unused ? '-' : MARK[check.status];
  const lines = [`${indent}${mark} ${check.title}: ${check.summary}`];
  if (check.nodes?.length) lines.push(...placementTable(check.nodes, `${indent}    `));
  for (const alternative of check.alternatives ?? []) {
    const notNeeded = check.status === 'passed' && alternative.status !== 'passed';
    lines.push(...checkLines(alternative, `${indent}    `, notNeeded));
  }
  return lines;
}

/** The exit code of a report: 0 passed, 1 some check failed, 2 none failed but some could not be checked. */
export function exitCodeOf(report: GradeReport): number {
  if (report.passed) return GRADE_EXIT.passed;
  return report.checks.some((c) => c.status === 'failed')
    ? GRADE_EXIT.failed
    : GRADE_EXIT.notGraded;
}

function points(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

/** The readable report: one line per check (✓ passed, ✗ failed, ! could not check), tables, verdict. */
export function renderReport(report: GradeReport, heading?: string): string {
  const lines: string[] = heading !== undefined ? [heading, ''] : [];
  for (const check of report.checks) lines.push(...checkLines(check, ''));
  lines.push('');
  const passed = report.checks.filter((c) => c.status === 'passed').length;
  const verdict = ['PASSED', 'FAILED', 'NOT GRADED'][exitCodeOf(report)];
  lines.push(
    `${verdict}: ${passed} of ${report.checks.length} check${report.checks.length === 1 ? '' : 's'} passed (score ${points(report.score)}/${points(report.maxScore)})`,
  );
  if (report.waited?.gaveUp !== undefined) {
    lines.push(
      `Graded without the cluster settling: gave up waiting after ${Math.round(report.waited.ms / 1000)}s on ${report.waited.gaveUp}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Runs a grading, turning every failure to grade into exit code 2. */
async function grading(work: () => Promise<GradeReport>, io: CliIo): Promise<GradeReport> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(error.message, GRADE_EXIT.notGraded);
    if (error instanceof LabError) {
      for (const problem of error.problems) io.err(`${formatProblem(problem)}\n`);
    }
    throw new UsageError(
      error instanceof Error ? error.message : String(error),
      GRADE_EXIT.notGraded,
    );
  }
}

export interface GradeCommandOptions extends LabOptions {
  readonly json?: boolean;
  readonly timeout?: number;
  readonly answer?: string;
}

export async function gradeLab(id: string, options: GradeCommandOptions, io: CliIo): Promise<void> {
  let heading = '';
  const report = await grading(async () => {
    const probe = service(options, io, () => Promise.reject(new Error('unused')));
    const session = await probe.session(id);
    const labs = service(options, io, () => readTarget(options, io, session?.server));
    const result = await labs.grade(id, {
      ...(options.answer !== undefined ? { answer: options.answer } : {}),
      ...(options.timeout !== undefined ? { timeoutMs: options.timeout } : {}),
      onProgress: options.json ? undefined : progress(io),
    });
    const step = result.step;
    heading =
      step.count > 1
        ? `Lab ${id}, step ${step.index + 1} of ${step.count}: ${step.title}`
        : `Lab ${id}: ${step.labTitle}`;
    return result.report;
  }, io);
  io.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report, heading));
  const code = exitCodeOf(report);
  if (code !== 0) throw new ExitStatus(code);
}

const DAEMONSET_WORDS = new Set([
  'ds',
  'daemonset',
  'daemonsets',
  'daemonset.apps',
  'daemonsets.apps',
]);

/** `ds/NAME` (or daemonset/NAME, daemonsets.apps/NAME) → NAME. */
export function parseDaemonSetArg(text: string): string {
  const slash = text.indexOf('/');
  const word = text.slice(0, slash).toLowerCase();
  const name = text.slice(slash + 1);
  if (slash < 0 || !DAEMONSET_WORDS.has(word) || name === '' || name.includes('/')) {
    throw new UsageError(`expected ds/NAME (a DaemonSet), got "${text}"`);
  }
  return name;
}

export interface CheckCommandOptions extends LabOptions {
  readonly namespace?: string;
  readonly json?: boolean;
  readonly timeout?: number;
}

export async function checkDaemonSet(
  what: string,
  options: CheckCommandOptions,
  io: CliIo,
): Promise<void> {
  const namespace = options.namespace ?? 'default';
  let name = '';
  // A bad argument is "could not grade" too: exit 1 must mean the DaemonSet is misplaced.
  const report = await grading(() => {
    name = parseDaemonSetArg(what);
    return service(options, io, () => readTarget(options, io)).checkDaemonSet(namespace, name, {
      ...(options.timeout !== undefined ? { timeoutMs: options.timeout } : {}),
      onProgress: options.json ? undefined : progress(io),
    });
  }, io);
  io.out(
    options.json
      ? `${JSON.stringify(report, null, 2)}\n`
      : renderReport(report, `DaemonSet ${namespace}/${name}`),
  );
  const code = exitCodeOf(report);
  if (code !== 0) throw new ExitStatus(code);
}

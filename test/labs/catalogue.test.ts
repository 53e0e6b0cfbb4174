// Golden tests of the lab catalogue (labs/): every lab, through the LabService on one embedded
// cluster, as a learner would play it. Its start fails grading; each step passes once its
// reference solution ran; its wrong answer (test/labs/wrong/<id>.yaml), and any further ones
// (test/labs/wrong/<id>.<variant>.yaml), fail the checks they name. The reports are written as
// goldens (goldens/<id>.start.txt, .solved.txt, .wrong.txt, .<variant>.wrong.txt) in the
// text `kubelab grade` prints, normalised (pod name suffixes, uids, times), so a change in what a
// learner reads shows in review. A new lab is picked up from the folder listing; it needs a wrong
// answer, an entry in START_FAILURES and a place in the topic map below.
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { renderReport } from '../../main/cli/labs';
import { openKubeClient, type KubeClient } from '../../main/cluster/kube-client';
import type { CheckResult, GradeReport } from '../../main/grader/report';
import { Operation, type LabOperation } from '../../main/labs/schema';
import { runOperation } from '../../main/services/lab-operations';
import {
  createLabService,
  type GradeResult,
  type LabService,
  type StepView,
} from '../../main/services/lab-service';
import { normalize, startTestCluster, type TestCluster } from '../support/cluster';
import { manifest } from './support';

const labsDir = join(import.meta.dirname, '..', '..', 'labs');
const wrongDir = join(import.meta.dirname, 'wrong');

const labIds = readdirSync(labsDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(labsDir, entry.name, 'lab.yaml')))
  .map((entry) => entry.name)
  .sort();

/** The wrong answers by name: `<id>` for a lab's first, `<id>.<variant>` for further ones. */
const wrongNames = readdirSync(wrongDir)
  .filter((name) => name.endsWith('.yaml'))
  .map((name) => name.slice(0, -'.yaml'.length))
  .sort();

/** The lab a wrong answer belongs to (lab ids have no dots). */
const labOf = (wrongName: string): string => wrongName.split('.')[0]!;

/** The checks of its first step each lab fails when it has just started (the others pass). */
const START_FAILURES: Readonly<Record<string, readonly string[]>> = {
  'daemonset-control-plane': [
    'collector-everywhere',
    'collector-image',
    'collector-container-name',
    'collector-label',
  ],
  'daemonset-create': [
    'exporter-on-workers',
    'exporter-image',
    'exporter-label',
    'exporter-container-name',
    'exporter-port',
  ],
  'daemonset-fix-apiversion': ['fluentd-on-workers', 'fluentd-selector', 'fluentd-image'],
  'daemonset-fix-selector': ['agent-on-workers', 'agent-selector'],
  'daemonset-fix-toleration': ['agent-on-every-worker'],
  'daemonset-from-deployment': ['shipper-on-workers', 'shipper-image', 'shipper-label'],
  'daemonset-node-affinity': [
    'cache-in-zones-a-b',
    'cache-required-affinity',
    'cache-affinity-in',
    'cache-image',
    'cache-container-name',
    'cache-label',
  ],
  'daemonset-node-joins': [
    'probe-on-workers',
    'probe-image',
    'probe-container-name',
    'probe-command',
    'probe-label',
  ],
  'daemonset-node-leaves': ['disk-watch-two-pods'],
  'daemonset-node-selector': [
    'monitor-on-ssd-nodes',
    'monitor-node-selector',
    'monitor-image',
    'monitor-container-name',
    'monitor-label',
  ],
  'daemonset-ondelete': ['cache-on-delete', 'cache-new-template', 'worker1-updated'],
  'daemonset-rolling-update': ['proxy-image', 'proxy-max-unavailable'],
  'deployment-one-per-node': [
    'one-memcached-per-node',
    'memcached-three-replicas',
    'memcached-anti-affinity',
    'memcached-image',
    'memcached-container-name',
  ],
  'deployment-vs-daemonset-replicas': [
    'web-three-replicas',
    'web-logs-per-worker',
    'web-shares-a-node',
    'web-container-name',
    'web-logs-image',
    'web-logs-container-name',
    'web-logs-command',
    'web-logs-label',
  ],
  'kube-system-daemonsets': ['inventory-daemonsets', 'inventory-deployments'],
  'node-notready': [
    'worker2-not-ready',
    'node-agent-not-replaced',
    'node-agent-kept-on-worker2',
    'node-agent-placement',
  ],
  'noexecute-taint': ['worker3-noexecute', 'web-left-worker3', 'metrics-agent-left'],
};

/** The catalogue of the lesson, topic by topic, and the lab that teaches each. */
const TOPICS: ReadonlyArray<readonly [topic: string, lab: string]> = [
  [
    'Create a DaemonSet from scratch (one pod per worker, none on the tainted control plane)',
    'daemonset-create',
  ],
  ['Run on every node, the control plane included', 'daemonset-control-plane'],
  [
    'Only on labelled nodes (nodeSelector), then relabel a node and watch the pod follow',
    'daemonset-node-selector',
  ],
  ['Required node affinity', 'daemonset-node-affinity'],
  ['A node is added: a pod appears', 'daemonset-node-joins'],
  ['A node is removed: its pod is gone', 'daemonset-node-leaves'],
  [
    'Convert `kubectl create deployment … --dry-run=client -o yaml` into a DaemonSet',
    'daemonset-from-deployment',
  ],
  ['Fix a broken DaemonSet: selector and labels mismatch', 'daemonset-fix-selector'],
  ['Fix a broken DaemonSet: missing toleration', 'daemonset-fix-toleration'],
  ['Fix a broken DaemonSet: wrong apiVersion', 'daemonset-fix-apiversion'],
  [
    'A Deployment with 3 replicas versus a DaemonSet on the same workers',
    'deployment-vs-daemonset-replicas',
  ],
  [
    'A Deployment imitating one-per-node with pod anti-affinity (one replica Pending)',
    'deployment-one-per-node',
  ],
  [
    'Rolling update of a DaemonSet image with maxUnavailable, then rollback',
    'daemonset-rolling-update',
  ],
  ['The OnDelete update strategy', 'daemonset-ondelete'],
  ['Tainting a node NoExecute, and which pods leave', 'noexecute-taint'],
  ['A node going NotReady: DaemonSet pods stay, Deployment pods are evicted', 'node-notready'],
  ['Inspect kube-system: kube-proxy and the CNI run as DaemonSets', 'kube-system-daemonsets'],
];

/**
 * A wrong answer: operations as in lab.yaml (manifests inline), run once the lab has reached
 * `step` (1-based, default 1: right after start; earlier steps are solved first), and the checks
 * of that step it must fail.
 */
const WrongAnswer = z
  .object({
    description: z.string().min(1),
    step: z.number().int().positive().optional(),
    operations: z.array(Operation).min(1),
    failsChecks: z.array(z.string()).min(1),
  })
  .strict();
type WrongAnswer = z.infer<typeof WrongAnswer>;

async function readWrongAnswer(name: string): Promise<WrongAnswer> {
  return WrongAnswer.parse(parse(await readFile(join(wrongDir, `${name}.yaml`), 'utf8')));
}

/** An operation of a fixture as the loader would make it (inline manifests parsed). */
function loaded(op: Operation): LabOperation {
  if (op.op !== 'apply') return op;
  if (typeof op.manifest !== 'string') {
    throw new Error('a wrong answer writes its manifests inline');
  }
  return { ...op, manifest: manifest(op.manifest) };
}

// Long enough for the slowest lab on a busy 2-core machine; nothing here is timed.
const LAB_TIMEOUT_MS = 180_000;

let cluster: TestCluster;
let client: KubeClient;
let state: string;
let labs: LabService;

beforeAll(async () => {
  // As many workers as the largest lab: start adds or removes workers to fit each lab.
  cluster = await startTestCluster({ workers: 3 });
  client = await openKubeClient({ kubeconfig: cluster.kubeconfig });
  state = await mkdtemp(join(tmpdir(), 'kubelab-catalogue-'));
  labs = createLabService({
    labsDir,
    stateDir: state,
    connect: () => Promise.resolve(client),
    pollMs: 20,
    settleTimeoutMs: 60_000,
  });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  if (state) await rm(state, { recursive: true, force: true });
});

/** The report as `kubelab grade` prints it, with the heading it prints. */
function rendered(id: string, result: GradeResult): string {
  const step: StepView = result.step;
  const heading =
    step.count > 1
      ? `Lab ${id}, step ${step.index + 1} of ${step.count}: ${step.title}`
      : `Lab ${id}: ${step.labTitle}`;
  return normalize(renderReport(result.report, heading));
}

const idsWith = (report: GradeReport, status: CheckResult['status']): string[] =>
  report.checks.filter((c) => c.status === status).map((c) => c.id);

/** The answer of a step's answer check: what the check expects, from a graded wrong guess. */
async function rightAnswer(id: string): Promise<string | undefined> {
  const { report } = await labs.grade(id, { answer: '?' });
  const asked = report.checks.find((c) => c.type === 'answer');
  if (!asked) return undefined;
  expect(asked.status, `${id}: "?" is no answer to ${asked.id}`).toBe('failed');
  const expected = asked.details?.expected;
  expect(Array.isArray(expected), `${id}: ${asked.id} reports what it expected`).toBe(true);
  return (expected as string[]).join(' ');
}

function expectPassed(result: GradeResult, where: string): void {
  const { report } = result;
  expect(
    report.checks.filter((c) => c.status !== 'passed').map((c) => `${c.id}: ${c.summary}`),
    where,
  ).toEqual([]);
  expect(report.passed, where).toBe(true);
  expect(report.score, where).toBe(report.maxScore);
  expect(report.waited?.gaveUp, where).toBeUndefined();
}

describe('the catalogue', () => {
  it('has labs, each with a wrong answer, and no wrong answer without a lab', () => {
    expect(labIds.length).toBeGreaterThan(0);
    expect(labIds.filter((id) => !wrongNames.includes(id))).toEqual([]);
    expect(wrongNames.filter((name) => !labIds.includes(labOf(name)))).toEqual([]);
  });

  it('maps every topic to a lab, and every lab to a topic', () => {
    expect(TOPICS.map(([, lab]) => lab).filter((lab) => !labIds.includes(lab))).toEqual([]);
    const taught = new Set(TOPICS.map(([, lab]) => lab));
    expect(labIds.filter((id) => !taught.has(id))).toEqual([]);
  });

  it('says which checks each lab fails at its start, for every lab and no other', () => {
    expect(Object.keys(START_FAILURES).sort()).toEqual(labIds);
  });
});

describe.each(labIds)('lab %s', (id) => {
  it(
    'fails at start and passes each step after its solution',
    async () => {
      const started = await labs.start(id);
      const count = started.step.count;
      const first = await labs.grade(id);
      expect(first.report.passed).toBe(false);
      expect(idsWith(first.report, 'failed')).toEqual(START_FAILURES[id] ?? []);
      expect(first.report.waited?.gaveUp).toBeUndefined();
      const before = [rendered(id, first)];
      const after: string[] = [];
      for (let index = 0; index < count; index++) {
        if (index > 0) {
          const moved = await labs.next(id);
          expect(moved.step.index).toBe(index);
          expect(moved.notes).toEqual([]);
          before.push(rendered(id, await labs.grade(id)));
        }
        await labs.solve(id);
        const answer = await rightAnswer(id);
        const solved = await labs.grade(id, answer !== undefined ? { answer } : {});
        expectPassed(solved, `${id}, step ${index + 1} of ${count}`);
        after.push(rendered(id, solved));
      }
      await expect(labs.next(id)).rejects.toMatchObject({ code: 'last-step' });
      await expect(before.join('\n')).toMatchFileSnapshot(`goldens/${id}.start.txt`);
      await expect(after.join('\n')).toMatchFileSnapshot(`goldens/${id}.solved.txt`);
    },
    LAB_TIMEOUT_MS,
  );

  it.each(wrongNames.filter((name) => labOf(name) === id))(
    'fails the checks its wrong answer %s names',
    async (name) => {
      const wrong = await readWrongAnswer(name);
      await labs.reset(id);
      let { session } = await labs.start(id);
      const step = wrong.step ?? 1;
      for (let index = 1; index < step; index++) {
        // `lab next` moves on from a step that has passed: solve it and grade it first.
        await labs.solve(id);
        const answer = await rightAnswer(id);
        expectPassed(
          await labs.grade(id, answer !== undefined ? { answer } : {}),
          `${name}, step ${index}`,
        );
        ({ session } = await labs.next(id));
      }
      const ctx = {
        client,
        backend: 'embedded' as const,
        roles: { ...session.roles },
        pollMs: 20,
      };
      for (const op of wrong.operations) await runOperation(loaded(op), ctx);
      const graded = await labs.grade(id);
      expect(graded.report.passed).toBe(false);
      const failed = idsWith(graded.report, 'failed');
      expect(
        wrong.failsChecks.filter((check) => !failed.includes(check)),
        `${id}: ${wrong.description}`,
      ).toEqual([]);
      await expect(`# ${wrong.description}\n\n${rendered(id, graded)}`).toMatchFileSnapshot(
        `goldens/${name}.wrong.txt`,
      );
      await labs.reset(id);
    },
    LAB_TIMEOUT_MS,
  );
});

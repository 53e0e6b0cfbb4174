// The lab service against an embedded cluster (in-process, pace Instant, a clock that stands
// still — the labs advance it themselves): start resets to the baseline, makes the workers the
// lab needs, applies node labels, taints and setup, and records what grading needs in the state
// folder; grading waits for the cluster to settle and never writes to it.
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKubeClient, type KubeClient } from '../../main/cluster/kube-client';
import type { KubeObject } from '../../main/kube/objects';
import { runOperation } from '../../main/services/lab-operations';
import {
  createLabService,
  LabError,
  type LabProgress,
  type LabService,
  type LabServiceDeps,
} from '../../main/services/lab-service';
import { startTestCluster, type TestCluster } from '../support/cluster';
import { apply } from './support';

const labsDir = join(import.meta.dirname, 'fixtures', 'labs');

let lab: TestCluster;
let client: KubeClient;
let state: string;

beforeAll(async () => {
  lab = await startTestCluster({ workers: 1 });
  client = await openKubeClient({ kubeconfig: lab.kubeconfig });
  state = await mkdtemp(join(tmpdir(), 'kubelab-labs-'));
});

afterAll(async () => {
  await lab?.stop();
  if (state) await rm(state, { recursive: true, force: true });
});

/** A client that records every request it is asked to make, then makes it. */
function recording(inner: KubeClient): { client: KubeClient; requests: string[] } {
  const requests: string[] = [];
  return {
    requests,
    client: {
      context: inner.context,
      server: inner.server,
      request(method, path, body, contentType) {
        requests.push(`${method} ${path}`);
        return inner.request(method, path, body, contentType);
      },
      call(method, path, body, contentType) {
        requests.push(`${method} ${path}`);
        return inner.call(method, path, body, contentType);
      },
    },
  };
}

function service(extra: Partial<LabServiceDeps> = {}, using: KubeClient = client): LabService {
  return createLabService({
    labsDir,
    stateDir: state,
    connect: () => Promise.resolve(using),
    pollMs: 20,
    settleTimeoutMs: 20_000,
    ...extra,
  });
}

async function nodeNames(): Promise<string[]> {
  const nodes = (await client.call('GET', '/api/v1/nodes')) as { items: KubeObject[] };
  return nodes.items.map((n) => n.metadata.name ?? '').sort();
}

const sessionFile = (id: string): string => join(state, 'labs', `${id}.json`);

describe('a lab from start to finish', () => {
  it('lists the labs, none started', async () => {
    const { labs, failures } = await service().list();
    expect(failures).toEqual([]);
    expect(labs.map((l) => [l.id, l.steps, l.backends, l.session])).toEqual([
      ['node-agent', 2, ['embedded', 'kind', 'context'], undefined],
      ['node-down', 1, ['embedded', 'kind'], undefined],
    ]);
  });

  it('starts: baseline, workers, node labels and taints, setup, and the session', async () => {
    const events: LabProgress[] = [];
    const result = await service().start('node-agent', { onProgress: (e) => events.push(e) });
    // Whether the setup had settled at the first look depends on timing: such events may come.
    const settling = (m: string): boolean => m.startsWith('waiting for the cluster to settle: ');
    expect(events.map((e) => e.message).filter((m) => !settling(m))).toEqual([
      'resetting the cluster to its baseline',
      'adding node/lab-worker2',
      'labeling node/lab-worker2',
      'tainting node/lab-worker2',
      'applying namespace/agents',
      'applying deployment.apps/web',
    ]);
    expect(result.notes).toEqual([
      'the cluster had no baseline: its state now is the one every lab starts from',
    ]);
    expect(result.step).toMatchObject({ lab: 'node-agent', index: 0, count: 2 });
    expect(result.step.title).toBe('Run the agent on every worker');
    expect(result.step.task).toContain('one pod runs on every worker, lab-worker2 included');
    expect(await nodeNames()).toEqual(['lab-control-plane', 'lab-worker', 'lab-worker2']);
    const worker2 = (await client.call('GET', '/api/v1/nodes/lab-worker2')) as KubeObject;
    expect(worker2.metadata.labels).toMatchObject({ disk: 'ssd' });
    expect(worker2.spec).toMatchObject({
      taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }],
    });
    const web = (await client.call(
      'GET',
      '/apis/apps/v1/namespaces/agents/deployments/web',
    )) as KubeObject;
    const saved = JSON.parse(await readFile(sessionFile('node-agent'), 'utf8')) as unknown;
    expect(saved).toEqual({
      lab: 'node-agent',
      step: 0,
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
      roles: { controlPlane: 'lab-control-plane', worker1: 'lab-worker', worker2: 'lab-worker2' },
      recorded: { 'apps/v1/Deployment/agents/web': web.metadata.uid },
      hintsShown: 0,
      server: client.server,
    });
    expect(result.session).toEqual(saved);
    // The starter manifest, a fresh copy to edit, roles resolved.
    expect(result.starter).toBe(join(state, 'labs', 'node-agent.starter.yaml'));
    expect(await readFile(result.starter!, 'utf8')).toMatch(
      /^# To finish: it must run on lab-worker2 too\.\napiVersion: apps\/v1\n/,
    );
    expect(await service().current('node-agent')).toEqual(result.step);
    expect((await service().list()).labs[0]!.session).toEqual({
      step: 0,
      startedAt: result.session.startedAt,
      passed: false,
    });
  });

  it('grades the seed as failed, reading only (every request a GET, the session untouched)', async () => {
    const before = await readFile(sessionFile('node-agent'), 'utf8');
    const spy = recording(client);
    const { report, step } = await service({}, spy.client).grade('node-agent');
    expect(step.index).toBe(0);
    expect(report.passed).toBe(false);
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['agent-everywhere', 'failed'],
      ['web-kept', 'passed'],
    ]);
    expect(report.checks[0]!.summary).toBe('daemonset.apps "agent" not found in namespace agents');
    expect(report.waited).toEqual({ ms: expect.any(Number) as unknown });
    expect(spy.requests.length).toBeGreaterThan(0);
    expect(spy.requests.filter((r) => !r.startsWith('GET '))).toEqual([]);
    expect(await readFile(sessionFile('node-agent'), 'utf8')).toBe(before);
    // A step that has not passed is not left behind, unless the learner insists.
    await expect(service().next('node-agent')).rejects.toMatchObject({
      code: 'not-passed',
      message:
        'step 1 of lab "node-agent" has not passed yet: grade it with "kubelab grade node-agent" (or move on anyway with "kubelab lab next node-agent --force")',
    });
  });

  it('gives hints one at a time, roles resolved', async () => {
    const labs = service();
    expect(await labs.hint('node-agent')).toEqual({
      text: 'A DaemonSet runs one pod on every node it may use; a Deployment does not care about nodes.',
      shown: 1,
      total: 2,
    });
    expect(await labs.hint('node-agent')).toEqual({
      text: '`kubectl describe node lab-worker2` shows its taint: the pods need a toleration.',
      shown: 2,
      total: 2,
    });
    expect(await labs.hint('node-agent')).toEqual({ shown: 2, total: 2 });
  });

  it('shows the solution as commands', async () => {
    const [step, ...rest] = await service().solution('node-agent');
    expect(rest).toEqual([]);
    expect(step!.commands.map((c) => c.op)).toEqual(['apply', 'wait']);
    expect(step!.commands[0]!.command).toMatch(/^kubectl apply -f - <<'EOF'\napiVersion: apps\/v1/);
    expect(step!.commands[0]!.note).toBe(
      'The toleration lets the DaemonSet place a pod on the tainted node.',
    );
    expect(step!.commands[1]!.command).toBe(
      "kubectl wait daemonset/agent -n agents --for=jsonpath='{.status.numberReady}'=2 --timeout=30s",
    );
    const all = await service().solution('node-agent', { all: true });
    expect(
      all.map((s) => [s.index, s.setup.map((c) => c.op), s.commands.map((c) => c.command)]),
    ).toEqual([
      [0, [], [step!.commands[0]!.command, step!.commands[1]!.command]],
      [1, ['patch'], ['kubectl rollout undo daemonset/agent -n agents --to-revision=1']],
    ]);
  });

  it('solves the step, and then grading passes, still reading only', async () => {
    expect(await service().solve('node-agent')).toEqual([
      'daemonset.apps/agent created',
      'daemonset.apps/agent condition met',
    ]);
    const spy = recording(client);
    const { report } = await service({}, spy.client).grade('node-agent');
    expect(report.passed).toBe(true);
    expect(report.score).toBe(4);
    // A pass is remembered in the state folder (never in the cluster): next may move on.
    expect((await service().session('node-agent'))?.passed).toBe(true);
    expect((await service().list()).labs[0]!.session).toMatchObject({ step: 0, passed: true });
    const placement = report.checks[0]!;
    expect(placement.nodes?.map((n) => [n.node, n.placement, n.ok])).toEqual([
      ['lab-control-plane', 'may-keep', true],
      ['lab-worker', 'must-run', true],
      ['lab-worker2', 'must-run', true],
    ]);
    expect(spy.requests.filter((r) => !r.startsWith('GET '))).toEqual([]);
  });

  it('fails objectKept when the object was deleted and made again', async () => {
    const ctx = { client, backend: 'embedded' as const, roles: {} };
    const web = await readFile(join(labsDir, 'node-agent', 'seed', 'web.yaml'), 'utf8');
    await runOperation(
      {
        op: 'delete',
        target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'agents', name: 'web' },
      },
      ctx,
    );
    await runOperation(apply(web), ctx);
    const { report } = await service().grade('node-agent');
    expect(report.checks[1]).toMatchObject({
      id: 'web-kept',
      status: 'failed',
      summary:
        'deployment.apps/web was deleted and created again (its uid changed): the lab asks to change it in place',
    });
  });

  it('moves to the next step, which needs an answer', async () => {
    const result = await service().next('node-agent');
    expect(result.step).toMatchObject({ index: 1, count: 2, title: 'Roll back a bad image' });
    const saved = JSON.parse(await readFile(sessionFile('node-agent'), 'utf8')) as {
      step: number;
      hintsShown: number;
    };
    expect(saved).toMatchObject({ step: 1, hintsShown: 0 });
    expect(saved).not.toHaveProperty('passed');
    const { report } = await service().grade('node-agent');
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['agent-rolled-back', 'failed'],
      ['agent-count', 'error'],
    ]);
    await service().solve('node-agent');
    const graded = await service().grade('node-agent', { answer: '2' });
    expect(graded.report.passed).toBe(true);
    await expect(service().next('node-agent')).rejects.toMatchObject({
      code: 'last-step',
      message:
        'lab "node-agent" is at its last step (2 of 2): grade it with "kubelab grade node-agent"',
    });
  });

  it('refuses to grade a lab not started, unknown, or started on another cluster', async () => {
    await expect(service().grade('node-down')).rejects.toMatchObject({
      code: 'not-started',
      message: 'lab "node-down" has not been started: run "kubelab lab start node-down" first',
    });
    await expect(service().grade('no-such-lab')).rejects.toMatchObject({ code: 'not-found' });
    const elsewhere = await mkdtemp(join(tmpdir(), 'kubelab-labs-'));
    const session = JSON.parse(await readFile(sessionFile('node-agent'), 'utf8')) as object;
    await mkdir(join(elsewhere, 'labs'));
    await writeFile(
      join(elsewhere, 'labs', 'node-agent.json'),
      JSON.stringify({ ...session, server: 'https://127.0.0.1:9' }),
    );
    const other = service({ stateDir: elsewhere });
    const refused = other.grade('node-agent');
    await expect(refused).rejects.toBeInstanceOf(LabError);
    await expect(refused).rejects.toMatchObject({
      code: 'other-cluster',
      message: `lab "node-agent" was started on the cluster at https://127.0.0.1:9, not on this one (${client.server}): start it here with "kubelab lab start node-agent", or choose that cluster`,
    });
    await rm(elsewhere, { recursive: true, force: true });
  });

  it('starts a lab whose setup adds a node, and grades after its solution ages the cluster', async () => {
    const result = await service().start('node-down');
    // Starting it reset the cluster: node-agent's session is gone with its starter.
    expect(result.notes).toContain(
      'lab "node-agent" was closed: one lab at a time runs on a cluster, and this one reset it',
    );
    expect(await service().session('node-agent')).toBeUndefined();
    await expect(stat(join(state, 'labs', 'node-agent.starter.yaml'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
    expect(result.starter).toBeUndefined();
    // The baseline took lab-worker2 away; the lab's own nodeAdd brought it back.
    expect(result.session.roles).toEqual({
      controlPlane: 'lab-control-plane',
      worker1: 'lab-worker',
      worker2: 'lab-worker2',
    });
    expect(await nodeNames()).toEqual(['lab-control-plane', 'lab-worker', 'lab-worker2']);
    expect((await service().grade('node-down')).report.checks.map((c) => c.status)).toEqual([
      'failed',
      'passed',
    ]);
    expect(await service().solve('node-down')).toEqual([
      'node/lab-worker2 stopped',
      'cluster advanced by 1m (60s in all)',
    ]);
    const spy = recording(client);
    expect((await service({}, spy.client).grade('node-down')).report.passed).toBe(true);
    expect(spy.requests.filter((r) => !r.startsWith('GET '))).toEqual([]);
  });

  it('refuses a lab on a backend it does not list, and a cluster with too few workers', async () => {
    await expect(service({ backend: 'context' }).start('node-down')).rejects.toMatchObject({
      code: 'backend',
      message: `lab "node-down" runs on embedded, kind, and the cluster at ${client.server} is a context cluster`,
    });
    await runOperation(
      { op: 'nodeRemove', node: 'lab-worker2' },
      {
        client,
        backend: 'embedded',
        roles: {},
      },
    );
    await expect(service({ backend: 'kind' }).start('node-agent')).rejects.toMatchObject({
      code: 'workers',
      message:
        'lab "node-agent" needs 2 worker nodes and this kind cluster has 1 (named <cluster>-worker, <cluster>-worker2…): make a cluster with 2 workers',
    });
  });

  it('resets the cluster to its baseline and forgets the session', async () => {
    expect(await service().reset('node-down')).toEqual({ notes: [] });
    expect(await nodeNames()).toEqual(['lab-control-plane', 'lab-worker']);
    await expect(readFile(sessionFile('node-down'), 'utf8')).rejects.toMatchObject({
      code: 'ENOENT',
    });
    expect((await client.request('GET', '/api/v1/namespaces/agents')).status).toBe(404);
  });
});

describe('checking any DaemonSet', () => {
  it('reports placement node by node, and says on what it gave up waiting', async () => {
    const ctx = { client, backend: 'embedded' as const, roles: {} };
    await runOperation(
      apply(`apiVersion: v1
kind: Namespace
metadata:
  name: slow
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: slow
  namespace: slow
spec:
  selector:
    matchLabels: { app: slow }
  template:
    metadata:
      labels: { app: slow }
    spec:
      containers:
        - name: slow
          image: nginx:1.27
          readinessProbe:
            initialDelaySeconds: 600
            httpGet: { port: 80 }
`),
      ctx,
    );
    await lab.settle();
    const spy = recording(client);
    const report = await service({}, spy.client).checkDaemonSet('slow', 'slow', { timeoutMs: 300 });
    expect(report.waited?.gaveUp).toMatch(
      /^pod\/slow-[a-z0-9]{5}: Running on lab-worker, not Ready yet/,
    );
    expect(report.checks[0]!.nodes?.map((n) => n.node)).toEqual([
      'lab-control-plane',
      'lab-worker',
    ]);
    expect(spy.requests.filter((r) => !r.startsWith('GET '))).toEqual([]);
    expect(spy.requests.length).toBeGreaterThan(kindsRead);
    await expect(service().checkDaemonSet('slow', 'nope')).rejects.toMatchObject({
      code: 'not-found',
      message: 'Error from server (NotFound): daemonsets.apps "nope" not found',
    });
  });
});

/** The kinds one snapshot reads: more requests than this means grading polled. */
const kindsRead = 6;

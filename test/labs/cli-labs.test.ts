// The lab commands through the built CLI against a cluster `kubelab cluster start` runs: what
// they print and their exit codes (grade and check: 0 passed, 1 failed, 2 could not grade), and
// the ownership rule — start changes only clusters Kubelab started; grade and check only read,
// so any context will do.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKubelab, type Running } from '../support/processes';

const fixtures = join(import.meta.dirname, 'fixtures');
const labsDir = join(fixtures, 'labs');

let home: string;
let kubeconfig: string;
let cluster: Running;

function env(): NodeJS.ProcessEnv {
  return { KUBELAB_HOME: join(home, 'state'), KUBECONFIG: '', HOME: home };
}

async function kubelab(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const run = runKubelab(args, env());
  const code = await new Promise<number | null>((resolve) => run.child.on('exit', resolve));
  return { code, out: run.output(), err: run.errors() };
}

const lab = (args: string[]): Promise<{ code: number | null; out: string; err: string }> =>
  kubelab([...args, '--labs-dir', labsDir]);

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'kubelab-cli-labs-'));
  kubeconfig = join(home, 'kubeconfig');
  cluster = runKubelab(
    [
      'cluster',
      'start',
      '--name',
      'lab',
      '--workers',
      '1',
      '--pace',
      'instant',
      '--kubeconfig',
      kubeconfig,
    ],
    env(),
  );
  await cluster.waitFor(/^ready: /m, 30_000);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('kubelab labs', () => {
  it('lists the labs as a table and as JSON', async () => {
    const listed = await lab(['labs', 'list']);
    expect(listed).toMatchObject({ code: 0, err: '' });
    expect(listed.out).toBe(
      [
        'ID           LEVEL          MINUTES   STEPS   BACKENDS                STATUS   TITLE',
        'node-agent   beginner       10        2       embedded,kind,context   -        A node agent on every node',
        'node-down    intermediate   5         1       embedded,kind           -        A node loses power',
        '',
      ].join('\n'),
    );
    const json = await lab(['labs', 'list', '--json']);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.out) as { labs: Array<{ id: string }>; failures: unknown[] };
    expect(parsed.labs.map((l) => l.id)).toEqual(['node-agent', 'node-down']);
    expect(parsed.failures).toEqual([]);
  });

  it('validates a folder: file:line:col lines and exit 1 on problems', async () => {
    expect(await kubelab(['labs', 'validate', labsDir])).toMatchObject({
      code: 0,
      out: '2 labs valid\n',
    });
    expect(await kubelab(['labs', 'validate', join(fixtures, 'broken')])).toEqual({
      code: 1,
      out: 'broken/bad-check/lab.yaml:10:5: checks[0]: missing required field "name"\n',
      err: '1 of 1 lab with problems\n',
    });
    expect(await kubelab(['labs', 'validate', join(fixtures, 'nowhere')])).toMatchObject({
      code: 1,
      err: `error: ${join(fixtures, 'nowhere')} is not a folder of labs\n`,
    });
  });
});

describe('kubelab lab and grade', () => {
  it('cannot grade a lab that was not started (exit 2)', async () => {
    expect(await lab(['grade', 'node-agent'])).toEqual({
      code: 2,
      out: '',
      err: 'error: lab "node-agent" has not been started: run "kubelab lab start node-agent" first\n',
    });
  });

  it('starts a lab: progress on stderr, the task on stdout', async () => {
    const started = await lab(['lab', 'start', 'node-agent']);
    expect(started.code).toBe(0);
    // Whether the setup had settled at the first look depends on timing: such lines may come.
    const progress = started.err
      .split('\n')
      .filter((line) => !line.startsWith('waiting for the cluster to settle: '))
      .join('\n');
    expect(progress).toBe(
      [
        'resetting the cluster to its baseline',
        'adding node/lab-worker2',
        'labeling node/lab-worker2',
        'tainting node/lab-worker2',
        'applying namespace/agents',
        'applying deployment.apps/web',
        'note: the cluster had no baseline: its state now is the one every lab starts from',
        '',
      ].join('\n'),
    );
    expect(started.out).toBe(`Started lab node-agent: A node agent on every node

Step 1 of 2: Run the agent on every worker

Namespace \`agents\` holds a Deployment \`web\`. Node lab-worker2 has SSDs and is tainted
\`gpu=true:NoSchedule\`.

Create a DaemonSet \`agent\` in namespace \`agents\` running image \`busybox:1.36\` with the
command \`sleep 3600\`, so that one pod runs on every worker, lab-worker2 included.

Starter manifest (a copy to edit, then kubectl apply -f): ${join(home, 'state', 'labs', 'node-agent.starter.yaml')}

Hints: kubelab lab hint node-agent    Grade: kubelab grade node-agent
`);
    const shown = await lab(['lab', 'show', 'node-agent']);
    expect(shown.code).toBe(0);
    expect(shown.out).toMatch(
      /^Lab node-agent: A node agent on every node\n\nStep 1 of 2: Run the agent on every worker\n\nNamespace `agents`/,
    );
    expect(shown.out).toMatch(
      /\nHints: kubelab lab hint node-agent {4}Grade: kubelab grade node-agent\n$/,
    );
    // Not passed yet: next refuses, and says how to go on.
    expect(await lab(['lab', 'next', 'node-agent'])).toMatchObject({
      code: 1,
      out: '',
      err: 'error: step 1 of lab "node-agent" has not passed yet: grade it with "kubelab grade node-agent" (or move on anyway with "kubelab lab next node-agent --force")\n',
    });
  });

  it('grades the seed: a readable report, exit 1; --json the report itself', async () => {
    const graded = await lab(['grade', 'node-agent']);
    expect(graded).toMatchObject({ code: 1, err: '' });
    expect(graded.out).toBe(`Lab node-agent, step 1 of 2: Run the agent on every worker

✗ One agent pod on every worker: daemonset.apps "agent" not found in namespace agents
✓ The web Deployment is untouched: deployment.apps/web is the same object as when the lab started

FAILED: 1 of 2 checks passed (score 1/4)
`);
    const json = await lab(['grade', 'node-agent', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({
      schemaVersion: 1,
      lab: 'node-agent',
      passed: false,
      score: 1,
      maxScore: 4,
      waited: { ms: expect.any(Number) as unknown },
    });
  });

  it('gives a hint and shows the solution as commands', async () => {
    expect(await lab(['lab', 'hint', 'node-agent'])).toEqual({
      code: 0,
      out: 'Hint 1 of 2: A DaemonSet runs one pod on every node it may use; a Deployment does not care about nodes.\n',
      err: '',
    });
    const shown = await lab(['lab', 'solve', 'node-agent', '--show']);
    expect(shown.code).toBe(0);
    expect(shown.out).toBe(`# Step 1: Run the agent on every worker
# The toleration lets the DaemonSet place a pod on the tainted node.
kubectl apply -f - <<'EOF'
${await readFile(join(labsDir, 'node-agent', 'solution', 'agent.yaml'), 'utf8')}EOF
kubectl wait daemonset/agent -n agents --for=jsonpath='{.status.numberReady}'=2 --timeout=30s
`);
  });

  it('solves the step; then grading passes with the per-node table (exit 0)', async () => {
    expect(await lab(['lab', 'solve', 'node-agent'])).toMatchObject({
      code: 0,
      out: 'daemonset.apps/agent created\ndaemonset.apps/agent condition met\n',
    });
    const graded = await lab(['grade', 'node-agent', '--timeout', '30s']);
    expect(graded.code).toBe(0);
    const lines = graded.out.split('\n');
    expect(lines[2]).toBe(
      '✓ One agent pod on every worker: daemonset.apps/agent runs one Ready pod on each of the 2 nodes it should run on',
    );
    expect(lines[3]).toMatch(/^ {4}NODE {16}SHOULD RUN {3}PODS {18}VERDICT {3}WHY$/);
    expect(lines[4]).toMatch(
      /^ {4}lab-control-plane {3}no {11}- {21}ok {8}taint node-role.kubernetes.io\/control-plane:NoSchedule not tolerated$/,
    );
    expect(lines[5]).toMatch(/^ {4}lab-worker {10}yes {10}agent-[a-z0-9]{5} \(Ready\) {3}ok {8}-$/);
    expect(lines[6]).toMatch(
      /^ {4}lab-worker2 {9}yes {10}agent-[a-z0-9]{5} \(Ready\) {3}ok {8}taint gpu=true:NoSchedule tolerated$/,
    );
    expect(lines.at(-2)).toBe('PASSED: 2 of 2 checks passed (score 4/4)');
  });

  it('needs an answer in the next step: exit 1, then 0 with --answer', async () => {
    const next = await lab(['lab', 'next', 'node-agent']);
    expect(next.code).toBe(0);
    expect(next.out).toMatch(/^Step 2 of 2: Roll back a bad image\n/);
    await lab(['lab', 'solve', 'node-agent']);
    const unanswered = await lab(['grade', 'node-agent']);
    expect(unanswered.code).toBe(2);
    expect(unanswered.out).toContain(
      '! How many agent pods should run?: this check needs an answer: kubelab grade node-agent --answer …',
    );
    expect(unanswered.out).toContain('NOT GRADED: 1 of 2 checks passed (score 1/2)');
    expect((await lab(['grade', 'node-agent', '--answer', '2'])).code).toBe(0);
    expect((await lab(['grade', 'node-agent', '--answer', '3'])).code).toBe(1);
    expect((await lab(['labs', 'list'])).out).toMatch(/^node-agent .* passed {3}A node agent/m);
  });
});

describe('kubelab check', () => {
  it('reports any DaemonSet node by node; exit 2 when it is not there', async () => {
    const checked = await kubelab(['check', 'ds/kindnet', '-n', 'kube-system']);
    expect(checked.code).toBe(0);
    expect(checked.out.split('\n').slice(0, 4)).toEqual([
      'DaemonSet kube-system/kindnet',
      '',
      '✓ daemonset.apps/kindnet runs where it should: daemonset.apps/kindnet runs one Ready pod on each of the 3 nodes it should run on',
      expect.stringMatching(/^ {4}NODE +SHOULD RUN +PODS +VERDICT +WHY$/) as unknown,
    ]);
    const json = await kubelab(['check', 'daemonset.apps/agent', '-n', 'agents', '--json']);
    expect(json.code).toBe(0);
    expect(
      (JSON.parse(json.out) as { checks: Array<{ nodes: unknown[] }> }).checks[0]!.nodes,
    ).toHaveLength(3);
    expect(await kubelab(['check', 'ds/nope'])).toEqual({
      code: 2,
      out: '',
      err: 'error: Error from server (NotFound): daemonsets.apps "nope" not found\n',
    });
    expect(await kubelab(['check', 'deploy/web'])).toMatchObject({
      code: 2,
      err: 'error: expected ds/NAME (a DaemonSet), got "deploy/web"\n',
    });
  });
});

describe('which cluster', () => {
  it('start refuses a context Kubelab did not start; grade and check only read, so try it', async () => {
    const foreign = join(home, 'foreign');
    await writeFile(
      foreign,
      (await readFile(kubeconfig, 'utf8')).replace(
        /server: https:\/\/127\.0\.0\.1:\d+/,
        'server: https://127.0.0.1:9',
      ),
    );
    expect(await lab(['lab', 'start', 'node-agent', '--kubeconfig', foreign])).toMatchObject({
      code: 1,
      err: 'error: refusing to change the cluster of context "kubelab-lab" (https://127.0.0.1:9): Kubelab did not start it. Pass --yes to act on it anyway.\n',
    });
    const checked = await kubelab(['check', 'ds/agent', '-n', 'agents', '--kubeconfig', foreign]);
    expect(checked.code).toBe(2);
    expect(checked.err).toMatch(/^error: cannot reach the cluster at https:\/\/127\.0\.0\.1:9: /);
    const graded = await lab(['grade', 'node-agent', '--kubeconfig', foreign]);
    expect(graded.code).toBe(2);
    expect(graded.err).toMatch(
      /^error: lab "node-agent" was started on the cluster at https:\/\/127\.0\.0\.1:\d+, not on this one \(https:\/\/127\.0\.0\.1:9\)/,
    );
  });

  it('resets the lab: the cluster goes back to its baseline', async () => {
    expect(await lab(['lab', 'reset', 'node-agent'])).toMatchObject({
      code: 0,
      out: 'lab node-agent closed: the cluster is back to its baseline\n',
    });
    expect((await lab(['labs', 'list'])).out).not.toContain('started');
    expect((await lab(['labs', 'list'])).out).not.toContain('passed');
  });
});

// `kubelab node add|remove|stop|start` and `kubelab cluster advance` against a running embedded
// cluster, through the built CLI, checked with the real kubectl; and the ownership rule: Kubelab
// changes only clusters it started unless told `--context X --yes`.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlBinary } from '../support/cluster';
import { runKubelab, type Running } from '../support/processes';

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

function kubectl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      kubectlBinary(),
      args,
      { env: { KUBECONFIG: kubeconfig, HOME: home } },
      (e, out, err) => (e ? reject(new Error(err)) : resolve(out)),
    );
  });
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'kubelab-nodes-'));
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
  await rm(home, { recursive: true, force: true });
});

describe('kubelab node and cluster advance', () => {
  it('adds a node with labels, taints and the next worker name, and removes it', async () => {
    const added = await kubelab([
      'node',
      'add',
      '--labels',
      'disk=ssd',
      '--taints',
      'dedicated=gpu:NoSchedule',
    ]);
    expect(added).toMatchObject({ code: 0, out: 'node/lab-worker2 added\n', err: '' });
    const node = JSON.parse(await kubectl(['get', 'node', 'lab-worker2', '-o', 'json'])) as {
      metadata: { labels: Record<string, string> };
      spec: { taints: unknown[]; podCIDR: string };
    };
    expect(node.metadata.labels).toMatchObject({
      disk: 'ssd',
      'kubernetes.io/hostname': 'lab-worker2',
    });
    expect(node.spec.taints).toEqual([{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]);
    expect(node.spec.podCIDR).toBe('10.244.2.0/24');
    expect(await kubelab(['node', 'add', '--name', 'lab-worker2'])).toMatchObject({
      code: 1,
      err: 'error: node "lab-worker2" already exists\n',
    });
    expect(await kubelab(['node', 'add', '--taints', 'x:Sometimes'])).toMatchObject({
      code: 1,
      err: 'error: invalid taint "x:Sometimes": expected key[=value]:Effect with Effect one of NoSchedule, PreferNoSchedule, NoExecute\n',
    });
    expect(await kubelab(['node', 'remove', 'lab-worker2'])).toMatchObject({
      code: 0,
      out: 'node/lab-worker2 removed\n',
    });
    expect(await kubectl(['get', 'nodes', '-o', 'name'])).toBe(
      'node/lab-control-plane\nnode/lab-worker\n',
    );
  });

  it('stops and starts a kubelet', async () => {
    expect((await kubelab(['node', 'stop', 'lab-worker'])).out).toBe('node/lab-worker stopped\n');
    expect(await kubectl(['get', 'kubelet', 'lab-worker', '-o', 'jsonpath={.spec.state}'])).toBe(
      'Stopped',
    );
    expect((await kubelab(['node', 'start', 'lab-worker'])).out).toBe('node/lab-worker started\n');
    expect(await kubectl(['get', 'kubelet', 'lab-worker', '-o', 'jsonpath={.spec.state}'])).toBe(
      'Running',
    );
    expect(await kubelab(['node', 'stop', 'nowhere'])).toMatchObject({
      code: 1,
      err: 'error: Error from server (NotFound): kubelets.kubelab.dev "nowhere" not found\n',
    });
  });

  it('advances the cluster clock', async () => {
    expect(await kubelab(['cluster', 'advance', '2m'])).toMatchObject({
      code: 0,
      out: 'cluster "lab" advanced by 2m (120s in all)\n',
    });
    expect(
      await kubectl(['get', 'clock', 'cluster', '-o', 'jsonpath={.status.advancedSeconds}']),
    ).toBe('120');
  });

  it('changes only clusters Kubelab started, unless told --yes', async () => {
    // The same cluster under another context name is still Kubelab's.
    const renamed = join(home, 'renamed');
    await writeFile(
      renamed,
      (await readFile(kubeconfig, 'utf8')).replaceAll('kubelab-lab', 'mine'),
    );
    expect(
      (await kubelab(['node', 'stop', 'lab-worker', '--kubeconfig', renamed, '--context', 'mine']))
        .out,
    ).toBe('node/lab-worker stopped\n');
    await kubelab(['node', 'start', 'lab-worker']);
    // Another server is not.
    const foreign = join(home, 'foreign');
    await writeFile(
      foreign,
      (await readFile(kubeconfig, 'utf8')).replace(
        /server: https:\/\/127\.0\.0\.1:\d+/,
        'server: https://127.0.0.1:9',
      ),
    );
    expect(await kubelab(['node', 'stop', 'lab-worker', '--kubeconfig', foreign])).toMatchObject({
      code: 1,
      err: 'error: refusing to change the cluster of context "kubelab-lab" (https://127.0.0.1:9): Kubelab did not start it. Pass --yes to act on it anyway.\n',
    });
    const forced = await kubelab(['node', 'stop', 'lab-worker', '--kubeconfig', foreign, '--yes']);
    expect(forced.code).toBe(1);
    expect(forced.err).toMatch(/^error: cannot reach the cluster at https:\/\/127\.0\.0\.1:9: /);
  });
});

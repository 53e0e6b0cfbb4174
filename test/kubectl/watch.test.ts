// Watching with the real kubectl: `get -w` prints events as they happen and exits when the server
// closes the stream; too-old resource versions end a watch with a 410 Expired event.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlBinary, startTestCluster, type TestCluster } from '../support/cluster';

let lab: TestCluster;

beforeAll(async () => {
  lab = await startTestCluster({ workers: 1 });
});

afterAll(async () => {
  await lab?.stop();
});

function watch(args: string[]): {
  output: () => string;
  exited: Promise<number | null>;
  waitFor: (text: string) => Promise<void>;
} {
  const child = spawn(kubectlBinary(), args, {
    env: { PATH: process.env.PATH ?? '', HOME: lab.home, KUBECONFIG: lab.kubeconfig },
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    output: () => out,
    exited,
    waitFor: (text) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const tick = (): void => {
          if (out.includes(text)) resolve();
          else if (Date.now() - started > 10_000)
            reject(
              new Error(`timed out waiting for ${JSON.stringify(text)} in ${JSON.stringify(out)}`),
            );
          else setTimeout(tick, 20);
        };
        tick();
      }),
  };
}

describe('kubectl get -w', () => {
  it('prints the list, then each change, and exits 0 when the server ends the stream', async () => {
    await lab.kubectl(['create', 'namespace', 'w']);
    await lab.kubectl(['create', 'configmap', 'first', '--from-literal=a=1', '-n', 'w']);
    const watcher = watch(['get', 'configmaps', '-n', 'w', '-w', '--request-timeout=0']);
    await watcher.waitFor('first');
    await lab.kubectl([
      'create',
      'configmap',
      'second',
      '--from-literal=a=1',
      '--from-literal=b=2',
      '-n',
      'w',
    ]);
    await watcher.waitFor('second');
    await lab.kubectl(['label', 'configmap', 'second', 'x=y', '-n', 'w']);
    await lab.kubectl(['delete', 'configmap', 'first', '-n', 'w']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    lab.cluster.registry.store.closeAllWatches('test ends the watch');
    expect(await watcher.exited).toBe(0);
    const lines = watcher.output().trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+DATA\s+AGE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual([
      'first 1',
      'kube-root-ca.crt 1',
      'second 2',
      'second 2',
      'first 1',
    ]);
  });

  it('a watch from a resource version older than the history gets an ERROR event with 410 Expired', async () => {
    const small = await startTestCluster({ workers: 1, historySize: 20 });
    try {
      for (let i = 0; i < 30; i++)
        await small.kubectl(['create', 'configmap', `c${i}`, '--from-literal=a=b']);
      const result = await small.kubectl([
        'get',
        '--raw',
        '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1&timeoutSeconds=5',
      ]);
      expect(result.code).toBe(0);
      const events = result.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { type: string; object: Record<string, unknown> });
      expect(events).toHaveLength(1);
      expect(events[0]!.type).toBe('ERROR');
      expect(events[0]!.object).toMatchObject({
        kind: 'Status',
        status: 'Failure',
        reason: 'Expired',
        code: 410,
      });
      expect(String(events[0]!.object.message)).toMatch(/^too old resource version: 1 \(\d+\)$/);
    } finally {
      await small.stop();
    }
  });
});

// The embedded backend: the cluster in a process of its own (the CLI's code path), started and
// changed through the ClusterBackend interface, checked with the real kubectl.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBackend } from '../../main/cluster/embedded-backend';
import type { BackendStatus, ProgressEvent } from '../../main/cluster/backend';
import { kubectlBinary } from '../support/cluster';
import { repoRoot } from '../support/processes';

let home: string;
let backend: EmbeddedBackend;
const statuses: BackendStatus[] = [];
const progress: ProgressEvent[] = [];

function kubectl(args: string[]): Promise<{ out: string; err: string }> {
  const ref = backend.kubeconfig()!;
  return new Promise((resolve) => {
    execFile(
      kubectlBinary(),
      ['--context', ref.context, ...args],
      { env: { KUBECONFIG: ref.path, HOME: home } },
      (_, out, err) => resolve({ out, err }),
    );
  });
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'kubelab-backend-'));
  backend = new EmbeddedBackend({
    node: process.execPath,
    cli: join(repoRoot, 'out', 'node', 'kubelab.cjs'),
    name: 'lab',
    workers: 1,
    pace: 'instant',
    kubeconfig: join(home, 'kubeconfig'),
    env: { KUBELAB_HOME: join(home, 'state') },
  });
  backend.onStatus((status) => statuses.push(status));
  await backend.start((event) => progress.push(event));
}, 60_000);

afterAll(async () => {
  await backend?.stop();
  await rm(home, { recursive: true, force: true });
});

describe('EmbeddedBackend', () => {
  it('starts the cluster in its own process, reporting status and progress', async () => {
    expect(statuses.map((s) => s.state)).toEqual(['starting', 'running']);
    expect(backend.status().server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(progress.at(-1)).toMatchObject({ message: 'ready' });
    expect(progress.map((p) => p.done)).toEqual(
      [...progress.map((p) => p.done)].sort((a, b) => a - b),
    );
    expect((await kubectl(['get', 'nodes', '-o', 'name'])).out).toBe(
      'node/lab-control-plane\nnode/lab-worker\n',
    );
    expect(backend.capabilities()).toEqual({
      addRemoveNodes: true,
      stopStartNodes: true,
      advanceClock: true,
      pace: true,
      reset: true,
    });
  });

  it('adds and stops nodes, advances the clock and sets the pace', async () => {
    expect(await backend.addNode({ labels: { disk: 'ssd' } })).toBe('lab-worker2');
    await backend.stopNode('lab-worker2');
    expect(
      (await kubectl(['get', 'kubelet', 'lab-worker2', '-o', 'jsonpath={.spec.state}'])).out,
    ).toBe('Stopped');
    await backend.advanceClock('1m');
    await backend.setPace('realistic');
    expect(
      (
        await kubectl([
          'get',
          'clock',
          'cluster',
          '-o',
          'jsonpath={.spec.pace} {.status.advancedSeconds}',
        ])
      ).out,
    ).toBe('Realistic 60');
  });

  it('reset puts the cluster back to its baseline', async () => {
    await kubectl(['create', 'namespace', 'scratch']);
    await backend.reset();
    expect((await kubectl(['get', 'namespace', 'scratch'])).err).toBe(
      'Error from server (NotFound): namespaces "scratch" not found\n',
    );
    // The node added after the baseline is gone too.
    expect((await kubectl(['get', 'nodes', '-o', 'name'])).out).toBe(
      'node/lab-control-plane\nnode/lab-worker\n',
    );
  });

  it('stops, and a failed start says why', async () => {
    await backend.stop();
    expect(backend.status()).toEqual({ state: 'stopped' });
    const broken = new EmbeddedBackend({
      node: process.execPath,
      cli: join(repoRoot, 'out', 'node', 'kubelab.cjs'),
      name: 'Not_Valid',
      workers: 0,
      kubeconfig: join(home, 'other'),
      env: { KUBELAB_HOME: join(home, 'state') },
    });
    await expect(broken.start()).rejects.toThrow(/invalid cluster name "Not_Valid"/);
    expect(broken.status().state).toBe('failed');
  });
});

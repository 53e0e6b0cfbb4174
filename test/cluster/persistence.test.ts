// `kubelab cluster start --data-dir`: the built CLI, the real kubectl, real restarts and a real
// SIGKILL. A cluster stopped and started again keeps its objects, CA, token and port, so a
// kubeconfig written before the restart keeps working; a cluster killed at a store failpoint
// (KUBELAB_FAILPOINT, test-only) still has every write kubectl was told had succeeded.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kubectlBinary, type KubectlResult } from '../support/cluster';
import { repoRoot, runKubelab, type Running } from '../support/processes';

/** Newest modification time under a folder. */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

beforeAll(() => {
  // The CLI runs from out/node/kubelab.cjs: rebuild it when main/ changed since.
  const bundle = join(repoRoot, 'out', 'node', 'kubelab.cjs');
  if (!existsSync(bundle) || statSync(bundle).mtimeMs < newest(join(repoRoot, 'main'))) {
    execFileSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs'), '--node-only'], {
      cwd: repoRoot,
      stdio: 'pipe',
    });
  }
}, 120_000);

const running: Running[] = [];
const homes: string[] = [];

afterEach(async () => {
  for (const cluster of running.splice(0)) await cluster.stop('SIGKILL');
  for (const home of homes.splice(0)) await rm(home, { recursive: true, force: true });
});

interface Lab {
  readonly home: string;
  readonly dataDir: string;
  readonly kubeconfig: string;
}

async function lab(): Promise<Lab> {
  const home = await mkdtemp(join(tmpdir(), 'kubelab-persist-'));
  homes.push(home);
  return { home, dataDir: join(home, 'data'), kubeconfig: join(home, 'kubeconfig') };
}

function startCluster(
  { home, dataDir, kubeconfig }: Lab,
  env: NodeJS.ProcessEnv = {},
  name = 'keep',
): Running {
  const cluster = runKubelab(
    [
      'cluster',
      'start',
      '--name',
      name,
      '--workers',
      '1',
      '--data-dir',
      dataDir,
      '--port',
      '0',
      '--kubeconfig',
      kubeconfig,
    ],
    { KUBELAB_HOME: join(home, 'state'), KUBELAB_FAILPOINT: '', ...env },
  );
  running.push(cluster);
  return cluster;
}

async function start(target: Lab, env: NodeJS.ProcessEnv = {}): Promise<Running> {
  const cluster = startCluster(target, env);
  await cluster.waitFor(/^ready: kubeconfig=\S+ server=\S+ context=\S+$/m, 30_000);
  return cluster;
}

function server(cluster: Running): string {
  return /server=(\S+)/.exec(cluster.output())![1]!;
}

function kubectl(target: Lab, args: readonly string[], kubeconfig = target.kubeconfig) {
  return new Promise<KubectlResult>((resolve) => {
    execFile(
      kubectlBinary(),
      [...args],
      {
        env: { PATH: process.env.PATH ?? '', HOME: target.home, KUBECONFIG: kubeconfig },
        timeout: 20_000,
      },
      (error, stdout, stderr) => {
        resolve({
          stdout,
          stderr,
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
        });
      },
    );
  });
}

async function ok(target: Lab, args: readonly string[], kubeconfig?: string): Promise<string> {
  const result = await kubectl(target, args, kubeconfig);
  expect(result.stderr, `kubectl ${args.join(' ')}`).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
}

/** Waits for a process to end by itself (a failpoint kills it); the signal that ended it. */
function death(cluster: Running, timeoutMs = 30_000): Promise<NodeJS.Signals | null> {
  const { child } = cluster;
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve(child.signalCode);
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the cluster did not die')), timeoutMs);
    child.once('exit', (_code, signal) => {
      clearTimeout(timer);
      resolve(signal);
    });
  });
}

describe('kubelab cluster start --data-dir', () => {
  it('keeps objects, CA, token and port across a SIGTERM restart; an old kubeconfig still works', async () => {
    const target = await lab();
    const first = await start(target);
    await ok(target, ['create', 'namespace', 'persist']);
    await ok(target, [
      'create',
      'configmap',
      'settings',
      '-n',
      'persist',
      '--from-literal=mode=one',
    ]);
    await ok(target, ['label', 'configmap', 'settings', '-n', 'persist', 'tier=gold']);
    await ok(target, ['create', 'configmap', 'doomed', '-n', 'persist', '--from-literal=x=y']);
    await ok(target, ['delete', 'configmap', 'doomed', '-n', 'persist']);
    const settings = [
      'get',
      'configmap',
      'settings',
      '-n',
      'persist',
      '-o',
      'jsonpath={.metadata.uid} {.metadata.resourceVersion} {.metadata.labels.tier} {.data.mode}',
    ];
    const before = await ok(target, settings);
    expect(before).toMatch(/^[0-9a-f-]{36} \d+ gold one$/);
    const nodes = await ok(target, ['get', 'nodes', '-o', 'name']);
    const namespaces = await ok(target, ['get', 'namespaces', '-o', 'name']);
    const oldKubeconfig = join(target.home, 'old-kubeconfig');
    await copyFile(target.kubeconfig, oldKubeconfig);
    const ca = await readFile(join(target.dataDir, 'pki', 'ca.crt'), 'utf8');
    const token = await readFile(join(target.dataDir, 'token'), 'utf8');
    const firstServer = server(first);

    expect(await first.stop('SIGTERM')).toBe(0);
    expect(first.errors()).toContain('cluster "keep" stopped');
    expect(existsSync(join(target.dataDir, 'lock'))).toBe(false);

    const second = await start(target);
    // Same port (it was free), same CA and token: the kubeconfig is rewritten identically.
    expect(server(second)).toBe(firstServer);
    expect(await readFile(target.kubeconfig, 'utf8')).toBe(await readFile(oldKubeconfig, 'utf8'));
    expect(await readFile(join(target.dataDir, 'pki', 'ca.crt'), 'utf8')).toBe(ca);
    expect(await readFile(join(target.dataDir, 'token'), 'utf8')).toBe(token);
    // The old kubeconfig still trusts the server and is still authorized.
    expect(await ok(target, settings, oldKubeconfig)).toBe(before);
    const doomed = await kubectl(target, ['get', 'configmap', 'doomed', '-n', 'persist']);
    expect(doomed.stderr).toContain('configmaps "doomed" not found');
    // Bootstrap did not add or reset anything.
    expect(await ok(target, ['get', 'nodes', '-o', 'name'])).toBe(nodes);
    expect(await ok(target, ['get', 'namespaces', '-o', 'name'])).toBe(namespaces);
    // Revisions continue: a new write gets a newer resourceVersion.
    await ok(target, [
      'label',
      'configmap',
      'settings',
      '-n',
      'persist',
      'tier=silver',
      '--overwrite',
    ]);
    const after = (await ok(target, settings)).split(' ');
    expect(Number(after[1])).toBeGreaterThan(Number(before.split(' ')[1]));
    for (const secret of ['ca.key', 'apiserver.key']) {
      expect((await stat(join(target.dataDir, 'pki', secret))).mode & 0o777).toBe(0o600);
    }
    expect((await stat(join(target.dataDir, 'token'))).mode & 0o777).toBe(0o600);

    // A second cluster on the same folder is refused while this one runs.
    const intruder = startCluster(target, {}, 'intruder');
    expect(await death(intruder)).toBeNull();
    expect(intruder.child.exitCode).toBe(1);
    expect(intruder.errors()).toContain(
      `error: the data folder ${target.dataDir} is in use by another running cluster (pid ${second.child.pid})`,
    );
    expect(await second.stop('SIGTERM')).toBe(0);
  }, 90_000);

  for (const failpoint of ['log:after-append', 'log:after-fsync'] as const) {
    it(`keeps every acknowledged write after a SIGKILL at ${failpoint}`, async () => {
      const target = await lab();
      // Hits count from when the cluster serves: its controllers' writes and each kubectl create.
      const first = await start(target, { KUBELAB_FAILPOINT: `${failpoint}:7:ready` });
      const acknowledged: string[] = [];
      for (let i = 0; i < 30; i++) {
        const result = await kubectl(target, [
          'create',
          'configmap',
          `cm${i}`,
          '--from-literal=i=x',
        ]);
        if (result.code !== 0) break;
        acknowledged.push(`configmap/cm${i}`);
      }
      expect(await death(first)).toBe('SIGKILL');
      // The kill came, and after some writes had been acknowledged.
      expect(acknowledged.length).toBeGreaterThan(0);
      expect(acknowledged.length).toBeLessThan(30);

      const second = await start(target);
      const names = (await ok(target, ['get', 'configmaps', '-o', 'name'])).trim().split('\n');
      for (const name of acknowledged) expect(names).toContain(name);
      expect(await second.stop('SIGTERM')).toBe(0);
    }, 90_000);
  }

  it('survives a SIGKILL during recovery, between snapshot write and rename and after the rename', async () => {
    const target = await lab();
    const first = await start(target);
    for (let i = 0; i < 5; i++) {
      await ok(target, ['create', 'configmap', `cm${i}`, `--from-literal=i=${i}`]);
    }
    const before = await ok(target, ['get', 'configmaps', '-o', 'name']);
    expect(await first.stop('SIGTERM')).toBe(0);

    // Opening replays the log and writes a snapshot: die at each step of it in turn.
    for (const failpoint of ['snapshot:after-write', 'snapshot:after-rename']) {
      const dying = startCluster(target, { KUBELAB_FAILPOINT: `${failpoint}:1` });
      expect(await death(dying)).toBe('SIGKILL');
      expect(dying.output()).toBe('');
    }

    const last = await start(target);
    expect(await ok(target, ['get', 'configmaps', '-o', 'name'])).toBe(before);
    expect(await last.stop('SIGTERM')).toBe(0);
  }, 90_000);
});

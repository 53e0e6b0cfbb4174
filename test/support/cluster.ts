/**
 * Integration harness: an embedded cluster in the test process (one per test file) driven by the
 * real kubectl. kubectl runs as the version-specific binary of the pinned Kubernetes minor for
 * speed (the gcloud `kubectl` dispatcher would first ask /version on every call).
 */
import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { FakeClock, type Clock } from '../../main/base/clock';
import { seededRandom } from '../../main/base/random';
import { writeKubeconfig } from '../../main/cluster/kubeconfig';
import { startEmbeddedCluster, type EmbeddedCluster } from '../../main/cluster/embedded';
import { KUBERNETES_VERSION } from '../../main/kube/version';

export interface KubectlResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

export interface TestCluster {
  readonly cluster: EmbeddedCluster;
  readonly kubeconfig: string;
  readonly home: string;
  /** Lets the controllers finish what they have to do now (pace Instant; the clock stands still). */
  settle(): Promise<void>;
  /** Runs kubectl against the cluster. */
  kubectl(
    args: readonly string[],
    options?: { stdin?: string; binary?: string; timeoutMs?: number },
  ): Promise<KubectlResult>;
  /** Writes a manifest file and returns its path. */
  file(name: string, content: string): Promise<string>;
  stop(): Promise<void>;
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The kubectl binary for the pinned minor, or the dispatcher when it is not installed. */
export function kubectlBinary(): string {
  const dispatcher = findOnPath('kubectl');
  if (!dispatcher) throw new Error('kubectl is not on the PATH');
  const versioned = join(
    dirname(realpathSync(dispatcher)),
    `kubectl.${KUBERNETES_VERSION.major}.${KUBERNETES_VERSION.minor}`,
  );
  return existsSync(versioned) ? versioned : dispatcher;
}

/** The `kubectl` on the PATH (gcloud's dispatcher on the build machines). */
export function kubectlDispatcher(): string {
  const dispatcher = findOnPath('kubectl');
  if (!dispatcher) throw new Error('kubectl is not on the PATH');
  return dispatcher;
}

export async function startTestCluster(
  options: {
    workers?: number;
    name?: string;
    clock?: Clock;
    seed?: number;
    historySize?: number;
  } = {},
): Promise<TestCluster> {
  const home = await mkdtemp(join(tmpdir(), 'kubelab-it-'));
  const name = options.name ?? 'lab';
  const cluster = await startEmbeddedCluster({
    name,
    workers: options.workers ?? 3,
    port: 0,
    // A clock that stands still at "now": server-side ages are always 0s, output is stable.
    clock: options.clock ?? new FakeClock(Math.floor(Date.now() / 1000) * 1000),
    pace: 'Instant',
    random: seededRandom(options.seed ?? 1),
    ...(options.historySize ? { historySize: options.historySize } : {}),
  });
  // The system workloads are up (pods scheduled and Running) before any test looks.
  await cluster.controllers?.manager.settle();
  const kubeconfig = join(home, 'kubeconfig');
  await writeKubeconfig(
    kubeconfig,
    {
      context: `kubelab-${name}`,
      server: cluster.server,
      caCert: cluster.certificates.caCert,
      token: cluster.token,
    },
    false,
  );
  const binary = kubectlBinary();
  return {
    cluster,
    kubeconfig,
    home,
    kubectl(args, runOptions = {}) {
      return new Promise((resolve) => {
        const child = execFile(
          runOptions.binary ?? binary,
          [...args],
          {
            env: {
              PATH: process.env.PATH ?? '',
              HOME: home,
              KUBECONFIG: kubeconfig,
              KUBECTL_EXTERNAL_DIFF: 'diff -u -N',
            },
            timeout: runOptions.timeoutMs ?? 30_000,
            maxBuffer: 64 * 1024 * 1024,
          },
          (error, stdout, stderr) => {
            const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
            resolve({ stdout, stderr, code });
          },
        );
        if (runOptions.stdin !== undefined) child.stdin?.end(runOptions.stdin);
      });
    },
    async file(fileName, content) {
      const path = join(home, fileName);
      await writeFile(path, content);
      return path;
    },
    settle: async () => {
      await cluster.controllers?.manager.settle();
    },
    stop: () => cluster.stop(),
  };
}

/**
 * Makes output comparable across runs: ages, uids, resource versions, timestamps, ports, random
 * name suffixes and tokens become placeholders.
 */
export function normalize(text: string): string {
  return (
    text
      .replace(/https:\/\/127\.0\.0\.1:\d+/g, 'https://127.0.0.1:<port>')
      .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<uid>')
      .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<time>')
      .replace(
        /\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}\b/g,
        '<date>',
      )
      .replace(/(resourceVersion: |"resourceVersion":)"?\d+"?/g, '$1<rv>')
      .replace(/kube-api-access-[a-z0-9]{5}/g, 'kube-api-access-<id>')
      // generateName suffixes (SimpleNameGenerator's alphabet): pods of workloads.
      .replace(/\b([a-z0-9.-]+-)[bcdfghjklmnpqrstvwxz2456789]{5}\b/g, '$1<id>')
      // Ages, but not milli-CPU quantities such as `100m (1%)` in describe.
      .replace(/(^|\s)(\d+s|\d+m\d*s?|\d+h\d*m?|\d+d\d*h?)(?=\s|$)(?! \()/gm, '$1<age>')
      .replace(/[ \t]+$/gm, '')
  );
}

/**
 * The embedded backend: runs `kubelab cluster start` — the same code path as the CLI — in a
 * process of its own, never inside Electron's main process, so a 5,000-node cluster cannot stall
 * the window. It reads the `ready:` line for the kubeconfig, the log lines on stderr for
 * progress, and reaches the cluster through its API (main/cluster/operations.ts) like any client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type {
  BackendStatus,
  ClusterBackend,
  ClusterCapabilities,
  KubeconfigRef,
  NodeRequest,
  ProgressEvent,
} from './backend';
import { openKubeClient, type KubeClient } from './kube-client';
import * as operations from './operations';

export interface EmbeddedBackendOptions {
  /** The Node executable (Electron's, with ELECTRON_RUN_AS_NODE, in the desktop app). */
  readonly node: string;
  /** The built CLI (`out/node/kubelab.cjs`). */
  readonly cli: string;
  readonly name: string;
  readonly workers: number;
  /** Where to write the kubeconfig. */
  readonly kubeconfig: string;
  readonly pace?: 'instant' | 'realistic';
  readonly dataDir?: string;
  readonly seed?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Gives up on a start that prints no `ready:` in this time. */
  readonly startTimeoutMs?: number;
}

const BASELINE = 'baseline';

/** The steps a start goes through, matched against the CLI's log lines. */
const START_STEPS: ReadonlyArray<{ pattern: RegExp; message: string }> = [
  { pattern: /^kubelab: .*serving at /, message: 'API server serving' },
];

export class EmbeddedBackend implements ClusterBackend {
  readonly kind = 'embedded' as const;
  private child: ChildProcess | undefined;
  private current: BackendStatus = { state: 'stopped' };
  private readonly listeners = new Set<(status: BackendStatus) => void>();
  private ref: KubeconfigRef | undefined;
  private client: KubeClient | undefined;

  constructor(private readonly options: EmbeddedBackendOptions) {}

  capabilities(): ClusterCapabilities {
    return {
      addRemoveNodes: true,
      stopStartNodes: true,
      advanceClock: true,
      pace: true,
      reset: true,
    };
  }

  status(): BackendStatus {
    return this.current;
  }

  onStatus(listener: (status: BackendStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  kubeconfig(): KubeconfigRef | undefined {
    return this.ref;
  }

  async start(onProgress: (event: ProgressEvent) => void = () => undefined): Promise<void> {
    if (this.current.state === 'running' || this.current.state === 'starting') return;
    const o = this.options;
    const args = [
      o.cli,
      'cluster',
      'start',
      '--name',
      o.name,
      '--workers',
      String(o.workers),
      '--kubeconfig',
      o.kubeconfig,
      '--pace',
      o.pace ?? 'realistic',
      ...(o.dataDir ? ['--data-dir', o.dataDir] : []),
      ...(o.seed !== undefined ? ['--seed', String(o.seed)] : []),
    ];
    const total = START_STEPS.length + 2;
    this.setStatus({ state: 'starting', message: 'starting the cluster process' });
    onProgress({ done: 0, total, message: 'starting the cluster process' });
    const child = spawn(o.node, args, {
      // stdin stays open as a lifeline: the cluster stops when this process goes.
      env: { ...process.env, ...o.env, ELECTRON_RUN_AS_NODE: '1', KUBELAB_EXIT_WITH_PARENT: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    let stderr = '';
    let stdout = '';
    const ready = new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(`the cluster did not start within ${(o.startTimeoutMs ?? 60_000) / 1000} s`),
        );
      }, o.startTimeoutMs ?? 60_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /^ready: kubeconfig=(\S+) server=(\S+) context=(\S+)$/m.exec(stdout);
        if (match) {
          clearTimeout(timer);
          resolve(match);
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => {
        const text = chunk.toString();
        stderr += text;
        for (const line of text.split('\n')) {
          const step = START_STEPS.findIndex((s) => s.pattern.test(line));
          if (step >= 0) onProgress({ done: step + 1, total, message: START_STEPS[step]!.message });
        }
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(
            `the cluster process exited (${signal ?? `code ${code}`}): ${lastLine(stderr) || 'no output'}`,
          ),
        );
      });
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    let match: RegExpExecArray;
    try {
      match = await ready;
    } catch (error) {
      child.kill('SIGKILL');
      this.child = undefined;
      this.setStatus({ state: 'failed', message: (error as Error).message });
      throw error;
    }
    this.ref = { path: match[1]!, context: match[3]! };
    this.client = await openKubeClient({ kubeconfig: this.ref.path, context: this.ref.context });
    onProgress({ done: total - 1, total, message: 'saving the baseline' });
    await operations.saveSnapshot(this.client, BASELINE);
    onProgress({ done: total, total, message: 'ready' });
    child.removeAllListeners('exit');
    child.on('exit', (code, signal) => {
      this.child = undefined;
      this.client = undefined;
      if (this.current.state !== 'stopping') {
        this.setStatus({
          state: 'failed',
          message: `the cluster process exited (${signal ?? `code ${code}`}): ${lastLine(stderr) || 'no output'}`,
        });
      }
    });
    this.setStatus({ state: 'running', server: match[2]! });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) {
      this.setStatus({ state: 'stopped' });
      return;
    }
    this.setStatus({ state: 'stopping' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    this.child = undefined;
    this.client = undefined;
    this.setStatus({ state: 'stopped' });
  }

  async addNode(request: NodeRequest): Promise<string> {
    return operations.addNode(this.api(), { ...request, cluster: this.options.name });
  }

  async removeNode(name: string): Promise<void> {
    await operations.removeNode(this.api(), name);
  }

  async stopNode(name: string): Promise<void> {
    await operations.setKubelet(this.api(), name, 'Stopped');
  }

  async startNode(name: string): Promise<void> {
    await operations.setKubelet(this.api(), name, 'Running');
  }

  async advanceClock(duration: string): Promise<void> {
    await operations.advanceClock(this.api(), duration);
  }

  async setPace(pace: 'instant' | 'realistic'): Promise<void> {
    await operations.setPace(this.api(), pace === 'instant' ? 'Instant' : 'Realistic');
  }

  async saveBaseline(): Promise<void> {
    await operations.saveSnapshot(this.api(), BASELINE);
  }

  async reset(): Promise<void> {
    await operations.restoreSnapshot(this.api(), BASELINE);
  }

  private api(): KubeClient {
    if (!this.client || this.current.state !== 'running') {
      throw new Error(`the embedded cluster is ${this.current.state}`);
    }
    return this.client;
  }

  private setStatus(status: BackendStatus): void {
    this.current = status;
    for (const listener of this.listeners) listener(status);
  }
}

function lastLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .filter((line) => line.trim())
      .at(-1) ?? ''
  );
}

/** Spawning the built `kubelab` command in tests and reading what it prints. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';

export const repoRoot = join(import.meta.dirname, '..', '..');

export interface Running {
  readonly child: ChildProcessWithoutNullStreams;
  output(): string;
  errors(): string;
  /** Resolves with the first match of `pattern` in stdout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function runKubelab(args: readonly string[], env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'kubelab.cjs'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    errors: () => err,
    waitFor(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const started = Date.now();
        const check = (): void => {
          const match = pattern.exec(out);
          if (match) resolve(match);
          else if (child.exitCode !== null)
            reject(new Error(`kubelab exited (${child.exitCode}): ${err}`));
          else if (Date.now() - started > timeoutMs)
            reject(new Error(`timed out waiting for ${pattern}; stderr: ${err}`));
          else setTimeout(check, 25);
        };
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/**
 * What `npm start` opens: the desktop window when Electron's binary is there (downloading it on
 * first start, since installs never fetch it — see ARCHITECTURE.md decision 2), browser mode
 * otherwise, always saying why.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type LaunchDecision =
  | { readonly kind: 'electron'; readonly binary: string }
  | { readonly kind: 'browser'; readonly reason: string };

export interface LaunchDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly platform: NodeJS.Platform;
  /** The electron package's folder, or undefined when the package is not installed. */
  readonly electronPackageDir: string | undefined;
  /** Runs Electron's own installer (downloads the binary); resolves to an error text or undefined. */
  readonly installElectron: (packageDir: string) => Promise<string | undefined>;
  readonly log: (line: string) => void;
}

/**
 * The Electron binary named by the package's `path.txt` (written by its installer), if the file
 * it names exists. This is what `require('electron')` checks, without throwing.
 */
export function electronBinary(packageDir: string): string | undefined {
  const pathFile = join(packageDir, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const relative = readFileSync(pathFile, 'utf8').trim();
  if (!relative) return undefined;
  const binary = join(packageDir, 'dist', relative);
  return existsSync(binary) ? binary : undefined;
}

/** Finds the installed electron package, if any. */
export function findElectronPackage(fromFile: string): string | undefined {
  try {
    return dirname(createRequire(fromFile).resolve('electron/package.json'));
  } catch {
    return undefined;
  }
}

export async function decideLaunch(deps: LaunchDeps): Promise<LaunchDecision> {
  const mode = deps.env.KUBELAB_MODE;
  if (mode === 'browser') return { kind: 'browser', reason: 'KUBELAB_MODE=browser is set' };
  if (deps.platform === 'linux' && !deps.env.DISPLAY && !deps.env.WAYLAND_DISPLAY) {
    return { kind: 'browser', reason: 'there is no graphical display (DISPLAY is not set)' };
  }
  if (!deps.electronPackageDir) {
    return { kind: 'browser', reason: 'the electron package is not installed' };
  }
  const present = electronBinary(deps.electronPackageDir);
  if (present) return { kind: 'electron', binary: present };
  deps.log("Electron's binary is not downloaded yet; downloading it now (first start only)…");
  const failure = await deps.installElectron(deps.electronPackageDir);
  const installed = electronBinary(deps.electronPackageDir);
  if (installed) return { kind: 'electron', binary: installed };
  return {
    kind: 'browser',
    reason: `Electron's binary could not be downloaded (${failure ?? 'the installer wrote no binary'})`,
  };
}

/** Runs `node <electron>/install.js`; resolves to the last line of its error output on failure. */
export function runElectronInstaller(
  packageDir: string,
  timeoutMs = 300_000,
): Promise<string | undefined> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [join(packageDir, 'install.js')], {
      cwd: packageDir,
      stdio: ['ignore', 'inherit', 'pipe'],
      timeout: timeoutMs,
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', (error) => resolvePromise(error.message));
    child.on('close', (code) => {
      if (code === 0) {
        resolvePromise(undefined);
        return;
      }
      const reason =
        /(getaddrinfo \S+ \S+|ECONNREFUSED[^\n]*|ETIMEDOUT[^\n]*|HTTPError[^\n]*)/.exec(
          stderr,
        )?.[1] ??
        stderr.trim().split('\n').pop() ??
        `installer exited with code ${String(code)}`;
      resolvePromise(reason);
    });
  });
}

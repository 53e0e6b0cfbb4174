/**
 * Entry point of `npm start` (bundled to out/node/start.cjs): the desktop app when it can run,
 * browser mode when it cannot.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../platform/paths';
import { decideLaunch, findElectronPackage, runElectronInstaller } from './launch';
import { processIo } from './io';
import { runCli } from './program';
import { Shutdown } from './shutdown';

async function main(): Promise<void> {
  const decision = await decideLaunch({
    env: process.env,
    platform: process.platform,
    electronPackageDir: findElectronPackage(fileURLToPath(import.meta.url)),
    installElectron: (dir) => runElectronInstaller(dir),
    log: (line) => process.stderr.write(`kubelab: ${line}\n`),
  });
  if (decision.kind === 'electron') {
    const child = spawn(decision.binary, [packageRoot()], { stdio: 'inherit' });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => child.kill(signal));
    }
    child.on('exit', (code, signal) => {
      process.exitCode = code ?? (signal ? 1 : 0);
    });
    return;
  }
  process.stderr.write(`kubelab: starting browser mode: ${decision.reason}.\n`);
  const shutdown = new Shutdown();
  const { exitCode } = await runCli(['serve', ...process.argv.slice(2)], processIo, shutdown.add);
  if (exitCode !== 0) process.exitCode = exitCode;
}

void main();

/**
 * Entry point of the `kubelab` binary (bundled to out/node/kubelab.cjs).
 */
import { processIo } from './io';
import { runCli } from './program';
import { Shutdown } from './shutdown';

const shutdown = new Shutdown();
void runCli(process.argv.slice(2), processIo, shutdown.add).then(({ exitCode }) => {
  if (exitCode !== 0 || !shutdown.active) process.exitCode = exitCode;
});

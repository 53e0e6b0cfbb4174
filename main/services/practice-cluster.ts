/**
 * The app's practice cluster: an embedded cluster named `kubelab` (nodes `kubelab-control-plane`,
 * `kubelab-worker`…), kept in Kubelab's state folder so a learner's work survives restarts, run
 * in its own process by the EmbeddedBackend. The desktop app and `kubelab serve` both start it.
 */
import { join } from 'node:path';
import { EmbeddedBackend } from '../cluster/embedded-backend';
import { stateDir } from '../platform/state';

export const PRACTICE_CLUSTER = 'kubelab';

export interface PracticeClusterOptions {
  /** The package root (for the built CLI). */
  readonly root: string;
  readonly env: NodeJS.ProcessEnv;
  /** The Node executable: `process.execPath` (Electron's runs as Node for the child). */
  readonly node: string;
}

export function createPracticeBackend(options: PracticeClusterOptions): EmbeddedBackend {
  const state = stateDir(options.env);
  return new EmbeddedBackend({
    node: options.node,
    cli: join(options.root, 'out', 'node', 'kubelab.cjs'),
    name: PRACTICE_CLUSTER,
    workers: 3,
    kubeconfig: join(state, 'kubeconfig', `${PRACTICE_CLUSTER}.yaml`),
    dataDir: join(state, 'data', PRACTICE_CLUSTER),
    pace: 'realistic',
    env: { KUBELAB_HOME: state },
  });
}

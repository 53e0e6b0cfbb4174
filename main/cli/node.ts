/**
 * `kubelab node add|remove|stop|start` and `kubelab cluster advance`: change an embedded
 * cluster through its API, as a machine joining, leaving, losing power and coming back would
 * (main/cluster/operations.ts does the work, shared with the app's backends).
 */
import * as operations from '../cluster/operations';
import { UsageError, type CliIo } from './io';
import { requireSimulator, resolveTarget, type TargetOptions } from './target';

export interface NodeAddOptions extends TargetOptions {
  readonly name?: string;
  readonly labels?: string;
  readonly taints?: string;
  readonly role?: string;
}

/** Runs an operation, turning its input errors into usage errors. */
async function userErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof operations.OperationError) throw new UsageError(error.message);
    throw error;
  }
}

export async function addNode(options: NodeAddOptions, io: CliIo): Promise<void> {
  const role = options.role ?? 'worker';
  if (role !== 'worker' && role !== 'control-plane') {
    throw new UsageError(`invalid --role "${role}": expected worker or control-plane`);
  }
  const labels = await userErrors(async () =>
    options.labels ? operations.parseLabels(options.labels) : {},
  );
  const taints = await userErrors(async () =>
    options.taints ? operations.parseTaints(options.taints) : [],
  );
  const target = await resolveTarget(options, io);
  await requireSimulator(target, 'kubelab node add');
  const name = await userErrors(() =>
    operations.addNode(target.client, {
      name: options.name,
      labels,
      taints,
      role,
      cluster: target.name,
    }),
  );
  io.out(`node/${name} added\n`);
}

export async function removeNode(name: string, options: TargetOptions, io: CliIo): Promise<void> {
  const target = await resolveTarget(options, io);
  await requireSimulator(target, 'kubelab node remove');
  await operations.removeNode(target.client, name);
  io.out(`node/${name} removed\n`);
}

/** Stops or starts the simulated kubelet of a node. */
export async function setKubelet(
  name: string,
  state: 'Running' | 'Stopped',
  options: TargetOptions,
  io: CliIo,
): Promise<void> {
  const target = await resolveTarget(options, io);
  await requireSimulator(target, `kubelab node ${state === 'Running' ? 'start' : 'stop'}`);
  await operations.setKubelet(target.client, name, state);
  io.out(`node/${name} ${state === 'Running' ? 'started' : 'stopped'}\n`);
}

/** `kubelab cluster advance <duration>`: ages the cluster by the duration. */
export async function advanceCluster(
  duration: string,
  options: TargetOptions,
  io: CliIo,
): Promise<void> {
  const target = await resolveTarget(options, io);
  await requireSimulator(target, 'kubelab cluster advance');
  const total = await operations.advanceClock(target.client, duration);
  io.out(`cluster "${target.name}" advanced by ${duration} (${total}s in all)\n`);
}

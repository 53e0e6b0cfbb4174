/**
 * Which cluster a changing command acts on, and the ownership rule: `kubelab` changes only
 * clusters Kubelab started, unless told `--context X --yes`. A learner's workshop or cloud
 * context must never be changed by a command meant for the practice cluster.
 */
import { openKubeClient, type KubeClient } from '../cluster/kube-client';
import { hasSimulator } from '../cluster/operations';
import { UsageError, type CliIo } from './io';
import { runningClusters, type ClusterRecord } from './cluster';

export interface TargetOptions {
  /** A running Kubelab cluster by name. */
  readonly cluster?: string | undefined;
  readonly kubeconfig?: string | undefined;
  readonly context?: string | undefined;
  /** Act on a context Kubelab did not start. */
  readonly yes?: boolean | undefined;
}

export interface Target {
  readonly client: KubeClient;
  /** The Kubelab cluster record, when Kubelab started it. */
  readonly record: ClusterRecord | undefined;
  /** A name to print: the cluster's name, or the context's. */
  readonly name: string;
}

export async function resolveTarget(options: TargetOptions, io: CliIo): Promise<Target> {
  const running = await runningClusters(io.env);
  if (options.kubeconfig !== undefined || options.context !== undefined) {
    if (options.cluster !== undefined) {
      throw new UsageError('--cluster cannot be combined with --kubeconfig or --context');
    }
    const client = await openKubeClient({
      kubeconfig: options.kubeconfig,
      context: options.context,
    });
    const record = running.find((r) => r.server === client.server);
    if (!record && !options.yes) {
      throw new UsageError(
        `refusing to change the cluster of context "${client.context}" (${client.server}): Kubelab did not start it. Pass --yes to act on it anyway.`,
      );
    }
    return { client, record, name: record?.name ?? client.context };
  }
  let record: ClusterRecord | undefined;
  if (options.cluster !== undefined) {
    record = running.find((r) => r.name === options.cluster);
    if (!record) {
      throw new UsageError(
        `no running cluster named "${options.cluster}" was started by Kubelab (see "kubelab cluster list")`,
      );
    }
  } else if (running.length === 1) {
    record = running[0];
  } else if (running.length === 0) {
    throw new UsageError(
      'no Kubelab cluster is running: start one with "kubelab cluster start", or name a context with --context (and --yes)',
    );
  } else {
    throw new UsageError(
      `${running.length} clusters are running (${running.map((r) => r.name).join(', ')}): choose one with --cluster NAME`,
    );
  }
  const client = await openKubeClient({ kubeconfig: record!.kubeconfig, context: record!.context });
  return { client, record, name: record!.name };
}

/** Fails unless the target serves Kubelab's simulator API (an embedded cluster). */
export async function requireSimulator(target: Target, what: string): Promise<void> {
  if (await hasSimulator(target.client)) return;
  throw new UsageError(
    `${what} needs an embedded Kubelab cluster, and "${target.name}" (${target.client.server}) is not one (it has no kubelab.dev API)`,
  );
}

/**
 * The simulator operations on an embedded cluster, through its Kubernetes API (the
 * `kubelab.dev/v1alpha1` group and Nodes) — shared by the `kubelab` CLI and the backends, so a
 * node added from the app and one added from a terminal are made the same way.
 */
import { mathRandom } from '../base/random';
import type { KubeObject } from '../kube/objects';
import { isDns1123Subdomain } from '../kube/validation/names';
import { nodeObject, type NodeSpec } from './bootstrap';
import type { KubeClient } from './kube-client';

const SIM = '/apis/kubelab.dev/v1alpha1';

/** A problem with the request itself (bad name, taint syntax…), worded for the user. */
export class OperationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OperationError';
  }
}

export type TaintSpec = { key: string; value?: string; effect: string };

const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** `k=v,k2=v2` → labels. */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of text.split(',').filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new OperationError(`invalid label "${part}": expected key=value`);
    labels[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return labels;
}

/** `key=value:Effect,key:Effect` → taints (kubectl taint's syntax). */
export function parseTaints(text: string): TaintSpec[] {
  return text
    .split(',')
    .filter(Boolean)
    .map((part) => {
      const match = /^([^=:]+)(?:=([^:]*))?:(\w+)$/.exec(part);
      if (!match || !EFFECTS.includes(match[3]!)) {
        throw new OperationError(
          `invalid taint "${part}": expected key[=value]:Effect with Effect one of ${EFFECTS.join(', ')}`,
        );
      }
      return { key: match[1]!, ...(match[2] ? { value: match[2] } : {}), effect: match[3]! };
    });
}

/** Whether the cluster serves Kubelab's simulator API (an embedded cluster). */
export async function hasSimulator(client: KubeClient): Promise<boolean> {
  return (await client.request('GET', SIM)).status === 200;
}

function internalIpIndex(node: KubeObject): number {
  const addresses = (node as { status?: { addresses?: Array<{ type: string; address: string }> } })
    .status?.addresses;
  const ip = addresses?.find((a) => a.type === 'InternalIP')?.address ?? '';
  const match = /^172\.18\.0\.(\d+)$/.exec(ip);
  return match ? Number(match[1]) - 2 : -1;
}

function podCidrIndex(node: KubeObject): number {
  const cidr = (node as { spec?: { podCIDR?: string } }).spec?.podCIDR ?? '';
  const match = /^10\.244\.(\d+)\.0\/24$/.exec(cidr);
  return match ? Number(match[1]) : -1;
}

export interface AddNodeOptions {
  readonly name?: string | undefined;
  readonly labels?: Readonly<Record<string, string>>;
  readonly taints?: readonly TaintSpec[];
  readonly role?: 'worker' | 'control-plane';
  /** The cluster's name, for the default node name when no control-plane node shows it. */
  readonly cluster?: string;
}

/**
 * Registers a Node as a kubelet joining the cluster would (kind-like labels, capacity, address
 * and a pod CIDR of its own); the cluster's simulated kubelet then runs it. Answers its name.
 */
export async function addNode(client: KubeClient, options: AddNodeOptions): Promise<string> {
  const role = options.role ?? 'worker';
  const nodes = ((await client.call('GET', '/api/v1/nodes')) as { items: KubeObject[] }).items;
  const names = new Set(nodes.map((n) => n.metadata.name));
  const controlPlane = nodes.find((n) => n.metadata.name?.endsWith('-control-plane'));
  const prefix =
    controlPlane?.metadata.name?.replace(/-control-plane$/, '') ?? options.cluster ?? 'kubelab';
  let name = options.name;
  if (name === undefined) {
    const base = role === 'control-plane' ? `${prefix}-control-plane` : `${prefix}-worker`;
    for (let i = 1; name === undefined; i++) {
      const candidate = `${base}${i === 1 ? '' : i}`;
      if (!names.has(candidate)) name = candidate;
    }
  }
  const problems = isDns1123Subdomain(name);
  if (problems.length) throw new OperationError(`invalid node name "${name}": ${problems[0]}`);
  if (names.has(name)) throw new OperationError(`node "${name}" already exists`);
  const index =
    Math.max(...nodes.map((n) => Math.max(internalIpIndex(n), podCidrIndex(n))), -1) + 1;
  const spec: NodeSpec = {
    name,
    role,
    labels: options.labels ?? {},
    taints: options.taints ?? [],
  };
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await client.call('POST', '/api/v1/nodes', nodeObject(spec, index, mathRandom, now, true));
  // Answer once the node's simulated kubelet has picked it up (its Kubelet object exists), so
  // stopping it right after works.
  const deadline = Date.now() + 10_000;
  while (
    (await client.request('GET', `${SIM}/kubelets/${encodeURIComponent(name)}`)).status === 404
  ) {
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return name;
}

export async function removeNode(client: KubeClient, name: string): Promise<void> {
  await client.call('DELETE', `/api/v1/nodes/${encodeURIComponent(name)}`);
}

/** Starts or stops a node's simulated kubelet (its Kubelet object's spec.state). */
export async function setKubelet(
  client: KubeClient,
  name: string,
  state: 'Running' | 'Stopped',
): Promise<void> {
  await client.call(
    'PATCH',
    `${SIM}/kubelets/${encodeURIComponent(name)}?fieldManager=kubelab`,
    { spec: { state } },
    'application/merge-patch+json',
  );
}

/** Ages the cluster by a Go duration; answers the total advanced so far (seconds). */
export async function advanceClock(client: KubeClient, duration: string): Promise<number> {
  const clock = (await client.call('POST', `${SIM}/clocks/cluster/advance`, {
    apiVersion: 'kubelab.dev/v1alpha1',
    kind: 'ClockAdvance',
    duration,
  })) as { status?: { advancedSeconds?: number } };
  return clock.status?.advancedSeconds ?? 0;
}

export async function setPace(client: KubeClient, pace: 'Instant' | 'Realistic'): Promise<void> {
  await client.call(
    'PATCH',
    `${SIM}/clocks/cluster?fieldManager=kubelab`,
    { spec: { pace } },
    'application/merge-patch+json',
  );
}

/** Saves the cluster's state as Snapshot `name`, replacing an older one of that name. */
export async function saveSnapshot(client: KubeClient, name: string): Promise<void> {
  const path = `${SIM}/snapshots/${encodeURIComponent(name)}`;
  const existing = await client.request('DELETE', path);
  if (existing.status !== 200 && existing.status !== 404) {
    await client.call('DELETE', path);
  }
  await client.call('POST', `${SIM}/snapshots?fieldManager=kubelab`, {
    apiVersion: 'kubelab.dev/v1alpha1',
    kind: 'Snapshot',
    metadata: { name },
  });
}

/** Puts the cluster back to Snapshot `name`. */
export async function restoreSnapshot(client: KubeClient, name: string): Promise<void> {
  await client.call('POST', `${SIM}/snapshots/${encodeURIComponent(name)}/restore`, {
    apiVersion: 'kubelab.dev/v1alpha1',
    kind: 'SnapshotRestore',
  });
}

/**
 * `kubelab node add|remove|stop|start`: change the nodes of an embedded cluster through its API,
 * as a machine joining, leaving, losing power and coming back would. `add` registers a Node the
 * way a kubelet does (the cluster's simulated kubelet then runs it); `stop`/`start` set the node's
 * Kubelet (kubelab.dev/v1alpha1) to Stopped/Running.
 */
import { mathRandom } from '../base/random';
import { nodeObject, type NodeSpec } from '../cluster/bootstrap';
import { isDns1123Subdomain } from '../kube/validation/names';
import type { KubeObject } from '../kube/objects';
import { UsageError, type CliIo } from './io';
import { requireSimulator, resolveTarget, type TargetOptions } from './target';

const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** `k=v,k2=v2` → labels. */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of text.split(',').filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid label "${part}": expected key=value`);
    labels[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return labels;
}

/** `key=value:Effect,key:Effect` → taints (kubectl taint's syntax). */
export function parseTaints(text: string): Array<{ key: string; value?: string; effect: string }> {
  return text
    .split(',')
    .filter(Boolean)
    .map((part) => {
      const match = /^([^=:]+)(?:=([^:]*))?:(\w+)$/.exec(part);
      if (!match || !EFFECTS.includes(match[3]!)) {
        throw new UsageError(
          `invalid taint "${part}": expected key[=value]:Effect with Effect one of ${EFFECTS.join(', ')}`,
        );
      }
      return { key: match[1]!, ...(match[2] ? { value: match[2] } : {}), effect: match[3]! };
    });
}

interface NodeList {
  items: KubeObject[];
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

export interface NodeAddOptions extends TargetOptions {
  readonly name?: string;
  readonly labels?: string;
  readonly taints?: string;
  readonly role?: string;
}

export async function addNode(options: NodeAddOptions, io: CliIo): Promise<void> {
  const role = options.role ?? 'worker';
  if (role !== 'worker' && role !== 'control-plane') {
    throw new UsageError(`invalid --role "${role}": expected worker or control-plane`);
  }
  const labels = options.labels ? parseLabels(options.labels) : {};
  const taints = options.taints ? parseTaints(options.taints) : [];
  const target = await resolveTarget(options, io);
  await requireSimulator(target, 'kubelab node add');
  const nodes = ((await target.client.call('GET', '/api/v1/nodes')) as NodeList).items;
  const names = new Set(nodes.map((n) => n.metadata.name));
  const controlPlane = nodes.find((n) => n.metadata.name?.endsWith('-control-plane'));
  const prefix = controlPlane?.metadata.name?.replace(/-control-plane$/, '') ?? target.name;
  let name = options.name;
  if (name === undefined) {
    const base = role === 'control-plane' ? `${prefix}-control-plane` : `${prefix}-worker`;
    for (let i = 1; ; i++) {
      const candidate = `${base}${i === 1 ? '' : i}`;
      if (!names.has(candidate)) {
        name = candidate;
        break;
      }
    }
  }
  const problems = isDns1123Subdomain(name);
  if (problems.length) throw new UsageError(`invalid node name "${name}": ${problems[0]}`);
  if (names.has(name)) throw new UsageError(`node "${name}" already exists`);
  const index =
    Math.max(...nodes.map((n) => Math.max(internalIpIndex(n), podCidrIndex(n))), -1) + 1;
  const spec: NodeSpec = { name, role, labels, taints };
  const node = nodeObject(
    spec,
    index,
    mathRandom,
    new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    true,
  );
  await target.client.call('POST', '/api/v1/nodes', node);
  io.out(`node/${name} added\n`);
}

export async function removeNode(name: string, options: TargetOptions, io: CliIo): Promise<void> {
  const target = await resolveTarget(options, io);
  await requireSimulator(target, 'kubelab node remove');
  await target.client.call('DELETE', `/api/v1/nodes/${encodeURIComponent(name)}`);
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
  await target.client.call(
    'PATCH',
    `/apis/kubelab.dev/v1alpha1/kubelets/${encodeURIComponent(name)}?fieldManager=kubelab`,
    { spec: { state } },
    'application/merge-patch+json',
  );
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
  const clock = (await target.client.call(
    'POST',
    '/apis/kubelab.dev/v1alpha1/clocks/cluster/advance',
    { apiVersion: 'kubelab.dev/v1alpha1', kind: 'ClockAdvance', duration },
  )) as { status?: { advancedSeconds?: number } };
  io.out(
    `cluster "${target.name}" advanced by ${duration} (${clock.status?.advancedSeconds ?? 0}s in all)\n`,
  );
}

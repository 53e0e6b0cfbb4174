/**
 * Hand-built cluster objects for the grader's tests and benchmark: nodes, DaemonSets and their
 * pods, Deployments with ReplicaSets, ControllerRevisions — shaped as the API server and the
 * controllers write them (kind-style node names, the daemon pod pin, owner references), with
 * only the fields the grader reads.
 */
import type { KubeObject } from '../kube/objects';
import { pinToNode, type Taint } from '../kube/scheduling';

export const NOW = Date.parse('2025-01-01T12:00:00Z');
export const NAMESPACE = 'lab';
const CREATED = '2025-01-01T11:00:00Z';

export const CONTROL_PLANE_TAINT: Taint = {
  key: 'node-role.kubernetes.io/control-plane',
  effect: 'NoSchedule',
};
export const UNSCHEDULABLE_TAINT: Taint = {
  key: 'node.kubernetes.io/unschedulable',
  effect: 'NoSchedule',
};
/** What the node lifecycle controller puts on a NotReady node (Ready=False). */
export const NOT_READY_TAINTS: Taint[] = [
  { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
];

export interface NodeOptions {
  readonly labels?: Record<string, string>;
  readonly taints?: readonly Taint[];
  readonly unschedulable?: boolean;
  readonly ready?: boolean;
}

export function node(name: string, options: NodeOptions = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      uid: `uid-node-${name}`,
      labels: { 'kubernetes.io/hostname': name, ...options.labels },
    },
    spec: {
      ...(options.unschedulable ? { unschedulable: true } : {}),
      ...(options.taints?.length ? { taints: options.taints.map((t) => ({ ...t })) } : {}),
    },
    status: {
      conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True' }],
    },
  };
}

/** kind's three-node cluster plus a third worker: a tainted control plane, three workers. */
export function cluster(): KubeObject[] {
  return [
    node('lab-control-plane', {
      labels: { 'node-role.kubernetes.io/control-plane': '' },
      taints: [CONTROL_PLANE_TAINT],
    }),
    node('lab-worker'),
    node('lab-worker2'),
    node('lab-worker3'),
  ];
}

export const ROLES = {
  controlPlane: 'lab-control-plane',
  worker1: 'lab-worker',
  worker2: 'lab-worker2',
  worker3: 'lab-worker3',
};

export interface WorkloadOptions {
  readonly namespace?: string;
  readonly podSpec?: Record<string, unknown>;
  readonly generation?: number;
  readonly status?: Record<string, unknown>;
  readonly spec?: Record<string, unknown>;
}

const containers = (image = 'nginx:1.27'): Record<string, unknown>[] => [{ name: 'app', image }];

export function daemonSet(name: string, options: WorkloadOptions = {}): KubeObject {
  const generation = options.generation ?? 1;
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name,
      namespace: options.namespace ?? NAMESPACE,
      uid: `uid-ds-${name}`,
      generation,
      creationTimestamp: CREATED,
    },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: containers(), ...options.podSpec },
      },
      updateStrategy: { type: 'RollingUpdate' },
      ...options.spec,
    },
    status: { observedGeneration: generation, ...options.status },
  };
}

export interface PodOptions {
  readonly name?: string;
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
  readonly owner?: KubeObject | null;
  readonly nodeName?: string;
  /** A daemon pod not bound yet: pinned to this node by node affinity. */
  readonly pinnedTo?: string;
  readonly ready?: boolean;
  readonly phase?: string;
  readonly terminating?: boolean;
  readonly image?: string;
  readonly status?: Record<string, unknown>;
}

export function pod(options: PodOptions): KubeObject {
  const owner = options.owner ?? undefined;
  const spec: Record<string, unknown> = { containers: containers(options.image) };
  if (options.nodeName) spec.nodeName = options.nodeName;
  if (options.pinnedTo) pinToNode(spec, options.pinnedTo);
  const ready = options.ready ?? true;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: options.name ?? 'pod',
      namespace: options.namespace ?? NAMESPACE,
      uid: `uid-pod-${options.name ?? 'pod'}`,
      labels: options.labels ?? {},
      creationTimestamp: CREATED,
      ...(owner
        ? {
            ownerReferences: [
              {
                apiVersion: owner.apiVersion ?? '',
                kind: owner.kind ?? '',
                name: owner.metadata.name ?? '',
                uid: owner.metadata.uid ?? '',
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          }
        : {}),
      ...(options.terminating ? { deletionTimestamp: '2025-01-01T11:59:50Z' } : {}),
    },
    spec,
    status: options.status ?? {
      phase: options.phase ?? (ready ? 'Running' : 'Pending'),
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  };
}

/** A pod of a DaemonSet, bound to a node (or only pinned, with `bound: false`). */
export function daemonPod(
  ds: KubeObject,
  nodeName: string,
  options: Omit<PodOptions, 'owner' | 'nodeName' | 'pinnedTo'> & { bound?: boolean } = {},
): KubeObject {
  const dsName = ds.metadata.name ?? '';
  const { bound = true, ...rest } = options;
  return pod({
    name: `${dsName}-${nodeName}`,
    labels: { app: dsName },
    owner: ds,
    ...(bound ? { nodeName } : {}),
    pinnedTo: nodeName,
    ...rest,
  });
}

export function deployment(name: string, options: WorkloadOptions & { image?: string } = {}) {
  const generation = options.generation ?? 1;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: options.namespace ?? NAMESPACE,
      uid: `uid-deploy-${name}`,
      generation,
      creationTimestamp: CREATED,
    },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: containers(options.image), ...options.podSpec },
      },
      ...options.spec,
    },
    status: {
      observedGeneration: generation,
      replicas: 3,
      readyReplicas: 3,
      updatedReplicas: 3,
      availableReplicas: 3,
      ...options.status,
    },
  } satisfies KubeObject;
}

/** A ReplicaSet of a Deployment: its template plus the pod-template-hash label. */
export function replicaSet(
  owner: KubeObject,
  hash: string,
  revision: number,
  template: unknown = (owner.spec as { template: unknown }).template,
): KubeObject {
  const t = template as { metadata: { labels: Record<string, string> } };
  const name = `${owner.metadata.name ?? ''}-${hash}`;
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: owner.metadata.namespace ?? NAMESPACE,
      uid: `uid-rs-${name}`,
      labels: { ...t.metadata.labels, 'pod-template-hash': hash },
      annotations: { 'deployment.kubernetes.io/revision': String(revision) },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: owner.metadata.name ?? '',
          uid: owner.metadata.uid ?? '',
          controller: true,
        },
      ],
    },
    spec: {
      template: {
        ...t,
        metadata: { ...t.metadata, labels: { ...t.metadata.labels, 'pod-template-hash': hash } },
      },
    },
  };
}

/** A ControllerRevision of a DaemonSet holding a template (its own by default). */
export function controllerRevision(
  owner: KubeObject,
  hash: string,
  revision: number,
  template: unknown = (owner.spec as { template: unknown }).template,
): KubeObject {
  const name = `${owner.metadata.name ?? ''}-${hash}`;
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name,
      namespace: owner.metadata.namespace ?? NAMESPACE,
      uid: `uid-cr-${name}`,
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          name: owner.metadata.name ?? '',
          uid: owner.metadata.uid ?? '',
          controller: true,
        },
      ],
    },
    data: { spec: { template: { ...(template as object), $patch: 'replace' } } },
    revision,
  };
}

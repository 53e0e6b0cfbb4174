/**
 * The objects a fresh kind cluster has before anyone applies anything: its namespaces, the
 * `kubernetes` and `kube-dns` Services, and its nodes — `<name>-control-plane` (tainted
 * NoSchedule when there are workers, as kind does) and `<name>-worker`, `<name>-worker2`, …
 * Everything is written through the registry, as the real components would.
 */
import { randomUuid, type Random } from '../base/random';
import { findResource } from '../kube/resources';
import { KUBERNETES_VERSION } from '../kube/version';
import { bucketOf, type Registry } from '../apiserver/registry/registry';
import type { KubeObject } from '../kube/objects';
import type { ResourceType } from '../kube/resources';

export interface NodeSpec {
  readonly name: string;
  readonly role: 'control-plane' | 'worker';
  readonly labels?: Readonly<Record<string, string>>;
  readonly taints?: ReadonlyArray<{ key: string; value?: string; effect: string }>;
}

/** kind's node names: `<cluster>-control-plane`, `<cluster>-worker`, `<cluster>-worker2`, … */
export function kindNodeNames(cluster: string, workers: number): NodeSpec[] {
  const nodes: NodeSpec[] = [{ name: `${cluster}-control-plane`, role: 'control-plane' }];
  for (let i = 1; i <= workers; i++) {
    nodes.push({ name: `${cluster}-worker${i === 1 ? '' : i}`, role: 'worker' });
  }
  return nodes;
}

export const CONTROL_PLANE_TAINT = {
  key: 'node-role.kubernetes.io/control-plane',
  effect: 'NoSchedule',
};

/** The InternalIP of the index-th node, as kind's Docker network hands them out. */
function nodeInternalIp(index: number): string {
  return `172.18.0.${index + 2}`;
}

/** The Node object of a simulated node: labels, capacity, addresses and info as kind reports. */
export function nodeObject(
  spec: NodeSpec,
  index: number,
  random: Random,
  now: string,
  tainted: boolean,
): KubeObject {
  const internalIp = nodeInternalIp(index);
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': spec.name,
    'kubernetes.io/os': 'linux',
    ...(spec.role === 'control-plane'
      ? {
          'node-role.kubernetes.io/control-plane': '',
          'node.kubernetes.io/exclude-from-external-load-balancers': '',
        }
      : {}),
    ...spec.labels,
  };
  const taints = [
    ...(spec.role === 'control-plane' && tainted ? [CONTROL_PLANE_TAINT] : []),
    ...(spec.taints ?? []),
  ];
  const condition = (
    type: string,
    status: string,
    reason: string,
    message: string,
  ): Record<string, string> => ({
    type,
    status,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
    reason,
    message,
  });
  const capacity = {
    cpu: '8',
    'ephemeral-storage': '102350Mi',
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: '16336052Ki',
    pods: '110',
  };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      labels,
      annotations: {
        'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///run/containerd/containerd.sock',
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: {
      podCIDR: `10.244.${index}.0/24`,
      podCIDRs: [`10.244.${index}.0/24`],
      providerID: `kind://docker/kubelab/${spec.name}`,
      ...(taints.length ? { taints } : {}),
    },
    status: {
      addresses: [
        { address: internalIp, type: 'InternalIP' },
        { address: spec.name, type: 'Hostname' },
      ],
      allocatable: capacity,
      capacity,
      conditions: [
        condition(
          'MemoryPressure',
          'False',
          'KubeletHasSufficientMemory',
          'kubelet has sufficient memory available',
        ),
        condition(
          'DiskPressure',
          'False',
          'KubeletHasNoDiskPressure',
          'kubelet has no disk pressure',
        ),
        condition(
          'PIDPressure',
          'False',
          'KubeletHasSufficientPID',
          'kubelet has sufficient PID available',
        ),
        condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: 'amd64',
        bootID: randomUuid(random),
        containerRuntimeVersion: KUBERNETES_VERSION.containerRuntimeVersion,
        kernelVersion: '6.1.0-kubelab',
        kubeProxyVersion: KUBERNETES_VERSION.gitVersion,
        kubeletVersion: KUBERNETES_VERSION.gitVersion,
        machineID: randomUuid(random).replace(/-/g, ''),
        operatingSystem: 'linux',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        systemUUID: randomUuid(random),
      },
    },
  };
}

/** A node's heartbeat Lease in kube-node-lease, owned by its Node (as the kubelet creates it). */
export function nodeLease(node: KubeObject, now: string): KubeObject {
  const name = node.metadata.name ?? '';
  return {
    metadata: {
      name,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid ?? '' }],
    },
    spec: {
      holderIdentity: name,
      leaseDurationSeconds: 40,
      renewTime: now.replace('Z', '.000000Z'),
    },
  };
}

const namespaces = findResource('', 'v1', 'namespaces')!;
const services = findResource('', 'v1', 'services')!;
const endpoints = findResource('', 'v1', 'endpoints')!;
const nodes = findResource('', 'v1', 'nodes')!;
const leases = findResource('coordination.k8s.io', 'v1', 'leases')!;
const kubelets = findResource('kubelab.dev', 'v1alpha1', 'kubelets')!;

/**
 * A node's simulated kubelet (kubelab.dev/v1alpha1 Kubelet), running. Owned by its Node, so it
 * goes when the node does.
 */
export function ensureKubelet(registry: Registry, node: KubeObject): void {
  const name = node.metadata.name ?? '';
  if (stored(registry, kubelets, '', name)) return;
  registry.create(kubelets, '', {
    apiVersion: 'kubelab.dev/v1alpha1',
    kind: 'Kubelet',
    metadata: {
      name,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid ?? '' }],
    },
    spec: { state: 'Running' },
  } as KubeObject);
  registry.modify(
    kubelets,
    '',
    name,
    (current) => {
      (current as { status?: unknown }).status = {
        state: 'Running',
        lastTransitionTime: registry.now(),
      };
      return current;
    },
    { subresource: 'status' },
  );
}

export interface BootstrapOptions {
  readonly registry: Registry;
  readonly random: Random;
  readonly nodes: readonly NodeSpec[];
}

/** The stored object, if there is one (without the registry's 404 for the usual case). */
function stored(
  registry: Registry,
  type: ResourceType,
  namespace: string,
  name: string,
): KubeObject | undefined {
  return registry.store.get({
    resource: bucketOf(type),
    namespace: type.namespaced ? namespace : '',
    name,
  });
}

/**
 * Creates the objects of a fresh cluster that do not exist yet. A fresh cluster gets all of them;
 * a cluster restarted from its data folder keeps what it has, changes included, and gains only
 * what is missing (the nodes of a larger --workers, or a system namespace someone deleted, which
 * kube-apiserver recreates too) — never a duplicate, never a reset.
 */
export function bootstrapCluster(options: BootstrapOptions): void {
  const { registry } = options;
  const ensure = (type: ResourceType, namespace: string, object: KubeObject): void => {
    if (!stored(registry, type, namespace, object.metadata.name ?? '')) {
      registry.create(type, namespace, object);
    }
  };
  for (const name of [
    'default',
    'kube-node-lease',
    'kube-public',
    'kube-system',
    'local-path-storage',
  ]) {
    ensure(namespaces, '', { metadata: { name } });
  }
  ensure(services, 'default', {
    metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      clusterIP: '10.96.0.1',
      clusterIPs: ['10.96.0.1'],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
      type: 'ClusterIP',
    },
  });
  ensure(services, 'kube-system', {
    metadata: {
      name: 'kube-dns',
      labels: {
        'k8s-app': 'kube-dns',
        'kubernetes.io/cluster-service': 'true',
        'kubernetes.io/name': 'CoreDNS',
      },
      annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' },
    },
    spec: {
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10'],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
      ],
      selector: { 'k8s-app': 'kube-dns' },
    },
  });
  const tainted = options.nodes.some((n) => n.role === 'worker');
  options.nodes.forEach((spec, index) => {
    // Node objects draw on the random source: only for nodes that are really made.
    const node =
      stored(registry, nodes, '', spec.name) ??
      registry.create(nodes, '', nodeObject(spec, index, options.random, registry.now(), tainted));
    if (!stored(registry, leases, 'kube-node-lease', spec.name)) {
      registry.create(leases, 'kube-node-lease', nodeLease(node, registry.now()));
    }
    ensureKubelet(registry, node);
  });
  // What kube-apiserver's endpoint reconciler keeps for the `kubernetes` Service: the API
  // server's address on the control plane (the Service has no selector, so no controller
  // writes it), marked not to be mirrored into an EndpointSlice.
  const controlPlane = options.nodes.findIndex((n) => n.role === 'control-plane');
  if (controlPlane >= 0) {
    ensure(endpoints, 'default', {
      metadata: {
        name: 'kubernetes',
        labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' },
      },
      subsets: [
        {
          addresses: [{ ip: nodeInternalIp(controlPlane) }],
          ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
        },
      ],
    });
  }
}

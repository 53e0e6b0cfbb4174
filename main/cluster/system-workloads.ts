/**
 * The system workloads a fresh kind cluster (kind v0.23, Kubernetes 1.30) runs before anyone
 * applies anything, so `kubectl get pods -A` and `kubectl get ds -A` look here as they do there:
 * - kube-system: the `kindnet` and `kube-proxy` DaemonSets (one pod per node, control plane
 *   included: they tolerate everything), the `coredns` Deployment (2 replicas), and the control
 *   plane's static pods (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) as the
 *   mirror pods the kubelet posts for them;
 * - local-path-storage: the `local-path-provisioner` Deployment and the default StorageClass
 *   `standard`.
 * The workloads go through the controllers like anything a learner applies; the mirror pods are
 * created bound to the control-plane node, as a kubelet creates them.
 */
import type { KubeObject } from '../kube/objects';
import { findResource, type ResourceType } from '../kube/resources';
import { KUBERNETES_VERSION } from '../kube/version';
import { bucketOf, type Registry } from '../apiserver/registry/registry';

const daemonSets = findResource('apps', 'v1', 'daemonsets')!;
const deployments = findResource('apps', 'v1', 'deployments')!;
const pods = findResource('', 'v1', 'pods')!;
const configMaps = findResource('', 'v1', 'configmaps')!;
const serviceAccounts = findResource('', 'v1', 'serviceaccounts')!;
const storageClasses = findResource('storage.k8s.io', 'v1', 'storageclasses')!;

/** Image versions kind v0.23's node image for Kubernetes 1.30 carries. */
export const SYSTEM_IMAGES = {
  kindnet: 'docker.io/kindest/kindnetd:v20240513-cd2ac642',
  kubeProxy: `registry.k8s.io/kube-proxy:${KUBERNETES_VERSION.gitVersion}`,
  coredns: 'registry.k8s.io/coredns/coredns:v1.11.1',
  etcd: 'registry.k8s.io/etcd:3.5.12-0',
  apiserver: `registry.k8s.io/kube-apiserver:${KUBERNETES_VERSION.gitVersion}`,
  controllerManager: `registry.k8s.io/kube-controller-manager:${KUBERNETES_VERSION.gitVersion}`,
  scheduler: `registry.k8s.io/kube-scheduler:${KUBERNETES_VERSION.gitVersion}`,
  localPath: 'docker.io/kindest/local-path-provisioner:v20240513-b9bba138',
} as const;

const NODE_CRITICAL = 'system-node-critical';
const CLUSTER_CRITICAL = 'system-cluster-critical';

function kindnet(): KubeObject {
  const labels = { app: 'kindnet', 'k8s-app': 'kindnet', tier: 'node' };
  return {
    metadata: { name: 'kindnet', namespace: 'kube-system', labels },
    spec: {
      selector: { matchLabels: { app: 'kindnet' } },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: 'kindnet-cni',
              image: SYSTEM_IMAGES.kindnet,
              env: [
                { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
                { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                { name: 'POD_SUBNET', value: '10.244.0.0/16' },
                { name: 'CONTROL_PLANE_ENDPOINT', value: 'lab-control-plane:6443' },
              ],
              resources: {
                limits: { cpu: '100m', memory: '50Mi' },
                requests: { cpu: '100m', memory: '50Mi' },
              },
              securityContext: {
                capabilities: { add: ['NET_RAW', 'NET_ADMIN'] },
                privileged: false,
              },
              volumeMounts: [
                { mountPath: '/etc/cni/net.d', name: 'cni-cfg' },
                { mountPath: '/run/xtables.lock', name: 'xtables-lock' },
                { mountPath: '/lib/modules', name: 'lib-modules', readOnly: true },
              ],
            },
          ],
          hostNetwork: true,
          serviceAccountName: 'kindnet',
          tolerations: [{ effect: 'NoSchedule', operator: 'Exists' }],
          volumes: [
            { name: 'cni-cfg', hostPath: { path: '/etc/cni/net.d', type: '' } },
            { name: 'xtables-lock', hostPath: { path: '/run/xtables.lock', type: 'FileOrCreate' } },
            { name: 'lib-modules', hostPath: { path: '/lib/modules', type: '' } },
          ],
        },
      },
    },
  } as unknown as KubeObject;
}

function kubeProxy(): KubeObject {
  return {
    metadata: { name: 'kube-proxy', namespace: 'kube-system', labels: { 'k8s-app': 'kube-proxy' } },
    spec: {
      selector: { matchLabels: { 'k8s-app': 'kube-proxy' } },
      template: {
        metadata: { labels: { 'k8s-app': 'kube-proxy' } },
        spec: {
          containers: [
            {
              name: 'kube-proxy',
              image: SYSTEM_IMAGES.kubeProxy,
              command: [
                '/usr/local/bin/kube-proxy',
                '--config=/var/lib/kube-proxy/config.conf',
                '--hostname-override=$(NODE_NAME)',
              ],
              env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
              securityContext: { privileged: true },
              volumeMounts: [
                { mountPath: '/var/lib/kube-proxy', name: 'kube-proxy' },
                { mountPath: '/run/xtables.lock', name: 'xtables-lock' },
                { mountPath: '/lib/modules', name: 'lib-modules', readOnly: true },
              ],
            },
          ],
          hostNetwork: true,
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          priorityClassName: NODE_CRITICAL,
          serviceAccountName: 'kube-proxy',
          tolerations: [{ operator: 'Exists' }],
          volumes: [
            { name: 'kube-proxy', configMap: { name: 'kube-proxy' } },
            { name: 'xtables-lock', hostPath: { path: '/run/xtables.lock', type: 'FileOrCreate' } },
            { name: 'lib-modules', hostPath: { path: '/lib/modules', type: '' } },
          ],
        },
      },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
    },
  } as unknown as KubeObject;
}

function coredns(): KubeObject {
  return {
    metadata: { name: 'coredns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels: { 'k8s-app': 'kube-dns' } },
        spec: {
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: {
                    labelSelector: {
                      matchExpressions: [{ key: 'k8s-app', operator: 'In', values: ['kube-dns'] }],
                    },
                    topologyKey: 'kubernetes.io/hostname',
                  },
                },
              ],
            },
          },
          containers: [
            {
              name: 'coredns',
              image: SYSTEM_IMAGES.coredns,
              args: ['-conf', '/etc/coredns/Corefile'],
              ports: [
                { containerPort: 53, name: 'dns', protocol: 'UDP' },
                { containerPort: 53, name: 'dns-tcp', protocol: 'TCP' },
                { containerPort: 9153, name: 'metrics', protocol: 'TCP' },
              ],
              resources: {
                limits: { memory: '170Mi' },
                requests: { cpu: '100m', memory: '70Mi' },
              },
              readinessProbe: { httpGet: { path: '/ready', port: 8181, scheme: 'HTTP' } },
              livenessProbe: {
                httpGet: { path: '/health', port: 8080, scheme: 'HTTP' },
                initialDelaySeconds: 60,
                timeoutSeconds: 5,
                failureThreshold: 5,
              },
              volumeMounts: [{ mountPath: '/etc/coredns', name: 'config-volume', readOnly: true }],
            },
          ],
          dnsPolicy: 'Default',
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          priorityClassName: CLUSTER_CRITICAL,
          serviceAccountName: 'coredns',
          tolerations: [
            { key: 'CriticalAddonsOnly', operator: 'Exists' },
            { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
          ],
          volumes: [
            {
              name: 'config-volume',
              configMap: { name: 'coredns', items: [{ key: 'Corefile', path: 'Corefile' }] },
            },
          ],
        },
      },
    },
  } as unknown as KubeObject;
}

function localPathProvisioner(): KubeObject {
  return {
    metadata: { name: 'local-path-provisioner', namespace: 'local-path-storage' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'local-path-provisioner' } },
      template: {
        metadata: { labels: { app: 'local-path-provisioner' } },
        spec: {
          containers: [
            {
              name: 'local-path-provisioner',
              image: SYSTEM_IMAGES.localPath,
              command: [
                'local-path-provisioner',
                '--debug',
                'start',
                '--helper-image',
                'docker.io/kindest/local-path-helper:v20230510-486859a6',
                '--config',
                '/etc/config/config.json',
              ],
              env: [
                {
                  name: 'POD_NAMESPACE',
                  valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
                },
              ],
              volumeMounts: [{ mountPath: '/etc/config/', name: 'config-volume' }],
            },
          ],
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          serviceAccountName: 'local-path-provisioner-service-account',
          tolerations: [
            {
              effect: 'NoSchedule',
              key: 'node-role.kubernetes.io/control-plane',
              operator: 'Equal',
            },
            { effect: 'NoSchedule', key: 'node-role.kubernetes.io/master', operator: 'Equal' },
          ],
          volumes: [{ name: 'config-volume', configMap: { name: 'local-path-config' } }],
        },
      },
    },
  } as unknown as KubeObject;
}

/** A static pod's mirror, as the kubelet posts it: bound, owned by the Node, `config.mirror`. */
function mirrorPod(
  component: string,
  image: string,
  command: string[],
  node: KubeObject,
): KubeObject {
  const nodeName = node.metadata.name ?? '';
  const hash = mirrorHash(`${component}/${image}`);
  return {
    metadata: {
      name: `${component}-${nodeName}`,
      namespace: 'kube-system',
      labels: { component, tier: 'control-plane' },
      annotations: {
        'kubernetes.io/config.hash': hash,
        'kubernetes.io/config.mirror': hash,
        'kubernetes.io/config.seen': '',
        'kubernetes.io/config.source': 'file',
      },
      ownerReferences: [
        {
          apiVersion: 'v1',
          kind: 'Node',
          name: nodeName,
          uid: node.metadata.uid ?? '',
          controller: true,
        },
      ],
    },
    spec: {
      containers: [
        {
          name: component,
          image,
          command,
          resources: { requests: { cpu: component === 'etcd' ? '100m' : '250m' } },
        },
      ],
      hostNetwork: true,
      nodeName,
      priorityClassName: NODE_CRITICAL,
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      tolerations: [{ effect: 'NoExecute', operator: 'Exists' }],
    },
  } as unknown as KubeObject;
}

/** A stable 32-hex-digit hash, shaped like the kubelet's config hash of a static pod file. */
function mirrorHash(text: string): string {
  let out = '';
  let h = 0x811c9dc5;
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i) + round;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    out += h.toString(16).padStart(8, '0');
  }
  return out;
}

function exists(registry: Registry, type: ResourceType, namespace: string, name: string): boolean {
  return (
    registry.store.get({
      resource: bucketOf(type),
      namespace: type.namespaced ? namespace : '',
      name,
    }) !== undefined
  );
}

/**
 * Creates the system workloads that do not exist yet (a restarted cluster keeps its own). The
 * control-plane node must exist.
 */
export function bootstrapSystemWorkloads(registry: Registry, controlPlane: KubeObject): void {
  const ensure = (type: ResourceType, object: KubeObject): void => {
    const namespace = object.metadata.namespace ?? '';
    if (!exists(registry, type, namespace, object.metadata.name ?? '')) {
      registry.create(type, namespace, object, { fieldManager: 'kubeadm' });
    }
  };
  for (const name of ['kindnet', 'kube-proxy', 'coredns']) {
    ensure(serviceAccounts, { metadata: { name, namespace: 'kube-system' } } as KubeObject);
  }
  ensure(serviceAccounts, {
    metadata: { name: 'local-path-provisioner-service-account', namespace: 'local-path-storage' },
  } as KubeObject);
  ensure(configMaps, {
    metadata: { name: 'coredns', namespace: 'kube-system' },
    data: {
      Corefile:
        '.:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n    prometheus :9153\n    forward . /etc/resolv.conf {\n       max_concurrent 1000\n    }\n    cache 30\n    loop\n    reload\n    loadbalance\n}\n',
    },
  } as unknown as KubeObject);
  ensure(configMaps, {
    metadata: { name: 'kube-proxy', namespace: 'kube-system', labels: { app: 'kube-proxy' } },
    data: {
      'config.conf':
        'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: iptables\n',
    },
  } as unknown as KubeObject);
  ensure(configMaps, {
    metadata: { name: 'local-path-config', namespace: 'local-path-storage' },
    data: {
      'config.json':
        '{\n        "nodePathMap":[\n        {\n                "node":"DEFAULT_PATH_FOR_NON_LISTED_NODES",\n                "paths":["/var/local-path-provisioner"]\n        }\n        ]\n}',
    },
  } as unknown as KubeObject);
  ensure(storageClasses, {
    metadata: {
      name: 'standard',
      annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
    },
    provisioner: 'rancher.io/local-path',
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  } as unknown as KubeObject);
  ensure(daemonSets, kindnet());
  ensure(daemonSets, kubeProxy());
  ensure(deployments, coredns());
  ensure(deployments, localPathProvisioner());
  const statics: Array<[string, string, string[]]> = [
    [
      'etcd',
      SYSTEM_IMAGES.etcd,
      ['etcd', '--data-dir=/var/lib/etcd', '--listen-client-urls=https://127.0.0.1:2379'],
    ],
    [
      'kube-apiserver',
      SYSTEM_IMAGES.apiserver,
      ['kube-apiserver', '--secure-port=6443', '--service-cluster-ip-range=10.96.0.0/16'],
    ],
    [
      'kube-controller-manager',
      SYSTEM_IMAGES.controllerManager,
      ['kube-controller-manager', '--cluster-cidr=10.244.0.0/16', '--leader-elect=true'],
    ],
    ['kube-scheduler', SYSTEM_IMAGES.scheduler, ['kube-scheduler', '--leader-elect=true']],
  ];
  for (const [component, image, command] of statics) {
    ensure(pods, mirrorPod(component, image, command, controlPlane));
  }
}

// Facts kubernetes-types cannot carry: the strategic-merge-patch tags (`patchStrategy`,
// `patchMergeKey`) and the server-side-apply list markers (`listType`, `listMapKey`) of the Go
// types in k8s.io/api and k8s.io/apimachinery (v1.30 `types.go` struct tags and `+listType`
// comments). Keyed by `<schema>.<field>`. The generator writes them into the schemas as
// `x-kubernetes-patch-strategy`, `x-kubernetes-patch-merge-key`, `x-kubernetes-list-type` and
// `x-kubernetes-list-map-keys`, where the apiserver's own OpenAPI carries them.
const core = 'io.k8s.api.core.v1';
const apps = 'io.k8s.api.apps.v1';
const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const policy = 'io.k8s.api.policy.v1';

const byName = (strategy = 'merge') => ({
  strategy,
  mergeKey: 'name',
  listType: 'map',
  keys: ['name'],
});
const conditions = { strategy: 'merge', mergeKey: 'type', listType: 'map', keys: ['type'] };
const containerFields = (type) => ({
  [`${type}.ports`]: {
    strategy: 'merge',
    mergeKey: 'containerPort',
    listType: 'map',
    keys: ['containerPort', 'protocol'],
  },
  [`${type}.env`]: byName(),
  [`${type}.volumeMounts`]: {
    strategy: 'merge',
    mergeKey: 'mountPath',
    listType: 'map',
    keys: ['mountPath'],
  },
  [`${type}.volumeDevices`]: {
    strategy: 'merge',
    mergeKey: 'devicePath',
    listType: 'map',
    keys: ['devicePath'],
  },
  [`${type}.resizePolicy`]: { listType: 'atomic' },
  [`${type}.envFrom`]: { listType: 'atomic' },
  [`${type}.command`]: { listType: 'atomic' },
  [`${type}.args`]: { listType: 'atomic' },
});

export const PATCH_META = {
  [`${meta}.ObjectMeta.finalizers`]: { strategy: 'merge', listType: 'set' },
  [`${meta}.ObjectMeta.ownerReferences`]: {
    strategy: 'merge',
    mergeKey: 'uid',
    listType: 'map',
    keys: ['uid'],
  },
  [`${meta}.ObjectMeta.managedFields`]: { listType: 'atomic' },

  [`${core}.PodSpec.volumes`]: byName('merge,retainKeys'),
  [`${core}.PodSpec.initContainers`]: byName(),
  [`${core}.PodSpec.containers`]: byName(),
  [`${core}.PodSpec.ephemeralContainers`]: byName(),
  [`${core}.PodSpec.imagePullSecrets`]: byName(),
  [`${core}.PodSpec.hostAliases`]: {
    strategy: 'merge',
    mergeKey: 'ip',
    listType: 'map',
    keys: ['ip'],
  },
  [`${core}.PodSpec.topologySpreadConstraints`]: {
    strategy: 'merge',
    mergeKey: 'topologyKey',
    listType: 'map',
    keys: ['topologyKey', 'whenUnsatisfiable'],
  },
  [`${core}.PodSpec.tolerations`]: { listType: 'atomic' },
  [`${core}.PodSpec.readinessGates`]: { listType: 'atomic' },
  [`${core}.PodSpec.resourceClaims`]: byName('merge,retainKeys'),
  [`${core}.PodSpec.schedulingGates`]: byName(),
  ...containerFields(`${core}.Container`),
  ...containerFields(`${core}.EphemeralContainer`),
  [`${core}.PodStatus.conditions`]: conditions,
  [`${core}.PodStatus.podIPs`]: {
    strategy: 'merge',
    mergeKey: 'ip',
    listType: 'map',
    keys: ['ip'],
  },
  [`${core}.PodStatus.hostIPs`]: {
    strategy: 'merge',
    mergeKey: 'ip',
    listType: 'map',
    keys: ['ip'],
  },
  [`${core}.NodeSpec.podCIDRs`]: { strategy: 'merge', listType: 'set' },
  [`${core}.NodeSpec.taints`]: { listType: 'atomic' },
  [`${core}.NodeStatus.conditions`]: conditions,
  [`${core}.NodeStatus.addresses`]: conditions,
  [`${core}.NamespaceStatus.conditions`]: conditions,
  [`${core}.ServiceSpec.ports`]: {
    strategy: 'merge',
    mergeKey: 'port',
    listType: 'map',
    keys: ['port', 'protocol'],
  },
  [`${core}.ServiceSpec.clusterIPs`]: { listType: 'atomic' },
  [`${core}.ServiceSpec.ipFamilies`]: { listType: 'atomic' },
  [`${core}.ServiceStatus.conditions`]: conditions,
  [`${core}.ServiceAccount.secrets`]: byName(),
  [`${core}.ReplicationControllerStatus.conditions`]: conditions,

  [`${apps}.DeploymentSpec.strategy`]: { strategy: 'retainKeys' },
  [`${apps}.DeploymentStatus.conditions`]: conditions,
  [`${apps}.DaemonSetStatus.conditions`]: conditions,
  [`${apps}.ReplicaSetStatus.conditions`]: conditions,
  [`${apps}.StatefulSetStatus.conditions`]: conditions,

  [`${policy}.PodDisruptionBudgetStatus.conditions`]: conditions,
};

/**
 * Resource identity, in one table (DESIGN.md rule 7): kind, group, version, plural, singular,
 * short names, categories, scope, verbs and subresources of every resource the embedded API server
 * serves. Discovery, routing, tables, OpenAPI paths and clients all read this table.
 * Names and verbs are those of kube-apiserver 1.30.
 */

export type Verb =
  'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

export interface Subresource {
  readonly name: string;
  /** The kind the subresource reads or writes (e.g. `Scale` in autoscaling/v1 for `scale`). */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly verbs: readonly Verb[];
}

export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly listKind: string;
  /** The plural, lower-case resource name used in URLs. */
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly namespaced: boolean;
  readonly verbs: readonly Verb[];
  readonly subresources: readonly Subresource[];
  /** The generated schema name, e.g. `io.k8s.api.apps.v1.DaemonSet`. */
  readonly schema: string;
  /**
   * Served as a CustomResourceDefinition's resource would be (Kubelab's own group): JSON and YAML
   * bodies only, and no strategic merge patch (kubectl falls back to a JSON merge patch).
   */
  readonly custom: boolean;
}

const ALL_VERBS: readonly Verb[] = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];
const NO_COLLECTION_DELETE: readonly Verb[] = ALL_VERBS.filter((v) => v !== 'deletecollection');
const STATUS_VERBS: readonly Verb[] = ['get', 'patch', 'update'];

interface Spec {
  group: string;
  version: string;
  kind: string;
  plural: string;
  shortNames?: string[];
  categories?: string[];
  namespaced: boolean;
  verbs?: readonly Verb[];
  subresources?: Subresource[];
  schemaPrefix: string;
  custom?: boolean;
}

function resource(spec: Spec): ResourceType {
  return {
    group: spec.group,
    version: spec.version,
    kind: spec.kind,
    listKind: `${spec.kind}List`,
    plural: spec.plural,
    singular: spec.kind.toLowerCase(),
    shortNames: spec.shortNames ?? [],
    categories: spec.categories ?? [],
    namespaced: spec.namespaced,
    verbs: spec.verbs ?? ALL_VERBS,
    subresources: spec.subresources ?? [],
    schema: `${spec.schemaPrefix}.${spec.kind}`,
    custom: spec.custom ?? false,
  };
}

const core = { group: '', version: 'v1', schemaPrefix: 'io.k8s.api.core.v1' };
const apps = { group: 'apps', version: 'v1', schemaPrefix: 'io.k8s.api.apps.v1' };
/** Kubelab's simulator controls (main/kube/simulator-types.ts); only the embedded cluster has them. */
const kubelab = {
  group: 'kubelab.dev',
  version: 'v1alpha1',
  schemaPrefix: 'dev.kubelab.v1alpha1',
  custom: true,
};
/** The cluster makes these objects (one clock, a kubelet per node); clients read and change them. */
const SIMULATOR_VERBS: readonly Verb[] = ['get', 'list', 'patch', 'update', 'watch'];

function status(group: string, version: string, kind: string): Subresource {
  return { name: 'status', group, version, kind, verbs: STATUS_VERBS };
}

const scale: Subresource = {
  name: 'scale',
  group: 'autoscaling',
  version: 'v1',
  kind: 'Scale',
  verbs: STATUS_VERBS,
};

/** Every resource the embedded API server serves, in discovery order. */
export const RESOURCES: readonly ResourceType[] = [
  resource({ ...core, kind: 'Binding', plural: 'bindings', namespaced: true, verbs: ['create'] }),
  resource({
    ...core,
    kind: 'ConfigMap',
    plural: 'configmaps',
    shortNames: ['cm'],
    namespaced: true,
  }),
  resource({
    ...core,
    kind: 'Endpoints',
    plural: 'endpoints',
    shortNames: ['ep'],
    namespaced: true,
  }),
  resource({ ...core, kind: 'Event', plural: 'events', shortNames: ['ev'], namespaced: true }),
  resource({
    ...core,
    kind: 'Namespace',
    plural: 'namespaces',
    shortNames: ['ns'],
    namespaced: false,
    verbs: NO_COLLECTION_DELETE,
    subresources: [
      status('', 'v1', 'Namespace'),
      { name: 'finalize', group: '', version: 'v1', kind: 'Namespace', verbs: ['update'] },
    ],
  }),
  resource({
    ...core,
    kind: 'Node',
    plural: 'nodes',
    shortNames: ['no'],
    namespaced: false,
    subresources: [status('', 'v1', 'Node')],
  }),
  resource({
    ...core,
    kind: 'Pod',
    plural: 'pods',
    shortNames: ['po'],
    categories: ['all'],
    namespaced: true,
    subresources: [
      {
        name: 'attach',
        group: '',
        version: 'v1',
        kind: 'PodAttachOptions',
        verbs: ['create', 'get'],
      },
      { name: 'binding', group: '', version: 'v1', kind: 'Binding', verbs: ['create'] },
      { name: 'eviction', group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] },
      { name: 'exec', group: '', version: 'v1', kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'log', group: '', version: 'v1', kind: 'Pod', verbs: ['get'] },
      {
        name: 'portforward',
        group: '',
        version: 'v1',
        kind: 'PodPortForwardOptions',
        verbs: ['create', 'get'],
      },
      status('', 'v1', 'Pod'),
    ],
  }),
  resource({ ...core, kind: 'Secret', plural: 'secrets', namespaced: true }),
  resource({
    ...core,
    kind: 'ServiceAccount',
    plural: 'serviceaccounts',
    shortNames: ['sa'],
    namespaced: true,
  }),
  resource({
    ...core,
    kind: 'Service',
    plural: 'services',
    shortNames: ['svc'],
    categories: ['all'],
    namespaced: true,
    subresources: [status('', 'v1', 'Service')],
  }),
  resource({
    ...apps,
    kind: 'ControllerRevision',
    plural: 'controllerrevisions',
    namespaced: true,
  }),
  resource({
    ...apps,
    kind: 'DaemonSet',
    plural: 'daemonsets',
    shortNames: ['ds'],
    categories: ['all'],
    namespaced: true,
    subresources: [status('apps', 'v1', 'DaemonSet')],
  }),
  resource({
    ...apps,
    kind: 'Deployment',
    plural: 'deployments',
    shortNames: ['deploy'],
    categories: ['all'],
    namespaced: true,
    subresources: [scale, status('apps', 'v1', 'Deployment')],
  }),
  resource({
    ...apps,
    kind: 'ReplicaSet',
    plural: 'replicasets',
    shortNames: ['rs'],
    categories: ['all'],
    namespaced: true,
    subresources: [scale, status('apps', 'v1', 'ReplicaSet')],
  }),
  resource({
    group: 'coordination.k8s.io',
    version: 'v1',
    schemaPrefix: 'io.k8s.api.coordination.v1',
    kind: 'Lease',
    plural: 'leases',
    namespaced: true,
  }),
  resource({
    group: 'events.k8s.io',
    version: 'v1',
    schemaPrefix: 'io.k8s.api.events.v1',
    kind: 'Event',
    plural: 'events',
    shortNames: ['ev'],
    namespaced: true,
  }),
  resource({
    group: 'policy',
    version: 'v1',
    schemaPrefix: 'io.k8s.api.policy.v1',
    kind: 'PodDisruptionBudget',
    plural: 'poddisruptionbudgets',
    shortNames: ['pdb'],
    namespaced: true,
    subresources: [status('policy', 'v1', 'PodDisruptionBudget')],
  }),
  resource({
    group: 'storage.k8s.io',
    version: 'v1',
    schemaPrefix: 'io.k8s.api.storage.v1',
    kind: 'StorageClass',
    plural: 'storageclasses',
    shortNames: ['sc'],
    namespaced: false,
  }),
  resource({
    ...kubelab,
    kind: 'Clock',
    plural: 'clocks',
    categories: ['kubelab'],
    namespaced: false,
    verbs: SIMULATOR_VERBS,
    subresources: [
      {
        name: 'advance',
        group: kubelab.group,
        version: kubelab.version,
        kind: 'ClockAdvance',
        verbs: ['create'],
      },
      status(kubelab.group, kubelab.version, 'Clock'),
    ],
  }),
  resource({
    ...kubelab,
    kind: 'Kubelet',
    plural: 'kubelets',
    categories: ['kubelab'],
    namespaced: false,
    verbs: SIMULATOR_VERBS,
    subresources: [status(kubelab.group, kubelab.version, 'Kubelet')],
  }),
  resource({
    ...kubelab,
    kind: 'Snapshot',
    plural: 'snapshots',
    categories: ['kubelab'],
    namespaced: false,
    // All verbs, as a custom resource has: kubectl's strict validation looks for the PATCH
    // operation in the OpenAPI to learn that the server validates fields.
    subresources: [
      {
        name: 'restore',
        group: kubelab.group,
        version: kubelab.version,
        kind: 'SnapshotRestore',
        verbs: ['create'],
      },
    ],
  }),
];

/** `apps/v1` or `v1`. */
export function groupVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

export function apiVersionOf(type: Pick<ResourceType, 'group' | 'version'>): string {
  return groupVersion(type.group, type.version);
}

/** The groups served, core first, with their versions, in discovery order. */
export function servedGroups(): Array<{ group: string; versions: string[] }> {
  const groups: Array<{ group: string; versions: string[] }> = [];
  for (const type of RESOURCES) {
    let entry = groups.find((g) => g.group === type.group);
    if (!entry) {
      entry = { group: type.group, versions: [] };
      groups.push(entry);
    }
    if (!entry.versions.includes(type.version)) entry.versions.push(type.version);
  }
  return groups;
}

/** Finds a resource by group, version and plural. */
export function findResource(
  group: string,
  version: string,
  plural: string,
): ResourceType | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

/** Finds a resource by its kind and apiVersion, as objects name themselves. */
export function findByKind(apiVersion: string, kind: string): ResourceType | undefined {
  return RESOURCES.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);
}

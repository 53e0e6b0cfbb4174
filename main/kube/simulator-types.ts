/**
 * The `kubelab.dev/v1alpha1` API group: the embedded cluster's simulator controls, served by the
 * embedded API server beside the Kubernetes groups (DESIGN.md §1), so kubectl, the `kubelab` CLI
 * and the app reach them through the kubeconfig like everything else. A real cluster has no such
 * group; the app asks a backend for its capabilities before offering these controls.
 *
 * These declarations are also the schema source: scripts/openapi/generate.mjs reads this file as it
 * reads kubernetes-types, so the doc comments below are what `kubectl explain clock.spec` prints.
 * Keep each comment a plain description, the way the Kubernetes API documents its fields.
 */
import type { ListMeta, ObjectMeta, Time } from 'kubernetes-types/meta/v1';

/** The name of the one Clock. */
export const CLOCK_NAME = 'cluster';
/** The longest jump one ClockAdvance may make (ms). */
export const MAX_ADVANCE_MS = 24 * 60 * 60 * 1000;
/** How fast simulated work happens (Clock `spec.pace`). */
export const PACES: readonly string[] = ['Instant', 'Realistic'];
export const KUBELET_STATES: readonly string[] = ['Running', 'Stopped'];

/**
 * Clock is the embedded cluster's clock. There is one, named "cluster". Advancing it (a ClockAdvance sent to its "advance" subresource) ages the cluster: everything due in the skipped time happens, in order (a node becoming NotReady, pods being evicted, a rollout's minReadySeconds passing), and every timestamp the cluster shows moves back by the amount, so ages stay true to the wall clock.
 */
export interface Clock {
  /** APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources */
  apiVersion?: 'kubelab.dev/v1alpha1';
  /** Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds */
  kind?: 'Clock';
  /** Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata */
  metadata?: ObjectMeta;
  /** Spec sets how simulated work proceeds. */
  spec?: ClockSpec;
  /** Status reports how far the clock has been advanced. */
  status?: ClockStatus;
}

/** ClockSpec sets how simulated work proceeds. */
export interface ClockSpec {
  /** Pace is how long simulated work takes. "Realistic": pulling an image and starting a container take about a second, as on a small real cluster. "Instant": they take no time, for tests and large clusters. Defaults to "Realistic". */
  pace?: string;
}

/** ClockStatus reports how far the clock has been advanced. */
export interface ClockStatus {
  /** AdvancedSeconds is the total time skipped by ClockAdvance requests since the cluster was made. */
  advancedSeconds?: number;
}

/** ClockAdvance moves a Clock forward, sent to the clock's "advance" subresource. Everything due on the way happens, in order. */
export interface ClockAdvance {
  /** APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources */
  apiVersion?: 'kubelab.dev/v1alpha1';
  /** Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds */
  kind?: 'ClockAdvance';
  /** Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata */
  metadata?: ObjectMeta;
  /** Duration is how far to move the clock, a whole number of seconds as a Go duration such as "40s", "5m" or "1h30m". At most 24h per request. */
  duration: string;
}

/** ClockList is a list of Clocks. */
export interface ClockList {
  /** APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources */
  apiVersion?: 'kubelab.dev/v1alpha1';
  /** Items is the list of Clocks. */
  items: Clock[];
  /** Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds */
  kind?: 'ClockList';
  /** Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds */
  metadata?: ListMeta;
}

/**
 * Kubelet is the simulated kubelet of one node, named after its node. Stopping it is what happens when a machine loses power or its kubelet crashes: the node stops posting status and renewing its lease, the node lifecycle controller marks it NotReady and taints it, and its pods are evicted after their tolerations run out. Starting it again brings the node back.
 */
export interface Kubelet {
  /** APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources */
  apiVersion?: 'kubelab.dev/v1alpha1';
  /** Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds */
  kind?: 'Kubelet';
  /** Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata */
  metadata?: ObjectMeta;
  /** Spec is the desired state of the kubelet. */
  spec?: KubeletSpec;
  /** Status is the observed state of the kubelet. */
  status?: KubeletStatus;
}

/** KubeletSpec is the desired state of a simulated kubelet. */
export interface KubeletSpec {
  /** State is "Running" or "Stopped". Defaults to "Running". */
  state?: string;
}

/** KubeletStatus is the observed state of a simulated kubelet. */
export interface KubeletStatus {
  /** State is "Running" or "Stopped", as the simulated kubelet last reported. */
  state?: string;
  /** LastTransitionTime is when the state last changed. */
  lastTransitionTime?: Time;
}

/** KubeletList is a list of Kubelets. */
export interface KubeletList {
  /** APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources */
  apiVersion?: 'kubelab.dev/v1alpha1';
  /** Items is the list of Kubelets. */
  items: Kubelet[];
  /** Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds */
  kind?: 'KubeletList';
  /** Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds */
  metadata?: ListMeta;
}

/**
 * Snapshot is a saved state of the embedded cluster: every object as it was when the Snapshot was created, kept in the server's memory. Restoring it (a SnapshotRestore sent to its "restore" subresource) puts the cluster back: objects made since are deleted, deleted ones come back, changed ones return to their saved state; node heartbeats (Leases) and the Clock keep their current state. Labs and exams use it to reset a cluster to its starting point in well under a second.
 */
export interface Snapshot {
  /** APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources */
  apiVersion?: 'kubelab.dev/v1alpha1';
  /** Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds */
  kind?: 'Snapshot';
  /** Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata */
  metadata?: ObjectMeta;
  /** Status describes what the snapshot holds. */
  status?: SnapshotStatus;
}

/** SnapshotStatus describes what a snapshot holds. */
export interface SnapshotStatus {
  /** Objects is how many objects the snapshot holds. */
  objects?: number;
  /** ResourceVersion is the cluster's resourceVersion when the snapshot was taken. */
  resourceVersion?: string;
  /** LastRestoreTime is when the snapshot was last restored. */
  lastRestoreTime?: Time;
}

/** SnapshotRestore puts the cluster back to a Snapshot, sent to the snapshot's "restore" subresource. */
export interface SnapshotRestore {
  /** APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources */
  apiVersion?: 'kubelab.dev/v1alpha1';
  /** Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds */
  kind?: 'SnapshotRestore';
  /** Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata */
  metadata?: ObjectMeta;
}

/** SnapshotList is a list of Snapshots. */
export interface SnapshotList {
  /** APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources */
  apiVersion?: 'kubelab.dev/v1alpha1';
  /** Items is the list of Snapshots. */
  items: Snapshot[];
  /** Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds */
  kind?: 'SnapshotList';
  /** Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds */
  metadata?: ListMeta;
}

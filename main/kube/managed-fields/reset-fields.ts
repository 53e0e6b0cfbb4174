/**
 * The fields a write through an endpoint does not own, because the endpoint's strategy resets
 * them (`rest.ResetFieldsStrategy.GetResetFields` of each registry strategy, v1.30): writes to
 * the main resource of a kind with a status subresource neither own nor take `status`, writes to
 * `/status` neither own nor take `spec` (and, for some kinds, a few metadata fields). The field
 * manager ignores changes to these fields (`merge.Updater.IgnoredFields`).
 */
import { FieldSet } from './field-set';
import { fieldElement, type Path } from './path';

type Paths = readonly (readonly string[])[];

const STATUS: Paths = [['status']];
const SPEC: Paths = [['spec']];

interface KindResetFields {
  /** Reset by writes to the resource itself. */
  readonly main: Paths;
  /** Reset by writes to subresources, by subresource name. */
  readonly subresources: Readonly<Record<string, Paths>>;
}

const WITH_STATUS: KindResetFields = { main: STATUS, subresources: { status: SPEC } };

/** By schema name. Kinds not listed reset nothing (ConfigMap, Secret, Lease, Event, …). */
export const RESET_FIELDS: Readonly<Record<string, KindResetFields>> = {
  // pkg/registry/apps/deployment/strategy.go: status writes also keep the labels.
  'io.k8s.api.apps.v1.Deployment': {
    main: STATUS,
    subresources: { status: [['spec'], ['metadata', 'labels']] },
  },
  'io.k8s.api.apps.v1.DaemonSet': WITH_STATUS,
  'io.k8s.api.apps.v1.ReplicaSet': WITH_STATUS,
  'io.k8s.api.apps.v1.StatefulSet': WITH_STATUS,
  // pkg/registry/core/pod/strategy.go: kubelets may not touch deletion or owners via /status.
  'io.k8s.api.core.v1.Pod': {
    main: STATUS,
    subresources: {
      status: [['spec'], ['metadata', 'deletionTimestamp'], ['metadata', 'ownerReferences']],
    },
  },
  'io.k8s.api.core.v1.Node': WITH_STATUS,
  'io.k8s.api.core.v1.Service': WITH_STATUS,
  'io.k8s.api.core.v1.ReplicationController': WITH_STATUS,
  // pkg/registry/core/namespace/strategy.go: /finalize resets status, like the main resource.
  'io.k8s.api.core.v1.Namespace': {
    main: STATUS,
    subresources: { status: SPEC, finalize: STATUS },
  },
  'io.k8s.api.policy.v1.PodDisruptionBudget': WITH_STATUS,
  // Custom resources with a status subresource (apiextensions-apiserver customResourceStrategy).
  'dev.kubelab.v1alpha1.Clock': WITH_STATUS,
  'dev.kubelab.v1alpha1.Kubelet': WITH_STATUS,
};

/** The reset field paths of a write to `schemaName` (through `subresource`, if any). */
export function resetFieldsFor(schemaName: string, subresource?: string): Paths {
  const kind = RESET_FIELDS[schemaName];
  if (!kind) return [];
  return subresource ? (kind.subresources[subresource] ?? []) : kind.main;
}

/** Field-name paths as a set. */
export function fieldPathSet(paths: Paths): FieldSet {
  return FieldSet.of(...paths.map((p): Path => p.map(fieldElement)));
}

/**
 * Validation by kind: what the API server's strategies check on create and update. Errors name
 * the field at fault and render as kube-apiserver 1.30 renders them.
 */
import { fieldError, go, type FieldError } from '../field-errors';
import { isPlainObject, type KubeObject } from '../objects';
import { deepEqual } from '../objects';
import {
  validateDaemonSetSpec,
  validateDeploymentSpec,
  validateReplicaSetSpec,
  validateSelectorImmutable,
  goIntOrString,
} from './apps';
import {
  validateObjectMeta,
  validateObjectMetaUpdate,
  nameValidator,
  type NameValidator,
} from './meta';
import {
  isConfigMapKey,
  isDns1035Label,
  isDns1123Label,
  isDns1123Subdomain,
  isQualifiedName,
} from './names';
import { validatePodSpec, validateToleration } from './pod';
import { CLOCK_NAME, KUBELET_STATES, PACES } from '../simulator-types';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});
const asList = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);

const subdomain = nameValidator(isDns1123Subdomain);
const label = nameValidator(isDns1123Label);
const dns1035 = nameValidator(isDns1035Label);

interface KindValidation {
  readonly name: NameValidator;
  readonly create?: (o: Obj) => FieldError[];
  readonly update?: (o: Obj, old: Obj) => FieldError[];
}

function validateDataKeys(data: unknown, field: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const key of Object.keys(obj(data))) {
    for (const msg of isConfigMapKey(key))
      errors.push(fieldError.invalid(field, go.string(key), msg));
  }
  return errors;
}

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function validateService(o: Obj): FieldError[] {
  const errors: FieldError[] = [];
  const spec = obj(o.spec);
  const type = typeof spec.type === 'string' ? spec.type : 'ClusterIP';
  if (!SERVICE_TYPES.includes(type))
    errors.push(fieldError.notSupported('spec.type', go.string(type), SERVICE_TYPES));
  const ports = asList(spec.ports);
  const headless = spec.clusterIP === 'None';
  if (ports.length === 0 && type !== 'ExternalName' && !headless)
    errors.push(fieldError.required('spec.ports'));
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const at = `spec.ports[${i}]`;
    if (ports.length > 1 && !port.name) errors.push(fieldError.required(`${at}.name`));
    if (typeof port.name === 'string' && port.name) {
      for (const msg of isDns1123Label(port.name))
        errors.push(fieldError.invalid(`${at}.name`, go.string(port.name), msg));
      if (names.has(port.name))
        errors.push(fieldError.duplicate(`${at}.name`, go.string(port.name)));
      names.add(port.name);
    }
    const number = port.port;
    if (typeof number !== 'number' || number < 1 || number > 65535) {
      errors.push(
        fieldError.invalid(
          `${at}.port`,
          go.number(Number(number ?? 0)),
          'must be between 1 and 65535, inclusive',
        ),
      );
    }
    if (typeof port.protocol === 'string' && !['TCP', 'UDP', 'SCTP'].includes(port.protocol)) {
      errors.push(
        fieldError.notSupported(`${at}.protocol`, go.string(port.protocol), ['SCTP', 'TCP', 'UDP']),
      );
    }
    if (typeof port.targetPort === 'number' && (port.targetPort < 1 || port.targetPort > 65535)) {
      errors.push(
        fieldError.invalid(
          `${at}.targetPort`,
          goIntOrString(port.targetPort),
          'must be between 1 and 65535, inclusive',
        ),
      );
    }
  });
  return errors;
}

function validateNode(o: Obj): FieldError[] {
  const errors: FieldError[] = [];
  asList(obj(o.spec).taints).forEach((taint, i) => {
    const at = `spec.taints[${i}]`;
    const key = typeof taint.key === 'string' ? taint.key : '';
    if (!key) errors.push(fieldError.required(`${at}.key`));
    else
      for (const msg of isQualifiedName(key))
        errors.push(fieldError.invalid(`${at}.key`, go.string(key), msg));
    const effect = typeof taint.effect === 'string' ? taint.effect : '';
    if (!effect) errors.push(fieldError.required(`${at}.effect`));
    else if (!TAINT_EFFECTS.includes(effect))
      errors.push(fieldError.notSupported(`${at}.effect`, go.string(effect), TAINT_EFFECTS));
  });
  return errors;
}

function validatePdb(o: Obj): FieldError[] {
  const spec = obj(o.spec);
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    return [
      fieldError.invalid(
        'spec',
        go.raw('policy.PodDisruptionBudgetSpec{…}'),
        'minAvailable and maxUnavailable cannot be both set',
      ),
    ];
  }
  return [];
}

const KINDS: Readonly<Record<string, KindValidation>> = {
  'v1/Pod': {
    name: subdomain,
    create: (o) =>
      validatePodSpec(obj(o.spec), 'spec', { restartPolicies: ['Always', 'OnFailure', 'Never'] }),
    update: (o, old) => {
      const errors = validatePodSpec(obj(o.spec), 'spec', {
        restartPolicies: ['Always', 'OnFailure', 'Never'],
      });
      errors.push(...validateSchedulingGatesUpdate(obj(o.spec), obj(old.spec)));
      if (!podSpecUpdateAllowed(obj(o.spec), obj(old.spec))) {
        // Upstream appends a go-cmp diff of the internal PodSpec after a newline; that diff is Go's
        // own rendering and is left out here.
        errors.push(
          fieldError.forbidden(
            'spec',
            'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
          ),
        );
      }
      return errors;
    },
  },
  'v1/Namespace': { name: label },
  'v1/Service': { name: dns1035, create: validateService, update: validateService },
  'v1/ConfigMap': {
    name: subdomain,
    create: (o) => [
      ...validateDataKeys(o.data, 'data'),
      ...validateDataKeys(o.binaryData, 'binaryData'),
    ],
    update: (o, old) =>
      old.immutable === true &&
      (!deepEqual(o.data, old.data) || !deepEqual(o.binaryData, old.binaryData))
        ? [fieldError.forbidden('data', 'field is immutable when `immutable` is set')]
        : [...validateDataKeys(o.data, 'data'), ...validateDataKeys(o.binaryData, 'binaryData')],
  },
  'v1/Secret': {
    name: subdomain,
    create: (o) => validateDataKeys(o.data, 'data'),
    update: (o, old) => [
      ...validateDataKeys(o.data, 'data'),
      ...(o.type !== old.type
        ? [fieldError.invalid('type', go.string(String(o.type ?? '')), 'field is immutable')]
        : []),
    ],
  },
  'v1/ServiceAccount': { name: subdomain },
  'v1/Endpoints': { name: subdomain },
  'v1/Event': { name: subdomain },
  'v1/Node': { name: subdomain, create: validateNode, update: validateNode },
  'v1/Binding': { name: subdomain },
  'apps/v1/DaemonSet': {
    name: subdomain,
    create: (o) => validateDaemonSetSpec(obj(o.spec)),
    update: (o, old) => [
      ...validateDaemonSetSpec(obj(o.spec)),
      ...validateSelectorImmutable(obj(o.spec), obj(old.spec)),
    ],
  },
  'apps/v1/Deployment': {
    name: subdomain,
    create: (o) => validateDeploymentSpec(obj(o.spec)),
    update: (o, old) => [
      ...validateDeploymentSpec(obj(o.spec)),
      ...validateSelectorImmutable(obj(o.spec), obj(old.spec)),
    ],
  },
  'apps/v1/ReplicaSet': {
    name: subdomain,
    create: (o) => validateReplicaSetSpec(obj(o.spec)),
    update: (o, old) => [
      ...validateReplicaSetSpec(obj(o.spec)),
      ...validateSelectorImmutable(obj(o.spec), obj(old.spec)),
    ],
  },
  'apps/v1/ControllerRevision': {
    name: subdomain,
    create: (o) =>
      typeof o.revision === 'number' && o.revision < 0
        ? [
            fieldError.invalid(
              'revision',
              go.number(o.revision),
              'must be greater than or equal to 0',
            ),
          ]
        : [],
    update: (o, old) =>
      deepEqual(o.data, old.data)
        ? []
        : [fieldError.invalid('data', go.raw('runtime.RawExtension{…}'), 'field is immutable')],
  },
  'coordination.k8s.io/v1/Lease': { name: subdomain },
  'events.k8s.io/v1/Event': { name: subdomain },
  'policy/v1/PodDisruptionBudget': { name: subdomain, create: validatePdb, update: validatePdb },
  'kubelab.dev/v1alpha1/Clock': { name: subdomain, create: validateClock },
  'kubelab.dev/v1alpha1/Kubelet': { name: subdomain, create: validateKubelet },
  'storage.k8s.io/v1/StorageClass': {
    name: subdomain,
    create: (o) => (o.provisioner ? [] : [fieldError.required('provisioner')]),
    update: (o, old) =>
      o.provisioner !== old.provisioner
        ? [fieldError.forbidden('provisioner', 'updates to provisioner are forbidden.')]
        : [],
  },
};

function validateClock(o: Obj): FieldError[] {
  const errors: FieldError[] = [];
  const name = obj(o.metadata).name;
  if (name !== CLOCK_NAME)
    errors.push(
      fieldError.invalid(
        'metadata.name',
        go.string(String(name ?? '')),
        `must be "${CLOCK_NAME}": a cluster has one clock`,
      ),
    );
  const pace = obj(o.spec).pace;
  if (typeof pace === 'string' && !PACES.includes(pace))
    errors.push(fieldError.notSupported('spec.pace', go.string(pace), PACES));
  return errors;
}

function validateKubelet(o: Obj): FieldError[] {
  const state = obj(o.spec).state;
  return typeof state === 'string' && !KUBELET_STATES.includes(state)
    ? [fieldError.notSupported('spec.state', go.string(state), KUBELET_STATES)]
    : [];
}

function kindKey(object: KubeObject): string {
  return `${object.apiVersion ?? ''}/${object.kind ?? ''}`;
}

/** ValidateCreate: metadata plus the kind's own rules. */
export function validateCreate(object: KubeObject, namespaced: boolean): FieldError[] {
  const kind = KINDS[kindKey(object)];
  const errors = validateObjectMeta(object.metadata, namespaced, kind?.name ?? subdomain);
  errors.push(...(kind?.create?.(object as Obj) ?? []));
  return errors;
}

/** ValidateUpdate: immutable metadata plus the kind's own update rules. */
export function validateUpdate(object: KubeObject, old: KubeObject): FieldError[] {
  const kind = KINDS[kindKey(object)];
  const errors = validateObjectMetaUpdate(object.metadata, old.metadata);
  errors.push(
    ...(kind?.update?.(object as Obj, old as Obj) ?? kind?.create?.(object as Obj) ?? []),
  );
  return errors;
}

/** validateToleration is shared with the scheduler's and the grader's explanations. */
export { validateToleration };

/**
 * The pod spec fields that may change on update (1.30, in-place resize off): container and init
 * container images, activeDeadlineSeconds, added tolerations, and terminationGracePeriodSeconds
 * from negative to 1.
 */
/** ValidatePodUpdate's scheduling-gate rule: gates may only be removed. */
function validateSchedulingGatesUpdate(next: Obj, old: Obj): FieldError[] {
  const before = new Set(asList(old.schedulingGates).map((g) => String(g.name)));
  const added = asList(next.schedulingGates)
    .map((g) => String(g.name))
    .filter((name) => !before.has(name));
  return added.map((name) =>
    fieldError.forbidden(
      'spec.schedulingGates',
      `only deletion is allowed, but found new scheduling gate '${name}'`,
    ),
  );
}

function podSpecUpdateAllowed(next: Obj, old: Obj): boolean {
  // A status write carries the stored spec itself.
  if (next === old) return true;
  const strip = (spec: Obj, reference: Obj): Obj => {
    const copy: Obj = { ...spec };
    for (const list of ['containers', 'initContainers']) {
      if (!Array.isArray(copy[list])) continue;
      const refs = asList(reference[list]);
      copy[list] = asList(copy[list]).map((c, i) => ({ ...c, image: refs[i]?.image ?? c.image }));
    }
    delete copy.activeDeadlineSeconds;
    // Scheduling gates may be removed (checked on their own by validateSchedulingGatesUpdate).
    delete copy.schedulingGates;
    copy.tolerations = asList(copy.tolerations).slice(0, asList(reference.tolerations).length);
    if (
      typeof reference.terminationGracePeriodSeconds === 'number' &&
      reference.terminationGracePeriodSeconds < 0 &&
      copy.terminationGracePeriodSeconds === 1
    ) {
      copy.terminationGracePeriodSeconds = reference.terminationGracePeriodSeconds;
    }
    return copy;
  };
  const oldCopy: Obj = { ...old };
  delete oldCopy.activeDeadlineSeconds;
  delete oldCopy.schedulingGates;
  oldCopy.tolerations = asList(old.tolerations);
  const nextCopy = strip(next, old);
  nextCopy.tolerations = asList(nextCopy.tolerations);
  return deepEqual(nextCopy, oldCopy);
}

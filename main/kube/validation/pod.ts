/**
 * Pod spec validation (pkg/apis/core/validation/validation.go `ValidatePodSpec` and friends), the
 * part learners meet: containers, names, images, restart policy, ports, volumes, tolerations.
 * Paths are given from the caller's root (`spec` for pods, `spec.template.spec` for workloads).
 */
import { fieldError, go, type FieldError } from '../field-errors';
import { isPlainObject } from '../objects';
import { isDns1123Label, isQualifiedName, isValidLabelValue } from './names';

type Obj = Record<string, unknown>;
const asList = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export interface PodSpecOptions {
  /** Restart policies allowed (workload templates allow only Always). */
  readonly restartPolicies: readonly string[];
}

function validateContainers(
  list: Obj[],
  path: string,
  names: Set<string>,
  volumes: Set<string>,
): FieldError[] {
  const errors: FieldError[] = [];
  list.forEach((container, i) => {
    const at = `${path}[${i}]`;
    const name = typeof container.name === 'string' ? container.name : '';
    if (!name) errors.push(fieldError.required(`${at}.name`));
    else {
      for (const msg of isDns1123Label(name))
        errors.push(fieldError.invalid(`${at}.name`, go.string(name), msg));
      if (names.has(name)) errors.push(fieldError.duplicate(`${at}.name`, go.string(name)));
      names.add(name);
    }
    const image = typeof container.image === 'string' ? container.image : '';
    if (!image.trim()) errors.push(fieldError.required(`${at}.image`));
    const pull = container.imagePullPolicy;
    if (typeof pull === 'string' && !PULL_POLICIES.includes(pull)) {
      errors.push(fieldError.notSupported(`${at}.imagePullPolicy`, go.string(pull), PULL_POLICIES));
    }
    asList(container.ports).forEach((port, j) => {
      const p = `${at}.ports[${j}]`;
      const cp = port.containerPort;
      if (cp === undefined || cp === 0) errors.push(fieldError.required(`${p}.containerPort`));
      else if (typeof cp === 'number' && (cp < 1 || cp > 65535)) {
        errors.push(
          fieldError.invalid(
            `${p}.containerPort`,
            go.number(cp),
            'must be between 1 and 65535, inclusive',
          ),
        );
      }
      const hp = port.hostPort;
      if (typeof hp === 'number' && hp !== 0 && (hp < 1 || hp > 65535)) {
        errors.push(
          fieldError.invalid(
            `${p}.hostPort`,
            go.number(hp),
            'must be between 1 and 65535, inclusive',
          ),
        );
      }
      if (typeof port.protocol === 'string' && !PROTOCOLS.includes(port.protocol)) {
        errors.push(fieldError.notSupported(`${p}.protocol`, go.string(port.protocol), PROTOCOLS));
      }
    });
    asList(container.volumeMounts).forEach((mount, j) => {
      const p = `${at}.volumeMounts[${j}]`;
      const vname = typeof mount.name === 'string' ? mount.name : '';
      if (!vname) errors.push(fieldError.required(`${p}.name`));
      else if (!volumes.has(vname)) errors.push(fieldError.notFound(`${p}.name`, go.string(vname)));
      if (!mount.mountPath) errors.push(fieldError.required(`${p}.mountPath`));
    });
    asList(container.env).forEach((env, j) => {
      if (!env.name) errors.push(fieldError.required(`${at}.env[${j}].name`));
    });
  });
  return errors;
}

export function validatePodSpec(
  spec: Obj | undefined,
  path: string,
  options: PodSpecOptions,
): FieldError[] {
  const errors: FieldError[] = [];
  if (!spec) return [fieldError.required(`${path}.containers`)];
  const volumes = new Set<string>();
  asList(spec.volumes).forEach((volume, i) => {
    const at = `${path}.volumes[${i}]`;
    const name = typeof volume.name === 'string' ? volume.name : '';
    if (!name) errors.push(fieldError.required(`${at}.name`));
    else {
      for (const msg of isDns1123Label(name))
        errors.push(fieldError.invalid(`${at}.name`, go.string(name), msg));
      if (volumes.has(name)) errors.push(fieldError.duplicate(`${at}.name`, go.string(name)));
      volumes.add(name);
    }
  });
  const names = new Set<string>();
  errors.push(
    ...validateContainers(asList(spec.initContainers), `${path}.initContainers`, names, volumes),
  );
  const containers = asList(spec.containers);
  if (containers.length === 0) errors.push(fieldError.required(`${path}.containers`));
  errors.push(...validateContainers(containers, `${path}.containers`, names, volumes));
  const restart = spec.restartPolicy;
  if (typeof restart === 'string' && !options.restartPolicies.includes(restart)) {
    errors.push(
      fieldError.notSupported(`${path}.restartPolicy`, go.string(restart), options.restartPolicies),
    );
  }
  if (typeof spec.dnsPolicy === 'string' && !DNS_POLICIES.includes(spec.dnsPolicy)) {
    errors.push(
      fieldError.notSupported(`${path}.dnsPolicy`, go.string(spec.dnsPolicy), DNS_POLICIES),
    );
  }
  for (const [key, value] of Object.entries(
    isPlainObject(spec.nodeSelector) ? spec.nodeSelector : {},
  )) {
    for (const msg of isQualifiedName(key))
      errors.push(fieldError.invalid(`${path}.nodeSelector`, go.string(key), msg));
    for (const msg of isValidLabelValue(String(value))) {
      errors.push(fieldError.invalid(`${path}.nodeSelector`, go.string(String(value)), msg));
    }
  }
  for (const field of ['terminationGracePeriodSeconds', 'activeDeadlineSeconds']) {
    const value = spec[field];
    if (typeof value === 'number' && value < 0 && field === 'terminationGracePeriodSeconds') {
      errors.push(
        fieldError.invalid(
          `${path}.${field}`,
          go.number(value),
          'must be greater than or equal to 0',
        ),
      );
    }
    if (typeof value === 'number' && field === 'activeDeadlineSeconds' && value <= 0) {
      errors.push(
        fieldError.invalid(
          `${path}.${field}`,
          go.number(value),
          'must be between 1 and 2147483647, inclusive',
        ),
      );
    }
  }
  asList(spec.tolerations).forEach((toleration, i) => {
    errors.push(...validateToleration(toleration, `${path}.tolerations[${i}]`));
  });
  return errors;
}

/** ValidateTolerations: operator and effect values, and the Exists/Equal key/value rules. */
export function validateToleration(toleration: Obj, at: string): FieldError[] {
  const errors: FieldError[] = [];
  const key = typeof toleration.key === 'string' ? toleration.key : '';
  const operator = typeof toleration.operator === 'string' ? toleration.operator : 'Equal';
  const value = typeof toleration.value === 'string' ? toleration.value : '';
  if (key)
    for (const msg of isQualifiedName(key))
      errors.push(fieldError.invalid(`${at}.key`, go.string(key), msg));
  if (!key && operator !== 'Exists') {
    errors.push(
      fieldError.invalid(
        `${at}.operator`,
        go.string(operator),
        'operator must be Exists when `key` is empty, which means "match all values and all keys"',
      ),
    );
  }
  if (toleration.tolerationSeconds !== undefined && toleration.effect !== 'NoExecute') {
    errors.push(
      fieldError.invalid(
        `${at}.effect`,
        go.string(String(toleration.effect ?? '')),
        "effect must be 'NoExecute' when `tolerationSeconds` is set",
      ),
    );
  }
  if (operator === 'Equal') {
    for (const msg of isValidLabelValue(value))
      errors.push(fieldError.invalid(`${at}.value`, go.string(value), msg));
  } else if (operator === 'Exists') {
    if (value) {
      errors.push(
        fieldError.invalid(
          `${at}.operator`,
          go.string(value),
          "value must be empty when `operator` is 'Exists'",
        ),
      );
    }
  } else {
    errors.push(
      fieldError.notSupported(`${at}.operator`, go.string(operator), ['Equal', 'Exists']),
    );
  }
  const effect = toleration.effect;
  if (typeof effect === 'string' && effect !== '' && !TAINT_EFFECTS.includes(effect)) {
    errors.push(fieldError.notSupported(`${at}.effect`, go.string(effect), TAINT_EFFECTS));
  }
  return errors;
}

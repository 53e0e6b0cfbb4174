/**
 * apps/v1 validation: DaemonSet, Deployment, ReplicaSet (pkg/apis/apps/validation/validation.go),
 * with the messages of research/daemonset-spec.md §5 (V1–V23). Invalid values render as Go's `%#v`
 * of the internal types, as 1.30 prints them (e.g. `intstr.IntOrString{Type:0, IntVal:1, StrVal:""}`).
 */
import { fieldError, go, goStringMap, type FieldError, type GoValue } from '../field-errors';
import { isPlainObject } from '../objects';
import { labelSelectorAsSelector, type LabelSelector } from '../labels';
import { isQualifiedName, isValidLabelValue } from './names';
import { validateAnnotations, validateLabels } from './meta';
import { validatePodSpec } from './pod';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (isPlainObject(v) ? v : undefined);

/** `%#v` of an IntOrString. */
export function goIntOrString(value: unknown): GoValue {
  if (typeof value === 'number')
    return go.raw(`intstr.IntOrString{Type:0, IntVal:${value}, StrVal:""}`);
  return go.raw(
    `intstr.IntOrString{Type:1, IntVal:0, StrVal:${JSON.stringify(String(value ?? ''))}}`,
  );
}

/** `%#v` of a metav1.LabelSelector. */
export function goLabelSelector(selector: LabelSelector): GoValue {
  const expressions = selector.matchExpressions;
  const rendered =
    expressions === undefined
      ? '[]v1.LabelSelectorRequirement(nil)'
      : `[]v1.LabelSelectorRequirement{${expressions
          .map(
            (e) =>
              `v1.LabelSelectorRequirement{Key:${JSON.stringify(e.key)}, Operator:${JSON.stringify(e.operator)}, Values:${
                e.values === undefined
                  ? '[]string(nil)'
                  : `[]string{${e.values.map((v) => JSON.stringify(v)).join(', ')}}`
              }}`,
          )
          .join(', ')}}`;
  return go.raw(
    `v1.LabelSelector{MatchLabels:${goStringMap(selector.matchLabels)}, MatchExpressions:${rendered}}`,
  );
}

function nonNegative(value: unknown, field: string): FieldError[] {
  return typeof value === 'number' && value < 0
    ? [fieldError.invalid(field, go.number(value), 'must be greater than or equal to 0')]
    : [];
}

/** The integer a percent string or int stands for (getIntOrPercentValue). */
function intOrPercentValue(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^[0-9]+%$/.test(value)) return Number(value.slice(0, -1));
  return 0;
}

const PERCENT_ERROR =
  "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

function positiveIntOrPercent(value: unknown, field: string): FieldError[] {
  if (value === undefined) return [];
  if (typeof value === 'string') {
    return /^[0-9]+%$/.test(value)
      ? []
      : [fieldError.invalid(field, goIntOrString(value), PERCENT_ERROR)];
  }
  if (typeof value === 'number') {
    return value < 0
      ? [fieldError.invalid(field, go.number(value), 'must be greater than or equal to 0')]
      : [];
  }
  return [
    fieldError.invalid(field, goIntOrString(value), "must be an integer or percentage (e.g '5%')"),
  ];
}

function notMoreThan100Percent(value: unknown, field: string): FieldError[] {
  if (typeof value !== 'string' || !/^[0-9]+%$/.test(value)) return [];
  return Number(value.slice(0, -1)) > 100
    ? [fieldError.invalid(field, goIntOrString(value), 'must not be greater than 100%')]
    : [];
}

/** unversioned ValidateLabelSelector. */
export function validateLabelSelector(
  selector: LabelSelector | undefined,
  field: string,
): FieldError[] {
  if (!selector) return [];
  const errors: FieldError[] = [];
  (selector.matchExpressions ?? []).forEach((expression, i) => {
    const at = `${field}.matchExpressions[${i}]`;
    const values = expression.values ?? [];
    switch (expression.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) {
          errors.push(
            fieldError.required(
              `${at}.values`,
              "must be specified when `operator` is 'In' or 'NotIn'",
            ),
          );
        }
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) {
          errors.push(
            fieldError.forbidden(
              `${at}.values`,
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
          );
        }
        break;
      default:
        errors.push(
          fieldError.invalid(
            `${at}.operator`,
            go.string(expression.operator),
            'not a valid selector operator',
          ),
        );
    }
    for (const msg of isQualifiedName(expression.key))
      errors.push(fieldError.invalid(`${at}.key`, go.string(expression.key), msg));
    for (const value of values) {
      for (const msg of isValidLabelValue(value))
        errors.push(fieldError.invalid(`${at}.values`, go.string(value), msg));
    }
  });
  errors.push(...validateLabels(selector.matchLabels, `${field}.matchLabels`));
  return errors;
}

function templateLabels(spec: Obj): Record<string, string> | undefined {
  return obj(obj(spec.template)?.metadata)?.labels as Record<string, string> | undefined;
}

function validateTemplate(spec: Obj, kind: 'DaemonSet' | 'ReplicaSet'): FieldError[] {
  const errors: FieldError[] = [];
  const template = obj(spec.template);
  if (!template) return [fieldError.required('spec.template')];
  const metadata = obj(template.metadata) ?? {};
  errors.push(
    ...validateLabels(
      metadata.labels as Record<string, string> | undefined,
      'spec.template.metadata.labels',
    ),
  );
  errors.push(
    ...validateAnnotations(
      metadata.annotations as Record<string, string> | undefined,
      'spec.template.metadata.annotations',
    ),
  );
  const podSpec = obj(template.spec);
  errors.push(
    ...validatePodSpec(podSpec, 'spec.template.spec', {
      restartPolicies: ['Always', 'OnFailure', 'Never'],
    }),
  );
  const restart = podSpec?.restartPolicy;
  if (typeof restart === 'string' && restart !== 'Always') {
    errors.push(
      fieldError.notSupported('spec.template.spec.restartPolicy', go.string(restart), ['Always']),
    );
  }
  if (podSpec?.activeDeadlineSeconds !== undefined) {
    errors.push(
      fieldError.forbidden(
        'spec.template.spec.activeDeadlineSeconds',
        `activeDeadlineSeconds in ${kind} is not Supported`,
      ),
    );
  }
  return errors;
}

function selectorMismatch(spec: Obj): FieldError[] {
  let matches: boolean;
  try {
    matches = labelSelectorAsSelector(spec.selector as LabelSelector | undefined).matches(
      templateLabels(spec),
    );
  } catch {
    return [];
  }
  return matches
    ? []
    : [
        fieldError.invalid(
          'spec.template.metadata.labels',
          go.raw(goStringMap(templateLabels(spec))),
          '`selector` does not match template `labels`',
        ),
      ];
}

function isEmptySelector(selector: LabelSelector): boolean {
  return (
    Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length === 0
  );
}

export function validateDaemonSetSpec(spec: Obj): FieldError[] {
  const errors: FieldError[] = [];
  const selector = spec.selector as LabelSelector | undefined;
  errors.push(...validateLabelSelector(selector, 'spec.selector'));
  errors.push(...selectorMismatch(spec));
  if (selector && isEmptySelector(selector)) {
    errors.push(
      fieldError.invalid(
        'spec.selector',
        goLabelSelector(selector),
        'empty selector is invalid for daemonset',
      ),
    );
  }
  errors.push(...validateTemplate(spec, 'DaemonSet'));
  errors.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  const strategy = obj(spec.updateStrategy) ?? {};
  switch (strategy.type) {
    case 'OnDelete':
      break;
    case 'RollingUpdate': {
      const rolling = obj(strategy.rollingUpdate);
      if (!rolling) {
        errors.push(fieldError.required('spec.updateStrategy.rollingUpdate'));
        break;
      }
      const at = 'spec.updateStrategy.rollingUpdate';
      errors.push(...positiveIntOrPercent(rolling.maxUnavailable, `${at}.maxUnavailable`));
      errors.push(...positiveIntOrPercent(rolling.maxSurge, `${at}.maxSurge`));
      errors.push(...notMoreThan100Percent(rolling.maxUnavailable, `${at}.maxUnavailable`));
      errors.push(...notMoreThan100Percent(rolling.maxSurge, `${at}.maxSurge`));
      const hasUnavailable = intOrPercentValue(rolling.maxUnavailable) !== 0;
      const hasSurge = intOrPercentValue(rolling.maxSurge) !== 0;
      if (hasUnavailable && hasSurge) {
        errors.push(
          fieldError.invalid(
            `${at}.maxSurge`,
            goIntOrString(rolling.maxSurge),
            'may not be set when maxUnavailable is non-zero',
          ),
        );
      } else if (!hasUnavailable && !hasSurge) {
        errors.push(fieldError.required(`${at}.maxUnavailable`, 'cannot be 0 when maxSurge is 0'));
      }
      break;
    }
    default: {
      const rolling =
        strategy.rollingUpdate === undefined
          ? '(*apps.RollingUpdateDaemonSet)(nil)'
          : '(*apps.RollingUpdateDaemonSet)(0xc000a3c1f0)';
      errors.push(
        fieldError.notSupported(
          'spec.updateStrategy',
          go.raw(
            `apps.DaemonSetUpdateStrategy{Type:${JSON.stringify(String(strategy.type ?? ''))}, RollingUpdate:${rolling}}`,
          ),
          ['RollingUpdate', 'OnDelete'],
        ),
      );
    }
  }
  errors.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  return errors;
}

function validateReplicaSetLikeSelector(spec: Obj, emptyMessage: string): FieldError[] {
  const errors: FieldError[] = [];
  const selector = spec.selector as LabelSelector | undefined;
  if (!selector) errors.push(fieldError.required('spec.selector'));
  else {
    errors.push(...validateLabelSelector(selector, 'spec.selector'));
    if (isEmptySelector(selector))
      errors.push(fieldError.invalid('spec.selector', goLabelSelector(selector), emptyMessage));
  }
  // ValidatePodTemplateSpecForReplicaSet: an empty selector (everything) is not matched.
  if (!selector || !isEmptySelector(selector)) errors.push(...selectorMismatch(spec));
  errors.push(...validateTemplate(spec, 'ReplicaSet'));
  return errors;
}

export function validateDeploymentSpec(spec: Obj): FieldError[] {
  const errors: FieldError[] = [];
  errors.push(...nonNegative(spec.replicas, 'spec.replicas'));
  errors.push(...validateReplicaSetLikeSelector(spec, 'empty selector is invalid for deployment'));
  const strategy = obj(spec.strategy) ?? {};
  switch (strategy.type) {
    case 'Recreate':
      if (strategy.rollingUpdate !== undefined) {
        errors.push(
          fieldError.forbidden(
            'spec.strategy.rollingUpdate',
            "may not be specified when strategy `type` is 'Recreate'",
          ),
        );
      }
      break;
    case 'RollingUpdate': {
      const rolling = obj(strategy.rollingUpdate);
      if (!rolling) {
        errors.push(
          fieldError.required(
            'spec.strategy.rollingUpdate',
            'this should be defaulted and never be nil',
          ),
        );
        break;
      }
      const at = 'spec.strategy.rollingUpdate';
      errors.push(...positiveIntOrPercent(rolling.maxUnavailable, `${at}.maxUnavailable`));
      errors.push(...positiveIntOrPercent(rolling.maxSurge, `${at}.maxSurge`));
      if (
        intOrPercentValue(rolling.maxUnavailable) === 0 &&
        intOrPercentValue(rolling.maxSurge) === 0
      ) {
        errors.push(
          fieldError.invalid(
            `${at}.maxUnavailable`,
            goIntOrString(rolling.maxUnavailable),
            'may not be 0 when `maxSurge` is 0',
          ),
        );
      }
      errors.push(...notMoreThan100Percent(rolling.maxUnavailable, `${at}.maxUnavailable`));
      break;
    }
    default: {
      const rolling =
        strategy.rollingUpdate === undefined
          ? '(*apps.RollingUpdateDeployment)(nil)'
          : '(*apps.RollingUpdateDeployment)(0xc000a3c1f0)';
      errors.push(
        fieldError.notSupported(
          'spec.strategy',
          go.raw(
            `apps.DeploymentStrategy{Type:${JSON.stringify(String(strategy.type ?? ''))}, RollingUpdate:${rolling}}`,
          ),
          ['Recreate', 'RollingUpdate'],
        ),
      );
    }
  }
  errors.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errors.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  const deadline = spec.progressDeadlineSeconds;
  if (typeof deadline === 'number') {
    errors.push(...nonNegative(deadline, 'spec.progressDeadlineSeconds'));
    if (deadline <= (typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0)) {
      errors.push(
        fieldError.invalid(
          'spec.progressDeadlineSeconds',
          go.number(deadline),
          'must be greater than minReadySeconds',
        ),
      );
    }
  }
  return errors;
}

export function validateReplicaSetSpec(spec: Obj): FieldError[] {
  const errors: FieldError[] = [];
  errors.push(...nonNegative(spec.replicas, 'spec.replicas'));
  errors.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  // Upstream quirk: ValidateReplicaSetSpec also says "for deployment".
  errors.push(...validateReplicaSetLikeSelector(spec, 'empty selector is invalid for deployment'));
  return errors;
}

/** `spec.selector` is immutable for apps/v1 workloads (strategy ValidateUpdate). */
export function validateSelectorImmutable(spec: Obj, old: Obj): FieldError[] {
  const next = spec.selector as LabelSelector | undefined;
  const before = old.selector as LabelSelector | undefined;
  if (JSON.stringify(normalizeSelector(next)) === JSON.stringify(normalizeSelector(before)))
    return [];
  return [
    fieldError.invalid(
      'spec.selector',
      next ? goLabelSelector(next) : go.raw('(*v1.LabelSelector)(nil)'),
      'field is immutable',
    ),
  ];
}

function normalizeSelector(selector: LabelSelector | undefined): unknown {
  if (!selector) return null;
  return {
    matchLabels: Object.fromEntries(Object.entries(selector.matchLabels ?? {}).sort()),
    matchExpressions: selector.matchExpressions ?? [],
  };
}

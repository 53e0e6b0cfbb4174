/**
 * Label selectors: the string syntax of `?labelSelector=` (k8s.io/apimachinery/pkg/labels.Parse)
 * and the structured `metav1.LabelSelector` of workloads, compiled to one matcher.
 */

export type Operator = 'in' | 'notin' | 'exists' | '!' | '=' | '==' | '!=' | 'gt' | 'lt';

export interface Requirement {
  readonly key: string;
  readonly operator:
    | 'In'
    | 'NotIn'
    | 'Exists'
    | 'DoesNotExist'
    | 'Equals'
    | 'NotEquals'
    | 'GreaterThan'
    | 'LessThan';
  readonly values: readonly string[];
}

export type Labels = Readonly<Record<string, string>> | undefined;

export interface Selector {
  readonly requirements: readonly Requirement[];
  matches(labels: Labels): boolean;
  /** True when the selector selects everything (no requirements). */
  readonly empty: boolean;
  /** The canonical text, as `labels.Selector.String()` prints it. */
  toString(): string;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

function matchRequirement(req: Requirement, labels: Labels): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, req.key);
  const value = has ? labels![req.key]! : undefined;
  switch (req.operator) {
    case 'In':
    case 'Equals':
      return has && req.values.includes(value!);
    case 'NotIn':
    case 'NotEquals':
      return !has || !req.values.includes(value!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'GreaterThan':
    case 'LessThan': {
      if (!has || !/^-?\d+$/.test(value!)) return false;
      const n = Number(value);
      const bound = Number(req.values[0]);
      return req.operator === 'GreaterThan' ? n > bound : n < bound;
    }
  }
}

function requirementString(req: Requirement): string {
  const values = [...req.values].sort();
  switch (req.operator) {
    case 'Exists':
      return req.key;
    case 'DoesNotExist':
      return `!${req.key}`;
    case 'Equals':
      return `${req.key}=${values[0] ?? ''}`;
    case 'NotEquals':
      return `${req.key}!=${values[0] ?? ''}`;
    case 'In':
      return `${req.key} in (${values.join(',')})`;
    case 'NotIn':
      return `${req.key} notin (${values.join(',')})`;
    case 'GreaterThan':
      return `${req.key}>${values[0] ?? ''}`;
    case 'LessThan':
      return `${req.key}<${values[0] ?? ''}`;
  }
}

export function selectorOf(requirements: readonly Requirement[]): Selector {
  const sorted = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    requirements: sorted,
    empty: sorted.length === 0,
    matches: (labels) => sorted.every((req) => matchRequirement(req, labels)),
    toString: () => sorted.map(requirementString).join(','),
  };
}

/** Selects everything. */
export const everything: Selector = selectorOf([]);

/** Selects nothing (a nil `metav1.LabelSelector` on a workload: `labels.Nothing()`). */
export const nothing: Selector = {
  requirements: [],
  empty: false,
  matches: () => false,
  toString: () => '',
};

export class SelectorParseError extends Error {}

/**
 * Parses the string form: `a=b,c!=d,e in (x,y),f notin (z),g,!h,i>3`. Throws
 * `SelectorParseError` with upstream-like messages on bad input.
 */
export function parseSelector(text: string): Selector {
  const requirements: Requirement[] = [];
  let i = 0;
  const s = text;
  const skipSpace = (): void => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  const readIdentifier = (): string => {
    skipSpace();
    const start = i;
    while (i < s.length && !/[\s,=!()<>]/.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  while (true) {
    skipSpace();
    if (i >= s.length) break;
    let negate = false;
    if (s[i] === '!') {
      negate = true;
      i++;
    }
    const key = readIdentifier();
    if (!key)
      throw new SelectorParseError(
        `unable to parse requirement: found '${s[i] ?? ''}', expected: identifier`,
      );
    skipSpace();
    if (negate) {
      requirements.push({ key, operator: 'DoesNotExist', values: [] });
    } else if (i >= s.length || s[i] === ',') {
      requirements.push({ key, operator: 'Exists', values: [] });
    } else if (s.startsWith('==', i) || s[i] === '=') {
      i += s.startsWith('==', i) ? 2 : 1;
      requirements.push({ key, operator: 'Equals', values: [readIdentifier()] });
    } else if (s.startsWith('!=', i)) {
      i += 2;
      requirements.push({ key, operator: 'NotEquals', values: [readIdentifier()] });
    } else if (s[i] === '>' || s[i] === '<') {
      const op = s[i] === '>' ? 'GreaterThan' : 'LessThan';
      i++;
      const value = readIdentifier();
      if (!/^-?\d+$/.test(value)) {
        throw new SelectorParseError(
          `unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`,
        );
      }
      requirements.push({ key, operator: op, values: [value] });
    } else {
      const word = readIdentifier();
      if (word !== 'in' && word !== 'notin') {
        throw new SelectorParseError(
          `unable to parse requirement: found '${word}', expected: in, notin, =, ==, !=, gt, lt`,
        );
      }
      skipSpace();
      if (s[i] !== '(')
        throw new SelectorParseError(
          `unable to parse requirement: found '${s[i] ?? ''}', expected: '('`,
        );
      i++;
      const values: string[] = [];
      while (true) {
        const value = readIdentifier();
        values.push(value);
        skipSpace();
        if (s[i] === ',') {
          i++;
          continue;
        }
        if (s[i] === ')') {
          i++;
          break;
        }
        throw new SelectorParseError(
          `unable to parse requirement: found '${s[i] ?? ''}', expected: ',', ')'`,
        );
      }
      requirements.push({
        key,
        operator: word === 'in' ? 'In' : 'NotIn',
        values: values.filter((v) => v !== '' || values.length === 1),
      });
    }
    skipSpace();
    if (i < s.length) {
      if (s[i] !== ',')
        throw new SelectorParseError(`found '${s[i]!}', expected: ',' or 'end of string'`);
      i++;
    }
  }
  return selectorOf(requirements);
}

/**
 * Compiles a `metav1.LabelSelector` (LabelSelectorAsSelector): nil selects nothing, an empty one
 * everything. Throws on an unknown operator.
 */
export function labelSelectorAsSelector(selector: LabelSelector | null | undefined): Selector {
  if (selector === null || selector === undefined) return nothing;
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    requirements.push({ key, operator: 'Equals', values: [value] });
  }
  for (const expression of selector.matchExpressions ?? []) {
    const values = expression.values ?? [];
    switch (expression.operator) {
      case 'In':
        requirements.push({ key: expression.key, operator: 'In', values });
        break;
      case 'NotIn':
        requirements.push({ key: expression.key, operator: 'NotIn', values });
        break;
      case 'Exists':
        requirements.push({ key: expression.key, operator: 'Exists', values: [] });
        break;
      case 'DoesNotExist':
        requirements.push({ key: expression.key, operator: 'DoesNotExist', values: [] });
        break;
      default:
        throw new SelectorParseError(
          `${JSON.stringify(expression.operator)} is not a valid label selector operator`,
        );
    }
  }
  return selectorOf(requirements);
}

/** `metav1.FormatLabelSelector`: the selector's text, or `<none>` when it has none. */
export function formatLabelSelector(selector: LabelSelector | null | undefined): string {
  try {
    const text = labelSelectorAsSelector(selector).toString();
    return text === '' ? '<none>' : text;
  } catch {
    return '<error>';
  }
}

/** `labels.SelectorFromSet(map).String()`, or `<none>` for an empty map (node selector column). */
export function formatLabelMap(map: Labels): string {
  if (!map || Object.keys(map).length === 0) return '<none>';
  return Object.keys(map)
    .sort()
    .map((key) => `${key}=${map[key]}`)
    .join(',');
}

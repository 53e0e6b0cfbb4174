/**
 * Field selectors (`?fieldSelector=`): `a=b`, `a==b`, `a!=b`, comma-separated, matched against the
 * fields each resource exposes (k8s.io/apimachinery/pkg/fields).
 */
export interface FieldRequirement {
  readonly field: string;
  readonly operator: '=' | '!=';
  readonly value: string;
}

export class FieldSelectorError extends Error {}

export function parseFieldSelector(text: string): FieldRequirement[] {
  if (text.trim() === '') return [];
  return text.split(',').map((part) => {
    const match = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!match)
      throw new FieldSelectorError(`invalid selector: '${text}'; can't understand '${part}'`);
    return {
      field: match[1]!,
      operator: match[2] === '!=' ? '!=' : '=',
      value: match[3]!.replace(/\\(.)/g, '$1'),
    };
  });
}

/** True when `fields` (the object's selectable fields) satisfy every requirement. */
export function matchFields(
  requirements: readonly FieldRequirement[],
  fields: Readonly<Record<string, string>>,
): boolean {
  return requirements.every((req) => {
    const value = fields[req.field] ?? '';
    return req.operator === '=' ? value === req.value : value !== req.value;
  });
}

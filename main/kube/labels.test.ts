import { describe, expect, it } from 'vitest';
import {
  formatLabelMap,
  formatLabelSelector,
  labelSelectorAsSelector,
  nothing,
  parseSelector,
  SelectorParseError,
} from './labels';
import { matchFields, parseFieldSelector } from './fields';

describe('label selectors', () => {
  it('parses the string syntax and matches label sets', () => {
    const selector = parseSelector('app=web, tier!=db,env in (prod, staging),!legacy,release');
    expect(selector.matches({ app: 'web', env: 'prod', release: 'v1' })).toBe(true);
    expect(selector.matches({ app: 'web', env: 'dev', release: 'v1' })).toBe(false);
    expect(selector.matches({ app: 'web', env: 'prod', release: 'v1', legacy: 'yes' })).toBe(false);
    expect(selector.matches({ app: 'web', env: 'prod', release: 'v1', tier: 'db' })).toBe(false);
    expect(selector.toString()).toBe('app=web,env in (prod,staging),!legacy,release,tier!=db');
    expect(parseSelector('a==b').matches({ a: 'b' })).toBe(true);
    expect(parseSelector('n>3').matches({ n: '4' })).toBe(true);
    expect(parseSelector('').empty).toBe(true);
  });

  it('rejects malformed selectors', () => {
    expect(() => parseSelector('a in b')).toThrow(SelectorParseError);
    expect(() => parseSelector('a is b')).toThrow(/expected: in, notin/);
  });

  it('compiles metav1.LabelSelector: nil selects nothing, empty everything', () => {
    expect(labelSelectorAsSelector(undefined)).toBe(nothing);
    expect(labelSelectorAsSelector({}).matches({ any: 'thing' })).toBe(true);
    const selector = labelSelectorAsSelector({
      matchLabels: { app: 'a' },
      matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }],
    });
    expect(selector.matches({ app: 'a', env: 'prod' })).toBe(true);
    expect(selector.matches({ app: 'a', env: 'dev' })).toBe(false);
    expect(() =>
      labelSelectorAsSelector({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] }),
    ).toThrow(/not a valid label selector operator/);
  });

  it('formats selectors and label maps as the printers do', () => {
    expect(formatLabelSelector({ matchLabels: { b: '2', a: '1' } })).toBe('a=1,b=2');
    expect(formatLabelSelector({})).toBe('<none>');
    expect(formatLabelMap(undefined)).toBe('<none>');
    expect(formatLabelMap({ 'kubernetes.io/os': 'linux' })).toBe('kubernetes.io/os=linux');
  });
});

describe('field selectors', () => {
  it('parses and matches', () => {
    const requirements = parseFieldSelector('spec.nodeName=node-1,status.phase!=Failed');
    expect(
      matchFields(requirements, { 'spec.nodeName': 'node-1', 'status.phase': 'Running' }),
    ).toBe(true);
    expect(matchFields(requirements, { 'spec.nodeName': 'node-1', 'status.phase': 'Failed' })).toBe(
      false,
    );
    expect(() => parseFieldSelector('justtext')).toThrow(/invalid selector/);
  });
});

import { describe, expect, it } from 'vitest';
import {
  executeJsonPath,
  findJsonPathResults,
  JsonPathError,
  jsonPathText,
  parseJsonPath,
  relaxedJsonPathExpression,
} from './jsonpath';

// The `TestKubernetes` input of client-go's jsonpath_test.go.
const nodes = {
  kind: 'List',
  items: [
    {
      kind: 'None',
      metadata: { name: '127.0.0.1', labels: { 'kubernetes.io/hostname': '127.0.0.1' } },
      status: {
        capacity: { cpu: '4' },
        addresses: [{ type: 'LegacyHostIP', address: '127.0.0.1' }],
      },
    },
    {
      kind: 'None',
      metadata: { name: '127.0.0.2', labels: { 'kubernetes.io/hostname': '127.0.0.2' } },
      status: {
        capacity: { cpu: '8' },
        addresses: [
          { type: 'LegacyHostIP', address: '127.0.0.2' },
          { type: 'another', address: '127.0.0.3' },
        ],
      },
    },
  ],
  users: [
    { name: 'myself', user: {} },
    { name: 'e2e', user: { username: 'admin', password: 'secret' } },
  ],
};

const run = (template: string, data: unknown = nodes): string => executeJsonPath(template, data);
const strict = (template: string, data: unknown = nodes): string =>
  executeJsonPath(template, data, { allowMissingKeys: false });

function errorOf(fn: () => unknown): { message: string; code: string } | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    if (error instanceof JsonPathError) return { message: error.message, code: error.code };
    throw error;
  }
}

describe('kubectl JSONPath (client-go util/jsonpath)', () => {
  it('reads fields, indexes, slices and wildcards', () => {
    expect(run('{.kind}')).toBe('List');
    expect(run('{$.kind}')).toBe('List');
    expect(run('{.items[0].metadata.name}')).toBe('127.0.0.1');
    expect(run('{.items[-1].metadata.name}')).toBe('127.0.0.2');
    expect(run('{.items[*].metadata.name}')).toBe('127.0.0.1 127.0.0.2');
    expect(run('{.items[0:1].metadata.name}')).toBe('127.0.0.1');
    expect(run('{.items[1:].metadata.name}')).toBe('127.0.0.2');
    expect(run('{.items[::2].metadata.name}')).toBe('127.0.0.1');
    expect(run('{.items[*].status.addresses[*].address}')).toBe('127.0.0.1 127.0.0.2 127.0.0.3');
    expect(run('{.items[0].status.capacity.*}')).toBe('4');
    expect(run('{.items[0,1].status.capacity.cpu}')).toBe('4 8');
  });

  it('escapes dots in keys with a backslash; a quoted key is split on dots as upstream', () => {
    expect(run('{.items[0].metadata.labels.kubernetes\\.io/hostname}')).toBe('127.0.0.1');
    expect(run("{.items[0].metadata['labels']}")).toBe('{"kubernetes.io/hostname":"127.0.0.1"}');
    expect(run("{.items[0].metadata.labels['kubernetes.io/hostname']}")).toBe('');
  });

  it('filters with comparisons and existence', () => {
    expect(run('{.users[?(@.name=="e2e")].user.password}')).toBe('secret');
    expect(run("{.users[?(@.name=='e2e')].user.username}")).toBe('admin');
    expect(run('{.users[?(@.name!="e2e")].name}')).toBe('myself');
    expect(run('{.users[?(@.user.password)].name}')).toBe('e2e');
    expect(
      run(
        '{.items[?(@.metadata.labels.kubernetes\\.io/hostname=="127.0.0.2")].status.capacity.cpu}',
      ),
    ).toBe('8');
    const counts = [
      { name: 'car', count: 1 },
      { name: 'bus', count: 3 },
      { name: 'train', count: 2.5 },
    ];
    expect(run('{[?(@.count>1)].name}', counts)).toBe('bus train');
    expect(run('{[?(@.count<=1)].name}', counts)).toBe('car');
    expect(run('{[?(@.count>=2.5)].name}', counts)).toBe('bus train');
    expect(errorOf(() => run('{[?(@.name>1)].name}', counts))).toEqual({
      message: 'incompatible types for comparison',
      code: 'eval',
    });
  });

  it('ranges, nested ranges, quoted text and text between actions', () => {
    expect(run('{range .items[*]}{.metadata.name}, {end}{.kind}')).toBe(
      '127.0.0.1, 127.0.0.2, List',
    );
    expect(run('{range .items[*]}[{.metadata.name}, {.status.capacity}] {end}')).toBe(
      '[127.0.0.1, {"cpu":"4"}] [127.0.0.2, {"cpu":"8"}] ',
    );
    expect(run('{range .items[*]}{range .status.addresses[*]}{.address}, {end}{end}')).toBe(
      '127.0.0.1, 127.0.0.2, 127.0.0.3, ',
    );
    expect(run('{range .items[*]}{.metadata.name}{"\\t"}{.status.capacity.cpu}{"\\n"}{end}')).toBe(
      '127.0.0.1\t4\n127.0.0.2\t8\n',
    );
    expect(run('kind: {.kind}!')).toBe('kind: List!');
  });

  it('walks recursively with ..', () => {
    expect(run('{..address}')).toBe('127.0.0.1 127.0.0.2 127.0.0.3');
    expect(run('{.users..password}')).toBe('secret');
  });

  it('prints like kubectl: JSON for maps and lists (keys sorted), Go numbers, <nil>', () => {
    expect(jsonPathText({ b: 1, a: ['<x>'] })).toBe('{"a":["\\u003cx\\u003e"],"b":1}');
    expect(jsonPathText(3)).toBe('3');
    expect(jsonPathText(0.5)).toBe('0.5');
    expect(jsonPathText(1234567.5)).toBe('1.2345675e+06');
    expect(jsonPathText(0.00001)).toBe('1e-05');
    expect(jsonPathText(true)).toBe('true');
    expect(jsonPathText(null)).toBe('<nil>');
    expect(run('{.spec.replicas} {.spec.paused}', { spec: { replicas: 3, paused: false } })).toBe(
      '3 false',
    );
  });

  it('returns groups of values', () => {
    expect(
      findJsonPathResults(parseJsonPath('{.items[*].status.capacity.cpu}x'), nodes, {}),
    ).toEqual([['4', '8'], ['x']]);
  });

  it('missing keys: empty when allowed, "x is not found" otherwise', () => {
    expect(run('{.nothing.here}')).toBe('');
    expect(errorOf(() => strict('{.nothing}'))).toEqual({
      message: 'nothing is not found',
      code: 'missing',
    });
    expect(strict('{.users[?(@.user.password)].name}')).toBe('e2e');
  });

  it('index errors as upstream', () => {
    expect(errorOf(() => run('{.items[5]}'))).toEqual({
      message: 'array index out of bounds: index 5, length 2',
      code: 'index',
    });
    expect(errorOf(() => run('{.items[-3]}'))).toEqual({
      message: 'array index out of bounds: index -1, length 2',
      code: 'index',
    });
    expect(errorOf(() => run('{.kind[0]}'))).toEqual({
      message: 'string is not array or slice',
      code: 'eval',
    });
    expect(run('{.items[0:0]}')).toBe('');
  });

  it('syntax errors as upstream', () => {
    const syntax = (text: string): string | undefined =>
      errorOf(() => parseJsonPath(text))?.message;
    expect(syntax('{.kind')).toBe('unclosed action');
    expect(syntax('{.items[0}')).toBe('unterminated array');
    expect(syntax('{.items[?(@.a=="b"}')).toBe('unterminated filter');
    expect(syntax('{"abc}')).toBe('unterminated quoted string');
    expect(syntax('{.items[x]}')).toBe('invalid array index x');
    expect(syntax('{#}')).toBe("unrecognized character in action: U+0023 '#'");
    expect(syntax('{end}')).toBe('not in range, nothing to end');
    expect(syntax('{....a}')).toBe('invalid multiple recursive descent');
    expect(errorOf(() => run('{foo}'))?.message).toBe('unrecognized identifier foo');
  });

  it('relaxes paths as custom-columns do', () => {
    expect(relaxedJsonPathExpression('.spec.replicas')).toBe('{.spec.replicas}');
    expect(relaxedJsonPathExpression('spec.replicas')).toBe('{.spec.replicas}');
    expect(relaxedJsonPathExpression('{spec.replicas}')).toBe('{.spec.replicas}');
    expect(relaxedJsonPathExpression('{.spec.replicas}')).toBe('{.spec.replicas}');
    expect(errorOf(() => relaxedJsonPathExpression('{.a}{.b}'))?.code).toBe('syntax');
  });
});
